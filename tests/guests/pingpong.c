/*
 * Ping-pong: two domains bounce an event back and forth over an interdomain
 * channel. role=pong offers port 1 to peer=<domid>; role=ping binds to it
 * and starts. rounds=<n> round trips (default 10000); none may be lost.
 */
#include "events.h"
#include "guest.h"
#include "hypercall.h"
#include <public/errno.h>

const char test_title[] = "pingpong: interdomain event round trips";

static unsigned long option(const char *key, unsigned long dflt)
{
    const char *p = (const char *)start_info->cmd_line;
    size_t k = strlen(key);
    for (; *p; p++)
        if ((p == (const char *)start_info->cmd_line || p[-1] == ' ') && !strncmp(p, key, k)) {
            unsigned long v = 0;
            for (p += k; *p >= '0' && *p <= '9'; p++)
                v = v * 10 + (unsigned long)(*p - '0');
            return v;
        }
    return dflt;
}

static bool is_ping(void)
{
    const char *p = (const char *)start_info->cmd_line;
    for (; *p; p++)
        if (!strncmp(p, "role=ping", 9))
            return true;
    return false;
}

static const char *test_round_trips(char *why, size_t len)
{
    if (events_init())
        return fail(why, len, "events_init failed");
    domid_t peer = (domid_t)option("peer=", 0);
    unsigned long rounds = option("rounds=", 10000), done = 0;
    unsigned int port;
    int64_t rc;

    if (is_ping()) {
        struct evtchn_bind_interdomain b = { .remote_dom = peer, .remote_port = 1 };
        /* The peer may not have offered its port yet. */
        for (unsigned long tries = 0; (rc = evtchn_op(EVTCHNOP_bind_interdomain, &b)); tries++) {
            if (tries > 100000)
                return fail(why, len, "bind_interdomain to %u:1: %lld", peer, (long long)rc);
            hyp_sched_op(SCHEDOP_yield, NULL);
        }
        port = b.local_port;
        port_clear(port);                   /* the notification that comes with binding */
        for (; done < rounds; done++) {
            evtchn_send(port);
            if (poll_port(port, 0))
                break;
            port_clear(port);
        }
    } else {
        struct evtchn_alloc_unbound a = { .dom = DOMID_SELF, .remote_dom = peer };
        if ((rc = evtchn_op(EVTCHNOP_alloc_unbound, &a)) || a.port != 1)
            return fail(why, len, "alloc_unbound: %lld, port %u (want 1)", (long long)rc, a.port);
        port = a.port;
        for (; done < rounds; done++) {
            if (poll_port(port, 0))
                break;
            port_clear(port);
            evtchn_send(port);
        }
    }
    printk("# %lu of %lu round trips\n", done, rounds);
    return done == rounds ? NULL : fail(why, len, "only %lu of %lu round trips", done, rounds);
}

DEFINE_TESTS({ "round_trips", test_round_trips })
