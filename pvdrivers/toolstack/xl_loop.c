/*
 * xl leak-loop: create and destroy a domain n times and check that every
 * count of what a domain takes comes back; the counts and the waits on a new
 * domain's store, watches and back ends, which xl_soak.c uses too.
 */
#include <kernel.h>
#include <sched.h>
#include <block/blkback.h>
#include <net/netback.h>
#include <toolstack/devices.h>
#include <xen/services.h>
#include <xen/toolstack.h>
#include <xenbus/xenbus.h>
#include <xenbus/xenstored_dom0.h>
#include "xl_internal.h"

/*
 * What a domain's life must give back: the hypervisor's free frames, dom0's
 * ports, grant references and grant maps, the store's nodes and watches, the
 * devices the toolstack wrote, the xenbus devices probed in dom0 and the
 * back ends' tables (netback's vifs and bridge ports, blkback's vbds).
 */
/* The cheap counts (a cycle's check); ports only with all (a hypercall per port). */
void xl_count(struct xl_counts *c, bool all)
{
    struct pv_domctl op = { .cmd = PV_DOMCTL_getdomaininfo, .domain = 0 };
    c->free_pages = xenpv_domctl(&op) ? 0 : op.u.info.free_pages;
    c->ports = all ? xenpv_evtchn_ports_in_use() : 0;
    c->grants = xenpv_grant_free_refs();
    c->maps = xenpv_grant_maps_in_use();
    c->nodes = xenstored_dom0_nodes();
    c->watches = xenstored_dom0_watches();
    c->devices = ts_devices_count();
    c->xbdevs = xenbus_devices();
    netback_usage(&c->vifs, &c->bports);
    c->vbds = blkback_vbds();
}

bool xl_same_counts(const struct xl_counts *a, const struct xl_counts *b)
{
    return a->free_pages == b->free_pages && a->ports == b->ports && a->grants == b->grants && a->maps == b->maps &&
           a->nodes == b->nodes && a->watches == b->watches && a->devices == b->devices && a->xbdevs == b->xbdevs &&
           a->vifs == b->vifs && a->bports == b->bports && a->vbds == b->vbds;
}

void xl_print_counts(const char *who, const char *when, const struct xl_counts *c)
{
    printk("%s: %s: %llu free frames, %d dom0 event channels, %u free grant refs, %u grant maps, "
           "%u xenstore nodes, %u watches, %u devices written, %u xenbus devices, %u netback vifs, "
           "%u bridge ports, %u blkback vbds\n", who, when, (unsigned long long)c->free_pages, c->ports, c->grants,
           c->maps, c->nodes, c->watches, c->devices, c->xbdevs, c->vifs, c->bports, c->vbds);
}

/* Waits (at most timeout) until /local/domain/<id> exists (want) or not. */
bool xl_wait_store(int id, bool want, uint64_t timeout)
{
    char path[48], buf[48];
    snprintf(path, sizeof(path), "/local/domain/%d/name", id);
    uint64_t end = clock_ns() + timeout;
    do {
        if ((xenbus_read(0, path, buf, sizeof(buf)) >= 0) == want)
            return true;
        thread_sleep_ns(NSEC_PER_MSEC);
    } while (clock_ns() < end);
    return false;
}

/* Waits (at most timeout) until the store holds more watches than base: the new domain's front end set its own. */
static bool wait_watch(uint32_t base, uint64_t timeout)
{
    uint64_t end = clock_ns() + timeout;
    do {
        if (xenstored_dom0_watches() > base)
            return true;
        thread_sleep_ns(NSEC_PER_MSEC);
    } while (clock_ns() < end);
    return false;
}

/* Waits (at most timeout) until dom0 has probed want xenbus devices: the new domain's back ends are up. */
static bool wait_backends(unsigned int want, uint64_t timeout)
{
    uint64_t end = clock_ns() + timeout;
    do {
        if (xenbus_devices() >= want)
            return true;
        thread_sleep_ns(NSEC_PER_MSEC);
    } while (clock_ns() < end);
    return false;
}

