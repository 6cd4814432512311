/*
 * netfront (domUs): the first vif as a packet interface (net/netif.h), the
 * same one the native virtio-net driver offers, so the IP stack runs on
 * either unchanged. Xen's vif handshake: a tx and an rx ring page granted to
 * the back end, one event channel for both, tx-ring-ref / rx-ring-ref /
 * event-channel / request-rx-copy published; the MAC is the toolstack's
 * device/vif/<n>/mac.
 *
 * Buffers are ours for the whole boot and granted once a connection: a frame
 * to send is copied into a free tx buffer (half a page, read-only to the back
 * end, which copies it out by grant copy); RX_BUFS whole pages, writable,
 * wait in the rx ring for the back end to copy frames into, and go back in
 * the ring as soon as the stack has seen their frame. No scatter-gather, no
 * offloads (feature-sg 0): a frame takes one slot each way.
 *
 * Everything the back end writes is hostile: a response's id must name a
 * buffer it holds, its length and offset must fit the page.
 */
#include <mm.h>
#include <sched.h>
#include <spinlock.h>
#include <xen/services.h>
#include <xenbus/xenbus.h>
#include <pvd/ring.h>
#include <public/io/netif.h>
#include <net/netif.h>
#include <net/netfront.h>

#define TX_BUFS     64                      /* frames in flight to the back end */
#define TX_BUF_SIZE 2048u                   /* two a page: a frame never crosses a page */
#define RX_BUFS     64                      /* pages posted for the back end to fill */
#define TX_PAGES    (TX_BUFS * TX_BUF_SIZE / PAGE_SIZE)
_Static_assert(TX_BUFS <= NETIF_TX_RING_SIZE && RX_BUFS <= NETIF_RX_RING_SIZE, "one slot a buffer");
_Static_assert(ETH_FRAME_MAX <= TX_BUF_SIZE && PAGE_SIZE % TX_BUF_SIZE == 0, "a frame in a tx buffer");

static struct {
    struct xenbus_device *dev;
    struct netif nif;
    void *tx_page, *rx_page;                /* the rings, taken at boot */
    uint8_t *tx_buf[TX_PAGES];              /* tx buffer i: tx_buf[i / 2] + (i % 2) * TX_BUF_SIZE */
    uint8_t *rx_buf[RX_BUFS];
    int tx_ref, rx_ref;                     /* the rings' grants */
    int tx_gref[TX_PAGES], rx_gref[RX_BUFS];
    evtchn_port_t port;
    struct pvd_ring tx, rx;
    uint16_t tx_free[TX_BUFS];              /* ids of free tx buffers */
    unsigned int nr_tx_free;
    bool tx_busy[TX_BUFS];                  /* with the back end: only these ids may come back */
    bool rx_posted[RX_BUFS];
    bool connected;
    spinlock_t lock;                        /* the rings, the buffers' state and connected */
    struct semaphore kick;                  /* the port's events */
    struct semaphore ready;
    uint64_t tx_errors, rsp_bad;            /* tx answered with an error; responses naming no buffer of ours */
} nf;

static void front_interrupt(void *arg)
{
    (void)arg;
    sem_up(&nf.kick);
    void (*fn)(void *) = READ_ONCE(nf.nif.rx_notify);
    if (fn)
        fn(nf.nif.rx_notify_arg);
}

/* Takes the back end's tx answers (lock held): their buffers are free again. */
static void reap_tx(void)
{
    union netif_tx_sring_entry e;
    while (pvd_ring_front_get_response(&nf.tx, &e)) {
        uint16_t id = e.rsp.id;
        if (e.rsp.status == NETIF_RSP_NULL)
            continue;
        if (id >= TX_BUFS || !nf.tx_busy[id]) {
            nf.rsp_bad++;
            continue;
        }
        nf.tx_busy[id] = false;
        nf.tx_free[nf.nr_tx_free++] = id;
        if (e.rsp.status != NETIF_RSP_OKAY)
            nf.tx_errors++;
    }
}

/* Puts rx buffer i back in the ring for the back end (lock held); true if the back end must be told. */
static bool post_rx(unsigned int i)
{
    struct netif_rx_request *q = pvd_ring_front_next_request(&nf.rx);
    if (!q)
        return false;           /* cannot happen: RX_BUFS <= the ring's slots */
    *q = (struct netif_rx_request){ .id = (uint16_t)i, .gref = (grant_ref_t)nf.rx_gref[i] };
    nf.rx_posted[i] = true;
    return pvd_ring_front_push(&nf.rx);
}

