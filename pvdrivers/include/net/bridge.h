/*
 * A learning Ethernet bridge (net/bridge.c): netback's switch between the
 * vifs and the physical NIC. Pure and freestanding: no lock inside (the
 * caller serialises every call), time only through the now arguments, so
 * the host unit test (tests/unit/test_bridge.c) compiles it unchanged.
 *
 * A frame that comes in on a port teaches the bridge that its source MAC
 * lives there (an entry ages out after ageing_ns without a frame from it).
 * It goes out on the port its destination was learnt on, or, for a
 * broadcast, multicast or unknown destination, on every other port
 * (flooding). It never goes back out the port it came in on. Every byte is
 * hostile: a frame shorter than an Ethernet header, or whose source is a
 * multicast or all-zero MAC, is dropped and counted, never learnt.
 */
#ifndef PVDRIVERS_NET_BRIDGE_H
#define PVDRIVERS_NET_BRIDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BRIDGE_MAX_PORTS    16
#define BRIDGE_FDB_SIZE     256             /* learnt MACs; when full the oldest entry goes */
#define BRIDGE_AGEING_NS    (300ull * 1000000000ull)    /* Linux's and 802.1D's default: 300 s */
#define BRIDGE_NAME_LEN     16

/*
 * Hands a frame to a port's device; it is valid only during the call. 0 once
 * the device took it, or a negative errno (a full ring): counted as tx_dropped.
 */
typedef int (*bridge_tx_fn)(void *arg, const uint8_t *frame, size_t len);

struct bridge_port_stats {
    uint64_t rx_frames, rx_bytes;           /* frames that came in on this port */
    uint64_t rx_bad;                        /* of those, dropped: too short, or a bad source MAC */
    uint64_t tx_frames, tx_bytes;           /* frames the port's device took */
    uint64_t tx_dropped;                    /* frames its device refused */
    uint64_t flooded;                       /* frames from this port sent to every other port */
    uint64_t learned, moved;                /* source MACs learnt here; of those, that had been on another port */
    uint64_t filtered;                      /* frames for a MAC learnt on this same port: dropped, as Linux does */
};

struct bridge_port {
    bool used;
    char name[BRIDGE_NAME_LEN];
    bridge_tx_fn tx;
    void *arg;
    struct bridge_port_stats st;
};

struct bridge_fdb_entry {
    bool used;
    uint8_t mac[6];
    uint8_t port;
    uint64_t seen;                          /* now of the last frame from mac */
};

struct bridge {
    uint64_t ageing_ns;
    struct bridge_port port[BRIDGE_MAX_PORTS];
    struct bridge_fdb_entry fdb[BRIDGE_FDB_SIZE];
    uint64_t aged, evicted;                 /* entries dropped once aged out (by bridge_age or when their slot is
                                               relearnt); live entries pushed out by a full table */
};

void bridge_init(struct bridge *b, uint64_t ageing_ns);
/*
 * A port: its index (>= 0, the lowest free one, with zeroed counters), or
 * -XEN_ENOSPC when all BRIDGE_MAX_PORTS are in use, -XEN_EINVAL when tx is
 * NULL (public/errno.h). name is copied (truncated; NULL makes it empty).
 */
int bridge_add_port(struct bridge *b, const char *name, bridge_tx_fn tx, void *arg);
/* Removes a port and forgets every MAC learnt on it; a port that is not in use is ignored. */
void bridge_del_port(struct bridge *b, int port);
/*
 * One frame (Ethernet header first, no FCS; len bytes at frame are readable)
 * that came in on port at time now: learnt from, then forwarded. A port that
 * is not in use is ignored.
 */
void bridge_input(struct bridge *b, int port, const uint8_t *frame, size_t len, uint64_t now);
/*
 * The port mac was learnt on and has not aged out at now: its index, or -1.
 * An entry is alive while now - seen < ageing_ns (a now before seen counts as
 * no age), so ageing_ns 0 learns nothing lasting and the bridge floods like a hub.
 */
int bridge_lookup(const struct bridge *b, const uint8_t mac[6], uint64_t now);
/* Drops the entries older than ageing_ns at now (bridge_input and bridge_lookup ignore them anyway). */
void bridge_age(struct bridge *b, uint64_t now);

#endif /* PVDRIVERS_NET_BRIDGE_H */
