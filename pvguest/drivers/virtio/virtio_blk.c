/* virtio-blk over the modern PCI transport: negotiation, one request queue, read/write/flush, completion. */
#include <virtio_blk.h>
#include <cmdline.h>
#include <dma.h>
#include <mm.h>
#include <lib/string.h>
#include <sched.h>

/* Device configuration offsets (virtio 1.0, 5.2.4). */
#define BLK_CFG_CAPACITY    0
#define BLK_CFG_SIZE_MAX    8
#define BLK_CFG_SEG_MAX     12
#define BLK_CFG_BLK_SIZE    20

#define VBLK_TIMEOUT_NS     (10 * NSEC_PER_SEC)
#define VBLK_POLL_NS        (10 * NSEC_PER_MSEC)   /* with an interrupt: a sleeper polls this often anyway */

struct vblk_req_hdr {
    uint32_t type;
    uint32_t reserved;
    uint64_t sector;
};
_Static_assert(sizeof(struct vblk_req_hdr) == 16, "virtio_blk_req header is 16 bytes");

/*
 * One request in flight: the header, the status and the indirect table the
 * device reads and writes live here. It is one slab object, and slab
 * objects never cross a page (each slab is one page): so each part is
 * within one frame, which is all a PV domain's device needs (docs/design.md,
 * "DMA from a PV domain").
 */
struct vblk_req {
    struct vblk_req_hdr hdr;
    struct virtq_desc table[VBLK_MAX_SEGS + 2];
    volatile uint8_t status;
    volatile bool done;
    virtio_blk_done_t cb;               /* asynchronous (virtio_blk_submit): run and freed at completion */
    void *cb_arg;
    struct vblk_req *next;              /* virtio_blk_complete's list of callbacks to run */
};
_Static_assert(sizeof(struct vblk_req) <= SLAB_MAX_SIZE, "a request is one slab object");

struct vblk {
    struct virtio_dev vd;
    struct virtq vq;
    uint64_t sectors;
    uint32_t blk_size;
    uint32_t seg_max;                   /* data segments per request we may use */
    bool irq;                           /* INTx attached: waiters sleep on wq, the handler completes */
    struct waitqueue wq;
    uint64_t irqs, sleeps;              /* interrupts taken, waits that slept (virtio_blk_irq_stats) */
    uint64_t irq_done;                  /* requests the interrupt handler completed */
    bool irq_only;                      /* waiters never poll: only the handler completes (virtio_blk_set_irq_only) */
};

static struct vblk the_blk;
static bool probed;

/* The features we offer, named for virtio_blk_off= (comma-separated: the driver then runs without them). */
static const struct { const char *name; unsigned int bit; } vblk_feature_names[] = {
    { "flush", VIRTIO_BLK_F_FLUSH },        { "seg_max", VIRTIO_BLK_F_SEG_MAX },
    { "blk_size", VIRTIO_BLK_F_BLK_SIZE },  { "indirect", VIRTIO_F_INDIRECT_DESC },
    { "event_idx", VIRTIO_F_EVENT_IDX },
};
static uint64_t vblk_off;

static bool set_virtio_blk_off(const char *v)
{
    if (!v)
        return false;
    while (*v) {
        const char *end = strchr(v, ',');
        size_t n = end ? (size_t)(end - v) : strlen(v);
        size_t i = 0;
        while (i < ARRAY_SIZE(vblk_feature_names) &&
               (strlen(vblk_feature_names[i].name) != n || strncmp(vblk_feature_names[i].name, v, n)))
            i++;
        if (i == ARRAY_SIZE(vblk_feature_names))
            return false;
        vblk_off |= 1ull << vblk_feature_names[i].bit;
        v += n + (end != NULL);
    }
    return true;
}
KERNEL_OPTION("virtio_blk_off", set_virtio_blk_off);

struct vblk *virtio_blk_get(void) { return probed ? &the_blk : NULL; }
uint64_t virtio_blk_sectors(const struct vblk *b) { return b->sectors; }
uint32_t virtio_blk_seg_max(const struct vblk *b) { return b->seg_max; }
uint32_t virtio_blk_block_size(const struct vblk *b) { return b->blk_size; }
uint64_t virtio_blk_features(const struct vblk *b) { return b->vd.features; }