static int nf_send(struct netif *nif, const void *frame, size_t len)
{
    if (len < ETH_HLEN || len > ETH_FRAME_MAX) {
        nif->stats.tx_bad++;
        return -EINVAL;
    }
    spin_lock(&nf.lock);
    if (!nf.connected) {
        spin_unlock(&nf.lock);
        nif->stats.tx_full++;
        return -ENOSPC;
    }
    reap_tx();
    struct netif_tx_request *q = nf.nr_tx_free ? pvd_ring_front_next_request(&nf.tx) : NULL;
    if (!q) {
        spin_unlock(&nf.lock);
        nif->stats.tx_full++;
        return -ENOSPC;
    }
    uint16_t id = nf.tx_free[--nf.nr_tx_free];
    uint16_t off = (uint16_t)(id % (PAGE_SIZE / TX_BUF_SIZE) * TX_BUF_SIZE);
    memcpy(nf.tx_buf[id / (PAGE_SIZE / TX_BUF_SIZE)] + off, frame, len);
    nf.tx_busy[id] = true;
    *q = (struct netif_tx_request){ .gref = (grant_ref_t)nf.tx_gref[id / (PAGE_SIZE / TX_BUF_SIZE)],
                                    .offset = off, .flags = 0, .id = id, .size = (uint16_t)len };
    bool notify = pvd_ring_front_push(&nf.tx);
    spin_unlock(&nf.lock);
    if (notify)
        xenpv_evtchn_notify(nf.port);
    nif->stats.tx_frames++;
    nif->stats.tx_bytes += len;
    return 0;
}

static unsigned int nf_poll(struct netif *nif, netif_rx_fn fn, void *arg, unsigned int budget)
{
    unsigned int handed = 0;
    bool notify = false;
    while (handed < budget) {
        union netif_rx_sring_entry e;
        spin_lock(&nf.lock);
        bool got = nf.connected && pvd_ring_front_get_response(&nf.rx, &e);
        const struct netif_rx_response *r = &e.rsp;
        bool ours = got && r->id < RX_BUFS && nf.rx_posted[r->id];
        if (ours)
            nf.rx_posted[r->id] = false;
        spin_unlock(&nf.lock);
        if (!got)
            break;
        if (!ours) {
            nf.rsp_bad++;
            continue;
        }
        /* One slot a frame (no feature-sg): a chained, extra or misplaced answer is dropped. */
        if (r->status < ETH_HLEN || r->status > ETH_FRAME_MAX || r->offset + (unsigned int)r->status > PAGE_SIZE ||
            (r->flags & (NETRXF_more_data | NETRXF_extra_info))) {
            nif->stats.rx_bad++;
        } else {
            nif->stats.rx_frames++;
            nif->stats.rx_bytes += (uint64_t)r->status;
            fn(arg, nf.rx_buf[r->id] + r->offset, (size_t)r->status);
            handed++;
        }
        spin_lock(&nf.lock);
        if (nf.connected)
            notify |= post_rx(r->id);
        spin_unlock(&nf.lock);
    }
    if (notify)
        xenpv_evtchn_notify(nf.port);
    return handed;
}

static void nf_wait(struct netif *nif, uint64_t deadline_ns)
{
    (void)nif;
    spin_lock(&nf.lock);
    bool more = nf.connected && pvd_ring_front_final_check(&nf.rx);
    spin_unlock(&nf.lock);
    uint64_t now = clock_ns();
    if (!more && deadline_ns > now)
        sem_down_timeout(&nf.kick, deadline_ns - now);
}

static int nf_flush(struct netif *nif, uint64_t deadline_ns)
{
    (void)nif;
    for (;;) {
        spin_lock(&nf.lock);
        reap_tx();
        bool done = !nf.connected || nf.nr_tx_free == TX_BUFS;
        if (!done)
            pvd_ring_front_final_check(&nf.tx);    /* ask for an event at the next answer */
        spin_unlock(&nf.lock);
        if (done)
            return 0;
        uint64_t now = clock_ns();
        if (now > deadline_ns)
            return -ETIMEDOUT;
        sem_down_timeout(&nf.kick, MIN(deadline_ns - now, 10 * NSEC_PER_MSEC));
    }
}

