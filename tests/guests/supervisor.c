/*
 * Supervisor: a dom0 that waits for the other boot domains to finish and
 * reports how each ended. Command line: expect=<name>:<reason>[,<name>:<reason>...]
 * with reason poweroff, reboot, suspend or crash. It checks each domain
 * stopped with that reason and that its memory was returned. With hash=yes
 * it also fills its spare memory with a pattern first and checks, once every
 * other domain has ended, that the xxHash of that memory is unchanged. With
 * foreign=<name> it first works on that domain's memory the way a toolstack
 * does: grows its reservation, maps the new frame, gives it back. With
 * shares=<name>:<percent>,... after=<ms> it sleeps that long and checks each
 * named domain's share of their CPU time is within 3 points of the percent.
 * With pause=<name> it pauses that domain and checks it gets no CPU, then
 * unpauses it. With ready=<name> (and hash=yes) it offers that domain an
 * unbound event-channel port once the guarded memory is filled and hashed:
 * the port's existence is the signal that the guard is ready. With
 * ioports=<name> it grants that domain I/O ports as a toolstack does for a
 * driver domain (PV_DOMCTL_ioport_permission), refusals first: 0x89 given
 * and taken back, then 0x87 given, which the domain waits for. With
 * perms=<name> it grants that domain the VGA text frame and GSI 5
 * (PV_DOMCTL_iomem_permission, _irq_permission), waits for the domain to
 * bind the GSI (a port of it in the pirq state is the signal), then takes
 * both away again.
 */
#include "guest.h"
#include "hypercall.h"
#include "events.h"
#include "mm.h"
#include <public/domctl.h>
#include <public/errno.h>
#include <public/event_channel.h>
#include <public/memory.h>

const char test_title[] = "supervisor: how the other domains ended";

#define MAX_EXPECT 8
#define POLL_LIMIT 200000

static struct { char name[32]; unsigned int reason; } expected[MAX_EXPECT];
static unsigned int nr_expected;

static const char *const reasons[] = { "poweroff", "reboot", "suspend", "crash", "watchdog" };

static uint64_t op_scratch;

static int64_t domctl_info(domid_t dom, struct pv_domctl *op)
{
    memset(op, 0, sizeof(*op));
    op->cmd = PV_DOMCTL_getdomaininfo;
    op->interface_version = PV_DOMCTL_INTERFACE_VERSION;
    op->domain = dom;
    return hypercall1(__HYPERVISOR_domctl, op);
}

static void parse_cmdline(void)
{
    const char *s = (const char *)start_info->cmd_line;
    const char *p = s;
    while (*p && strncmp(p, "expect=", 7))
        p++;
    if (!*p)
        return;
    p += 7;
    while (*p && *p != ' ' && nr_expected < MAX_EXPECT) {
        char *n = expected[nr_expected].name;
        size_t i = 0;
        while (*p && *p != ':' && i < 31)
            n[i++] = *p++;
        n[i] = '\0';
        if (*p++ != ':')
            return;
        for (unsigned int r = 0; r < ARRAY_SIZE(reasons); r++)
            if (!strncmp(p, reasons[r], strlen(reasons[r])))
                expected[nr_expected].reason = r;
        while (*p && *p != ',' && *p != ' ')
            p++;
        if (*p == ',')
            p++;
        nr_expected++;
    }
}

/* VIRQ_DOM_EXC: the hypervisor tells dom0 whenever a domain stops. */
static unsigned int dom_exc_port;
static unsigned long dom_exc_seen;
/* Expected domains still running once it was bound: each owes us one when it ends. */
static unsigned int alive_at_bind;
static domid_t find_domain(const char *name);