bool virtio_blk_set_irq_only(struct vblk *b, bool on)
{
    b->irq_only = on && b->irq;
    return b->irq_only;
}

uint64_t virtio_blk_irq_completed(const struct vblk *b)
{
    return READ_ONCE(b->irq_done);
}

bool virtio_blk_irq_stats(const struct vblk *b, uint64_t *irqs, uint64_t *sleeps)
{
    *irqs = READ_ONCE(b->irqs);
    *sleeps = READ_ONCE(b->sleeps);
    return b->irq;
}

/* INTx: reading the ISR status acknowledges it (the line drops), then what the device finished completes. */
static void vblk_interrupt(void *arg)
{
    struct vblk *b = arg;
    uint8_t isr = *b->vd.isr;
    (void)isr;
    b->irqs++;
    b->irq_done += virtio_blk_complete(b);
}

int virtio_blk_probe(void)
{
    struct pci_dev *pci = pci_find(VIRTIO_VENDOR, VIRTIO_PCI_DEVICE(VIRTIO_ID_BLOCK), 0);
    if (!pci)
        return -ENOENT;
    if (probed)
        return 0;
    struct vblk *b = &the_blk;
    uint64_t wanted = 0;
    for (size_t i = 0; i < ARRAY_SIZE(vblk_feature_names); i++)
        wanted |= 1ull << vblk_feature_names[i].bit;
    wanted &= ~vblk_off;
    int rc = virtio_pci_init(&b->vd, pci, wanted);
    if (rc)
        return rc;
    b->sectors = virtio_cfg_read64(&b->vd, BLK_CFG_CAPACITY);
    b->blk_size = virtio_has(&b->vd, VIRTIO_BLK_F_BLK_SIZE) ? virtio_cfg_read32(&b->vd, BLK_CFG_BLK_SIZE) : SECTOR_SIZE;
    if (b->blk_size < SECTOR_SIZE || (b->blk_size & (b->blk_size - 1)))
        b->blk_size = SECTOR_SIZE;
    b->seg_max = VBLK_MAX_SEGS;
    if (virtio_has(&b->vd, VIRTIO_BLK_F_SEG_MAX)) {
        uint32_t m = virtio_cfg_read32(&b->vd, BLK_CFG_SEG_MAX);
        if (m >= 1 && m < b->seg_max)
            b->seg_max = m;
    }
    rc = virtio_queue_init(&b->vd, &b->vq, 0);
    if (rc) {
        warn("virtio-blk: no request queue (%d)", rc);
        virtio_reset(&b->vd);
        return rc;
    }
    virtio_driver_ok(&b->vd);
    wq_init(&b->wq);
    b->irq = pci_irq_attach(pci, vblk_interrupt, b) == 0;      /* else completion is polled */
    probed = true;
    printk("virtio-blk: %02x:%02x.%u %llu sectors (%llu KiB), block %u, features %#llx%s%s%s%s%s, queue of %u, %u segments\n",
           pci->bus, pci->dev, pci->fn, (unsigned long long)b->sectors, (unsigned long long)(b->sectors / 2),
           b->blk_size, (unsigned long long)b->vd.features,
           virtio_has(&b->vd, VIRTIO_BLK_F_FLUSH) ? " flush" : "",
           virtio_has(&b->vd, VIRTIO_BLK_F_SEG_MAX) ? " seg_max" : "",
           virtio_has(&b->vd, VIRTIO_BLK_F_BLK_SIZE) ? " blk_size" : "",
           virtio_has(&b->vd, VIRTIO_F_INDIRECT_DESC) ? " indirect_desc" : "",
           virtio_has(&b->vd, VIRTIO_F_EVENT_IDX) ? " event_idx" : "", b->vq.size, b->seg_max);
    return 0;
}

static int vblk_status(uint8_t status)
{
    return status == VIRTIO_BLK_S_OK ? 0 : status == VIRTIO_BLK_S_UNSUPP ? -ENOSYS : -EIO;
}

