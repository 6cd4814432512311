/*
 * Split-driver figures, as a domU beside a pvguest dom0 that serves xenstore:
 *   role=xs                 xenstore READ, WRITE and a watch firing, over our store ring
 *   role=ringfront|ringback peer=<domid>
 *                           a request/response round trip between two domUs over a
 *                           granted ring (pvdrivers/ring.c) with an event each way; the
 *                           front end grants its ring page as reference RING_REF and
 *                           offers a port, the back end binds it and maps the grant.
 */
#include "bench.h"
#include "events.h"
#include "hypercall.h"
#include "mm.h"
#include "xs.h"
#include <lib/x86.h>
#include <pvd/ring.h>
#include <public/errno.h>
#include <public/grant_table.h>

#define TABLE_VA    (GUEST_VIRT_BASE + 0x8800000ull)   /* our grant table's first frame */
#define RING_MAP_VA (GUEST_VIRT_BASE + 0x8c00000ull)   /* the back end maps the ring here */
#define RING_REF    8u                                  /* the first reference not reserved */
#define CONNECT_NS  60000000000ull

/* ---- xenstore ---- */

static struct xs_msg reply, event;

static const char *test_xs_connect(char *why, size_t len)
{
    int64_t rc = xs_init();
    if (rc)
        return fail(why, len, "no store ring: %lld", (long long)rc);
    uint64_t give_up = pvclock_now() + CONNECT_NS;
    do
        rc = xs_request_strs(XS_WRITE, 0, &reply, 2, "data/bench", "0");
    while (rc == -XEN_ETIMEDOUT && pvclock_now() < give_up);
    if (rc || xs_error(&reply))
        return fail(why, len, "first WRITE: %lld %s", (long long)rc, rc ? "" : reply.body);
    return NULL;
}

/* Times fn reps times after the warm-up: 0 per sample or the failure. */
static const char *time_store(const char *op, int64_t (*fn)(unsigned int i), char *why, size_t len)
{
    unsigned int reps = opt_reps > MAX_SAMPLES ? MAX_SAMPLES : opt_reps, got = 0;
    for (unsigned int i = 0; i < opt_warmup + reps; i++) {
        uint64_t t0 = rdtsc_ordered();
        int64_t rc = fn(i);
        uint64_t t1 = rdtsc_ordered();
        if (rc)
            return fail(why, len, "%s %u: %lld %s", op, i, (long long)rc, xs_error(&reply) ? xs_error(&reply) : "");
        if (i >= opt_warmup)
            samples[got++] = t1 - t0;
    }
    report(op, 1, got, false, "path=ring");
    return NULL;
}

static int64_t xs_read_once(unsigned int i)
{
    (void)i;
    int64_t rc = xs_request_strs(XS_READ, 0, &reply, 1, "data/bench");
    return rc ? rc : xs_error(&reply) ? -XEN_EIO : 0;
}

static int64_t xs_write_once(unsigned int i)
{
    char v[12];
    snprintf(v, sizeof(v), "%u", i);
    int64_t rc = xs_request_strs(XS_WRITE, 0, &reply, 2, "data/bench", v);
    return rc ? rc : xs_error(&reply) ? -XEN_EIO : 0;
}

/* A WRITE under a watch, until its WATCH_EVENT is in: what a back end waiting on a key sees. */
static int64_t xs_watch_fire_once(unsigned int i)
{
    char v[12];
    snprintf(v, sizeof(v), "%u", i);
    int64_t rc = xs_request_strs(XS_WRITE, 0, &reply, 2, "data/watched/k", v);
    if (!rc && !xs_error(&reply))
        rc = xs_watch_event(&event, XS_TIMEOUT_NS);
    return rc ? rc : xs_error(&reply) ? -XEN_EIO : 0;
}

static const char *test_xs_read(char *why, size_t len) { return time_store("xenstore_read", xs_read_once, why, len); }
static const char *test_xs_write(char *why, size_t len) { return time_store("xenstore_write", xs_write_once, why, len); }

static const char *test_xs_watch(char *why, size_t len)
{
    int64_t rc = xs_request_strs(XS_WATCH, 0, &reply, 2, "data/watched", "bench");
    if (rc || xs_error(&reply) || (rc = xs_watch_event(&event, XS_TIMEOUT_NS)))
        return fail(why, len, "WATCH: %lld", (long long)rc);
    return time_store("xenstore_watch_fire", xs_watch_fire_once, why, len);
}

static const struct test_case xs_cases[] = {
    { "setup", test_setup },
    { "xenstore_connect", test_xs_connect },
    { "xenstore_read", test_xs_read },
    { "xenstore_write", test_xs_write },
    { "xenstore_watch_fire", test_xs_watch },
};

/* ---- ring round trip between two domUs ---- */

static uint8_t ring_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static struct pvd_ring ring;
static unsigned int port;
static domid_t peer;
static bool front;

struct rt_msg {
    uint64_t seq;
    uint64_t pad[7];
};

