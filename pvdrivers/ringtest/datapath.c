/* ringtest's data path: both ends' loops over the shared ring (see ringtest.h). */
#define XXH_INLINE_ALL
#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>
#include <xen/services.h>
#include "ringtest.h"

void ringtest_kick(void *chan)
{
    sem_up(&((struct ringtest_chan *)chan)->kick);
}

static uint64_t request_hash(const struct ringtest_request *q)
{
    return XXH64(q, offsetof(struct ringtest_request, hash), 0);
}

static uint64_t response_hash(const struct ringtest_response *p)
{
    return XXH64(p, offsetof(struct ringtest_response, _pad), 1);
}

/* Waits for the peer's notification after a final check found nothing: false after timeout_ns of silence. */
static bool wait_peer(struct ringtest_chan *c, uint64_t timeout_ns, struct ringtest_stats *st)
{
    st->waits++;
    return sem_down_timeout(&c->kick, timeout_ns) == 0;
}

bool ringtest_front_run(struct ringtest_chan *c, uint64_t n, uint64_t timeout_ns, struct ringtest_stats *st)
{
    *st = (struct ringtest_stats){ 0 };
    uint64_t t0 = clock_ns();
    while (st->answered < n && !pvd_ring_broken(&c->ring)) {
        struct ringtest_request *q;
        uint64_t sent_before = st->sent;
        while (st->sent < n && (q = pvd_ring_front_next_request(&c->ring))) {
            struct ringtest_request mine = { .seq = st->sent };
            for (unsigned int i = 0; i < RINGTEST_DATA; i++)
                mine.data[i] = (uint8_t)(mine.seq * 131 + i * 7);
            mine.hash = request_hash(&mine);
            *q = mine;
            st->sent++;
        }
        if (pvd_ring_front_push(&c->ring)) {
            xenpv_evtchn_notify(c->port);
            st->notifications_sent++;
        }
        struct ringtest_response p;
        bool got = false;
        while (pvd_ring_front_get_response(&c->ring, &p)) {
            got = true;
            if (p.seq != st->answered)
                st->lost++;
            else if (p.hash != response_hash(&p) || p.status != RINGTEST_OK)
                st->corrupted++;
            st->answered++;
        }
        /* No room or nothing left to send, and no answer: sleep until the back end says there are some. */
        if (!got && st->sent == sent_before && !pvd_ring_front_final_check(&c->ring) && !wait_peer(c, timeout_ns, st))
            break;
    }
    st->ns = clock_ns() - t0;
    return st->answered == n && !st->lost && !st->corrupted && !pvd_ring_broken(&c->ring);
}

bool ringtest_back_serve(struct ringtest_chan *c, uint64_t n, uint64_t timeout_ns, struct ringtest_stats *st)
{
    *st = (struct ringtest_stats){ 0 };
    uint64_t t0 = clock_ns();
    while (st->answered < n && !pvd_ring_broken(&c->ring)) {
        struct ringtest_request q;
        bool got = false;
        while (pvd_ring_back_get_request(&c->ring, &q)) {
            got = true;
            struct ringtest_response p = { .seq = q.seq, .status = RINGTEST_OK };
            if (q.hash != request_hash(&q)) {
                p.status = RINGTEST_BAD_HASH;
                st->corrupted++;
            } else if (q.seq != st->answered) {
                p.status = RINGTEST_BAD_SEQ;
                st->lost++;
            }
            p.hash = response_hash(&p);
            *(struct ringtest_response *)pvd_ring_back_next_response(&c->ring) = p;
            st->answered++;
        }
        if (got && pvd_ring_back_push(&c->ring)) {
            xenpv_evtchn_notify(c->port);
            st->notifications_sent++;
        }
        if (!got && !pvd_ring_back_final_check(&c->ring) && !wait_peer(c, timeout_ns, st))
            break;
    }
    st->ns = clock_ns() - t0;
    return st->answered == n && !st->lost && !st->corrupted && !pvd_ring_broken(&c->ring);
}
