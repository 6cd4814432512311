/*
 * Physical IRQs of a PV domain: PHYSDEVOP_map_pirq/unmap_pirq (GSI),
 * setup_gsi, eoi, irq_status_query, pirq_eoi_gmfn_v2 and EVTCHNOP_bind_pirq,
 * with their refusals. As dom0 (differential), a live level-triggered line:
 * QEMU's COM2 (ISA IRQ 3, `-serial null`) asserts its IRQ while its
 * transmitter-empty interrupt is enabled, so the line stays high until the
 * guest turns it off, and the pirq must fire once per EOI. As a domU
 * (role: not dom0): it holds no IRQ, and every use is refused. As a domU
 * with granted=yes, beside a supervisor with perms=<us>: dom0 grants it the
 * VGA text frame and GSI 5 (PV_DOMCTL_iomem_permission, _irq_permission),
 * which it maps and binds, nothing beside them; binding is its signal, and
 * once dom0 takes both back new maps and binds are refused again.
 */
#include "events.h"
#include "guest.h"
#include "hypercall.h"
#include "mm.h"
#include "rand.h"
#include "smp.h"
#include <public/errno.h>
#include <public/event_channel.h>
#include <public/physdev.h>

const char test_title[] = "pirq: physical IRQs: map, bind, EOI, a level line masked until EOI";

#define COM2            0x2f8
#define COM2_IER        (COM2 + 1)
#define COM2_IIR        (COM2 + 2)
#define COM2_LCR        (COM2 + 3)
#define COM2_MCR        (COM2 + 4)
#define IER_THRE        0x02
#define MCR_OUT2        0x08        /* gates the UART's IRQ output on a PC */
#define COM2_GSI        3           /* ISA IRQ 3: no override on QEMU q35 */
#define COM1_GSI        4           /* the hypervisor's console */
#define SPARE_GSI       5           /* ISA IRQ 5: nothing on it in this machine */
#define NO_PIRQ         200         /* a pirq number nobody maps here */
#define WAIT_NS         200000000ull    /* 200 ms: plenty for an interrupt under TCG */
#define QUIET_NS        50000000ull     /* 50 ms of no event counts as none */

static uint8_t eoi_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static unsigned int com2_port;          /* the event channel bound to COM2's pirq */

static bool is_dom0(void) { return start_info->flags & SIF_INITDOMAIN; }

static int64_t physdev(unsigned int cmd, void *arg) { return hypercall2(__HYPERVISOR_physdev_op, cmd, arg); }

static int64_t map_gsi(int32_t gsi, int32_t *pirq)
{
    struct physdev_map_pirq m = { .domid = DOMID_SELF, .type = MAP_PIRQ_TYPE_GSI, .index = gsi, .pirq = *pirq };
    int64_t rc = physdev(PHYSDEVOP_map_pirq, &m);
    *pirq = m.pirq;
    return rc;
}

static int64_t unmap(int32_t pirq)
{
    struct physdev_unmap_pirq u = { .domid = DOMID_SELF, .pirq = pirq };
    return physdev(PHYSDEVOP_unmap_pirq, &u);
}

static int64_t eoi(uint32_t pirq)
{
    struct physdev_eoi e = { .irq = pirq };
    return physdev(PHYSDEVOP_eoi, &e);
}

static int64_t status(uint32_t pirq, uint32_t *flags)
{
    struct physdev_irq_status_query q = { .irq = pirq, .flags = 0xdead };
    int64_t rc = physdev(PHYSDEVOP_irq_status_query, &q);
    *flags = q.flags;
    return rc;
}

static int64_t setup_gsi(int32_t gsi, uint8_t level, uint8_t low)
{
    struct physdev_setup_gsi s = { .gsi = gsi, .triggering = level, .polarity = low };
    return physdev(PHYSDEVOP_setup_gsi, &s);
}

