/*
 * The block benchmark, the same source natively, as PV dom0 (both on QEMU's
 * virtio-blk through pvguest's driver) and in a PV domU (blkfront through
 * dom0's blkback): bench/README.md, "Block". Boot option blkbench (or
 * blkbench=yes; blkbench=small for tests). It runs, in order,
 *
 *   seq_write, seq_read     1 MiB requests, one at a time, over the region
 *   rand_read, rand_write   4 KiB requests at random 4 KiB-aligned places, queue depth 1 and 32
 *
 * on the first BLKBENCH_REGION sectors of the disk. A queue depth of q is q
 * threads, each issuing its share of the requests synchronously, so at most q
 * are in flight; the random places are the same sequence in every setup. Each
 * figure is one line:
 *
 *   BLKBENCH setup=<native|dom0|blkfront> test=<t> bs=<bytes> qd=<q> ios=<n> bytes=<b> ns=<guest ns>
 *            entries=<hypervisor entries> events=<events> [kicks=<doorbells> irqs=<interrupts>]
 *
 * entries and events are the kernel's counters (counters.h) over the run, all
 * CPUs: PV, hypercalls and event-channel upcalls; natively, privileged MMU
 * instructions and interrupts. kicks and irqs are the virtio-blk driver's own
 * (the doorbells rung and the interrupts it took) where it drives the device.
 */
#include <blkbench.h>
#include <cmdline.h>
#include <counters.h>
#include <mm.h>
#include <sched.h>
#include <virtio_blk.h>

#define BLKBENCH_REGION     65536ull        /* sectors: 32 MiB */
#define SEQ_BS              (1u << 20)
#define RAND_BS             4096u
#define MAX_QD              32u

static uint64_t seq_mib, rand_ios;          /* 0: not asked for */

static bool set_blkbench(const char *v)
{
    if (!v || !strcmp(v, "yes"))
        seq_mib = 32, rand_ios = 2048;
    else if (!strcmp(v, "small"))
        seq_mib = 4, rand_ios = 128;
    else
        return false;
    return true;
}
KERNEL_OPTION("blkbench", set_blkbench);

/* ---- the virtio-blk disk (natively and PV dom0) ---- */

static int virtio_rw(bool write, uint64_t sector, void *buf, unsigned int nsect)
{
    struct vblk *b = virtio_blk_get();
    /* buf is page-aligned: seg_max pages a request (the driver refuses more). */
    unsigned int per = virtio_blk_seg_max(b) * (PAGE_SIZE / SECTOR_SIZE);
    for (uint8_t *p = buf; nsect;) {
        unsigned int n = MIN(nsect, per);
        int rc = write ? virtio_blk_write(b, sector, p, n) : virtio_blk_read(b, sector, p, n);
        if (rc)
            return rc;
        sector += n, p += (uint64_t)n * SECTOR_SIZE, nsect -= n;
    }
    return 0;
}

static struct blkbench_disk virtio_disk = { .rw = virtio_rw };

__attribute__((weak)) const struct blkbench_disk *blkbench_front_disk(void) { return NULL; }

/* ---- the workload ---- */

struct worker {
    const struct blkbench_disk *disk;
    bool write, random;
    unsigned int first, stride, count;      /* requests first, first + stride, ... (count of them) */
    unsigned int bs_sectors;
    uint64_t slots;                         /* places of bs_sectors in the region */
    void *buf;
    int rc;
};

/* The place of request i: in order, or a fixed pseudo-random sequence (splitmix64). */
static uint64_t place(const struct worker *w, uint64_t i)
{
    if (!w->random)
        return (i % w->slots) * w->bs_sectors;
    uint64_t z = i + 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return ((z ^ (z >> 31)) % w->slots) * w->bs_sectors;
}

static void worker_main(void *arg)
{
    struct worker *w = arg;
    for (unsigned int k = 0; k < w->count && !w->rc; k++)
        w->rc = w->disk->rw(w->write, place(w, w->first + (uint64_t)k * w->stride), w->buf, w->bs_sectors);
}

static uint64_t *fill_buf(void *buf, size_t bytes)
{
    uint64_t *q = buf;
    for (size_t i = 0; i < bytes / 8; i++)
        q[i] = i * 0x9E3779B97F4A7C15ull;
    return q;
}

