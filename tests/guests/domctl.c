/*
 * domctl's toolstack commands (createdomain .. setrings) with hostile fields:
 * as dom0 (role=dom0) every bad field is refused with its error (iomem and
 * irq permissions too: bad ranges, the hypervisor's APIC frames and GSIs),
 * and a domain created, fed and destroyed returns every frame; as a domU (role=domu)
 * every command is refused with -EPERM.
 */
#include "guest.h"
#include "hypercall.h"
#include "mm.h"
#include <public/domctl.h>
#include <public/errno.h>
#include <public/event_channel.h>
#include <public/memory.h>
#include <public/sched.h>

const char test_title[] = "domctl: the toolstack commands, hostile fields, and -EPERM for a domU";

static struct pv_domctl op;
static struct vcpu_guest_context ctx;

static int64_t domctl(uint32_t cmd, domid_t dom)
{
    op.cmd = cmd;
    op.interface_version = PV_DOMCTL_INTERFACE_VERSION;
    op.domain = dom;
    return hypercall1(__HYPERVISOR_domctl, &op);
}

static void reset(void) { memset(&op, 0, sizeof(op)); }

static int64_t create(const char *name, uint32_t vcpus, uint64_t pages)
{
    reset();
    for (size_t i = 0; name[i] && i < sizeof(op.u.create.name); i++)
        op.u.create.name[i] = (uint8_t)name[i];
    op.u.create.max_vcpus = vcpus;
    op.u.create.max_pages = pages;
    return domctl(PV_DOMCTL_createdomain, 0);
}

static uint64_t free_pages(void)
{
    reset();
    return domctl(PV_DOMCTL_getdomaininfo, 0) ? 0 : op.u.info.free_pages;
}

static int64_t destroy(domid_t d)
{
    int64_t rc;
    for (unsigned int i = 0; i < 100000; i++) {
        reset();
        if ((rc = domctl(PV_DOMCTL_destroydomain, d)) != -XEN_EAGAIN)
            return rc;
        hyp_sched_op(SCHEDOP_yield, NULL);
    }
    return rc;
}

#define EXPECT(call, want, what)                                                                  \
    do {                                                                                          \
        int64_t rc_ = (call);                                                                     \
        if (rc_ != (want))                                                                        \
            return fail(why, len, "%s: %lld, want %lld", what, (long long)rc_, (long long)(want)); \
    } while (0)

/* ---- domU: nothing but -EPERM ---- */

static const char *test_domu_eperm(char *why, size_t len)
{
    for (uint32_t cmd = 1; cmd <= PV_DOMCTL_irq_permission; cmd++) {
        reset();
        op.u.create.max_vcpus = 1;
        op.u.create.max_pages = 16;
        op.u.create.name[0] = 'x';
        int64_t rc = domctl(cmd, 0);
        if (rc != -XEN_EPERM)
            return fail(why, len, "domctl %u from a domU: %lld, want -EPERM", cmd, (long long)rc);
    }
    /* Nor may it populate another domain's memory. */
    xen_pfn_t f = 0;
    struct xen_memory_reservation r = { .nr_extents = 1, .domid = 0 };
    r.extent_start = (uint64_t)(uintptr_t)&f;
    EXPECT(hypercall2(__HYPERVISOR_memory_op, XENMEM_populate_physmap, &r), -XEN_EPERM, "populate_physmap for dom0");
    return NULL;
}

/* ---- dom0 ---- */

