/*
 * netback (dom0): a vif per front end, all joined with a learning bridge
 * (net/bridge.c) and, with netbridge=virtio, the physical NIC (pvguest's
 * virtio-net driver) as the bridge's uplink.
 *
 * Xen's vif handshake: the toolstack writes backend/vif/<fe>/<n>/{mac,handle};
 * we add feature-rx-copy and the other feature keys and wait in InitWait for
 * the front end's tx-ring-ref, rx-ring-ref, event-channel and request-rx-copy.
 *
 * Tx (front end to bridge): each packet's slots are copied out of the ring
 * once, checked (netif_check.c), and its data pulled by grant copy into a
 * frame buffer. Rx (bridge to front end): a frame goes by grant copy into a
 * buffer the front end posted; none posted: dropped and counted. Grant copy
 * both ways, not grant map: a 64- to 1514-byte frame costs one hypercall
 * either way, and copying leaves no mapping to tear down or to race with the
 * front end's end of access.
 *
 * Every front end is hostile. A bad slot chain, a bad grant or an oversized
 * packet is answered NETIF_RSP_ERROR and counted; after MAX_STRIKES of those
 * the vif is disconnected, as is one whose producer index jumps (Xen's
 * netback calls both a fatal error). Each vif is served at most BUDGET
 * packets a round, so a flood from one leaves the others their turn.
 */
#include <cmdline.h>
#include <mm.h>
#include <pci.h>
#include <sched.h>
#include <virtio_net.h>
#include <xen/services.h>
#include <xenbus/xenbus.h>
#include <pvd/ring.h>
#include <public/grant_table.h>
#include <public/io/netif.h>
#include <net/bridge.h>
#include <net/netback.h>
#include <net/netif_check.h>

#define MAX_VIFS    8
#define BUDGET      64                      /* tx packets a vif is served a round */
#define MAX_STRIKES 32                      /* refused packets before a vif is cut off */
#define FATAL_SLOTS 20                      /* a chain this long is malice, not a mistake (Xen's fatal_skb_slots) */
#define MAX_EXTRAS  4                       /* extra-info slots read after a packet's first */
#define IDLE_NS     (100 * NSEC_PER_MSEC)
#define UPLINK_WAIT_NS (2 * NSEC_PER_MSEC)  /* a full NIC ring is waited for this long before a frame is dropped */
_Static_assert(ETH_FRAME_MAX <= PAGE_SIZE, "a tx packet in the frame page: each grant copy stays in one page");

/* What netback counts for each vif: the hostile cases one by one. */
#define VIF_COUNTERS(X)                                                                          \
    X(tx_packets) X(tx_bytes) X(tx_too_short) X(tx_too_big) X(tx_crosses_page) X(tx_size_mismatch) \
    X(tx_too_many_slots) X(tx_fatal) X(tx_bad_extra) X(tx_bad_gref)                        \
    X(rx_packets) X(rx_bytes) X(rx_no_buffer) X(rx_bad_gref)
struct vif_counters {
#define VIF_FIELD(n) uint64_t n;
    VIF_COUNTERS(VIF_FIELD)
#undef VIF_FIELD
};
static const char *const vif_counter_names[] = {
#define VIF_NAME(n) #n,
    VIF_COUNTERS(VIF_NAME)
#undef VIF_NAME
};

struct vif {
    struct xenbus_device *dev;
    domid_t domid;
    struct pvd_ring tx, rx;
    struct xenpv_grant_map txmap, rxmap;
    evtchn_port_t port;
    bool connected;
    bool banned;                            /* cut off for malice: never served again */
    bool rx_push;                           /* answers written to the rx ring since the last push */
    int bport;                              /* its bridge port, or -1 */
    unsigned int strikes;
    struct vif_counters c;
};

static struct vif *vifs[MAX_VIFS];
static struct semaphore lock;               /* vifs[], each vif's connection and rings, the bridge */
static struct semaphore kick;
static struct bridge br;
static struct netif *uplink;                /* netbridge=virtio: the NIC */
static int uplink_port = -1;
static bool opt_virtio, opt_given;          /* netbridge= given: a driver domain serves vifs too */
static uint8_t *frame;                      /* a page: the tx packet being pulled in (the thread's) */