static int64_t bind_pirq(uint32_t pirq, uint32_t flags, unsigned int *port)
{
    struct evtchn_bind_pirq b = { .pirq = pirq, .flags = flags };
    int64_t rc = evtchn_op(EVTCHNOP_bind_pirq, &b);
    *port = b.port;
    return rc;
}

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(port)); }

/* The port turns pending within ns (it is cleared first if clear_first); true if it did. */
static bool fires_within(unsigned int port, uint64_t ns)
{
    uint64_t until = pvclock_now() + ns;
    while (!port_pending(port) && pvclock_now() < until)
        poll_port(port, until);
    return port_pending(port);
}

#define WANT(expr, want, what)                                                                  \
    do {                                                                                        \
        int64_t rc_ = (expr);                                                                   \
        if (rc_ != (want))                                                                      \
            return fail(why, len, "%s: %lld, want %lld", what, (long long)rc_, (long long)(want)); \
    } while (0)

static const char *test_setup(char *why, size_t len)
{
    if (events_init())
        return fail(why, len, "events_init failed");
    if (is_dom0()) {
        struct physdev_set_iopl iopl = { .iopl = 1 };     /* the kernel's own ports (COM2) */
        WANT(physdev(PHYSDEVOP_set_iopl, &iopl), 0, "set_iopl 1");
    }
    return NULL;
}

static const char *test_map_refusals(char *why, size_t len)
{
    int32_t pirq = -1;
    struct physdev_map_pirq m = { .domid = DOMID_SELF, .type = 99, .index = COM2_GSI, .pirq = -1 };
    WANT(physdev(PHYSDEVOP_map_pirq, &m), -XEN_EINVAL, "type 99");
    WANT(physdev(PHYSDEVOP_map_pirq, (void *)0x10), -XEN_EFAULT, "unmapped argument");
    m = (struct physdev_map_pirq){ .domid = DOMID_INVALID, .type = MAP_PIRQ_TYPE_GSI, .index = COM2_GSI, .pirq = -1 };
    WANT(physdev(PHYSDEVOP_map_pirq, &m), is_dom0() ? -XEN_ESRCH : -XEN_EPERM, "DOMID_INVALID");
    if (!is_dom0()) {
        WANT(map_gsi(COM2_GSI, &pirq), -XEN_EPERM, "a domU maps GSI 3");
        return NULL;
    }
    WANT(map_gsi(0, &pirq), -XEN_EPERM, "GSI 0 (the timer's)");
    WANT(map_gsi(-1, &pirq), -XEN_EINVAL, "GSI -1");
    WANT(map_gsi(100000, &pirq), -XEN_EINVAL, "GSI 100000");
    pirq = 0x7fffffff;
    WANT(map_gsi(COM2_GSI, &pirq), -XEN_EINVAL, "pirq 0x7fffffff");
    return NULL;
}

/* dom0 holds every GSI but the hypervisor's own: its console's is refused. */
static const char *test_hypervisor_gsi(char *why, size_t len)
{
    int32_t pirq = -1;
    WANT(map_gsi(COM1_GSI, &pirq), -XEN_EPERM, "GSI 4 (the hypervisor's serial console)");
    return NULL;
}

static const char *test_unbound_refusals(char *why, size_t len)
{
    uint32_t flags;
    unsigned int port;
    WANT(unmap(NO_PIRQ), -XEN_EINVAL, "unmap a pirq never mapped");
    WANT(unmap(-1), -XEN_EINVAL, "unmap pirq -1");
    WANT(eoi(NO_PIRQ), -XEN_EINVAL, "EOI of a pirq never mapped");
    WANT(eoi(0xffffffffu), -XEN_EINVAL, "EOI of pirq 0xffffffff");
    WANT(status(0xffffffffu, &flags), -XEN_EINVAL, "status of pirq 0xffffffff");
    WANT(status(NO_PIRQ, &flags), 0, "status of a pirq never mapped");
    if (flags != XENIRQSTAT_needs_eoi)
        return fail(why, len, "status of a pirq never mapped: flags %#x, want needs_eoi", flags);
    WANT(bind_pirq(0xffffffffu, 0, &port), -XEN_EINVAL, "bind pirq 0xffffffff");
    WANT(bind_pirq(NO_PIRQ, 0, &port), -XEN_EPERM, "bind a pirq never mapped");
    WANT(bind_pirq(COM2_GSI, BIND_PIRQ__WILL_SHARE, &port), -XEN_EPERM, "bind pirq 3 unmapped");
    return NULL;
}

