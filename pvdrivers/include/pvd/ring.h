/*
 * One implementation of io/ring.h's discipline for every split driver: a
 * front end queues requests and consumes responses, a back end the reverse,
 * over a shared page of fixed-size slots (each slot holds one request or one
 * response). Pure and freestanding: compiled into pvguest and into the host
 * unit tests. The peer is never trusted: indices it publishes are checked,
 * and what it wrote is copied out once (no double fetch).
 */
#ifndef PVD_RING_H
#define PVD_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <public/io/ring.h>

struct pvd_ring {
    struct xen_sring_header *sring;     /* the shared page */
    uint32_t nr_ents;                   /* slots, a power of two */
    uint32_t ent_size;                  /* bytes a slot */
    RING_IDX prod_pvt;                  /* front: requests queued (req_prod_pvt); back: responses (rsp_prod_pvt) */
    RING_IDX cons;                      /* front: responses consumed (rsp_cons); back: requests (req_cons) */
    bool broken;                        /* the peer published an index no honest peer could */
};

/*
 * The front end starts a ring in a fresh page of page_bytes (header set as
 * Xen's SHARED_RING_INIT: producers 0, events 1). The back end attaches to a
 * page the front end granted (its header is not touched). ent_size: the
 * larger of the protocol's request and response. False if no slot fits.
 */
bool pvd_ring_front_init(struct pvd_ring *r, void *page, uint32_t page_bytes, uint32_t ent_size);
bool pvd_ring_back_attach(struct pvd_ring *r, void *page, uint32_t page_bytes, uint32_t ent_size);

/* ---- front end ---- */

/* Slot for the next request, or NULL if every slot is in use (waiting for responses). */
void *pvd_ring_front_next_request(struct pvd_ring *r);
/* Publishes the requests written since the last push; true if the back end must be notified. */
bool pvd_ring_front_push(struct pvd_ring *r);
/*
 * Copies the next response into out (ent_size bytes) and consumes it: true,
 * or false when none is published. A back end that publishes more responses
 * than requests were queued marks the ring broken (pvd_ring_broken) and
 * nothing more is consumed.
 */
bool pvd_ring_front_get_response(struct pvd_ring *r, void *out);
/*
 * Before sleeping: asks for a notification at the next response and looks
 * again. True if a response arrived meanwhile (do not sleep).
 */
bool pvd_ring_front_final_check(struct pvd_ring *r);

/* ---- back end ---- */

/*
 * Copies the next request into out (ent_size bytes, read once from the
 * shared page) and consumes it: true, or false when none is published or
 * there is no room to answer it. A front end whose req_prod runs more than
 * a ring ahead marks the ring broken.
 */
bool pvd_ring_back_get_request(struct pvd_ring *r, void *out);
/* Slot for the next response (the back end answers only requests it consumed, so there is one). */
void *pvd_ring_back_next_response(struct pvd_ring *r);
/* Publishes the responses written since the last push; true if the front end must be notified. */
bool pvd_ring_back_push(struct pvd_ring *r);
/* Before sleeping: asks for a notification at the next request and looks again. True if one arrived. */
bool pvd_ring_back_final_check(struct pvd_ring *r);

static inline bool pvd_ring_broken(const struct pvd_ring *r) { return r->broken; }

#endif /* PVD_RING_H */