static bool set_netbridge(const char *v)
{
    opt_virtio = v && !strcmp(v, "virtio");
    opt_given = opt_virtio || (v && !strcmp(v, "none"));
    return opt_given;
}
KERNEL_OPTION("netbridge", set_netbridge);

static void back_kick(void *arg)
{
    (void)arg;
    sem_up(&kick);
}

static void vif_count(struct vif *v, enum netif_tx_verdict why)
{
    switch (why) {
    case NETIF_TX_OK:             break;
    case NETIF_TX_TOO_SHORT:      v->c.tx_too_short++; break;
    case NETIF_TX_TOO_BIG:        v->c.tx_too_big++; break;
    case NETIF_TX_CROSSES_PAGE:   v->c.tx_crosses_page++; break;
    case NETIF_TX_SIZE_MISMATCH:  v->c.tx_size_mismatch++; break;
    case NETIF_TX_TOO_MANY_SLOTS: v->c.tx_too_many_slots++; break;
    }
}

/* Answers n tx slots with status (an extra-info slot: NETIF_RSP_NULL). */
static void tx_answer(struct vif *v, const uint16_t *ids, const bool *extra, unsigned int n, int16_t status)
{
    for (unsigned int i = 0; i < n; i++) {
        struct netif_tx_response *r = pvd_ring_back_next_response(&v->tx);
        *r = (struct netif_tx_response){ .id = ids[i], .status = extra[i] ? NETIF_RSP_NULL : status };
    }
}

/*
 * Ends a vif's service for good after a fatal error (lock held): the thread
 * lets go of it at once and it is not reconnected (Xen's netback likewise
 * disables the vif until the toolstack takes it down).
 */
static void vif_cut_off(struct vif *v, const char *why)
{
    if (!v->connected)
        return;
    v->connected = false;
    v->banned = true;
    v->dev->no_restart = true;
    printk("netback: vif%u.0: %s: disconnected\n", v->domid, why);
}

/*
 * One packet from v's tx ring (lock held): slots read, checked, pulled in and
 * answered. False when the ring has no packet or the vif was cut off.
 */
