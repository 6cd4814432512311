/*
 * Idler: says it is up, then blocks: a domain for the toolstack to list,
 * pause and destroy. Its front end for xl's shutdown is a xenstore watch on
 * control/shutdown, as a Linux guest's: "poweroff" ends its one case (and
 * the domain powers off), "reboot" shuts it down with reason reboot; the
 * node is cleared first, as Linux acknowledges it. Without a store ring
 * (a boot-time domain with none), or without a spare frame for the page
 * table that maps shared_info (4 MiB: the initial mapping is all of it), it
 * says so and just blocks until it is destroyed.
 *
 * timerspin=yes makes it, once its watch is set (xl's leak loop waits for
 * that), a domain that is always arming a timer instead:
 * VCPUOP_set_singleshot_timer a second ahead, again and again, so whenever
 * the toolstack destroys it the vCPU may be arming one on another CPU just
 * as the hypervisor stops its timers (xl's leak loop over spinner.cfg).
 */
#include "events.h"
#include "guest.h"
#include "hypercall.h"
#include "xs.h"
#include <public/errno.h>
#include <public/sched.h>
#include <public/vcpu.h>

const char test_title[] = "idler: blocks until destroyed or shut down";

#define WAKE_NS 1000000000ull               /* a watch wait's bound; the loop waits again */

static void block_forever(void)
{
    for (;;)
        hyp_sched_op(SCHEDOP_block, NULL);
}

static const char *test_idle(char *why, size_t len)
{
    struct xs_msg r;
    if (events_init() || xs_init()) {
        printk("# idler: up, no store ring or no spare frame: blocking until destroyed\n");
        block_forever();
    }
    /* xenstored introduces us a moment after we start: the request waits in the ring. */
    int64_t rc;
    do
        rc = xs_request_strs(XS_WATCH, 0, &r, 2, "control/shutdown", "shutdown");
    while (rc == -XEN_ETIMEDOUT);
    if (xs_error(&r))
        return fail(why, len, "WATCH control/shutdown: %s", xs_error(&r));
    if (guest_option_is("timerspin", "yes")) {
        printk("# idler: up, arming timers until destroyed\n");
        for (;;) {
            struct vcpu_set_singleshot_timer t = { .timeout_abs_ns = pvclock_now() + 1000000000ull };
            rc = hypercall3(__HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, 0, &t);
            if (rc)
                return fail(why, len, "set_singleshot_timer: %lld", (long long)rc);
        }
    }
    printk("# idler: up, watching control/shutdown\n");
    for (;;) {
        if (xs_watch_event(&r, WAKE_NS))
            continue;
        if (xs_request_strs(XS_READ, 0, &r, 1, "control/shutdown") || xs_error(&r) || !r.body[0])
            continue;               /* gone (being destroyed) or empty (our own acknowledgement) */
        bool poweroff = !strcmp(r.body, "poweroff"), reboot = !strcmp(r.body, "reboot");
        if (!poweroff && !reboot) {
            printk("# idler: control/shutdown says '%s': ignored\n", r.body);
            continue;
        }
        printk("# idler: control/shutdown says %s\n", r.body);
        static const char empty[] = "control/shutdown";     /* WRITE path\0 and no value: "" */
        xs_request(XS_WRITE, 0, empty, sizeof(empty), &r);
        if (reboot)
            guest_shutdown(SHUTDOWN_reboot);
        return NULL;                /* the run ends and the domain powers off */
    }
}

DEFINE_TESTS({ "idle", test_idle })
