/*
 * virtio-net over the modern PCI transport: one receive and one transmit
 * queue, the MAC from configuration space, no offloads, behind struct netif.
 *
 * Receive buffers: neither MRG_RXBUF nor the 64 KiB "big packets" chains.
 * We take no GUEST_TSO/UFO, so no frame is over 1514 bytes and the spec asks
 * only for buffers of at least 1526 bytes (virtio 1.0, 5.1.6.3.1): one 2 KiB
 * slab object per descriptor holds header and frame, every used entry is one
 * whole frame, and num_buffers is always 1. Mergeable buffers would save
 * memory for small frames at the price of reassembly across buffers; big
 * buffers are only needed once the device may hand us segmentation-offloaded
 * frames. Each buffer lies within one page, so its bus address is all the
 * device needs natively and in a PV domain (dma_addr_of).
 */
#include <virtio_net.h>
#include <dma.h>
#include <mm.h>
#include <sched.h>
#include <lib/string.h>

#define NET_CFG_MAC         0
#define NET_CFG_STATUS      6
#define VNET_POLL_NS        (10 * NSEC_PER_MSEC)    /* a sleeper polls this often anyway (a lost interrupt) */

struct vnet {
    struct netif nif;
    struct virtio_dev vd;
    struct virtq rxq, txq;
    uint8_t *tx_free[VIRTQ_MAX_SIZE];       /* tx buffers not in the ring (txq.lock) */
    unsigned int nr_tx_free;
    unsigned int rx_posted;                 /* rx buffers in the ring (rxq.lock) */
    bool irq;
    struct waitqueue wq;
    uint64_t irqs, sleeps;
};

static struct vnet the_net;
static bool probed;

struct netif *virtio_net_netif(void) { return probed ? &the_net.nif : NULL; }
uint64_t virtio_net_features(void) { return the_net.vd.features; }

bool virtio_net_link_up(void)
{
    if (!virtio_has(&the_net.vd, VIRTIO_NET_F_STATUS))
        return true;
    return virtio_cfg_read32(&the_net.vd, NET_CFG_STATUS & ~3u) >> (8 * (NET_CFG_STATUS & 3)) & VIRTIO_NET_S_LINK_UP;
}

void virtio_net_irq_stats(uint64_t *irqs, uint64_t *sleeps, bool *attached)
{
    *irqs = READ_ONCE(the_net.irqs);
    *sleeps = READ_ONCE(the_net.sleeps);
    *attached = the_net.irq;
}

void virtio_net_kicks(uint64_t *rx_kicks, uint64_t *tx_kicks)
{
    *rx_kicks = READ_ONCE(the_net.rxq.nr_kicks);
    *tx_kicks = READ_ONCE(the_net.txq.nr_kicks);
}

/* Puts one receive buffer in the ring (rxq.lock held). */
static int vnet_post_rx(struct vnet *n, uint8_t *buf)
{
    uint64_t addr = dma_addr_of(buf);
    uint32_t len = VNET_BUF_SIZE;
    int rc = virtq_add(&n->rxq, &addr, &len, 1, 1, buf);
    if (rc == 0)
        n->rx_posted++;
    return rc;
}

/* Takes back what the device sent (txq.lock held). */
static void vnet_reclaim_tx(struct vnet *n)
{
    for (uint8_t *buf; (buf = virtq_get_used(&n->txq, NULL)) != NULL;)
        n->tx_free[n->nr_tx_free++] = buf;
}

static int vnet_send(struct netif *nif, const void *frame, size_t len)
{
    struct vnet *n = container_of(nif, struct vnet, nif);
    if (len < ETH_HLEN || len > ETH_FRAME_MAX) {
        nif->stats.tx_bad++;
        return -EINVAL;
    }
    unsigned long f = spin_lock_irqsave(&n->txq.lock);
    vnet_reclaim_tx(n);
    if (n->nr_tx_free == 0) {
        nif->stats.tx_full++;
        spin_unlock_irqrestore(&n->txq.lock, f);
        return -ENOSPC;
    }
    uint8_t *buf = n->tx_free[--n->nr_tx_free];
    memset(buf, 0, sizeof(struct virtio_net_hdr));     /* no checksum to fill, no segmentation */
    memcpy(buf + sizeof(struct virtio_net_hdr), frame, len);
    uint64_t addr = dma_addr_of(buf);
    uint32_t blen = (uint32_t)(sizeof(struct virtio_net_hdr) + len);
    int rc = virtq_add(&n->txq, &addr, &blen, 1, 0, buf);
    if (rc) {                                           /* cannot happen: one buffer per free descriptor */
        n->tx_free[n->nr_tx_free++] = buf;
        nif->stats.tx_full++;
    } else {
        virtq_kick(&n->txq);
        nif->stats.tx_frames++;
        nif->stats.tx_bytes += len;
    }
    spin_unlock_irqrestore(&n->txq.lock, f);
    return rc ? -ENOSPC : 0;
}

