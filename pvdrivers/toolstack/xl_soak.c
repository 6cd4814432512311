/*
 * xl soak-driver <driver domain> <restarts> <guest>[,<guest>...]: the
 * driver-domain story of issue 17, narrated ("demo:" lines). The driver
 * domain (created by xl from a config with pci=, its back ends serving the
 * guests' disk= and vif= entries with backend=<it>) is killed <restarts>
 * times while the guests write, read and exchange UDP through it:
 *   odd restarts:  xl destroy in the middle of the guests' I/O, then built
 *                  again from its config (as an operator would: xl destroy,
 *                  xl create); at every fourth from the third (3, 7, ...)
 *                  another domain takes the freed id first, so the driver
 *                  domain comes back under a new one;
 *   even restarts: the debug trigger (control/trigger = "fault"): its blkback
 *                  faults in the middle of a request and the domain crashes
 *                  on its own; its on_crash="restart" brings it back (xl's
 *                  reap, as for any domain);
 *   every fifth:   control/trigger = "hang": the domain hangs instead of
 *                  dying; its watchdog (watchdog=, SCHEDOP_watchdog) stops
 *                  being re-armed, the hypervisor shuts it down with
 *                  SHUTDOWN_watchdog, and on_watchdog="restart" brings it back.
 * Either way xl_relaunch moves the devices' back ends to the new domain and
 * the guests' front ends follow, reconnect and reissue what was not
 * answered. Each restart's outage, as the toolstack sees it, runs from the
 * kill to every guest device's back end Connected again (the guests print
 * theirs: last answer before to first answer after). Then the guests are
 * asked to power off (control/shutdown): their workloads check every sector
 * against what was acknowledged and leave the verdict in data/soak, and each
 * guest powers off only if the rest of its run passed (its UDP traffic
 * carried on after the last restart); together they make the summary line:
 *     demo: restarts=N acknowledged_writes=N lost=0 verified=yes
 */
#include <kernel.h>
#include <sched.h>
#include <public/domctl.h>
#include <public/sched.h>
#include <block/blkback.h>
#include <net/netback.h>
#include <xenbus/xenbus.h>
#include "xl_internal.h"

#define MAX_GUESTS      4
#define CONNECT_NS      (120 * NSEC_PER_SEC)    /* a restart under a loaded host: build, boot, handshakes */
#define CRASH_NS        (60 * NSEC_PER_SEC)     /* the trigger's fault and on_crash's restart */
#define FINISH_NS       (300 * NSEC_PER_SEC)    /* the guests' last pass and full read-back */
#define DWELL_MIN_MS    300u                    /* I/O flows this long (and up to DWELL_SPREAD_MS more) before a kill */
#define DWELL_SPREAD_MS 400u
#define FINAL_DWELL_MS  1000u
#define HANG_EVERY      5u                      /* every fifth restart is a hang the watchdog must notice */
#define SETTLE_NS       (10 * NSEC_PER_SEC)     /* the dead domain's last frames and ring going back */
#define WARM_SETTLE_NS  (2 * NSEC_PER_SEC)      /* the same before the one move a run may have */

static bool parse_count(const char *v, unsigned int max, unsigned int *out)
{
    unsigned int n = 0;
    for (const char *p = v; *p; p++) {
        if (*p < '0' || *p > '9' || n > max)
            return false;
        n = n * 10 + (unsigned int)(*p - '0');
    }
    *out = n;
    return *v && n >= 1 && n <= max;
}

static bool all_connected(const domid_t *g, unsigned int n, uint64_t timeout)
{
    uint64_t end = clock_ns() + timeout;
    for (unsigned int i = 0; i < n; i++)
        if (!xl_wait_connected(g[i], end > clock_ns() ? end - clock_ns() : 0))
            return false;
    return true;
}

/* The running domain called name: its id, or -1. */
static int running(const char *name)
{
    struct pv_domctl_info info;
    domid_t id;
    for (domid_t from = 1; !xl_info_next(from, &id, &info); from = (domid_t)(id + 1))
        if (!strcmp((const char *)info.name, name) && !(info.flags & (PV_DOMINF_shutdown | PV_DOMINF_stopping)))
            return id;
    return -1;
}