static const char *test_setup_gsi(char *why, size_t len)
{
    if (!is_dom0()) {
        WANT(setup_gsi(COM2_GSI, 1, 0), -XEN_EPERM, "a domU sets up GSI 3");
        return NULL;
    }
    WANT(physdev(PHYSDEVOP_setup_gsi, (void *)0x10), -XEN_EFAULT, "unmapped argument");
    WANT(setup_gsi(-1, 1, 0), -XEN_EINVAL, "GSI -1");
    WANT(setup_gsi(100000, 1, 0), -XEN_EINVAL, "GSI 100000");
    /* ISA IRQ 3 is edge by default: made level, active high, for the test below. */
    WANT(setup_gsi(COM2_GSI, 1, 0), 0, "GSI 3 level, active high");
    WANT(setup_gsi(COM2_GSI, 1, 0), -XEN_EEXIST, "GSI 3 again");
    return NULL;
}

static const char *test_eoi_page(char *why, size_t len)
{
    struct physdev_pirq_eoi_gmfn g = { .gmfn = 1ull << 40 };
    WANT(physdev(PHYSDEVOP_pirq_eoi_gmfn_v2, &g), -XEN_EINVAL, "a frame beyond memory");
    g.gmfn = virt_to_mfn((void *)start_info->pt_base);
    WANT(physdev(PHYSDEVOP_pirq_eoi_gmfn_v2, &g), -XEN_EINVAL, "its L4 page table");
    g.gmfn = virt_to_mfn(eoi_page);
    WANT(physdev(PHYSDEVOP_pirq_eoi_gmfn_v2, &g), 0, "a page of its own");
    WANT(physdev(PHYSDEVOP_pirq_eoi_gmfn_v2, &g), -XEN_EBUSY, "a second time");
    return NULL;
}

static bool eoi_bit(unsigned int pirq) { return ((volatile uint64_t *)eoi_page)[pirq / 64] & (1ull << (pirq % 64)); }

/* dom0 only: GSI 3 mapped as pirq 3, bound, and the refusals that need a mapped pirq. */
static const char *test_map_bind(char *why, size_t len)
{
    int32_t pirq = COM2_GSI;
    uint32_t flags;
    unsigned int port;
    WANT(map_gsi(COM2_GSI, &pirq), 0, "map GSI 3 as pirq 3");
    if (pirq != COM2_GSI)
        return fail(why, len, "map GSI 3: pirq %d, want 3", pirq);
    pirq = -1;
    WANT(map_gsi(COM2_GSI, &pirq), 0, "map GSI 3 again, any pirq");
    if (pirq != COM2_GSI)
        return fail(why, len, "map GSI 3 again: pirq %d, want 3", pirq);
    WANT(status(COM2_GSI, &flags), 0, "status of pirq 3");
    if (!(flags & XENIRQSTAT_needs_eoi))
        return fail(why, len, "status of pirq 3: flags %#x, want needs_eoi", flags);
    WANT(eoi(COM2_GSI), 0, "EOI of a mapped, unbound pirq");
    WANT(setup_gsi(COM2_GSI, 0, 0), -XEN_EEXIST, "setup_gsi of a mapped GSI");
    WANT(bind_pirq(COM2_GSI, BIND_PIRQ__WILL_SHARE, &com2_port), 0, "bind pirq 3");
    WANT(bind_pirq(COM2_GSI, 0, &port), -XEN_EEXIST, "bind pirq 3 twice");
    if (evtchn_state(com2_port) != EVTCHNSTAT_pirq)
        return fail(why, len, "port %u: state %lld, want pirq", com2_port, (long long)evtchn_state(com2_port));
    if (!eoi_bit(COM2_GSI))
        return fail(why, len, "EOI page: bit 3 clear after binding a level pirq");
    struct evtchn_send s = { .port = com2_port };
    WANT(evtchn_op(EVTCHNOP_send, &s), -XEN_EINVAL, "send on a pirq port");
    /* Nothing asserts the line yet: no event. */
    if (fires_within(com2_port, QUIET_NS))
        return fail(why, len, "pirq 3 fired before COM2 raised its line");
    return NULL;
}

