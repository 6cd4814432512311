/*
 * xenbus transport: messages to xenstore over the domU's store ring or dom0's
 * local connection, a reader thread matching replies to waiting callers by
 * req_id, and a watch thread running watch callbacks one event at a time.
 */
#include <mm.h>
#include <sched.h>
#include <spinlock.h>
#include <xen/services.h>
#include <public/io/xs_wire.h>
#include <xenbus/xenbus.h>
#include <xenbus/xenstored_dom0.h>
#include <xenbus/xs_ring.h>
#include "xenbus_internal.h"

/* ---- transport ---- */
static bool ready, local;
static struct xenstore_domain_interface *ring;
static evtchn_port_t store_port;
static XENSTORE_RING_IDX req_prod, rsp_cons;     /* our own indices, kept here */
static struct semaphore send_lock;               /* one whole message at a time */
static struct semaphore rx_work;                 /* events and kicks for the reader */
static volatile bool ring_broken;

static void store_event(void *arg)
{
    (void)arg;
    sem_up(&rx_work);
}

static void local_kick(void) { sem_up(&rx_work); }

/* Ring: waits for room; 0, or -EIO if xenstore's index cannot be believed, -ETIMEDOUT if no room comes. */
static int ring_write(const uint8_t *p, size_t len)
{
    struct xs_ring_dir req = xs_ring_req(ring);
    uint64_t deadline = clock_ns() + XENBUS_TIMEOUT_NS;
    while (len) {
        if (ring_broken)
            return -EIO;
        int n = xs_ring_write(&req, &req_prod, p, len);
        if (n == XS_RING_BAD) {
            printk("xenbus: xenstore's request consumer index is out of the ring: ring unusable\n");
            ring_broken = true;
            return -EIO;
        }
        xenpv_evtchn_notify(store_port);
        p += n;
        len -= (size_t)n;
        if (len && !n) {
            if (clock_ns() > deadline)
                return -ETIMEDOUT;
            thread_sleep_ns(NSEC_PER_MSEC);     /* full: xenstore is reading */
        }
    }
    return 0;
}

/* Ring: takes what rsp holds (up to max): how many bytes. */
static size_t ring_read(uint8_t *buf, size_t max)
{
    if (ring_broken)
        return 0;
    struct xs_ring_dir rsp = xs_ring_rsp(ring);
    int n = xs_ring_read(&rsp, &rsp_cons, buf, max);
    if (n == XS_RING_BAD) {
        printk("xenbus: xenstore's response producer index jumped past ours: ring unusable\n");
        ring_broken = true;
        return 0;
    }
    if (n)
        xenpv_evtchn_notify(store_port);
    return (size_t)n;
}

static int transport_write(const void *p, size_t len)
{
    return local ? xsd_local_write(p, len) : ring_write(p, len);
}

static size_t transport_read(uint8_t *buf, size_t max)
{
    return local ? xsd_local_read(buf, max) : ring_read(buf, max);
}

/* ---- pending requests ---- */
struct xb_req {
    struct list_head node;
    uint32_t req_id;
    volatile bool done;
    uint32_t type, len;         /* the reply's */
    char *buf;                  /* where its payload goes */
    size_t size;
};
static struct list_head pending = LIST_HEAD_INIT(pending);
static spinlock_t pending_lock = SPINLOCK_INIT;
static struct waitqueue reply_wq = WAITQUEUE_INIT(reply_wq);
static uint32_t next_req_id;

/* ---- watch events: a bounded queue for the watch thread ---- */
#define EVQ_SIZE 64
static struct {
    char path[XB_PATH_MAX];
    char token[16];
} evq[EVQ_SIZE];
static unsigned int evq_head, evq_tail;          /* pending_lock */
static struct semaphore ev_work;
static uint64_t xenbus_events_dropped;   /* watch events lost to a full queue */
static bool resync_due;                  /* some were: every watch fires once more when the queue is empty */

static struct list_head watches = LIST_HEAD_INIT(watches);
static spinlock_t watches_lock = SPINLOCK_INIT;
static struct semaphore cb_lock;                 /* held while a callback runs */
static struct thread *watch_thread;

/* ---- the reader ---- */
static struct {
    struct xsd_sockmsg h;
    char body[XENSTORE_PAYLOAD_MAX + 1];
} rx;
static size_t rx_have;

