/*
 * Hostile: the shortest call sequences with which one guest could once bring
 * the whole machine down (issue 19), each replayed as a KTAP case. As dom0 its
 * answers are compared with Xen 4.17's (differential), as a domU the
 * supervisor watches how it ends. Command line:
 *   role=attacker  only arms deadlines of 2^63 and more, for a second
 *   role=victim    (dom0) its 1 ms polls must keep returning while a domU
 *                  attacker runs, until VIRQ_DOM_EXC says the attacker ended
 *   end=crash      crash (no trap table, ud2) instead of powering off, with a
 *                  given-back frame still mapped
 */
#include "events.h"
#include "exceptions.h"
#include "guest.h"
#include "hypercall.h"
#include "mm.h"
#include <public/errno.h>
#include <public/memory.h>
#include <public/vcpu.h>

const char test_title[] = "hostile: what once stopped the machine";

#define WINDOW_VA       (GUEST_VIRT_BASE + 0x8000000ull)    /* 128 MiB up: free address space */
#define PTE_PWT         0x008ull
#define PTE_PCD         0x010ull
#define MS              1000000ull
/* 2^63 + 1: as s_time_t far in the past; as an unsigned difference from now, far in the future. */
#define WRAPPED_DEADLINE ((1ull << 63) + 1)
/*
 * The wrapped deadline used to hold every timer for the APIC counter's full
 * range, 2^32 ticks (68.7 s at QEMU's 62.5 MHz). A 1 ms poll that has not
 * returned after 5 s (5000 times its timeout) was not served by its timer.
 */
#define STALL_BOUND     (5000 * MS)
/* Xen's set_timer_op turns a deadline it takes for wrapped into one 100 ms from now. */
#define HUGE_TIMEOUT_DELAY (100 * MS)
#define ATTACK_NS       (1000 * MS)

static unsigned int timer_port, quiet_port;

/* ---- set-up ------------------------------------------------------------- */

static const char *test_setup(char *why, size_t len)
{
    int64_t rc;
    if ((rc = exceptions_install()) || (rc = events_init_timer_quiet()))
        return fail(why, len, "setup: %lld", (long long)rc);
    struct evtchn_bind_virq v = { .virq = VIRQ_TIMER };
    if ((rc = evtchn_op(EVTCHNOP_bind_virq, &v)))
        return fail(why, len, "bind VIRQ_TIMER: %lld", (long long)rc);
    timer_port = v.port;
    /* A port nobody signals: polls on it end only at their timeout. */
    struct evtchn_alloc_unbound u = { .dom = DOMID_SELF, .remote_dom = DOMID_SELF };
    if ((rc = evtchn_op(EVTCHNOP_alloc_unbound, &u)))
        return fail(why, len, "alloc_unbound: %lld", (long long)rc);
    quiet_port = u.port;
    if ((rc = ensure_l1(WINDOW_VA)))
        return fail(why, len, "could not build an L1 for %#llx: %lld", (unsigned long long)WINDOW_VA, (long long)rc);
    return NULL;
}

/* ---- page-table entries Xen refuses -------------------------------------- */

/* Rewrites the present entry of `level` on WINDOW_VA's path with extra flags: Xen's answer, and the entry unchanged. */
static const char *relink_with(unsigned int level, uint64_t flags, char *why, size_t len)
{
    uint64_t ptr = pte_maddr(WINDOW_VA, level), old = read_pte(WINDOW_VA, level);
    int64_t rc = mmu_update_one(ptr, old | flags);
    if (rc == -XEN_EINVAL && read_pte(WINDOW_VA, level) == old)
        return NULL;
    if (!rc)
        mmu_update_one(ptr, old);
    return fail(why, len, "L%u entry with flags %#llx: rc %lld, want -EINVAL and the entry unchanged", level,
                (unsigned long long)flags, (long long)rc);
}

static const char *test_link_cache_attributes(char *why, size_t len)
{
    static const struct { unsigned int level; uint64_t flags; } bad[] = {
        { 2, PTE_PWT }, { 2, PTE_PCD }, { 3, PTE_PCD }, { 4, PTE_PWT | PTE_PCD },
    };
    for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
        const char *r = relink_with(bad[i].level, bad[i].flags, why, len);
        if (r)
            return r;
    }
    return NULL;
}

static const char *test_link_global(char *why, size_t len)
{
    return relink_with(2, PTE_G, why, len);
}

