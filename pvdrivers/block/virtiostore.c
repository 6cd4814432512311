/*
 * A blk_store on the real disk: pvguest's virtio-blk driver (dom0 drives the
 * device: PCI through the hypervisor's port emulation, DMA to machine frames).
 * rw is synchronous (the driver's own wait); submit queues a request's
 * segments (guests' frames, device-mapped by blkback) as one or more device
 * requests of up to seg_max segments and reports when the last is answered.
 */
#include <mm.h>
#include <pci.h>
#include <virtio_blk.h>
#include <block/blk_store.h>

_Static_assert(BLK_SECTOR_SIZE == SECTOR_SIZE, "blkif and virtio-blk sectors are both 512 bytes");

static int virtio_store_rw(struct blk_store *s, bool write, uint64_t sector, void *buf, unsigned int nsect)
{
    struct vblk *b = s->priv;
    if (sector > s->sectors || nsect > s->sectors - sector)
        return -EINVAL;
    /* blkback hands over up to a batch of pages at once: as many requests as the device's seg_max needs. */
    uint8_t *p = buf;
    while (nsect) {
        uint64_t fits = PAGE_SIZE - ((uintptr_t)p & (PAGE_SIZE - 1)) + (virtio_blk_seg_max(b) - 1ull) * PAGE_SIZE;
        unsigned int n = (unsigned int)MIN((uint64_t)nsect, fits / SECTOR_SIZE);
        int rc = write ? virtio_blk_write(b, sector, p, n) : virtio_blk_read(b, sector, p, n);
        if (rc)
            return rc;
        sector += n, p += (uint64_t)n * SECTOR_SIZE, nsect -= n;
    }
    return 0;
}

static int virtio_store_flush(struct blk_store *s)
{
    return virtio_blk_flush(s->priv);
}

/* A submit split into device requests: done runs when the last of them (and the submitter) lets go. */
struct split {
    int remaining;                  /* device requests not answered, plus one while still submitting */
    int status;                     /* the first failure */
    void (*done)(void *arg, int status);
    void *arg;
};

static void split_put(struct split *sp, int status)
{
    if (status)
        __atomic_compare_exchange_n(&sp->status, &(int){ 0 }, status, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
    if (__atomic_sub_fetch(&sp->remaining, 1, __ATOMIC_ACQ_REL) == 0) {
        void (*done)(void *, int) = sp->done;
        void *arg = sp->arg;
        int st = __atomic_load_n(&sp->status, __ATOMIC_RELAXED);
        kfree(sp);
        done(arg, st);
    }
}

static void split_part_done(void *arg, int status)
{
    split_put(arg, status);
}

static int virtio_store_submit(struct blk_store *s, bool write, uint64_t sector, const uint64_t *maddr,
                               const uint32_t *len, unsigned int n, void (*done)(void *, int), void *arg)
{
    struct vblk *b = s->priv;
    uint64_t bytes = 0;
    for (unsigned int i = 0; i < n; i++)
        bytes += len[i];
    if (!n || bytes % SECTOR_SIZE || sector > s->sectors || bytes / SECTOR_SIZE > s->sectors - sector)
        return -EINVAL;
    struct split *sp = kzalloc(sizeof(*sp));
    if (!sp)
        return -ENOMEM;
    unsigned int per = virtio_blk_seg_max(b);
    *sp = (struct split){ .remaining = 1 + (int)((n + per - 1) / per), .done = done, .arg = arg };
    for (unsigned int at = 0; at < n; at += per) {
        unsigned int k = MIN(n - at, per);
        int rc = virtio_blk_submit(b, write, sector, maddr + at, len + at, k, split_part_done, sp);
        if (rc)
            split_put(sp, rc);      /* that part will never be answered */
        for (unsigned int i = 0; i < k; i++)
            sector += len[at + i] / SECTOR_SIZE;
    }
    split_put(sp, 0);               /* the submitter's hold */
    return 0;
}

static void virtio_store_poll(struct blk_store *s)
{
    virtio_blk_poll(s->priv);
}

struct blk_store *blk_virtio_store_create(void)
{
    pci_init();
    if (virtio_blk_probe() || !virtio_blk_get())
        return NULL;
    struct blk_store *s = kzalloc(sizeof(*s));
    if (!s)
        return NULL;
    *s = (struct blk_store){ .sectors = virtio_blk_sectors(virtio_blk_get()), .rw = virtio_store_rw,
                             .flush = virtio_store_flush, .submit = virtio_store_submit,
                             .poll = virtio_store_poll, .priv = virtio_blk_get() };
    return s;
}
