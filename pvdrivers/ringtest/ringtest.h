/*
 * ringtest: a demonstration split device whose data path is exactly a real
 * driver's (a granted ring page, an event channel each way, io/ring.h's
 * discipline) and whose payload checks itself: every request carries an
 * xxHash of its data that the back end verifies, and every response an
 * xxHash the front end verifies, so a lost, repeated, reordered or corrupted
 * message is counted, never missed. Our own protocol, not Xen's.
 */
#ifndef PVD_RINGTEST_H
#define PVD_RINGTEST_H

#include <pvd/ring.h>
#include <sched.h>
#include <public/xen.h>

#define RINGTEST_DATA 40

struct ringtest_request {
    uint64_t seq;                       /* 0, 1, 2, ... in order */
    uint8_t data[RINGTEST_DATA];        /* derived from seq */
    uint64_t hash;                      /* xxHash64 of seq and data */
};
struct ringtest_response {
    uint64_t seq;                       /* the request answered */
    uint32_t status;                    /* RINGTEST_OK, or what the back end found wrong */
    uint32_t _pad;
    uint64_t hash;                      /* xxHash64 of seq and status */
    uint8_t _pad2[40];
};
#define RINGTEST_OK         0
#define RINGTEST_BAD_HASH   1
#define RINGTEST_BAD_SEQ    2
_Static_assert(sizeof(struct ringtest_request) == 56, "ringtest_request size");
_Static_assert(sizeof(struct ringtest_response) == 64, "ringtest_response size");
#define RINGTEST_SLOT 64                /* the larger of the two */

/* One end's view of a connected channel: the ring, its port, and a semaphore the event raises. */
struct ringtest_chan {
    struct pvd_ring ring;
    evtchn_port_t port;
    struct semaphore kick;
};

struct ringtest_stats {
    uint64_t sent, answered, lost, corrupted, notifications_sent, waits;
    uint64_t ns;                        /* from the first request to the last response */
};

/* The event handler both ends bind: raises the channel's semaphore. */
void ringtest_kick(void *chan);

/*
 * The front end sends n requests, keeping the ring as full as it can, and
 * checks every response. Fills st; returns false if anything was lost or
 * corrupted, the ring broke, or the back end went quiet for timeout_ns.
 */
bool ringtest_front_run(struct ringtest_chan *c, uint64_t n, uint64_t timeout_ns, struct ringtest_stats *st);

/*
 * The back end answers requests until it has answered n or the front end
 * went quiet for timeout_ns; counts bad hashes and sequence gaps in st.
 */
bool ringtest_back_serve(struct ringtest_chan *c, uint64_t n, uint64_t timeout_ns, struct ringtest_stats *st);

#endif
