/* What a backend's start of day hands to the arch-neutral kernel. */
#ifndef PVGUEST_BOOT_H
#define PVGUEST_BOOT_H

#include <kernel.h>

#define BOOT_MAX_RANGES 32

struct boot_range {
    uint64_t start_pfn, end_pfn;    /* free and mapped in the direct map: [start, end) */
};

struct boot_params {
    const char *cmdline;
    uint64_t max_pfn;               /* frames of (pseudo-)physical memory */
    struct boot_range free[BOOT_MAX_RANGES];
    unsigned int nr_free;
};

/* kernel/main.c: never returns; ends with pv_ops.machine->shutdown(). */
__noreturn void kernel_main(struct boot_params *bp);

#endif /* PVGUEST_BOOT_H */
