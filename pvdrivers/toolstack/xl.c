/*
 * xl on dom0's serial console (boot option xl=yes): create, list, destroy,
 * pause, unpause, shutdown, console, help, and a create+destroy leak loop.
 * Configs and kernels are files of dom0's ramdisk, a cpio archive.
 */
#include <cmdline.h>
#include <console/back.h>
#include <kernel.h>
#include <mm.h>
#include <sched.h>
#include <public/errno.h>
#include <public/sched.h>
#include <public/version.h>
#include <block/blkback.h>
#include <net/netback.h>
#include <toolstack/assign.h>
#include <toolstack/builder.h>
#include <toolstack/cpio.h>
#include <toolstack/devices.h>
#include <toolstack/xl_cfg.h>
#include <xen/services.h>
#include <xen/toolstack.h>
#include <xenbus/xenbus.h>
#include <xenbus/xenstored_dom0.h>
#include "xl_internal.h"

#define LINE_MAX    256
#define IN_SIZE     512
#define POLL_NS     (200 * NSEC_PER_MSEC)
#define MAX_ARGS    12

static bool enabled;
static volatile bool done;
static struct semaphore input_ready, finished;
static char in_buf[IN_SIZE];
static volatile unsigned int in_prod, in_cons;

/*
 * xl=yes: the prompt from dom0's start. xl=after: only once dom0's own run
 * is over and the domains it waits for (wait=) have ended, instead of
 * powering off (make run's interactive-dom0 option for default.scn).
 */
static bool after_domains;

static bool set_xl(const char *v)
{
    if (v && strcmp(v, "yes") && strcmp(v, "after"))
        return false;
    enabled = true;
    after_domains = v && !strcmp(v, "after");
    return true;
}
KERNEL_OPTION("xl", set_xl);

/* From the console's input event: bytes into our buffer (dropped when full), the thread woken. */
static void input_hook(const char *buf, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (in_prod - in_cons >= IN_SIZE)
            break;
        in_buf[in_prod % IN_SIZE] = buf[i];
        __atomic_store_n(&in_prod, in_prod + 1, __ATOMIC_RELEASE);
    }
    sem_up(&input_ready);
}

/* VIRQ_DOM_EXC: a domain shut down; the thread looks at ours (reap) without waiting for its poll. */
static void dom_exc_event(void *arg)
{
    (void)arg;
    sem_up(&input_ready);
}

static bool input_byte(char *c)
{
    if (in_cons == __atomic_load_n(&in_prod, __ATOMIC_ACQUIRE))
        return false;
    *c = in_buf[in_cons % IN_SIZE];
    in_cons++;
    return true;
}

static const uint8_t *archive;
static size_t archive_len;

