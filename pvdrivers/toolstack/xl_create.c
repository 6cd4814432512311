/*
 * xl create: a domain built from an xl.cfg of dom0's archive, its vif= and
 * disk= devices written, its pci= functions assigned, then started; and
 * create --dry-run, which checks a config and creates nothing.
 */
#include <kernel.h>
#include <sched.h>
#include <console/back.h>
#include <public/errno.h>
#include <toolstack/assign.h>
#include <toolstack/builder.h>
#include <toolstack/cpio.h>
#include <toolstack/devices.h>
#include <xen/toolstack.h>
#include <xenbus/xenstored_dom0.h>
#include "xl_internal.h"

/* A back end's domain from xl.cfg's backend= ("" dom0): its id, or -1. */
static int backend_domain(const char *what)
{
    struct pv_domctl_info info;
    domid_t id;
    if (!what[0])
        return 0;
    for (domid_t from = 0; !xl_info_next(from, &id, &info); from = (domid_t)(id + 1)) {
        char num[8];
        snprintf(num, sizeof(num), "%u", id);
        if ((!strcmp(num, what) || !strcmp((const char *)info.name, what)) && !(info.flags & PV_DOMINF_shutdown))
            return id;
    }
    return -1;
}

/*
 * One vif (v) or disk (k) of domain id with devid, written through
 * devices.c as xl writes it: 0, or -1 with err saying why (what = "vif 1").
 */
int xl_write_device(domid_t id, unsigned int devid, const struct xl_vif *v, const struct xl_disk *k, char *err,
                    size_t errlen)
{
    const char *kind = v ? "vif" : "disk", *be = v ? v->backend : k->backend;
    int b = backend_domain(be);
    if (b < 0 || b == id) {
        snprintf(err, errlen, "%s %u: no back end domain '%s'", kind, devid, be);
        return -1;
    }
    struct ts_device d = { .type = v ? "vif" : "vbd", .front = id, .back = (domid_t)b, .devid = devid };
    char mac[18], handle[8], vnum[12], extent[48], params[56];
    if (v) {
        ts_vif_mac(id, devid, v->mac_set ? v->mac : NULL, mac);
        snprintf(handle, sizeof(handle), "%u", devid);
        d.ident = mac;
        d.fkeys[0] = (struct ts_key){ "mac", mac };
        d.fkeys[1] = (struct ts_key){ "handle", handle };
        d.bkeys[0] = (struct ts_key){ "mac", mac };
        d.bkeys[1] = (struct ts_key){ "handle", handle };
        d.bkeys[2] = (struct ts_key){ "bridge", XL_BRIDGE };
    } else {
        snprintf(vnum, sizeof(vnum), "%u", k->vdev_number);
        snprintf(extent, sizeof(extent), "%llu+%llu", (unsigned long long)k->start, (unsigned long long)k->count);
        snprintf(params, sizeof(params), "extent:%s", extent);
        d.ident = k->vdev;
        d.fkeys[0] = (struct ts_key){ "virtual-device", vnum };
        d.fkeys[1] = (struct ts_key){ "device-type", "disk" };
        d.bkeys[0] = (struct ts_key){ "extent", extent };      /* what blkback serves */
        d.bkeys[1] = (struct ts_key){ "params", params };      /* xl's keys, for block-list and people */
        d.bkeys[2] = (struct ts_key){ "dev", k->vdev };
        d.bkeys[3] = (struct ts_key){ "mode", "w" };
        d.bkeys[4] = (struct ts_key){ "type", "phy" };
        d.bkeys[5] = (struct ts_key){ "device-type", "disk" };
    }
    int rc = ts_device_add(&d);
    if (rc) {
        snprintf(err, errlen, "%s %u: writing its directories failed: %d", kind, devid, rc);
        return -1;
    }
    return 0;
}

/*
 * The domain's vif= and disk= devices, written as xl does before it unpauses
 * the domain, once xenstored has introduced it (what we write inherits its
 * /local/domain/<id>): devid 0, 1, ... per type. 0, or -1 after saying why.
 */
static int add_devices(domid_t id, const struct xl_cfg *c)
{
    char err[160];
    if (!c->nr_vifs && !c->nr_disks)
        return 0;
    xenstored_dom0_kick();
    if (!xl_wait_store(id, true, XL_INTRODUCE_WAIT_NS)) {
        printk("xl: error: creating '%s': xenstored did not introduce domain %u\n", c->name, id);
        return -1;
    }
    for (unsigned int i = 0; i < c->nr_vifs + c->nr_disks; i++) {
        bool vif = i < c->nr_vifs;
        unsigned int devid = vif ? i : i - c->nr_vifs;
        if (xl_write_device(id, devid, vif ? &c->vif[devid] : NULL, vif ? NULL : &c->disk[devid], err, sizeof(err))) {
            printk("xl: error: creating '%s': %s\n", c->name, err);
            return -1;
        }
    }
    return 0;
}

