/*
 * Ticker: the domain that must keep getting turns while peer=<domid> sits in
 * long hypercalls (scenarios/preemption.scn). It offers that peer port 1 and,
 * once the peer has bound it, notifies the peer on every turn it gets, until
 * the peer notifies back that it is done. The peer checks that a notification
 * arrived while it was inside each hypercall; the ticker checks that it heard
 * "done" before the peer went away. Nothing here counts time: the tick lines
 * (at most one per TICK_NS) only make the interleaving visible in the log.
 */
#include "events.h"
#include "guest.h"
#include "hypercall.h"

const char test_title[] = "ticker: keeps running while its peer is in long hypercalls";

#define TICK_NS    10000000ull
/* Generous: the peer binds as its first act, a fraction of a second after boot. */
#define CONNECT_NS 3000000000ull

static unsigned int port;
static bool connected;

static const char *test_peer_connects(char *why, size_t len)
{
    domid_t peer = events_init_for_peer(why, len);
    if (peer == DOMID_INVALID)
        return why;
    int64_t rc;
    if ((rc = evtchn_offer(peer, &port)))
        return fail(why, len, "offering a port to %u: %lld", peer, (long long)rc);
    uint64_t give_up = pvclock_now() + CONNECT_NS;
    while ((rc = evtchn_state(port)) == EVTCHNSTAT_unbound && pvclock_now() < give_up)
        hyp_sched_op(SCHEDOP_yield, NULL);
    connected = rc == EVTCHNSTAT_interdomain;
    return connected ? NULL : fail(why, len, "peer %u never bound port %u (state %lld)", peer, port, (long long)rc);
}

static const char *test_ticks_until_done(char *why, size_t len)
{
    if (!connected)
        return fail(why, len, "no peer connected");
    unsigned int ticks = 0;
    uint64_t next_tick = 0;
    /* Binding notified only the binder: a pending port here is the peer's "done". */
    while (!port_pending(port)) {
        int64_t rc = evtchn_send(port);
        if (rc)
            return fail(why, len, "notifying the peer: %lld", (long long)rc);
        uint64_t now = pvclock_now();
        if (now >= next_tick) {
            printk("# tick %u\n", ++ticks);
            next_tick = now + TICK_NS;
            /* A peer that died closed its end: ours is waiting for a new binder. */
            if (evtchn_state(port) != EVTCHNSTAT_interdomain && !port_pending(port))
                return fail(why, len, "the peer went away without saying it was done (%u ticks)", ticks);
        }
        hyp_sched_op(SCHEDOP_yield, NULL);
    }
    printk("# the peer is done after %u ticks\n", ticks);
    return NULL;
}

DEFINE_TESTS({ "peer_connects", test_peer_connects }, { "ticks_until_peer_done", test_ticks_until_done })
