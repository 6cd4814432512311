/*
 * A domU's control/ directory, which the toolstack writes and the domain
 * watches (one watch on the directory):
 *   control/shutdown  "poweroff", "reboot" or "halt": xl shutdown / reboot
 *                     asks the domain to end its run; work that runs until
 *                     told (linger=yes, the soak workloads) asks
 *                     xenbus_shutdown_requested() and ends. The request is
 *                     answered, as Linux does, by writing the node empty.
 *   control/trigger   debug triggers (xl trigger <dom> fault|hang) for the
 *                     driver-domain soak: "fault": the next request blkback
 *                     handles faults in the middle (xenbus_fault_trigger_take),
 *                     so the domain crashes on its own with a request mapped;
 *                     "hang": this CPU hangs at once, interrupts off, and the
 *                     domain stops doing anything (its watchdog= notices).
 */
#include <xen/services.h>
#include "xenbus_internal.h"

static struct xenbus_watch control_watch;
static char control_path[40];
static volatile bool shutdown_requested, fault_armed;
static char shutdown_verb[12];

static void control_event(struct xenbus_watch *w, const char *path)
{
    (void)w;
    (void)path;
    char v[16];
    if (!shutdown_requested && xenbus_read(0, "control/shutdown", v, sizeof(v)) > 0) {
        if (!strcmp(v, "poweroff") || !strcmp(v, "reboot") || !strcmp(v, "halt")) {
            str_copy(shutdown_verb, v, sizeof(shutdown_verb));
            shutdown_requested = true;
            xenbus_write(0, "control/shutdown", "");
            printk("xenbus: control/shutdown asks for %s: ending the run\n", v);
        } else {
            printk("xenbus: control/shutdown says '%s': ignored\n", v);
        }
    }
    if (xenbus_read(0, "control/trigger", v, sizeof(v)) <= 0)
        return;
    if (!strcmp(v, "fault") && !fault_armed) {
        fault_armed = true;
        printk("xenbus: control/trigger: the next request a back end handles faults\n");
    } else if (!strcmp(v, "hang")) {
        xenpv_hang_cpu("control/trigger");
    }
}

void xenbus_control_start(void)
{
    if (xenpv_is_dom0() || !xenbus_ready())
        return;
    snprintf(control_path, sizeof(control_path), "/local/domain/%u/control", xenbus_domid());
    control_watch = (struct xenbus_watch){ .path = control_path, .cb = control_event };
    int rc = xenbus_watch(&control_watch);
    if (rc)
        printk("xenbus: cannot watch control/: %d (xl shutdown is not heard)\n", rc);
}

bool xenbus_shutdown_requested(void)
{
    return shutdown_requested;
}

bool xenbus_fault_trigger_take(void)
{
    return __atomic_exchange_n(&fault_armed, false, __ATOMIC_ACQ_REL);
}
