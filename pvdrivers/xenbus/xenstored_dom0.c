/*
 * xenstored as a thread of dom0's kernel: the store core (pvdrivers/xenstore)
 * behind one lock, every boot domU introduced as a toolstack would and its
 * store ring served, and dom0's own in-kernel connection (xenstored_dom0.h).
 */
#include <mm.h>
#include <sched.h>
#include <xen/services.h>
#include <public/errno.h>
#include <public/io/xs_wire.h>
#include <xenbus/xenstored_dom0.h>
#include <xenbus/xs_ring.h>
#include <xenstore/xenstored.h>
#include <xenbus/xenbus.h>
#include "arena.h"

#define XSD_MAX_DOMID   32                      /* boot domains are 1 .. 31 */
#define XSD_ARENA_PAGES 256                     /* 1 MiB for the store */
#define XSD_SCAN_NS     (50 * NSEC_PER_MSEC)    /* domain list polled (also at once on VIRQ_DOM_EXC or a kick) */

/* A domU as the service serves it. */
struct xsd_dom {
    bool known;                                 /* set up and introduced (or being) */
    char name[32];
    uint64_t store_mfn;                         /* as introduced: a new domain with the same id has another */
    struct xenstore_domain_interface *ring;     /* its store page, mapped here */
    int port;                                   /* our end of its store channel */
    struct xs_conn *conn;                       /* NULL once dropped for breaking the protocol */
    XENSTORE_RING_IDX req_cons, rsp_prod;       /* our copies: the shared ones are not trusted */
};

static struct xs_server *server;
static struct semaphore lock;                   /* the store core and doms[] */
static struct semaphore work;                   /* upped by events and kicks */
static struct xs_conn *local_conn;              /* dom0's kernel (xenbus) */
static struct xs_conn *tool_conn;               /* our toolstack part: INTRODUCE, RELEASE */
static struct xsd_dom doms[XSD_MAX_DOMID];
static void (*local_kick)(void);
static volatile bool running, stopping;
static volatile bool scan_now;                  /* a domain came or went: look before the next poll */

/* ---- environment of the store core ---- */

static void *env_alloc(size_t n) { return xs_arena_alloc(n); }
static void env_free(void *p) { xs_arena_free(p); }

static void env_kick(void *opaque)
{
    if (opaque == &local_conn) {
        if (local_kick)
            local_kick();
    } else if (opaque != &tool_conn) {
        sem_up(&work);
    }
}

static void ring_event(void *arg)
{
    (void)arg;
    sem_up(&work);
}

/* VIRQ_DOM_EXC (events masked): a domain stopped or its destruction is done. */
static void dom_exc_event(void *arg)
{
    (void)arg;
    xenstored_dom0_kick();
}

void xenstored_dom0_kick(void)
{
    __atomic_store_n(&scan_now, true, __ATOMIC_RELEASE);
    sem_up(&work);
}

static int env_introduce(void *ctx, uint16_t domid, uint64_t mfn, uint32_t port)
{
    (void)ctx;
    if (domid == 0 || domid >= XSD_MAX_DOMID)
        return XS_EINVAL;
    struct xsd_dom *d = &doms[domid];
    if (d->ring)
        return XS_EEXIST;
    d->ring = xenpv_map_foreign(domid, mfn, true);
    if (!d->ring)
        return XS_EACCES;
    int p = xenpv_evtchn_bind_interdomain(domid, port, ring_event, d);
    if (p < 0) {
        printk("xenstored: binding domain %u's store port %u failed: %d\n", domid, port, p);
        xenpv_unmap_foreign(d->ring);
        d->ring = NULL;
        return XS_EINVAL;
    }
    d->port = p;
    d->conn = xs_conn_create(server, domid, d);
    if (!d->conn) {
        xenpv_evtchn_close((evtchn_port_t)d->port);
        xenpv_unmap_foreign(d->ring);
        d->ring = NULL;
        return XS_ENOMEM;
    }
    /* Requests it wrote before we came are served from where it stands. */
    d->req_cons = READ_ONCE(d->ring->req_cons);
    d->rsp_prod = READ_ONCE(d->ring->rsp_prod);
    WRITE_ONCE(d->ring->server_features, XENSTORE_SERVER_FEATURE_ERROR);
    WRITE_ONCE(d->ring->error, XENSTORE_ERROR_NONE);
    sem_up(&work);
    return XS_OK;
}

