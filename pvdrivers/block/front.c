/*
 * blkfront (domUs): the first vbd's ring page granted to the back end, a
 * port offered, ring-ref / event-channel / protocol published; each request
 * grants its data pages (read-only for writes; over 11 segments through an
 * indirect page) and its response ends the grants and runs the caller's
 * callback (blkfront.h). When the back end goes away, requests not answered
 * stay (with their grants) and are reissued, in order, once it is Connected
 * again.
 */
#include <mm.h>
#include <sched.h>
#include <spinlock.h>
#include <xen/services.h>
#include <xenbus/xenbus.h>
#include <pvd/ring.h>
#include <public/io/blkif.h>
#include <block/blkfront.h>

#define SLOTS BLKIF_RING_SIZE
#define LEFTOVER_WAIT_MS 100        /* a going back end lets go of the ring in far less */
_Static_assert(BLKFRONT_MAX_INDIRECT * sizeof(struct blkif_request_segment) <= PAGE_SIZE, "one indirect page");

struct shadow {
    bool busy;                      /* the slot is taken (from submit to completion) */
    bool ready;                     /* req is built and not yet answered: (re)issued when connected */
    uint64_t seq;                   /* submission order: reissued in it */
    unsigned int nseg;
    grant_ref_t gref[BLKFRONT_MAX_INDIRECT];
    int ind_ref;                    /* the indirect page's grant, or -1 */
    domid_t be;                     /* the back end the grants are for */
    union blkif_sring_entry req;    /* as published (id = the slot) */
    blkfront_done_t done;
    void *arg;
};

static struct {
    struct xenbus_device *dev;
    void *page;                     /* the ring, taken at boot */
    struct blkif_request_segment *ind[SLOTS];   /* an indirect page per slot, taken at boot */
    int ref;
    evtchn_port_t port;
    struct pvd_ring ring;
    bool connected;
    bool connected_once;            /* a later connection is a reconnection */
    uint64_t sectors;
    unsigned int max_indirect;      /* 0: direct requests only */
    bool discard;
    uint64_t next_seq;
    unsigned int reconnects, reissued;
    struct shadow shadow[SLOTS];
    spinlock_t lock;                /* ring producer side, connected and the shadow table */
    struct semaphore free_slots;
    struct semaphore kick;          /* the port's events wake the completion thread */
    struct semaphore ready;
} bf;

static void front_kick(void *arg)
{
    (void)arg;
    sem_up(&bf.kick);
}

static void end_grants(struct shadow *s)
{
    for (unsigned int i = 0; i < s->nseg; i++)
        if (xenpv_grant_end_access(s->gref[i]))
            printk("blkfront: grant %u still in use by the back end: leaked\n", s->gref[i]);
    if (s->ind_ref >= 0 && xenpv_grant_end_access((grant_ref_t)s->ind_ref))
        printk("blkfront: indirect grant %d still in use by the back end: leaked\n", s->ind_ref);
    s->nseg = 0;
    s->ind_ref = -1;
}

/* Ends slot i (already taken off the ready list) with status: grants back, the slot freed, the callback run. */
static void complete(unsigned int i, int status)
{
    struct shadow *s = &bf.shadow[i];
    blkfront_done_t done = s->done;
    void *arg = s->arg;
    end_grants(s);
    spin_lock(&bf.lock);
    s->busy = false;
    spin_unlock(&bf.lock);
    sem_up(&bf.free_slots);
    done(arg, status);
}

/*
 * Consumes the responses published on the ring (also after the back end has
 * left: its last answers are still there): true if the ring had any.
 */
static bool drain(bool need_connected)
{
    union blkif_sring_entry e;          /* the ring copies a whole slot */
    const struct blkif_response *r = &e.rsp;
    bool any = false;
    for (;;) {
        spin_lock(&bf.lock);
        bool ok = bf.connected || !need_connected;
        bool got = ok && bf.page && pvd_ring_front_get_response(&bf.ring, &e);
        bool more = got || (ok && bf.connected && pvd_ring_front_final_check(&bf.ring));
        bool ours = got && r->id < SLOTS && bf.shadow[r->id].busy && bf.shadow[r->id].ready;
        if (ours)
            bf.shadow[r->id].ready = false;     /* answered: never reissued */
        spin_unlock(&bf.lock);
        if (got && !ours)
            printk("blkfront: response for no request (id %llu): ignored\n", (unsigned long long)r->id);
        else if (got)
            complete((unsigned int)r->id, r->status);
        any |= got;
        if (!more)
            return any;
    }
}

