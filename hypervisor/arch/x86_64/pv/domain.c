/* A PV domain's arch lifecycle: creation and leaving its page tables (relinquishing its frames: mm.c). */
#include <hv/domain.h>
#include <hv/frame.h>
#include <asm/cpu.h>
#include <asm/mm.h>
#include <asm/pagetable.h>
#include <asm/pci.h>
#include <asm/pv.h>
#include "ioport.h"

int arch_domain_create(struct domain *d)
{
    d->arch.dirty_cpus = 0;                 /* no CPU has run it yet */
    pirq_domain_init(d);
    pv_iomem_init(d);
    return pv_ioports_init(d);
}

void arch_domain_teardown(struct domain *d)
{
    /* Its PCI functions go back to dom0, then its devices stop interrupting it: pins masked, pirqs unbound and unmapped. */
    pci_domain_release(d);
    pirq_domain_release(d);
    /* Its page tables are about to be freed: stop using them first. */
    if (current && current->domain == d) {
        if (read_cr3() != idle_l4_pa)
            switch_cr3(idle_l4_pa);
    }
}