/* Finds the domain by name; waits (on VIRQ_DOM_EXC, at most 20 ms a time) until it has shut down. */
static const char *wait_for(unsigned int k, char *why, size_t len)
{
    struct pv_domctl op;
    for (unsigned long poll = 0; poll < POLL_LIMIT; poll++) {
        bool found = false;
        for (domid_t d = 1; d < 16; d++) {
            if (domctl_info(d, &op) || strcmp((const char *)op.u.info.name, expected[k].name))
                continue;
            found = true;
            if (op.u.info.flags & PV_DOMINF_shutdown) {
                if (op.u.info.shutdown_reason != expected[k].reason)
                    return fail(why, len, "%s ended with reason %u, want %u", expected[k].name,
                                op.u.info.shutdown_reason, expected[k].reason);
                if (op.u.info.tot_pages)
                    return fail(why, len, "%s still owns %llu frames", expected[k].name,
                                (unsigned long long)op.u.info.tot_pages);
                return NULL;
            }
        }
        if (!found)
            return fail(why, len, "no domain named %s", expected[k].name);
        if (dom_exc_port) {
            poll_port(dom_exc_port, pvclock_now() + 20000000);
            if (port_pending(dom_exc_port)) {
                port_clear(dom_exc_port);
                dom_exc_seen++;
            }
        } else {
            hyp_sched_op(SCHEDOP_yield, NULL);
        }
    }
    return fail(why, len, "%s still running after %u polls", expected[k].name, POLL_LIMIT);
}

static const char *test_dom_exc_setup(char *why, size_t len)
{
    if (!shinfo && events_init())
        return fail(why, len, "events_init failed");
    struct evtchn_bind_virq b = { .virq = VIRQ_DOM_EXC };
    int64_t rc = evtchn_op(EVTCHNOP_bind_virq, &b);
    if (rc)
        return fail(why, len, "bind VIRQ_DOM_EXC: %lld", (long long)rc);
    dom_exc_port = b.port;
    struct pv_domctl op;
    for (unsigned int k = 0; k < nr_expected; k++) {
        domid_t d = find_domain(expected[k].name);
        alive_at_bind += d != DOMID_INVALID && !domctl_info(d, &op) && !(op.u.info.flags & PV_DOMINF_shutdown);
    }
    return NULL;
}

/* Judged by order, not time: only domains that ended after the bind owe a VIRQ. */
static const char *test_dom_exc_seen(char *why, size_t len)
{
    if (dom_exc_port && port_pending(dom_exc_port)) {
        port_clear(dom_exc_port);           /* raised after the last wait */
        dom_exc_seen++;
    }
    if (dom_exc_seen)
        return NULL;
    if (!alive_at_bind) {
        printk("# all %u domains had ended before VIRQ_DOM_EXC was bound: none was due\n", nr_expected);
        return NULL;
    }
    return fail(why, len, "no VIRQ_DOM_EXC while %u domains ended after it was bound", alive_at_bind);
}

static const char *test_domctl_refusals(char *why, size_t len)
{
    struct pv_domctl op;
    int64_t rc = domctl_info(200, &op);
    if (rc != -XEN_ESRCH)
        return fail(why, len, "domain 200: got %lld, want -ESRCH", (long long)rc);
    memset(&op, 0, sizeof(op));
    op.cmd = PV_DOMCTL_getdomaininfo;
    op.interface_version = 0xdead;
    if ((rc = hypercall1(__HYPERVISOR_domctl, &op)) != -XEN_EACCES)
        return fail(why, len, "bad interface version: got %lld, want -EACCES", (long long)rc);
    if ((rc = hypercall1(__HYPERVISOR_domctl, 0xffff830000000000ull)) != -XEN_EFAULT)
        return fail(why, len, "hypervisor address: got %lld, want -EFAULT", (long long)rc);
    return NULL;
}

static const char *run_expected(unsigned int k, char *why, size_t len) { return wait_for(k, why, len); }

static char foreign_name[32];

static domid_t find_domain(const char *name)
{
    struct pv_domctl op;
    for (domid_t d = 1; d < 16; d++)
        if (!domctl_info(d, &op) && !strcmp((const char *)op.u.info.name, name))
            return d;
    return DOMID_INVALID;
}

#define FOREIGN_VA (GUEST_VIRT_BASE + 0x3c000000ull)