static void front_thread(void *unused)
{
    (void)unused;
    for (;;) {
        sem_down_timeout(&bf.kick, 100 * NSEC_PER_MSEC);
        drain(true);
    }
}

/* Under the lock: puts slot i's request on the ring (there is room: at most SLOTS are taken). */
static bool put_on_ring(unsigned int i)
{
    struct blkif_request *slot = pvd_ring_front_next_request(&bf.ring);
    if (!slot)
        return false;
    memcpy(slot, &bf.shadow[i].req, sizeof(*slot));
    return true;
}

/* A free slot, marked busy (not ready): the caller holds a free_slots count. */
static unsigned int claim_slot(void)
{
    spin_lock(&bf.lock);
    unsigned int i = 0;
    while (i < SLOTS && bf.shadow[i].busy)
        i++;
    if (i < SLOTS)
        bf.shadow[i] = (struct shadow){ .busy = true, .ind_ref = -1, .be = (domid_t)bf.dev->otherend_id };
    spin_unlock(&bf.lock);
    return i;
}

static void unclaim_slot(unsigned int i)
{
    end_grants(&bf.shadow[i]);
    spin_lock(&bf.lock);
    bf.shadow[i].busy = false;
    spin_unlock(&bf.lock);
    sem_up(&bf.free_slots);
}

/* Slot i's request is built: it goes on the ring now if connected (*where: its ring slot), else at reconnection. */
static void publish(unsigned int i, blkfront_done_t done, void *arg, volatile struct blkif_request **where)
{
    struct shadow *s = &bf.shadow[i];
    spin_lock(&bf.lock);
    s->done = done;
    s->arg = arg;
    s->req.req.id = i;
    s->seq = bf.next_seq++;
    s->ready = true;
    if (where)
        *where = bf.connected ? (volatile struct blkif_request *)((uint8_t *)bf.page + sizeof(struct xen_sring_header) +
                                (bf.ring.prod_pvt & (SLOTS - 1)) * sizeof(union blkif_sring_entry)) : NULL;
    bool notify = bf.connected && put_on_ring(i) && pvd_ring_front_push(&bf.ring);
    spin_unlock(&bf.lock);
    if (notify)
        xenpv_evtchn_notify(bf.port);
}

unsigned int blkfront_max_sectors(void)
{
    return bf.max_indirect > BLKIF_MAX_SEGMENTS_PER_REQUEST ? bf.max_indirect * 8u : BLKFRONT_MAX_SECTORS;
}

uint16_t blkfront_backend_id(void)
{
    return bf.dev ? (domid_t)bf.dev->otherend_id : 0;
}

bool blkfront_can_discard(void)
{
    return bf.discard;
}