/*
 * xl.cfg's pci=: each function given to the new domain, still paused
 * (PV_DOMCTL_assign_device, as the boot-time assign= does), before it runs;
 * the hypervisor hands them back to dom0 when the domain dies. 0, or -1
 * after saying why (the caller destroys the domain, which returns the
 * functions assigned so far).
 */
static int assign_pci(domid_t id, const struct xl_cfg *c)
{
    for (unsigned int i = 0; i < c->nr_pci; i++) {
        uint16_t bdf = c->pci[i];
        unsigned int bus = bdf >> 8, dev = (bdf >> 3) & 31, fn = bdf & 7;
        int64_t rc = ts_assign_op(PV_DOMCTL_assign_device, id, bdf);
        if (rc) {
            const char *why = rc == -XEN_ENODEV ? "no such function" :
                              rc == -XEN_EBUSY ? "in use (assigned to a domain, or its interrupt line is another "
                                                 "domain's)" :
                              rc == -XEN_EINVAL ? "not an endpoint the hypervisor can pass through" :
                              rc == -XEN_ENOSPC ? "8 functions are assigned already" : "refused";
            printk("xl: error: creating '%s': pci %02x:%02x.%u: %s (%lld)\n", c->name, bus, dev, fn, why,
                   (long long)rc);
            return -1;
        }
        printk("xl: pci %02x:%02x.%u assigned to domain %u (%s)\n", bus, dev, fn, id, c->name);
    }
    return 0;
}

/* Builds and unpauses the domain cfg describes: its id, or -1 after saying why. */
int xl_create_from(const struct xl_cfg *c, bool quiet)
{
    struct cpio_file k;
    char err[200];
    if (!xl_archive_file(c->kernel, &k)) {
        printk("xl: error: kernel '%s': no such file in dom0's archive\n", c->kernel);
        return -1;
    }
    struct cpio_file r = { 0 };
    if (c->ramdisk[0] && !xl_archive_file(c->ramdisk, &r)) {
        printk("xl: error: ramdisk '%s': no such file in dom0's archive\n", c->ramdisk);
        return -1;
    }
    /* pci=: the guest waits for each function to appear (pvguest's pci=<bb:dd.f>), as with boot-time assign=. */
    char cmdline[sizeof(c->cmdline) + XL_MAX_PCI * 12];
    size_t len = str_copy(cmdline, c->cmdline, sizeof(cmdline));
    for (unsigned int i = 0; i < c->nr_pci; i++)
        len += (size_t)snprintf(cmdline + len, sizeof(cmdline) - len, "%spci=%02x:%02x.%u", len ? " " : "",
                                c->pci[i] >> 8, (c->pci[i] >> 3) & 31, c->pci[i] & 7);
    uint64_t mem = c->memory_mib << 8, maxmem = (c->maxmem_mib ? c->maxmem_mib : c->memory_mib) << 8;
    struct tsb_args a = { .name = c->name, .kernel = k.data, .kernel_size = k.size, .ramdisk = r.data,
                          .ramdisk_size = r.size, .cmdline = cmdline, .mem_pages = mem, .max_pages = maxmem,
                          .vcpus = c->vcpus };
    domid_t id;
    if (tsb_build(&a, &id, err, sizeof(err))) {
        printk("xl: error: creating '%s': %s\n", c->name, err);
        return -1;
    }
    if (add_devices(id, c) || assign_pci(id, c)) {
        xl_destroy_domain(id);
        return -1;
    }
    struct pv_domctl op = { .cmd = PV_DOMCTL_setschedparams, .domain = id };
    op.u.sched.weight = c->weight;
    op.u.sched.cap = c->cap;
    int rc = (int)xenpv_domctl(&op);
    if (!rc) {
        op = (struct pv_domctl){ .cmd = PV_DOMCTL_unpausedomain, .domain = id };
        rc = (int)xenpv_domctl(&op);
    }
    if (rc) {
        printk("xl: error: starting '%s' failed: %d\n", c->name, rc);
        xl_destroy_domain(id);
        return -1;
    }
    xl_remember(id, c);
    /* As xl introduces a new domain to xenstored (and xenconsoled hears of it): now, not at their next poll. */
    xenstored_dom0_kick();
    console_back_kick();
    if (!quiet)
        printk("xl: created domain %u (%s)\n", id, c->name);
    return id;
}

