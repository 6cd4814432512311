/*
 * Network split driver: transmit and receive ring entries, flags, extra-info
 * slots and the xenstore keys of the handshake.
 */
#ifndef PUBLIC_IO_NETIF_H
#define PUBLIC_IO_NETIF_H

#include "../grant_table.h"
#include "ring.h"

/*
 * XenStore keys. Front end (device/vif/<id>/): tx-ring-ref, rx-ring-ref,
 * event-channel (or event-channel-tx and event-channel-rx), request-rx-copy,
 * feature-rx-notify, feature-sg, feature-gso-tcpv4/-tcpv6, state; with
 * several queues, multi-queue-num-queues and the ring keys under queue-N/.
 * Back end (backend/vif/<domid>/<id>/): mac, feature-sg,
 * feature-gso-tcpv4/-tcpv6, feature-rx-copy, multi-queue-max-queues, state.
 * (request-rx-copy, feature-sg and mac are driver convention, not in Xen's
 * header.) Handshake as in blkif.h.
 *
 * Transmit: the front end queues a packet as one netif_tx_request per granted
 * buffer; the first carries the whole packet length in size and
 * NETTXF_more_data links the rest; NETTXF_extra_info means the next slot is a
 * netif_extra_info. Back ends must accept packets of up to
 * XEN_NETIF_NR_SLOTS_MIN slots. Receive: the front end posts empty granted
 * pages (netif_rx_request); the back end copies packets into them and answers
 * with netif_rx_response (status = byte count or NETIF_RSP_*).
 */
#define XEN_NETIF_NR_SLOTS_MIN 18
#define XEN_NETIF_MAX_TX_SIZE  0xFFFF

#define _NETTXF_csum_blank     0
#define NETTXF_csum_blank      (1u << _NETTXF_csum_blank)     /* checksum to be filled in */
#define _NETTXF_data_validated 1
#define NETTXF_data_validated  (1u << _NETTXF_data_validated) /* checksum already verified */
#define _NETTXF_more_data      2
#define NETTXF_more_data       (1u << _NETTXF_more_data)      /* packet continues in next slot */
#define _NETTXF_extra_info     3
#define NETTXF_extra_info      (1u << _NETTXF_extra_info)     /* next slot is netif_extra_info */

struct netif_tx_request {
    grant_ref_t gref;   /* buffer page */
    uint16_t offset;    /* data offset in the page */
    uint16_t flags;     /* NETTXF_* */
    uint16_t id;        /* echoed in the response */
    uint16_t size;      /* bytes in this slot; first slot: whole packet */
};
_Static_assert(sizeof(struct netif_tx_request) == 12, "netif_tx_request size");
_Static_assert(offsetof(struct netif_tx_request, offset) == 4, "netif_tx_request.offset");
_Static_assert(offsetof(struct netif_tx_request, flags) == 6, "netif_tx_request.flags");
_Static_assert(offsetof(struct netif_tx_request, id) == 8, "netif_tx_request.id");
_Static_assert(offsetof(struct netif_tx_request, size) == 10, "netif_tx_request.size");

#define XEN_NETIF_EXTRA_TYPE_NONE      0 /* never used */
#define XEN_NETIF_EXTRA_TYPE_GSO       1 /* u.gso */
#define XEN_NETIF_EXTRA_TYPE_MCAST_ADD 2 /* u.mcast */
#define XEN_NETIF_EXTRA_TYPE_MCAST_DEL 3 /* u.mcast */
#define XEN_NETIF_EXTRA_TYPE_HASH      4 /* u.hash */
#define XEN_NETIF_EXTRA_TYPE_MAX       5

#define _XEN_NETIF_EXTRA_FLAG_MORE 0
#define XEN_NETIF_EXTRA_FLAG_MORE  (1u << _XEN_NETIF_EXTRA_FLAG_MORE) /* another extra follows */

#define XEN_NETIF_GSO_TYPE_NONE  0
#define XEN_NETIF_GSO_TYPE_TCPV4 1
#define XEN_NETIF_GSO_TYPE_TCPV6 2

/* Occupies a tx request or rx response slot. */
struct netif_extra_info {
    uint8_t type;       /* XEN_NETIF_EXTRA_TYPE_* */
    uint8_t flags;      /* XEN_NETIF_EXTRA_FLAG_* */
    union {
        struct {
            uint16_t size;      /* segment size (MSS) */
            uint8_t  type;      /* XEN_NETIF_GSO_TYPE_* */
            uint8_t  _pad;
            uint16_t features;  /* must be zero */
        } gso;
        struct {
            uint8_t addr[6];    /* multicast MAC */
        } mcast;
        struct {
            uint8_t type;       /* hash type */
            uint8_t algorithm;  /* hash algorithm */
            uint8_t value[4];   /* hash value, little-endian */
        } hash;
        uint16_t _pad[3];
    } u;
};
_Static_assert(sizeof(struct netif_extra_info) == 8, "netif_extra_info size");
_Static_assert(offsetof(struct netif_extra_info, u) == 2, "netif_extra_info.u");
_Static_assert(offsetof(struct netif_extra_info, u.gso.type) == 4, "netif_extra_info.u.gso.type");
_Static_assert(offsetof(struct netif_extra_info, u.gso.features) == 6, "netif_extra_info.u.gso.features");

