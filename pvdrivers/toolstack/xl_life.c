/*
 * The life of the domains xl made: what xl remembers of them, destroy, pause
 * and unpause, shutdown and reboot, their on_poweroff / on_reboot / on_crash /
 * on_watchdog when they stop (reap, restart), and the debug trigger.
 */
#include <kernel.h>
#include <sched.h>
#include <public/sched.h>
#include <toolstack/assign.h>
#include <toolstack/builder.h>
#include <toolstack/devices.h>
#include <xen/toolstack.h>
#include <xenbus/xenbus.h>
#include "xl_internal.h"

#define MAX_DOMID   16

/*
 * on_*=restart builds the domain again at once. xl itself has no bound (it
 * waits 2 s before each rebuild, a workaround); a domain that dies at start
 * would be rebuilt for ever. Here RESTART_QUICK_MAX restarts in a row, each
 * after a run shorter than RESTART_QUICK_NS, are the limit: at the next
 * shutdown the domain is left as it is (preserved) and xl says why.
 */
#define RESTART_QUICK_NS    (10 * NSEC_PER_SEC)
#define RESTART_QUICK_MAX   5

/*
 * What xl remembers of the domains it created: what to do when they shut
 * down; when it started them, and how many quick restarts led to this one.
 */
static struct {
    bool ours;
    struct xl_cfg cfg;
    uint64_t started_ns;
    unsigned int quick;
} made[MAX_DOMID];

void xl_remember(domid_t id, const struct xl_cfg *c)
{
    if (id < MAX_DOMID) {
        made[id].ours = true;
        made[id].cfg = *c;
        made[id].started_ns = clock_ns();
        made[id].quick = 0;
    }
}

/* ---- destroy, pause, unpause ---- */

/*
 * Destroys dom and, as xl does, removes its devices' directories (each front
 * end's, then its back end's) and then its /local/domain/<id> from the store.
 */
int xl_destroy_domain(domid_t dom)
{
    int rc = tsb_destroy(dom);
    char path[32];
    snprintf(path, sizeof(path), "/local/domain/%u", dom);
    /* Its pci= functions came back to dom0 with the domain's teardown: reset, as pciback does. */
    for (unsigned int i = 0; !rc && dom < MAX_DOMID && made[dom].ours && i < made[dom].cfg.nr_pci; i++)
        ts_pci_reset(made[dom].cfg.pci[i], dom);
    if (!rc) {
        int e = ts_devices_remove(dom);
        if (e)
            printk("xl: warning: removing domain %u's devices: %d\n", dom, e);
        e = xenbus_rm(0, path);
        if (e < 0 && e != -ENOENT)
            printk("xl: warning: removing %s: %d\n", path, e);
    }
    if (dom < MAX_DOMID)
        made[dom].ours = false;
    return rc;
}

int xl_cmd_simple(uint32_t cmd, const char *what, const char *verb)
{
    int id = xl_find_domain(what);
    if (id < 0)
        return -1;
    if (id == 0) {
        printk("xl: error: cannot %s Domain-0\n", verb);
        return -1;
    }
    struct pv_domctl op = { .cmd = cmd, .domain = (domid_t)id };
    int rc = cmd == PV_DOMCTL_destroydomain ? xl_destroy_domain((domid_t)id) : (int)xenpv_domctl(&op);
    if (rc) {
        printk("xl: error: %s of domain %d failed: %d\n", verb, id, rc);
        return -1;
    }
    return 0;
}

/* ---- shutdown, reboot, on_* actions, trigger ---- */

/*
 * shutdown / reboot <dom>: as xl, a request the guest acts on: "poweroff" or
 * "reboot" written to its control/shutdown (the domain owns that node and
 * watches it). The domain shuts itself down; reap applies on_poweroff /
 * on_reboot when the hypervisor reports it stopped. A guest without such a
 * front end ignores it (xl would then need -F: SCHEDOP_remote_shutdown).
 */
int xl_cmd_shutdown(const char *what, const char *verb)
{
    int id = xl_find_domain(what);
    if (id < 0)
        return -1;
    if (id == 0) {
        printk("xl: error: shut Domain-0 down with quit\n");
        return -1;
    }
    char path[48];
    snprintf(path, sizeof(path), "/local/domain/%d/control/shutdown", id);
    int rc = xenbus_write(0, path, strcmp(verb, "reboot") ? "poweroff" : "reboot");
    if (rc) {
        printk("xl: error: %s of domain %d: writing %s failed: %d\n", verb, id, path, rc);
        return -1;
    }
    printk("xl: asked domain %d to %s (%s)\n", id, strcmp(verb, "reboot") ? "power off" : "reboot", path);
    return 0;
}

/*
 * on_*=restart, as xl: the domain is destroyed and built again from the
 * same config (its copy in made[], as xl keeps the config it was created
 * from), same name, the id the hypervisor gives. More than
 * RESTART_QUICK_MAX quick restarts in a row: left shut down instead.
 */