/* Domain id's info: false when there is no such domain. */
static bool info_of(domid_t id, struct pv_domctl_info *info)
{
    domid_t found;
    return !xl_info_next(id, &found, info) && found == id;
}

/* Whether drv has stopped (crashed, shut down, or gone). */
static bool stopped(domid_t drv)
{
    struct pv_domctl_info info;
    return !info_of(drv, &info) || (info.flags & (PV_DOMINF_shutdown | PV_DOMINF_stopping));
}

/*
 * A trigger ("fault" or "hang"), then on_crash / on_watchdog="restart"
 * (xl_reap, as the prompt's idle loop runs it): the new domain's id (the
 * hypervisor may give the old one again), or -1.
 */
static int trigger_and_wait(domid_t drv, const char *name, const char *what)
{
    char path[48];
    snprintf(path, sizeof(path), "/local/domain/%u/control/trigger", drv);
    int rc = xenbus_write(0, path, what);
    if (rc) {
        printk("xl: error: writing %s: %d\n", path, rc);
        return -1;
    }
    uint64_t end = clock_ns() + CRASH_NS;
    bool crashed = false;
    while (clock_ns() < end) {
        crashed = crashed || stopped(drv);
        if (crashed) {
            xl_reap();
            int id = running(name);
            if (id >= 0)
                return id;
        }
        thread_sleep_ns(10 * NSEC_PER_MSEC);
    }
    printk("xl: error: %s (domain %u) %s in %llu s\n", name, drv, crashed ? "stopped and did not come back" :
           "did not stop", (unsigned long long)(CRASH_NS / NSEC_PER_SEC));
    return -1;
}

/* Waits (at most timeout) until id has shut down: its reason (SHUTDOWN_*), or -1. */
static int shutdown_reason(domid_t g, uint64_t timeout)
{
    uint64_t end = clock_ns() + timeout;
    do {
        struct pv_domctl_info info;
        if (!info_of(g, &info))
            return -1;
        if (info.flags & PV_DOMINF_shutdown)
            return (int)info.shutdown_reason;
        thread_sleep_ns(20 * NSEC_PER_MSEC);
    } while (clock_ns() < end);
    return -1;
}

/*
 * xl destroy, then a small domain takes the freed id before the driver
 * domain is built again (the hypervisor gives the lowest free id), so the
 * driver domain comes back under a new id: the front ends' backend paths
 * change and blkfront's waiting grants move to the new domain. The holder
 * goes once the driver domain is up.
 */
static int relaunch_elsewhere(domid_t drv, const struct xl_cfg *cfg)
{
    int rc = xl_destroy_domain(drv);
    if (rc) {
        printk("xl: error: destroying domain %u failed: %d\n", drv, rc);
        return -1;
    }
    char *holder[] = { "holder.cfg" };
    rc = xl_cmd_create(1, holder);
    int hid = rc ? -1 : xl_find_domain("slot-holder");
    int id = xl_rebuild(drv, cfg);
    if (hid >= 0)
        xl_destroy_domain((domid_t)hid);
    return id;
}

/* Each domain's frames, for a report of counts that moved. */
static void print_domains(void)
{
    struct pv_domctl_info info;
    domid_t id;
    for (domid_t from = 0; !xl_info_next(from, &id, &info); from = (domid_t)(id + 1))
        printk("soak:   domain %u (%s): %llu frames\n", id, (const char *)info.name, (unsigned long long)info.tot_pages);
}

/* One key=value of a guest's data/soak: its number, or -1 when absent. */
static long long soak_key(const char *s, const char *key)
{
    size_t k = strlen(key);
    for (const char *p = s; *p; p++)
        if ((p == s || p[-1] == ' ') && !strncmp(p, key, k) && p[k] == '=') {
            long long n = 0;
            if (!strncmp(p + k + 1, "yes", 3))
                return 1;
            if (!strncmp(p + k + 1, "no", 2))
                return 0;
            for (p += k + 1; *p >= '0' && *p <= '9'; p++)
                n = n * 10 + (*p - '0');
            return n;
        }
    return -1;
}

static void dom0_serves(const char *when)
{
    unsigned int vifs, ports;
    netback_usage(&vifs, &ports);
    printk("demo: %s: dom0 serves %u vbds and %u vifs (the driver domain serves them all)\n", when, blkback_vbds(),
           vifs);
}

