/*
 * The self-test case net_hostile_front: this domain plays a malicious
 * netfront against dom0's netback (boot option nethostile=yes|jump; skipped
 * without it). Its stack does not use the vif: it writes raw tx requests.
 *
 * nethostile=yes: a frame netback must take, then each malformed packet the
 * issue lists (a bad grant, a slot crossing its page, lengths over the MTU
 * and at 64 KiB, a chain whose slots do not add up, 19 slots, an extra-info
 * slot we were not offered), each answered NETIF_RSP_ERROR; then a flood of
 * FLOOD good frames, every one answered OKAY; then bad packets again until
 * netback has had enough and closes the vif.
 * nethostile=jump: the tx producer index jumps three rings ahead: netback
 * must cut the vif off at once.
 * Other domains' traffic through the bridge meanwhile is the scenario's to
 * check (scenarios/net-hostile.scn).
 */
#include <cmdline.h>
#include <ktap.h>
#include <sched.h>
#include <xenbus/xenbus.h>
#include <public/io/netif.h>
#include <net/netfront.h>

#define READY_NS    (20 * NSEC_PER_SEC)
#define ANSWER_NS   (5 * NSEC_PER_SEC)
#define FLOOD       20000u
#define FLOOD_BURST 32u                     /* requests in flight during the flood */
#define GIVE_UP     64u                     /* bad packets before we decide netback never cuts us off */
#define BAD_GREF    0xffff0u
#define NETIF_MAX_SLOTS_TEST (XEN_NETIF_NR_SLOTS_MIN + 1)  /* one over what netback takes: refused, not fatal */

static enum { OFF, BAD, JUMP } mode;

static bool set_nethostile(const char *v)
{
    mode = v && !strcmp(v, "yes") ? BAD : v && !strcmp(v, "jump") ? JUMP : OFF;
    return mode != OFF || (v && !strcmp(v, "no"));
}
KERNEL_OPTION("nethostile", set_nethostile);

static struct netif_tx_request req(uint32_t gref, uint16_t offset, uint16_t size, uint16_t flags, uint16_t id)
{
    return (struct netif_tx_request){ .gref = gref, .offset = offset, .flags = flags, .id = id, .size = size };
}

/* Sends n requests as one packet; every answer must be want (extra-info slots: NULL). NULL or why not. */
static const char *expect_answers(const char *what, const struct netif_tx_request *q, unsigned int n,
                                  unsigned int extras, int16_t want, char *why, size_t len)
{
    int16_t st[NETIF_MAX_SLOTS_TEST];
    int got = netfront_raw_tx(q, n, st, n, ANSWER_NS);
    if (got != (int)n)
        return ktap_fail(why, len, "%s: %d of %u slots answered", what, got, n);
    unsigned int nulls = 0;
    for (unsigned int i = 0; i < n; i++) {
        if (st[i] == NETIF_RSP_NULL && nulls < extras) {
            nulls++;
            continue;
        }
        if (st[i] != want)
            return ktap_fail(why, len, "%s: slot %u answered %d, want %d", what, i, st[i], want);
    }
    return NULL;
}

static const char *malformed(grant_ref_t g, char *why, size_t len)
{
    struct netif_tx_request q[NETIF_MAX_SLOTS_TEST];
    const char *err;
    q[0] = req(g, 0, 60, 0, 1);
    if ((err = expect_answers("a good frame", q, 1, 0, NETIF_RSP_OKAY, why, len)))
        return err;
    static const struct { const char *what; uint32_t gref; uint16_t offset, size; } one[] = {
        { "a bad grant reference", BAD_GREF, 0, 60 },
        { "a slot crossing its page", 0, 4000, 200 },
        { "a frame over the MTU", 0, 0, 1515 },
        { "a 64 KiB packet", 0, 0, 0xffff },
        { "a runt under an Ethernet header", 0, 0, 10 },
    };
    for (unsigned int i = 0; i < sizeof(one) / sizeof(one[0]); i++) {
        q[0] = req(one[i].gref ? one[i].gref : g, one[i].offset, one[i].size, 0, (uint16_t)(2 + i));
        if ((err = expect_answers(one[i].what, q, 1, 0, NETIF_RSP_ERROR, why, len)))
            return err;
    }
    q[0] = req(g, 0, 100, NETTXF_more_data, 10);
    q[1] = req(g, 2048, 200, 0, 11);
    if ((err = expect_answers("slots that hold more than the packet", q, 2, 0, NETIF_RSP_ERROR, why, len)))
        return err;
    for (unsigned int i = 0; i < NETIF_MAX_SLOTS_TEST; i++)
        q[i] = req(g, 0, i ? 20 : 20 * NETIF_MAX_SLOTS_TEST, i + 1 < NETIF_MAX_SLOTS_TEST ? NETTXF_more_data : 0,
                   (uint16_t)(20 + i));
    if ((err = expect_answers("19 slots", q, NETIF_MAX_SLOTS_TEST, 0, NETIF_RSP_ERROR, why, len)))
        return err;
    /* A GSO extra-info slot after the first: netback offered no GSO. */
    q[0] = req(g, 0, 60, NETTXF_extra_info, 40);
    struct netif_extra_info x = { .type = XEN_NETIF_EXTRA_TYPE_GSO, .flags = 0 };
    x.u.gso.size = 1400;
    x.u.gso.type = XEN_NETIF_GSO_TYPE_TCPV4;
    memset(&q[1], 0, sizeof(q[1]));
    memcpy(&q[1], &x, sizeof(x));
    return expect_answers("an extra-info slot not offered", q, 2, 1, NETIF_RSP_ERROR, why, len);
}