/* One figure: ios requests of bs bytes by qd threads. False (and a line saying why) if one failed. */
static bool run(const struct blkbench_disk *disk, const char *test, bool write, bool random, unsigned int bs,
                unsigned int qd, unsigned int ios, void **bufs)
{
    struct worker w[MAX_QD];
    struct thread *t[MAX_QD];
    uint64_t region = MIN(disk->sectors, BLKBENCH_REGION);
    uint64_t kicks0 = 0, saved = 0, irqs0 = 0, sleeps = 0, kicks1 = 0, irqs1 = 0;
    struct vblk *vb = disk == &virtio_disk ? virtio_blk_get() : NULL;
    if (vb) {
        virtio_blk_kicks(vb, &kicks0, &saved);
        virtio_blk_irq_stats(vb, &irqs0, &sleeps);
    }
    uint64_t e0 = counter_total_entries(), ev0 = counter_total_events(), t0 = clock_ns();
    for (unsigned int i = 0; i < qd; i++) {
        w[i] = (struct worker){ .disk = disk, .write = write, .random = random, .first = i, .stride = qd,
                                .count = ios / qd + (i < ios % qd), .bs_sectors = bs / SECTOR_SIZE,
                                .slots = region / (bs / SECTOR_SIZE), .buf = bufs[i] };
        if (!(t[i] = thread_create("blkbench", worker_main, &w[i]))) {
            printk("# blkbench: %s: no thread\n", test);
            while (i--)
                thread_join(t[i]);
            return false;
        }
    }
    int rc = 0;
    for (unsigned int i = 0; i < qd; i++) {
        thread_join(t[i]);
        rc = rc ? rc : w[i].rc;
    }
    uint64_t ns = clock_ns() - t0, entries = counter_total_entries() - e0, events = counter_total_events() - ev0;
    if (rc) {
        printk("# blkbench: %s qd %u failed: %d\n", test, qd, rc);
        return false;
    }
    char extra[80] = "";
    if (vb) {
        virtio_blk_kicks(vb, &kicks1, &saved);
        virtio_blk_irq_stats(vb, &irqs1, &sleeps);
        snprintf(extra, sizeof(extra), " kicks=%llu irqs=%llu", (unsigned long long)(kicks1 - kicks0),
                 (unsigned long long)(irqs1 - irqs0));
    }
    printk("BLKBENCH setup=%s test=%s bs=%u qd=%u ios=%u bytes=%llu ns=%llu entries=%llu events=%llu%s\n",
           disk->setup, test, bs, qd, ios, (unsigned long long)ios * bs, (unsigned long long)ns,
           (unsigned long long)entries, (unsigned long long)events, extra);
    return true;
}

bool blkbench_run_if_requested(void)
{
    if (!seq_mib)
        return true;
    const struct blkbench_disk *disk = blkbench_front_disk();
    if (!disk && virtio_blk_get()) {
        virtio_disk.setup = strcmp(pv_ops.machine->name, "native") ? "dom0" : "native";
        virtio_disk.sectors = virtio_blk_sectors(virtio_blk_get());
        disk = &virtio_disk;
    }
    if (!disk || disk->sectors < RAND_BS / SECTOR_SIZE * MAX_QD || disk->sectors < SEQ_BS / SECTOR_SIZE) {
        printk("# blkbench: no disk to measure (%s)\n", disk ? "too small" : "no virtio-blk device, no vbd");
        return false;
    }
    void *seq = alloc_pages(8), *rnd[MAX_QD];         /* 1 MiB; a page per thread */
    unsigned int got = 0;
    while (got < MAX_QD && (rnd[got] = alloc_page()))
        got++;
    bool ok = seq && got == MAX_QD;
    if (!ok)
        printk("# blkbench: no memory for the buffers\n");
    printk("BLKBENCHINFO setup=%s sectors=%llu region=%llu seq_mib=%llu rand_ios=%llu\n", disk->setup,
           (unsigned long long)disk->sectors, (unsigned long long)MIN(disk->sectors, BLKBENCH_REGION),
           (unsigned long long)seq_mib, (unsigned long long)rand_ios);
    if (ok) {
        fill_buf(seq, SEQ_BS);
        for (unsigned int i = 0; i < MAX_QD; i++)
            fill_buf(rnd[i], RAND_BS);
    }
    unsigned int nseq = (unsigned int)seq_mib, nrand = (unsigned int)rand_ios;
    ok = ok && run(disk, "seq_write", true, false, SEQ_BS, 1, nseq, &seq) &&
         run(disk, "seq_read", false, false, SEQ_BS, 1, nseq, &seq) &&
         run(disk, "rand_read", false, true, RAND_BS, 1, nrand, rnd) &&
         run(disk, "rand_read", false, true, RAND_BS, MAX_QD, nrand, rnd) &&
         run(disk, "rand_write", true, true, RAND_BS, 1, nrand, rnd) &&
         run(disk, "rand_write", true, true, RAND_BS, MAX_QD, nrand, rnd);
    if (seq)
        free_pages(seq, 8);
    while (got--)
        free_pages(rnd[got], 0);
    printk("# blkbench: %s\n", ok ? "done" : "FAILED");
    return ok;
}