unsigned int virtio_blk_complete(struct vblk *b)
{
    unsigned int n = 0;
    struct vblk_req *cbs = NULL;
    unsigned long f = spin_lock_irqsave(&b->vq.lock);
    for (struct vblk_req *r; (r = virtq_get_used(&b->vq, NULL)) != NULL; n++) {
        if (r->cb) {
            r->next = cbs;
            cbs = r;
        } else {
            WRITE_ONCE(r->done, true);
        }
    }
    spin_unlock_irqrestore(&b->vq.lock, f);
    /* Callbacks outside the queue's lock: they may submit again. */
    for (struct vblk_req *r = cbs, *next; r; r = next) {
        next = r->next;
        virtio_blk_done_t cb = r->cb;
        void *arg = r->cb_arg;
        int st = vblk_status(r->status);
        kfree(r);
        cb(arg, st);
    }
    if (n && b->irq)
        wake_up_all(&b->wq);
    return n;
}

/*
 * Waits a little for r: with an interrupt attached (and a thread that may
 * sleep), on b->wq until the handler completes r or VBLK_POLL_NS pass (a lost
 * interrupt costs latency, not the request); else one spin.
 */
static bool vblk_can_sleep(const struct vblk *b)
{
    return b->irq && !preempt_count() && irqs_enabled();
}

static void vblk_wait(struct vblk *b, struct vblk_req *r)
{
    if (!vblk_can_sleep(b)) {
        cpu_relax();
        return;
    }
    uint64_t until = clock_ns() + (b->irq_only ? VBLK_TIMEOUT_NS : VBLK_POLL_NS);
    unsigned long f = sched_lock_irqsave();
    if (!READ_ONCE(r->done)) {
        b->sleeps++;
        wq_wait_until(&b->wq, until);
    }
    sched_unlock_irqrestore(f);
}

/*
 * Queues r (header filled) with n data segments (machine addresses) and its
 * status byte: indirect when the device takes it. A full queue is waited
 * out, completing what the device finished meanwhile. 0 or a negative error.
 */
static int vblk_queue(struct vblk *b, struct vblk_req *r, const uint64_t *seg_addr, const uint32_t *seg_len,
                      unsigned int nseg)
{
    uint64_t addr[VBLK_MAX_SEGS + 2];
    uint32_t len[VBLK_MAX_SEGS + 2];
    if (nseg > b->seg_max)
        return -EINVAL;
    unsigned int n = 0;
    addr[n] = dma_addr_of(&r->hdr), len[n++] = sizeof(r->hdr);
    for (unsigned int i = 0; i < nseg; i++)
        addr[n] = seg_addr[i], len[n++] = seg_len[i];
    addr[n] = dma_addr_of((const void *)&r->status), len[n++] = 1;
    unsigned int nwrite = r->hdr.type == VIRTIO_BLK_T_IN ? n - 1 : 1;
    bool indirect = virtio_has(&b->vd, VIRTIO_F_INDIRECT_DESC) && n > 1;
    unsigned long f = spin_lock_irqsave(&b->vq.lock);
    int rc;
    while ((rc = indirect ? virtq_add_indirect(&b->vq, r->table, dma_addr_of(r->table), addr, len, n, nwrite, r)
                          : virtq_add(&b->vq, addr, len, n, nwrite, r)) == -ENOSPC) {
        spin_unlock_irqrestore(&b->vq.lock, f);
        virtio_blk_poll(b);
        cpu_relax();
        f = spin_lock_irqsave(&b->vq.lock);
    }
    if (rc == 0)
        virtq_kick(&b->vq);
    spin_unlock_irqrestore(&b->vq.lock, f);
    return rc;
}

static struct vblk_req *vblk_req_new(uint32_t type, uint64_t sector)
{
    struct vblk_req *r = kzalloc(sizeof(*r));
    if (r) {
        r->hdr.type = type;
        r->hdr.sector = type == VIRTIO_BLK_T_FLUSH ? 0 : sector;
        r->status = 0xff;
    }
    return r;
}

unsigned int virtio_blk_poll(struct vblk *b)
{
    return b->irq_only && vblk_can_sleep(b) ? 0 : virtio_blk_complete(b);
}