/* Waits (at most timeout) until the back end of each of dom's devices says Connected. */
bool xl_wait_connected(domid_t dom, uint64_t timeout)
{
    static const char *const types[] = { "vif", "vbd" };
    struct ts_device_info d[TS_MAX_DEVICES];
    uint64_t end = clock_ns() + timeout;
    for (unsigned int t = 0; t < 2; t++) {
        unsigned int n = ts_devices_of(dom, types[t], d, TS_MAX_DEVICES);
        for (unsigned int i = 0; i < n; i++) {
            char bdir[96];
            snprintf(bdir, sizeof(bdir), "/local/domain/%u/backend/%s/%u/%u", d[i].back, types[t], dom, d[i].devid);
            while (xenbus_read_state(0, bdir) != XenbusStateConnected) {
                if (clock_ns() >= end) {
                    char fdir[96];
                    snprintf(fdir, sizeof(fdir), "/local/domain/%u/device/%s/%u", dom, types[t], d[i].devid);
                    printk("leak-loop: %s never connected (back end %d, front end %d; dom0 has dropped %llu watch "
                           "events)\n", bdir, xenbus_read_state(0, bdir), xenbus_read_state(0, fdir),
                           (unsigned long long)xenbus_watch_events_dropped());
                    return false;
                }
                thread_sleep_ns(NSEC_PER_MSEC);
            }
        }
    }
    return true;
}

/*
 * Waits (at most timeout) until the counts equal want: xenstored and the
 * console back end let go of a dead domain's ring (its last frames) when
 * VIRQ_DOM_EXC wakes them, a moment after the hypervisor returned the rest.
 */
bool xl_settle(struct xl_counts *c, const struct xl_counts *want, bool all, uint64_t timeout)
{
    uint64_t end = clock_ns() + timeout;
    for (;;) {
        xl_count(c, all);
        if (xl_same_counts(c, want))
            return true;
        if (clock_ns() >= end)
            return false;
        thread_sleep_ns(NSEC_PER_MSEC);
    }
}

/*
 * leak-loop <cfg> <n> [key=value...]: n times, create the domain, wait until
 * xenstored has introduced it and its front end has set a xenstore watch (so
 * it runs: its vCPU is busy when it is destroyed), destroy it, and wait until every count is
 * back where it was before the loop. A count that does not come back within
 * LOOP_SETTLE_NS names the cycle and domain: the leak is reported where it
 * happened, not 1,000 cycles later.
 */
#define LOOP_WAIT_NS    (30 * NSEC_PER_SEC)     /* generous: TCG on a loaded host */

/*
 * --connected: one cycle before the counts are taken. The first grant dom0
 * maps grows its tables in the hypervisor once (8 frames measured), kept for
 * dom0's life; every later cycle must give back all it took. Waits until
 * the domain's devices are gone and the free frames stay put for 100 ms.
 */
static int warm_up(const struct xl_cfg *c)
{
    struct xl_counts pre, now;
    xl_count(&pre, false);
    int id = xl_create_from(c, true);
    if (id < 0)
        return -1;
    bool ok = xl_wait_store(id, true, LOOP_WAIT_NS) && xl_wait_connected((domid_t)id, LOOP_WAIT_NS);
    int rc = xl_destroy_domain((domid_t)id);
    if (!ok || rc) {
        printk("leak-loop: warm-up: domain %d connected %d, destroy %d\n", id, ok, rc);
        return -1;
    }
    uint64_t end = clock_ns() + LOOP_WAIT_NS, last = 0;
    for (;;) {
        xl_count(&now, false);
        if (now.maps == pre.maps && now.xbdevs == pre.xbdevs && now.devices == pre.devices &&
            now.nodes == pre.nodes && now.free_pages == last)
            break;
        if (clock_ns() >= end) {
            printk("leak-loop: warm-up: the counts did not settle\n");
            return -1;
        }
        last = now.free_pages;
        thread_sleep_ns(100 * NSEC_PER_MSEC);
    }
    printk("leak-loop: warm-up cycle: %lld frames kept\n", (long long)(pre.free_pages - now.free_pages));
    return 0;
}

