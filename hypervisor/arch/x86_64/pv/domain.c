/* A PV domain's arch lifecycle: creation, dropping its own references, and leaving its page tables. */
#include <hv/domain.h>
#include <hv/frame.h>
#include <asm/cpu.h>
#include <asm/mm.h>
#include <asm/pagetable.h>
#include <asm/pv.h>

int arch_domain_create(struct domain *d)
{
    d->arch.dirty_cpus = 0;                 /* no CPU has run it yet */
    return 0;
}

int arch_domain_relinquish(struct domain *d)
{
    struct vcpu *v;
    for_each_vcpu(d, v)
        arch_vcpu_release(v);
    if (d->shared_info_mfn != INVALID_PFN)
        put_page_type(d->shared_info_mfn);     /* the builder's writable reference */
    for (pfn_t pfn = d->page_list; pfn != INVALID_PFN;) {
        struct page_info *pg = pfn_to_page(pfn);
        pt_abandon_partial(pfn);            /* a validation that never finished */
        if (pg->type_info & PGT_pinned) {
            pg->type_info &= ~PGT_pinned;
            put_page_type(pfn);
        }
        pfn = pg->next == 0xffffffffu ? INVALID_PFN : pg->next;
    }
    return 0;
}

void arch_domain_teardown(struct domain *d)
{
    /* Its page tables are about to be freed: stop using them first. */
    if (current && current->domain == d) {
        if (read_cr3() != idle_l4_pa)
            write_cr3(idle_l4_pa);
    }
}
