/*
 * Grant mappings in x86-64 PV page tables: the arch half of grant tables
 * (hv/grant_table.h). A grant entry is an L1 entry with _PAGE_GNTTAB whose
 * frame references the grant holds (asm/pagetable.h).
 */
#include <hv/grant_table.h>
#include <asm/mm.h>
#include <asm/pagetable.h>

/* The L1 entry host_addr names: a VA of the running tables, or with contains_pte an entry's machine address. */
static int grant_slot(uint64_t host_addr, unsigned int flags, uint64_t *l1_mfn, unsigned int *idx)
{
    if (flags & GNTMAP_contains_pte) {
        if (host_addr & (sizeof(pte_t) - 1))
            return -XEN_EINVAL;
        *l1_mfn = host_addr >> PAGE_SHIFT;
        *idx = (unsigned int)((host_addr & (PAGE_SIZE - 1)) / sizeof(pte_t));
        return 0;
    }
    return pv_find_l1(host_addr, l1_mfn, idx);
}

/* Where the guest-available map flags land in a grant PTE: Xen's _PAGE_AVAIL, bits 9-11. */
#define GNTMAP_PTE_AVAIL_SHIFT  9
#define GNTMAP_PTE_AVAIL_BITS   7u

int arch_gnttab_map(struct domain *d, uint64_t host_addr, uint64_t mfn, unsigned int flags)
{
    uint64_t l1;
    unsigned int idx;
    if (grant_slot(host_addr, flags, &l1, &idx))
        return GNTST_general_error;
    /*
     * As Xen's grant PTE flags: accessed, dirty and never executable; writable
     * unless read-only; the flags' first three guest-available bits in the
     * entry's available bits 9-11 (XENFEAT_gnttab_map_avail_bits).
     */
    pte_t e = (mfn << PAGE_SHIFT) | _PAGE_PRESENT | _PAGE_ACCESSED | _PAGE_DIRTY | _PAGE_NX;
    if (!(flags & GNTMAP_readonly))
        e |= _PAGE_RW;
    e |= (pte_t)((flags >> _GNTMAP_guest_avail0) & GNTMAP_PTE_AVAIL_BITS) << GNTMAP_PTE_AVAIL_SHIFT;
    /* A mapping it replaces is stamped, not flushed, as an mmu_update's (hv/tlbclock.h). */
    if (pt_grant_install(d, l1, idx, e, NULL))
        return GNTST_general_error;
    d->pt_updates++;
    return GNTST_okay;
}

int arch_gnttab_unmap(struct domain *d, uint64_t host_addr, uint64_t mfn, unsigned int flags)
{
    uint64_t l1;
    unsigned int idx;
    bool flush = false;
    if (grant_slot(host_addr, flags, &l1, &idx) || pt_grant_remove(d, l1, idx, mfn, &flush))
        return GNTST_general_error;
    d->pt_updates++;
    /* No CPU may reach the frame through d's tables once the grant's references go. */
    pv_flush_domain_tlbs(d);
    return GNTST_okay;
}
