/*
 * xl's read-outs of the domains and the hypervisor: a domain found by id or
 * name, list, info, dmesg, vcpu-list and sched-credit.
 */
#include <kernel.h>
#include <public/sched.h>
#include <public/version.h>
#include <xen/toolstack.h>
#include "xl_internal.h"

/* ---- domains by id or name, list ---- */

int xl_info_next(domid_t from, domid_t *id, struct pv_domctl_info *info)
{
    struct pv_domctl op = { .cmd = PV_DOMCTL_getdomaininfo_next, .domain = from };
    int rc = (int)xenpv_domctl(&op);
    if (!rc) {
        *id = op.domain;
        *info = op.u.info;
    }
    return rc;
}

/* A domain named by id or name: its id, or -1 after saying why. */
int xl_find_domain(const char *what)
{
    struct pv_domctl_info info;
    domid_t id;
    bool numeric = *what != '\0';
    unsigned int n = 0;
    for (const char *p = what; *p; p++) {
        if (*p < '0' || *p > '9' || n > 65535)
            numeric = false;
        else
            n = n * 10 + (unsigned int)(*p - '0');
    }
    for (domid_t from = 0; !xl_info_next(from, &id, &info); from = (domid_t)(id + 1))
        if ((numeric && id == n) || !strcmp((const char *)info.name, what))
            return id;
    printk("xl: error: no domain '%s'\n", what);
    return -1;
}

static const char *state_letters(const struct pv_domctl_info *i, char *s)
{
    bool stopped = i->flags & (PV_DOMINF_shutdown | PV_DOMINF_stopping);
    bool crashed = stopped && i->shutdown_reason == SHUTDOWN_crash;
    bool paused = !stopped && (i->flags & PV_DOMINF_paused);
    bool blocked = !stopped && !paused && (i->flags & PV_DOMINF_blocked);
    s[0] = !stopped && !paused && !blocked ? 'r' : '-';
    s[1] = blocked ? 'b' : '-';
    s[2] = paused ? 'p' : '-';
    s[3] = stopped && !crashed ? 's' : '-';
    s[4] = crashed ? 'c' : '-';
    s[5] = i->flags & PV_DOMINF_stopping ? 'd' : '-';
    s[6] = '\0';
    return s;
}

int xl_cmd_list(void)
{
    struct pv_domctl_info info;
    domid_t id;
    char st[8];
    printk("Name                                        ID   Mem VCPUs\tState\tTime(s)\n");
    for (domid_t from = 0; !xl_info_next(from, &id, &info); from = (domid_t)(id + 1)) {
        uint64_t ds = info.cpu_time / 100000000ull;     /* tenths of a second */
        printk("%-40s %5u %5llu %5u     %s %8llu.%llu\n", (const char *)info.name, id,
               (unsigned long long)(info.tot_pages >> 8), info.nr_vcpus, state_letters(&info, st),
               (unsigned long long)(ds / 10), (unsigned long long)(ds % 10));
    }
    return 0;
}

/* ---- info, dmesg, vcpu-list, sched-credit ---- */

/* xl info's "key : value" lines, the keys padded as xl pads them. */
int xl_cmd_info(void)
{
    struct pv_domctl op = { .cmd = PV_DOMCTL_physinfo };
    int rc = (int)xenpv_domctl(&op);
    if (rc) {
        printk("xl: error: info: physinfo failed: %d\n", rc);
        return -1;
    }
    int64_t ver = xenpv_xen_version(XENVER_version, NULL);
    xen_extraversion_t extra = { 0 };
    if (xenpv_xen_version(XENVER_extraversion, extra))
        extra[0] = '\0';
    extra[sizeof(extra) - 1] = '\0';
    const struct pv_domctl_physinfo *pi = &op.u.physinfo;
    printk("%-23s: %llu\n", "xen_major", (unsigned long long)(ver >> 16));
    printk("%-23s: %llu\n", "xen_minor", (unsigned long long)(ver & 0xffff));
    printk("%-23s: %s\n", "xen_extra", (const char *)extra);
    printk("%-23s: %llu.%llu%s\n", "xen_version", (unsigned long long)(ver >> 16), (unsigned long long)(ver & 0xffff),
           (const char *)extra);
    printk("%-23s: %u\n", "nr_cpus", pi->nr_cpus);
    printk("%-23s: %llu\n", "total_memory", (unsigned long long)(pi->total_pages >> 8));
    printk("%-23s: %llu\n", "free_memory", (unsigned long long)(pi->free_pages >> 8));
    printk("%-23s: %u\n", "xl_domctl_version", PV_DOMCTL_INTERFACE_VERSION);
    return 0;
}

/*
 * xl dmesg reads Xen's console ring (XEN_SYSCTL_readconsole). Our hypervisor
 * keeps no such ring: printk goes straight to the serial line, which is this
 * very console, so there is nothing to read back. Said plainly, not faked.
 */
int xl_cmd_dmesg(void)
{
    printk("xl: error: dmesg: the hypervisor keeps no console ring; its log went only to the serial line "
           "(this console)\n");
    return -1;
}

