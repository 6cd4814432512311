/*
 * blkfront as the block benchmark's disk (pvguest/kernel/bench/blkbench.c,
 * blkbench= in a PV domU with a vbd): each call is one request on the ring
 * (a 1 MiB one as BLKIF_OP_INDIRECT when the back end offers 256 segments),
 * waited for on its own semaphore, so q callers keep q requests in flight.
 */
#include <blkbench.h>
#include <mm.h>
#include <sched.h>
#include <xen/services.h>
#include <public/io/blkif.h>
#include <block/blkfront.h>

#define READY_NS    (60 * NSEC_PER_SEC)
#define ANSWER_NS   (20 * NSEC_PER_SEC)

struct call {
    struct semaphore done;
    int status;
};

static void call_done(void *arg, int status)
{
    struct call *c = arg;
    c->status = status;
    sem_up(&c->done);
}

static int front_rw(bool write, uint64_t sector, void *buf, unsigned int nsect)
{
    unsigned int per = blkfront_max_sectors();
    for (uint8_t *p = buf; nsect;) {
        unsigned int n = MIN(nsect, per);
        struct call c = { .status = -1 };
        sem_init(&c.done, 0);
        int rc = blkfront_submit(write ? BLKIF_OP_WRITE : BLKIF_OP_READ, sector, p, n, call_done, &c);
        if (rc)
            return rc;
        /* Unanswered: the request still owns c (on this stack), so this thread waits on for good. */
        while (sem_down_timeout(&c.done, ANSWER_NS))
            printk("# blkbench: request at sector %llu unanswered for %llu s\n", (unsigned long long)sector,
                   (unsigned long long)(ANSWER_NS / NSEC_PER_SEC));
        if (c.status != BLKIF_RSP_OKAY)
            return -EIO;
        sector += n, p += (uint64_t)n * 512u, nsect -= n;
    }
    return 0;
}

static struct blkbench_disk front_disk = { .setup = "blkfront", .rw = front_rw };

/* dom0 drives the device itself (it has no vbd of its own): NULL at once. */
const struct blkbench_disk *blkbench_front_disk(void)
{
    if (xenpv_is_dom0())
        return NULL;
    if (!front_disk.sectors)
        front_disk.sectors = blkfront_wait_ready(READY_NS);
    return front_disk.sectors ? &front_disk : NULL;
}
