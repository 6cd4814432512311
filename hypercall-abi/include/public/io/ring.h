/*
 * Shared request/response rings used by split drivers: the 64-byte header at
 * the start of a ring page and index arithmetic helpers.
 */
#ifndef PUBLIC_IO_RING_H
#define PUBLIC_IO_RING_H

#include <stddef.h>
#include <stdint.h>

/*
 * A ring page (granted by the front end) holds this header and then an array
 * of entries, each a union of one request and one response; its length is a
 * power of two (see xen_ring_size). Indices are free-running 32-bit counters
 * masked by the length; they wrap naturally.
 *
 *   front end writes: req_prod (requests published), rsp_event
 *   back end writes:  rsp_prod (responses published), req_event
 *
 * The *_event fields ask the other side for a notification (event channel
 * send) once its producer index passes them; the front end initialises both
 * to 1 and both producers to 0.
 *
 * Publishing: write the entries, write barrier, store the new producer index,
 * full barrier, then notify if xen_ring_need_notify(old, new, event).
 * Consuming: read the producer index, read barrier, read entries. Before
 * sleeping, set the event index to consumer + 1, full barrier, and look at the
 * producer again, or a notification can be lost.
 * A back end must copy each request out of the page once before checking it
 * (the front end can change it at any time) and must not trust req_prod
 * further than xen_ring_unconsumed_requests() allows.
 */
typedef uint32_t RING_IDX;

struct xen_sring_header {
    RING_IDX req_prod;   /* front end: requests produced */
    RING_IDX req_event;  /* back end: notify me when req_prod passes this */
    RING_IDX rsp_prod;   /* back end: responses produced */
    RING_IDX rsp_event;  /* front end: notify me when rsp_prod passes this */
    uint8_t  pvt[4];     /* protocol-private (netif: smartpoll_active in pvt[0]) */
    uint8_t  _pad[44];
};
_Static_assert(sizeof(struct xen_sring_header) == 64, "xen_sring_header size");
_Static_assert(offsetof(struct xen_sring_header, req_event) == 4, "xen_sring_header.req_event");
_Static_assert(offsetof(struct xen_sring_header, rsp_prod) == 8, "xen_sring_header.rsp_prod");
_Static_assert(offsetof(struct xen_sring_header, rsp_event) == 12, "xen_sring_header.rsp_event");
_Static_assert(offsetof(struct xen_sring_header, pvt) == 16, "xen_sring_header.pvt");
_Static_assert(offsetof(struct xen_sring_header, _pad) == 20, "xen_sring_header._pad");

/* Initialise a fresh ring page header (front end only). */
static inline void xen_sring_init(struct xen_sring_header *h)
{
    h->req_prod = 0;
    h->rsp_prod = 0;
    h->req_event = 1;
    h->rsp_event = 1;
}

/*
 * Entries in a ring of ring_bytes bytes (header included) with entries of
 * entry_size bytes: the largest power of two that fits.
 */
static inline uint32_t xen_ring_size(uint32_t ring_bytes, uint32_t entry_size)
{
    uint32_t n = (ring_bytes - (uint32_t)sizeof(struct xen_sring_header)) / entry_size;
    uint32_t p = 1;

    if (n == 0)
        return 0;
    while (p <= n / 2)
        p *= 2;
    return p;
}

/* Slot of free-running index idx in a ring of size entries (a power of two). */
static inline uint32_t xen_ring_slot(RING_IDX idx, uint32_t size)
{
    return idx & (size - 1);
}

/*
 * After moving a producer index from old_prod to new_prod: must the peer be
 * notified? Yes iff its event index lies in (old_prod, new_prod].
 */
static inline int xen_ring_need_notify(RING_IDX old_prod, RING_IDX new_prod, RING_IDX event)
{
    return (RING_IDX)(new_prod - event) < (RING_IDX)(new_prod - old_prod);
}

/*
 * Requests a back end may consume: what the front end published, but never
 * more than the slots not still holding unsent responses (a hostile front end
 * could otherwise make the back end overrun its own responses).
 */
static inline RING_IDX xen_ring_unconsumed_requests(RING_IDX req_prod, RING_IDX req_cons,
                                                    RING_IDX rsp_prod_pvt, uint32_t size)
{
    RING_IDX reqs = req_prod - req_cons;
    RING_IDX room = size - (req_cons - rsp_prod_pvt);

    return reqs < room ? reqs : room;
}

/* Responses a front end may consume. */
static inline RING_IDX xen_ring_unconsumed_responses(RING_IDX rsp_prod, RING_IDX rsp_cons)
{
    return rsp_prod - rsp_cons;
}

/* Requests a front end can still queue (req_prod_pvt: its private producer). */
static inline RING_IDX xen_ring_free_requests(RING_IDX req_prod_pvt, RING_IDX rsp_cons,
                                              uint32_t size)
{
    return size - (req_prod_pvt - rsp_cons);
}

#endif /* PUBLIC_IO_RING_H */