static const char *test_foreign(char *why, size_t len)
{
    domid_t dom = find_domain(foreign_name);
    if (dom == DOMID_INVALID)
        return fail(why, len, "no domain named %s", foreign_name);
    static xen_pfn_t frame[1];
    struct xen_memory_reservation r = { .extent_start = (uint64_t)frame, .nr_extents = 1, .domid = dom };
    int64_t rc = hypercall2(__HYPERVISOR_memory_op, XENMEM_increase_reservation, &r);
    if (rc != 1)
        return fail(why, len, "increase_reservation for domain %u: %lld", dom, (long long)rc);
    if (ensure_l1(FOREIGN_VA))
        return fail(why, len, "no L1 for the foreign mapping");
    /* Map it as that domain's frame (foreigndom), write, and read back through a second way in. */
    struct mmu_update u = { .ptr = pte_maddr(FOREIGN_VA, 1), .val = frame[0] * PAGE_SIZE | PTE_DATA };
    if ((rc = hypercall4(__HYPERVISOR_mmu_update, &u, 1, NULL, dom)))
        return fail(why, len, "mmu_update with foreigndom %u: %lld", dom, (long long)rc);
    *(volatile uint64_t *)FOREIGN_VA = 0xfeedface;
    if ((rc = hypercall4(__HYPERVISOR_update_va_mapping_otherdomain, FOREIGN_VA + PAGE_SIZE,
                         frame[0] * PAGE_SIZE | PTE_P | PTE_U | PTE_A, UVMF_INVLPG, dom)))
        return fail(why, len, "update_va_mapping_otherdomain: %lld", (long long)rc);
    if (*(volatile uint64_t *)(FOREIGN_VA + PAGE_SIZE) != 0xfeedface)
        return fail(why, len, "the two mappings of the foreign frame disagree");
    /* Our own frame is not that domain's: refused. */
    u.val = virt_to_mfn(&op_scratch) * PAGE_SIZE | PTE_P | PTE_U;
    if ((rc = hypercall4(__HYPERVISOR_mmu_update, &u, 1, NULL, dom)) != -XEN_EINVAL)
        return fail(why, len, "mapping our frame as the other domain's: %lld, want -EINVAL", (long long)rc);
    hypercall4(__HYPERVISOR_update_va_mapping_otherdomain, FOREIGN_VA, 0, UVMF_INVLPG, dom);
    hypercall4(__HYPERVISOR_update_va_mapping_otherdomain, FOREIGN_VA + PAGE_SIZE, 0, UVMF_INVLPG, dom);
    if ((rc = hypercall2(__HYPERVISOR_memory_op, XENMEM_decrease_reservation, &r)) != 1)
        return fail(why, len, "giving the frame back: %lld", (long long)rc);
    return NULL;
}

static char pause_name[32];

static void sleep_ms(unsigned int ms)
{
    static unsigned int port;
    if (!port) {
        struct evtchn_bind_virq b = { .virq = VIRQ_TIMER };
        evtchn_op(EVTCHNOP_bind_virq, &b);
        port = b.port;
        hypercall3(__HYPERVISOR_vcpu_op, VCPUOP_stop_periodic_timer, 0, 0);
    }
    uint64_t wake = pvclock_now() + ms * 1000000ull;
    hypercall1(__HYPERVISOR_set_timer_op, wake);
    while (pvclock_now() < wake) {
        poll_port(port, 0);
        port_clear(port);
    }
}

static int64_t domctl_simple(unsigned int cmd, domid_t dom)
{
    struct pv_domctl op = { .cmd = cmd, .interface_version = PV_DOMCTL_INTERFACE_VERSION, .domain = dom };
    return hypercall1(__HYPERVISOR_domctl, &op);
}

static char ioports_name[32];

#define GRANTED_PORT    0x87    /* QEMU's DMA page register of channel 3: plain storage */
#define REVOKED_PORT    0x89
#define PIT_PORT        0x40    /* the hypervisor's */