static const char *flood(grant_ref_t g, char *why, size_t len)
{
    struct netif_tx_request q[FLOOD_BURST];
    int16_t st[FLOOD_BURST];
    uint64_t ok = 0, t0 = clock_ns();
    for (unsigned int sent = 0; sent < FLOOD; sent += FLOOD_BURST) {
        for (unsigned int i = 0; i < FLOOD_BURST; i++)
            q[i] = req(g, 0, 60, 0, (uint16_t)i);
        int got = netfront_raw_tx(q, FLOOD_BURST, st, FLOOD_BURST, ANSWER_NS);
        EXPECT(got == (int)FLOOD_BURST, "flood: %d of %u answered after %u frames", got, FLOOD_BURST, sent);
        for (int i = 0; i < got; i++)
            ok += st[i] == NETIF_RSP_OKAY;
    }
    EXPECT(ok == FLOOD, "flood: %llu of %u frames answered OKAY", (unsigned long long)ok, FLOOD);
    printk("nethostile: a flood of %u frames to an unknown MAC, all taken, in %llu ms\n", FLOOD,
           (unsigned long long)((clock_ns() - t0) / NSEC_PER_MSEC));
    return NULL;
}

/* Bad packets until netback closes the vif: how many it took, or why it never did. */
static const char *persist(char *why, size_t len)
{
    struct netif_tx_request q = req(BAD_GREF, 0, 60, 0, 1);
    int16_t st[1];
    unsigned int n = 0;
    while (n < GIVE_UP && netfront_backend_state() == XenbusStateConnected) {
        if (netfront_raw_tx(&q, 1, st, 1, 200 * NSEC_PER_MSEC) == 1)
            EXPECT(st[0] == NETIF_RSP_ERROR, "bad packet %u answered %d", n, st[0]);
        n++;
    }
    uint64_t deadline = clock_ns() + ANSWER_NS;
    while (netfront_backend_state() == XenbusStateConnected && clock_ns() < deadline)
        thread_sleep_ns(10 * NSEC_PER_MSEC);
    int s = netfront_backend_state();
    EXPECT(s != XenbusStateConnected, "netback still connected after %u more bad packets", n);
    printk("nethostile: netback closed the vif (%s) after %u more bad packets\n", xenbus_state_name(s), n);
    return NULL;
}

static const char *jump(char *why, size_t len)
{
    netfront_raw_jump();
    uint64_t deadline = clock_ns() + ANSWER_NS;
    while (netfront_backend_state() == XenbusStateConnected && clock_ns() < deadline)
        thread_sleep_ns(10 * NSEC_PER_MSEC);
    int s = netfront_backend_state();
    EXPECT(s != XenbusStateConnected, "netback still connected %llu s after our producer jumped",
           (unsigned long long)(ANSWER_NS / NSEC_PER_SEC));
    printk("nethostile: our tx producer jumped: netback closed the vif (%s)\n", xenbus_state_name(s));
    return NULL;
}

const char *test_net_hostile(char *why, size_t len)
{
    if (mode == OFF)
        return ktap_skip(why, len, "no nethostile=");
    EXPECT(netfront_wait(READY_NS), "no vif connected in %llu s", (unsigned long long)(READY_NS / NSEC_PER_SEC));
    grant_ref_t g;
    uint16_t off;
    EXPECT(!netfront_raw_frame(1514, &g, &off), "no tx buffer");
    if (mode == JUMP)
        return jump(why, len);
    const char *err = malformed(g, why, len);
    if (err || (err = flood(g, why, len)) || (err = persist(why, len)))
        return err;
    printk("nethostile: 10 malformed packets refused, a flood taken, persistence cut off\n");
    return NULL;
}
