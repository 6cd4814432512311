/*
 * Watchdog: SCHEDOP_watchdog as Xen 4.17 answers it. Ids, refusals and the
 * timers' effect (a destroyed or re-armed watchdog does not fire); with
 * expire=<seconds>, once every case passed, it arms a watchdog for that long
 * and stops re-arming it, so the domain must end with SHUTDOWN_watchdog (for
 * dom0: the machine reboots, as on Xen). A second watchdog, armed for longer,
 * is left behind: it must go with the domain. Times are guest system time
 * (scenarios use -icount so that a loaded host does not stretch them).
 * only=expiry leaves out every case but the setup and the expiry.
 */
#include "guest.h"
#include "hypercall.h"
#include "events.h"
#include <public/errno.h>

const char test_title[] = "watchdog: SCHEDOP_watchdog ids, refusals and expiry";

#define SECOND  1000000000ull

static int64_t watchdog(uint32_t id, uint32_t timeout)
{
    struct sched_watchdog w = { .id = id, .timeout = timeout };
    return hyp_sched_op(SCHEDOP_watchdog, &w);
}

/* Sleeps until system time `until`: polls no port, so only the timeout ends it (or a stray wake: poll again). */
static void sleep_until(uint64_t until)
{
    static evtchn_port_t none[1];
    while (pvclock_now() < until) {
        struct sched_poll p = { .ports = (uint64_t)none, .nr_ports = 0, .timeout = until };
        hyp_sched_op(SCHEDOP_poll, &p);
    }
}

/* Each (id, timeout) call and the result Xen gives it, in order; NULL or why the first mismatch failed. */
struct step { uint32_t id, timeout; int64_t want; };

static const char *run_steps(const struct step *s, unsigned int n, char *why, size_t len)
{
    for (unsigned int i = 0; i < n; i++) {
        int64_t rc = watchdog(s[i].id, s[i].timeout);
        if (rc != s[i].want)
            return fail(why, len, "step %u: id %u timeout %u gave %lld, want %lld", i + 1, s[i].id, s[i].timeout,
                        (long long)rc, (long long)s[i].want);
    }
    return NULL;
}

static const char *test_setup(char *why, size_t len)
{
    if (events_init())
        return fail(why, len, "events_init failed");
    return NULL;
}

/* The argument is hostile input: an address it cannot read is -EFAULT, and nothing is created. */
static const char *test_bad_pointer(char *why, size_t len)
{
    static const uint64_t bad[] = {
        0xffff830000000000ull,      /* the hypervisor's direct map */
        0x1000,                     /* not mapped in this guest */
        0x8000000000000000ull,      /* not canonical */
    };
    for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
        int64_t rc = hyp_sched_op(SCHEDOP_watchdog, (void *)bad[i]);
        if (rc != -XEN_EFAULT)
            return fail(why, len, "argument at %#llx: %lld, want -EFAULT", (unsigned long long)bad[i], (long long)rc);
    }
    return NULL;
}

static const char *test_id_above_two(char *why, size_t len)
{
    static const struct step s[] = {
        { 3, 10, -XEN_EINVAL }, { 3, 0, -XEN_EINVAL }, { 0xffffffffu, 10, -XEN_EINVAL },
    };
    return run_steps(s, ARRAY_SIZE(s), why, len);
}

static const char *test_unused_id(char *why, size_t len)
{
    static const struct step s[] = {
        { 1, 10, -XEN_EINVAL }, { 2, 10, -XEN_EINVAL }, { 1, 0, -XEN_EINVAL }, { 2, 0, -XEN_EINVAL },
    };
    return run_steps(s, ARRAY_SIZE(s), why, len);
}

/* Two per domain, ids from 1 (so the bad pointers above created none). */
static const char *test_create(char *why, size_t len)
{
    static const struct step s[] = { { 0, 60, 1 }, { 0, 60, 2 } };
    return run_steps(s, ARRAY_SIZE(s), why, len);
}

/*
 * With both in use a create is -ENOSPC, and id 3 is still -EINVAL. Xen 4.17
 * returns -ENOSPC as an unsigned int (4294967268, which a guest takes for an
 * id): docs/differences-from-xen.md.
 */
