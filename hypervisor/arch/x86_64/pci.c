/*
 * PCI functions passed through to unprivileged domains (asm/pci.h,
 * PV_DOMCTL_assign_device in public/domctl.h): the real configuration
 * space behind every domain's virtual 0xCF8/0xCFC, the table of assigned
 * functions, and the move of a function's ports, frames and GSI between
 * dom0 and the domain that gets it.
 */
#include <hv/arch.h>
#include <hv/domain.h>
#include <hv/pci_vconf.h>
#include <hv/printk.h>
#include <hv/spinlock.h>
#include <lib/x86.h>
#include <asm/pci.h>
#include <asm/pirq.h>
#include <public/errno.h>

#define PCI_CONF_ADDR   0xcf8
#define PCI_CONF_DATA   0xcfc
#define PCI_MAX_ASSIGNED 8
#define NO_GSI          0xffffffffu

/* A function assigned to a domain. Under pci_lock; in use while d is set. */
struct pci_assigned {
    struct domain *d;           /* its holder (no reference: pci_domain_release runs before d can go) */
    uint16_t bdf;
    uint32_t gsi;               /* its INTx GSI, NO_GSI if none */
    struct pci_bar bar[PCI_NR_BARS];
    struct pci_vfunc vf;
};

/* The table (lock order: before the permission locks, pirq_lock and pci_conf_lock; after the frame lock). */
static DEFINE_SPINLOCK(pci_lock);
static struct pci_assigned assigned[PCI_MAX_ASSIGNED];
/* Serialises the two-step accesses to the real 0xCF8/0xCFC (a leaf lock). */
static DEFINE_SPINLOCK(pci_conf_lock);

/* ---- the real configuration space ---------------------------------------------- */

static uint32_t conf_read(uint32_t cf8, unsigned int offset, unsigned int size)
{
    spin_lock(&pci_conf_lock);
    outl(PCI_CONF_ADDR, cf8);
    uint16_t port = (uint16_t)(PCI_CONF_DATA + offset);
    uint32_t v = size == 1 ? inb(port) : size == 2 ? inw(port) : inl(port);
    spin_unlock(&pci_conf_lock);
    return v;
}

static void conf_write(uint32_t cf8, unsigned int offset, unsigned int size, uint32_t v)
{
    spin_lock(&pci_conf_lock);
    outl(PCI_CONF_ADDR, cf8);
    uint16_t port = (uint16_t)(PCI_CONF_DATA + offset);
    if (size == 1)
        outb(port, (uint8_t)v);
    else if (size == 2)
        outw(port, (uint16_t)v);
    else
        outl(port, v);
    spin_unlock(&pci_conf_lock);
}

static uint32_t cf8_of(uint16_t bdf, unsigned int reg)
{
    return 0x80000000u | (uint32_t)bdf << 8 | (reg & 0xfc);
}

static uint32_t read32(uint16_t bdf, unsigned int reg) { return conf_read(cf8_of(bdf, reg), 0, 4); }
static void write32(uint16_t bdf, unsigned int reg, uint32_t v) { conf_write(cf8_of(bdf, reg), 0, 4, v); }
static uint16_t read_command(uint16_t bdf) { return (uint16_t)conf_read(cf8_of(bdf, PCI_COMMAND), 0, 2); }
static void write_command(uint16_t bdf, uint16_t v) { conf_write(cf8_of(bdf, PCI_COMMAND), 0, 2, v); }

/* ---- the table ------------------------------------------------------------------ */

static struct pci_assigned *find(uint16_t bdf)
{
    for (unsigned int i = 0; i < PCI_MAX_ASSIGNED; i++)
        if (assigned[i].d && assigned[i].bdf == bdf)
            return &assigned[i];
    return NULL;
}

static uint64_t bar_first(const struct pci_bar *b) { return b->io ? b->base : b->base >> PAGE_SHIFT; }
static uint64_t bar_last(const struct pci_bar *b)
{
    return b->io ? b->base + b->size - 1 : (b->base + b->size - 1) >> PAGE_SHIFT;
}