static void env_release(void *ctx, uint16_t domid)
{
    (void)ctx;
    if (domid == 0 || domid >= XSD_MAX_DOMID || !doms[domid].ring)
        return;
    struct xsd_dom *d = &doms[domid];
    if (d->conn)
        xs_conn_destroy(d->conn);
    d->conn = NULL;
    xenpv_evtchn_close((evtchn_port_t)d->port);
    xenpv_unmap_foreign(d->ring);
    d->ring = NULL;
}

static const struct xs_env env = {
    .alloc = env_alloc, .free = env_free, .kick = env_kick,
    .introduce = env_introduce, .release = env_release, .ctx = NULL,
};

/* ---- serving a domU's ring (lock held) ---- */

static void drop_conn(struct xsd_dom *d, unsigned int domid, uint32_t error, const char *why)
{
    printk("xenstored: domain %u (%s) broke the protocol (%s): its connection is dropped\n", domid, d->name, why);
    WRITE_ONCE(d->ring->error, error);
    xs_conn_destroy(d->conn);
    d->conn = NULL;
    xenpv_evtchn_notify((evtchn_port_t)d->port);
}

/* Moves what fits of the connection's output into rsp: true if anything moved. */
static bool push_output(struct xsd_dom *d, unsigned int domid)
{
    struct xs_ring_dir rsp = xs_ring_rsp(d->ring);
    bool moved = false;
    while (d->conn && xs_conn_has_output(d->conn)) {
        uint32_t off;
        int room = xs_ring_room(&rsp, d->rsp_prod, &off);
        if (room == XS_RING_BAD) {
            drop_conn(d, domid, XENSTORE_ERROR_RINGIDX, "response consumer index out of the ring");
            break;
        }
        size_t n = room ? xs_conn_output(d->conn, &d->ring->rsp[off], (size_t)room) : 0;
        if (!n)
            break;
        xs_ring_produce(&rsp, &d->rsp_prod, (uint32_t)n);
        moved = true;
    }
    return moved;
}

/* Feeds what req holds into the connection: true if anything was consumed. */
static bool pull_input(struct xsd_dom *d, unsigned int domid)
{
    uint8_t buf[XENSTORE_RING_SIZE];
    struct xs_ring_dir req = xs_ring_req(d->ring);
    /* One copy out of the shared page: the guest may change it while we parse. */
    int avail = xs_ring_peek(&req, d->req_cons, buf, sizeof(buf));
    if (avail == XS_RING_BAD) {
        drop_conn(d, domid, XENSTORE_ERROR_RINGIDX, "request producer index jumped past the ring");
        return false;
    }
    if (!avail)
        return false;
    int n = xs_conn_input(d->conn, buf, (size_t)avail);
    if (n < 0) {
        drop_conn(d, domid, XENSTORE_ERROR_PROTO, "message longer than the payload limit");
        return false;
    }
    if (!n)
        return false;
    xs_ring_consume(&req, &d->req_cons, (uint32_t)n);
    return true;
}

static void serve(unsigned int domid)
{
    struct xsd_dom *d = &doms[domid];
    bool notify = false;
    for (unsigned int round = 0; round < 64 && d->ring && d->conn; round++) {
        bool out = push_output(d, domid);
        bool in = d->conn && pull_input(d, domid);
        if (d->conn)
            out |= push_output(d, domid);
        notify |= in || out;
        if (!in && !out)
            break;
    }
    if (notify && d->ring)
        xenpv_evtchn_notify((evtchn_port_t)d->port);
}

/* ---- the toolstack part: a privileged connection of our own (lock held) ---- */