/* The line stays high (COM2's THRE interrupt, never acknowledged): one event per EOI, none between. */
static const char *test_level_masked_until_eoi(char *why, size_t len)
{
    outb(COM2_LCR, 0x03);
    outb(COM2_MCR, MCR_OUT2);
    outb(COM2_IER, IER_THRE);
    if (!fires_within(com2_port, WAIT_NS))
        return fail(why, len, "no event within 200 ms of COM2 raising its line");
    for (unsigned int round = 0; round < 3; round++) {
        port_clear(com2_port);
        if (fires_within(com2_port, QUIET_NS))
            return fail(why, len, "round %u: pirq 3 fired again before its EOI", round);
        if (!eoi_bit(COM2_GSI))
            return fail(why, len, "round %u: EOI page bit 3 clear while an EOI is due", round);
        WANT(eoi(COM2_GSI), 0, "EOI of pirq 3");
        if (!fires_within(com2_port, WAIT_NS))
            return fail(why, len, "round %u: the line is still high, yet no event after the EOI", round);
    }
    /* The line drops: after the last EOI, nothing more. */
    outb(COM2_IER, 0);
    port_clear(com2_port);
    WANT(eoi(COM2_GSI), 0, "EOI of pirq 3");
    if (fires_within(com2_port, QUIET_NS))
        return fail(why, len, "pirq 3 fired after COM2 dropped its line");
    return NULL;
}

/*
 * Closing the port stops deliveries; the mapping stays until unmap, which
 * unbinds a port still bound (it never fires again) and, as Xen, takes the
 * IRQ away from the domain: dom0 cannot map GSI 3 again.
 */
static const char *test_close_unmap(char *why, size_t len)
{
    struct evtchn_close c = { .port = com2_port };
    WANT(evtchn_op(EVTCHNOP_close, &c), 0, "close pirq 3's port");
    outb(COM2_IER, IER_THRE);
    bool fired = fires_within(com2_port, QUIET_NS);
    outb(COM2_IER, 0);
    if (fired)
        return fail(why, len, "a closed pirq port fired");
    unsigned int port;
    WANT(bind_pirq(COM2_GSI, 0, &port), 0, "bind pirq 3 after close");
    WANT(unmap(COM2_GSI), 0, "unmap pirq 3 while bound");
    outb(COM2_IER, IER_THRE);
    fired = fires_within(port, QUIET_NS);
    outb(COM2_IER, 0);
    if (fired)
        return fail(why, len, "the port of an unmapped pirq fired");
    WANT(unmap(COM2_GSI), -XEN_EINVAL, "unmap pirq 3 twice");
    unsigned int refused;
    WANT(bind_pirq(COM2_GSI, 0, &refused), -XEN_EPERM, "bind an unmapped pirq");
    c.port = port;
    WANT(evtchn_op(EVTCHNOP_close, &c), 0, "close the unmapped pirq's port");
    int32_t pirq = COM2_GSI;
    WANT(map_gsi(COM2_GSI, &pirq), -XEN_EPERM, "map GSI 3 after unmapping it");
    return NULL;
}