static const char *test_ring_connect(char *why, size_t len)
{
    peer = (domid_t)guest_option_num("peer", 0);
    front = guest_option_is("role", "ringfront");
    int64_t rc;
    if (front) {
        xen_pfn_t frame;
        struct gnttab_setup_table st = { .dom = DOMID_SELF, .nr_frames = 1, .frame_list = (uint64_t)&frame };
        rc = hypercall3(__HYPERVISOR_grant_table_op, GNTTABOP_setup_table, &st, 1);
        if (rc || st.status || ensure_l1(TABLE_VA) ||
            hypercall3(__HYPERVISOR_update_va_mapping, TABLE_VA, frame << 12 | PTE_DATA, UVMF_INVLPG))
            return fail(why, len, "our grant table: %lld status %d", (long long)rc, st.status);
        pvd_ring_front_init(&ring, ring_page, PAGE_SIZE, sizeof(struct rt_msg));
        struct grant_entry_v1 *gt = (struct grant_entry_v1 *)TABLE_VA;
        gt[RING_REF].frame = (uint32_t)virt_to_mfn(ring_page);
        gt[RING_REF].domid = peer;
        __atomic_store_n(&gt[RING_REF].flags, (uint16_t)GTF_permit_access, __ATOMIC_RELEASE);
        if ((rc = evtchn_offer(peer, &port)))
            return fail(why, len, "offering a port: %lld", (long long)rc);
        /* The back end's first notification says it is connected. */
        if ((rc = poll_port(port, pvclock_now() + CONNECT_NS)) || !port_pending(port))
            return fail(why, len, "the back end never connected: %lld", (long long)rc);
        port_clear(port);
        return NULL;
    }
    if ((rc = evtchn_connect(peer, &port)))
        return fail(why, len, "binding to the front end's port: %lld", (long long)rc);
    if (ensure_l1(RING_MAP_VA))
        return fail(why, len, "no L1 for the ring mapping");
    struct gnttab_map_grant_ref m = { .host_addr = RING_MAP_VA, .flags = GNTMAP_host_map, .ref = RING_REF, .dom = peer };
    rc = hypercall3(__HYPERVISOR_grant_table_op, GNTTABOP_map_grant_ref, &m, 1);
    if (rc || m.status)
        return fail(why, len, "mapping the ring: %lld status %d", (long long)rc, m.status);
    pvd_ring_back_attach(&ring, (void *)RING_MAP_VA, PAGE_SIZE, sizeof(struct rt_msg));
    evtchn_send(port);
    return NULL;
}

/* Waits for our port (SCHEDOP_poll), then clears it. */
static void wait_port(void)
{
    poll_port(port, 0);
    port_clear(port);
}

static const char *test_ring_round_trip(char *why, size_t len)
{
    unsigned int reps = opt_reps > MAX_SAMPLES ? MAX_SAMPLES : opt_reps, total = opt_warmup + reps, got = 0;
    struct rt_msg m;
    for (unsigned int i = 0; i < total; i++) {
        if (front) {
            uint64_t t0 = rdtsc_ordered();
            struct rt_msg *q = pvd_ring_front_next_request(&ring);
            if (!q)
                return fail(why, len, "round trip %u: the ring is full", i);
            q->seq = i;
            if (pvd_ring_front_push(&ring))
                evtchn_send(port);
            while (!pvd_ring_front_get_response(&ring, &m))
                if (!pvd_ring_front_final_check(&ring))
                    wait_port();
            uint64_t t1 = rdtsc_ordered();
            if (m.seq != i)
                return fail(why, len, "round trip %u: the answer is for %llu", i, (unsigned long long)m.seq);
            if (i >= opt_warmup)
                samples[got++] = t1 - t0;
        } else {
            while (!pvd_ring_back_get_request(&ring, &m)) {
                if (pvd_ring_broken(&ring))
                    return fail(why, len, "the front end broke the ring");
                if (!pvd_ring_back_final_check(&ring))
                    wait_port();
            }
            *(struct rt_msg *)pvd_ring_back_next_response(&ring) = m;
            if (pvd_ring_back_push(&ring))
                evtchn_send(port);
        }
    }
    if (front)
        report("ring_round_trip_xdom", 1, got, false, "path=grant_ring");
    else
        printk("# ringback: answered %u requests\n", total);
    return NULL;
}

static const struct test_case ring_cases[] = {
    { "setup", test_setup },
    { "ring_connect", test_ring_connect },
    { "ring_round_trip", test_ring_round_trip },
};

const struct test_case *bench_split_cases(unsigned int *n)
{
    if (guest_option_is("role", "xs")) {
        *n = ARRAY_SIZE(xs_cases);
        return xs_cases;
    }
    if (guest_option_is("role", "ringfront") || guest_option_is("role", "ringback")) {
        *n = ARRAY_SIZE(ring_cases);
        return ring_cases;
    }
    return NULL;
}