static int64_t domctl_ioport(domid_t dom, uint32_t first, uint32_t nr, uint8_t allow)
{
    struct pv_domctl op = { .cmd = PV_DOMCTL_ioport_permission, .interface_version = PV_DOMCTL_INTERFACE_VERSION,
                            .domain = dom };
    op.u.ioport = (struct pv_domctl_ioport){ .first_port = first, .nr_ports = nr, .allow = allow };
    return hypercall1(__HYPERVISOR_domctl, &op);
}

static const char *test_grant_ioports(char *why, size_t len)
{
    domid_t dom = find_domain(ioports_name);
    if (dom == DOMID_INVALID)
        return fail(why, len, "no domain %s", ioports_name);
    static const struct { uint32_t first, nr; uint8_t allow; int64_t want; const char *what; } refused[] = {
        { GRANTED_PORT, 0, 1, -XEN_EINVAL, "no ports" },
        { 0xfff0, 0x11, 1, -XEN_EINVAL, "past 0xFFFF" },
        { 0x10000, 1, 1, -XEN_EINVAL, "first past 0xFFFF" },
        { GRANTED_PORT, 0xffffffffu, 1, -XEN_EINVAL, "a count that wraps" },
        { GRANTED_PORT, 1, 2, -XEN_EINVAL, "allow 2" },
        { PIT_PORT, 4, 1, -XEN_EPERM, "the PIT (the hypervisor's)" },
    };
    int64_t rc;
    for (size_t i = 0; i < ARRAY_SIZE(refused); i++)
        if ((rc = domctl_ioport(dom, refused[i].first, refused[i].nr, refused[i].allow)) != refused[i].want)
            return fail(why, len, "%s: %lld, want %lld", refused[i].what, (long long)rc, (long long)refused[i].want);
    struct pv_domctl op = { .cmd = PV_DOMCTL_ioport_permission, .interface_version = PV_DOMCTL_INTERFACE_VERSION,
                            .domain = dom };
    op.u.ioport = (struct pv_domctl_ioport){ .first_port = GRANTED_PORT, .nr_ports = 1, .allow = 1, ._pad[3] = 1 };
    if ((rc = hypercall1(__HYPERVISOR_domctl, &op)) != -XEN_EINVAL)
        return fail(why, len, "padding set: %lld, want -EINVAL", (long long)rc);
    if ((rc = domctl_ioport(200, GRANTED_PORT, 1, 1)) != -XEN_ESRCH)
        return fail(why, len, "domain 200: %lld, want -ESRCH", (long long)rc);
    /* Given and taken back before the port the domain waits for: it must never see 0x89 as its own. */
    if ((rc = domctl_ioport(dom, REVOKED_PORT, 1, 1)) || (rc = domctl_ioport(dom, REVOKED_PORT, 1, 0)) ||
        (rc = domctl_ioport(dom, GRANTED_PORT, 1, 1)))
        return fail(why, len, "grant and take back: %lld", (long long)rc);
    return NULL;
}

static char perms_name[32];

#define PERM_MFN        0xb8    /* the VGA text frame */
#define PERM_GSI        5       /* ISA IRQ 5: nothing on it in this machine */

static int64_t domctl_perms(domid_t dom, uint8_t allow)
{
    struct pv_domctl op = { .cmd = PV_DOMCTL_iomem_permission, .interface_version = PV_DOMCTL_INTERFACE_VERSION,
                            .domain = dom };
    op.u.iomem = (struct pv_domctl_iomem){ .first_mfn = PERM_MFN, .nr_mfns = 1, .allow = allow };
    int64_t rc = hypercall1(__HYPERVISOR_domctl, &op);
    if (rc)
        return rc;
    op = (struct pv_domctl){ .cmd = PV_DOMCTL_irq_permission, .interface_version = PV_DOMCTL_INTERFACE_VERSION,
                             .domain = dom };
    op.u.irq = (struct pv_domctl_irq){ .gsi = PERM_GSI, .allow = allow };
    return hypercall1(__HYPERVISOR_domctl, &op);
}

