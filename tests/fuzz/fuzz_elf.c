/*
 * libFuzzer target: lib/elf.c (the PV kernel loader's checks and the Xen
 * notes), unchanged. The input is the image, in a heap copy of exactly its
 * size. Oracles: a refusal says why, in full or cut to a short buffer, and
 * the same image is refused either way; an accepted image keeps every
 * promise of lib/elf.h: its load segments lie in the file (every byte is
 * read, as the domain builder copies them), do not overlap, fit in the
 * kernel range, which is canonical and clear of the hypervisor's hole; the
 * entry point and hypercall page lie inside it; the notes' strings end.
 */
#include <string.h>
#include <lib/elf.h>
#include "fuzz.h"

/* The hypervisor's reserved range of the guest address space (as lib/elf.c refuses it). */
#define HOLE_START  0xffff800000000000ull
#define HOLE_END    0xffff880000000000ull

static bool canonical(uint64_t va) { return va < 0x0000800000000000ull || va >= HOLE_START; }

static void check_accepted(const struct elf_image *img, const uint8_t *data, size_t size)
{
    const struct xen_notes *x = &img->xen;
    uint64_t ks = img->virt_kstart, ke = img->virt_kend;
    FUZZ_CHECK(img->data == data && img->size == size, "image not recorded");
    FUZZ_CHECK(ks < ke && canonical(ks) && canonical(ke - 1) && (ks < HOLE_START) == (ke - 1 < HOLE_START),
               "kernel range %#llx-%#llx", (unsigned long long)ks, (unsigned long long)ke);
    FUZZ_CHECK(ke <= HOLE_START || ks >= HOLE_END, "kernel range %#llx-%#llx in the hole", (unsigned long long)ks,
               (unsigned long long)ke);
    FUZZ_CHECK(img->virt_entry >= ks && img->virt_entry < ke, "entry %#llx", (unsigned long long)img->virt_entry);
    FUZZ_CHECK(!x->has_hypercall_page || (!(x->hypercall_page & 0xfff) && x->hypercall_page >= ks &&
                                          x->hypercall_page < ke && ke - x->hypercall_page >= 4096),
               "hypercall page %#llx", (unsigned long long)x->hypercall_page);
    FUZZ_CHECK(!x->has_init_p2m || x->init_p2m < ks || x->init_p2m >= ke, "INIT_P2M inside the kernel");
    FUZZ_CHECK(x->virt_base <= ks, "VIRT_BASE above the kernel");
    FUZZ_CHECK(!strncmp(x->xen_version, "xen-3.0", 7), "XEN_VERSION \"%.31s\"", x->xen_version);
    FUZZ_CHECK(fuzz_terminated(x->guest_os, sizeof(x->guest_os)) &&
                   fuzz_terminated(x->guest_version, sizeof(x->guest_version)) &&
                   fuzz_terminated(x->xen_version, sizeof(x->xen_version)) &&
                   fuzz_terminated(x->loader, sizeof(x->loader)) && fuzz_terminated(x->pae_mode, sizeof(x->pae_mode)),
               "a note string is not terminated");
    FUZZ_CHECK(x->nr_notes > 0 && x->nr_notes <= ELF_MAX_NOTES, "%u notes", x->nr_notes);
    FUZZ_CHECK(img->nr_segs > 0 && img->nr_segs <= ELF_MAX_SEGMENTS, "%u segments", img->nr_segs);

    volatile uint8_t sum = 0;
    for (unsigned int i = 0; i < img->nr_segs; i++) {
        const struct elf_segment *s = &img->segs[i];
        FUZZ_CHECK(s->offset <= size && s->filesz <= size - s->offset, "segment %u outside the file", i);
        FUZZ_CHECK(s->filesz <= s->memsz && s->memsz > 0, "segment %u: filesz %#llx memsz %#llx", i,
                   (unsigned long long)s->filesz, (unsigned long long)s->memsz);
        FUZZ_CHECK(s->va >= ks && s->va + s->memsz > s->va && s->va + s->memsz <= ke,
                   "segment %u (%#llx+%#llx) outside the kernel %#llx-%#llx", i, (unsigned long long)s->va,
                   (unsigned long long)s->memsz, (unsigned long long)ks, (unsigned long long)ke);
        for (unsigned int j = 0; j < i; j++) {
            const struct elf_segment *t = &img->segs[j];
            FUZZ_CHECK(s->va >= t->va + t->memsz || t->va >= s->va + s->memsz, "segments %u and %u overlap", j, i);
        }
        for (uint64_t b = 0; b < s->filesz; b++)
            sum += img->data[s->offset + b];            /* the builder's copy, under ASan */
    }
    (void)sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct elf_image img;
    char err[160], small[24];
    uint8_t *copy = malloc(size ? size : 1);
    FUZZ_CHECK(copy, "out of memory");
    memcpy(copy, data, size);

    memset(err, 0x55, sizeof(err));
    int rc = elf_parse(&img, copy, size, err, sizeof(err));
    FUZZ_CHECK(rc == 0 || rc == -1, "elf_parse returned %d", rc);
    if (rc) {
        FUZZ_CHECK(fuzz_terminated(err, sizeof(err)) && err[0], "refused without a reason");
        size_t cut = 1 + size % sizeof(small);
        memset(small, 0x55, sizeof(small));
        FUZZ_CHECK(elf_parse(&img, copy, size, small, cut) == -1, "refused, then accepted");
        FUZZ_CHECK(fuzz_terminated(small, cut) && !strncmp(small, err, cut - 1), "reason cut to %zu bytes: \"%.*s\"",
                   cut, (int)cut, small);
    } else {
        check_accepted(&img, copy, size);
    }
    free(copy);
    return 0;
}
