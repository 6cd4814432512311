/*
 * A small IPv4 stack (net/stack.c) over one packet interface (net/netif.h):
 * Ethernet, ARP with a cache, IPv4 without fragments, ICMP echo, and UDP
 * behind a socket-like API. Static addresses only.
 *
 * Pure: it reaches the device only through nif->ops and the time only
 * through now(), so the host unit test compiles it unchanged. One thread
 * drives a stack at a time (no lock inside; the kernel's net.c is its only
 * caller). Every received byte is hostile: what does not parse, is not for
 * us or has nowhere to go is dropped and counted, one counter per reason.
 */
#ifndef PVGUEST_NET_NET_H
#define PVGUEST_NET_NET_H

#include <net/arp.h>

#define NET_MAX_SOCKS   4
#define NET_SOCK_QLEN   16              /* datagrams a socket holds before it drops */
#define NET_MIN_FRAME   60              /* shorter frames are padded with zeros (Ethernet's minimum, no FCS) */

/* Every counter, in print order: X(name). */
#define NET_COUNTERS(X)                                                                              \
    X(rx_frames) X(eth_bad) X(eth_bad_src) X(eth_not_for_us) X(eth_unknown_type)                    \
    X(arp_bad) X(arp_requests_in) X(arp_replies_in) X(arp_requests_out) X(arp_replies_out)          \
    X(arp_failed) X(arp_held_dropped)                                                                \
    X(ip_in) X(ip_bad) X(ip_fragments) X(ip_not_for_us) X(ip_bad_src) X(ip_unknown_proto)            \
    X(icmp_bad) X(icmp_echo_in) X(icmp_echo_replies_in) X(icmp_ignored)                              \
    X(udp_in) X(udp_bad) X(udp_no_port) X(udp_queue_full)                                            \
    X(ip_out) X(no_route) X(tx_frames) X(tx_dropped)

struct net_counters {
#define NET_COUNTER_FIELD(n) uint64_t n;
    NET_COUNTERS(NET_COUNTER_FIELD)
#undef NET_COUNTER_FIELD
};
#define NET_NR_COUNTERS (sizeof(struct net_counters) / sizeof(uint64_t))
/* The counters' names, in the struct's order. */
extern const char *const net_counter_names[];

struct udp_dgram {
    uint32_t src;
    uint16_t sport;
    uint16_t len;
    uint8_t data[UDP_MAX_PAYLOAD];
};

struct udp_sock {
    bool open;
    uint16_t port;
    unsigned int head, count;           /* q[head] is the oldest of count datagrams */
    struct udp_dgram q[NET_SOCK_QLEN];
};

/* The last ICMP echo reply that came in: what a pinger waits for. */
#define NET_ECHO_DATA   64              /* the reply's first bytes kept, to compare with what was sent */
struct net_echo_reply {
    uint64_t count;                     /* replies so far: a new one raises it */
    uint32_t src;
    uint16_t id, seq;
    uint16_t len;                       /* its data bytes (the first NET_ECHO_DATA of them in data) */
    uint8_t data[NET_ECHO_DATA];
};

struct net_stack {
    struct netif *nif;
    uint64_t (*now)(void);              /* monotonic ns */
    uint32_t ip, mask, gw;              /* host order; gw 0: none (on-link only) */
    uint16_t ip_id;
    struct arp_cache arp;
    struct udp_sock sock[NET_MAX_SOCKS];
    struct net_counters ctr;
    struct net_echo_reply echo;
    uint8_t tx[ETH_FRAME_MAX];          /* the frame being built */
};

void net_init(struct net_stack *s, struct netif *nif, uint64_t (*now)(void), uint32_t ip, uint32_t mask, uint32_t gw);
/* One received frame (a netif_rx_fn: arg is the stack). */
void net_input(void *stack, const uint8_t *frame, size_t len);
/* Takes up to budget frames from the interface into net_input, then runs net_tick; returns frames taken. */
unsigned int net_poll(struct net_stack *s, unsigned int budget);
/* ARP's timers: repeats requests, gives up on silent addresses (their datagram dropped: arp_failed). */
void net_tick(struct net_stack *s);

/*
 * Sends an ICMP echo request of len data bytes to dst (its reply lands in s->echo). 0 once sent or held
 * for ARP; -NET_EMSGSIZE, -NET_EHOSTUNREACH (off-link without a gateway),
 * -NET_ENOSPC (the device's ring was full).
 */
int net_ping(struct net_stack *s, uint32_t dst, uint16_t id, uint16_t seq, const void *data, size_t len);

/* UDP sockets. A socket is an index >= 0. */
/* Binds a socket to port (1..65535). -NET_EADDRINUSE, -NET_ENOSPC (no free socket), -NET_EINVAL. */
int udp_open(struct net_stack *s, uint16_t port);
void udp_close(struct net_stack *s, int sock);
/* As net_ping's returns; len at most UDP_MAX_PAYLOAD (1472). */
int udp_sendto(struct net_stack *s, int sock, uint32_t dst, uint16_t dport, const void *buf, size_t len);
/*
 * The oldest queued datagram: copies up to cap bytes into buf, sets *src and
 * *sport, returns the bytes copied. -NET_EAGAIN if none is queued (never
 * waits: net_poll first), -NET_EINVAL for a bad socket.
 */
int udp_recvfrom(struct net_stack *s, int sock, void *buf, size_t cap, uint32_t *src, uint16_t *sport);

#endif /* PVGUEST_NET_NET_H */