/*
 * A hostile mix: map, unmap, bind, close, EOI and status on GSIs and pirqs
 * in and out of range, in a seeded random order. Every answer must be one of
 * the codes these calls give, and nothing may crash; at the end every port is
 * closed and every pirq unmapped. GSI 5 stays out of it (left_bound uses it;
 * an unmap would take it away).
 */
#define HOSTILE_STEPS 1500

static bool expected_rc(int64_t rc)
{
    return rc == 0 || rc == -XEN_EINVAL || rc == -XEN_EPERM || rc == -XEN_EEXIST || rc == -XEN_EBUSY ||
           rc == -XEN_ENOSPC || rc == -XEN_ESRCH;
}

static const char *test_hostile_mix(char *why, size_t len)
{
    static const int32_t gsis[] = { 0, 6, 7, 10, 11, 13, -1, 24, 1000, 0x7fffffff };
    static const int32_t pirqs[] = { -1, 0, 6, 7, 10, 11, 13, 17, 18, 200, 255, 256, 0x7fffffff };
    unsigned int ports[32], nports = 0, maps = 0, binds = 0;
    uint64_t seed = 0x9172;
    for (unsigned int step = 0; step < HOSTILE_STEPS; step++) {
        uint64_t r = splitmix64(&seed);
        int32_t gsi = gsis[r % ARRAY_SIZE(gsis)], pirq = pirqs[(r >> 8) % ARRAY_SIZE(pirqs)];
        unsigned int op = (unsigned int)(r >> 16) % 6, port;
        uint32_t flags;
        int64_t rc;
        const char *what;
        switch (op) {
        case 0: what = "map_pirq"; rc = map_gsi(gsi, &pirq); break;
        case 1: what = "unmap_pirq"; rc = unmap(pirq); break;
        case 2:
            what = "bind_pirq";
            rc = bind_pirq((uint32_t)pirq, (uint32_t)(r >> 24) & 1, &port);
            if (rc == 0 && nports < ARRAY_SIZE(ports))
                ports[nports++] = port;
            else if (rc == 0)
                evtchn_op(EVTCHNOP_close, &(struct evtchn_close){ .port = port });
            break;
        case 3:
            what = "close";
            rc = 0;
            if (nports) {
                unsigned int i = (unsigned int)(r >> 24) % nports;
                rc = evtchn_op(EVTCHNOP_close, &(struct evtchn_close){ .port = ports[i] });
                ports[i] = ports[--nports];
            }
            break;
        case 4: what = "eoi"; rc = eoi((uint32_t)pirq); break;
        default: what = "irq_status_query"; rc = status((uint32_t)pirq, &flags); break;
        }
        if (!expected_rc(rc))
            return fail(why, len, "step %u: %s (GSI %d, pirq %d): %lld", step, what, gsi, pirq, (long long)rc);
        maps += op == 0 && rc == 0;
        binds += op == 2 && rc == 0;
    }
    printk("# hostile mix: %u steps, %u maps and %u binds succeeded\n", HOSTILE_STEPS, maps, binds);
    if (!maps || !binds)
        return fail(why, len, "nothing was mapped (%u) or bound (%u): the mix tests only refusals", maps, binds);
    while (nports)
        WANT(evtchn_op(EVTCHNOP_close, &(struct evtchn_close){ .port = ports[--nports] }), 0, "closing a port");
    for (int32_t p = 0; p < 256; p++)
        if (p != SPARE_GSI)
            unmap(p);
    return NULL;
}

/* Another GSI mapped and bound, and left so: the domain's death must release it. */
static const char *test_left_bound(char *why, size_t len)
{
    int32_t pirq = -1;
    unsigned int port;
    WANT(map_gsi(SPARE_GSI, &pirq), 0, "map GSI 5, any pirq");
    if (pirq < 0)
        return fail(why, len, "map GSI 5: pirq %d", pirq);       /* ours gives 5, Xen a free one from 16 */
    WANT(bind_pirq((uint32_t)pirq, 0, &port), 0, "bind GSI 5's pirq");
    return NULL;
}