static const char *test_create_fields(char *why, size_t len)
{
    EXPECT(create("", 1, 16), -XEN_EINVAL, "empty name");
    EXPECT(create("has space", 1, 16), -XEN_EINVAL, "name with a space");
    EXPECT(create("ok", 0, 16), -XEN_EINVAL, "0 vCPUs");
    EXPECT(create("ok", 9, 16), -XEN_EINVAL, "9 vCPUs");
    EXPECT(create("ok", 1, 0), -XEN_EINVAL, "max_pages 0");
    EXPECT(create("ok", 1, (1ull << 36) + 1), -XEN_EINVAL, "max_pages above 2^36");
    reset();
    memset(op.u.create.name, 'a', sizeof(op.u.create.name));     /* no NUL */
    op.u.create.max_vcpus = 1;
    op.u.create.max_pages = 16;
    EXPECT(domctl(PV_DOMCTL_createdomain, 0), -XEN_EINVAL, "name without a NUL");
    reset();
    op.u.create.name[0] = 'p';
    op.u.create.max_vcpus = 1;
    op.u.create.max_pages = 16;
    op.u.create._pad = 1;
    EXPECT(domctl(PV_DOMCTL_createdomain, 0), -XEN_EINVAL, "padding not zero");
    reset();
    op.u.create.name[0] = 'p';
    op.u.create.max_vcpus = 1;
    op.u.create.max_pages = 16;
    EXPECT(domctl(PV_DOMCTL_createdomain, 7), -XEN_EINVAL, "a domain id asked for");
    EXPECT(create("dom0", 1, 16), -XEN_EEXIST, "our own name (dom0)");
    EXPECT(hypercall1(__HYPERVISOR_domctl, (void *)0x10), -XEN_EFAULT, "op at an unmapped address");
    return NULL;
}

static const char *test_self_and_dom0(char *why, size_t len)
{
    reset();
    EXPECT(domctl(PV_DOMCTL_destroydomain, 0), -XEN_EINVAL, "destroy ourselves");
    reset();
    EXPECT(domctl(PV_DOMCTL_destroydomain, 15), -XEN_ESRCH, "destroy a free id");
    reset();
    EXPECT(domctl(PV_DOMCTL_destroydomain, DOMID_SELF), -XEN_ESRCH, "destroy DOMID_SELF");
    reset();
    op.u.vcpucontext.ctxt = (uint64_t)(uintptr_t)&ctx;
    EXPECT(domctl(PV_DOMCTL_setvcpucontext, 0), -XEN_EINVAL, "setvcpucontext on ourselves");
    reset();
    op.u.hypercall_init.mfn = virt_to_mfn(&ctx);
    EXPECT(domctl(PV_DOMCTL_hypercall_init, 0), -XEN_EINVAL, "hypercall_init on ourselves");
    reset();
    EXPECT(domctl(PV_DOMCTL_setrings, 0), -XEN_EINVAL, "setrings on ourselves");
    return NULL;
}

/* physinfo and getvcpuinfo (xl info, xl vcpu-list): sane answers, hostile fields refused. */
static const char *test_physinfo_vcpuinfo(char *why, size_t len)
{
    reset();
    op.domain = 0x7ff0;                                             /* ignored: the machine's */
    EXPECT(domctl(PV_DOMCTL_physinfo, 0x7ff0), 0, "physinfo");
    struct pv_domctl_physinfo pi = op.u.physinfo;
    if (pi.nr_cpus < 1 || pi.nr_cpus > 8 || pi._pad || !pi.free_pages || pi.free_pages >= pi.total_pages)
        return fail(why, len, "physinfo: %u CPUs, %llu of %llu frames free", pi.nr_cpus,
                    (unsigned long long)pi.free_pages, (unsigned long long)pi.total_pages);
    reset();
    EXPECT(domctl(PV_DOMCTL_getvcpuinfo, 0), 0, "getvcpuinfo of our vCPU 0");
    struct pv_domctl_vcpuinfo vi = op.u.vcpuinfo;
    /* This very vCPU asks: it is up, on a CPU now, not blocked, and has run. */
    if (!vi.online || !vi.running || vi.blocked || vi.cpu >= pi.nr_cpus || !vi.cpu_time)
        return fail(why, len, "our vCPU 0: online %u running %u blocked %u cpu %u time %llu", vi.online, vi.running,
                    vi.blocked, vi.cpu, (unsigned long long)vi.cpu_time);
    static const struct { uint32_t vcpu; uint8_t pad; uint32_t pad1; domid_t dom; int64_t want; const char *what; }
    refused[] = {
        { 1, 0, 0, 0, -XEN_EINVAL, "vCPU 1 of a 1-vCPU domain" },
        { 0xffffffffu, 0, 0, 0, -XEN_EINVAL, "vCPU 2^32-1" },
        { 0, 1, 0, 0, -XEN_EINVAL, "_pad set" },
        { 0, 0, 1, 0, -XEN_EINVAL, "_pad1 set" },
        { 0, 0, 0, 15, -XEN_ESRCH, "a free domain id" },
    };
    for (size_t i = 0; i < ARRAY_SIZE(refused); i++) {
        reset();
        op.u.vcpuinfo.vcpu = refused[i].vcpu;
        op.u.vcpuinfo._pad = refused[i].pad;
        op.u.vcpuinfo._pad1 = refused[i].pad1;
        EXPECT(domctl(PV_DOMCTL_getvcpuinfo, refused[i].dom), refused[i].want, refused[i].what);
    }
    return NULL;
}