static unsigned int vnet_poll(struct netif *nif, netif_rx_fn fn, void *arg, unsigned int budget)
{
    struct vnet *n = container_of(nif, struct vnet, nif);
    unsigned int handed = 0;
    while (handed < budget) {
        uint32_t len = 0;
        unsigned long f = spin_lock_irqsave(&n->rxq.lock);
        uint8_t *buf = virtq_get_used(&n->rxq, &len);
        if (buf)
            n->rx_posted--;
        spin_unlock_irqrestore(&n->rxq.lock, f);
        if (!buf)
            break;
        /* The device's length is as hostile as any: a buffer it claims to have overfilled is dropped. */
        const struct virtio_net_hdr *h = (const struct virtio_net_hdr *)buf;
        if (len < sizeof(*h) + ETH_HLEN || len > VNET_BUF_SIZE || READ_ONCE(h->num_buffers) > 1) {
            nif->stats.rx_bad++;
        } else {
            nif->stats.rx_frames++;
            nif->stats.rx_bytes += len - sizeof(*h);
            fn(arg, buf + sizeof(*h), len - sizeof(*h));
            handed++;
        }
        f = spin_lock_irqsave(&n->rxq.lock);
        vnet_post_rx(n, buf);
        virtq_kick(&n->rxq);
        spin_unlock_irqrestore(&n->rxq.lock, f);
    }
    return handed;
}

static bool vnet_rx_pending(struct vnet *n)
{
    return n->rxq.used[1] != n->rxq.last_used;
}

/*
 * With an interrupt and a thread that may sleep: on wq until the handler
 * wakes us, VNET_POLL_NS pass or the deadline, whichever is first. Else one spin.
 */
static void vnet_wait(struct netif *nif, uint64_t deadline_ns)
{
    struct vnet *n = container_of(nif, struct vnet, nif);
    if (!n->irq || preempt_count() || !irqs_enabled()) {
        cpu_relax();
        return;
    }
    uint64_t until = MIN(deadline_ns, clock_ns() + VNET_POLL_NS);
    unsigned long f = sched_lock_irqsave();
    if (!vnet_rx_pending(n)) {
        n->sleeps++;
        wq_wait_until(&n->wq, until);
    }
    sched_unlock_irqrestore(f);
}

static int vnet_flush(struct netif *nif, uint64_t deadline_ns)
{
    struct vnet *n = container_of(nif, struct vnet, nif);
    for (;;) {
        unsigned long f = spin_lock_irqsave(&n->txq.lock);
        vnet_reclaim_tx(n);
        bool done = n->nr_tx_free == n->txq.size;
        spin_unlock_irqrestore(&n->txq.lock, f);
        if (done)
            return 0;
        if (clock_ns() > deadline_ns)
            return -ETIMEDOUT;
        cpu_relax();
    }
}

/* INTx: reading the ISR status acknowledges it (the line drops); waiters poll the rings themselves. */
static void vnet_interrupt(void *arg)
{
    struct vnet *n = arg;
    uint8_t isr = *n->vd.isr;
    (void)isr;
    n->irqs++;
    wake_up_all(&n->wq);
    void (*notify)(void *) = READ_ONCE(n->nif.rx_notify);
    if (notify)
        notify(n->nif.rx_notify_arg);
}

static const struct netif_ops vnet_ops = {
    .send = vnet_send,
    .poll = vnet_poll,
    .wait = vnet_wait,
    .flush = vnet_flush,
};

