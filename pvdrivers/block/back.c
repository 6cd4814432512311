/*
 * blkback (dom0): serves each vbd's requests from an extent of the store:
 * the RAM store (blkram=<sectors> makes it) or the real disk (blkdisk=virtio:
 * the first virtio-blk device); the toolstack's extent=<start>+<count> key says
 * which part a guest sees. Every request (and an indirect request's segment
 * pages) is copied out of the guest once and checked (blkif_check.c). READ,
 * WRITE, FLUSH_DISKCACHE, DISCARD (the store's hook) and INDIRECT (up to 256
 * segments). blkbounce=<n> (tests) closes and reopens each vbd every n requests.
 *
 * Data moves one of two ways. A store that can queue I/O (the real disk:
 * blk_store.submit) gets the guest's own frames: a read or write's segments
 * are grant-mapped for the device (GNTMAP_device_map, read-only for a write),
 * handed to the disk as machine addresses, and unmapped when it answers; up
 * to the ring's 32 requests of a vbd are at the device at once, each answered
 * as it completes (zero copy, and the device sees the guest's queue depth).
 * Otherwise (the RAM store) segments are grant-copied through bounce pages
 * and the request served synchronously.
 */
#include <cmdline.h>
#include <mm.h>
#include <sched.h>
#include <spinlock.h>
#include <xen/services.h>
#include <xenbus/xenbus.h>
#include <pvd/ring.h>
#include <public/grant_table.h>
#include <block/blk_store.h>
#include <block/blkback.h>
#include <block/blkif_check.h>

#define MAX_VBDS   8
#define BATCH      BLKIF_RING_SIZE          /* requests a device is served a round before the next device */
#define IDLE_NS    (100 * NSEC_PER_MSEC)
#define MAX_INDIRECT 256u                   /* feature-max-indirect-segments: 1 MiB a request, one indirect page */
#define BOUNCE_ORDER 5
#define BOUNCE_PAGES (1u << BOUNCE_ORDER)   /* segments moved per grant-copy batch (a request in chunks) */
#define BOUNCE_GONE_NS (300 * NSEC_PER_MSEC) /* blkbounce: how long the back end stays away */
_Static_assert(BOUNCE_PAGES >= BLKIF_MAX_SEGMENTS_PER_REQUEST, "a direct request in one batch");
_Static_assert(MAX_INDIRECT <= BLKIF_SEGS_PER_INDIRECT_PAGE, "one indirect page");

#define ASYNC_QUEUED 1                      /* handle()'s answer for a request the store will complete later */
#define DRAIN_NS (10 * NSEC_PER_SEC)        /* a device that keeps a vbd's requests longer is reported */
#define POLL_NS  NSEC_PER_MSEC              /* with requests at the device: its interrupt is not waited for longer */

/* A request at the device (a submit store), its segments mapped for it: one page each, BLKIF_RING_SIZE a vbd. */
struct inflight {
    struct vbd *v;
    uint64_t id;
    uint8_t op;
    int status;                             /* the store's answer */
    unsigned int nseg;
    struct inflight *next;                  /* on the completed list, or the vbd's free list */
    grant_handle_t handle[MAX_INDIRECT];
    uint64_t maddr[MAX_INDIRECT];           /* each segment's frame, for the device and the unmap */
};
_Static_assert(sizeof(struct inflight) <= 4096, "an inflight record is a page");

struct vbd {
    struct xenbus_device *dev;
    uint64_t start, sectors;                /* the guest's extent of the store */
    struct pvd_ring ring;
    struct xenpv_grant_map map;
    evtchn_port_t port;
    bool connected;
    bool bounce_due;                        /* blkbounce: served enough this connection */
    bool answered;                          /* responses written since the last push */
    unsigned int inflight;                  /* requests at the device */
    uint64_t served, errors, since_connect, bounces;
};