static const struct netif_ops nf_ops = {
    .send = nf_send,
    .poll = nf_poll,
    .wait = nf_wait,
    .flush = nf_flush,
};

/* Ends *ref if it is set and nobody uses it (it becomes 0): whether it is still in use. */
static bool end_ref(int *ref)
{
    if (*ref > 0 && xenpv_grant_end_access((grant_ref_t)*ref) == 0)
        *ref = 0;
    return *ref > 0;
}

/* Ends what it can of this connection's grants: how many are still in use. */
static unsigned int end_grants(void)
{
    unsigned int busy = end_ref(&nf.tx_ref) + end_ref(&nf.rx_ref);
    for (unsigned int i = 0; i < TX_PAGES; i++)
        busy += end_ref(&nf.tx_gref[i]);
    for (unsigned int i = 0; i < RX_BUFS; i++)
        busy += end_ref(&nf.rx_gref[i]);
    return busy;
}

/*
 * Ends every grant this connection made and closes the port (the pages stay
 * ours for the next one). A grant the back end still copies from or to
 * (it is going, a copy in flight) keeps its reference: front_connect ends it
 * before the page is granted again, never leaking it or sharing the page twice.
 */
static void front_release(void)
{
    spin_lock(&nf.lock);
    nf.connected = false;
    spin_unlock(&nf.lock);
    if (nf.port) {
        xenpv_evtchn_close(nf.port);
        nf.port = 0;
    }
    unsigned int busy = end_grants();
    if (busy)
        printk("netfront: %u grants still in use by the back end as it goes: ended before the next connection\n",
               busy);
}

#define LEFTOVER_WAIT_MS 100    /* a going back end's last copy ends in far less */

/* <nodename>/mac as xx:xx:xx:xx:xx:xx into mac: 0, or -EINVAL. */
static int read_mac(struct xenbus_device *dev, uint8_t mac[ETH_ALEN])
{
    char path[128], v[24];
    snprintf(path, sizeof(path), "%s/mac", dev->nodename);
    if (xenbus_read(0, path, v, sizeof(v)) != 17)
        return -EINVAL;
    for (unsigned int i = 0; i < ETH_ALEN; i++) {
        unsigned int b = 0;
        for (unsigned int k = 0; k < 2; k++) {
            char c = v[i * 3 + k];
            unsigned int d = c >= '0' && c <= '9' ? (unsigned int)(c - '0')
                           : c >= 'a' && c <= 'f' ? (unsigned int)(c - 'a' + 10)
                           : c >= 'A' && c <= 'F' ? (unsigned int)(c - 'A' + 10) : 16u;
            if (d > 15)
                return -EINVAL;
            b = b * 16 + d;
        }
        if (i < ETH_ALEN - 1 && v[i * 3 + 2] != ':')
            return -EINVAL;
        mac[i] = (uint8_t)b;
    }
    return (mac[0] & 1) ? -EINVAL : 0;          /* a multicast address is no station's */
}

struct publish {
    struct xenbus_device *dev;
    int tx_ref, rx_ref, port;
};

static int publish_keys(xenbus_tx_t tx, void *arg)
{
    const struct publish *p = arg;
    static const char *const keys[] = { "tx-ring-ref", "rx-ring-ref", "event-channel", "request-rx-copy",
                                        "feature-rx-notify", "feature-sg", "feature-gso-tcpv4", "feature-no-csum-offload" };
    int vals[] = { p->tx_ref, p->rx_ref, p->port, 1, 1, 0, 0, 1 };
    char path[160];
    for (unsigned int i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", p->dev->nodename, keys[i]);
        int rc = xenbus_printf(tx, path, "%d", vals[i]);
        if (rc)
            return rc;
    }
    return 0;
}