static int64_t iomem(domid_t dom, uint64_t first, uint64_t nr, uint8_t allow, uint8_t pad)
{
    reset();
    op.u.iomem = (struct pv_domctl_iomem){ .first_mfn = first, .nr_mfns = nr, .allow = allow, ._pad[6] = pad };
    return domctl(PV_DOMCTL_iomem_permission, dom);
}

static int64_t irq(domid_t dom, uint32_t gsi, uint8_t allow, uint8_t pad)
{
    reset();
    op.u.irq = (struct pv_domctl_irq){ .gsi = gsi, .allow = allow, ._pad[2] = pad };
    return domctl(PV_DOMCTL_irq_permission, dom);
}

#define VGA_MFN     0xb8        /* the VGA text buffer: I/O memory dom0 holds */
#define LAPIC_MFN   0xfee00     /* the hypervisor's */
#define IOAPIC_MFN  0xfec00     /* the hypervisor's */
#define COM1_GSI    4           /* the hypervisor's */
#define FREE_GSI    5

/* I/O memory and IRQ permissions on a fresh domain: hostile fields refused, a grant and its withdrawal accepted. */
static const char *test_permissions(char *why, size_t len)
{
    EXPECT(create("perm", 1, 16), 0, "create perm");
    domid_t t = op.domain;
    static const struct { uint64_t first, nr; uint8_t allow, pad; int64_t want; const char *what; } mem[] = {
        { VGA_MFN, 0, 1, 0, -XEN_EINVAL, "no frames" },
        { ~0ull - 1, 4, 1, 0, -XEN_EINVAL, "a range that wraps" },
        { VGA_MFN, ~0ull, 1, 0, -XEN_EINVAL, "a count that wraps" },
        { 1ull << 32, 1, 1, 0, -XEN_EINVAL, "frame 2^32" },
        { 0, 1ull << 40, 1, 0, -XEN_EINVAL, "2^40 frames" },
        { 1ull << 40, 1, 1, 0, -XEN_EINVAL, "beyond any physical address width" },
        { VGA_MFN, 1, 2, 0, -XEN_EINVAL, "allow 2" },
        { VGA_MFN, 1, 1, 1, -XEN_EINVAL, "padding set" },
        { LAPIC_MFN, 1, 1, 0, -XEN_EPERM, "the local APIC (the hypervisor's)" },
        { IOAPIC_MFN - 1, 2, 1, 0, -XEN_EPERM, "a range ending in the I/O APIC" },
        { VGA_MFN, 1, 1, 0, 0, "the VGA text frame" },
        { VGA_MFN, 1, 0, 0, 0, "the VGA text frame taken back" },
        { 0xa0, 0x20, 1, 0, 0, "the VGA window" },
        { 0xa0, 0x20, 0, 0, 0, "the VGA window taken back" },
    };
    for (size_t i = 0; i < ARRAY_SIZE(mem); i++)
        EXPECT(iomem(t, mem[i].first, mem[i].nr, mem[i].allow, mem[i].pad), mem[i].want, mem[i].what);
    EXPECT(iomem(15, VGA_MFN, 1, 1, 0), -XEN_ESRCH, "iomem for a free domain id");
    static const struct { uint32_t gsi; uint8_t allow, pad; int64_t want; const char *what; } irqs[] = {
        { 0, 1, 0, -XEN_EPERM, "GSI 0" },
        { COM1_GSI, 1, 0, -XEN_EPERM, "COM1's GSI (the hypervisor's)" },
        { 64, 1, 0, -XEN_EINVAL, "GSI 64" },
        { 0xffffffffu, 1, 0, -XEN_EINVAL, "GSI 2^32-1" },
        { FREE_GSI, 2, 0, -XEN_EINVAL, "allow 2" },
        { FREE_GSI, 1, 1, -XEN_EINVAL, "padding set" },
        { FREE_GSI, 1, 0, 0, "GSI 5" },
        { FREE_GSI, 0, 0, 0, "GSI 5 taken back" },
    };
    for (size_t i = 0; i < ARRAY_SIZE(irqs); i++)
        EXPECT(irq(t, irqs[i].gsi, irqs[i].allow, irqs[i].pad), irqs[i].want, irqs[i].what);
    EXPECT(irq(15, FREE_GSI, 1, 0), -XEN_ESRCH, "irq for a free domain id");
    EXPECT(destroy(t), 0, "destroy perm");
    return NULL;
}