bool pci_iomem_assigned(uint64_t first, uint64_t last)
{
    bool hit = false;
    spin_lock(&pci_lock);
    for (unsigned int i = 0; i < PCI_MAX_ASSIGNED && !hit; i++)
        for (unsigned int b = 0; assigned[i].d && b < PCI_NR_BARS && !hit; b++) {
            const struct pci_bar *bar = &assigned[i].bar[b];
            hit = bar->size && !bar->io && first <= bar_last(bar) && last >= bar_first(bar);
        }
    spin_unlock(&pci_lock);
    return hit;
}

/* Another assigned function with a's GSI (so of a's domain: a GSI has one owner), or NULL. */
static const struct pci_assigned *gsi_sharer(const struct pci_assigned *a)
{
    for (unsigned int i = 0; i < PCI_MAX_ASSIGNED && a->gsi != NO_GSI; i++)
        if (assigned[i].d && &assigned[i] != a && assigned[i].gsi == a->gsi)
            return &assigned[i];
    return NULL;
}

/*
 * Moves a's ports, frames and GSI to a->d (give) or back to dom0, through
 * the same arch_*_set calls as the *_permission domctls. dom0's frames are
 * not in a set (it holds I/O memory by its right): the table itself takes
 * them from it (pci_iomem_assigned). A GSI that another function of a->d
 * shares stays where it is. Stops at the first failure (-ENOMEM: a set too
 * fragmented); the caller moves everything back then.
 */
static int move(struct pci_assigned *a, bool give)
{
    int rc = 0;
    for (unsigned int b = 0; b < PCI_NR_BARS && !rc; b++) {
        const struct pci_bar *bar = &a->bar[b];
        uint32_t f = (uint32_t)bar_first(bar), l = (uint32_t)bar_last(bar);
        if (!bar->size)
            continue;
        if (bar->io) {
            rc = arch_ioports_set(a->d, f, l, give);
            if (!rc && dom0)
                rc = arch_ioports_set(dom0, f, l, !give);
        } else {
            rc = arch_iomem_set(a->d, f, l, give);
        }
    }
    if (!rc && a->gsi != NO_GSI && !gsi_sharer(a)) {
        rc = arch_irqs_set(a->d, a->gsi, a->gsi, give);
        if (!rc && dom0)
            rc = arch_irqs_set(dom0, a->gsi, a->gsi, !give);
    }
    return rc;
}

#define BDF_FMT         "%02x:%02x.%u"
#define BDF_ARGS(bdf)   (bdf) >> 8, ((bdf) >> 3) & 31, (bdf) & 7

/*
 * Hands a back to dom0 and frees its slot (pci_lock held): the function
 * stops mastering, decoding and interrupting, the holder's pirq goes, and
 * the holder loses what it was given.
 */
static void deassign(struct pci_assigned *a, const char *why)
{
    write_command(a->bdf, (uint16_t)((read_command(a->bdf) & ~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY |
                                                               PCI_COMMAND_MASTER)) | PCI_COMMAND_INTX_OFF));
    bool pirq = a->gsi != NO_GSI && !gsi_sharer(a) && pirq_gsi_revoke(a->d, a->gsi);
    int rc = move(a, false);
    printk("pci: " BDF_FMT " taken from domain %u (%s) (%s): bus mastering and decoding off%s; back to dom0\n",
           BDF_ARGS(a->bdf), a->d->id, a->d->name, why, pirq ? ", its pirq unbound and unmapped" : "");
    if (rc)
        printk(LOG_ERR "pci: " BDF_FMT ": a permission set was full: some of its ranges may stay with domain %u\n",
               BDF_ARGS(a->bdf), a->d->id);
    a->d = NULL;
}

/* True (and said) when bdf is assigned already: to d or another domain, it is refused (pci_lock held). */
static bool busy(uint16_t bdf, const struct domain *d)
{
    const struct pci_assigned *other = find(bdf);
    if (other)
        printk(LOG_WARN "pci: " BDF_FMT " is assigned to domain %u (%s) already: refusing it to domain %u (%s)\n",
               BDF_ARGS(bdf), other->d->id, other->d->name, d->id, d->name);
    return other != NULL;
}

