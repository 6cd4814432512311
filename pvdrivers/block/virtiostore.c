/*
 * A blk_store on the real disk: pvguest's virtio-blk driver (dom0 drives the
 * device: PCI through the hypervisor's port emulation, DMA to machine frames).
 * Requests are synchronous and completion is polled, as the driver's own.
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

struct blk_store *blk_virtio_store_create(void)
{
    pci_init();
    if (virtio_blk_probe() || !virtio_blk_get())
        return NULL;
    struct blk_store *s = kzalloc(sizeof(*s));
    if (!s)
        return NULL;
    *s = (struct blk_store){ .sectors = virtio_blk_sectors(virtio_blk_get()), .rw = virtio_store_rw,
                             .flush = virtio_store_flush, .priv = virtio_blk_get() };
    return s;
}
