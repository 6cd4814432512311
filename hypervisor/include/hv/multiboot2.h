/* What the hypervisor keeps from the multiboot2 boot information, and its parser. */
#ifndef HV_MULTIBOOT2_H
#define HV_MULTIBOOT2_H

#include <hv/lib.h>

#define MB2_LOADER_MAGIC        0x36d76289u

/* Tag types we read; every other tag is skipped. */
#define MB2_TAG_END             0
#define MB2_TAG_CMDLINE         1
#define MB2_TAG_LOADER_NAME     2
#define MB2_TAG_MODULE          3
#define MB2_TAG_BASIC_MEMINFO   4
#define MB2_TAG_MMAP            6
#define MB2_TAG_FRAMEBUFFER     8
#define MB2_TAG_ACPI_OLD        14
#define MB2_TAG_ACPI_NEW        15

/* Memory map entry types (as the BIOS E820 map). */
#define MEM_AVAILABLE           1
#define MEM_RESERVED            2
#define MEM_ACPI_RECLAIM        3
#define MEM_ACPI_NVS            4
#define MEM_BAD                 5

#define BOOT_MAX_REGIONS        128
#define BOOT_MAX_MODULES        16
#define BOOT_CMDLINE_LEN        1024
#define MODULE_CMDLINE_LEN      1024

struct mem_region {
    uint64_t start, end;        /* [start, end) */
    uint32_t type;
};

struct boot_module {
    uint64_t start, end;        /* physical, [start, end) */
    char cmdline[MODULE_CMDLINE_LEN];
};

/* A copy, in hypervisor memory, of everything we use from the loader. */
struct boot_info {
    char cmdline[BOOT_CMDLINE_LEN];
    char loader[64];
    struct mem_region mmap[BOOT_MAX_REGIONS];
    unsigned int nr_mmap;
    struct boot_module mods[BOOT_MAX_MODULES];
    unsigned int nr_mods;
    uint8_t rsdp[36];           /* copy of the ACPI RSDP, if the loader gave one */
    uint32_t rsdp_len;          /* 0: none */
    unsigned int skipped_tags;  /* tags we do not use (framebuffer, ELF sections...) */
    uint64_t mbi_size;          /* total_size of the information itself */
    char error[160];            /* why parsing failed */
};

/*
 * Parses the multiboot2 information at mbi, of which avail bytes may be read
 * (on hardware: as much as the information says it has, within a sane cap).
 * Returns 0, or -1 with bi->error naming the problem. Refuses: a size that
 * is too small or larger than avail, a tag that runs past the end or is
 * shorter than its header, no end tag, strings without a NUL, a memory map
 * with bad entry sizes or no memory map at all, a module ending before it
 * starts, more modules or regions than we hold.
 */
int mb2_parse(const void *mbi, size_t avail, struct boot_info *bi);

#endif