static uint64_t store_sectors;
static bool store_virtio;                   /* blkdisk=virtio */
static struct blk_store *store;
static struct vbd *vbds[MAX_VBDS];
static struct semaphore vbds_lock;          /* the table and each vbd's connection against the serving thread */
static struct semaphore kick;
static uint8_t *bounce;                     /* BOUNCE_PAGES pages: segment i of a batch in page i */
static struct gnttab_copy ops[BOUNCE_PAGES];
static struct blkif_request_segment *iseg;  /* an indirect request's segments, copied once (a page) */
static struct blkif_caps caps;
static uint64_t bounce_every;               /* blkbounce=<n>: 0 = never */
#define INFLIGHT_POOL (2 * BLKIF_RING_SIZE)  /* records, taken at boot: two vbds' full rings at the device */
static struct inflight *pool;               /* free records (vbds_lock); none free: served through bounce pages */
static spinlock_t done_lock;                /* completed: the store's callbacks run in interrupt handlers */
static struct inflight *completed;
static grant_ref_t sub_ref[MAX_INDIRECT];   /* the segment list being submitted (the serving thread's) */
static uint64_t sub_addr[MAX_INDIRECT];
static uint32_t sub_len[MAX_INDIRECT];

static bool parse_u64(const char **p, uint64_t *out)
{
    uint64_t v = 0;
    const char *s = *p;
    if (*s < '0' || *s > '9')
        return false;
    for (; *s >= '0' && *s <= '9'; s++) {
        if (v > (UINT64_MAX - 9) / 10)
            return false;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *p = s;
    *out = v;
    return true;
}

static bool set_blkram(const char *v)
{
    return v && parse_u64(&v, &store_sectors) && !*v;
}
KERNEL_OPTION("blkram", set_blkram);

static bool set_blkbounce(const char *v)
{
    return v && parse_u64(&v, &bounce_every) && !*v;
}
KERNEL_OPTION("blkbounce", set_blkbounce);

static bool set_blkdisk(const char *v)
{
    store_virtio = v && !strcmp(v, "virtio");
    return store_virtio || (v && !strcmp(v, "ram"));
}
KERNEL_OPTION("blkdisk", set_blkdisk);

static void back_kick(void *arg)
{
    (void)arg;
    sem_up(&kick);
}

/* Moves n (<= BOUNCE_PAGES) segments between the guest's pages and the bounce pages (to_guest: a read). */
static int copy_segments(const struct vbd *v, const struct blkif_request_segment *seg, unsigned int n, bool to_guest)
{
    for (unsigned int i = 0; i < n; i++) {
        const struct blkif_request_segment *s = &seg[i];
        struct gnttab_copy_ptr guest = { .u.ref = s->gref, .domid = (domid_t)v->dev->otherend_id,
                                         .offset = (uint16_t)(s->first_sect * BLK_SECTOR_SIZE) };
        struct gnttab_copy_ptr mine = { .u.gmfn = xenpv_virt_to_mfn(bounce + i * PAGE_SIZE), .domid = DOMID_SELF,
                                        .offset = guest.offset };
        ops[i] = (struct gnttab_copy){ .source = to_guest ? mine : guest, .dest = to_guest ? guest : mine,
                                       .len = (uint16_t)((s->last_sect - s->first_sect + 1) * BLK_SECTOR_SIZE),
                                       .flags = to_guest ? GNTCOPY_dest_gref : GNTCOPY_source_gref };
    }
    return xenpv_grant_copy(ops, n);
}

/* The store side of n checked segments from the extent's sector on (a bounce page each). */
static int store_segments(const struct vbd *v, const struct blkif_request_segment *seg, unsigned int n,
                          uint64_t sector, bool write)
{
    sector += v->start;
    for (unsigned int i = 0; i < n;) {
        /* A run of segments that meet at page boundaries is contiguous in the bounce pages: one store call. */
        const struct blkif_request_segment *s = &seg[i];
        unsigned int nsect = s->last_sect - s->first_sect + 1u, j = i + 1;
        while (j < n && seg[j - 1].last_sect == PAGE_SIZE / BLK_SECTOR_SIZE - 1 && seg[j].first_sect == 0)
            nsect += seg[j].last_sect + 1u, j++;
        int rc = store->rw(store, write, sector, bounce + i * PAGE_SIZE + s->first_sect * BLK_SECTOR_SIZE, nsect);
        if (rc)
            return rc;
        sector += nsect;
        i = j;
    }
    return 0;
}

/* A checked read or write of n segments, in batches of BOUNCE_PAGES: guest -> bounce -> store, or back. */
static int16_t transfer(const struct vbd *v, const struct blkif_request_segment *seg, unsigned int n,
                        uint64_t sector, bool write)
{
    while (n) {
        unsigned int k = n < BOUNCE_PAGES ? n : BOUNCE_PAGES;
        if (write ? copy_segments(v, seg, k, false) || store_segments(v, seg, k, sector, true)
                  : store_segments(v, seg, k, sector, false) || copy_segments(v, seg, k, true))
            return BLKIF_RSP_ERROR;
        for (unsigned int i = 0; i < k; i++)
            sector += seg[i].last_sect - seg[i].first_sect + 1u;
        seg += k;
        n -= k;
    }
    return BLKIF_RSP_OKAY;
}

/* The store answered an inflight request (any context): onto the completed list for the serving thread. */
static void io_done(void *arg, int status)
{
    struct inflight *r = arg;
    r->status = status;
    unsigned long f = spin_lock_irqsave(&done_lock);
    r->next = completed;
    completed = r;
    spin_unlock_irqrestore(&done_lock, f);
    sem_up(&kick);
}

/*
 * A checked read or write queued at a submit store: the guest's frames
 * mapped for the device, handed over, ASYNC_QUEUED; or BLKIF_RSP_ERROR with
 * nothing left mapped.
 */
static int16_t submit(struct vbd *v, uint64_t id, uint8_t op, const struct blkif_request_segment *seg,
                      unsigned int n, uint64_t sector, bool write)
{
    struct inflight *r = pool;
    if (!r)                                 /* every record at the device: this one the slow way */
        return transfer(v, seg, n, sector, write);
    for (unsigned int i = 0; i < n; i++)
        sub_ref[i] = seg[i].gref;
    if (xenpv_grant_map_dev((domid_t)v->dev->otherend_id, sub_ref, n, write, r->handle, r->maddr))
        return BLKIF_RSP_ERROR;
    if (xenbus_fault_trigger_take()) {
        /* The debug trigger (xenbus/control.c): die here, the guest's frames mapped, the request unanswered. */
        printk("blkback: control/trigger: faulting in the middle of domain %u's request %llu\n",
               v->dev->otherend_id, (unsigned long long)id);
        volatile uintptr_t nowhere = 16;        /* page 0 is never mapped: a page fault, the kernel's panic */
        *(volatile uint64_t *)nowhere = id;
    }
    for (unsigned int i = 0; i < n; i++) {
        sub_addr[i] = r->maddr[i] + seg[i].first_sect * BLK_SECTOR_SIZE;
        sub_len[i] = (seg[i].last_sect - seg[i].first_sect + 1u) * BLK_SECTOR_SIZE;
    }
    pool = r->next;
    r->v = v, r->id = id, r->op = op, r->nseg = n, r->status = 0;   /* handle[] and maddr[] just filled */
    if (store->submit(store, write, v->start + sector, sub_addr, sub_len, n, io_done, r)) {
        xenpv_grant_unmap_dev(r->handle, r->maddr, n);
        r->next = pool;
        pool = r;
        return BLKIF_RSP_ERROR;
    }
    v->inflight++;
    return ASYNC_QUEUED;
}

/* Answers what the store completed (vbds_lock held): grants unmapped, responses written. */
static void reap(void)
{
    unsigned long f = spin_lock_irqsave(&done_lock);
    struct inflight *list = completed;
    completed = NULL;
    spin_unlock_irqrestore(&done_lock, f);
    for (struct inflight *r = list, *next; r; r = next) {
        next = r->next;
        struct vbd *v = r->v;
        if (xenpv_grant_unmap_dev(r->handle, r->maddr, r->nseg))
            printk("blkback: domain %u: unmapping a request's %u segments failed\n", v->dev->otherend_id, r->nseg);
        if (v->connected) {                 /* a released ring takes no more answers */
            struct blkif_response *p = pvd_ring_back_next_response(&v->ring);
            *p = (struct blkif_response){ .id = r->id, .operation = r->op,
                                          .status = r->status ? BLKIF_RSP_ERROR : BLKIF_RSP_OKAY };
            v->answered = true;
        }
        v->served++;
        v->errors += r->status != 0;
        v->inflight--;
        r->next = pool;
        pool = r;
    }
}

/* Waits (vbds_lock held) until the store has answered every request of v: before a flush, or letting go of it. */
static void drain(struct vbd *v)
{
    uint64_t deadline = clock_ns() + DRAIN_NS;
    while (v->inflight && clock_ns() < deadline) {
        store->poll(store);
        reap();
        if (v->inflight)
            thread_sleep_ns(NSEC_PER_MSEC / 10);
    }
    if (v->inflight)
        printk("blkback: domain %u: %u requests still at the device after %llu s\n", v->dev->otherend_id,
               v->inflight, (unsigned long long)(DRAIN_NS / NSEC_PER_SEC));
}

/* An indirect request (header checked): its segment pages copied once into iseg, checked, then moved. */
static int16_t handle_indirect(struct vbd *v, uint64_t id, const struct blkif_request_indirect *ind)
{
    unsigned int n = ind->nr_segments;      /* 1..MAX_INDIRECT: one page */
    struct gnttab_copy op = {
        .source = { .u.ref = ind->indirect_grefs[0], .domid = (domid_t)v->dev->otherend_id },
        .dest = { .u.gmfn = xenpv_virt_to_mfn(iseg), .domid = DOMID_SELF },
        .len = (uint16_t)(n * sizeof(struct blkif_request_segment)), .flags = GNTCOPY_source_gref };
    uint64_t nsect;
    if (xenpv_grant_copy(&op, 1) ||
        blkif_check_segments(iseg, n, ind->sector_number, v->sectors, &nsect) != BLKIF_RSP_OKAY)
        return BLKIF_RSP_ERROR;
    bool write = ind->indirect_op == BLKIF_OP_WRITE;
    return store->submit ? submit(v, id, BLKIF_OP_INDIRECT, iseg, n, ind->sector_number, write)
                         : transfer(v, iseg, n, ind->sector_number, write);
}

/* A request: BLKIF_RSP_* when served here and now, ASYNC_QUEUED when the store answers later (reap). */
static int16_t handle(struct vbd *v, const struct blkif_request *q)
{
    uint64_t nsect;
    int st = blkif_check_request(q, v->sectors, &caps, &nsect);
    if (st != BLKIF_RSP_OKAY)
        return (int16_t)st;
    switch (q->operation) {
    case BLKIF_OP_FLUSH_DISKCACHE:
        drain(v);                           /* the writes answered before it are the ones it makes durable */
        return store->flush(store) ? BLKIF_RSP_ERROR : BLKIF_RSP_OKAY;
    case BLKIF_OP_DISCARD: {
        struct blkif_request_discard d;
        memcpy(&d, q, sizeof(d));
        drain(v);
        return store->discard(store, v->start + d.sector_number, nsect) ? BLKIF_RSP_ERROR : BLKIF_RSP_OKAY;
    }
    case BLKIF_OP_INDIRECT: {
        struct blkif_request_indirect ind;
        memcpy(&ind, q, sizeof(ind));
        return handle_indirect(v, q->id, &ind);
    }
    default: {
        bool write = q->operation == BLKIF_OP_WRITE;
        return store->submit ? submit(v, q->id, q->operation, q->seg, q->nr_segments, q->sector_number, write)
                             : transfer(v, q->seg, q->nr_segments, q->sector_number, write);
    }
    }
}

/* One round for one device: true if it had requests. */
static bool serve(struct vbd *v)
{
    union blkif_sring_entry e;          /* the ring copies a whole slot */
    struct blkif_request q;
    unsigned int n = 0;
    reap();
    while (n < BATCH && pvd_ring_back_get_request(&v->ring, &e)) {
        q = e.req;                      /* from here on only our copy: the guest may rewrite its slot */
        int16_t st = handle(v, &q);
        n++;
        if (st == ASYNC_QUEUED)
            continue;
        struct blkif_response *p = pvd_ring_back_next_response(&v->ring);
        *p = (struct blkif_response){ .id = q.id, .operation = q.operation, .status = st };
        v->answered = true;
        v->served++;
        if (st != BLKIF_RSP_OKAY)
            v->errors++;
        if (bounce_every && ++v->since_connect >= bounce_every) {
            v->bounce_due = true;
            break;
        }
    }
    if (pvd_ring_broken(&v->ring)) {
        printk("blkback: domain %u broke its ring: disconnected\n", v->dev->otherend_id);
        v->connected = false;
        return false;
    }
    reap();                             /* what finished meanwhile goes out with this push */
    if (v->answered && pvd_ring_back_push(&v->ring))
        xenpv_evtchn_notify(v->port);
    v->answered = false;
    if (!n && pvd_ring_back_final_check(&v->ring))
        return true;
    return n != 0;
}

static void vbd_release(struct vbd *v);

/*
 * blkbounce: the back end goes away mid-run (ring unmapped, port closed, the
 * requests in the ring left unanswered), stays away a while, then closes the
 * device; the front end's Closing brings it back to InitWait (xenbus_probe.c)
 * and the front end reconnects and reissues what was not answered.
 */
static void vbd_bounce(struct vbd *v)
{
    v->bounce_due = false;
    v->since_connect = 0;
    v->bounces++;
    vbd_release(v);
    printk("blkback: blkbounce: domain %u's vbd closed after %llu requests (bounce %llu)\n", v->dev->otherend_id,
           (unsigned long long)bounce_every, (unsigned long long)v->bounces);
    thread_sleep_ns(BOUNCE_GONE_NS);
    xenbus_dev_switch_state(v->dev, XenbusStateClosing);
}

static void back_thread(void *unused)
{
    (void)unused;
    for (;;) {
        bool busy = false;
        unsigned int at_device = 0;
        struct vbd *due = NULL;
        sem_down(&vbds_lock);
        if (store->poll)
            store->poll(store);
        for (unsigned int i = 0; i < MAX_VBDS; i++)
            if (vbds[i] && vbds[i]->connected) {
                busy |= serve(vbds[i]);
                at_device += vbds[i]->inflight;
                if (vbds[i]->bounce_due && !due)
                    due = vbds[i];
            }
        sem_up(&vbds_lock);
        if (due)
            vbd_bounce(due);
        if (!busy)
            sem_down_timeout(&kick, at_device ? POLL_NS : IDLE_NS);
    }
}

static void vbd_release(struct vbd *v)
{
    sem_down(&vbds_lock);
    drain(v);                           /* the device must be done with the guest's frames first */
    if (v->answered && v->connected && pvd_ring_back_push(&v->ring))
        xenpv_evtchn_notify(v->port);
    v->answered = false;
    v->connected = false;
    sem_up(&vbds_lock);
    if (v->port) {
        xenpv_evtchn_close(v->port);
        v->port = 0;
    }
    if (v->map.va && xenpv_grant_unmap(&v->map))
        printk("blkback: unmapping the ring of domain %u failed\n", v->dev->otherend_id);
    v->map.va = NULL;
}

/* A vbd none of whose requests is at the device (drained). */
static void vbd_free(struct vbd *v)
{
    BUG_ON(v->inflight);
    kfree(v);
}

static int back_probe(struct xenbus_device *dev)
{
    char path[128], val[48];
    snprintf(path, sizeof(path), "%s/extent", dev->nodename);
    const char *p = val;
    uint64_t start, count;
    if (xenbus_read(0, path, val, sizeof(val)) <= 0 || !parse_u64(&p, &start) || *p++ != '+' ||
        !parse_u64(&p, &count) || *p || !count || start > store_sectors || count > store_sectors - start) {
        printk("blkback: %s: no extent=<start>+<count> inside the %llu-sector store\n", dev->nodename,
               (unsigned long long)store_sectors);
        return -EINVAL;
    }
    struct vbd *v = kzalloc(sizeof(*v));
    if (!v)
        return -ENOMEM;
    v->dev = dev;
    v->start = start;
    v->sectors = count;
    sem_down(&vbds_lock);
    unsigned int i = 0;
    while (i < MAX_VBDS && vbds[i])
        i++;
    if (i < MAX_VBDS)
        vbds[i] = v;
    sem_up(&vbds_lock);
    if (i == MAX_VBDS) {
        vbd_free(v);
        return -ENOSPC;
    }
    dev->priv = v;
    /* what the front end may read before connecting, as Xen's blkback (docs: blkif.h's feature keys) */
    static const struct { const char *key; const char *fmt; } keys[] = {
        { "feature-flush-cache", "1" },
        { "feature-barrier", "0" },
        { "feature-persistent", "0" },              /* grant copy: nothing to persist (README) */
        { "feature-max-indirect-segments", "%u" },
        { "feature-discard", "%u" },
        { "discard-granularity", "%u" },
        { "discard-alignment", "0" },
        { "discard-secure", "0" },
        { "max-ring-page-order", "0" },
    };
    int rc = 0;
    for (unsigned int i = 0; i < sizeof(keys) / sizeof(keys[0]) && !rc; i++) {
        unsigned int val = i == 3 ? caps.max_indirect : i == 4 ? caps.discard : PAGE_SIZE;
        if (i == 5 && !caps.discard)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dev->nodename, keys[i].key);
        rc = xenbus_printf(0, path, keys[i].fmt, val);
    }
    return rc ? rc : xenbus_dev_switch_state(dev, XenbusStateInitWait);
}

