/*
 * ELF64 loader support for PV kernels: validates the image and reads the Xen
 * ELF notes (elfnote.h), working out where the kernel lives in the guest's
 * virtual address space. Pure and freestanding: the hypervisor's domain
 * builder and the host tests (and later the toolstack) compile the same file.
 */
#ifndef LIB_ELF_H
#define LIB_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ELF_MAX_SEGMENTS    16
#define ELF_MAX_NOTES       64

struct elf_segment {
    uint64_t va;            /* guest virtual address the segment loads at */
    uint64_t offset;        /* in the file */
    uint64_t filesz;        /* bytes copied from the file ... */
    uint64_t memsz;         /* ... then zero-filled up to this */
    uint32_t flags;         /* PF_X 1, PF_W 2, PF_R 4 */
};

/* What the "Xen" notes say (XEN_ELFNOTE_*). */
struct xen_notes {
    char guest_os[32];
    char guest_version[32];
    char xen_version[32];
    char loader[32];
    char pae_mode[16];
    uint64_t virt_base, paddr_offset, entry, hypercall_page, init_p2m;
    bool has_virt_base, has_paddr_offset, has_entry, has_hypercall_page, has_init_p2m;
    bool mod_start_pfn;
    bool has_supported_features;        /* a SUPPORTED_FEATURES note was present */
    uint32_t supported_features;        /* XENFEAT_* bits (submap 0) */
    uint32_t required_features;         /* those marked '!' in FEATURES */
    unsigned int nr_notes;
};

struct elf_image {
    const uint8_t *data;
    size_t size;
    struct elf_segment segs[ELF_MAX_SEGMENTS];
    unsigned int nr_segs;
    struct xen_notes xen;
    uint64_t virt_kstart, virt_kend;    /* [start, end) of the loaded kernel, guest VA */
    uint64_t virt_entry;
};

/*
 * Validates an x86-64 PV kernel image of size bytes and fills img. Returns 0,
 * or -1 with err holding a one-line reason. Refuses: a truncated or non-x86-64
 * ELF64 executable; program headers outside the file; a load segment whose
 * file part lies outside the file, whose file size exceeds its memory size,
 * which wraps, or which overlaps another; notes that run past their segment
 * or whose numbers are not 1, 2, 4 or 8 bytes long, strings without a NUL or
 * too long; missing XEN_VERSION "xen-3.0*"; a LOADER that is not "generic*"
 * unless GUEST_OS is "linux*"; an unknown required ('!') feature; a kernel
 * range that is not canonical, touches the hypervisor's reserved range, or
 * starts below VIRT_BASE; an entry point or hypercall page outside the kernel;
 * an INIT_P2M address inside the kernel.
 */
int elf_parse(struct elf_image *img, const void *data, size_t size, char *err, size_t errlen);

#endif
