/*
 * Physical IRQs of PV domains (asm/pirq.h): GSIs routed from the I/O APIC
 * to the owner's pirq event channel, the per-domain pirq table and IRQ
 * permissions, and the EOI handshake that keeps a level-triggered pin
 * masked from delivery until its owner's PHYSDEVOP_eoi (Xen's ACKTYPE_UNMASK).
 */
#include <hv/domain.h>
#include <hv/event.h>
#include <hv/frame.h>
#include <hv/printk.h>
#include <hv/spinlock.h>
#include <asm/apic.h>
#include <asm/irq.h>
#include <asm/pirq.h>
#include <public/physdev.h>

/*
 * One I/O APIC pin. owner and pirq are set by map_pirq, bound by
 * bind_pirq; the pin is unmasked exactly while bound && !in_flight.
 */
struct gsi_desc {
    struct domain *owner;       /* the domain that mapped it; NULL: free */
    uint16_t pirq;              /* owner's pirq for it */
    bool bound;                 /* owner bound a port: deliveries go there */
    bool in_flight;             /* level: delivered, masked until the owner's EOI */
    bool configured;            /* PHYSDEVOP_setup_gsi chose level and active_low */
    bool level, active_low;
    bool hypervisor;            /* the hypervisor's own (PIT, cascade, COM1): never a guest's */
    uint64_t deliveries;        /* to the owner */
    uint64_t spurious;          /* arrived unbound (the pin is masked again) */
};

/* gsis[], every domain's pirqs[], irqs and pirq_eoi_mfn (lock order: after evtchn_lock). */
static DEFINE_SPINLOCK(pirq_lock);
static struct gsi_desc gsis[NR_GSIS];
static unsigned int nr_gsis;            /* GSIs below this that are >= madt.ioapic_gsi_base exist */

static uint64_t pirq_lock_irqsave(void)
{
    uint64_t flags = local_irq_save();
    spin_lock(&pirq_lock);
    return flags;
}

static void pirq_unlock_irqrestore(uint64_t flags)
{
    spin_unlock(&pirq_lock);
    local_irq_restore(flags);
}

static bool gsi_exists(int64_t gsi)
{
    return gsi >= (int64_t)madt.ioapic_gsi_base && gsi < (int64_t)nr_gsis;
}

/* The EOI bitmap of d (PHYSDEVOP_pirq_eoi_gmfn_v2), NULL if none. */
static uint64_t *eoi_map(const struct domain *d)
{
    return d->arch.pirq_eoi_mfn ? __va(d->arch.pirq_eoi_mfn << PAGE_SHIFT) : NULL;
}

static void eoi_bit(const struct domain *d, unsigned int pirq, bool set)
{
    uint64_t *map = eoi_map(d);
    if (!map)
        return;
    uint64_t m = 1ull << (pirq % 64);
    if (set)
        __atomic_fetch_or(&map[pirq / 64], m, __ATOMIC_SEQ_CST);
    else
        __atomic_fetch_and(&map[pirq / 64], ~m, __ATOMIC_SEQ_CST);
}

/* The pin's vector: one per GSI, for the life of the machine. */
static void pirq_interrupt(struct cpu_regs *regs)
{
    unsigned int gsi = regs->entry_vector - GSI_VECTOR_BASE;
    spin_lock(&pirq_lock);                  /* an interrupt gate: interrupts are off */
    struct gsi_desc *g = &gsis[gsi];
    struct domain *d = g->owner;
    unsigned int pirq = g->pirq;
    if (!d || !g->bound) {
        ioapic_set_mask(gsi, true);
        g->spurious++;
        spin_unlock(&pirq_lock);
        return;
    }
    if (g->level) {
        /* Masked before the local APIC's EOI (do_trap, after us), so the line cannot fire again until the owner's EOI. */
        ioapic_set_mask(gsi, true);
        g->in_flight = true;
    }
    g->deliveries++;
    spin_unlock(&pirq_lock);
    /* After pirq_lock (lock order): a port closed meanwhile is found gone there. */
    evtchn_send_pirq(d, pirq);
}