static int back_connect(struct vbd *v)
{
    struct xenbus_device *dev = v->dev;
    char path[128], proto[32];
    int ref, port;
    if (xenbus_read_ring(dev, &ref, &port))
        return -EINVAL;
    snprintf(path, sizeof(path), "%s/protocol", dev->otherend);
    if (xenbus_read(0, path, proto, sizeof(proto)) > 0 && strcmp(proto, "x86_64-abi"))
        return -EINVAL;         /* absent: the native (x86_64) layout */
    int rc = xenpv_grant_map((domid_t)dev->otherend_id, (grant_ref_t)ref, false, &v->map);
    if (rc)
        return rc;
    if (!pvd_ring_back_attach(&v->ring, v->map.va, PAGE_SIZE, sizeof(union blkif_sring_entry))) {
        vbd_release(v);
        return -EINVAL;
    }
    rc = xenpv_evtchn_bind_interdomain((domid_t)dev->otherend_id, (evtchn_port_t)port, back_kick, v);
    if (rc < 0) {
        vbd_release(v);
        return rc;
    }
    v->port = (evtchn_port_t)rc;
    xenbus_tx_t tx;
    do {
        if ((rc = xenbus_transaction_start(&tx)))
            break;
        snprintf(path, sizeof(path), "%s/sectors", dev->nodename);
        rc = xenbus_printf(tx, path, "%llu", (unsigned long long)v->sectors);
        snprintf(path, sizeof(path), "%s/sector-size", dev->nodename);
        if (!rc)
            rc = xenbus_printf(tx, path, "%u", BLK_SECTOR_SIZE);
        snprintf(path, sizeof(path), "%s/physical-sector-size", dev->nodename);
        if (!rc)
            rc = xenbus_printf(tx, path, "%u", BLK_SECTOR_SIZE);
        snprintf(path, sizeof(path), "%s/info", dev->nodename);
        if (!rc)
            rc = xenbus_write(tx, path, "0");
        rc = rc ? (xenbus_transaction_end(tx, true), rc) : xenbus_transaction_end(tx, false);
    } while (rc == -EAGAIN);
    if (rc) {
        vbd_release(v);
        return rc;
    }
    v->since_connect = 0;
    sem_down(&vbds_lock);
    v->connected = true;
    sem_up(&vbds_lock);
    sem_up(&kick);
    printk("blkback: domain %u connected: sectors %llu..%llu of the store\n", dev->otherend_id,
           (unsigned long long)v->start, (unsigned long long)(v->start + v->sectors - 1));
    return xenbus_dev_switch_state(dev, XenbusStateConnected);
}

