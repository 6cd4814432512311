/*
 * xl's device commands on a running domain: network-list and block-list,
 * network-attach and block-attach, network-detach and block-detach.
 */
#include <kernel.h>
#include <public/domctl.h>
#include <toolstack/devices.h>
#include <xen/toolstack.h>
#include <xenbus/xenbus.h>
#include "xl_internal.h"

/* ---- network-list, block-list ---- */

/* A number the front end wrote in its directory (the guest owns it: any text), or -1. */
static int front_int(const char *fdir, const char *key)
{
    char path[128];
    int v;
    snprintf(path, sizeof(path), "%s/%s", fdir, key);
    return xenbus_read_int(0, path, &v) ? -1 : v;
}

/*
 * network-list <dom> / block-list <dom>: xl's columns, read as xl reads them:
 * the front end's state, event channel and ring references from its
 * directory, the rest from what the toolstack wrote.
 */
int xl_cmd_dev_list(const char *what, bool net)
{
    int id = xl_find_domain(what);
    if (id < 0)
        return -1;
    struct ts_device_info d[XL_MAX_VIFS > XL_MAX_DISKS ? XL_MAX_VIFS : XL_MAX_DISKS];
    unsigned int n = ts_devices_of((domid_t)id, net ? "vif" : "vbd", d, sizeof(d) / sizeof(d[0]));
    printk(net ? "Idx BE Mac Addr.         handle state evt-ch   tx-/rx-ring-ref BE-path\n"
               : "Vdev  BE  handle state evt-ch ring-ref BE-path\n");
    for (unsigned int i = 0; i < n; i++) {
        char fdir[96], bdir[96], path[128], mac[20] = "-";
        snprintf(fdir, sizeof(fdir), "/local/domain/%u/device/%s/%u", id, d[i].type, d[i].devid);
        snprintf(bdir, sizeof(bdir), "/local/domain/%u/backend/%s/%u/%u", d[i].back, d[i].type, id, d[i].devid);
        int state = front_int(fdir, "state"), evtch = front_int(fdir, "event-channel");
        if (net) {
            snprintf(path, sizeof(path), "%s/mac", bdir);
            if (xenbus_read(0, path, mac, sizeof(mac)) <= 0)
                str_copy(mac, "-", sizeof(mac));
            printk("%-3u %-2u %-17s %-6u %-5d %-6d %5d/%-5d %s\n", d[i].devid, d[i].back, mac, d[i].devid, state,
                   evtch, front_int(fdir, "tx-ring-ref"), front_int(fdir, "rx-ring-ref"), bdir);
        } else {
            printk("%-5d %-3u %-6u %-5d %-6d %-8d %s\n", front_int(fdir, "virtual-device"), d[i].back, d[i].devid,
                   state, evtch, front_int(fdir, "ring-ref"), bdir);
        }
    }
    return 0;
}

/* ---- network-attach, block-attach, network-detach, block-detach ---- */

/* The domain a device goes to or from: not dom0, not shut down; its id, or -1 after saying why. */
static int device_domain(const char *cmd, const char *what)
{
    int id = xl_find_domain(what);
    if (id < 0)
        return -1;
    if (id == 0) {
        printk("xl: error: %s: Domain-0's devices come from its boot options, not from xl\n", cmd);
        return -1;
    }
    struct pv_domctl op = { .cmd = PV_DOMCTL_getdomaininfo, .domain = (domid_t)id };
    if (xenpv_domctl(&op) || (op.u.info.flags & (PV_DOMINF_shutdown | PV_DOMINF_stopping))) {
        printk("xl: error: %s: domain %d has shut down\n", cmd, id);
        return -1;
    }
    return id;
}

/*
 * network-attach <dom> [<vif spec>...] / block-attach <dom> <disk spec>...:
 * as xl, the words after the domain are one spec (xl_spec_join: joined
 * with commas, quotes dropped), parsed by xl_cfg.c
 * as an entry of vif= or disk=. The device's devid is one more than the
 * highest of its type in the domain (libxl's next free id), at most
 * XL_MAX_VIFS / XL_MAX_DISKS of a type as in a config; a disk's vdev must be
 * new in the domain. Written through devices.c as create writes them.
 */