static const char *test_third_create(char *why, size_t len)
{
    static const struct step s[] = { { 0, 60, -XEN_ENOSPC }, { 3, 60, -XEN_EINVAL } };
    return run_steps(s, ARRAY_SIZE(s), why, len);
}

static const char *test_rearm(char *why, size_t len)
{
    static const struct step s[] = { { 1, 90, 0 }, { 2, 120, 0 }, { 2, 0xffffffffu, 0 } };
    return run_steps(s, ARRAY_SIZE(s), why, len);
}

/* Destroying frees the id: it is refused until a create hands the lowest free id out again. */
static const char *test_destroy(char *why, size_t len)
{
    static const struct step s[] = {
        { 1, 0, 0 }, { 1, 10, -XEN_EINVAL }, { 1, 0, -XEN_EINVAL }, { 0, 60, 1 },
        { 2, 0, 0 }, { 1, 0, 0 }, { 2, 0, -XEN_EINVAL },
    };
    return run_steps(s, ARRAY_SIZE(s), why, len);
}

/* A watchdog destroyed before its time never fires: the domain is still here well after it. */
static const char *test_destroyed_silent(char *why, size_t len)
{
    int64_t id = watchdog(0, 1), rc;
    if (id != 1)
        return fail(why, len, "create: %lld, want 1", (long long)id);
    if ((rc = watchdog(1, 0)))
        return fail(why, len, "destroy: %lld", (long long)rc);
    sleep_until(pvclock_now() + 2 * SECOND);
    return NULL;
}

/* Re-arming pushes the expiry out: alive 2.4 s after arming a 2 s watchdog re-armed at 1.2 s. */
static const char *test_rearm_postpones(char *why, size_t len)
{
    int64_t id = watchdog(0, 2), rc;
    if (id != 1)
        return fail(why, len, "create: %lld, want 1", (long long)id);
    uint64_t t0 = pvclock_now();
    sleep_until(t0 + 12 * SECOND / 10);
    if ((rc = watchdog(1, 2)))
        return fail(why, len, "re-arm: %lld", (long long)rc);
    sleep_until(t0 + 24 * SECOND / 10);
    if ((rc = watchdog(1, 0)))
        return fail(why, len, "destroy: %lld", (long long)rc);
    return NULL;
}

/* guest_end with expire=: the domain must not outlive its watchdog by much. */
static void expire(void)
{
    uint32_t seconds = (uint32_t)guest_option_num("expire", 1);
    int64_t spare = watchdog(0, seconds + 30), id = watchdog(0, seconds);
    if (spare != 1 || id != 2) {
        printk("# arming the watchdogs gave %lld and %lld, want 1 and 2\n", (long long)spare, (long long)id);
        return;                             /* the framework crashes the domain */
    }
    sleep_until(pvclock_now() + (seconds + 20) * SECOND);
    printk("# watchdog %lld was not re-armed, yet the domain still runs %u s after it was due\n", (long long)id, 20);
}

static const char *test_expiry_asked(char *why, size_t len)
{
    (void)why;
    (void)len;
    guest_end = expire;
    return NULL;
}

static struct test_case cases[12];

/* only=expiry: setup and the expiry alone (its differential run on Xen, which fails third_create_enospc). */
const struct test_case *guest_cases(unsigned int *n)
{
    unsigned int c = 0;
    cases[c++] = (struct test_case){ "setup", test_setup };
    if (!guest_option_is("only", "expiry")) {
        cases[c++] = (struct test_case){ "bad_pointer_efault", test_bad_pointer };
        cases[c++] = (struct test_case){ "id_above_two_einval", test_id_above_two };
        cases[c++] = (struct test_case){ "unused_id_einval", test_unused_id };
        cases[c++] = (struct test_case){ "create_returns_ids", test_create };
        cases[c++] = (struct test_case){ "third_create_enospc", test_third_create };
        cases[c++] = (struct test_case){ "rearm_returns_0", test_rearm };
        cases[c++] = (struct test_case){ "destroy_frees_the_id", test_destroy };
        cases[c++] = (struct test_case){ "destroyed_watchdog_silent", test_destroyed_silent };
        cases[c++] = (struct test_case){ "rearm_postpones_expiry", test_rearm_postpones };
    }
    if (guest_option("expire"))
        cases[c++] = (struct test_case){ "expiry_armed_at_end", test_expiry_asked };
    *n = c;
    return cases;
}