uint64_t xenbus_watch_events_dropped(void)
{
    return __atomic_load_n(&xenbus_events_dropped, __ATOMIC_RELAXED);
}

static void dispatch(void)
{
    rx.body[rx.h.len] = '\0';
    unsigned long f = spin_lock_irqsave(&pending_lock);
    if (rx.h.type == XS_WATCH_EVENT) {
        const char *path = rx.body;
        size_t pl = strnlen(path, rx.h.len);
        const char *token = pl < rx.h.len ? path + pl + 1 : "";
        if (evq_tail - evq_head < EVQ_SIZE && pl < XB_PATH_MAX && strlen(token) < 16) {
            unsigned int i = evq_tail++ % EVQ_SIZE;
            memcpy(evq[i].path, path, pl + 1);
            str_copy(evq[i].token, token, sizeof(evq[i].token));
            spin_unlock_irqrestore(&pending_lock, f);
            sem_up(&ev_work);
            return;
        }
        xenbus_events_dropped++;
        resync_due = true;
        spin_unlock_irqrestore(&pending_lock, f);
        sem_up(&ev_work);
        return;
    }
    xb_for_each(r, struct xb_req, &pending, node) {
        if (r->req_id != rx.h.req_id)
            continue;
        r->type = rx.h.type;
        r->len = rx.h.len;
        memcpy(r->buf, rx.body, MIN((size_t)rx.h.len + 1, r->size));
        if (r->size)
            r->buf[MIN((size_t)rx.h.len, r->size - 1)] = '\0';
        list_del(&r->node);
        __atomic_store_n(&r->done, true, __ATOMIC_RELEASE);
        break;
    }
    spin_unlock_irqrestore(&pending_lock, f);
    wake_up_all(&reply_wq);
}

static void reader_thread(void *arg)
{
    (void)arg;
    uint8_t buf[256];
    for (;;) {
        sem_down_timeout(&rx_work, 100 * NSEC_PER_MSEC);
        size_t n;
        while ((n = transport_read(buf, sizeof(buf)))) {
            for (size_t i = 0; i < n;) {
                if (rx_have < sizeof(rx.h)) {
                    size_t k = MIN(n - i, sizeof(rx.h) - rx_have);
                    memcpy((uint8_t *)&rx.h + rx_have, buf + i, k);
                    rx_have += k;
                    i += k;
                    if (rx_have == sizeof(rx.h) && rx.h.len > XENSTORE_PAYLOAD_MAX) {
                        printk("xenbus: xenstore sent a %u-byte payload: stream dropped\n", rx.h.len);
                        ring_broken = !local;
                        rx_have = 0;
                        break;
                    }
                }
                if (rx_have >= sizeof(rx.h)) {
                    size_t want = sizeof(rx.h) + rx.h.len - rx_have;
                    size_t k = MIN(n - i, want);
                    memcpy(rx.body + (rx_have - sizeof(rx.h)), buf + i, k);
                    rx_have += k;
                    i += k;
                    if (rx_have == sizeof(rx.h) + rx.h.len) {
                        dispatch();
                        rx_have = 0;
                    }
                }
            }
        }
    }
}

/*
 * After the queue overflowed: each watch's callback runs once more with its
 * own path, so whoever missed a change reads the node as it is now (a state
 * machine loses no transition, at the price of a spurious event). Tokens are
 * taken first: a callback may register or drop watches.
 */
#define RESYNC_MAX 64
static void resync(void)
{
    static char tokens[RESYNC_MAX][16];
    static char path[XB_PATH_MAX];
    unsigned int n = 0;
    unsigned long f = spin_lock_irqsave(&watches_lock);
    xb_for_each(w, struct xenbus_watch, &watches, node)
        if (n < RESYNC_MAX)
            str_copy(tokens[n++], w->token, sizeof(tokens[0]));
    spin_unlock_irqrestore(&watches_lock, f);
    printk("xenbus: %llu watch events lost to a full queue so far: %u watches fired again\n",
           (unsigned long long)xenbus_events_dropped, n);
    for (unsigned int i = 0; i < n; i++) {
        sem_down(&cb_lock);
        struct xenbus_watch *found = NULL;
        f = spin_lock_irqsave(&watches_lock);
        xb_for_each(w, struct xenbus_watch, &watches, node)
            if (!strcmp(w->token, tokens[i])) {
                found = w;
                str_copy(path, w->wpath, sizeof(path));
                break;
            }
        spin_unlock_irqrestore(&watches_lock, f);
        if (found)
            found->cb(found, path);
        sem_up(&cb_lock);
    }
}

