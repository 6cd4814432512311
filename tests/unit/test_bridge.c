/*
 * Host tests of netback's learning bridge (pvdrivers/net/bridge.c), compiled
 * unchanged: learning and unicast to exactly one port, flooding to every port
 * but the ingress, ageing, moves, eviction from a full table, removed ports,
 * malformed frames, refused transmits, and hostile port indices, then a
 * seeded random run checking the invariants on every frame.
 */
#include <limits.h>
#include <net/bridge.h>
#include <public/errno.h>
#include "unit.h"

#define NPORTS 4

/* A fake device per port: counts what it is handed and keeps the last frame. */
struct fake {
    int id;
    int rc;                     /* what tx returns */
    unsigned int calls;
    size_t last_len;
    uint8_t last[64];
};

static struct bridge br;
static struct fake fk[BRIDGE_MAX_PORTS];
static int ingress = -1;        /* the port bridge_input is running for */

static int fake_tx(void *arg, const uint8_t *frame, size_t len)
{
    struct fake *f = arg;
    assert_int_not_equal(f->id, ingress);       /* never back out the way it came */
    f->calls++;
    f->last_len = len;
    memcpy(f->last, frame, len < sizeof(f->last) ? len : sizeof(f->last));
    return f->rc;
}

static const uint8_t BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t MCAST[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
static const uint8_t ZERO[6];

static void mac_n(uint8_t mac[6], unsigned int n)
{
    const uint8_t m[6] = { 0x02, 0x00, 0, (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n };
    memcpy(mac, m, 6);
}

static const uint8_t *mac(unsigned int n)
{
    static uint8_t ring[8][6];
    static unsigned int i;
    uint8_t *m = ring[i++ % 8];
    mac_n(m, n);
    return m;
}

/* Sends a 60-byte frame dst <- src in on port at now; its payload carries a tag. */
static void input(int port, const uint8_t *dst, const uint8_t *src, uint64_t now)
{
    uint8_t f[60] = { 0 };
    memcpy(f, dst, 6);
    memcpy(f + 6, src, 6);
    f[12] = 0x08;
    f[14] = 0x5a;
    ingress = port;
    bridge_input(&br, port, f, sizeof(f), now);
    ingress = -1;
}

static void reset_calls(void)
{
    for (int i = 0; i < BRIDGE_MAX_PORTS; i++)
        fk[i].calls = 0;
}

static void setup_ports(int n, uint64_t ageing)
{
    bridge_init(&br, ageing);
    memset(fk, 0, sizeof(fk));
    for (int i = 0; i < n; i++) {
        char name[8] = { 'v', 'i', 'f', (char)('0' + i), 0 };
        fk[i].id = i;
        assert_int_equal(bridge_add_port(&br, name, fake_tx, &fk[i]), i);
    }
}

static unsigned int fdb_used(void)
{
    unsigned int n = 0;
    for (int i = 0; i < BRIDGE_FDB_SIZE; i++)
        n += br.fdb[i].used;
    return n;
}

static void assert_calls(unsigned int p0, unsigned int p1, unsigned int p2, unsigned int p3)
{
    assert_int_equal(fk[0].calls, p0);
    assert_int_equal(fk[1].calls, p1);
    assert_int_equal(fk[2].calls, p2);
    assert_int_equal(fk[3].calls, p3);
}

static void test_learn_then_unicast(void **state)
{
    (void)state;
    setup_ports(NPORTS, BRIDGE_AGEING_NS);
    assert_int_equal(bridge_lookup(&br, mac(1), 0), -1);
    input(0, BCAST, mac(1), 10);                /* teaches mac1 @ 0 */
    assert_int_equal(bridge_lookup(&br, mac(1), 10), 0);
    reset_calls();
    input(2, mac(1), mac(2), 20);               /* to mac1: port 0 only */
    assert_calls(1, 0, 0, 0);
    assert_int_equal(fk[0].last_len, 60);
    assert_memory_equal(fk[0].last, mac(1), 6);
    assert_memory_equal(fk[0].last + 6, mac(2), 6);
    assert_int_equal(fk[0].last[14], 0x5a);
    assert_int_equal(bridge_lookup(&br, mac(2), 20), 2);
    reset_calls();
    input(0, mac(2), mac(1), 30);               /* and back */
    assert_calls(0, 0, 1, 0);

    const struct bridge_port_stats *s0 = &br.port[0].st, *s2 = &br.port[2].st;
    assert_int_equal(s0->rx_frames, 2);
    assert_int_equal(s0->rx_bytes, 120);
    assert_int_equal(s0->tx_frames, 1);
    assert_int_equal(s0->tx_bytes, 60);
    assert_int_equal(s0->flooded, 1);           /* the first broadcast */
    assert_int_equal(s0->learned, 1);           /* a refresh is not a new MAC */
    assert_int_equal(s2->rx_frames, 1);
    assert_int_equal(s2->tx_frames, 2);         /* the broadcast and the reply */
    assert_int_equal(s2->flooded, 0);
    assert_int_equal(s2->learned, 1);
    assert_int_equal(fdb_used(), 2);
    assert_string_equal(br.port[2].name, "vif2");
}

static void test_flood_not_ingress(void **state)
{
    (void)state;
    setup_ports(NPORTS, BRIDGE_AGEING_NS);
    const uint8_t *dsts[] = { BCAST, MCAST, mac(99) };     /* broadcast, multicast, unknown */
    for (unsigned int i = 0; i < UNIT_ARRAY_SIZE(dsts); i++) {
        reset_calls();
        input(1, dsts[i], mac(1), 100);
        assert_calls(1, 0, 1, 1);
        assert_int_equal(br.port[1].st.flooded, i + 1);
    }
    /* A multicast destination floods even when its bytes match nothing learnt, and is never learnt. */
    assert_int_equal(bridge_lookup(&br, MCAST, 100), -1);
    assert_int_equal(bridge_lookup(&br, BCAST, 100), -1);
    assert_int_equal(br.port[0].st.tx_frames, 3);
    assert_int_equal(br.port[1].st.tx_frames, 0);
    assert_int_equal(br.port[0].st.flooded + br.port[2].st.flooded + br.port[3].st.flooded, 0);
}

/* A frame for a MAC learnt on its own ingress port stays on that segment. */
static void test_same_port_filtered(void **state)
{
    (void)state;
    setup_ports(NPORTS, BRIDGE_AGEING_NS);
    input(3, BCAST, mac(1), 1);
    reset_calls();
    input(3, mac(1), mac(2), 2);
    assert_calls(0, 0, 0, 0);
    assert_int_equal(br.port[3].st.filtered, 1);
    assert_int_equal(br.port[3].st.flooded, 1);
    assert_int_equal(bridge_lookup(&br, mac(2), 2), 3);     /* still learnt from */
}

static void test_ageing(void **state)
{
    (void)state;
    setup_ports(NPORTS, 1000);
    input(0, BCAST, mac(1), 100);
    assert_int_equal(bridge_lookup(&br, mac(1), 1099), 0);
    assert_int_equal(bridge_lookup(&br, mac(1), 1100), -1);  /* exactly ageing_ns old: gone */
    assert_int_equal(bridge_lookup(&br, mac(1), 50), 0);     /* a now before seen is no age */

    reset_calls();
    input(2, mac(1), mac(2), 1100);             /* stale: unknown, so flooded */
    assert_calls(1, 1, 0, 1);
    bridge_age(&br, 1099);                      /* mac1 is still 999 ns young then */
    assert_int_equal(br.aged, 0);
    assert_int_equal(fdb_used(), 2);
    bridge_age(&br, 1100);
    assert_int_equal(br.aged, 1);
    assert_int_equal(fdb_used(), 1);
    assert_int_equal(bridge_lookup(&br, mac(2), 1100), 2);

    /* A frame refreshes its source: mac2 seen at 1100 and 2000 lives to 2999. */
    input(2, BCAST, mac(2), 2000);
    assert_int_equal(bridge_lookup(&br, mac(2), 2999), 2);
    assert_int_equal(bridge_lookup(&br, mac(2), 3000), -1);

    /* A stale MAC seen again on another port is learnt anew, not moved, in its old entry. */
    input(1, BCAST, mac(2), 5000);
    assert_int_equal(bridge_lookup(&br, mac(2), 5000), 1);
    assert_int_equal(br.port[1].st.learned, 1);
    assert_int_equal(br.port[1].st.moved, 0);
    assert_int_equal(br.aged, 2);
    assert_int_equal(fdb_used(), 1);
}

static void test_move(void **state)
{
    (void)state;
    setup_ports(NPORTS, BRIDGE_AGEING_NS);
    input(0, BCAST, mac(1), 1);
    input(1, BCAST, mac(1), 2);
    assert_int_equal(bridge_lookup(&br, mac(1), 2), 1);
    assert_int_equal(br.port[1].st.learned, 1);
    assert_int_equal(br.port[1].st.moved, 1);
    assert_int_equal(br.port[0].st.moved, 0);
    assert_int_equal(fdb_used(), 1);            /* one entry per MAC */
    reset_calls();
    input(2, mac(1), mac(2), 3);
    assert_calls(0, 1, 0, 0);
    input(1, BCAST, mac(1), 4);                 /* staying put is no move */
    assert_int_equal(br.port[1].st.moved, 1);
}

static void test_full_evicts_oldest(void **state)
{
    (void)state;
    setup_ports(NPORTS, BRIDGE_AGEING_NS);
    for (unsigned int i = 0; i < BRIDGE_FDB_SIZE; i++)
        input((int)(i % NPORTS), BCAST, mac(1000 + i), 10 + i);
    assert_int_equal(fdb_used(), BRIDGE_FDB_SIZE);
    assert_int_equal(br.evicted, 0);
    input(0, BCAST, mac(1000), 1000);           /* refreshed: mac1001 is now the oldest */
    input(2, BCAST, mac(5000), 1001);
    assert_int_equal(br.evicted, 1);
    assert_int_equal(br.aged, 0);
    assert_int_equal(fdb_used(), BRIDGE_FDB_SIZE);
    assert_int_equal(bridge_lookup(&br, mac(1001), 1001), -1);
    assert_int_equal(bridge_lookup(&br, mac(1000), 1001), 0);
    assert_int_equal(bridge_lookup(&br, mac(5000), 1001), 2);
    assert_int_equal(bridge_lookup(&br, mac(1002), 1001), 2);
    input(3, BCAST, mac(5001), 1002);           /* then mac1002 */
    assert_int_equal(br.evicted, 2);
    assert_int_equal(bridge_lookup(&br, mac(1002), 1002), -1);
    assert_int_equal(bridge_lookup(&br, mac(1003), 1002), 3);
}

/* When the oldest entry of a full table has aged out, taking its slot is ageing, not eviction. */
static void test_full_reuses_aged(void **state)
{
    (void)state;
    setup_ports(NPORTS, 1000);
    for (unsigned int i = 0; i < BRIDGE_FDB_SIZE; i++)
        input(0, BCAST, mac(i), i < 3 ? 0 : 900);
    input(1, BCAST, mac(777), 1500);
    assert_int_equal(br.evicted, 0);
    assert_int_equal(br.aged, 1);
    assert_int_equal(bridge_lookup(&br, mac(777), 1500), 1);
    assert_int_equal(bridge_lookup(&br, mac(3), 1500), 0);
}

static void test_del_port(void **state)
{
    (void)state;
    setup_ports(NPORTS, BRIDGE_AGEING_NS);
    input(1, BCAST, mac(1), 1);
    input(1, BCAST, mac(3), 1);
    input(2, BCAST, mac(2), 1);
    bridge_del_port(&br, 1);
    assert_false(br.port[1].used);
    assert_int_equal(bridge_lookup(&br, mac(1), 2), -1);
    assert_int_equal(bridge_lookup(&br, mac(3), 2), -1);
    assert_int_equal(bridge_lookup(&br, mac(2), 2), 2);
    assert_int_equal(fdb_used(), 1);
    reset_calls();
    input(2, mac(1), mac(2), 3);                /* mac1 unknown now: flooded, not to port 1 */
    assert_calls(1, 0, 0, 1);
    input(1, BCAST, mac(4), 4);                 /* a removed port's frames are ignored */
    assert_calls(1, 0, 0, 1);
    assert_int_equal(bridge_lookup(&br, mac(4), 4), -1);
    bridge_del_port(&br, 1);                    /* twice is harmless */

    /* Its index is the next one handed out, with fresh counters. */
    assert_int_equal(bridge_add_port(&br, "new", fake_tx, &fk[1]), 1);
    assert_int_equal(br.port[1].st.rx_frames, 0);
    assert_int_equal(br.port[1].st.learned, 0);
    assert_int_equal(br.port[1].st.tx_frames, 0);
    assert_string_equal(br.port[1].name, "new");
}

static void test_bad_frames(void **state)
{
    (void)state;
    setup_ports(NPORTS, BRIDGE_AGEING_NS);
    uint8_t f[60] = { 0 };
    memcpy(f, BCAST, 6);
    ingress = 0;
    bridge_input(&br, 0, NULL, 0, 1);           /* len 0: not one byte read */
    memcpy(f + 6, mac(1), 6);
    bridge_input(&br, 0, f, 13, 1);             /* one byte short of a header */
    memcpy(f + 6, MCAST, 6);
    bridge_input(&br, 0, f, sizeof(f), 1);
    memcpy(f + 6, BCAST, 6);
    bridge_input(&br, 0, f, sizeof(f), 1);
    memcpy(f + 6, ZERO, 6);
    bridge_input(&br, 0, f, sizeof(f), 1);
    ingress = -1;
    assert_calls(0, 0, 0, 0);
    assert_int_equal(fdb_used(), 0);
    assert_int_equal(br.port[0].st.rx_frames, 5);
    assert_int_equal(br.port[0].st.rx_bytes, 13 + 3 * 60);
    assert_int_equal(br.port[0].st.rx_bad, 5);
    assert_int_equal(br.port[0].st.flooded, 0);
    assert_int_equal(br.port[0].st.learned, 0);

    /* A bare header (14 bytes) is a frame. */
    uint8_t h[14];
    memcpy(h, BCAST, 6);
    memcpy(h + 6, mac(1), 6);
    h[12] = 0x08, h[13] = 0x06;
    ingress = 0;
    bridge_input(&br, 0, h, sizeof(h), 2);
    ingress = -1;
    assert_calls(0, 1, 1, 1);
    assert_int_equal(fk[1].last_len, 14);
    assert_int_equal(br.port[0].st.rx_bad, 5);
    assert_int_equal(bridge_lookup(&br, mac(1), 2), 0);
}

static void test_tx_refused(void **state)
{
    (void)state;
    setup_ports(NPORTS, BRIDGE_AGEING_NS);
    fk[1].rc = -XEN_ENOSPC;
    input(0, BCAST, mac(1), 1);
    assert_calls(0, 1, 1, 1);
    assert_int_equal(br.port[1].st.tx_dropped, 1);
    assert_int_equal(br.port[1].st.tx_frames, 0);
    assert_int_equal(br.port[1].st.tx_bytes, 0);
    assert_int_equal(br.port[2].st.tx_frames, 1);
    assert_int_equal(br.port[2].st.tx_dropped, 0);
    input(1, mac(1), mac(2), 2);                /* learning does not need transmit */
    fk[1].rc = 1;                               /* any nonzero is a refusal */
    input(0, mac(2), mac(1), 3);
    assert_int_equal(br.port[1].st.tx_dropped, 2);
    assert_int_equal(br.port[1].st.tx_frames, 0);
    assert_int_equal(br.port[0].st.tx_frames, 1);
}

static void test_hostile_ports(void **state)
{
    (void)state;
    setup_ports(NPORTS, BRIDGE_AGEING_NS);
    input(0, BCAST, mac(1), 1);
    static struct bridge before;
    memcpy(&before, &br, sizeof(br));
    reset_calls();
    const int bad[] = { -1, NPORTS, BRIDGE_MAX_PORTS - 1, BRIDGE_MAX_PORTS, 1000, INT_MIN, INT_MAX };
    for (unsigned int i = 0; i < UNIT_ARRAY_SIZE(bad); i++) {
        input(bad[i], BCAST, mac(2), 2);
        bridge_del_port(&br, bad[i]);
    }
    assert_calls(0, 0, 0, 0);
    assert_memory_equal(&before, &br, sizeof(br));

    /* Ports run out at BRIDGE_MAX_PORTS; a port needs a device. */
    assert_int_equal(bridge_add_port(&br, "x", NULL, NULL), -XEN_EINVAL);
    for (int i = NPORTS; i < BRIDGE_MAX_PORTS; i++) {
        fk[i].id = i;
        assert_int_equal(bridge_add_port(&br, i == NPORTS ? NULL : "a-name-much-too-long", fake_tx, &fk[i]), i);
    }
    assert_int_equal(bridge_add_port(&br, "full", fake_tx, &fk[0]), -XEN_ENOSPC);
    assert_int_equal(-XEN_ENOSPC, -28);
    assert_string_equal(br.port[NPORTS].name, "");
    assert_string_equal(br.port[NPORTS + 1].name, "a-name-much-too");     /* 15 bytes and the NUL */
    input(BRIDGE_MAX_PORTS - 1, BCAST, mac(3), 3);
    for (int i = 0; i < BRIDGE_MAX_PORTS - 1; i++)
        assert_int_equal(fk[i].calls, 1);
    assert_int_equal(fk[BRIDGE_MAX_PORTS - 1].calls, 0);
}

/*
 * Random frames from random ports, sources and destinations from a pool of
 * 200 MACs (with multicast and zero among them), ports removed and re-added
 * and the clock jumping: fake_tx checks no frame leaves by its ingress port,
 * and after each frame its source has exactly one entry (none if bad), a
 * unicast went to exactly the port lookup named before it (or nowhere if
 * that is the ingress), anything else to every other port, and the ingress
 * port's rx counters moved by one frame. The pool fits the table, so no
 * learning evicts the destination between the oracle's lookup and the frame.
 */
static void test_random(void **state)
{
    (void)state;
    setup_ports(6, 5000);
    uint64_t seed = 0x9e3779b97f4a7c15ull, now = 0;
    uint64_t frames = 0, bad = 0;
    for (int step = 0; step < 200000; step++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        uint32_t r = (uint32_t)(seed >> 33);
        now += r % 64 == 0 ? 6000 : r % 200;
        int port = (int)(r % 8) - 1;            /* -1 and 6 are never ports */
        if (r % 997 == 0 && port >= 0 && port < 6) {
            bridge_del_port(&br, port);
            assert_int_equal(bridge_add_port(&br, "re", fake_tx, &fk[port]), port);
            continue;
        }
        if (r % 101 == 0)
            bridge_age(&br, now);
        uint8_t dst[6], src[6];
        mac_n(dst, (r >> 8) % 200);
        mac_n(src, (r >> 17) % 200);
        if ((r >> 26) % 16 == 0)
            memcpy(dst, (r >> 30) & 1 ? BCAST : MCAST, 6);
        if ((r >> 27) % 32 == 0)
            memcpy(src, (r >> 30) & 1 ? MCAST : ZERO, 6);
        int want = dst[0] & 1 ? -1 : bridge_lookup(&br, dst, now);
        reset_calls();
        struct bridge_port_stats st0 = port >= 0 && port < 6 ? br.port[port].st : (struct bridge_port_stats){ 0 };
        input(port, dst, src, now);
        if (port < 0 || port >= 6)
            continue;
        assert_int_equal(br.port[port].st.rx_frames, st0.rx_frames + 1);
        assert_int_equal(br.port[port].st.rx_bytes, st0.rx_bytes + 60);
        frames++;
        bool src_bad = (src[0] & 1) || !memcmp(src, ZERO, 6);
        bad += src_bad;
        if (!src_bad && !memcmp(src, dst, 6))
            want = port;                        /* just learnt here */
        unsigned int total = 0;
        for (int i = 0; i < 6; i++)
            total += fk[i].calls;
        if (src_bad)
            assert_int_equal(total, 0);
        else if (want == port)
            assert_int_equal(total, 0);
        else if (want >= 0)
            assert_true(total == 1 && fk[want].calls == 1);
        else
            assert_int_equal(total, 5);
        assert_int_equal(br.port[port].st.rx_bad, st0.rx_bad + src_bad);
        unsigned int entries = 0;
        for (int i = 0; i < BRIDGE_FDB_SIZE; i++)
            entries += br.fdb[i].used && !memcmp(br.fdb[i].mac, src, 6);
        assert_int_equal(entries, !src_bad);
        if (!src_bad)
            assert_int_equal(bridge_lookup(&br, src, now), port);
    }
    assert_true(frames > 100000 && bad > 1000);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_learn_then_unicast),
        cmocka_unit_test(test_flood_not_ingress),
        cmocka_unit_test(test_same_port_filtered),
        cmocka_unit_test(test_ageing),
        cmocka_unit_test(test_move),
        cmocka_unit_test(test_full_evicts_oldest),
        cmocka_unit_test(test_full_reuses_aged),
        cmocka_unit_test(test_del_port),
        cmocka_unit_test(test_bad_frames),
        cmocka_unit_test(test_tx_refused),
        cmocka_unit_test(test_hostile_ports),
        cmocka_unit_test(test_random),
    };
    return unit_run(argc, argv, "bridge", tests, UNIT_ARRAY_SIZE(tests));
}