static bool tx_one(struct vif *v, uint64_t now)
{
    struct netif_tx_request req[FATAL_SLOTS];
    uint16_t ids[FATAL_SLOTS + MAX_EXTRAS], len[FATAL_SLOTS];
    bool extra[FATAL_SLOTS + MAX_EXTRAS];
    unsigned int n = 0, slots = 0;
    union netif_tx_sring_entry e;
    if (!pvd_ring_back_get_request(&v->tx, &e)) {
        if (pvd_ring_broken(&v->tx))
            vif_cut_off(v, "its tx producer index ran ahead of the ring");
        return false;
    }
    bool more_extra = e.req.flags & NETTXF_extra_info, bad_extra = false, missing = false;
    req[n++] = e.req;
    ids[slots] = e.req.id, extra[slots++] = false;
    /* Extra-info slots follow the first: we offer no GSO, multicast control or hashing, so any is refused. */
    for (unsigned int x = 0; more_extra && x < MAX_EXTRAS; x++) {
        if (!pvd_ring_back_get_request(&v->tx, &e)) {
            missing = true;
            break;
        }
        struct netif_extra_info info;
        memcpy(&info, &e, sizeof(info));
        ids[slots] = 0, extra[slots++] = true;
        bad_extra = true;
        more_extra = info.flags & XEN_NETIF_EXTRA_FLAG_MORE;
    }
    /* The data slots: past NETIF_MAX_SLOTS refused, but read to the chain's end as Xen's netback does. */
    while (!missing && !more_extra && (req[n - 1].flags & NETTXF_more_data) && n < FATAL_SLOTS) {
        if (!pvd_ring_back_get_request(&v->tx, &e)) {
            missing = true;     /* netfront publishes whole packets: the rest never comes */
            break;
        }
        req[n++] = e.req;
        ids[slots] = e.req.id, extra[slots++] = false;
    }
    if (pvd_ring_broken(&v->tx)) {
        vif_cut_off(v, "its tx producer index ran ahead of the ring");
        return false;
    }
    const char *fatal = missing ? "a packet's slots never came"
                      : more_extra ? "a chain of extra-info slots without end"
                      : (req[n - 1].flags & NETTXF_more_data) ? "a packet of 20 slots or more" : NULL;
    enum netif_tx_verdict verdict = NETIF_TX_OK;
    if (fatal)
        v->c.tx_fatal++;
    else if (bad_extra)
        v->c.tx_bad_extra++;
    else
        verdict = netif_tx_check(req, n, ETH_FRAME_MAX, len);
    vif_count(v, verdict);
    bool ok = !fatal && !bad_extra && verdict == NETIF_TX_OK;
    if (ok) {
        struct gnttab_copy ops[NETIF_MAX_SLOTS];
        unsigned int at = 0;
        for (unsigned int i = 0; i < n; i++) {
            ops[i] = (struct gnttab_copy){
                .source = { .u.ref = req[i].gref, .domid = v->domid, .offset = req[i].offset },
                .dest = { .u.gmfn = xenpv_virt_to_mfn(frame + at), .domid = DOMID_SELF,
                          .offset = (uint16_t)((uintptr_t)(frame + at) & (PAGE_SIZE - 1)) },
                .len = len[i], .flags = GNTCOPY_source_gref };
            at += len[i];
        }
        int rc = xenpv_grant_copy(ops, n);
        ok = rc == 0;
        if (!ok && !v->c.tx_bad_gref++)
            printk("netback: vif%u.0: pulling a packet in failed (%d): gref %u offset %u size %u, %u slots\n",
                   v->domid, rc, req[0].gref, req[0].offset, req[0].size, n);
    }
    tx_answer(v, ids, extra, slots, ok ? NETIF_RSP_OKAY : NETIF_RSP_ERROR);
    if (fatal) {
        vif_cut_off(v, fatal);
        return false;
    }
    if (!ok) {
        if (++v->strikes >= MAX_STRIKES)
            vif_cut_off(v, "too many bad packets");
        return v->connected;
    }
    v->c.tx_packets++;
    v->c.tx_bytes += req[0].size;
    bridge_input(&br, v->bport, frame, req[0].size, now);
    return true;
}

/* The bridge's tx to a vif (lock held): the frame into the next buffer its front end posted. */
static int vif_deliver(void *arg, const uint8_t *f, size_t n)
{
    struct vif *v = arg;
    union netif_rx_sring_entry e;
    if (!v->connected)
        return -ENOTCONN;
    if (!pvd_ring_back_get_request(&v->rx, &e)) {
        if (pvd_ring_broken(&v->rx))
            vif_cut_off(v, "its rx producer index ran ahead of the ring");
        v->c.rx_no_buffer++;
        return -ENOSPC;
    }
    struct netif_rx_request q = e.req;
    struct gnttab_copy op = {
        .source = { .u.gmfn = xenpv_virt_to_mfn(f), .domid = DOMID_SELF,
                    .offset = (uint16_t)((uintptr_t)f & (PAGE_SIZE - 1)) },
        .dest = { .u.ref = q.gref, .domid = v->domid, .offset = 0 },
        .len = (uint16_t)n, .flags = GNTCOPY_dest_gref };
    int rc = xenpv_grant_copy(&op, 1);
    struct netif_rx_response *r = pvd_ring_back_next_response(&v->rx);
    *r = (struct netif_rx_response){ .id = q.id, .offset = 0, .flags = 0,
                                     .status = rc ? NETIF_RSP_ERROR : (int16_t)n };
    v->rx_push = true;
    if (rc) {
        v->c.rx_bad_gref++;
        return -EFAULT;
    }
    v->c.rx_packets++;
    v->c.rx_bytes += n;
    return 0;
}

/*
 * The bridge's tx to the NIC. A full transmit ring is waited out a little
 * (QEMU empties it on its own thread): the vifs' senders then go at the
 * NIC's pace instead of losing what it cannot take yet. Counted per retry.
 */