static bool archive_file(const char *name, struct cpio_file *f)
{
    char alt[80];
    if (archive && cpio_find(archive, archive_len, name, f))
        return true;
    snprintf(alt, sizeof(alt), "xl/%s", name);
    return archive && cpio_find(archive, archive_len, alt, f);
}

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
    if (!archive_file(c->kernel, &k)) {
        printk("xl: error: kernel '%s': no such file in dom0's archive\n", c->kernel);
        return -1;
    }
    struct cpio_file r = { 0 };
    if (c->ramdisk[0] && !archive_file(c->ramdisk, &r)) {
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
    if (!archive_file(argv[0], &f)) {
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
    if (!archive_file(argv[0], &f)) {
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
        if (!archive_file(c.kernel, &k)) {
            printk("xl: error: %s: kernel '%s': no such file in dom0's archive\n", argv[0], c.kernel);
            errors++;
        }
        if (c.ramdisk[0] && !archive_file(c.ramdisk, &k)) {
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

/* ---- console <dom> ---- */

static int cmd_console(const char *what)
{
    int id = xl_find_domain(what);
    if (id < 0)
        return -1;
    if (id == 0) {
        printk("xl: error: console: Domain-0's console is this one\n");
        return -1;
    }
    /*
     * The console back end sends serial input to the domain's `in` ring and
     * prints only its "[name] text" lines (the other domains' are suppressed
     * and counted) until Ctrl-] (0x1d), as xl console does; that byte still
     * reaches us. The domain going away detaches too.
     */
    int rc = console_back_attach((domid_t)id);
    if (rc == -XEN_ENODEV) {
        printk("xl: error: console: domain %d has no console ring dom0 serves (none, or it is not running)\n", id);
        return -1;
    }
    if (rc) {
        printk("xl: error: console: attaching to domain %d failed: %d\n", id, rc);
        return -1;
    }
    printk("xl: console of domain %d: input goes to it, its lines show as [name]; Ctrl-] leaves\n", id);
    bool left = false, attached = true;
    while (!left && attached) {
        /* Looked at before the input: the back end detaches on Ctrl-] before it hands us the byte. */
        attached = console_back_attached() == id;
        char ch;
        while (!left && input_byte(&ch))
            left = ch == 0x1d;
        if (!left && attached)
            sem_down_timeout(&input_ready, POLL_NS);
    }
    uint64_t hidden = console_back_detach();
    printk("xl: %s the console of domain %d (%llu line%s of other domains suppressed meanwhile)\n",
           left ? "left" : "lost", id, (unsigned long long)hidden, hidden == 1 ? "" : "s");
    return left ? 0 : -1;
}

static void help(void)
{
    printk("xl commands:\n"
           "  create <cfg> [key=value...]   build and start a domain from a config in dom0's archive\n"
           "  create --dry-run <cfg>        check a config, naming every error with its line; create nothing\n"
           "  list                          domains: Name ID Mem VCPUs State Time(s)\n"
           "  destroy <dom>                 stop a domain at once and free it\n"
           "  shutdown <dom> | reboot <dom> ask a domain to power off or reboot (its control/shutdown)\n"
           "  pause <dom> | unpause <dom>\n"
           "  console <dom>                 its console: input goes to it, others' lines hidden; Ctrl-] leaves\n"
           "  network-list <dom>            its vifs: Idx BE Mac Addr. handle state evt-ch tx-/rx-ring-ref BE-path\n"
           "  block-list <dom>              its disks: Vdev BE handle state evt-ch ring-ref BE-path\n"
           "  network-attach <dom> [<vif spec>]      add a vif (vif= syntax) with the next devid\n"
           "  block-attach <dom> <disk spec>         add a disk (disk= syntax) with the next devid\n"
           "  network-detach <dom> <devid|mac>       remove a vif as destroy does (front end, then back end)\n"
           "  block-detach <dom> <devid|vdev>        remove a disk the same way\n"
           "  info                          hypervisor version, CPUs and memory\n"
           "  dmesg                         the hypervisor's console ring (there is none: says so)\n"
           "  vcpu-list [<dom>]             vCPUs: Name ID VCPU CPU State Time(s) Affinity\n"
           "  sched-credit [-d <dom> [-w N] [-c N]]  read or set weight (1..65535) and cap (0..100)\n"
           "  files                         configs and kernels in dom0's archive\n"
           "  leak-loop [--connected] <cfg> <n>  create and destroy n times; counts must come back\n"
           "  trigger <dom> fault|hang      debug: its next back-end request faults, or it hangs (control/trigger)\n"
           "  soak-driver <drv> <n> <g>[,<g>...]  kill and restart driver domain drv n times under the guests' I/O\n"
           "  quit                          power dom0 (and the machine) off\n");
}

static int run(int argc, char **argv)
{
    const char *c = argv[0];
    if (!strcmp(c, "help"))
        help();
    else if (!strcmp(c, "list"))
        return xl_cmd_list();
    else if (!strcmp(c, "create"))
        return xl_cmd_create(argc - 1, argv + 1);
    else if (!strcmp(c, "info"))
        return xl_cmd_info();
    else if (!strcmp(c, "dmesg"))
        return xl_cmd_dmesg();
    else if (!strcmp(c, "vcpu-list"))
        return xl_cmd_vcpu_list(argc - 1, argv + 1);
    else if (!strcmp(c, "sched-credit"))
        return xl_cmd_sched_credit(argc - 1, argv + 1);
    else if (!strcmp(c, "leak-loop"))
        return xl_cmd_loop(argc - 1, argv + 1);
    else if (!strcmp(c, "soak-driver"))
        return xl_cmd_soak(argc - 1, argv + 1);
    else if (!strcmp(c, "trigger"))
        return xl_cmd_trigger(argc - 1, argv + 1);
    else if (!strcmp(c, "network-attach") || !strcmp(c, "block-attach"))
        return xl_cmd_attach(argc, argv, c[0] == 'n');
    else if (!strcmp(c, "network-detach") || !strcmp(c, "block-detach"))
        return xl_cmd_detach(argc, argv, c[0] == 'n');
    else if (!strcmp(c, "files")) {
        size_t pos = 0;
        struct cpio_file f;
        bool bad = false;
        while (archive && cpio_next(archive, archive_len, &pos, &f, &bad))
            printk("  %-40s %8llu bytes\n", f.name, (unsigned long long)f.size);
        if (bad)
            printk("xl: error: the archive is malformed after offset %llu\n", (unsigned long long)pos);
    } else if (!strcmp(c, "quit"))
        done = true;
    else if (strcmp(c, "destroy") && strcmp(c, "pause") && strcmp(c, "unpause") && strcmp(c, "console") &&
             strcmp(c, "shutdown") && strcmp(c, "reboot") && strcmp(c, "network-list") && strcmp(c, "block-list"))
        printk("xl: error: unknown command '%s' (try help)\n", c);
    else if (argc != 2)
        printk("xl: error: usage: %s <domain>\n", c);
    else if (!strcmp(c, "destroy"))
        return xl_cmd_simple(PV_DOMCTL_destroydomain, argv[1], "destroy");
    else if (!strcmp(c, "pause"))
        return xl_cmd_simple(PV_DOMCTL_pausedomain, argv[1], "pause");
    else if (!strcmp(c, "unpause"))
        return xl_cmd_simple(PV_DOMCTL_unpausedomain, argv[1], "unpause");
    else if (!strcmp(c, "console"))
        return cmd_console(argv[1]);
    else if (!strcmp(c, "network-list") || !strcmp(c, "block-list"))
        return xl_cmd_dev_list(argv[1], c[0] == 'n');
    else if (!strcmp(c, "shutdown") || !strcmp(c, "reboot"))
        return xl_cmd_shutdown(argv[1], c);
    return 0;
}

static void xl_thread(void *arg)
{
    (void)arg;
    char line[LINE_MAX];
    size_t len = 0;
    const struct start_info *si = xenpv_start_info();
    if (si->mod_start && si->mod_len) {
        archive = (const uint8_t *)si->mod_start;
        archive_len = si->mod_len;
    }
    printk("xl: dom0's toolstack is ready; %s; type help\n", archive ? "configs and kernels from the ramdisk" :
                                                                "no ramdisk: nothing to create");
    printk("xl>\n");
    while (!done) {
        char ch;
        if (!input_byte(&ch)) {
            sem_down_timeout(&input_ready, POLL_NS);   /* input, or POLL_NS without: look at our domains */
            xl_reap();
            continue;
        }
        if (ch != '\r' && ch != '\n') {
            if (len + 1 < sizeof(line) && ch >= 0x20 && ch < 0x7f)
                line[len++] = ch;
            continue;
        }
        line[len] = '\0';
        len = 0;
        if (line[0])
            printk("xl> %s\n", line);
        char *argv[MAX_ARGS];
        int argc = 0;
        for (char *p = line; *p && argc < MAX_ARGS;) {
            while (*p == ' ')
                *p++ = '\0';
            if (!*p)
                break;
            argv[argc++] = p;
            while (*p && *p != ' ')
                p++;
        }
        if (!argc)
            continue;
        run(argc, argv);
        if (!done)
            printk("xl>\n");
    }
    printk("xl: quit\n");
    sem_up(&finished);
    thread_exit();
}

static void xl_start(void)
{
    sem_init(&input_ready, 0);
    sem_init(&finished, 0);
    console_set_input_hook(input_hook);
    if (xenpv_dom_exc_subscribe(dom_exc_event, NULL))
        printk("xl: no VIRQ_DOM_EXC: domains that shut down are noticed by a poll\n");
    if (!thread_create("xl", xl_thread, NULL)) {
        console_set_input_hook(NULL);
        enabled = false;
    }
}

void toolstack_xl_start(void)
{
    if (enabled && !after_domains && xenpv_is_dom0())
        xl_start();
}

void toolstack_xl_wait(void)
{
    if (enabled && !after_domains)
        sem_down(&finished);
}

void toolstack_xl_after_domains(void)
{
    if (!enabled || !after_domains || !xenpv_is_dom0())
        return;
    printk("xl: the domains dom0 waited for have ended; the prompt instead of powering off (quit ends it)\n");
    xl_start();
    if (enabled)
        sem_down(&finished);
}