static void restart(domid_t id, unsigned int reason)
{
    struct xl_cfg c = made[id].cfg;     /* the slot may be the new domain's */
    bool quick = clock_ns() - made[id].started_ns < RESTART_QUICK_NS;
    unsigned int in_a_row = quick ? made[id].quick + 1 : 0;
    if (in_a_row > RESTART_QUICK_MAX) {
        printk("xl: domain %u (%s) has shut down, reason code %u: not restarting it: it ran for less than %llu s "
               "after each of its last %u restarts; preserved\n", id, c.name, reason,
               (unsigned long long)(RESTART_QUICK_NS / NSEC_PER_SEC), RESTART_QUICK_MAX);
        made[id].ours = false;
        return;
    }
    printk("xl: domain %u (%s) has shut down, reason code %u: restarting it\n", id, c.name, reason);
    int new_id = xl_relaunch(id, &c);
    if (new_id >= 0 && new_id < MAX_DOMID)
        made[new_id].quick = in_a_row;
}

int xl_relaunch(domid_t id, const struct xl_cfg *cfg)
{
    struct xl_cfg c = *cfg;             /* cfg may be the slot the new domain takes */
    int rc = xl_destroy_domain(id);
    if (rc) {
        printk("xl: error: restarting '%s': destroying domain %u failed: %d\n", c.name, id, rc);
        return -1;
    }
    return xl_rebuild(id, &c);
}

int xl_rebuild(domid_t id, const struct xl_cfg *cfg)
{
    struct xl_cfg c = *cfg;
    int new_id = xl_create_from(&c, true);
    if (new_id < 0)
        return -1;                      /* create_from said why */
    printk("xl: domain %u (%s) restarted as domain %d\n", id, c.name, new_id);
    /* A back-end domain: the devices it served are pointed at the new one (their front ends follow). */
    int err;
    unsigned int moved = ts_devices_move_back(id, (domid_t)new_id, &err);
    if (moved || err)
        printk("xl: %u devices' back ends moved from domain %u to domain %d%s\n", moved, id, new_id,
               err ? " (some failed)" : "");
    if (err)
        printk("xl: error: moving a device's back end to domain %d: %d\n", new_id, err);
    return new_id;
}

const struct xl_cfg *xl_cfg_of(domid_t id)
{
    return id < MAX_DOMID && made[id].ours ? &made[id].cfg : NULL;
}

/* Domains xl made that shut down: their on_poweroff/on_reboot/on_crash. */
void xl_reap(void)
{
    struct pv_domctl_info info;
    domid_t id;
    for (domid_t from = 1; !xl_info_next(from, &id, &info); from = (domid_t)(id + 1)) {
        if (id >= MAX_DOMID || !made[id].ours || !(info.flags & PV_DOMINF_shutdown))
            continue;
        const struct xl_cfg *c = &made[id].cfg;
        enum xl_action a = info.shutdown_reason == SHUTDOWN_poweroff ? c->on_poweroff :
                           info.shutdown_reason == SHUTDOWN_reboot ? c->on_reboot :
                           info.shutdown_reason == SHUTDOWN_watchdog ? c->on_watchdog : c->on_crash;
        if (a == XL_ACTION_RESTART) {
            restart(id, info.shutdown_reason);     /* ours until destroyed: its pci= functions are reset then */
            continue;
        }
        printk("xl: domain %u (%s) has shut down, reason code %u: %s\n", id, c->name, info.shutdown_reason,
               a == XL_ACTION_DESTROY ? "destroying it" : "preserved");
        if (a == XL_ACTION_DESTROY)
            xl_destroy_domain(id);
        made[id].ours = false;
    }
}

/*
 * trigger <dom> fault|hang: debug triggers (xl's trigger command sends NMIs
 * and resets; ours are for the driver-domain soak), written to the domain's
 * control/trigger, which pvguest watches: "fault": its blkback faults in the
 * middle of the next request it handles, so the domain crashes on its own;
 * "hang": its CPU hangs, and only its watchdog (watchdog=) can tell.
 */
int xl_cmd_trigger(int argc, char **argv)
{
    if (argc != 2 || (strcmp(argv[1], "fault") && strcmp(argv[1], "hang"))) {
        printk("xl: error: usage: trigger <domain> fault|hang\n");
        return -1;
    }
    int id = xl_find_domain(argv[0]);
    if (id <= 0) {
        if (id == 0)
            printk("xl: error: not Domain-0\n");
        return -1;
    }
    char path[48];
    snprintf(path, sizeof(path), "/local/domain/%d/control/trigger", id);
    int rc = xenbus_write(0, path, argv[1]);
    if (rc)
        printk("xl: error: writing %s: %d\n", path, rc);
    else
        printk("xl: domain %d: %s = %s\n", id, path, argv[1]);
    return rc ? -1 : 0;
}