int virtio_blk_submit(struct vblk *b, bool write, uint64_t sector, const uint64_t *addr, const uint32_t *len,
                      unsigned int nseg, virtio_blk_done_t done, void *arg)
{
    uint64_t bytes = 0;
    for (unsigned int i = 0; i < nseg; i++) {
        if (!len[i] || len[i] % SECTOR_SIZE || (addr[i] & (PAGE_SIZE - 1)) + len[i] > PAGE_SIZE)
            return -EINVAL;
        bytes += len[i];
    }
    uint64_t nsect = bytes / SECTOR_SIZE;
    if (!nseg || !done || sector > b->sectors || nsect > b->sectors - sector)
        return -EINVAL;
    struct vblk_req *r = vblk_req_new(write ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN, sector);
    if (!r)
        return -ENOMEM;
    r->cb = done;
    r->cb_arg = arg;
    int rc = vblk_queue(b, r, addr, len, nseg);
    if (rc)
        kfree(r);
    return rc;
}

/* Builds header + data segments + status, submits, polls until done. */
static int vblk_submit(struct vblk *b, uint32_t type, uint64_t sector, void *buf, uint32_t nsect)
{
    if (type != VIRTIO_BLK_T_FLUSH && (nsect == 0 || sector > b->sectors || nsect > b->sectors - sector))
        return -EINVAL;
    uint64_t addr[VBLK_MAX_SEGS];
    uint32_t len[VBLK_MAX_SEGS];
    unsigned int n = 0;
    /* Data, split where a page ends (machine frames need not be contiguous in a PV domain). */
    uint8_t *p = buf;
    for (uint64_t left = (uint64_t)nsect * SECTOR_SIZE; left && type != VIRTIO_BLK_T_FLUSH;) {
        if (n == b->seg_max)
            return -EINVAL;
        uint64_t chunk = MIN(left, PAGE_SIZE - ((uint64_t)p & (PAGE_SIZE - 1)));
        addr[n] = dma_addr_of(p), len[n++] = (uint32_t)chunk;
        p += chunk, left -= chunk;
    }
    struct vblk_req *r = vblk_req_new(type, sector);
    if (!r)
        return -ENOMEM;
    int rc = vblk_queue(b, r, addr, len, n);
    if (rc) {
        kfree(r);
        return rc;
    }
    /* A device that never answers is reported, and the request left to it (not freed: it may still write). */
    uint64_t deadline = clock_ns() + VBLK_TIMEOUT_NS;
    while (!READ_ONCE(r->done)) {
        if ((!b->irq_only || !vblk_can_sleep(b)) && virtio_blk_complete(b))
            continue;
        if (clock_ns() > deadline) {
            warn("virtio-blk: request type %u at sector %llu unanswered after %llu s", type,
                 (unsigned long long)sector, (unsigned long long)(VBLK_TIMEOUT_NS / NSEC_PER_SEC));
            return -ETIMEDOUT;
        }
        vblk_wait(b, r);
    }
    uint8_t status = r->status;
    kfree(r);
    return vblk_status(status);
}

int virtio_blk_read(struct vblk *b, uint64_t sector, void *buf, uint32_t nsect)
{
    return vblk_submit(b, VIRTIO_BLK_T_IN, sector, buf, nsect);
}

int virtio_blk_write(struct vblk *b, uint64_t sector, const void *buf, uint32_t nsect)
{
    return vblk_submit(b, VIRTIO_BLK_T_OUT, sector, (void *)buf, nsect);
}

void virtio_blk_kicks(struct vblk *b, uint64_t *kicks, uint64_t *saved)
{
    unsigned long f = spin_lock_irqsave(&b->vq.lock);
    *kicks = b->vq.nr_kicks;
    *saved = b->vq.nr_kicks_saved;
    spin_unlock_irqrestore(&b->vq.lock, f);
}

int virtio_blk_flush(struct vblk *b)
{
    return virtio_has(&b->vd, VIRTIO_BLK_F_FLUSH) ? vblk_submit(b, VIRTIO_BLK_T_FLUSH, 0, NULL, 0) : 0;
}