/* ---- the watch thread ---- */
static void watch_thread_fn(void *arg)
{
    (void)arg;
    static char path[XB_PATH_MAX], token[16];
    for (;;) {
        sem_down(&ev_work);
        unsigned long f = spin_lock_irqsave(&pending_lock);
        if (evq_head == evq_tail) {
            bool due = resync_due;
            resync_due = false;
            spin_unlock_irqrestore(&pending_lock, f);
            if (due)
                resync();
            continue;
        }
        unsigned int i = evq_head++ % EVQ_SIZE;
        memcpy(path, evq[i].path, sizeof(path));
        memcpy(token, evq[i].token, sizeof(token));
        spin_unlock_irqrestore(&pending_lock, f);

        sem_down(&cb_lock);
        struct xenbus_watch *found = NULL;
        f = spin_lock_irqsave(&watches_lock);
        xb_for_each(w, struct xenbus_watch, &watches, node)
            if (!strcmp(w->token, token)) {
                found = w;
                break;
            }
        spin_unlock_irqrestore(&watches_lock, f);
        if (found)                              /* unwatched ones' late events are dropped */
            found->cb(found, path);
        sem_up(&cb_lock);
    }
}

/* ---- requests ---- */
static const char *const err_names[] = {
    "EINVAL", "EACCES", "EEXIST", "EISDIR", "ENOENT", "ENOMEM", "ENOSPC", "EIO",
    "ENOTEMPTY", "ENOSYS", "EROFS", "EBUSY", "EAGAIN", "EISCONN", "E2BIG", "EPERM",
};
static const int err_values[] = {
    EINVAL, EACCES, EEXIST, EISDIR, ENOENT, ENOMEM, ENOSPC, EIO,
    ENOTEMPTY, ENOSYS, EROFS, EBUSY, EAGAIN, EISCONN, E2BIG, EPERM,
};

static int error_value(const char *name)
{
    for (unsigned int i = 0; i < ARRAY_SIZE(err_names); i++)
        if (!strcmp(name, err_names[i]))
            return -err_values[i];
    return -EIO;
}

int xb_request(uint32_t type, xenbus_tx_t tx, const struct xb_seg *segs, unsigned int nseg, char *rbuf,
               size_t rsize, uint32_t *rlen)
{
    if (!ready)
        return -EIO;
    char errbuf[32];
    struct xb_req r = { .buf = rsize ? rbuf : errbuf, .size = rsize ? rsize : sizeof(errbuf) };
    uint32_t len = 0;
    for (unsigned int i = 0; i < nseg; i++)
        len += (uint32_t)segs[i].len;
    if (len > XENSTORE_PAYLOAD_MAX)
        return -E2BIG;
    r.req_id = __atomic_add_fetch(&next_req_id, 1, __ATOMIC_RELAXED);
    struct xsd_sockmsg h = { .type = type, .req_id = r.req_id, .tx_id = tx, .len = len };

    unsigned long f = spin_lock_irqsave(&pending_lock);
    list_add_tail(&r.node, &pending);
    spin_unlock_irqrestore(&pending_lock, f);

    sem_down(&send_lock);
    int rc = transport_write(&h, sizeof(h));
    for (unsigned int i = 0; i < nseg && !rc; i++)
        rc = transport_write(segs[i].p, segs[i].len);
    sem_up(&send_lock);

    uint64_t deadline = clock_ns() + XENBUS_TIMEOUT_NS;
    if (!rc) {
        f = sched_lock_irqsave();
        while (!__atomic_load_n(&r.done, __ATOMIC_ACQUIRE))
            if (!wq_wait_until(&reply_wq, deadline) && !__atomic_load_n(&r.done, __ATOMIC_ACQUIRE)) {
                rc = -ETIMEDOUT;
                break;
            }
        sched_unlock_irqrestore(f);
    }
    f = spin_lock_irqsave(&pending_lock);
    if (!r.done)
        list_del(&r.node);                      /* a late reply finds no one */
    spin_unlock_irqrestore(&pending_lock, f);
    if (!r.done) {
        if (rc == -ETIMEDOUT)
            printk("xenbus: no reply to request type %u (id %u) in %llu s\n", type, r.req_id,
                   (unsigned long long)(XENBUS_TIMEOUT_NS / NSEC_PER_SEC));
        return rc ? rc : -EIO;
    }
    if (r.type == XS_ERROR) {
        if (!rsize)
            return error_value(errbuf);
        return error_value(rbuf);
    }
    if (r.type != type)
        return -EIO;
    if (rlen)
        *rlen = r.len;
    if (rsize && r.len >= rsize)
        return -E2BIG;
    return 0;
}