/* Edge, active high for an ISA IRQ unless an override says otherwise; PCI's level, active low above 15. */
static void default_trigger(unsigned int gsi, bool *level, bool *active_low)
{
    *level = gsi >= 16;
    *active_low = gsi >= 16;
    for (unsigned int isa = 0; isa < 16; isa++) {
        if (madt.isa_gsi[isa] != gsi)
            continue;
        uint16_t f = madt.isa_flags[isa];
        *active_low = (f & 3) == 3;
        *level = ((f >> 2) & 3) == 3;
        return;
    }
}

void pirq_init(void)
{
    unsigned int pins = ioapic_nr_pins();
    nr_gsis = pins ? MIN(madt.ioapic_gsi_base + pins, (unsigned int)NR_GSIS) : 0;
    static const unsigned int own_isa[] = { 0, 2, 4 };     /* PIT, the 8259 cascade, COM1 */
    gsis[0].hypervisor = true;              /* as Xen: IRQ 0 is never a guest's (-EPERM) */
    for (size_t i = 0; i < ARRAY_SIZE(own_isa); i++)
        if (madt.isa_gsi[own_isa[i]] < NR_GSIS)
            gsis[madt.isa_gsi[own_isa[i]]].hypervisor = true;
    for (unsigned int gsi = 0; gsi < nr_gsis; gsi++) {
        default_trigger(gsi, &gsis[gsi].level, &gsis[gsi].active_low);
        if (gsi_exists(gsi) && !gsis[gsi].hypervisor)
            set_irq_handler(GSI_VECTOR_BASE + gsi, pirq_interrupt);
    }
    printk("pirq: GSIs %u-%u routable to domains on vectors %#x-%#x\n", madt.ioapic_gsi_base,
           nr_gsis ? nr_gsis - 1 : 0, GSI_VECTOR_BASE + madt.ioapic_gsi_base, GSI_VECTOR_BASE + nr_gsis - 1);
}
_Static_assert(GSI_VECTOR_BASE + NR_GSIS <= SERIAL_VECTOR, "GSI vectors below the hypervisor's");
_Static_assert(GSI_VECTOR_BASE >= PIC_SLAVE_VECTOR + 8, "GSI vectors above the 8259s'");

void pirq_domain_init(struct domain *d)
{
    rangeset_init(&d->arch.irqs);
    memset(d->arch.pirqs, 0, sizeof(d->arch.pirqs));
    d->arch.pirq_eoi_mfn = 0;
    if (!domain_has_rights(d, DOMAIN_RIGHT_IRQ))
        return;
    /* GSI 0 is never a guest's (Xen refuses IRQ 0 too); runs of the rest, around the hypervisor's. */
    for (unsigned int gsi = MAX(1u, madt.ioapic_gsi_base); gsi < nr_gsis; gsi++)
        if (!gsis[gsi].hypervisor)
            rangeset_add(&d->arch.irqs, gsi, gsi);      /* a handful of runs: RANGESET_MAX is ample */
}

/* Stops gsi's deliveries to its owner: masked, nothing in flight. */
static void gsi_unbind(struct gsi_desc *g, unsigned int gsi)
{
    ioapic_set_mask(gsi, true);
    g->bound = false;
    g->in_flight = false;
}

void pirq_domain_release(struct domain *d)
{
    uint64_t flags = pirq_lock_irqsave();
    unsigned int released = 0;
    for (unsigned int p = 0; p < NR_PIRQS; p++) {
        struct pirq *pi = &d->arch.pirqs[p];
        if (pi->mapped) {
            struct gsi_desc *g = &gsis[pi->gsi];
            gsi_unbind(g, pi->gsi);
            g->owner = NULL;
            released++;
        }
        *pi = (struct pirq){ 0 };
    }
    rangeset_init(&d->arch.irqs);
    pirq_unlock_irqrestore(flags);
    if (released)
        printk("domain %u (%s): %u pirq(s) masked and released\n", d->id, d->name, released);
}