int arch_pci_assign(struct domain *caller, struct domain *d, uint32_t bdf32)
{
    if (bdf32 > 0xffff || d == caller || is_dom0(d))
        return -XEN_EINVAL;
    uint16_t bdf = (uint16_t)bdf32;

    /* Decode and check first; nothing changes until every check passed. */
    uint32_t id = read32(bdf, PCI_VENDOR_ID);
    if ((uint16_t)id == 0xffff)
        return -XEN_ENODEV;
    uint32_t class = read32(bdf, PCI_CLASS_REVISION) >> 24;
    uint8_t header = (uint8_t)(read32(bdf, PCI_HEADER_TYPE_DWORD) >> 16);
    if ((header & 0x7f) != 0 || class == 0x06)
        return -XEN_EINVAL;             /* bridges (and odd headers) stay dom0's */

    struct pci_assigned a = { .d = d, .bdf = bdf, .gsi = NO_GSI };
    uint32_t orig[PCI_NR_BARS];
    spin_lock(&pci_lock);
    if (busy(bdf, d)) {
        spin_unlock(&pci_lock);
        return -XEN_EBUSY;
    }
    /* Sized with decoding off, as firmware does; the function is not in use by anyone we let see it now. */
    uint16_t cmd = read_command(bdf);
    write_command(bdf, cmd & ~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY));
    for (unsigned int b = 0; b < PCI_NR_BARS; b++) {
        unsigned int reg = PCI_BAR0 + 4 * b;
        orig[b] = read32(bdf, reg);
        write32(bdf, reg, 0xffffffffu);
        a.vf.bar_mask[b] = read32(bdf, reg);
        write32(bdf, reg, orig[b]);
    }
    write_command(bdf, cmd);
    spin_unlock(&pci_lock);
    if (pci_bars_decode(orig, a.vf.bar_mask, a.bar))
        return -XEN_EINVAL;
    uint32_t irq = read32(bdf, PCI_INTERRUPT_DWORD);
    uint8_t line = (uint8_t)irq, pin = (uint8_t)(irq >> 8);
    if (pin >= 1 && pin <= 4 && line != 0 && line != 0xff && line < arch_irqs_count())
        a.gsi = line;

    /* The caller must hold all of it (as the *_permission commands); checked before pci_lock (dom0's frames need it). */
    for (unsigned int b = 0; b < PCI_NR_BARS; b++) {
        const struct pci_bar *bar = &a.bar[b];
        if (!bar->size)
            continue;
        if (!bar->io && bar_last(bar) >= arch_iomem_frames())
            return -XEN_EINVAL;
        bool held = bar->io ? arch_ioports_held(caller, (uint32_t)bar_first(bar), (uint32_t)bar_last(bar))
                            : arch_iomem_held(caller, bar_first(bar), bar_last(bar));
        if (!held)
            return -XEN_EPERM;
    }
    if (a.gsi != NO_GSI && !arch_irqs_held(caller, a.gsi, a.gsi))
        return -XEN_EPERM;

    spin_lock(&pci_lock);
    int rc = 0;
    struct pci_assigned *slot = NULL;
    for (unsigned int i = 0; i < PCI_MAX_ASSIGNED && !slot; i++)
        if (!assigned[i].d)
            slot = &assigned[i];
    struct domain *owner = a.gsi != NO_GSI ? pirq_gsi_owner(a.gsi) : NULL;
    const struct pci_assigned *sharer = gsi_sharer(&a);
    if (busy(bdf, d)) {
        rc = -XEN_EBUSY;                /* a racing assignment won */
    } else if (sharer && sharer->d != d) {
        printk(LOG_WARN "pci: " BDF_FMT ": GSI %u is " BDF_FMT "'s, assigned to domain %u (%s): refusing the "
               "function to domain %u (%s)\n", BDF_ARGS(bdf), a.gsi, BDF_ARGS(sharer->bdf), sharer->d->id,
               sharer->d->name, d->id, d->name);
        rc = -XEN_EBUSY;
    } else if (owner && owner != d) {
        printk(LOG_WARN "pci: " BDF_FMT ": GSI %u is mapped by domain %u (%s): refusing the function to domain "
               "%u (%s)\n", BDF_ARGS(bdf), a.gsi,
               owner->id, owner->name, d->id, d->name);
        rc = -XEN_EBUSY;
    } else if (!slot) {
        rc = -XEN_ENOSPC;
    } else if (__atomic_load_n(&d->state, __ATOMIC_ACQUIRE) != DOMAIN_RUNNING) {
        rc = -XEN_ESRCH;                /* stopping: pci_domain_release has run or will wait for us */
    } else {
        *slot = a;
        rc = move(slot, true);
        if (rc) {
            move(slot, false);          /* undo what was done (the rest was not there to undo) */
            slot->d = NULL;
        }
    }
    spin_unlock(&pci_lock);
    if (rc)
        return rc;
    char msg[256];
    size_t n = (size_t)snprintf(msg, sizeof(msg), "pci: %02x:%02x.%u %04x:%04x assigned to domain %u (%s)",
                                bdf >> 8, (bdf >> 3) & 31, bdf & 7, (uint16_t)id, (uint16_t)(id >> 16), d->id,
                                d->name);
    for (unsigned int b = 0; b < PCI_NR_BARS && n < sizeof(msg); b++)
        if (a.bar[b].size)
            n += (size_t)snprintf(msg + n, sizeof(msg) - n, ", bar%u %s %#llx-%#llx", b,
                                  a.bar[b].io ? "ports" : "frames", (unsigned long long)bar_first(&a.bar[b]),
                                  (unsigned long long)bar_last(&a.bar[b]));
    if (a.gsi != NO_GSI && n < sizeof(msg))
        snprintf(msg + n, sizeof(msg) - n, ", GSI %u", a.gsi);
    printk("%s; dom0 no longer sees it\n", msg);
    return 0;
}

