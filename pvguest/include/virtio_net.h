/* The virtio-net driver (drivers/virtio/virtio_net.c): one receive and one transmit queue behind struct netif. */
#ifndef PVGUEST_VIRTIO_NET_H
#define PVGUEST_VIRTIO_NET_H

#include <virtio.h>
#include <net/netif.h>

#define VIRTIO_ID_NET               1
/* Feature bits (virtio 1.0, 5.1.3); we take MAC and STATUS only: no checksum or segmentation offloads. */
#define VIRTIO_NET_F_CSUM           0
#define VIRTIO_NET_F_GUEST_CSUM     1
#define VIRTIO_NET_F_MAC            5
#define VIRTIO_NET_F_GUEST_TSO4     7
#define VIRTIO_NET_F_MRG_RXBUF      15
#define VIRTIO_NET_F_STATUS         16
#define VIRTIO_NET_S_LINK_UP        1

#define VIRTIO_NET_RXQ              0       /* receiveq1 */
#define VIRTIO_NET_TXQ              1       /* transmitq1 */

/*
 * The header before every frame in both directions (virtio 1.0, 5.1.6).
 * With VERSION_1 it always has num_buffers (12 bytes), MRG_RXBUF or not.
 * Little-endian, like the CPU.
 */
struct virtio_net_hdr {
    uint8_t flags;                  /* NEEDS_CSUM, DATA_VALID: never set without CSUM/GUEST_CSUM */
    uint8_t gso_type;               /* GSO_NONE (0): we negotiate no segmentation */
    uint16_t hdr_len;
    uint16_t gso_size;
    uint16_t csum_start;
    uint16_t csum_offset;
    uint16_t num_buffers;           /* rx: buffers this frame took (1 without MRG_RXBUF); tx: 0 */
};
_Static_assert(sizeof(struct virtio_net_hdr) == 12, "virtio_net_hdr is 12 bytes (VERSION_1)");
_Static_assert(__builtin_offsetof(struct virtio_net_hdr, hdr_len) == 2, "hdr_len at 2");
_Static_assert(__builtin_offsetof(struct virtio_net_hdr, gso_size) == 4, "gso_size at 4");
_Static_assert(__builtin_offsetof(struct virtio_net_hdr, csum_start) == 6, "csum_start at 6");
_Static_assert(__builtin_offsetof(struct virtio_net_hdr, csum_offset) == 8, "csum_offset at 8");
_Static_assert(__builtin_offsetof(struct virtio_net_hdr, num_buffers) == 10, "num_buffers at 10");

/* Device configuration (virtio 1.0, 5.1.4): read field by field, never as a struct in place. */
struct virtio_net_config {
    uint8_t mac[6];                 /* valid with VIRTIO_NET_F_MAC */
    uint16_t status;                /* valid with VIRTIO_NET_F_STATUS */
    uint16_t max_virtqueue_pairs;   /* valid with VIRTIO_NET_F_MQ (not taken) */
};
_Static_assert(sizeof(struct virtio_net_config) == 10, "virtio_net_config is 10 bytes");
_Static_assert(__builtin_offsetof(struct virtio_net_config, status) == 6, "status at 6");
_Static_assert(__builtin_offsetof(struct virtio_net_config, max_virtqueue_pairs) == 8, "max_virtqueue_pairs at 8");

/*
 * One receive buffer: the header, then the frame. Without MRG_RXBUF and
 * without GUEST_TSO/UFO the device puts each frame, at most 1514 bytes, with
 * its header in one buffer of at least 1526 bytes (virtio 1.0, 5.1.6.3.1).
 * 2 KiB, a slab object, never crosses a page: a PV domain's device needs
 * nothing more (docs/design.md, "DMA from a PV domain").
 */
#define VNET_BUF_SIZE               2048u
_Static_assert(sizeof(struct virtio_net_hdr) + ETH_FRAME_MAX <= VNET_BUF_SIZE, "a frame and its header fit a buffer");
_Static_assert(sizeof(struct virtio_net_hdr) + ETH_FRAME_MAX == 1526, "the spec's 1526-byte minimum is header + largest frame");

/*
 * Probes the first modern virtio-net function PCI found (once; again: 0 at
 * once); 0 or a negative error. Needs VERSION_1 and MAC; fills both queues'
 * receive buffers and attaches INTx if it can (else the driver is polled).
 */
int virtio_net_probe(void);
/* The device probed, as a packet interface, or NULL. */
struct netif *virtio_net_netif(void);
/* Negotiated features, link status (true without VIRTIO_NET_F_STATUS), interrupts taken, doorbells rung. */
uint64_t virtio_net_features(void);
bool virtio_net_link_up(void);
void virtio_net_irq_stats(uint64_t *irqs, uint64_t *sleeps, bool *attached);
void virtio_net_kicks(uint64_t *rx_kicks, uint64_t *tx_kicks);

#endif /* PVGUEST_VIRTIO_NET_H */