/* True once one of dom's ports is bound to a pirq. */
static bool pirq_bound(domid_t dom)
{
    for (evtchn_port_t p = 1; p < 64; p++) {
        struct evtchn_status st = { .dom = dom, .port = p };
        if (!evtchn_op(EVTCHNOP_status, &st) && st.status == EVTCHNSTAT_pirq)
            return true;
    }
    return false;
}

/* Grants perms_name an MMIO frame and a GSI, waits (30 s of guest time at most) until it binds the GSI, takes both back. */
static const char *test_grant_perms(char *why, size_t len)
{
    domid_t dom = find_domain(perms_name);
    if (dom == DOMID_INVALID)
        return fail(why, len, "no domain %s", perms_name);
    int64_t rc = domctl_perms(dom, 1);
    if (rc)
        return fail(why, len, "grant frame %#x and GSI %u: %lld", PERM_MFN, PERM_GSI, (long long)rc);
    unsigned int waited = 0;
    while (!pirq_bound(dom) && waited < 30000) {
        sleep_ms(10);
        waited += 10;
    }
    if (!pirq_bound(dom))
        return fail(why, len, "%s never bound the GSI", perms_name);
    if ((rc = domctl_perms(dom, 0)))
        return fail(why, len, "take back: %lld", (long long)rc);
    printk("# %s bound GSI %u after %u ms; frame and GSI taken back\n", perms_name, PERM_GSI, waited);
    return NULL;
}

/* A paused domain gets no CPU; unpaused, it runs again. */
static const char *test_pause(char *why, size_t len)
{
    if (!shinfo && events_init())
        return fail(why, len, "events_init failed");
    domid_t dom = find_domain(pause_name);
    struct pv_domctl op;
    if (dom == DOMID_INVALID)
        return fail(why, len, "no domain %s", pause_name);
    int64_t rc = domctl_simple(PV_DOMCTL_pausedomain, dom);
    if (rc)
        return fail(why, len, "pause: %lld", (long long)rc);
    domctl_info(dom, &op);
    uint64_t before = op.u.info.cpu_time;
    sleep_ms(100);
    domctl_info(dom, &op);
    if (op.u.info.cpu_time != before)
        return fail(why, len, "paused domain ran %llu ns", (unsigned long long)(op.u.info.cpu_time - before));
    if ((rc = domctl_simple(PV_DOMCTL_unpausedomain, dom)))
        return fail(why, len, "unpause: %lld", (long long)rc);
    sleep_ms(100);
    domctl_info(dom, &op);
    if (op.u.info.cpu_time <= before)
        return fail(why, len, "unpaused domain did not run");
    if ((rc = domctl_simple(PV_DOMCTL_pausedomain, 0)) != -XEN_EINVAL)
        return fail(why, len, "pausing ourselves: %lld, want -EINVAL", (long long)rc);
    return NULL;
}

static struct { char name[32]; unsigned int permille; } shares[MAX_EXPECT];
static unsigned int nr_shares;
static unsigned long shares_after_ms;

static void parse_shares(const char *p)
{
    while (*p && *p != ' ' && nr_shares < MAX_EXPECT) {
        size_t i = 0;
        while (*p && *p != ':' && i < 31)
            shares[nr_shares].name[i++] = *p++;
        shares[nr_shares].name[i] = '\0';
        if (*p++ != ':')
            return;
        unsigned int v = 0, frac = 0, digits = 0;
        for (; *p >= '0' && *p <= '9'; p++)
            v = v * 10 + (unsigned int)(*p - '0');
        if (*p == '.')
            for (p++; *p >= '0' && *p <= '9'; p++, digits++)
                if (digits == 0)
                    frac = (unsigned int)(*p - '0');
        shares[nr_shares++].permille = v * 10 + frac;
        if (*p == ',')
            p++;
    }
}