static void vnet_free_buffers(struct vnet *n)
{
    for (uint8_t *buf; (buf = virtq_get_used(&n->rxq, NULL)) != NULL;)
        kfree(buf);
    while (n->nr_tx_free)
        kfree(n->tx_free[--n->nr_tx_free]);
}

int virtio_net_probe(void)
{
    struct pci_dev *pci = pci_find(VIRTIO_VENDOR, VIRTIO_PCI_DEVICE(VIRTIO_ID_NET), 0);
    if (!pci)
        return -ENOENT;
    if (probed)
        return 0;
    struct vnet *n = &the_net;
    int rc = virtio_pci_init(&n->vd, pci, 1ull << VIRTIO_NET_F_MAC | 1ull << VIRTIO_NET_F_STATUS);
    if (rc)
        return rc;
    if (!virtio_has(&n->vd, VIRTIO_NET_F_MAC) || n->vd.device_len < sizeof(struct virtio_net_config)) {
        warn("virtio-net: %02x:%02x.%u gives no MAC address", pci->bus, pci->dev, pci->fn);
        virtio_reset(&n->vd);
        return -ENODEV;
    }
    for (unsigned int i = 0; i < ETH_ALEN; i++)
        n->nif.mac[i] = n->vd.device[NET_CFG_MAC + i];
    if ((rc = virtio_queue_init(&n->vd, &n->rxq, VIRTIO_NET_RXQ)) ||
        (rc = virtio_queue_init(&n->vd, &n->txq, VIRTIO_NET_TXQ))) {
        warn("virtio-net: no receive or transmit queue (%d)", rc);
        virtio_reset(&n->vd);
        return rc;
    }
    /* Every receive descriptor gets a buffer; every transmit descriptor a buffer to copy into. */
    rc = 0;
    for (unsigned int i = 0; i < n->rxq.size && !rc; i++) {
        uint8_t *buf = kmalloc(VNET_BUF_SIZE);
        rc = buf ? vnet_post_rx(n, buf) : -ENOMEM;
        if (rc && buf)
            kfree(buf);
    }
    for (unsigned int i = 0; i < n->txq.size && !rc; i++) {
        uint8_t *buf = kmalloc(VNET_BUF_SIZE);
        if (buf)
            n->tx_free[n->nr_tx_free++] = buf;
        else
            rc = -ENOMEM;
    }
    if (rc) {
        /* Nothing was made available to a live device yet: the buffers are still ours. */
        virtio_reset(&n->vd);
        for (uint16_t i = 0; i < n->rxq.size; i++)
            if (n->rxq.token[i])
                kfree(n->rxq.token[i]);
        vnet_free_buffers(n);
        return rc;
    }
    n->nif.ops = &vnet_ops;
    n->nif.name = "virtio-net";
    wq_init(&n->wq);
    virtio_driver_ok(&n->vd);
    unsigned long f = spin_lock_irqsave(&n->rxq.lock);
    virtq_kick(&n->rxq);
    spin_unlock_irqrestore(&n->rxq.lock, f);
    n->irq = pci_irq_attach(pci, vnet_interrupt, n) == 0;
    if (!n->irq) {
        /*
         * Polled. Natively a line another driver holds is refused (-ENOSPC),
         * and our device must not hold that line up: on the 8259 (edge) that
         * would hide the other device's interrupts. INTx off.
         */
        pci_write16(pci, PCI_COMMAND, pci_read16(pci, PCI_COMMAND) | PCI_COMMAND_INTX_OFF);
    }
    probed = true;
    const uint8_t *m = n->nif.mac;
    printk("virtio-net: %02x:%02x.%u mac %02x:%02x:%02x:%02x:%02x:%02x, features %#llx%s, link %s, "
           "queues of %u (rx) and %u (tx), %u rx buffers of %u bytes, %s\n",
           pci->bus, pci->dev, pci->fn, m[0], m[1], m[2], m[3], m[4], m[5], (unsigned long long)n->vd.features,
           virtio_has(&n->vd, VIRTIO_NET_F_STATUS) ? " status" : "", virtio_net_link_up() ? "up" : "down",
           n->rxq.size, n->txq.size, n->rx_posted, VNET_BUF_SIZE, n->irq ? "INTx" : "polled");
    return 0;
}