/* Sends one request on tool_conn and reads its reply: 0, or the reply's error name. */
static const char *tool_request(uint32_t type, const char *payload, uint32_t len)
{
    static uint32_t req_id;
    struct xsd_sockmsg h = { .type = type, .req_id = ++req_id, .tx_id = 0, .len = len };
    if (xs_conn_input(tool_conn, &h, sizeof(h)) != (int)sizeof(h) ||
        xs_conn_input(tool_conn, payload, len) != (int)len)
        return "EIO";
    static char reply[64];
    struct xsd_sockmsg r;
    const char *err = NULL;
    bool seen = false;
    while (xs_conn_has_output(tool_conn)) {
        if (xs_conn_output(tool_conn, &r, sizeof(r)) != sizeof(r))
            return "EIO";
        uint32_t n = MIN(r.len, sizeof(reply) - 1), rest = r.len - n;
        xs_conn_output(tool_conn, reply, n);
        reply[n] = '\0';
        while (rest) {                          /* a long watch event we do not read */
            char skip[64];
            uint32_t k = MIN(rest, sizeof(skip));
            xs_conn_output(tool_conn, skip, k);
            rest -= k;
        }
        if (r.req_id == h.req_id && r.type != XS_WATCH_EVENT) {
            seen = true;
            err = r.type == XS_ERROR ? reply : NULL;
        }
    }
    return seen ? err : "EIO";
}

static size_t put_u64(char *p, uint64_t v)
{
    return (size_t)snprintf(p, 24, "%llu", (unsigned long long)v) + 1;
}

static void introduce(unsigned int domid, const struct pv_domctl_info *info)
{
    struct xsd_dom *d = &doms[domid];
    str_copy(d->name, (const char *)info->name, sizeof(d->name));
    d->known = true;
    d->store_mfn = info->store_mfn;
    int err = xs_domain_setup(server, (uint16_t)domid, d->name);
    if (err) {
        printk("xenstored: writing /local/domain/%u failed: %s\n", domid, xs_err_name(err));
        return;
    }
    char pl[80];
    size_t n = put_u64(pl, domid);
    n += put_u64(pl + n, info->store_mfn);
    n += put_u64(pl + n, info->store_port);
    const char *e = tool_request(XS_INTRODUCE, pl, (uint32_t)n);
    if (e)
        printk("xenstored: INTRODUCE of domain %u (%s) failed: %s\n", domid, d->name, e);
    else
        printk("xenstored: introduced domain %u (%s)\n", domid, d->name);
}

static void release(unsigned int domid, const char *why)
{
    struct xsd_dom *d = &doms[domid];
    char pl[24];
    size_t n = put_u64(pl, domid);
    const char *e = tool_request(XS_RELEASE, pl, (uint32_t)n);
    if (e && strcmp(e, "ENOENT"))
        printk("xenstored: RELEASE of domain %u (%s) failed: %s\n", domid, d->name, e);
    env_release(NULL, (uint16_t)domid);         /* whatever the store said: nothing of it stays mapped */
    printk("xenstored: released domain %u (%s): %s\n", domid, d->name, why);
    d->known = false;
}

/* Every domain id: new running domUs are introduced, stopped ones released. */
static void scan_domains(void)
{
    struct pv_domctl_info info;
    for (unsigned int id = 1; id < XSD_MAX_DOMID; id++) {
        int rc = xenpv_domain_info((domid_t)id, &info);
        /* Boot domains take ids 1, 2, ... and their records stay after death: none here, none after. */
        if (rc == -XEN_ESRCH && !doms[id].known) {
            bool later = false;
            for (unsigned int k = id + 1; k < XSD_MAX_DOMID; k++)
                later |= doms[k].known;
            if (!later)
                break;
        }
        bool alive = !rc && (info.flags & PV_DOMINF_running);
        /* The id of a destroyed domain is free again: a new domain may hold it by our next look (its ring is another frame, ours still mapped). */
        if (alive && doms[id].known && info.store_mfn != doms[id].store_mfn)
            release(id, "replaced by a new domain");
        if (alive && !doms[id].known && info.store_mfn)
            introduce(id, &info);
        else if (!alive && doms[id].known)
            release(id, rc ? "gone" : "shut down");
    }
}

/* ---- the thread ---- */

