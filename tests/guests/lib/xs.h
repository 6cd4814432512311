/*
 * Test-guest xenstore client: raw wire messages over the guest's store ring
 * (start_info.store_mfn, store_evtchn), so tests can send anything, hostile
 * bytes included, and see exactly what xenstored answers.
 */
#ifndef GUEST_XS_H
#define GUEST_XS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <public/io/xs_wire.h>

struct xs_msg {
    struct xsd_sockmsg hdr;
    char body[XENSTORE_PAYLOAD_MAX + 1];     /* NUL added after len bytes */
};

#define XS_TIMEOUT_NS 5000000000ull          /* a reply later than 5 s counts as none */

/* The ring is ours (an initial-region page); events_init must have run. 0, or -EINVAL without a store. */
int64_t xs_init(void);
struct xenstore_domain_interface *xs_ring(void);
/* Puts len raw bytes on the request ring (waiting for room) and notifies: 0, or -ETIMEDOUT. */
int64_t xs_send_raw(const void *bytes, size_t len);
/* The next message from xenstored, whatever it is: 0, or -ETIMEDOUT. */
int64_t xs_recv(struct xs_msg *m, uint64_t timeout_ns);
/*
 * Sends a request (payload of len bytes) and waits for its reply (matched by
 * req_id); watch events that arrive meanwhile are kept for xs_watch_event.
 * 0, or -ETIMEDOUT.
 */
int64_t xs_request(uint32_t type, uint32_t tx, const void *payload, size_t len, struct xs_msg *reply);
/* The same with a payload of NUL-terminated strings: "a", "b" -> "a\0b\0". */
int64_t xs_request_strs(uint32_t type, uint32_t tx, struct xs_msg *reply, unsigned int n, ...);
/* Whether a message waits: a kept watch event, or bytes on the response ring (a wait on the store port
 * that does not start on xs_watch_event, e.g. on several ports, looks at this first). */
bool xs_pending(void);
/* The next WATCH_EVENT (kept or new): 0, or -ETIMEDOUT. */
int64_t xs_watch_event(struct xs_msg *ev, uint64_t timeout_ns);
/* The error name of an XS_ERROR reply ("EACCES"), or NULL if the reply is not an error. */
const char *xs_error(const struct xs_msg *m);

#endif