static const char *test_lifecycle(char *why, size_t len)
{
    uint64_t before = free_pages();
    EXPECT(create("t1", 2, 64), 0, "create t1");
    domid_t t1 = op.domain;
    EXPECT(create("t1", 1, 16), -XEN_EEXIST, "a second t1");

    /* It is listed, paused, with 2 vCPUs and no memory. */
    reset();
    EXPECT(domctl(PV_DOMCTL_getdomaininfo, t1), 0, "getdomaininfo t1");
    if (!(op.u.info.flags & PV_DOMINF_paused) || op.u.info.nr_vcpus != 2 || op.u.info.tot_pages ||
        op.u.info.max_pages != 64 || !op.u.info.shared_info_mfn)
        return fail(why, len, "t1: flags %#x vcpus %u tot %llu max %llu shinfo %#llx", op.u.info.flags,
                    op.u.info.nr_vcpus, (unsigned long long)op.u.info.tot_pages,
                    (unsigned long long)op.u.info.max_pages, (unsigned long long)op.u.info.shared_info_mfn);
    bool seen0 = false, seen1 = false;
    domid_t from = 0;
    for (unsigned int i = 0; i < 32; i++) {
        reset();
        if (domctl(PV_DOMCTL_getdomaininfo_next, from))
            break;
        seen0 |= op.domain == 0;
        seen1 |= op.domain == t1;
        from = (domid_t)(op.domain + 1);
    }
    if (!seen0 || !seen1)
        return fail(why, len, "getdomaininfo_next missed dom0 (%d) or t1 (%d)", seen0, seen1);

    /* max_mem. */
    reset();
    EXPECT(domctl(PV_DOMCTL_max_mem, t1), -XEN_EINVAL, "max_mem 0");
    reset();
    op.u.max_mem.max_pages = (1ull << 36) + 1;
    EXPECT(domctl(PV_DOMCTL_max_mem, t1), -XEN_EINVAL, "max_mem above 2^36");
    reset();
    op.u.max_mem.max_pages = 8;
    EXPECT(domctl(PV_DOMCTL_max_mem, t1), 0, "max_mem 8");

    /* Its memory, from here: 8 frames fit, the 9th does not. */
    xen_pfn_t frames[9];
    for (unsigned int i = 0; i < 9; i++)
        frames[i] = i;
    struct xen_memory_reservation r = { .nr_extents = 9, .domid = t1 };
    r.extent_start = (uint64_t)(uintptr_t)frames;
    EXPECT(hypercall2(__HYPERVISOR_memory_op, XENMEM_populate_physmap, &r), 8, "populate 9 frames, room for 8");

    /*
     * Pause and unpause it while no vCPU has a context: nothing runs. (Once
     * vCPU 0 has one below, an unpause would run it on the other CPU, into
     * its empty L4's #PF and a crash, racing the pause.)
     */
    reset();
    EXPECT(domctl(PV_DOMCTL_unpausedomain, t1), 0, "unpause t1");
    reset();
    EXPECT(domctl(PV_DOMCTL_pausedomain, t1), 0, "pause t1");

    /* vCPU contexts. */
    reset();
    op.u.vcpucontext.vcpu = 2;
    op.u.vcpucontext.ctxt = (uint64_t)(uintptr_t)&ctx;
    EXPECT(domctl(PV_DOMCTL_setvcpucontext, t1), -XEN_EINVAL, "vCPU 2 of 2");
    reset();
    op.u.vcpucontext._pad = 1;
    op.u.vcpucontext.ctxt = (uint64_t)(uintptr_t)&ctx;
    EXPECT(domctl(PV_DOMCTL_setvcpucontext, t1), -XEN_EINVAL, "padding");
    reset();
    op.u.vcpucontext.ctxt = 0x10;
    EXPECT(domctl(PV_DOMCTL_setvcpucontext, t1), -XEN_EFAULT, "context at an unmapped address");
    reset();
    op.u.vcpucontext.ctxt = (uint64_t)(uintptr_t)&ctx;
    EXPECT(domctl(PV_DOMCTL_getvcpucontext, t1), -XEN_ENODATA, "get a context never set");
    memset(&ctx, 0, sizeof(ctx));
    ctx.ctrlreg[3] = virt_to_mfn(&op) << 12;    /* our frame, not t1's */
    ctx.user_regs.cs = FLAT_KERNEL_CS;
    ctx.user_regs.ss = FLAT_KERNEL_SS;
    ctx.kernel_ss = FLAT_KERNEL_SS;
    ctx.flags = VGCF_in_kernel;
    reset();
    op.u.vcpucontext.ctxt = (uint64_t)(uintptr_t)&ctx;
    int64_t rc = domctl(PV_DOMCTL_setvcpucontext, t1);
    if (rc >= 0)
        return fail(why, len, "a context whose cr3 is another domain's frame was accepted");
    ctx.ctrlreg[3] = frames[0] << 12;           /* t1's zeroed frame: a valid, empty L4 */
    reset();
    op.u.vcpucontext.ctxt = (uint64_t)(uintptr_t)&ctx;
    EXPECT(domctl(PV_DOMCTL_setvcpucontext, t1), 0, "vCPU 0's context on t1's empty L4");
    reset();
    op.u.vcpucontext.ctxt = (uint64_t)(uintptr_t)&ctx;
    EXPECT(domctl(PV_DOMCTL_setvcpucontext, t1), -XEN_EEXIST, "vCPU 0's context a second time");
    memset(&ctx, 0xa5, sizeof(ctx));
    reset();
    op.u.vcpucontext.ctxt = (uint64_t)(uintptr_t)&ctx;
    EXPECT(domctl(PV_DOMCTL_getvcpucontext, t1), 0, "get vCPU 0's context");
    if (ctx.ctrlreg[3] != frames[0] << 12 || ctx.user_regs.cs != FLAT_KERNEL_CS)
        return fail(why, len, "getvcpucontext: cr3 %#llx cs %#x", (unsigned long long)ctx.ctrlreg[3],
                    ctx.user_regs.cs);

    /* The hypercall page and the rings. */
    reset();
    op.u.hypercall_init.mfn = virt_to_mfn(&ctx);
    EXPECT(domctl(PV_DOMCTL_hypercall_init, t1), -XEN_EINVAL, "hypercall page in our frame");
    reset();
    op.u.hypercall_init.mfn = ~0ull;
    EXPECT(domctl(PV_DOMCTL_hypercall_init, t1), -XEN_EINVAL, "hypercall page in no frame");
    reset();
    op.u.hypercall_init.mfn = frames[1];
    EXPECT(domctl(PV_DOMCTL_hypercall_init, t1), 0, "hypercall page in t1's frame");
    struct evtchn_alloc_unbound a = { .dom = t1, .remote_dom = 0 };
    EXPECT(hypercall2(__HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound, &a), 0, "a port in t1");
    evtchn_port_t p1 = a.port;
    a = (struct evtchn_alloc_unbound){ .dom = t1, .remote_dom = 0 };
    EXPECT(hypercall2(__HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound, &a), 0, "a second port in t1");
    evtchn_port_t p2 = a.port;
    struct pv_domctl_rings good = { frames[2], frames[3], p1, p2 };
    struct { struct pv_domctl_rings r; const char *what; } bad[] = {
        { { frames[2], frames[2], p1, p2 }, "one frame for both" },
        { { frames[2], frames[3], p1, p1 }, "one port for both" },
        { { virt_to_mfn(&ctx), frames[3], p1, p2 }, "our frame" },
        { { frames[2], ~0ull, p1, p2 }, "no frame" },
        { { frames[2], frames[3], 0, p2 }, "port 0" },
        { { frames[2], frames[3], p1, 4095 }, "a closed port" },
        { { frames[2], frames[3], p1, 99999 }, "a port out of range" },
    };
    for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
        reset();
        op.u.rings = bad[i].r;
        EXPECT(domctl(PV_DOMCTL_setrings, t1), -XEN_EINVAL, bad[i].what);
    }
    reset();
    op.u.rings = good;
    EXPECT(domctl(PV_DOMCTL_setrings, t1), 0, "good rings");
    reset();
    op.u.rings = good;
    EXPECT(domctl(PV_DOMCTL_setrings, t1), -XEN_EEXIST, "rings a second time");
    reset();
    EXPECT(domctl(PV_DOMCTL_getdomaininfo, t1), 0, "getdomaininfo t1");
    if (op.u.info.store_mfn != frames[2] || op.u.info.console_port != p2 || op.u.info.tot_pages != 8)
        return fail(why, len, "t1 reports store %#llx console port %u, %llu pages",
                    (unsigned long long)op.u.info.store_mfn, op.u.info.console_port,
                    (unsigned long long)op.u.info.tot_pages);

    /* Destroyed: gone, its name and id free, every frame back. */
    EXPECT(destroy(t1), 0, "destroy t1");
    reset();
    EXPECT(domctl(PV_DOMCTL_getdomaininfo, t1), -XEN_ESRCH, "getdomaininfo after destroy");
    EXPECT(destroy(t1), -XEN_ESRCH, "destroy twice");
    uint64_t after = free_pages();
    if (after != before)
        return fail(why, len, "free frames %llu before, %llu after create+destroy", (unsigned long long)before,
                    (unsigned long long)after);
    EXPECT(create("t1", 1, 16), 0, "t1 again");
    EXPECT(destroy(op.domain), 0, "destroy t1 again");
    printk("# a domain created, fed 8 frames, 2 ports, rings and a hypercall page, then destroyed: "
           "%llu free frames before and after\n", (unsigned long long)after);
    return NULL;
}