static const char *test_shares(char *why, size_t len)
{
    if (!shinfo && events_init())
        return fail(why, len, "events_init failed");
    uint64_t t0[MAX_EXPECT], t1[MAX_EXPECT], sum = 0;
    domid_t ids[MAX_EXPECT];
    struct pv_domctl op;
    for (unsigned int i = 0; i < nr_shares; i++) {
        ids[i] = find_domain(shares[i].name);
        if (ids[i] == DOMID_INVALID || domctl_info(ids[i], &op))
            return fail(why, len, "no domain %s", shares[i].name);
        t0[i] = op.u.info.cpu_time;
    }
    sleep_ms((unsigned int)shares_after_ms);
    for (unsigned int i = 0; i < nr_shares; i++) {
        domctl_info(ids[i], &op);
        t1[i] = op.u.info.cpu_time;
        sum += t1[i] - t0[i];
    }
    const char *res = NULL;
    for (unsigned int i = 0; i < nr_shares; i++) {
        unsigned int got = (unsigned int)((t1[i] - t0[i]) * 1000 / (sum ? sum : 1));
        printk("# %s: %u.%u%% of the CPU (expected %u.%u%%)\n", shares[i].name, got / 10, got % 10,
               shares[i].permille / 10, shares[i].permille % 10);
        if (got + 30 < shares[i].permille || got > shares[i].permille + 30)
            res = fail(why, len, "%s got %u.%u%%, expected %u.%u%% (within 3)", shares[i].name, got / 10, got % 10,
                       shares[i].permille / 10, shares[i].permille % 10);
    }
    return res;
}

static char ready_name[32];

/* Offers ready_name an unbound port: it binds it to learn that the guard is in place. */
static const char *offer_ready_port(char *why, size_t len)
{
    struct pv_domctl op;
    for (domid_t d = 1; d < 16; d++) {
        if (domctl_info(d, &op) || strcmp((const char *)op.u.info.name, ready_name))
            continue;
        struct evtchn_alloc_unbound a = { .dom = DOMID_SELF, .remote_dom = d };
        int64_t rc = evtchn_op(EVTCHNOP_alloc_unbound, &a);
        if (rc)
            return fail(why, len, "offering %s a port: %lld", ready_name, (long long)rc);
        printk("# guard ready: port %u offered to %s\n", a.port, ready_name);
        return NULL;
    }
    return fail(why, len, "no domain named %s to tell the guard is ready", ready_name);
}

#define GUARD_BASE (GUEST_VIRT_BASE + 0x4000000ull)
static uint64_t guard_pages, guard_hash;

/* Maps the spare frames (keeping some for page tables), fills them with a pattern, hashes them. */
static const char *test_guard_prepare(char *why, size_t len)
{
    uint64_t spare = start_info->nr_pages - start_info->first_p2m_pfn;
    uint64_t want = spare - spare / 256 - 16;
    for (uint64_t va = GUARD_BASE; va < GUARD_BASE + want * PAGE_SIZE; va += 0x200000)
        if (ensure_l1(va))
            return fail(why, len, "no page tables for the guarded range");
    for (guard_pages = 0; guard_pages < want; guard_pages++) {
        uint64_t mfn = spare_mfn();
        if (!mfn)
            break;
        uint64_t va = GUARD_BASE + guard_pages * PAGE_SIZE;
        if (hypercall3(__HYPERVISOR_update_va_mapping, va, mfn * PAGE_SIZE | PTE_DATA, 0))
            return fail(why, len, "mapping spare frame %llu", (unsigned long long)guard_pages);
        uint64_t *w = (uint64_t *)va;
        for (unsigned int k = 0; k < 512; k++)
            w[k] = mfn * PAGE_SIZE + k * 8;
    }
    guard_hash = hash_memory((void *)GUARD_BASE, guard_pages * PAGE_SIZE);
    printk("# guarding %llu pages, xxh64 %016llx\n", (unsigned long long)guard_pages,
           (unsigned long long)guard_hash);
    return ready_name[0] ? offer_ready_port(why, len) : NULL;
}

static const char *test_guard_check(char *why, size_t len)
{
    uint64_t h = hash_memory((void *)GUARD_BASE, guard_pages * PAGE_SIZE);
    if (h != guard_hash)
        return fail(why, len, "xxh64 of %llu guarded pages went from %016llx to %016llx",
                    (unsigned long long)guard_pages, (unsigned long long)guard_hash, (unsigned long long)h);
    return NULL;
}