/* The back end waits for us (InitWait): rings and buffers granted, a port, the keys, then Initialised. */
static int front_connect(struct xenbus_device *dev)
{
    domid_t be = (domid_t)dev->otherend_id;
    char path[128];
    int copy = 0;
    snprintf(path, sizeof(path), "%s/feature-rx-copy", dev->otherend);
    if (xenbus_read_int(0, path, &copy) || copy != 1)
        return -EOPNOTSUPP;                     /* rx by page flipping is gone from Xen too */
    int rc = read_mac(dev, nf.nif.mac);
    if (rc)
        return rc;
    unsigned int busy = end_grants();           /* the last connection's, if it left any */
    for (unsigned int ms = 0; busy && ms < LEFTOVER_WAIT_MS; ms++) {
        thread_sleep_ns(NSEC_PER_MSEC);
        busy = end_grants();
    }
    if (busy) {
        printk("netfront: %u grants of the last connection still in use after %u ms: not connecting\n", busy,
               LEFTOVER_WAIT_MS);
        return -EBUSY;
    }
    memset(nf.tx_page, 0, PAGE_SIZE);
    memset(nf.rx_page, 0, PAGE_SIZE);
    pvd_ring_front_init(&nf.tx, nf.tx_page, PAGE_SIZE, sizeof(union netif_tx_sring_entry));
    pvd_ring_front_init(&nf.rx, nf.rx_page, PAGE_SIZE, sizeof(union netif_rx_sring_entry));
    rc = 0;
    if ((nf.tx_ref = xenpv_grant_access(be, virt_to_pfn(nf.tx_page), false)) < 0 ||
        (nf.rx_ref = xenpv_grant_access(be, virt_to_pfn(nf.rx_page), false)) < 0)
        rc = -ENOSPC;
    for (unsigned int i = 0; i < TX_PAGES && !rc; i++)
        if ((nf.tx_gref[i] = xenpv_grant_access(be, virt_to_pfn(nf.tx_buf[i]), true)) < 0)
            rc = -ENOSPC;
    for (unsigned int i = 0; i < RX_BUFS && !rc; i++)
        if ((nf.rx_gref[i] = xenpv_grant_access(be, virt_to_pfn(nf.rx_buf[i]), false)) < 0)
            rc = -ENOSPC;
    int port = rc ? rc : xenpv_evtchn_alloc_unbound(be);
    if (port < 0 || (port = xenpv_evtchn_bind((evtchn_port_t)port, front_interrupt, NULL)) < 0) {
        front_release();
        return port;
    }
    nf.port = (evtchn_port_t)port;
    spin_lock(&nf.lock);
    nf.nr_tx_free = 0;
    for (unsigned int i = TX_BUFS; i-- > 0;) {
        nf.tx_busy[i] = false;
        nf.tx_free[nf.nr_tx_free++] = (uint16_t)i;
    }
    for (unsigned int i = 0; i < RX_BUFS; i++)
        post_rx(i);                             /* the back end reads them once connected: no event */
    spin_unlock(&nf.lock);
    struct publish p = { dev, nf.tx_ref, nf.rx_ref, port };
    if ((rc = xenbus_transaction_retry(publish_keys, &p, 10))) {
        front_release();
        return rc;
    }
    return xenbus_dev_switch_state(dev, XenbusStateInitialised);
}

static void front_connected(struct xenbus_device *dev)
{
    spin_lock(&nf.lock);
    nf.connected = true;
    spin_unlock(&nf.lock);
    xenbus_dev_switch_state(dev, XenbusStateConnected);
    const uint8_t *m = nf.nif.mac;
    printk("netfront: vif connected to domain %u: mac %02x:%02x:%02x:%02x:%02x:%02x, %u rx buffers, %u tx\n",
           dev->otherend_id, m[0], m[1], m[2], m[3], m[4], m[5], RX_BUFS, TX_BUFS);
    sem_up(&nf.ready);
}

/* Rings and buffers when the vif appears (at boot: before the self-tests count pages), kept for good. */
static int front_probe(struct xenbus_device *dev)
{
    if (nf.dev)
        return -EBUSY;              /* one vif a domain */
    bool ok = (nf.tx_page || (nf.tx_page = alloc_page())) && (nf.rx_page || (nf.rx_page = alloc_page()));
    for (unsigned int i = 0; i < TX_PAGES && ok; i++)
        ok = nf.tx_buf[i] || (nf.tx_buf[i] = alloc_page());
    for (unsigned int i = 0; i < RX_BUFS && ok; i++)
        ok = nf.rx_buf[i] || (nf.rx_buf[i] = alloc_page());
    if (!ok) {
        printk("netfront: no memory for the rings and buffers\n");
        return -ENOMEM;
    }
    nf.dev = dev;
    return 0;
}

