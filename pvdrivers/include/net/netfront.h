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

/*
 * Tests only (a hostile front end, selftest_nethostile.c), for a domain
 * whose stack does not use the vif: raw puts n requests in the tx ring as
 * they are and collects up to max answers' statuses in st (NETIF_RSP_NULL
 * ones too) until timeout_ns: how many came. raw_frame writes a len-byte
 * frame to an unknown unicast MAC in a granted buffer. raw_jump moves the
 * tx producer index three rings ahead. backend_state: the back end's
 * XenbusState.
 */
struct netif_tx_request;
int netfront_raw_tx(const struct netif_tx_request *q, unsigned int n, int16_t *st, unsigned int max,
                    uint64_t timeout_ns);
int netfront_raw_frame(size_t len, uint32_t *gref, uint16_t *offset);
void netfront_raw_jump(void);
int netfront_backend_state(void);

#endif /* PVDRIVERS_NET_NETFRONT_H */