struct netif_tx_response {
    uint16_t id;        /* from the request */
    int16_t  status;    /* NETIF_RSP_* */
};
_Static_assert(sizeof(struct netif_tx_response) == 4, "netif_tx_response size");
_Static_assert(offsetof(struct netif_tx_response, status) == 2, "netif_tx_response.status");

struct netif_rx_request {
    uint16_t id;        /* echoed in the response */
    uint16_t _pad0;
    grant_ref_t gref;   /* empty page for the back end to fill */
};
_Static_assert(sizeof(struct netif_rx_request) == 8, "netif_rx_request size");
_Static_assert(offsetof(struct netif_rx_request, gref) == 4, "netif_rx_request.gref");

#define _NETRXF_data_validated 0
#define NETRXF_data_validated  (1u << _NETRXF_data_validated) /* checksum verified */
#define _NETRXF_csum_blank     1
#define NETRXF_csum_blank      (1u << _NETRXF_csum_blank)     /* checksum not filled in */
#define _NETRXF_more_data      2
#define NETRXF_more_data       (1u << _NETRXF_more_data)      /* packet continues in next slot */
#define _NETRXF_extra_info     3
#define NETRXF_extra_info      (1u << _NETRXF_extra_info)     /* next slot is netif_extra_info */
#define _NETRXF_gso_prefix     4
#define NETRXF_gso_prefix      (1u << _NETRXF_gso_prefix)     /* deprecated */

struct netif_rx_response {
    uint16_t id;        /* from the request */
    uint16_t offset;    /* data offset in the page */
    uint16_t flags;     /* NETRXF_* */
    int16_t  status;    /* >= 0: bytes; < 0: NETIF_RSP_* */
};
_Static_assert(sizeof(struct netif_rx_response) == 8, "netif_rx_response size");
_Static_assert(offsetof(struct netif_rx_response, offset) == 2, "netif_rx_response.offset");
_Static_assert(offsetof(struct netif_rx_response, flags) == 4, "netif_rx_response.flags");
_Static_assert(offsetof(struct netif_rx_response, status) == 6, "netif_rx_response.status");

#define NETIF_RSP_DROPPED (-2)
#define NETIF_RSP_ERROR   (-1)
#define NETIF_RSP_OKAY    0
#define NETIF_RSP_NULL    1 /* no real response: slot answered an extra-info request */

/* The two rings, one page each. */
union netif_tx_sring_entry {
    struct netif_tx_request  req;
    struct netif_tx_response rsp;
};
_Static_assert(sizeof(union netif_tx_sring_entry) == 12, "netif_tx_sring_entry size");

struct netif_tx_sring {
    struct xen_sring_header hdr;
    union netif_tx_sring_entry ring[];
};
_Static_assert(offsetof(struct netif_tx_sring, ring) == 64, "netif_tx_sring.ring");

union netif_rx_sring_entry {
    struct netif_rx_request  req;
    struct netif_rx_response rsp;
};
_Static_assert(sizeof(union netif_rx_sring_entry) == 8, "netif_rx_sring_entry size");

struct netif_rx_sring {
    struct xen_sring_header hdr;
    union netif_rx_sring_entry ring[];
};
_Static_assert(offsetof(struct netif_rx_sring, ring) == 64, "netif_rx_sring.ring");

#define NETIF_TX_RING_SIZE 256
#define NETIF_RX_RING_SIZE 256
_Static_assert(NETIF_TX_RING_SIZE * sizeof(union netif_tx_sring_entry) <= 4096 - 64 &&
               2 * NETIF_TX_RING_SIZE * sizeof(union netif_tx_sring_entry) > 4096 - 64,
               "NETIF_TX_RING_SIZE is the largest power of two fitting one page");
_Static_assert(NETIF_RX_RING_SIZE * sizeof(union netif_rx_sring_entry) <= 4096 - 64 &&
               2 * NETIF_RX_RING_SIZE * sizeof(union netif_rx_sring_entry) > 4096 - 64,
               "NETIF_RX_RING_SIZE is the largest power of two fitting one page");

#endif /* PUBLIC_IO_NETIF_H */
