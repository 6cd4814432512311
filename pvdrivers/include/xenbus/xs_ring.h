/*
 * The xenstore ring's byte streams (io/xs_wire.h), both ends: each side keeps
 * its own copy of the index it owns and reads the peer's once per call, never
 * trusting it beyond one ring's worth. Freestanding (host-tested).
 */
#ifndef XENBUS_XS_RING_H
#define XENBUS_XS_RING_H

#include <stddef.h>
#include <stdint.h>
#include <public/io/xs_wire.h>

/* One direction of the page: req (guest -> xenstored) or rsp (xenstored -> guest). */
struct xs_ring_dir {
    uint8_t *data;                      /* XENSTORE_RING_SIZE bytes */
    XENSTORE_RING_IDX *cons, *prod;     /* in the shared page */
};
static inline struct xs_ring_dir xs_ring_req(struct xenstore_domain_interface *r)
{
    return (struct xs_ring_dir){ r->req, &r->req_cons, &r->req_prod };
}
static inline struct xs_ring_dir xs_ring_rsp(struct xenstore_domain_interface *r)
{
    return (struct xs_ring_dir){ r->rsp, &r->rsp_cons, &r->rsp_prod };
}

#define XS_RING_BAD (-1)    /* the peer's index is more than a ring away from ours */

/*
 * Consumer: copies up to max of the bytes the producer published after *cons
 * into out (one read of its index, then a barrier; the bytes copied once, so
 * later changes to the page cannot reach the caller). Consumes nothing: how
 * many bytes were copied, or XS_RING_BAD.
 */
int xs_ring_peek(const struct xs_ring_dir *d, uint32_t cons, uint8_t *out, size_t max);
/* Consumer: n bytes handled; publishes *cons + n (a barrier first). */
void xs_ring_consume(const struct xs_ring_dir *d, uint32_t *cons, uint32_t n);
/*
 * Producer: the contiguous free bytes at *prod (0: full), their offset in
 * *off; or XS_RING_BAD if the consumer's index is ahead of ours or more than
 * a ring behind.
 */
int xs_ring_room(const struct xs_ring_dir *d, uint32_t prod, uint32_t *off);
/* Producer: n bytes written at the offset room gave; publishes *prod + n (a barrier first). */
void xs_ring_produce(const struct xs_ring_dir *d, uint32_t *prod, uint32_t n);
/* Producer: writes what fits of len bytes (both pieces around the wrap): how many, or XS_RING_BAD. */
int xs_ring_write(const struct xs_ring_dir *d, uint32_t *prod, const void *src, size_t len);
/* Consumer: peek and consume in one: how many, or XS_RING_BAD. */
int xs_ring_read(const struct xs_ring_dir *d, uint32_t *cons, void *dst, size_t max);

#endif /* XENBUS_XS_RING_H */
