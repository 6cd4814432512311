/* Test-guest xenstore client over the store ring: see xs.h. */
#include <stdarg.h>
#include "events.h"
#include "guest.h"
#include "mm.h"
#include "xs.h"
#include <public/errno.h>

#define MAX_KEPT 8

static struct xenstore_domain_interface *ring;
static uint32_t next_req_id = 1;
static struct xs_msg kept[MAX_KEPT];
static unsigned int nr_kept;

struct xenstore_domain_interface *xs_ring(void) { return ring; }

int64_t xs_init(void)
{
    if (!start_info->store_mfn)
        return -XEN_EINVAL;
    ring = mfn_to_virt(start_info->store_mfn);
    return ring ? 0 : -XEN_EINVAL;
}

/* Waits for the store port until deadline: false at the deadline. */
static bool wait_port(uint64_t deadline)
{
    unsigned int port = start_info->store_evtchn;
    if (pvclock_now() >= deadline)
        return false;
    poll_port(port, deadline);
    port_clear(port);
    return true;
}

int64_t xs_send_raw(const void *bytes, size_t len)
{
    const uint8_t *p = bytes;
    uint64_t deadline = pvclock_now() + XS_TIMEOUT_NS;
    while (len) {
        uint32_t cons = __atomic_load_n(&ring->req_cons, __ATOMIC_ACQUIRE), prod = ring->req_prod;
        uint32_t room = XENSTORE_RING_SIZE - (prod - cons);
        if (room == 0) {
            if (!wait_port(deadline))
                return -XEN_ETIMEDOUT;
            continue;
        }
        uint32_t n = 0;
        for (; n < room && n < len; n++)
            ring->req[MASK_XENSTORE_IDX(prod + n)] = p[n];
        __atomic_store_n(&ring->req_prod, prod + n, __ATOMIC_RELEASE);
        evtchn_send(start_info->store_evtchn);
        p += n;
        len -= n;
    }
    return 0;
}

/* Copies len reply bytes out of the response ring, waiting for them. */
static int64_t read_bytes(void *out, size_t len, uint64_t deadline)
{
    uint8_t *p = out;
    while (len) {
        uint32_t prod = __atomic_load_n(&ring->rsp_prod, __ATOMIC_ACQUIRE), cons = ring->rsp_cons;
        if (prod == cons) {
            if (!wait_port(deadline))
                return -XEN_ETIMEDOUT;
            continue;
        }
        uint32_t n = 0;
        for (; cons + n != prod && n < len; n++)
            p[n] = ring->rsp[MASK_XENSTORE_IDX(cons + n)];
        __atomic_store_n(&ring->rsp_cons, cons + n, __ATOMIC_RELEASE);
        evtchn_send(start_info->store_evtchn);
        p += n;
        len -= n;
    }
    return 0;
}

int64_t xs_recv(struct xs_msg *m, uint64_t timeout_ns)
{
    uint64_t deadline = pvclock_now() + timeout_ns;
    int64_t rc = read_bytes(&m->hdr, sizeof(m->hdr), deadline);
    if (rc)
        return rc;
    if (m->hdr.len > XENSTORE_PAYLOAD_MAX)
        return -XEN_EINVAL;                     /* not from an honest xenstored */
    rc = read_bytes(m->body, m->hdr.len, deadline);
    m->body[rc ? 0 : m->hdr.len] = '\0';
    return rc;
}

int64_t xs_request(uint32_t type, uint32_t tx, const void *payload, size_t len, struct xs_msg *reply)
{
    struct xsd_sockmsg h = { .type = type, .req_id = next_req_id++, .tx_id = tx, .len = (uint32_t)len };
    int64_t rc = xs_send_raw(&h, sizeof(h));
    if (!rc && len)
        rc = xs_send_raw(payload, len);
    while (!rc) {
        rc = xs_recv(reply, XS_TIMEOUT_NS);
        if (rc || (reply->hdr.type != XS_WATCH_EVENT && reply->hdr.req_id == h.req_id))
            break;
        if (reply->hdr.type == XS_WATCH_EVENT && nr_kept < MAX_KEPT)
            kept[nr_kept++] = *reply;
    }
    return rc;
}

int64_t xs_request_strs(uint32_t type, uint32_t tx, struct xs_msg *reply, unsigned int n, ...)
{
    static char buf[XENSTORE_PAYLOAD_MAX];
    size_t len = 0;
    va_list ap;
    va_start(ap, n);
    for (unsigned int i = 0; i < n; i++) {
        const char *s = va_arg(ap, const char *);
        size_t l = strlen(s) + 1;
        if (len + l > sizeof(buf))
            break;
        memcpy(buf + len, s, l);
        len += l;
    }
    va_end(ap);
    return xs_request(type, tx, buf, len, reply);
}

bool xs_pending(void)
{
    return nr_kept || __atomic_load_n(&ring->rsp_prod, __ATOMIC_ACQUIRE) != ring->rsp_cons;
}

int64_t xs_watch_event(struct xs_msg *ev, uint64_t timeout_ns)
{
    if (nr_kept) {
        *ev = kept[0];
        memmove(kept, kept + 1, --nr_kept * sizeof(kept[0]));
        return 0;
    }
    uint64_t deadline = pvclock_now() + timeout_ns;
    for (;;) {
        uint64_t now = pvclock_now();
        int64_t rc = xs_recv(ev, now < deadline ? deadline - now : 0);
        if (rc || ev->hdr.type == XS_WATCH_EVENT)
            return rc;
    }
}

const char *xs_error(const struct xs_msg *m)
{
    return m->hdr.type == XS_ERROR ? m->body : NULL;
}