int blkfront_submit(int op, uint64_t sector, void *buf, unsigned int nsect, blkfront_done_t done, void *arg)
{
    bool rw = op == BLKIF_OP_READ || op == BLKIF_OP_WRITE;
    if (!done || (rw ? (!nsect || nsect > blkfront_max_sectors() || !buf || ((uintptr_t)buf & (PAGE_SIZE - 1)))
                     : op == BLKIF_OP_DISCARD ? (buf || !nsect) : op != BLKIF_OP_FLUSH_DISKCACHE))
        return -EINVAL;
    if (!bf.sectors)
        return -ENOTCONN;               /* never connected */
    if (op == BLKIF_OP_DISCARD && !bf.discard)
        return -EOPNOTSUPP;
    sem_down(&bf.free_slots);
    unsigned int i = claim_slot();
    if (i == SLOTS) {
        sem_up(&bf.free_slots);
        return -ENOTCONN;
    }
    struct shadow *s = &bf.shadow[i];
    union blkif_sring_entry *e = &s->req;
    memset(e, 0, sizeof(*e));
    if (op == BLKIF_OP_DISCARD) {
        struct blkif_request_discard d = { .operation = BLKIF_OP_DISCARD, .sector_number = sector, .nr_sectors = nsect };
        memcpy(e, &d, sizeof(d));
        publish(i, done, arg, NULL);
        return 0;
    }
    unsigned int nseg = (nsect + 7) / 8;
    bool indirect = nseg > BLKIF_MAX_SEGMENTS_PER_REQUEST;
    struct blkif_request_segment *seg = indirect ? bf.ind[i] : e->req.seg;
    for (unsigned int left = rw ? nsect : 0; left; ) {
        unsigned int n = left < 8 ? left : 8;
        int ref = xenpv_grant_access(s->be, virt_to_pfn((uint8_t *)buf + s->nseg * PAGE_SIZE), op == BLKIF_OP_WRITE);
        if (ref < 0) {
            unclaim_slot(i);
            return ref;
        }
        seg[s->nseg] = (struct blkif_request_segment){ .gref = (grant_ref_t)ref, .first_sect = 0,
                                                       .last_sect = (uint8_t)(n - 1) };
        s->gref[s->nseg++] = (grant_ref_t)ref;
        left -= n;
    }
    if (indirect) {
        s->ind_ref = xenpv_grant_access(s->be, virt_to_pfn(bf.ind[i]), true);
        if (s->ind_ref < 0) {
            int rc = s->ind_ref;
            unclaim_slot(i);
            return rc;
        }
        struct blkif_request_indirect ind = { .operation = BLKIF_OP_INDIRECT, .indirect_op = (uint8_t)op,
                                              .nr_segments = (uint16_t)nseg, .sector_number = sector };
        ind.indirect_grefs[0] = (grant_ref_t)s->ind_ref;
        memcpy(e, &ind, sizeof(ind));
    } else {
        e->req.operation = (uint8_t)op;
        e->req.nr_segments = (uint8_t)s->nseg;
        e->req.sector_number = sector;
    }
    publish(i, done, arg, NULL);
    return 0;
}

int blkfront_submit_raw(const struct blkif_request *raw, blkfront_done_t done, void *arg,
                        volatile struct blkif_request **where)
{
    if (!done || !bf.connected)
        return -EINVAL;
    sem_down(&bf.free_slots);
    unsigned int i = claim_slot();
    if (i == SLOTS) {
        sem_up(&bf.free_slots);
        return -ENOTCONN;
    }
    memcpy(&bf.shadow[i].req, raw, sizeof(*raw));
    publish(i, done, arg, where);
    return 0;
}

void blkfront_break_ring(void)
{
    spin_lock(&bf.lock);
    __atomic_store_n(&bf.ring.sring->req_prod, bf.ring.prod_pvt + 3 * SLOTS, __ATOMIC_RELEASE);
    spin_unlock(&bf.lock);
    xenpv_evtchn_notify(bf.port);
}

void blkfront_reissue_stats(unsigned int *reconnects, unsigned int *reissued)
{
    *reconnects = bf.reconnects;
    *reissued = bf.reissued;
}

uint64_t blkfront_wait_ready(uint64_t timeout_ns)
{
    if (!bf.connected && sem_down_timeout(&bf.ready, timeout_ns))
        return 0;
    sem_up(&bf.ready);
    return bf.connected ? bf.sectors : 0;
}

/*
 * The back end went away: what it answered is consumed, the rest waits
 * (grants kept) for the next connection; the ring and port are let go.
 */
static void front_release(void)
{
    spin_lock(&bf.lock);
    bool was = bf.connected;
    bf.connected = false;
    spin_unlock(&bf.lock);
    if (was)
        drain(false);
    if (bf.port) {
        xenpv_evtchn_close(bf.port);
        bf.port = 0;
    }
    if (bf.ref > 0 && xenpv_grant_end_access((grant_ref_t)bf.ref) == 0)
        bf.ref = 0;
}

