/*
 * watchdog=<seconds>: a hypervisor watchdog (SCHEDOP_watchdog) that a kernel
 * thread re-arms every third of its timeout. A kernel that hangs stops
 * re-arming it, and the hypervisor shuts the domain down with
 * SHUTDOWN_watchdog; the toolstack's on_watchdog says what follows (a driver
 * domain is restarted). hangtest=<seconds> makes the thread hang its CPU that
 * long after arming (interrupts off, spinning), as a kernel stuck in a loop
 * would, to show the watchdog at work. PV only.
 */
#include <cmdline.h>
#include <sched.h>
#include <public/errno.h>
#include <public/sched.h>
#include <xen/services.h>
#include "hypercall.h"
#include "xen.h"

#define MAX_TIMEOUT_S   (24 * 3600)     /* a day: longer is a typo, not a watchdog */

static uint64_t timeout_s;              /* 0: no watchdog */
static uint64_t hang_after_s;           /* 0: never hang */
static uint32_t watchdog_id;            /* the hypervisor's id for ours */

static bool set_seconds(const char *v, uint64_t *out)
{
    uint64_t n;
    if (!v || !cmdline_number(v, &n) || n < 1 || n > MAX_TIMEOUT_S)
        return false;
    *out = n;
    return true;
}

static bool set_watchdog(const char *v) { return set_seconds(v, &timeout_s); }
KERNEL_OPTION("watchdog", set_watchdog);
static bool set_hangtest(const char *v) { return set_seconds(v, &hang_after_s); }
KERNEL_OPTION("hangtest", set_hangtest);

static int64_t sched_watchdog(uint32_t id, uint32_t timeout)
{
    struct sched_watchdog w = { .id = id, .timeout = timeout };
    return hypercall2(__HYPERVISOR_sched_op, SCHEDOP_watchdog, &w);
}

__noreturn void xenpv_hang_cpu(const char *why)
{
    printk("pvguest: %s: hanging CPU %u with interrupts off; watchdog %u no longer re-armed\n", why,
           smp_processor_id(), watchdog_id);
    irq_disable();
    /* No PAUSE: under QEMU's -icount a PAUSE loop leaves the instruction counter, and time, standing. */
    for (volatile uint64_t spins = 0;; spins++)
        ;
}

/* Re-arms by deadline, not by sleeping a period after each call: a late wake-up does not add up. */
static void rearm_thread(void *unused)
{
    (void)unused;
    uint64_t start = clock_ns(), period = timeout_s * NSEC_PER_SEC / 3;
    for (uint64_t next = start + period;; next += period) {
        if (hang_after_s && next >= start + hang_after_s * NSEC_PER_SEC) {
            thread_sleep_until(start + hang_after_s * NSEC_PER_SEC);
            xenpv_hang_cpu("hangtest");
        }
        thread_sleep_until(next);
        int64_t rc = sched_watchdog(watchdog_id, (uint32_t)timeout_s);
        if (rc) {
            /* Not ours to end the domain: the watchdog will, unless the hypervisor dropped it. */
            printk("pvguest: watchdog: re-arming watchdog %u failed: %lld (%s); no longer re-armed\n",
                   watchdog_id, (long long)rc, xen_errno_name(rc));
            thread_exit();
        }
    }
}

void xen_watchdog_start(void)
{
    if (!timeout_s)
        return;
    int64_t rc = sched_watchdog(0, (uint32_t)timeout_s);
    /* Ids are 1 or 2 (public/sched.h); Xen 4.17 returns -ENOSPC as a large positive number. */
    if (rc < 1 || rc > 2) {
        printk("pvguest: watchdog: creating a %llu s watchdog failed: %lld (%s)\n", (unsigned long long)timeout_s,
               (long long)rc, rc < 0 ? xen_errno_name(rc) : "not an id");
        return;
    }
    watchdog_id = (uint32_t)rc;
    if (!thread_create("watchdog", rearm_thread, NULL)) {
        sched_watchdog(watchdog_id, 0);         /* nobody would re-arm it */
        return;
    }
    printk("pvguest: watchdog %u armed for %llu s, re-armed every %llu ms\n", watchdog_id,
           (unsigned long long)timeout_s, (unsigned long long)(timeout_s * 1000 / 3));
}