static const char *test_domu_refusals(char *why, size_t len)
{
    unsigned int port;
    uint32_t flags;
    WANT(bind_pirq(COM2_GSI, 0, &port), -XEN_EPERM, "a domU binds pirq 3");
    WANT(eoi(COM2_GSI), -XEN_EINVAL, "a domU EOIs pirq 3");
    WANT(status(COM2_GSI, &flags), 0, "a domU asks pirq 3's status");
    if (flags != XENIRQSTAT_needs_eoi)
        return fail(why, len, "a domU's pirq 3: flags %#x, want needs_eoi", flags);
    WANT(unmap(COM2_GSI), -XEN_EINVAL, "a domU unmaps pirq 3");
    struct physdev_unmap_pirq u = { .domid = 0, .pirq = COM2_GSI };
    WANT(physdev(PHYSDEVOP_unmap_pirq, &u), -XEN_EPERM, "a domU unmaps dom0's pirq 3");
    return NULL;
}

/* ---- granted by dom0 at run time (granted=yes, a supervisor with perms=<us>) ---- */

#define VGA_MFN         0xb8        /* the VGA text frame: I/O memory below 1 MiB */
#define GRANTED_VA      0x100000000000ull   /* 16 TiB: far from the builder's mappings */
#define PROBE_VA        (GRANTED_VA + PAGE_SIZE)

#define PTE_PCD         0x010ull

/* Maps mfn at va with mmu_update, uncached as a driver maps MMIO. */
static int64_t map_frame(uint64_t va, uint64_t mfn)
{
    return mmu_update_one(pte_maddr(va, 1), (mfn << 12) | PTE_DATA | PTE_PCD);
}

/* The same with the default cache attributes: what is left once nothing is granted. */
static int64_t map_frame_wb(uint64_t va, uint64_t mfn)
{
    return mmu_update_one(pte_maddr(va, 1), (mfn << 12) | PTE_DATA);
}

static int64_t clear_frame(uint64_t va)
{
    return mmu_update_one(pte_maddr(va, 1), 0);
}

static bool vga_mapped(const void *arg)
{
    (void)arg;
    return map_frame(PROBE_VA, VGA_MFN) == 0;
}

/* Cleared first: rewriting an entry to the frame it maps already is not checked again (as Xen's fast path). */
static bool vga_refused(const void *arg)
{
    (void)arg;
    return clear_frame(PROBE_VA) == 0 && map_frame_wb(PROBE_VA, VGA_MFN) == -XEN_EPERM;
}

static int32_t granted_pirq;

static bool gsi_mapped(const void *arg)
{
    (void)arg;
    granted_pirq = -1;
    return map_gsi(SPARE_GSI, &granted_pirq) == 0;
}