/* ---- watches ---- */
int xenbus_watch(struct xenbus_watch *w)
{
    static uint32_t next_token;
    str_copy(w->wpath, w->path, sizeof(w->wpath));
    if (strlen(w->path) >= sizeof(w->wpath))
        return -E2BIG;
    snprintf(w->token, sizeof(w->token), "xb%u", __atomic_add_fetch(&next_token, 1, __ATOMIC_RELAXED));
    unsigned long f = spin_lock_irqsave(&watches_lock);
    list_add_tail(&w->node, &watches);
    spin_unlock_irqrestore(&watches_lock, f);
    struct xb_seg s[2] = { XB_STR(w->wpath), XB_STR(w->token) };
    int rc = xb_request(XS_WATCH, 0, s, 2, NULL, 0, NULL);
    if (rc) {
        f = spin_lock_irqsave(&watches_lock);
        list_del(&w->node);
        spin_unlock_irqrestore(&watches_lock, f);
    }
    return rc;
}

int xenbus_unwatch(struct xenbus_watch *w)
{
    struct xb_seg s[2] = { XB_STR(w->wpath), XB_STR(w->token) };
    int rc = xb_request(XS_UNWATCH, 0, s, 2, NULL, 0, NULL);
    bool in_cb = current == watch_thread;
    if (!in_cb)
        sem_down(&cb_lock);                     /* no callback of it runs after this */
    unsigned long f = spin_lock_irqsave(&watches_lock);
    list_del(&w->node);
    spin_unlock_irqrestore(&watches_lock, f);
    if (!in_cb)
        sem_up(&cb_lock);
    return rc;
}

struct xenstore_domain_interface *xb_test_take_ring(uint32_t *port)
{
    if (local || !ring)
        return NULL;
    sem_down(&send_lock);                       /* no message of ours is half written */
    ring_broken = true;
    sem_up(&send_lock);
    *port = store_port;
    return ring;
}

/* ---- start ---- */
static unsigned int our_domid;
bool xenbus_ready(void) { return ready; }
unsigned int xenbus_domid(void) { return our_domid; }

void xenbus_start(void)
{
    sem_init(&send_lock, 1);
    sem_init(&rx_work, 0);
    sem_init(&ev_work, 0);
    sem_init(&cb_lock, 1);
    const struct start_info *si = xenpv_start_info();
    if (xenpv_is_dom0()) {
        if (!xenstored_dom0_running()) {
            printk("xenbus: no xenstored in dom0: xenbus is off\n");
            return;
        }
        local = true;
        xsd_local_set_kick(local_kick);
        our_domid = 0;
    } else {
        if (!si->store_mfn) {
            printk("xenbus: no store ring in start_info: xenbus is off\n");
            return;
        }
        uint64_t pfn = ((const uint64_t *)MACH2PHYS_VIRT_START)[si->store_mfn];
        ring = pfn_to_virt(pfn);
        req_prod = READ_ONCE(ring->req_prod);
        rsp_cons = READ_ONCE(ring->rsp_cons);
        store_port = si->store_evtchn;
        int rc = xenpv_evtchn_bind(store_port, store_event, NULL);
        if (rc < 0) {
            printk("xenbus: binding store port %u failed: %d\n", store_port, rc);
            return;
        }
        our_domid = xenpv_domid();
    }
    if (!thread_create("xenbus-rx", reader_thread, NULL) ||
        !(watch_thread = thread_create("xenbus-watch", watch_thread_fn, NULL)))
        return;
    ready = true;
    printk("xenbus: on %s (domain %u)\n", local ? "dom0's local connection" : "the store ring", our_domid);
    xenbus_probe_start();
    xenbus_control_start();
}
