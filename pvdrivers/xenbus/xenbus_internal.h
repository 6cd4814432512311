/* What the xenbus files share: the request primitive and the probe's start. */
#ifndef XENBUS_INTERNAL_H
#define XENBUS_INTERNAL_H

#include <xenbus/xenbus.h>

#define XB_PATH_MAX 256

/* Typed walks of a struct list_head list (pos names an entry of type). */
#define xb_for_each(pos, type, head, member) \
    for (type *pos = list_entry((head)->next, type, member); &pos->member != (head); \
         pos = list_entry(pos->member.next, type, member))
#define xb_for_each_safe(pos, type, head, member)                                            \
    for (type *pos = list_entry((head)->next, type, member),                                 \
              *pos##_n = list_entry(pos->member.next, type, member);                         \
         &pos->member != (head); pos = pos##_n, pos##_n = list_entry(pos->member.next, type, member))                 /* watch paths and device paths we handle */

/* A piece of a request's payload. */
struct xb_seg {
    const void *p;
    size_t len;
};
/* A NUL-terminated string with its NUL. */
#define XB_STR(s) ((struct xb_seg){ (s), strlen(s) + 1 })

/*
 * Sends a request of the payload segs and waits for its reply: 0 (its payload
 * in rbuf, NUL added, its length in *rlen), -E2BIG if it did not fit in rsize
 * (rbuf holds the start), the store's error as a negative errno, -ETIMEDOUT.
 */
int xb_request(uint32_t type, xenbus_tx_t tx, const struct xb_seg *segs, unsigned int nseg, char *rbuf,
               size_t rsize, uint32_t *rlen);

/*
 * For the ring-jump self-test only: stops our own use of the store ring and
 * returns it (NULL in dom0) with its port in *port.
 */
struct xenstore_domain_interface;
struct xenstore_domain_interface *xb_test_take_ring(uint32_t *port);

/* xenbus_probe.c: watches for devices once the transport is up. */
void xenbus_probe_start(void);

#endif /* XENBUS_INTERNAL_H */
