/*
 * The packet interface: what the IP stack (net/stack.c) needs of a network
 * device. virtio-net (drivers/virtio/virtio_net.c) implements it; netfront
 * will too. Pure declarations: the stack and its host unit test include it.
 */
#ifndef PVGUEST_NET_NETIF_H
#define PVGUEST_NET_NETIF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ETH_ALEN        6
#define ETH_HLEN        14
#define ETH_MTU         1500
#define ETH_FRAME_MAX   (ETH_HLEN + ETH_MTU)    /* no FCS, no VLAN tag */

struct netif;

/* Called once per received frame; frame is valid only during the call. */
typedef void (*netif_rx_fn)(void *arg, const uint8_t *frame, size_t len);

struct netif_ops {
    /*
     * Copies one Ethernet frame (header included, no FCS) out. 0 once the
     * device has it; -EINVAL if len is not 14..ETH_FRAME_MAX; -ENOSPC if the
     * transmit ring is full (the frame is dropped and counted in tx_full).
     * Never sleeps.
     */
    int (*send)(struct netif *nif, const void *frame, size_t len);
    /*
     * Hands up to budget received frames to fn, in order, and gives their
     * buffers back to the device. Returns how many it handed. Never sleeps.
     */
    unsigned int (*poll)(struct netif *nif, netif_rx_fn fn, void *arg, unsigned int budget);
    /*
     * Waits until a frame may have arrived or until deadline_ns (clock_ns
     * time), whichever is first; may return early. Callers that cannot sleep
     * must not call it.
     */
    void (*wait)(struct netif *nif, uint64_t deadline_ns);
    /*
     * Waits until the device has taken every frame sent so far (they are on
     * the wire, or wherever the device's far side puts them), polling, at
     * most until deadline_ns. 0, or -ETIMEDOUT. Before a kernel that sent
     * its last answer powers the machine off.
     */
    int (*flush)(struct netif *nif, uint64_t deadline_ns);
};

/* What the device side counts (the stack counts the protocols: net/net.h). */
struct netif_stats {
    uint64_t rx_frames, rx_bytes;
    uint64_t rx_bad;            /* a buffer the device returned too short or too long: dropped */
    uint64_t tx_frames, tx_bytes;
    uint64_t tx_full;           /* frames dropped because the transmit ring was full */
    uint64_t tx_bad;            /* frames refused for their length */
};

struct netif {
    const struct netif_ops *ops;
    const char *name;
    uint8_t mac[ETH_ALEN];
    struct netif_stats stats;
    /*
     * Set by a user that waits on more than this device (netback's thread):
     * the driver calls rx_notify(rx_notify_arg) from its interrupt whenever
     * frames may have arrived. NULL: only ops->wait wakes.
     */
    void (*rx_notify)(void *arg);
    void *rx_notify_arg;
};

#endif /* PVGUEST_NET_NETIF_H */