int xl_cmd_soak(int argc, char **argv)
{
    unsigned int restarts;
    if (argc != 3 || !parse_count(argv[1], 1000, &restarts)) {
        printk("xl: error: usage: soak-driver <driver domain> <restarts 1..1000> <guest>[,<guest>...]\n");
        return -1;
    }
    int d = xl_find_domain(argv[0]);
    if (d < 0)
        return -1;
    domid_t drv = (domid_t)d;
    const struct xl_cfg *made = xl_cfg_of(drv);
    if (!made) {
        printk("xl: error: domain %u was not created by xl: there is no config to restart it from\n", drv);
        return -1;
    }
    struct xl_cfg cfg = *made;
    domid_t guest[MAX_GUESTS];
    char names[MAX_GUESTS][32];
    unsigned int ng = 0;
    for (char *p = argv[2], *next; p && *p; p = next) {
        next = strchr(p, ',');
        if (next)
            *next++ = '\0';
        if (ng == MAX_GUESTS) {
            printk("xl: error: at most %u guests\n", MAX_GUESTS);
            return -1;
        }
        int g = xl_find_domain(p);
        if (g < 0)
            return -1;
        str_copy(names[ng], p, sizeof(names[ng]));
        guest[ng++] = (domid_t)g;
    }
    printk("demo: %s (domain %u) owns the disk and NIC (pci=) and serves %u guests' vbds and vifs\n", cfg.name, drv, ng);
    if (!all_connected(guest, ng, CONNECT_NS)) {
        printk("xl: error: the guests' devices never connected to %s\n", cfg.name);
        return -1;
    }
    dom0_serves("before the soak");
    /*
     * What a restart must give back: with the same domains up and every device
     * connected again, the hypervisor's free frames and dom0's event channels,
     * grants, store nodes and watches, devices and back ends are where they
     * were before (a dead driver domain's ring and frames go a moment after the
     * new one connects: xl_settle waits for them). One restart in a run may
     * move them for good (a high-water mark, as the leak loop's warm-up cycle
     * allows: seen as 2 frames, once, in some runs); every other one must give
     * back exactly what it took, so a leak shows as a second move.
     */
    struct xl_counts base, now;
    xl_count(&base, true);
    xl_print_counts("soak", "before the first kill", &base);
    print_domains();
    unsigned int leaks = 0;
    unsigned int moved = 0;                     /* restarts after which the counts had moved */
    uint64_t sum_ms = 0, max_ms = 0, min_ms = UINT64_MAX;
    unsigned int done = 0;
    for (unsigned int r = 1; r <= restarts; r++) {
        unsigned int dwell = DWELL_MIN_MS + (unsigned int)((clock_ns() >> 12) % DWELL_SPREAD_MS);
        printk("demo: restart %u of %u: I/O flows through %s (domain %u) for %u ms\n", r, restarts, cfg.name, drv,
               dwell);
        thread_sleep_ns((uint64_t)dwell * NSEC_PER_MSEC);
        uint64_t kill = clock_ns();
        int id;
        if (r % HANG_EVERY == 0) {
            printk("demo: restart %u of %u: the debug trigger: %s hangs (its CPU spins, interrupts off); its "
                   "watchdog expires and on_watchdog=\"restart\" brings it back\n", r, restarts, cfg.name);
            id = trigger_and_wait(drv, cfg.name, "hang");
        } else if (r % 2 && r % 4 == 3) {
            printk("demo: restart %u of %u: xl destroy %s in the middle of the guests' I/O; another domain takes "
                   "its id first, so it comes back with a new one\n", r, restarts, cfg.name);
            id = relaunch_elsewhere(drv, &cfg);
        } else if (r % 2) {
            printk("demo: restart %u of %u: xl destroy %s in the middle of the guests' I/O; the guests wait\n", r,
                   restarts, cfg.name);
            id = xl_relaunch(drv, &cfg);
        } else {
            printk("demo: restart %u of %u: the debug trigger: %s faults in the middle of a request and crashes; "
                   "on_crash=\"restart\" brings it back\n", r, restarts, cfg.name);
            id = trigger_and_wait(drv, cfg.name, "fault");
        }
        if (id < 0)
            break;
        drv = (domid_t)id;
        if (!all_connected(guest, ng, CONNECT_NS)) {
            printk("xl: error: the guests did not reconnect to %s (domain %u)\n", cfg.name, drv);
            break;
        }
        uint64_t ms = (clock_ns() - kill) / NSEC_PER_MSEC;
        sum_ms += ms;
        max_ms = MAX(max_ms, ms);
        min_ms = MIN(min_ms, ms);
        done++;
        printk("demo: restart %u of %u: %s is back as domain %u; every guest device connected again %llu ms after "
               "the kill; the guests carry on\n", r, restarts, cfg.name, drv, (unsigned long long)ms);
        if (!xl_settle(&now, &base, true, moved ? SETTLE_NS : WARM_SETTLE_NS)) {
            if (!moved) {
                /* Once: a high-water mark (a table grown by a peak) may stay; a leak moves them again. */
                printk("soak: restart %u moved the counts; once is a high-water mark, a second time a leak\n", r);
            } else {
                leaks++;
                printk("soak: LEAK: restart %u did not give everything back\n", r);
            }
            moved++;
            xl_print_counts("soak", "now", &now);
            print_domains();
            base = now;                 /* each change is reported once */
        }
    }
    if (done)
        printk("demo: %u restarts; kill to every device connected: min %llu avg %llu max %llu ms\n", done,
               (unsigned long long)min_ms, (unsigned long long)(sum_ms / done), (unsigned long long)max_ms);
    printk("soak: %u restarts, %u of them leaked%s\n", done, leaks,
           leaks ? "" : moved ? ": the counts came back after each but one (a high-water mark)" :
                            ": the counts came back after each");
    dom0_serves("after the soak");
    if (done) {
        /* After the last restart too: the guests' traffic must be seen to carry on before they stop. */
        printk("demo: I/O flows through %s (domain %u) for %u ms after the last restart\n", cfg.name, drv,
               FINAL_DWELL_MS);
        thread_sleep_ns((uint64_t)FINAL_DWELL_MS * NSEC_PER_MSEC);
    }

    /* The guests end their workloads: a last pass, every sector checked, the verdict in data/soak. */
    printk("demo: asking the guests to power off; each checks every sector it wrote against what was acknowledged\n");
    for (unsigned int i = 0; i < ng; i++) {
        char path[48];
        snprintf(path, sizeof(path), "/local/domain/%u/control/shutdown", guest[i]);
        xenbus_write(0, path, "poweroff");
    }
    long long acked = 0, lost = 0;
    bool verified = done == restarts && !leaks;
    for (unsigned int i = 0; i < ng; i++) {
        char path[48], v[160] = "";
        snprintf(path, sizeof(path), "/local/domain/%u/data/soak", guest[i]);
        uint64_t end = clock_ns() + FINISH_NS;
        while (xenbus_read(0, path, v, sizeof(v)) <= 0 && clock_ns() < end)
            thread_sleep_ns(50 * NSEC_PER_MSEC);
        printk("demo: %s (domain %u): %s\n", names[i], guest[i], v[0] ? v : "no verdict (data/soak never written)");
        long long a = soak_key(v, "acked"), l = soak_key(v, "lost"), t = soak_key(v, "torn"),
                  ok = soak_key(v, "verified");
        /* The rest of its verdict (its UDP traffic carried on, nothing failed) is in how it ends: poweroff. */
        int reason = shutdown_reason(guest[i], end > clock_ns() ? end - clock_ns() : 0);
        printk("demo: %s (domain %u) %s\n", names[i], guest[i], reason == SHUTDOWN_poweroff ? "powered off: its run passed" :
               reason < 0 ? "did not shut down" : "did not power off: its run failed");
        verified &= a > 0 && l == 0 && t == 0 && ok == 1 && reason == SHUTDOWN_poweroff;
        acked += a > 0 ? a : 0;
        lost += (l > 0 ? l : 0) + (t > 0 ? t : 0);
    }
    printk("demo: restarts=%u acknowledged_writes=%lld lost=%lld verified=%s\n", done, acked, lost,
           verified ? "yes" : "no");
    return verified ? 0 : -1;
}