static uint64_t uplink_waits;
static int uplink_deliver(void *arg, const uint8_t *f, size_t n)
{
    struct netif *nif = arg;
    uint64_t give_up = 0;
    int rc;
    while ((rc = nif->ops->send(nif, f, n)) == -ENOSPC) {
        uint64_t now = clock_ns();
        if (!give_up)
            give_up = now + UPLINK_WAIT_NS;
        else if (now > give_up)
            break;
        uplink_waits++;
        cpu_relax();
    }
    return rc;
}

/* virtio-net's poll hands us its buffer (arg: the round's time): the bridge may send it out another port, which copies it. */
static void uplink_rx(void *arg, const uint8_t *f, size_t n)
{
    bridge_input(&br, uplink_port, f, n, *(const uint64_t *)arg);
}


/* One round over every vif (lock held): true if any had work. */
static bool serve_round(void)
{
    bool busy = false;
    uint64_t now = clock_ns();
    for (unsigned int i = 0; i < MAX_VIFS; i++) {
        struct vif *v = vifs[i];
        if (!v || !v->connected)
            continue;
        unsigned int n = 0;
        while (n < BUDGET && tx_one(v, now))
            n++;
        if (!v->connected)
            continue;
        if (pvd_ring_back_push(&v->tx))
            xenpv_evtchn_notify(v->port);
        busy |= n == BUDGET || (n == 0 ? pvd_ring_back_final_check(&v->tx) : true);
    }
    if (uplink)
        busy |= uplink->ops->poll(uplink, uplink_rx, &now, BUDGET) != 0;
    for (unsigned int i = 0; i < MAX_VIFS; i++) {
        struct vif *v = vifs[i];
        if (v && v->connected && v->rx_push) {
            v->rx_push = false;
            if (pvd_ring_back_push(&v->rx))
                xenpv_evtchn_notify(v->port);
        }
    }
    return busy;
}

static void vif_teardown(struct vif *v);

static void back_thread(void *unused)
{
    (void)unused;
    uint64_t next_age = 0;
    for (;;) {
        sem_down(&lock);
        bool busy = serve_round();
        for (unsigned int i = 0; i < MAX_VIFS; i++)
            if (vifs[i] && !vifs[i]->connected && vifs[i]->port) {
                /* cut off: its rings and port go now, and its state says so */
                vif_teardown(vifs[i]);
                xenbus_dev_switch_state(vifs[i]->dev, XenbusStateClosing);
            }
        if (clock_ns() >= next_age) {
            bridge_age(&br, clock_ns());
            next_age = clock_ns() + NSEC_PER_SEC;
        }
        sem_up(&lock);
        if (!busy)
            sem_down_timeout(&kick, IDLE_NS);
        else
            thread_yield();
    }
}

/* Lets go of a vif's connection: its port and its ring mappings (lock held). */
static void vif_teardown(struct vif *v)
{
    v->connected = false;
    if (v->port)
        xenpv_evtchn_close(v->port);
    v->port = 0;
    struct xenpv_grant_map *maps[] = { &v->txmap, &v->rxmap };
    for (unsigned int i = 0; i < 2; i++) {
        if (maps[i]->va && xenpv_grant_unmap(maps[i]))
            printk("netback: vif%u.0: unmapping a ring failed\n", v->domid);
        maps[i]->va = NULL;
    }
}

static void vif_release(struct vif *v)
{
    sem_down(&lock);
    vif_teardown(v);
    sem_up(&lock);
}

static const char *const feature_keys[][2] = {
    { "feature-rx-copy", "1" },
    { "feature-rx-flip", "0" },
    { "feature-sg", "0" },
    { "feature-gso-tcpv4", "0" },
    { "feature-gso-tcpv6", "0" },
    { "feature-ipv6-csum-offload", "0" },
    { "feature-split-event-channels", "0" },
    { "feature-multicast-control", "0" },
    { "multi-queue-max-queues", "1" },
};