/* One KTAP case per expected domain; the case functions index by position. */
#define CASE(k) static const char *case_##k(char *why, size_t len) { return run_expected(k, why, len); }
CASE(0) CASE(1) CASE(2) CASE(3) CASE(4) CASE(5) CASE(6) CASE(7)

static char case_names[MAX_EXPECT][48];
static struct test_case cases[MAX_EXPECT + 10];
static const char *(*const case_fns[MAX_EXPECT])(char *, size_t) = {
    case_0, case_1, case_2, case_3, case_4, case_5, case_6, case_7,
};

const struct test_case *guest_cases(unsigned int *n)
{
    const char *p = (const char *)start_info->cmd_line;
    bool guard = false;
    for (; *p; p++) {
        if (!strncmp(p, "hash=yes", 8))
            guard = true;
        if (!strncmp(p, "pause=", 6))
            for (size_t i = 0; i < sizeof(pause_name) - 1 && p[6 + i] && p[6 + i] != ' '; i++)
                pause_name[i] = p[6 + i];
        if (!strncmp(p, "shares=", 7))
            parse_shares(p + 7);
        if (!strncmp(p, "after=", 6))
            for (const char *q = p + 6; *q >= '0' && *q <= '9'; q++)
                shares_after_ms = shares_after_ms * 10 + (unsigned long)(*q - '0');
        if (!strncmp(p, "ready=", 6))
            for (size_t i = 0; i < sizeof(ready_name) - 1 && p[6 + i] && p[6 + i] != ' '; i++)
                ready_name[i] = p[6 + i];
        if (!strncmp(p, "ioports=", 8))
            for (size_t i = 0; i < sizeof(ioports_name) - 1 && p[8 + i] && p[8 + i] != ' '; i++)
                ioports_name[i] = p[8 + i];
        if (!strncmp(p, "perms=", 6))
            for (size_t i = 0; i < sizeof(perms_name) - 1 && p[6 + i] && p[6 + i] != ' '; i++)
                perms_name[i] = p[6 + i];
        if (!strncmp(p, "foreign=", 8))
            for (size_t i = 0; i < sizeof(foreign_name) - 1 && p[8 + i] && p[8 + i] != ' '; i++)
                foreign_name[i] = p[8 + i];
    }
    parse_cmdline();
    unsigned int c = 0;
    cases[c++] = (struct test_case){ "domctl_refusals", test_domctl_refusals };
    if (nr_expected)
        cases[c++] = (struct test_case){ "bind_virq_dom_exc", test_dom_exc_setup };
    if (guard)
        cases[c++] = (struct test_case){ "guarded_memory_prepared", test_guard_prepare };
    if (foreign_name[0])
        cases[c++] = (struct test_case){ "foreign_domain_memory", test_foreign };
    if (ioports_name[0])
        cases[c++] = (struct test_case){ "grant_ioports", test_grant_ioports };
    if (perms_name[0])
        cases[c++] = (struct test_case){ "grant_iomem_and_irq", test_grant_perms };
    for (unsigned int k = 0; k < nr_expected; k++) {
        snprintf(case_names[k], sizeof(case_names[k]), "%s_ended_with_%s", expected[k].name,
                 reasons[expected[k].reason]);
        cases[c++] = (struct test_case){ case_names[k], case_fns[k] };
    }
    if (nr_expected)
        cases[c++] = (struct test_case){ "virq_dom_exc_delivered", test_dom_exc_seen };
    if (pause_name[0])
        cases[c++] = (struct test_case){ "pause_and_unpause", test_pause };
    if (nr_shares)
        cases[c++] = (struct test_case){ "cpu_shares_follow_weights", test_shares };
    if (guard)
        cases[c++] = (struct test_case){ "guarded_memory_unchanged", test_guard_check };
    *n = c;
    return cases;
}