struct domain *pirq_gsi_owner(uint32_t gsi)
{
    if (gsi >= NR_GSIS)
        return NULL;
    uint64_t flags = pirq_lock_irqsave();
    struct domain *d = gsis[gsi].owner;
    pirq_unlock_irqrestore(flags);
    return d;
}

bool pirq_gsi_revoke(struct domain *d, uint32_t gsi)
{
    if (gsi >= NR_GSIS)
        return false;
    uint64_t flags = pirq_lock_irqsave();
    struct gsi_desc *g = &gsis[gsi];
    bool revoked = g->owner == d;
    if (revoked) {
        /* As unmap_pirq by force: a bound port stays open, bound to nothing, until closed. */
        gsi_unbind(g, gsi);
        g->owner = NULL;
        d->arch.pirqs[g->pirq].mapped = false;
        eoi_bit(d, g->pirq, false);
    }
    pirq_unlock_irqrestore(flags);
    return revoked;
}

/* ---- PHYSDEVOP_* ------------------------------------------------------ */

int pirq_setup_gsi(struct domain *caller, int32_t gsi, bool level, bool active_low)
{
    if (!domain_has_rights(caller, DOMAIN_RIGHT_IOPORT))
        return -XEN_EPERM;                  /* the hardware domain only, as Xen */
    if (!gsi_exists(gsi))
        return -XEN_EINVAL;
    uint64_t flags = pirq_lock_irqsave();
    struct gsi_desc *g = &gsis[gsi];
    int rc = -XEN_EEXIST;                   /* as Xen: a pin programmed once (or ours) stays so */
    if (!g->configured && !g->hypervisor && !g->owner) {
        g->configured = true;
        g->level = level;
        g->active_low = active_low;
        rc = 0;
    }
    pirq_unlock_irqrestore(flags);
    return rc;
}

static bool holds_irq(const struct domain *d, uint32_t gsi)
{
    return rangeset_contains(&d->arch.irqs, gsi, gsi);
}

uint32_t arch_irqs_count(void)
{
    return nr_gsis;
}

bool arch_irqs_held(struct domain *d, uint32_t first, uint32_t last)
{
    uint64_t flags = pirq_lock_irqsave();
    bool held = rangeset_contains(&d->arch.irqs, first, last);
    pirq_unlock_irqrestore(flags);
    return held;
}

int arch_irqs_set(struct domain *d, uint32_t first, uint32_t last, bool allow)
{
    ASSERT(first <= last && last < nr_gsis);
    uint64_t flags = pirq_lock_irqsave();
    int rc = 0;
    for (uint32_t gsi = first; allow && gsi <= last; gsi++)
        if (gsi == 0 || gsis[gsi].hypervisor)
            rc = -XEN_EPERM;
    if (!rc)
        rc = allow ? rangeset_add(&d->arch.irqs, first, last) : rangeset_remove(&d->arch.irqs, first, last);
    pirq_unlock_irqrestore(flags);
    return rc;
}

/* A free pirq of d for gsi: gsi itself when free (dom0's GSIs keep their numbers, as Linux expects), else the highest free. */
static int free_pirq(const struct domain *d, unsigned int gsi)
{
    if (gsi < NR_PIRQS && !d->arch.pirqs[gsi].mapped && !d->arch.pirqs[gsi].port)
        return (int)gsi;
    for (int p = NR_PIRQS - 1; p >= 0; p--)
        if (!d->arch.pirqs[p].mapped && !d->arch.pirqs[p].port)
            return p;
    return -XEN_ENOSPC;
}

