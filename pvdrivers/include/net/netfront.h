/* netfront (net/front.c): a domU's first vif as a packet interface. PV image only. */
#ifndef PVDRIVERS_NET_NETFRONT_H
#define PVDRIVERS_NET_NETFRONT_H

#include <net/netif.h>

/*
 * The vif once it is connected (waiting up to timeout_ns for the toolstack
 * to write it and for the handshake), or NULL: none came in time, or dom0.
 */
struct netif *netfront_wait(uint64_t timeout_ns);
/* Tx requests the back end answered with an error; responses that named no buffer of ours. */
void netfront_counters(uint64_t *tx_errors, uint64_t *rsp_bad);

#endif /* PVDRIVERS_NET_NETFRONT_H */