int xl_load_cfg(struct xl_cfg *c, int argc, char **argv)
{
    struct cpio_file f;
    char err[200];
    xl_cfg_defaults(c);
    if (!xl_archive_file(argv[0], &f)) {
        printk("xl: error: config '%s': no such file in dom0's archive\n", argv[0]);
        return -1;
    }
    printk("Parsing config from %s\n", argv[0]);
    if (xl_cfg_parse(c, (const char *)f.data, f.size, argv[0], err, sizeof(err))) {
        printk("xl: error: %s\n", err);
        return -1;
    }
    for (int i = 1; i < argc; i++)
        if (xl_cfg_line(c, argv[i], strlen(argv[i]), err, sizeof(err))) {
            printk("xl: error: command line '%s': %s\n", argv[i], err);
            return -1;
        }
    if (xl_cfg_check(c, err, sizeof(err))) {
        printk("xl: error: %s: %s\n", argv[0], err);
        return -1;
    }
    return 0;
}

static int cmd_dry_run(int argc, char **argv);

int xl_cmd_create(int argc, char **argv)
{
    struct xl_cfg c;
    if (argc >= 1 && (!strcmp(argv[0], "--dry-run") || !strcmp(argv[0], "-n"))) {
        argc--;
        argv++;
        if (argc < 1) {
            printk("xl: usage: create --dry-run <cfg> [key=value...]\n");
            return -1;
        }
        return cmd_dry_run(argc, argv);
    }
    if (argc < 1) {
        printk("xl: usage: create [--dry-run] <cfg> [key=value...]\n");
        return -1;
    }
    if (xl_load_cfg(&c, argc, argv))
        return -1;
    uint64_t t0 = clock_ns();
    int id = xl_create_from(&c, false);
    if (id >= 0)
        printk("xl: domain %d built and started in %llu us\n", id, (unsigned long long)((clock_ns() - t0) / 1000));
    return id < 0 ? -1 : 0;
}

/* create --dry-run <cfg> [key=value...]: every error with its line; nothing is created. */
static void dry_report(void *ctx, const char *msg)
{
    (void)ctx;
    printk("xl: error: %s\n", msg);
}

static int cmd_dry_run(int argc, char **argv)
{
    struct xl_cfg c;
    struct cpio_file f, k;
    char err[200];
    xl_cfg_defaults(&c);
    if (!xl_archive_file(argv[0], &f)) {
        printk("xl: error: config '%s': no such file in dom0's archive\n", argv[0]);
        return -1;
    }
    printk("Parsing config from %s\n", argv[0]);
    unsigned int errors = xl_cfg_parse_each(&c, (const char *)f.data, f.size, argv[0], dry_report, NULL);
    for (int i = 1; i < argc; i++)
        if (xl_cfg_line(&c, argv[i], strlen(argv[i]), err, sizeof(err))) {
            printk("xl: error: command line '%s': %s\n", argv[i], err);
            errors++;
        }
    if (xl_cfg_check(&c, err, sizeof(err))) {
        printk("xl: error: %s: %s\n", argv[0], err);
        errors++;
    } else {
        if (!xl_archive_file(c.kernel, &k)) {
            printk("xl: error: %s: kernel '%s': no such file in dom0's archive\n", argv[0], c.kernel);
            errors++;
        }
        if (c.ramdisk[0] && !xl_archive_file(c.ramdisk, &k)) {
            printk("xl: error: %s: ramdisk '%s': no such file in dom0's archive\n", argv[0], c.ramdisk);
            errors++;
        }
    }
    if (errors) {
        printk("xl: dry run: %s: %u error%s; nothing created\n", argv[0], errors, errors == 1 ? "" : "s");
        return -1;
    }
    printk("xl: dry run: %s is good: name %s, kernel %s%s%s, memory %llu MiB, vcpus %u, weight %u, cap %u, "
           "%u vif%s, %u disk%s; nothing created\n", argv[0], c.name, c.kernel, c.ramdisk[0] ? ", ramdisk " : "",
           c.ramdisk, (unsigned long long)c.memory_mib, c.vcpus, c.weight, c.cap, c.nr_vifs, c.nr_vifs == 1 ? "" : "s",
           c.nr_disks, c.nr_disks == 1 ? "" : "s");
    return 0;
}