static int front_connect(struct xenbus_device *dev)
{
    /* The last connection's ring grant, if the going back end still used it then: ended before the page is reused. */
    for (unsigned int ms = 0; bf.ref > 0 && xenpv_grant_end_access((grant_ref_t)bf.ref); ms++) {
        if (ms == LEFTOVER_WAIT_MS) {
            printk("blkfront: the last ring's grant still in use after %u ms: not connecting\n", LEFTOVER_WAIT_MS);
            return -EBUSY;
        }
        thread_sleep_ns(NSEC_PER_MSEC);
    }
    bf.ref = 0;
    spin_lock(&bf.lock);
    memset(bf.page, 0, PAGE_SIZE);
    pvd_ring_front_init(&bf.ring, bf.page, PAGE_SIZE, sizeof(union blkif_sring_entry));
    spin_unlock(&bf.lock);
    bf.ref = xenpv_grant_access((domid_t)dev->otherend_id, virt_to_pfn(bf.page), false);
    int port = bf.ref < 0 ? bf.ref : xenpv_evtchn_alloc_unbound((domid_t)dev->otherend_id);
    if (port < 0 || (port = xenpv_evtchn_bind((evtchn_port_t)port, front_kick, NULL)) < 0) {
        front_release();
        return port;
    }
    bf.port = (evtchn_port_t)port;
    int rc = xenbus_publish_ring(dev, bf.ref, port, "x86_64-abi");
    return rc ? rc : xenbus_dev_switch_state(dev, XenbusStateInitialised);
}

/* One of the back end's unsigned keys, or dflt when absent or not a number. */
static uint64_t back_key(struct xenbus_device *dev, const char *key, uint64_t dflt)
{
    char path[128], v[24];
    snprintf(path, sizeof(path), "%s/%s", dev->otherend, key);
    int len = xenbus_read(0, path, v, sizeof(v));
    if (len <= 0)
        return dflt;
    uint64_t n = 0;
    for (int i = 0; i < len; i++) {
        if (v[i] < '0' || v[i] > '9' || n > UINT64_MAX / 10 - 9)
            return dflt;
        n = n * 10 + (uint64_t)(v[i] - '0');
    }
    return n;
}

/*
 * A request waiting for reissue whose grants name another domain (the back
 * end moved: a driver domain restarted with a new id) is handed to the new
 * one, grant by grant. A grant the old domain still uses (it is alive and
 * maps it) cannot move: that request fails with -EIO rather than wait for ever.
 */
static unsigned int regrant_waiting(domid_t be)
{
    unsigned int moved = 0;
    for (unsigned int i = 0; i < SLOTS; i++) {
        struct shadow *s = &bf.shadow[i];
        spin_lock(&bf.lock);
        bool move = s->busy && s->ready && s->be != be;
        spin_unlock(&bf.lock);
        if (!move)
            continue;
        int rc = s->ind_ref >= 0 ? xenpv_grant_retarget((grant_ref_t)s->ind_ref, be) : 0;
        for (unsigned int k = 0; k < s->nseg && !rc; k++)
            rc = xenpv_grant_retarget(s->gref[k], be);
        domid_t old = s->be;
        s->be = be;
        moved += !rc;
        if (!rc)
            continue;
        printk("blkfront: a request's grant is still in use by domain %u: it fails (-EIO)\n", old);
        spin_lock(&bf.lock);
        s->ready = false;
        spin_unlock(&bf.lock);
        complete(i, -EIO);
    }
    return moved;
}

