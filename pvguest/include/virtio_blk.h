/* The virtio-blk driver (drivers/virtio/virtio_blk.c): one request queue, completion by polling or from an interrupt. */
#ifndef PVGUEST_VIRTIO_BLK_H
#define PVGUEST_VIRTIO_BLK_H

#include <virtio.h>

#define VIRTIO_ID_BLOCK         2
#define VIRTIO_BLK_F_SIZE_MAX   1
#define VIRTIO_BLK_F_SEG_MAX    2
#define VIRTIO_BLK_F_BLK_SIZE   6
#define VIRTIO_BLK_F_FLUSH      9

#define VIRTIO_BLK_T_IN         0
#define VIRTIO_BLK_T_OUT        1
#define VIRTIO_BLK_T_FLUSH      4
#define VIRTIO_BLK_S_OK         0
#define VIRTIO_BLK_S_IOERR      1
#define VIRTIO_BLK_S_UNSUPP     2

#define SECTOR_SIZE             512u
#define VBLK_MAX_SEGS           16u         /* data buffers per request (each within one page) */

struct vblk;

/*
 * Probes the first virtio-blk function PCI found (once; again: 0 at once);
 * 0 or a negative error. Offers FLUSH, SEG_MAX, BLK_SIZE, INDIRECT_DESC and
 * EVENT_IDX less those named by the kernel option virtio_blk_off=
 * (flush,seg_max,blk_size,indirect,event_idx) and runs with whatever subset
 * the device accepts.
 */
int virtio_blk_probe(void);
/* The device probed, or NULL (no device, or it failed). */
struct vblk *virtio_blk_get(void);
uint64_t virtio_blk_sectors(const struct vblk *b);
/* Data segments one request may carry (each within a page): a longer buffer is refused (-EINVAL). */
uint32_t virtio_blk_seg_max(const struct vblk *b);
uint32_t virtio_blk_block_size(const struct vblk *b);
uint64_t virtio_blk_features(const struct vblk *b);

/*
 * Synchronous I/O of nsect sectors at sector from/into buf (direct-map
 * memory; split at page boundaries into segments). 0, -EIO if the device
 * said so, -EINVAL for a range past the end or too many segments,
 * -ETIMEDOUT if the device has not answered in 10 s.
 */
int virtio_blk_read(struct vblk *b, uint64_t sector, void *buf, uint32_t nsect);
int virtio_blk_write(struct vblk *b, uint64_t sector, const void *buf, uint32_t nsect);
/*
 * Asynchronous I/O: nseg (1..seg_max) segments of machine addresses addr[]
 * and lengths len[] (whole sectors, each within one page) from or into the
 * disk at sector, queued at once (a full queue is waited out); done(arg, 0 /
 * -EIO / -ENOSYS) runs once the device answers, from whoever completes it
 * (the interrupt handler or a poller: it must not sleep). 0 once queued, or
 * -EINVAL / -ENOMEM (done never runs).
 */
typedef void (*virtio_blk_done_t)(void *arg, int status);
int virtio_blk_submit(struct vblk *b, bool write, uint64_t sector, const uint64_t *addr, const uint32_t *len,
                      unsigned int nseg, virtio_blk_done_t done, void *arg);
/* Makes every completed write durable; 0 also when the device has no FLUSH (its cache is write-through). */
int virtio_blk_flush(struct vblk *b);
/*
 * Completes what the device finished and wakes the waiters: the interrupt
 * handler calls it (INTx, pci_irq_attach), and the waiting loop too (the
 * polling fallback). Returns the number of requests completed.
 */
unsigned int virtio_blk_complete(struct vblk *b);
/*
 * virtio_blk_complete for a poller that is not the interrupt handler (a
 * back end's thread, a full queue's submitter): nothing while the
 * interrupt-only test mode asks that only the handler complete requests.
 */
unsigned int virtio_blk_poll(struct vblk *b);
/* Doorbells rung so far, and those skipped because the device asked not to be kicked. */
void virtio_blk_kicks(struct vblk *b, uint64_t *kicks, uint64_t *saved);
/* Interrupts taken and waits that slept so far; true when an interrupt is attached. */
bool virtio_blk_irq_stats(const struct vblk *b, uint64_t *irqs, uint64_t *sleeps);
/* Tests: with on, waiters only sleep and the interrupt handler alone completes requests (false if no interrupt). */
bool virtio_blk_set_irq_only(struct vblk *b, bool on);
uint64_t virtio_blk_irq_completed(const struct vblk *b);  /* requests completed by the handler so far */

#endif /* PVGUEST_VIRTIO_BLK_H */