int pirq_map_gsi(struct domain *caller, struct domain *d, int32_t gsi, int32_t *pirq)
{
    if (!gsi_exists(gsi))
        return -XEN_EINVAL;
    if (*pirq >= NR_PIRQS)
        return -XEN_EINVAL;
    uint64_t flags = pirq_lock_irqsave();
    struct gsi_desc *g = &gsis[gsi];
    int rc = 0;
    if (__atomic_load_n(&d->state, __ATOMIC_ACQUIRE) != DOMAIN_RUNNING) {
        /* Stopping: pirq_domain_release has run or will find nothing of ours (state is set before it takes the lock). */
        rc = -XEN_ESRCH;
    } else if (!holds_irq(caller, (uint32_t)gsi) || g->hypervisor) {
        rc = -XEN_EPERM;
    } else if (g->owner && g->owner != d) {
        rc = -XEN_EBUSY;                    /* not shared between domains (docs/differences-from-xen.md) */
    } else if (g->owner == d) {
        /* Mapped already: "any" gets its pirq; another pirq number is refused, as Xen's allocate_pirq. */
        if (*pirq < 0)
            *pirq = g->pirq;
        else if (*pirq != g->pirq)
            rc = -XEN_EEXIST;
    } else if (*pirq >= 0 && d->arch.pirqs[*pirq].mapped) {
        /* As Xen's map_domain_pirq: a pirq mapped to another IRQ answers 0 and nothing changes. */
        printk(LOG_DEBUG "pirq: domain %u: pirq %d is mapped to GSI %u already\n", d->id, *pirq,
               d->arch.pirqs[*pirq].gsi);
    } else {
        int p = *pirq >= 0 ? *pirq : free_pirq(d, (unsigned int)gsi);
        /* As Xen's map_domain_pirq: the domain it is mapped into may use the IRQ from now on. */
        if (p >= 0 && d != caller)
            rc = rangeset_add(&d->arch.irqs, (uint32_t)gsi, (uint32_t)gsi);
        if (p < 0) {
            rc = p;
        } else if (!rc) {
            d->arch.pirqs[p].mapped = true;
            d->arch.pirqs[p].gsi = (uint8_t)gsi;
            g->owner = d;
            g->pirq = (uint16_t)p;
            g->bound = g->in_flight = false;
            /* Programmed now and masked: bind_pirq unmasks it. */
            ioapic_set_entry((uint32_t)gsi, GSI_VECTOR_BASE + (unsigned int)gsi, g->level, g->active_low, true);
            *pirq = p;
        }
    }
    pirq_unlock_irqrestore(flags);
    return rc;
}

int pirq_unmap(struct domain *caller, struct domain *d, int32_t pirq)
{
    if (pirq < 0 || pirq >= NR_PIRQS)
        return -XEN_EINVAL;
    uint64_t flags = pirq_lock_irqsave();
    struct pirq *pi = &d->arch.pirqs[pirq];
    int rc = 0;
    if (!pi->mapped) {
        rc = -XEN_EINVAL;
    } else if (!holds_irq(caller, pi->gsi)) {
        rc = -XEN_EPERM;
    } else {
        struct gsi_desc *g = &gsis[pi->gsi];
        /* A bound port is unbound by force (as Xen): it stays open, bound to nothing, until closed. */
        gsi_unbind(g, pi->gsi);
        g->owner = NULL;
        pi->mapped = false;
        eoi_bit(d, (unsigned int)pirq, false);
        /* As Xen's unmap_domain_pirq: the domain loses the IRQ with its mapping (dom0 too). */
        if (rangeset_remove(&d->arch.irqs, pi->gsi, pi->gsi))
            printk(LOG_WARN "pirq: domain %u keeps GSI %u: its IRQ set is full\n", d->id, pi->gsi);
    }
    pirq_unlock_irqrestore(flags);
    return rc;
}

int pirq_eoi(struct domain *d, uint32_t pirq)
{
    if (pirq >= NR_PIRQS)
        return -XEN_EINVAL;
    uint64_t flags = pirq_lock_irqsave();
    struct pirq *pi = &d->arch.pirqs[pirq];
    int rc = 0;
    if (!pi->mapped && !pi->port) {
        rc = -XEN_EINVAL;                   /* as Xen: a pirq it never had */
    } else {
        struct gsi_desc *g = &gsis[pi->gsi];
        if (pi->mapped && g->owner == d && g->in_flight) {
            g->in_flight = false;
            if (g->bound)
                ioapic_set_mask(pi->gsi, false);    /* a line still asserted fires again now */
        }
    }
    pirq_unlock_irqrestore(flags);
    return rc;
}