/* The back end is Connected: its keys, then ours; what was not answered goes on the new ring, in order. */
static void front_connected(struct xenbus_device *dev)
{
    uint64_t n = back_key(dev, "sectors", 0), ssize = back_key(dev, "sector-size", 0);
    uint64_t pss = back_key(dev, "physical-sector-size", 512), info = back_key(dev, "info", 0);
    uint64_t flush = back_key(dev, "feature-flush-cache", 0), persistent = back_key(dev, "feature-persistent", 0);
    uint64_t indirect = back_key(dev, "feature-max-indirect-segments", 0);
    uint64_t discard = back_key(dev, "feature-discard", 0), gran = back_key(dev, "discard-granularity", 512);
    if (!n || ssize != 512 || (bf.sectors && n != bf.sectors)) {
        printk("blkfront: the back end's sectors %llu / sector-size %llu are unusable\n", (unsigned long long)n,
               (unsigned long long)ssize);
        return;
    }
    bf.sectors = n;
    bf.max_indirect = indirect > BLKFRONT_MAX_INDIRECT ? BLKFRONT_MAX_INDIRECT : (unsigned int)indirect;
    bf.discard = discard == 1;
    unsigned int moved = regrant_waiting((domid_t)dev->otherend_id);
    if (moved)
        printk("blkfront: the back end is now domain %u: %u waiting requests' grants moved to it\n",
               dev->otherend_id, moved);
    unsigned int order[SLOTS], k = 0;
    spin_lock(&bf.lock);
    for (unsigned int i = 0; i < SLOTS; i++)
        if (bf.shadow[i].busy && bf.shadow[i].ready)
            order[k++] = i;
    for (unsigned int a = 1; a < k; a++)        /* by submission order (32 at most) */
        for (unsigned int b = a; b > 0 && bf.shadow[order[b]].seq < bf.shadow[order[b - 1]].seq; b--) {
            unsigned int t = order[b];
            order[b] = order[b - 1];
            order[b - 1] = t;
        }
    unsigned int put = 0;
    for (unsigned int a = 0; a < k; a++)
        put += put_on_ring(order[a]);
    bool again = bf.connected_once;
    bf.connected_once = bf.connected = true;
    bool notify = put && pvd_ring_front_push(&bf.ring);
    if (again) {
        bf.reconnects++;
        bf.reissued += put;
    }
    spin_unlock(&bf.lock);
    if (notify)
        xenpv_evtchn_notify(bf.port);
    xenbus_dev_switch_state(dev, XenbusStateConnected);
    printk("blkfront: vbd connected to domain %u: %llu sectors, sector-size %llu, physical-sector-size %llu, "
           "info %llu, flush %llu, persistent %llu, indirect %u, discard %u (granularity %llu)\n", dev->otherend_id,
           (unsigned long long)n, (unsigned long long)ssize, (unsigned long long)pss, (unsigned long long)info,
           (unsigned long long)flush, (unsigned long long)persistent, bf.max_indirect, bf.discard,
           (unsigned long long)gran);
    if (again)
        printk("blkfront: back end back: %u requests not answered reissued\n", put);
    sem_up(&bf.ready);
}

static int front_probe(struct xenbus_device *dev)
{
    if (bf.dev)
        return -EBUSY;              /* one disk a domain for now */
    bf.dev = dev;
    return 0;
}

static void front_changed(struct xenbus_device *dev, int state)
{
    static const struct xenbus_front_steps steps = {
        .name = "blkfront", .connect = front_connect, .connected = front_connected, .release = front_release,
    };
    xenbus_front_changed(dev, state, &steps);
}

static void front_disconnect(struct xenbus_device *dev)
{
    (void)dev;
    front_release();
}

/* Our device is gone for good: what waits fails with -EIO. */
static void front_remove(struct xenbus_device *dev)
{
    (void)dev;
    front_release();
    for (unsigned int i = 0; i < SLOTS; i++) {
        spin_lock(&bf.lock);
        bool fail = bf.shadow[i].busy && bf.shadow[i].ready;
        if (fail)
            bf.shadow[i].ready = false;
        spin_unlock(&bf.lock);
        if (fail)
            complete(i, -EIO);
    }
    bf.dev = NULL;
}

static struct xenbus_driver blkfront_driver = {
    .type = "vbd",
    .backend = false,
    .probe = front_probe,
    .otherend_changed = front_changed,
    .disconnect = front_disconnect,
    .remove = front_remove,
};

void blk_selftest_prepare(void);
void blk_soak_start(void);

/* Every domU: the ring page, the indirect pages and the completion thread at boot, then the driver. */
void blkfront_start(void)
{
    spin_init(&bf.lock);
    sem_init(&bf.free_slots, SLOTS);
    sem_init(&bf.kick, 0);
    sem_init(&bf.ready, 0);
    blk_selftest_prepare();
    if (xenpv_is_dom0() || !xenbus_ready())
        return;
    bool ok = (bf.page = alloc_page()) != NULL;
    for (unsigned int i = 0; i < SLOTS && ok; i++)
        ok = (bf.ind[i] = alloc_page()) != NULL;
    if (!ok || !thread_create("blkfront", front_thread, NULL)) {
        printk("blkfront: no memory for the ring or the thread\n");
        return;
    }
    int rc = xenbus_register_driver(&blkfront_driver);
    if (rc)
        printk("blkfront: registering the driver failed: %d\n", rc);
    else
        blk_soak_start();
}