/* Maps WINDOW_VA to val: the answer must be want and WINDOW_VA must stay unmapped. */
static const char *map_refused(uint64_t val, int64_t want, char *why, size_t len)
{
    uint64_t ptr = pte_maddr(WINDOW_VA, 1);
    int64_t rc = mmu_update_one(ptr, val);
    uint64_t now = read_pte(WINDOW_VA, 1);
    if (!rc)
        mmu_update_one(ptr, 0);
    if (rc != want || now)
        return fail(why, len, "L1 entry %#llx: rc %lld (entry %#llx), want %lld", (unsigned long long)val,
                    (long long)rc, (unsigned long long)now, (long long)want);
    return NULL;
}

static const char *test_l1_every_bit_set(char *why, size_t len)
{
    return map_refused(~0ull, -XEN_EINVAL, why, len);
}

static const char *test_l1_beyond_the_machine(char *why, size_t len)
{
    return map_refused(0x10001ffc6000ull | PTE_P | PTE_U | PTE_A, -XEN_EPERM, why, len);
}

/* ---- timers: a wrapped deadline holds no one else's ----------------------- */

/* A 1 ms poll on a port nobody signals returns at its timeout, within the bound. */
static const char *quiet_poll(const char *after, char *why, size_t len)
{
    uint64_t t0 = pvclock_now();
    int64_t rc = poll_port(quiet_port, t0 + MS);
    uint64_t took = pvclock_now() - t0;
    if (rc || took > STALL_BOUND)
        return fail(why, len, "after %s, a 1 ms poll: rc %lld after %llu ms", after, (long long)rc,
                    (unsigned long long)(took / MS));
    return NULL;
}

/* Waits (at most the bound) for VIRQ_TIMER: the ns it took, or ~0 if it never came. */
static uint64_t timer_event_after(uint64_t t0)
{
    poll_port(timer_port, t0 + STALL_BOUND);
    uint64_t took = pvclock_now() - t0;
    if (!port_pending(timer_port))
        return ~0ull;
    port_clear(timer_port);
    return took;
}

static const char *test_set_timer_op_wrapped(char *why, size_t len)
{
    port_clear(timer_port);
    uint64_t t0 = pvclock_now();
    int64_t rc = hypercall1(__HYPERVISOR_set_timer_op, WRAPPED_DEADLINE);
    if (rc)
        return fail(why, len, "set_timer_op: %lld", (long long)rc);
    const char *r = quiet_poll("set_timer_op(2^63 + 1)", why, len);
    if (r)
        return r;
    /* Xen's rule: 100 ms from now. A timer never fires early, so this bound is exact. */
    uint64_t took = timer_event_after(t0);
    if (took < HUGE_TIMEOUT_DELAY || took > STALL_BOUND)
        return fail(why, len, "VIRQ_TIMER after %lld ms, want 100 ms on", took == ~0ull ? -1ll : (long long)(took / MS));
    return NULL;
}

static const char *test_singleshot_wrapped(char *why, size_t len)
{
    port_clear(timer_port);
    uint64_t t0 = pvclock_now();
    struct vcpu_set_singleshot_timer t = { .timeout_abs_ns = WRAPPED_DEADLINE };
    int64_t rc = hypercall3(__HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, 0, &t);
    if (rc)
        return fail(why, len, "set_singleshot_timer: %lld", (long long)rc);
    /* As an s_time_t it lies in the past: it fires at once. */
    uint64_t took = timer_event_after(t0);
    if (took == ~0ull)
        return fail(why, len, "no VIRQ_TIMER within %llu ms", STALL_BOUND / MS);
    return quiet_poll("a singleshot timer at 2^63 + 1", why, len);
}

static const char *test_poll_wrapped(char *why, size_t len)
{
    uint64_t t0 = pvclock_now();
    int64_t rc = poll_port(quiet_port, WRAPPED_DEADLINE);
    uint64_t took = pvclock_now() - t0;
    if (rc || took > STALL_BOUND)
        return fail(why, len, "poll until 2^63 + 1: rc %lld after %llu ms, want 0 at once", (long long)rc,
                    (unsigned long long)(took / MS));
    return quiet_poll("a poll until 2^63 + 1", why, len);
}

/* ---- teardown: a frame given back while still mapped ------------------------ */