int xl_cmd_loop(int argc, char **argv)
{
    struct xl_cfg c;
    uint64_t n = 0;
    bool connected = argc >= 1 && !strcmp(argv[0], "--connected");
    if (connected) {
        argc--;
        argv++;
    }
    for (const char *p = argc >= 2 ? argv[1] : ""; *p && n < 100000; p++)
        n = *p >= '0' && *p <= '9' ? n * 10 + (uint64_t)(*p - '0') : 100000;
    if (argc < 2 || n == 0 || n >= 100000) {
        printk("xl: usage: leak-loop [--connected] <cfg> <1..99999> [key=value...]\n");
        return -1;
    }
    argv[1] = argv[0];
    if (xl_load_cfg(&c, argc - 1, argv + 1))
        return -1;
    struct xl_counts before, after, cheap_before;
    if (connected && warm_up(&c))
        return -1;
    xl_count(&before, true);
    xl_print_counts("leak-loop", "before", &before);
    cheap_before = before;
    cheap_before.ports = 0;
    uint64_t t0 = clock_ns(), phase[3] = { 0 };
    bool same = true;
    uint64_t i;
    for (i = 0; i < n && same; i++) {
        uint64_t t = clock_ns();
        int id = xl_create_from(&c, true);
        if (id < 0) {
            printk("leak-loop: cycle %llu: create failed\n", (unsigned long long)i);
            return -1;
        }
        /* Each device's back end (in dom0) watches its other end's state and its own directory. */
        bool introduced = xl_wait_store(id, true, LOOP_WAIT_NS) &&
                          wait_watch(before.watches + 2 * (c.nr_vifs + c.nr_disks), LOOP_WAIT_NS) &&
                          wait_backends(before.xbdevs + c.nr_vifs + c.nr_disks, LOOP_WAIT_NS) &&
                          (!connected || xl_wait_connected((domid_t)id, LOOP_WAIT_NS));
        phase[0] += clock_ns() - t;
        t = clock_ns();
        int rc = xl_destroy_domain((domid_t)id);
        phase[1] += clock_ns() - t;
        t = clock_ns();
        if (!introduced || rc) {
            printk("leak-loop: cycle %llu: domain %d introduced and watching %d, destroy %d\n", (unsigned long long)i,
                   id, introduced, rc);
            return -1;
        }
        if (!xl_settle(&after, &cheap_before, false, LOOP_WAIT_NS)) {
            printk("leak-loop: cycle %llu: domain %d: the counts did not come back\n", (unsigned long long)i, id);
            same = false;
        }
        phase[2] += clock_ns() - t;
        if ((i + 1) % 100 == 0)
            printk("leak-loop: %llu cycles\n", (unsigned long long)(i + 1));
    }
    uint64_t ms = (clock_ns() - t0) / NSEC_PER_MSEC;
    same = same && xl_settle(&after, &before, true, LOOP_WAIT_NS);
    if (!same)
        xl_count(&after, true);
    xl_print_counts("leak-loop", "after", &after);
    printk("leak-loop: per cycle: %llu us to build, start, introduce and see its watch, %llu us to destroy, %llu us until "
           "everything was back\n", (unsigned long long)(phase[0] / 1000 / i),
           (unsigned long long)(phase[1] / 1000 / i), (unsigned long long)(phase[2] / 1000 / i));
    printk("leak-loop: dom0's xenbus has dropped %llu watch events since boot (a full queue)\n",
           (unsigned long long)xenbus_watch_events_dropped());
    printk("leak-loop: %llu create+destroy cycles in %llu ms (%llu.%02llu per second): %s\n", (unsigned long long)i,
           (unsigned long long)ms, (unsigned long long)(i * 1000 / (ms ? ms : 1)),
           (unsigned long long)(i * 100000 / (ms ? ms : 1) % 100), same ? "nothing leaked" : "LEAK");
    return same ? 0 : -1;
}