/* The domU's run ends (its memory all back) before ours: the machine goes down with dom0, and the lifecycle counts free frames. */
static const char *test_domu_done(char *why, size_t len)
{
    for (unsigned long poll = 0; poll < 2000000; poll++) {
        domid_t from = 1;
        bool running = false, found = false;
        for (unsigned int i = 0; i < 16; i++) {
            reset();
            if (domctl(PV_DOMCTL_getdomaininfo_next, from))
                break;
            if (!strcmp((const char *)op.u.info.name, "domu")) {
                found = true;
                running = !(op.u.info.flags & PV_DOMINF_shutdown);     /* until every frame is back */
            }
            from = (domid_t)(op.domain + 1);
        }
        if (found && !running)
            return NULL;
        hyp_sched_op(SCHEDOP_yield, NULL);
    }
    return fail(why, len, "the domU is still running");
}

static const struct test_case dom0_cases[] = {
    { "create_fields", test_create_fields },
    { "self_and_dom0", test_self_and_dom0 },
    { "physinfo_vcpuinfo", test_physinfo_vcpuinfo },
    { "permissions", test_permissions },
    { "domu_done", test_domu_done },
    { "lifecycle", test_lifecycle },
};
static const struct test_case domu_cases[] = {
    { "domu_eperm", test_domu_eperm },
};

const struct test_case *guest_cases(unsigned int *n)
{
    if (guest_option_is("role", "domu")) {
        *n = ARRAY_SIZE(domu_cases);
        return domu_cases;
    }
    *n = ARRAY_SIZE(dom0_cases);
    return dom0_cases;
}
