/*
 * The passthrough isolation self-test of the PV image: a PCI function
 * assigned to another domain (PV_DOMCTL_assign_device) is out of this
 * domain's reach. Its configuration space reads as absent, its BAR frame
 * cannot be mapped (mmu_update's DOMID_IO path and update_va_mapping:
 * -EPERM, as Xen's "non-privileged attempt to map MMIO space"), its GSI
 * cannot be mapped as a pirq (-EPERM), and it cannot be taken (assign: a
 * domU has no domctl, -EPERM; dom0 finds it assigned, -EBUSY). Runs in a
 * domU given pciprobe=<bb:dd.f>:<frame>:<gsi>, and in a dom0 that assigned
 * a function at boot (assign=, pvdrivers/toolstack/assign.c, which records
 * what the function had before it went); skipped elsewhere.
 */
#include <cmdline.h>
#include <mm.h>
#include <pci.h>
#include <paravirt.h>
#include <pagetable.h>
#include <lib/string.h>
#include <public/domctl.h>
#include <public/errno.h>
#include <public/physdev.h>
#include <xen/services.h>
#include "../../../kernel/selftest/selftest.h"
#include "xen.h"

static struct {
    bool set;
    uint16_t bdf;
    uint64_t mfn;               /* a frame of one of its memory BARs, 0 if none */
    uint32_t gsi;               /* its INTx line, 0 if none */
    domid_t holder;             /* dom0's probe: the domain it went to */
} probe;

void xenpv_pci_probe_set(uint16_t bdf, uint64_t mfn, uint32_t gsi, domid_t holder)
{
    probe.bdf = bdf, probe.mfn = mfn, probe.gsi = gsi, probe.holder = holder;
    probe.set = true;
}

/* Hex without 0x, then ':' or the end. */
static const char *parse_hex(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    const char *p = s;
    for (; (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'); p++)
        v = v * 16 + (uint64_t)(*p <= '9' ? *p - '0' : *p - 'a' + 10);
    *out = v;
    return p == s ? NULL : p;
}

static bool set_pciprobe(const char *v)
{
    uint16_t bdf;
    uint64_t mfn, gsi;
    const char *p = v ? pci_parse_bdf(v, &bdf) : NULL;
    if (!p || *p++ != ':' || !(p = parse_hex(p, &mfn)) || *p++ != ':' || !(p = parse_hex(p, &gsi)) || *p ||
        gsi > 255)
        return false;
    xenpv_pci_probe_set(bdf, mfn, (uint32_t)gsi, DOMID_SELF);
    return true;
}
KERNEL_OPTION("pciprobe", set_pciprobe);

TEST(test_pci_isolation)
{
    if (!probe.set)
        return ktap_skip(why, len, "no pciprobe= and nothing assigned by this domain");
    uint8_t bus = (uint8_t)(probe.bdf >> 8), dev = (probe.bdf >> 3) & 31, fn = probe.bdf & 7;
    uint32_t id = pci_conf_read32(bus, dev, fn, 0);
    EXPECT(id == 0xffffffffu, "%02x:%02x.%u reads %#x here: the function is visible", bus, dev, fn, id);
    /* A domU sees nothing that was not assigned to it, not even the host bridge. */
    id = pci_conf_read32(0, 0, 0, 0);
    EXPECT(xenpv_is_dom0() || id == 0xffffffffu, "the host bridge 00:00.0 reads %#x in a domU", id);

    if (probe.mfn) {
        /*
         * A page of ours whose L1 exists: the mapping would replace its entry. Without
         * cache bits: a domain holding no I/O range may not set them at all (-EINVAL,
         * Xen's L1 disallow mask), which would hide the frame check behind it.
         */
        uint8_t *page = alloc_page();
        EXPECT(page, "no memory");
        uint64_t pte = probe.mfn << PAGE_SHIFT | PTE_P | PTE_RW | PTE_U | PTE_A | PTE_D;
        int64_t rc_io = hypercall4(__HYPERVISOR_update_va_mapping_otherdomain, page, pte, UVMF_INVLPG, DOMID_IO);
        int64_t rc_self = rc_io ? hypercall3(__HYPERVISOR_update_va_mapping, page, pte, UVMF_INVLPG) : 0;
        if (!rc_io || !rc_self)     /* it was mapped: put our page back before saying so */
            hypercall3(__HYPERVISOR_update_va_mapping, page, pv_make_pte(virt_to_pfn(page), PROT_WRITE), UVMF_INVLPG);
        free_pages(page, 0);
        EXPECT(rc_io == -XEN_EPERM, "mapping BAR frame %#llx with DOMID_IO: %lld, want -EPERM",
               (unsigned long long)probe.mfn, (long long)rc_io);
        EXPECT(rc_self == -XEN_EPERM, "mapping BAR frame %#llx as our own: %lld, want -EPERM",
               (unsigned long long)probe.mfn, (long long)rc_self);
    }
    if (probe.gsi) {
        struct physdev_map_pirq m = { .domid = DOMID_SELF, .type = MAP_PIRQ_TYPE_GSI, .index = (int32_t)probe.gsi,
                                      .pirq = -1 };
        int64_t rc = hypercall2(__HYPERVISOR_physdev_op, PHYSDEVOP_map_pirq, &m);
        if (!rc) {
            struct physdev_unmap_pirq u = { .domid = DOMID_SELF, .pirq = m.pirq };
            hypercall2(__HYPERVISOR_physdev_op, PHYSDEVOP_unmap_pirq, &u);
        }
        EXPECT(rc == -XEN_EPERM, "map_pirq of its GSI %u: %lld, want -EPERM", probe.gsi, (long long)rc);
    }

    /* Taking it: a domU has no domctl at all; dom0 finds it held. */
    struct pv_domctl op = { .cmd = PV_DOMCTL_assign_device, .interface_version = PV_DOMCTL_INTERFACE_VERSION,
                            .domain = xenpv_is_dom0() ? probe.holder : xenpv_domid() };
    op.u.assign.bdf = probe.bdf;
    int64_t rc = hypercall1(__HYPERVISOR_domctl, &op);
    int64_t want = xenpv_is_dom0() ? -XEN_EBUSY : -XEN_EPERM;
    EXPECT(rc == want, "assign_device of %02x:%02x.%u: %lld, want %lld", bus, dev, fn, (long long)rc,
           (long long)want);
    return NULL;
}