int pirq_status(struct domain *d, uint32_t pirq, uint32_t *out)
{
    if (pirq >= NR_PIRQS)
        return -XEN_EINVAL;
    (void)d;
    /*
     * As Xen 4.17 for a PV domain: every pirq, mapped or not, says needs_eoi
     * (a guest without the EOI page must EOI conservatively); never shared here.
     */
    *out = XENIRQSTAT_needs_eoi;
    return 0;
}

int pirq_set_eoi_frame(struct domain *d, uint64_t mfn)
{
    frame_lock();
    int rc = d->arch.pirq_eoi_mfn ? -XEN_EBUSY : 0;
    /* Held writable until the domain dies (relinquish_vcpu drops it); as Xen, anything else it cannot be is -EINVAL. */
    if (!rc && get_page_type(mfn, PGT_writable, d))
        rc = -XEN_EINVAL;
    if (!rc) {
        memset(__va(mfn << PAGE_SHIFT), 0, PAGE_SIZE);
        uint64_t flags = pirq_lock_irqsave();
        d->arch.pirq_eoi_mfn = mfn;
        /* Level lines bound before the page existed want EOIs too: say so. */
        for (unsigned int p = 0; p < NR_PIRQS; p++) {
            const struct pirq *pi = &d->arch.pirqs[p];
            if (pi->mapped && pi->port && gsis[pi->gsi].owner == d && gsis[pi->gsi].bound && gsis[pi->gsi].level)
                eoi_bit(d, p, true);
        }
        pirq_unlock_irqrestore(flags);
    }
    frame_unlock();
    return rc;
}

uint64_t pirq_eoi_frame(const struct domain *d)
{
    return d->arch.pirq_eoi_mfn;
}

void pirq_eoi_frame_release(struct domain *d)
{
    uint64_t flags = pirq_lock_irqsave();
    uint64_t mfn = d->arch.pirq_eoi_mfn;
    d->arch.pirq_eoi_mfn = 0;
    pirq_unlock_irqrestore(flags);
    if (mfn)
        put_page_type(mfn);
}

/* ---- EVTCHNOP_bind_pirq and close (hv/arch.h) ---------------------------- */

int arch_pirq_bind(struct domain *d, unsigned int pirq, unsigned int port, bool will_share)
{
    (void)will_share;                       /* accepted; a GSI has one owner here, so there is nobody to share with */
    if (pirq >= NR_PIRQS)
        return -XEN_EINVAL;
    uint64_t flags = pirq_lock_irqsave();
    struct pirq *pi = &d->arch.pirqs[pirq];
    int rc = 0;
    if (!pi->mapped || !holds_irq(d, pi->gsi)) {
        rc = -XEN_EPERM;                    /* as Xen: an unmapped pirq is one it has no access to */
    } else if (pi->port) {
        rc = -XEN_EEXIST;
    } else {
        struct gsi_desc *g = &gsis[pi->gsi];
        pi->port = (uint16_t)port;
        g->bound = true;
        g->in_flight = false;
        /* As Xen's pirq_guest_bind: the bit says "this pirq wants PHYSDEVOP_eoi", for as long as it is bound. */
        eoi_bit(d, pirq, g->level);
        ioapic_set_entry(pi->gsi, GSI_VECTOR_BASE + pi->gsi, g->level, g->active_low, false);
    }
    pirq_unlock_irqrestore(flags);
    return rc;
}

void arch_pirq_unbind(struct domain *d, unsigned int pirq, unsigned int port)
{
    if (pirq >= NR_PIRQS)
        return;
    uint64_t flags = pirq_lock_irqsave();
    struct pirq *pi = &d->arch.pirqs[pirq];
    if (pi->port == port) {
        pi->port = 0;
        eoi_bit(d, pirq, false);
        if (pi->mapped && gsis[pi->gsi].owner == d)
            gsi_unbind(&gsis[pi->gsi], pi->gsi);
    }
    pirq_unlock_irqrestore(flags);
}

unsigned int arch_pirq_port(const struct domain *d, unsigned int pirq)
{
    return pirq < NR_PIRQS ? d->arch.pirqs[pirq].port : 0;
}
