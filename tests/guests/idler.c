/*
 * Idler: says it is up, then blocks: a domain for the toolstack to list,
 * pause and destroy. Its front end for xl's shutdown is a xenstore watch on
 * control/shutdown, as a Linux guest's: "poweroff" ends its one case (and
 * the domain powers off), "reboot" shuts it down with reason reboot; the
 * node is cleared first, as Linux acknowledges it. Without a store ring
 * (a boot-time domain with none) it just blocks until it is destroyed.
 */
#include "events.h"
#include "guest.h"
#include "hypercall.h"
#include "xs.h"
#include <public/errno.h>
#include <public/sched.h>

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
        printk("# idler: up, no store: blocking until destroyed\n");
        block_forever();
    }
    /* xenstored introduces us a moment after we start: the request waits in the ring. */
    int64_t rc;
    do
        rc = xs_request_strs(XS_WATCH, 0, &r, 2, "control/shutdown", "shutdown");
    while (rc == -XEN_ETIMEDOUT);
    if (xs_error(&r))
        return fail(why, len, "WATCH control/shutdown: %s", xs_error(&r));
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
