/*
 * The learning Ethernet bridge netback switches frames with (see
 * include/net/bridge.h). Every frame byte is hostile; the caller's port
 * indices are checked too, so a stale index is ignored rather than trusted.
 *
 * The forwarding database is scanned linearly: 256 entries of 16 bytes are
 * 4 KiB, two passes per frame (source, destination) cost less than copying
 * the frame, and a flat array needs no hash, no chains and no tombstones on
 * delete. One pass finds the source's entry, a free slot and the oldest
 * entry at once, which is all learning and eviction need.
 */
#include <net/bridge.h>
#include <public/errno.h>
#include <lib/string.h>

#define ETH_HLEN 14

_Static_assert(BRIDGE_MAX_PORTS <= 256, "fdb entries hold the port in a uint8_t");

/* The group bit: broadcast and every multicast address. */
static bool mac_is_multicast(const uint8_t *mac)
{
    return mac[0] & 1;
}

static bool mac_is_zero(const uint8_t *mac)
{
    return !(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]);
}

static bool port_ok(const struct bridge *b, int port)
{
    return port >= 0 && port < BRIDGE_MAX_PORTS && b->port[port].used;
}

static bool alive(const struct bridge *b, const struct bridge_fdb_entry *e, uint64_t now)
{
    return e->used && (now <= e->seen || now - e->seen < b->ageing_ns);
}

void bridge_init(struct bridge *b, uint64_t ageing_ns)
{
    memset(b, 0, sizeof(*b));
    b->ageing_ns = ageing_ns;
}

int bridge_add_port(struct bridge *b, const char *name, bridge_tx_fn tx, void *arg)
{
    if (!tx)
        return -XEN_EINVAL;
    for (int i = 0; i < BRIDGE_MAX_PORTS; i++) {
        struct bridge_port *p = &b->port[i];
        if (p->used)
            continue;
        *p = (struct bridge_port){ .used = true, .tx = tx, .arg = arg };
        str_copy(p->name, name ? name : "", sizeof(p->name));
        return i;
    }
    return -XEN_ENOSPC;
}

void bridge_del_port(struct bridge *b, int port)
{
    if (!port_ok(b, port))
        return;
    for (int i = 0; i < BRIDGE_FDB_SIZE; i++)
        if (b->fdb[i].used && b->fdb[i].port == port)
            b->fdb[i].used = false;
    b->port[port] = (struct bridge_port){ .used = false };
}

int bridge_lookup(const struct bridge *b, const uint8_t mac[6], uint64_t now)
{
    for (int i = 0; i < BRIDGE_FDB_SIZE; i++) {
        const struct bridge_fdb_entry *e = &b->fdb[i];
        if (alive(b, e, now) && !memcmp(e->mac, mac, 6))
            return e->port;
    }
    return -1;
}

void bridge_age(struct bridge *b, uint64_t now)
{
    for (int i = 0; i < BRIDGE_FDB_SIZE; i++) {
        struct bridge_fdb_entry *e = &b->fdb[i];
        if (e->used && !alive(b, e, now)) {
            e->used = false;
            b->aged++;
        }
    }
}

/*
 * Records that mac lives on port. A MAC has at most one entry (even a stale
 * one is found and reused), so a move updates it in place. A new MAC takes a
 * free slot, else the least recently seen entry: an aged one if any, counted
 * as aged, else a live one, counted as evicted.
 */
static void learn(struct bridge *b, int port, const uint8_t *mac, uint64_t now)
{
    struct bridge_fdb_entry *hit = NULL, *free_slot = NULL, *oldest = NULL;
    for (int i = 0; i < BRIDGE_FDB_SIZE && !hit; i++) {
        struct bridge_fdb_entry *e = &b->fdb[i];
        if (!e->used) {
            if (!free_slot)
                free_slot = e;
        } else if (!memcmp(e->mac, mac, 6)) {
            hit = e;
        } else if (!oldest || e->seen < oldest->seen) {
            oldest = e;
        }
    }
    struct bridge_port_stats *st = &b->port[port].st;
    if (hit && alive(b, hit, now)) {
        if (hit->port != port) {
            st->learned++;
            st->moved++;
            hit->port = (uint8_t)port;
        }
        hit->seen = now;
        return;
    }
    struct bridge_fdb_entry *e = hit ? hit : free_slot ? free_slot : oldest;
    if (e == hit || e == oldest) {      /* hit is stale; oldest is either */
        if (alive(b, e, now))
            b->evicted++;
        else
            b->aged++;
    }
    *e = (struct bridge_fdb_entry){ .used = true, .port = (uint8_t)port, .seen = now };
    memcpy(e->mac, mac, 6);
    st->learned++;
}

static void port_send(struct bridge_port *p, const uint8_t *frame, size_t len)
{
    if (p->tx(p->arg, frame, len) == 0) {
        p->st.tx_frames++;
        p->st.tx_bytes += len;
    } else {
        p->st.tx_dropped++;
    }
}

void bridge_input(struct bridge *b, int port, const uint8_t *frame, size_t len, uint64_t now)
{
    if (!port_ok(b, port))
        return;
    struct bridge_port_stats *st = &b->port[port].st;
    st->rx_frames++;
    st->rx_bytes += len;
    if (len < ETH_HLEN || mac_is_multicast(frame + 6) || mac_is_zero(frame + 6)) {
        st->rx_bad++;
        return;
    }
    learn(b, port, frame + 6, now);

    /* A group address is never learnt: skip the scan and flood. */
    int out = mac_is_multicast(frame) ? -1 : bridge_lookup(b, frame, now);
    if (out == port) {
        st->filtered++;
    } else if (out >= 0) {
        port_send(&b->port[out], frame, len);
    } else {
        st->flooded++;
        for (int i = 0; i < BRIDGE_MAX_PORTS; i++)
            if (i != port && b->port[i].used)
                port_send(&b->port[i], frame, len);
    }
}
