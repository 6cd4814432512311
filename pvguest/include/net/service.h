/* The kernel's network (kernel/net.c): the stack on the first device, from the ip=/gw= options, and the UDP echo service. */
#ifndef PVGUEST_NET_SERVICE_H
#define PVGUEST_NET_SERVICE_H

#include <net/net.h>

/* Brings the stack up on netfront or virtio-net if ip= was given and there is a device; prints the addresses. */
void net_start(void);
/* The stack, or NULL when none is up. */
struct net_stack *net_get(void);
/*
 * ping= (pings a peer, answers its pings) and udpecho=yes (serves UDP port 7
 * until the stop datagram), then prints the counters: false if a ping went
 * unanswered or the services were asked for without a network.
 */
bool net_run_services(void);
/* Prints the stack's and the device's non-zero counters on one line each. */
void net_print_counters(const char *when);

#endif /* PVGUEST_NET_SERVICE_H */