static int back_probe(struct xenbus_device *dev)
{
    struct vif *v = kzalloc(sizeof(*v));
    if (!v)
        return -ENOMEM;
    v->dev = dev;
    v->domid = (domid_t)dev->otherend_id;
    v->bport = -1;
    char name[BRIDGE_NAME_LEN];
    snprintf(name, sizeof(name), "vif%u.0", v->domid);
    sem_down(&lock);
    unsigned int i = 0;
    while (i < MAX_VIFS && vifs[i])
        i++;
    if (i < MAX_VIFS && (v->bport = bridge_add_port(&br, name, vif_deliver, v)) >= 0)
        vifs[i] = v;
    sem_up(&lock);
    if (i == MAX_VIFS || v->bport < 0) {
        kfree(v);
        return -ENOSPC;
    }
    dev->priv = v;
    char path[128];
    int rc = 0;
    for (unsigned int k = 0; k < sizeof(feature_keys) / sizeof(feature_keys[0]) && !rc; k++) {
        snprintf(path, sizeof(path), "%s/%s", dev->nodename, feature_keys[k][0]);
        rc = xenbus_write(0, path, feature_keys[k][1]);
    }
    return rc ? rc : xenbus_dev_switch_state(dev, XenbusStateInitWait);
}

static int back_connect(struct vif *v)
{
    struct xenbus_device *dev = v->dev;
    const char *keys[] = { "tx-ring-ref", "rx-ring-ref", "event-channel", "request-rx-copy" };
    int val[4];
    char path[128];
    for (unsigned int i = 0; i < 4; i++) {
        snprintf(path, sizeof(path), "%s/%s", dev->otherend, keys[i]);
        if (xenbus_read_int(0, path, &val[i]) || val[i] < (i == 2 ? 1 : 0)) {
            printk("netback: vif%u.0: front end's %s missing or bad\n", v->domid, keys[i]);
            return -EINVAL;
        }
    }
    if (val[3] != 1) {
        printk("netback: vif%u.0: the front end does not ask for rx copy (request-rx-copy=1)\n", v->domid);
        return -EOPNOTSUPP;
    }
    int rc = xenpv_grant_map(v->domid, (grant_ref_t)val[0], false, &v->txmap);
    if (!rc)
        rc = xenpv_grant_map(v->domid, (grant_ref_t)val[1], false, &v->rxmap);
    if (rc || !pvd_ring_back_attach(&v->tx, v->txmap.va, PAGE_SIZE, sizeof(union netif_tx_sring_entry)) ||
        !pvd_ring_back_attach(&v->rx, v->rxmap.va, PAGE_SIZE, sizeof(union netif_rx_sring_entry))) {
        vif_release(v);
        return rc ? rc : -EINVAL;
    }
    rc = xenpv_evtchn_bind_interdomain(v->domid, (evtchn_port_t)val[2], back_kick, v);
    if (rc < 0) {
        vif_release(v);
        return rc;
    }
    sem_down(&lock);
    v->port = (evtchn_port_t)rc;
    v->strikes = 0;
    v->connected = true;
    sem_up(&lock);
    sem_up(&kick);
    printk("netback: vif%u.0 connected (bridge port %d)\n", v->domid, v->bport);
    return xenbus_dev_switch_state(dev, XenbusStateConnected);
}

static void back_changed(struct xenbus_device *dev, int state)
{
    struct vif *v = dev->priv;
    if (v->banned) {                        /* whatever the front end does now, it stays closed */
        if (dev->state != XenbusStateClosed && (state == XenbusStateClosing || state == XenbusStateClosed))
            xenbus_dev_switch_state(dev, XenbusStateClosed);
        return;
    }
    if ((state == XenbusStateInitialising || state == XenbusStateInitialised) &&
        (dev->state == XenbusStateClosing || dev->state == XenbusStateClosed)) {
        vif_release(v);                     /* the front end starts again */
        xenbus_dev_switch_state(dev, XenbusStateInitWait);
    }
    if (state == XenbusStateInitialised && dev->state == XenbusStateInitWait) {
        int rc = back_connect(v);
        if (rc)
            printk("netback: vif%u.0: connecting failed: %d\n", v->domid, rc);
    } else if (state == XenbusStateClosing && dev->state == XenbusStateConnected) {
        vif_release(v);
        xenbus_dev_switch_state(dev, XenbusStateClosed);
    }
}

static void back_disconnect(struct xenbus_device *dev)
{
    vif_release(dev->priv);
}