static void back_changed(struct xenbus_device *dev, int state)
{
    struct vbd *v = dev->priv;
    if ((state == XenbusStateInitialising || state == XenbusStateInitialised) &&
        (dev->state == XenbusStateClosing || dev->state == XenbusStateClosed)) {
        /* the front end closed and starts again (its Closing may have come and gone unseen): as Linux's blkback */
        vbd_release(v);
        xenbus_dev_switch_state(dev, XenbusStateInitWait);
    }
    if (state == XenbusStateInitialised && dev->state == XenbusStateInitWait) {
        int rc = back_connect(v);
        if (rc)
            printk("blkback: connecting to domain %u failed: %d\n", dev->otherend_id, rc);
    } else if (state == XenbusStateClosing && dev->state == XenbusStateConnected) {
        vbd_release(v);
        xenbus_dev_switch_state(dev, XenbusStateClosed);
    }
}

static void back_disconnect(struct xenbus_device *dev)
{
    vbd_release(dev->priv);
}

static void back_remove(struct xenbus_device *dev)
{
    struct vbd *v = dev->priv;
    vbd_release(v);
    sem_down(&vbds_lock);
    for (unsigned int i = 0; i < MAX_VBDS; i++)
        if (vbds[i] == v)
            vbds[i] = NULL;
    sem_up(&vbds_lock);
    printk("blkback: domain %u: %llu requests served, %llu answered with an error\n", dev->otherend_id,
           (unsigned long long)v->served, (unsigned long long)v->errors);
    vbd_free(v);
}