/* One domain's vCPUs as xl vcpu-list prints them (no pinning here: every vCPU may run anywhere). */
static void vcpu_rows(domid_t id, const struct pv_domctl_info *info)
{
    for (uint32_t n = 0; n < info->nr_vcpus; n++) {
        struct pv_domctl op = { .cmd = PV_DOMCTL_getvcpuinfo, .domain = id };
        op.u.vcpuinfo.vcpu = n;
        if (xenpv_domctl(&op))
            continue;
        const struct pv_domctl_vcpuinfo *vi = &op.u.vcpuinfo;
        char cpu[12], st[4];
        if (vi->online)
            snprintf(cpu, sizeof(cpu), "%u", vi->cpu);
        else
            str_copy(cpu, "-", sizeof(cpu));
        st[0] = vi->online && vi->running ? 'r' : '-';
        st[1] = vi->online && vi->blocked ? 'b' : '-';
        st[2] = vi->online ? '-' : 'p';
        st[3] = '\0';
        uint64_t ds = vi->cpu_time / 100000000ull;
        printk("%-32s %5u %5u %5s %5s %7llu.%llu all / all\n", (const char *)info->name, id, n, cpu, st,
               (unsigned long long)(ds / 10), (unsigned long long)(ds % 10));
    }
}

int xl_cmd_vcpu_list(int argc, char **argv)
{
    struct pv_domctl_info info;
    domid_t id;
    int only = -1;
    if (argc > 1) {
        printk("xl: error: usage: vcpu-list [<domain>]\n");
        return -1;
    }
    if (argc == 1 && (only = xl_find_domain(argv[0])) < 0)
        return -1;
    printk("%-32s %5s %5s %5s %5s %9s %s\n", "Name", "ID", "VCPU", "CPU", "State", "Time(s)",
           "Affinity (Hard / Soft)");
    for (domid_t from = 0; !xl_info_next(from, &id, &info); from = (domid_t)(id + 1))
        if (only < 0 || id == only)
            vcpu_rows(id, &info);
    return 0;
}

/* A decimal within [lo, hi], else false (what xl sched-credit accepts for -w and -c). */
static bool sched_number(const char *v, uint32_t lo, uint32_t hi, uint32_t *out)
{
    uint64_t n = 0;
    if (!*v)
        return false;
    for (; *v; v++) {
        if (*v < '0' || *v > '9' || (n = n * 10 + (uint64_t)(*v - '0')) > hi)
            return false;
    }
    if (n < lo)
        return false;
    *out = (uint32_t)n;
    return true;
}

/*
 * sched-credit [-d <dom> [-w N] [-c N]]: without -w or -c, the weight and cap
 * of one domain (or all); with them, set through PV_DOMCTL_setschedparams,
 * keeping the one not given. Weight 1..65535, cap 0..100 percent (0: none).
 */
int xl_cmd_sched_credit(int argc, char **argv)
{
    const char *dom = NULL, *w = NULL, *cp = NULL;
    for (int i = 0; i < argc; i++) {
        const char **slot = !strcmp(argv[i], "-d") ? &dom : !strcmp(argv[i], "-w") ? &w :
                            !strcmp(argv[i], "-c") ? &cp : NULL;
        if (!slot || i + 1 >= argc || *slot) {
            printk("xl: error: usage: sched-credit [-d <domain> [-w <weight>] [-c <cap>]]\n");
            return -1;
        }
        *slot = argv[++i];
    }
    if ((w || cp) && !dom) {
        printk("xl: error: sched-credit: -w and -c need -d <domain>\n");
        return -1;
    }
    uint32_t weight = 0, cap = 0;
    if (w && !sched_number(w, 1, 65535, &weight)) {
        printk("xl: error: sched-credit: weight '%s' is not 1 to 65535\n", w);
        return -1;
    }
    if (cp && !sched_number(cp, 0, 100, &cap)) {
        printk("xl: error: sched-credit: cap '%s' is not 0 to 100 (percent of a CPU, 0 for none)\n", cp);
        return -1;
    }
    int only = -1;
    if (dom && (only = xl_find_domain(dom)) < 0)
        return -1;
    struct pv_domctl op = { .cmd = PV_DOMCTL_getdomaininfo, .domain = (domid_t)(only < 0 ? 0 : only) };
    if (w || cp) {
        int rc = (int)xenpv_domctl(&op);
        if (!rc) {
            struct pv_domctl set = { .cmd = PV_DOMCTL_setschedparams, .domain = (domid_t)only };
            set.u.sched.weight = w ? weight : op.u.info.weight;
            set.u.sched.cap = cp ? cap : op.u.info.cap;
            rc = (int)xenpv_domctl(&set);
        }
        if (rc) {
            printk("xl: error: sched-credit: setting domain %d's parameters failed: %d\n", only, rc);
            return -1;
        }
        return 0;
    }
    struct pv_domctl_info info;
    domid_t id;
    printk("%-33s %4s %6s %4s\n", "Name", "ID", "Weight", "Cap");
    for (domid_t from = 0; !xl_info_next(from, &id, &info); from = (domid_t)(id + 1))
        if (only < 0 || id == only)
            printk("%-33s %4u %6u %4u\n", (const char *)info.name, id, info.weight, info.cap);
    return 0;
}
