/*
 * xl on dom0's serial console (boot option xl=yes or xl=after): the command
 * line, its thread and its dispatch to the commands of xl_info.c, xl_create.c,
 * xl_devcmd.c, xl_life.c, xl_loop.c and xl_soak.c; dom0's archive, whose
 * configs and kernels create builds from (the ramdisk, a cpio archive); and
 * console <dom>, here because it reads the serial input the prompt reads.
 */
#include <cmdline.h>
#include <console/back.h>
#include <kernel.h>
#include <sched.h>
#include <public/errno.h>
#include <toolstack/cpio.h>
#include <xen/services.h>
#include <xen/toolstack.h>
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

/* ---- dom0's archive: the ramdisk of configs and kernels (start_info's module) ---- */

static const uint8_t *archive;
static size_t archive_len;

bool xl_archive_file(const char *name, struct cpio_file *f)
{
    char alt[80];
    if (archive && cpio_find(archive, archive_len, name, f))
        return true;
    snprintf(alt, sizeof(alt), "xl/%s", name);
    return archive && cpio_find(archive, archive_len, alt, f);
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

/* ---- the command line: help, dispatch, the thread, start and wait ---- */

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