/* vbds in the table (the toolstack's leak check). */
unsigned int blkback_vbds(void)
{
    unsigned int n = 0;
    sem_down(&vbds_lock);
    for (unsigned int i = 0; i < MAX_VBDS; i++)
        n += vbds[i] != NULL;
    sem_up(&vbds_lock);
    return n;
}

static struct xenbus_driver blkback_driver = {
    .type = "vbd",
    .backend = true,
    .probe = back_probe,
    .otherend_changed = back_changed,
    .disconnect = back_disconnect,
    .remove = back_remove,
};

/* A domain with blkram= or blkdisk= (dom0 or a driver domain): the store, the bounce pages and the serving thread at boot, then the driver. */
void blkback_start(void)
{
    sem_init(&vbds_lock, 1);
    sem_init(&kick, 0);
    spin_init(&done_lock);
    if (!xenbus_ready() || (!store_sectors && !store_virtio))
        return;                         /* dom0, or a driver domain: whoever is given a store */
    if (store_virtio) {
        if (!(store = blk_virtio_store_create())) {
            printk("blkback: blkdisk=virtio: no virtio-blk device\n");
            return;
        }
        store_sectors = store->sectors;
    }
    if ((!store && !(store = blk_ramstore_create(store_sectors))) || !(bounce = alloc_pages(BOUNCE_ORDER)) ||
        !(iseg = alloc_page()) || !thread_create("blkback", back_thread, NULL)) {
        printk("blkback: no memory for a %llu-sector store\n", (unsigned long long)store_sectors);
        return;
    }
    for (unsigned int k = 0; k < INFLIGHT_POOL && store->submit; k++) {
        struct inflight *r = alloc_page();
        if (!r)
            break;                          /* fewer at once: the rest go through bounce pages */
        r->next = pool;
        pool = r;
    }
    caps = (struct blkif_caps){ .max_indirect = MAX_INDIRECT, .discard = store->discard != NULL };
    printk("blkback: %s store of %llu sectors (indirect: %u segments, discard: %s, %s%s)\n",
           store_virtio ? "virtio-blk" : "RAM", (unsigned long long)store_sectors, caps.max_indirect,
           caps.discard ? "yes" : "no", store->submit ? "guest frames mapped for the device, 32 requests at once"
                                                      : "grant copy through bounce pages",
           bounce_every ? ", blkbounce" : "");
    int rc = xenbus_register_driver(&blkback_driver);
    if (rc)
        printk("blkback: registering the driver failed: %d\n", rc);
}