static void xenstored_thread(void *arg)
{
    (void)arg;
    uint64_t next_scan = 0;
    bool domctl = true;
    for (;;) {
        sem_down_timeout(&work, XSD_SCAN_NS);
        if (stopping)
            break;
        sem_down(&lock);
        if (domctl && (__atomic_exchange_n(&scan_now, false, __ATOMIC_ACQ_REL) || clock_ns() >= next_scan)) {
            struct pv_domctl_info self;
            int rc = xenpv_domain_info(0, &self);
            if (rc && rc != -XEN_ESRCH) {
                printk("xenstored: no domctl getdomaininfo here (%d): serving dom0 alone\n", rc);
                domctl = false;
            } else {
                scan_domains();
            }
            next_scan = clock_ns() + XSD_SCAN_NS;
        }
        for (unsigned int id = 1; id < XSD_MAX_DOMID; id++)
            if (doms[id].ring && doms[id].conn)
                serve(id);
        sem_up(&lock);
    }
    running = false;
    thread_exit();
}

void xenstored_dom0_start(void)
{
    if (!xenpv_is_dom0())
        return;
    sem_init(&lock, 1);
    sem_init(&work, 0);
    if (!xs_arena_init(XSD_ARENA_PAGES)) {
        printk("xenstored: no memory for the store: not started\n");
        return;
    }
    server = xs_server_create(&env);
    local_conn = server ? xs_conn_create(server, 0, &local_conn) : NULL;
    tool_conn = local_conn ? xs_conn_create(server, 0, &tool_conn) : NULL;
    if (!tool_conn || xs_domain_setup(server, 0, "Domain-0")) {
        printk("xenstored: the store could not be created: not started\n");
        return;
    }
    running = true;
    if (!thread_create("xenstored", xenstored_thread, NULL)) {
        running = false;
        return;
    }
    int rc = xenpv_dom_exc_subscribe(dom_exc_event, NULL);
    if (rc)
        printk("xenstored: no VIRQ_DOM_EXC (%d): stopped domains are found by the %llu ms poll\n", rc,
               (unsigned long long)(XSD_SCAN_NS / NSEC_PER_MSEC));
    printk("xenstored: serving dom0 and the boot domains\n");
}

void xenstored_dom0_stop(void)
{
    if (!running)
        return;
    sem_down(&lock);
    stopping = true;
    for (unsigned int id = 1; id < XSD_MAX_DOMID; id++)
        if (doms[id].known)
            release(id, "dom0 is stopping");
    sem_up(&lock);
    sem_up(&work);
}

bool xenstored_dom0_running(void) { return running && !stopping; }

uint32_t xenstored_dom0_nodes(void)
{
    if (!xenstored_dom0_running())
        return 0;
    uint32_t n = 0;
    sem_down(&lock);
    for (unsigned int id = 0; id < XSD_MAX_DOMID; id++)
        n += xs_domain_nodes(server, (uint16_t)id);
    sem_up(&lock);
    return n;
}

uint32_t xenstored_dom0_watches(void)
{
    if (!xenstored_dom0_running())
        return 0;
    struct xs_conn_stats st;
    uint32_t n = 0;
    sem_down(&lock);
    xs_conn_stats(local_conn, &st);
    n += st.watches;
    xs_conn_stats(tool_conn, &st);
    n += st.watches;
    for (unsigned int id = 1; id < XSD_MAX_DOMID; id++)
        if (doms[id].conn) {
            xs_conn_stats(doms[id].conn, &st);
            n += st.watches;
        }
    sem_up(&lock);
    return n;
}

/* ---- dom0's local connection ---- */

int xsd_local_write(const void *bytes, size_t len)
{
    const uint8_t *p = bytes;
    while (len) {
        if (!xenstored_dom0_running())
            return -EIO;
        sem_down(&lock);
        int n = xs_conn_input(local_conn, p, len);
        sem_up(&lock);
        if (n < 0)
            return -EIO;
        p += n;
        len -= (size_t)n;
        if (len)
            thread_sleep_ns(NSEC_PER_MSEC);     /* replies unread: the reader drains them */
    }
    return 0;
}

size_t xsd_local_read(void *buf, size_t max)
{
    if (!local_conn)
        return 0;
    sem_down(&lock);
    size_t n = xs_conn_output(local_conn, buf, max);
    sem_up(&lock);
    return n;
}

void xsd_local_set_kick(void (*kick)(void)) { local_kick = kick; }
