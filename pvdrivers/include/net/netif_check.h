/*
 * netback's tx validation, pure (no grants, no ring): compiled into pvguest
 * and into the host unit test tests/unit/test_netif_check.c.
 *
 * A packet is a chain of tx requests as netfront queued them: the first
 * slot's size is the whole packet's, each slot with NETTXF_more_data is
 * followed by another, and a slot's own data lies in one granted page
 * (offset + its bytes <= 4096). The first slot's own bytes are its size
 * less the others'. Extra-info slots (NETTXF_extra_info) are read by the
 * caller and are not part of the chain given here.
 */
#ifndef PVD_NET_NETIF_CHECK_H
#define PVD_NET_NETIF_CHECK_H

#include <stdint.h>
#include <public/io/netif.h>

#define NETIF_PAGE_SIZE     4096u
#define NETIF_MAX_SLOTS     XEN_NETIF_NR_SLOTS_MIN     /* the most a packet may take (Xen's netback: 18) */

enum netif_tx_verdict {
    NETIF_TX_OK,
    NETIF_TX_TOO_SHORT,         /* under an Ethernet header */
    NETIF_TX_TOO_BIG,           /* over max_len (a packet the bridge cannot carry) */
    NETIF_TX_CROSSES_PAGE,      /* a slot's data runs past its page */
    NETIF_TX_SIZE_MISMATCH,     /* the later slots hold more than the first says, or an empty later slot */
    NETIF_TX_TOO_MANY_SLOTS,    /* over NETIF_MAX_SLOTS */
};

/* Names for the counters and messages: "ok", "too_short", ... */
extern const char *const netif_tx_verdict_names[];

/*
 * Checks a chain of n (>= 1) requests already copied out of the ring.
 * On NETIF_TX_OK, len[i] is slot i's own bytes (len has n entries) and the
 * packet is req[0].size bytes. Any other verdict: the packet is refused.
 */
enum netif_tx_verdict netif_tx_check(const struct netif_tx_request *req, unsigned int n, unsigned int max_len,
                                     uint16_t *len);

#endif /* PVD_NET_NETIF_CHECK_H */
