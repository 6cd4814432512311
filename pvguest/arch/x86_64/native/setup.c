/* Native start of day: COM1, GDT/IDT, the multiboot2 information, then kernel_main(). */
#include <arch.h>
#include <boot.h>
#include <mm.h>
#include "native.h"

#define MB2_LOADER_MAGIC 0x36d76289u
#define MB2_TAG_END      0
#define MB2_TAG_CMDLINE  1
#define MB2_TAG_MMAP     6
#define MB2_TAG_ACPI_OLD 14
#define MB2_TAG_ACPI_NEW 15
#define MB2_RAM          1

struct ram_range native_ram[BOOT_MAX_RANGES];
unsigned int native_nr_ram;

static char cmdline[1024];
static const void *rsdp;            /* GRUB's copy of the ACPI RSDP (the newer one if both) */
static struct boot_params bp;
extern char boot_stack_top[];

struct mb2_tag {
    uint32_t type, size;
};
struct mb2_mmap_entry {
    uint64_t base, len;
    uint32_t type, reserved;
};

/* Adds [start, end) minus the kernel image to the free ranges. */
static void add_free(uint64_t start, uint64_t end)
{
    uint64_t img_lo = virt_to_pfn(__image_start), img_hi = virt_to_pfn(_end);
    uint64_t parts[2][2] = { { start, MIN(end, img_lo) }, { MAX(start, img_hi), end } };
    for (int i = 0; i < 2; i++)
        if (parts[i][0] < parts[i][1] && bp.nr_free < BOOT_MAX_RANGES)
            bp.free[bp.nr_free++] = (struct boot_range){ parts[i][0], parts[i][1] };
}

static void parse_multiboot2(uint64_t info)
{
    const uint8_t *p = (const uint8_t *)pfn_to_virt(0) + info + 8;     /* the first GiB is in the direct map */
    for (;;) {
        const struct mb2_tag *tag = (const struct mb2_tag *)p;
        if (tag->type == MB2_TAG_END)
            break;
        if (tag->type == MB2_TAG_CMDLINE)
            str_copy(cmdline, (const char *)(tag + 1), sizeof(cmdline));
        if (tag->type == MB2_TAG_ACPI_NEW || (tag->type == MB2_TAG_ACPI_OLD && !rsdp))
            rsdp = tag + 1;
        if (tag->type == MB2_TAG_MMAP) {
            uint32_t esize = ((const uint32_t *)p)[2];
            for (const uint8_t *e = p + 16; e + esize <= p + tag->size; e += esize) {
                const struct mb2_mmap_entry *m = (const struct mb2_mmap_entry *)e;
                if (m->type != MB2_RAM)
                    continue;
                uint64_t lo = ALIGN_UP(m->base, PAGE_SIZE) >> PAGE_SHIFT;
                uint64_t hi = MIN(ALIGN_DOWN(m->base + m->len, PAGE_SIZE) >> PAGE_SHIFT, DIRECT_MAP_PFNS);
                if (lo >= hi || native_nr_ram == BOOT_MAX_RANGES)
                    continue;
                native_ram[native_nr_ram++] = (struct ram_range){ lo, hi };
                bp.max_pfn = MAX(bp.max_pfn, hi);
                add_free(MAX(lo, 0x100ull), hi);         /* leave the first MiB to the firmware */
            }
        }
        p += ALIGN_UP(tag->size, 8);
    }
}

void native_start(uint32_t magic, uint64_t info);
void native_start(uint32_t magic, uint64_t info)
{
    serial_init();
    cpu_init(0);
    trap_init();
    native_cpu_ops.load_kernel_stack((uintptr_t)boot_stack_top);
    if (magic != MB2_LOADER_MAGIC)
        panic("native: not started by a multiboot2 loader (magic %#x)", magic);
    parse_multiboot2(info);
    if (!native_nr_ram)
        panic("native: the multiboot2 information has no memory map");
    native_acpi_scan(rsdp);         /* while the boot tables map the first GiB, ACPI tables included */
    bp.cmdline = cmdline;
    kernel_main(&bp);
}