int xl_cmd_attach(int argc, char **argv, bool net)
{
    const char *cmd = argv[0], *kind = net ? "vif" : "disk";
    if (argc < (net ? 2 : 3)) {
        printk("xl: error: usage: %s <domain> %s\n", cmd, net ? "[<vif spec>...]" : "<disk spec>...");
        return -1;
    }
    char spec[256], err[160];
    if (xl_spec_join(spec, sizeof(spec), (const char *const *)argv + 2, (unsigned int)argc - 2)) {
        printk("xl: error: %s: the spec is too long\n", cmd);
        return -1;
    }
    struct xl_vif v;
    struct xl_disk k;
    if (net ? xl_vif_parse(&v, spec, err, sizeof(err)) : xl_disk_parse(&k, spec, err, sizeof(err))) {
        printk("xl: error: %s: %s '%s': %s\n", cmd, kind, spec, err);
        return -1;
    }
    int id = device_domain(cmd, argv[1]);
    if (id < 0)
        return -1;
    struct ts_device_info d[TS_MAX_DEVICES];
    unsigned int n = ts_devices_of((domid_t)id, net ? "vif" : "vbd", d, TS_MAX_DEVICES), devid = 0;
    for (unsigned int i = 0; i < n; i++) {
        if (!net && !strcmp(d[i].ident, k.vdev)) {
            printk("xl: error: %s: domain %d has a disk %s already (devid %u)\n", cmd, id, k.vdev, d[i].devid);
            return -1;
        }
        devid = d[i].devid + 1 > devid ? d[i].devid + 1 : devid;
    }
    unsigned int max = net ? XL_MAX_VIFS : XL_MAX_DISKS;
    if (n >= max) {
        printk("xl: error: %s: domain %d has %u %ss already (at most %u)\n", cmd, id, n, kind, max);
        return -1;
    }
    if (devid >= TS_MAX_DEVICES) {
        printk("xl: error: %s: domain %d's %ss have devids up to %u (the toolstack's are below %u)\n", cmd, id, kind,
               devid - 1, TS_MAX_DEVICES);
        return -1;
    }
    if (!xl_wait_store(id, true, XL_INTRODUCE_WAIT_NS)) {
        printk("xl: error: %s: xenstored has not introduced domain %d\n", cmd, id);
        return -1;
    }
    if (xl_write_device((domid_t)id, devid, net ? &v : NULL, net ? NULL : &k, err, sizeof(err))) {
        printk("xl: error: %s: %s\n", cmd, err);
        return -1;
    }
    printk("xl: attached %s %u to domain %d\n", kind, devid, id);
    return 0;
}

/*
 * network-detach <dom> <devid|mac> / block-detach <dom> <devid|vdev>: one
 * device the toolstack wrote, removed as destroy removes them (the front
 * end's directory, then the back end's, then the parents left empty).
 */
int xl_cmd_detach(int argc, char **argv, bool net)
{
    const char *cmd = argv[0], *kind = net ? "vif" : "disk";
    if (argc != 3) {
        printk("xl: error: usage: %s <domain> %s\n", cmd, net ? "<devid|mac>" : "<devid|vdev>");
        return -1;
    }
    int id = device_domain(cmd, argv[1]);
    if (id < 0)
        return -1;
    const char *which = argv[2];
    char lower[20];
    size_t i = 0;
    for (; which[i] && i + 1 < sizeof(lower); i++)
        lower[i] = which[i] >= 'A' && which[i] <= 'Z' ? (char)(which[i] - 'A' + 'a') : which[i];
    lower[i] = '\0';
    bool numeric = *which && strlen(which) < 6;
    for (const char *p = which; *p; p++)
        numeric = numeric && *p >= '0' && *p <= '9';
    struct ts_device_info d[TS_MAX_DEVICES];
    unsigned int n = ts_devices_of((domid_t)id, net ? "vif" : "vbd", d, TS_MAX_DEVICES);
    const struct ts_device_info *found = NULL;
    for (unsigned int j = 0; j < n && !found; j++) {
        char num[8];
        snprintf(num, sizeof(num), "%u", d[j].devid);
        if (numeric ? !strcmp(num, which) : !strcmp(d[j].ident, lower))
            found = &d[j];
    }
    if (!found) {
        printk("xl: error: %s: domain %d has no %s '%s'\n", cmd, id, kind, which);
        return -1;
    }
    int rc = ts_device_remove((domid_t)id, found->type, found->devid);
    if (rc) {
        printk("xl: error: %s: removing %s %u of domain %d failed: %d\n", cmd, kind, found->devid, id, rc);
        return -1;
    }
    printk("xl: detached %s %u (%s) from domain %d\n", kind, found->devid, found->ident, id);
    return 0;
}