static const char *test_give_back_mapped_frame(char *why, size_t len)
{
    static xen_pfn_t frame[1];
    frame[0] = spare_mfn();
    if (!frame[0])
        return fail(why, len, "no spare frame");
    int64_t rc = mmu_update_one(pte_maddr(WINDOW_VA, 1), frame[0] * PAGE_SIZE | PTE_P | PTE_U | PTE_A);
    if (rc)
        return fail(why, len, "mapping a spare frame read-only: %lld", (long long)rc);
    struct xen_memory_reservation r = { .extent_start = (uint64_t)frame, .nr_extents = 1, .domid = DOMID_SELF };
    if ((rc = hypercall2(__HYPERVISOR_memory_op, XENMEM_decrease_reservation, &r)) != 1)
        return fail(why, len, "decrease_reservation of the mapped frame: %lld, want 1", (long long)rc);
    /* It stays until its last reference goes: here, when this domain is torn down. */
    if (*(volatile uint64_t *)WINDOW_VA != 0)
        return fail(why, len, "the given-back frame no longer reads as the zeroed frame it was");
    return NULL;
}

static const char *test_end(char *why, size_t len)
{
    if (!guest_option_is("end", "crash"))
        return NULL;
    unsigned int n;
    guest_cases(&n);
    printk("ok %u end\n# %u passed, 0 failed\n", n, n);
    hypercall1(__HYPERVISOR_set_trap_table, 0);     /* no handlers: the #UD crashes the domain */
    __asm__ volatile("ud2");
    return fail(why, len, "still running after ud2 with no trap table");
}

/* ---- two domains: an attacker arms wrapped deadlines, the victim polls --------- */

static const char *test_attack(char *why, size_t len)
{
    uint64_t t0 = pvclock_now();
    struct vcpu_set_singleshot_timer t = { .timeout_abs_ns = WRAPPED_DEADLINE };
    while (pvclock_now() - t0 < ATTACK_NS) {
        int64_t rc = hypercall1(__HYPERVISOR_set_timer_op, WRAPPED_DEADLINE);
        if (!rc)
            rc = hypercall3(__HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, 0, &t);
        if (!rc)
            rc = poll_port(quiet_port, WRAPPED_DEADLINE);
        if (rc)
            return fail(why, len, "arming a wrapped deadline: %lld", (long long)rc);
        hyp_sched_op(SCHEDOP_yield, NULL);
    }
    return NULL;
}

static const char *test_victim(char *why, size_t len)
{
    struct evtchn_bind_virq v = { .virq = VIRQ_DOM_EXC };
    int64_t rc = evtchn_op(EVTCHNOP_bind_virq, &v);
    if (rc)
        return fail(why, len, "bind VIRQ_DOM_EXC: %lld", (long long)rc);
    unsigned int polls = 0;
    uint64_t start = pvclock_now();
    /* Until the attacker ends (it always does, after a second), every 1 ms poll returns in time. */
    while (!port_pending(v.port)) {
        uint64_t t0 = pvclock_now();
        rc = poll_port(v.port, t0 + MS);
        uint64_t took = pvclock_now() - t0;
        polls++;
        if (rc || took > STALL_BOUND)
            return fail(why, len, "poll %u: rc %lld after %llu ms", polls, (long long)rc,
                        (unsigned long long)(took / MS));
        if (pvclock_now() - start > 20 * ATTACK_NS)
            return fail(why, len, "the attacker has not ended after %u polls", polls);
    }
    printk("# %u polls of 1 ms while the attacker ran\n", polls);
    return NULL;
}

static const struct test_case alone[] = {
    { "setup", test_setup },
    { "link_cache_attributes_refused", test_link_cache_attributes },
    { "link_global_refused", test_link_global },
    { "l1_every_bit_set_refused", test_l1_every_bit_set },
    { "l1_beyond_the_machine_refused", test_l1_beyond_the_machine },
    { "set_timer_op_wrapped_deadline", test_set_timer_op_wrapped },
    { "singleshot_wrapped_deadline", test_singleshot_wrapped },
    { "poll_wrapped_timeout", test_poll_wrapped },
    { "give_back_mapped_frame", test_give_back_mapped_frame },
    { "end", test_end },
};
static const struct test_case attacker[] = { { "setup", test_setup }, { "attack", test_attack } };
static const struct test_case victim[] = { { "setup", test_setup }, { "victim_timers_keep_time", test_victim } };

const struct test_case *guest_cases(unsigned int *n)
{
    if (guest_option_is("role", "attacker")) {
        *n = ARRAY_SIZE(attacker);
        return attacker;
    }
    if (guest_option_is("role", "victim")) {
        *n = ARRAY_SIZE(victim);
        return victim;
    }
    *n = ARRAY_SIZE(alone);
    return alone;
}