static void vif_print(const struct vif *v)
{
    char line[512];
    size_t n = 0;
    const uint64_t *c = (const uint64_t *)&v->c;
    for (size_t i = 0; i < sizeof(v->c) / sizeof(uint64_t); i++)
        if (c[i] && n < sizeof(line))
            n += (size_t)snprintf(line + n, sizeof(line) - n, " %s=%llu", vif_counter_names[i],
                                  (unsigned long long)c[i]);
    printk("netback: vif%u.0:%s\n", v->domid, n ? line : " no traffic");
}

static void back_remove(struct xenbus_device *dev)
{
    struct vif *v = dev->priv;
    vif_release(v);
    sem_down(&lock);
    for (unsigned int i = 0; i < MAX_VIFS; i++)
        if (vifs[i] == v)
            vifs[i] = NULL;
    bridge_del_port(&br, v->bport);
    sem_up(&lock);
    vif_print(v);
    kfree(v);
}

static struct xenbus_driver netback_driver = {
    .type = "vif",
    .backend = true,
    .probe = back_probe,
    .otherend_changed = back_changed,
    .disconnect = back_disconnect,
    .remove = back_remove,
};

/* vifs in the table and the bridge's ports in use (the toolstack's leak check). */
void netback_usage(unsigned int *nr_vifs, unsigned int *nr_ports)
{
    *nr_vifs = *nr_ports = 0;
    sem_down(&lock);
    for (unsigned int i = 0; i < MAX_VIFS; i++)
        *nr_vifs += vifs[i] != NULL;
    for (unsigned int i = 0; i < BRIDGE_MAX_PORTS; i++)
        *nr_ports += br.port[i].used;
    sem_up(&lock);
}

/* Every vif's counters and the bridge's ports: at dom0's counters dump and at power-off. */
void netback_print_counters(void)
{
    sem_down(&lock);
    for (unsigned int i = 0; i < MAX_VIFS; i++)
        if (vifs[i])
            vif_print(vifs[i]);
    if (uplink)
        printk("netback: uplink: %llu waits for room in the NIC's transmit ring\n", (unsigned long long)uplink_waits);
    for (unsigned int i = 0; i < BRIDGE_MAX_PORTS; i++) {
        const struct bridge_port *p = &br.port[i];
        if (!p->used)
            continue;
        printk("bridge: %s: rx %llu frames %llu bytes (%llu bad), tx %llu frames %llu bytes (%llu dropped), "
               "%llu flooded, %llu learnt\n", p->name, (unsigned long long)p->st.rx_frames,
               (unsigned long long)p->st.rx_bytes, (unsigned long long)p->st.rx_bad,
               (unsigned long long)p->st.tx_frames, (unsigned long long)p->st.tx_bytes,
               (unsigned long long)p->st.tx_dropped, (unsigned long long)p->st.flooded,
               (unsigned long long)p->st.learned);
    }
    sem_up(&lock);
}

/* dom0, or a driver domain given netbridge=: the bridge, the NIC as its uplink (netbridge=virtio), the serving thread, then the driver. */
void netback_start(void)
{
    sem_init(&lock, 1);
    sem_init(&kick, 0);
    bridge_init(&br, BRIDGE_AGEING_NS);
    if ((!xenpv_is_dom0() && !opt_given) || !xenbus_ready())
        return;                             /* dom0 always; a domU (a driver domain) with netbridge= */
    if (opt_virtio) {
        pci_init();
        if (virtio_net_probe() || !(uplink = virtio_net_netif())) {
            printk("netback: netbridge=virtio: no virtio-net device\n");
        } else {
            uplink_port = bridge_add_port(&br, "uplink", uplink_deliver, uplink);
            uplink->rx_notify = back_kick;
        }
    }
    if (!(frame = alloc_page()) || !thread_create("netback", back_thread, NULL)) {
        printk("netback: no memory for the thread\n");
        return;
    }
    if (uplink)
        printk("netback: bridge up, uplink %s (%02x:%02x:%02x:%02x:%02x:%02x)\n", uplink->name, uplink->mac[0],
               uplink->mac[1], uplink->mac[2], uplink->mac[3], uplink->mac[4], uplink->mac[5]);
    int rc = xenbus_register_driver(&netback_driver);
    if (rc)
        printk("netback: registering the driver failed: %d\n", rc);
}