static const char *test_granted(char *why, size_t len)
{
    if (ensure_l1(GRANTED_VA) || ensure_l1(PROBE_VA))
        return fail(why, len, "no L1 for the test mappings");
    /* dom0 grants while we look: poll until the frame maps (a bounded wait). */
    if (!smp_wait_until(vga_mapped, NULL))
        return fail(why, len, "the VGA frame %#x never became ours", VGA_MFN);
    WANT(map_frame(GRANTED_VA, VGA_MFN), 0, "map the granted VGA frame");
    WANT(clear_frame(PROBE_VA), 0, "clear the probe entry");
    WANT(map_frame(PROBE_VA, VGA_MFN + 1), -XEN_EPERM, "map the frame after the granted one");
    WANT(map_frame_wb(PROBE_VA, 0xa0), -XEN_EPERM, "map the VGA window's first frame");
    volatile uint8_t *vga = (volatile uint8_t *)GRANTED_VA;
    (void)vga[0];                           /* reachable: no fault */
    WANT(mmuext(MMUEXT_FLUSH_CACHE, 0, 0), 0, "flush caches while driving a device");
    if (!smp_wait_until(gsi_mapped, NULL))
        return fail(why, len, "GSI %u never became ours", SPARE_GSI);
    int32_t pirq = granted_pirq;
    int32_t other = -1;
    WANT(map_gsi(COM2_GSI, &other), -XEN_EPERM, "map GSI 3 (not granted)");
    WANT(map_gsi(6, &other), -XEN_EPERM, "map GSI 6 (not granted)");
    unsigned int port;
    WANT(bind_pirq((uint32_t)pirq, 0, &port), 0, "bind the granted GSI's pirq");
    if (evtchn_state(port) != EVTCHNSTAT_pirq)
        return fail(why, len, "port %u: state %lld, want pirq", port, (long long)evtchn_state(port));
    /* The bound port is dom0's signal to take both away. */
    if (!smp_wait_until(vga_refused, NULL))
        return fail(why, len, "the VGA frame was never taken back");
    /* As Xen: what we mapped before stays mapped; new mappings and binds are refused. */
    if (!(read_pte(GRANTED_VA, 1) & PTE_P))
        return fail(why, len, "the mapping made before revocation is gone");
    (void)vga[0];
    WANT(clear_frame(GRANTED_VA), 0, "remove the old mapping");
    WANT(map_frame_wb(GRANTED_VA, VGA_MFN), -XEN_EPERM, "map the VGA frame after revocation");
    /* With no I/O memory or ports left, cache attributes are refused again (Xen's l1_disallow_mask). */
    WANT(map_frame(GRANTED_VA, VGA_MFN), -XEN_EINVAL, "map the VGA frame uncached after revocation");
    WANT(mmuext(MMUEXT_FLUSH_CACHE, 0, 0), -XEN_EACCES, "flush caches after revocation");
    struct evtchn_close c = { .port = port };
    WANT(evtchn_op(EVTCHNOP_close, &c), 0, "close the pirq port");
    WANT(bind_pirq((uint32_t)pirq, 0, &port), -XEN_EPERM, "bind the pirq after revocation");
    other = -1;
    WANT(map_gsi(SPARE_GSI, &other), -XEN_EPERM, "map GSI 5 after revocation");
    return NULL;                            /* the pirq stays mapped: our teardown releases it */
}

static const struct test_case granted_cases[] = {
    { "setup", test_setup },
    { "granted", test_granted },
};

static const struct test_case dom0_cases[] = {
    { "setup", test_setup },
    { "map_refusals", test_map_refusals },
    { "hypervisor_gsi", test_hypervisor_gsi },
    { "unbound_refusals", test_unbound_refusals },
    { "setup_gsi", test_setup_gsi },
    { "eoi_page", test_eoi_page },
    { "map_bind", test_map_bind },
    { "level_masked_until_eoi", test_level_masked_until_eoi },
    { "close_unmap", test_close_unmap },
    { "hostile_mix", test_hostile_mix },
    { "left_bound", test_left_bound },
};

static const struct test_case domu_cases[] = {
    { "setup", test_setup },
    { "map_refusals", test_map_refusals },
    { "unbound_refusals", test_unbound_refusals },
    { "setup_gsi", test_setup_gsi },
    { "eoi_page", test_eoi_page },
    { "domu_refusals", test_domu_refusals },
};

const struct test_case *guest_cases(unsigned int *n)
{
    if (is_dom0()) {
        *n = ARRAY_SIZE(dom0_cases);
        return dom0_cases;
    }
    for (const char *p = (const char *)start_info->cmd_line; *p; p++)
        if (!strncmp(p, "granted=yes", 11)) {
            *n = ARRAY_SIZE(granted_cases);
            return granted_cases;
        }
    *n = ARRAY_SIZE(domu_cases);
    return domu_cases;
}
