/*
 * The block benchmark (kernel/bench/blkbench.c, boot option blkbench): the same
 * workload on whichever disk the kernel has, QEMU's virtio-blk natively or as PV
 * dom0, or blkfront in a PV domU (pvdrivers/block/bench_front.c), one
 * BLKBENCH line per figure for bench/run.py.
 */
#ifndef PVGUEST_BLKBENCH_H
#define PVGUEST_BLKBENCH_H

#include <kernel.h>

/* A disk to measure: synchronous I/O that blocks the calling thread, and may be called by many at once. */
struct blkbench_disk {
    const char *setup;          /* "native", "dom0" (PV, virtio-blk itself) or "blkfront" */
    uint64_t sectors;
    /* nsect 512-byte sectors at sector from/into buf (page-aligned; up to 1 MiB): 0 or a negative errno. */
    int (*rw)(bool write, uint64_t sector, void *buf, unsigned int nsect);
};

/*
 * The PV image's blkfront disk (bench_front.c: waits for the vbd to connect),
 * or NULL; the weak default (native image) is NULL.
 */
const struct blkbench_disk *blkbench_front_disk(void);

/* Runs the workload if blkbench= was given (prints BLKBENCH lines); else nothing. False if it failed. */
bool blkbench_run_if_requested(void);

#endif /* PVGUEST_BLKBENCH_H */