int arch_pci_deassign(struct domain *d, uint32_t bdf32)
{
    if (bdf32 > 0xffff)
        return -XEN_EINVAL;
    spin_lock(&pci_lock);
    struct pci_assigned *a = find((uint16_t)bdf32);
    int rc = a && a->d == d ? 0 : -XEN_ENODEV;
    if (!rc)
        deassign(a, "deassigned");
    spin_unlock(&pci_lock);
    return rc;
}

void pci_domain_release(struct domain *d)
{
    spin_lock(&pci_lock);
    for (unsigned int i = 0; i < PCI_MAX_ASSIGNED; i++)
        if (assigned[i].d == d)
            deassign(&assigned[i], "its domain is going");
    spin_unlock(&pci_lock);
}

/* ---- the emulated 0xCFC ------------------------------------------------------------ */

/*
 * Who sees the function behind cf8 (pci_lock held): the hardware domain
 * any that is not assigned (QEMU ignores the reserved bits 30:24, so they
 * must not hide an assigned function from this check); another domain only
 * its own, through a strict decode. *a is the assigned record, if any.
 */
static bool visible(struct domain *d, uint32_t cf8, struct pci_assigned **a, unsigned int *reg)
{
    uint16_t bdf;
    if (domain_has_rights(d, DOMAIN_RIGHT_IOPORT)) {
        *a = NULL;
        return !find((uint16_t)(cf8 >> 8));
    }
    if (!pci_cf8_decode(cf8, &bdf, reg))
        return false;
    *a = find(bdf);
    return *a && (*a)->d == d;
}

uint32_t pci_conf_emul_read(struct domain *d, uint32_t cf8, unsigned int offset, unsigned int size)
{
    struct pci_assigned *a;
    unsigned int reg = 0;
    uint32_t v = 0xffffffffu;
    spin_lock(&pci_lock);
    if (visible(d, cf8, &a, &reg)) {
        if (a && pci_vconf_read(&a->vf, reg, &v))
            v = size == 4 ? v : (v >> (offset * 8)) & ((1u << (size * 8)) - 1);
        else
            v = conf_read(cf8, offset, size);
    }
    spin_unlock(&pci_lock);
    return v;
}

void pci_conf_emul_write(struct domain *d, uint32_t cf8, unsigned int offset, unsigned int size, uint32_t val)
{
    struct pci_assigned *a;
    unsigned int reg = 0;
    spin_lock(&pci_lock);
    if (visible(d, cf8, &a, &reg) && (!a || pci_vconf_write(&a->vf, reg, offset, size, val)))
        conf_write(cf8, offset, size, val);
    spin_unlock(&pci_lock);
}