static void front_changed(struct xenbus_device *dev, int state)
{
    static const struct xenbus_front_steps steps = {
        .name = "netfront", .connect = front_connect, .connected = front_connected, .release = front_release,
    };
    xenbus_front_changed(dev, state, &steps);
}

static void front_disconnect(struct xenbus_device *dev)
{
    (void)dev;
    front_release();
}

static void front_remove(struct xenbus_device *dev)
{
    (void)dev;
    front_release();
    nf.dev = NULL;
}

static struct xenbus_driver netfront_driver = {
    .type = "vif",
    .backend = false,
    .probe = front_probe,
    .otherend_changed = front_changed,
    .disconnect = front_disconnect,
    .remove = front_remove,
};

struct netif *netfront_wait(uint64_t timeout_ns)
{
    if (xenpv_is_dom0() || !xenbus_ready())
        return NULL;
    if (!READ_ONCE(nf.connected) && sem_down_timeout(&nf.ready, timeout_ns))
        return NULL;
    return &nf.nif;
}

void netfront_counters(uint64_t *tx_errors, uint64_t *rsp_bad)
{
    *tx_errors = nf.tx_errors;
    *rsp_bad = nf.rsp_bad;
}

/* ---- tests only: a hostile front end (selftest_nethostile.c) ---- */

int netfront_raw_tx(const struct netif_tx_request *q, unsigned int n, int16_t *st, unsigned int max,
                    uint64_t timeout_ns)
{
    spin_lock(&nf.lock);
    bool notify = false;
    for (unsigned int i = 0; i < n && nf.connected; i++) {
        struct netif_tx_request *slot = pvd_ring_front_next_request(&nf.tx);
        if (!slot)
            break;
        *slot = q[i];
    }
    if (nf.connected)
        notify = pvd_ring_front_push(&nf.tx);
    spin_unlock(&nf.lock);
    if (notify)
        xenpv_evtchn_notify(nf.port);
    unsigned int got = 0;
    uint64_t deadline = clock_ns() + timeout_ns;
    while (got < max && clock_ns() < deadline) {
        union netif_tx_sring_entry e;
        spin_lock(&nf.lock);
        bool have = nf.connected && pvd_ring_front_get_response(&nf.tx, &e);
        if (!have && nf.connected)
            pvd_ring_front_final_check(&nf.tx);
        spin_unlock(&nf.lock);
        if (have)
            st[got++] = e.rsp.status;
        else
            sem_down_timeout(&nf.kick, 10 * NSEC_PER_MSEC);
    }
    return (int)got;
}

int netfront_raw_frame(size_t len, grant_ref_t *gref, uint16_t *offset)
{
    if (!nf.connected || len > TX_BUF_SIZE)
        return -EINVAL;
    static const uint8_t nobody[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x01 };    /* locally administered, unknown */
    uint8_t *f = nf.tx_buf[0];                  /* tx buffer 0: the raw tests send no frame through nf_send */
    memcpy(f, nobody, ETH_ALEN);
    memcpy(f + ETH_ALEN, nf.nif.mac, ETH_ALEN);
    f[12] = 0x88, f[13] = 0xb5;                 /* IEEE 802 local experimental EtherType */
    for (size_t i = ETH_HLEN; i < len; i++)
        f[i] = (uint8_t)i;
    *gref = (grant_ref_t)nf.tx_gref[0];
    *offset = 0;
    return 0;
}

void netfront_raw_jump(void)
{
    spin_lock(&nf.lock);
    struct xen_sring_header *h = nf.tx.sring;
    WRITE_ONCE(h->req_prod, h->req_prod + 3 * NETIF_TX_RING_SIZE);
    spin_unlock(&nf.lock);
    xenpv_evtchn_notify(nf.port);
}

int netfront_backend_state(void)
{
    return nf.dev ? xenbus_read_state(0, nf.dev->otherend) : XenbusStateUnknown;
}

/* Every domU: the driver (a vif in the store is probed at once). */
void netfront_start(void)
{
    spin_init(&nf.lock);
    sem_init(&nf.kick, 0);
    sem_init(&nf.ready, 0);
    nf.nif = (struct netif){ .ops = &nf_ops, .name = "netfront" };
    if (xenpv_is_dom0() || !xenbus_ready())
        return;
    int rc = xenbus_register_driver(&netfront_driver);
    if (rc)
        printk("netfront: registering the driver failed: %d\n", rc);
}
