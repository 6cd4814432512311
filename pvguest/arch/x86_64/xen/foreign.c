/*
 * Services for the split drivers (xen/services.h): start_info, other
 * domains' frames mapped into kernel virtual memory, their domctl facts,
 * and the drivers started at boot.
 */
#include <mm.h>
#include <pagetable.h>
#include <xen/services.h>
#include <public/errno.h>
#include "xen.h"

const struct start_info *xenpv_start_info(void) { return xen_start_info; }
bool xenpv_is_dom0(void) { return xen_start_info->flags & SIF_INITDOMAIN; }

void *xenpv_map_foreign(domid_t dom, uint64_t mfn, bool writable)
{
    void *va = vm_alloc(1, VM_RESERVE);
    if (!va)
        return NULL;
    /* The MMU lock: the table and the backend's queue (flushes) are the lock holder's alone. */
    mmu_lock();
    pte_t *p = pt_walk(kernel_root_pfn, (uintptr_t)va, 1, true);
    if (!p) {
        mmu_unlock();
        printk("pvguest: no page table to map domain %u's frame %#llx\n", dom, (unsigned long long)mfn);
        vm_free(va);
        return NULL;
    }
    /* Not through pv_set_pte: the entry names a frame of dom, which only FOREIGNDOM lets us map. */
    struct mmu_update u = { .ptr = virt_to_maddr(p) | MMU_NORMAL_PT_UPDATE,
                            .val = (mfn << PAGE_SHIFT) | PTE_P | PTE_U | PTE_A | (writable ? PTE_RW | PTE_D : 0) };
    uint32_t done = 0;
    int64_t rc = hypercall4(__HYPERVISOR_mmu_update, &u, 1, &done, dom);
    mmu_unlock();
    if (rc) {
        printk("pvguest: mmu_update mapping domain %u's frame %#llx failed: %lld (%s)\n", dom,
               (unsigned long long)mfn, (long long)rc, xen_errno_name(rc));
        vm_free(va);
        return NULL;
    }
    return va;
}

void *xenpv_own_frame(uint64_t mfn)
{
    uint64_t pfn = mfn_to_pfn(mfn);
    if (pfn >= xen_mapped_pfns || pfn_to_mfn(pfn) != mfn)
        return NULL;
    return pfn_to_virt(pfn);
}

void xenpv_unmap_foreign(void *va)
{
    mmu_lock();
    pte_t *p = pt_walk(kernel_root_pfn, (uintptr_t)va, 1, false);
    if (!p)
        panic("xenpv_unmap_foreign(%p): not mapped", va);
    struct mmu_update u = { .ptr = virt_to_maddr(p) | MMU_NORMAL_PT_UPDATE, .val = 0 };
    uint32_t done = 0;
    int64_t rc = hypercall4(__HYPERVISOR_mmu_update, &u, 1, &done, DOMID_SELF);
    if (rc)
        xen_hypercall_failed(__HYPERVISOR_mmu_update, rc, "clear the foreign mapping at %p", va);
    pv_ops.mmu->flush_page((uintptr_t)va);
    mmu_unlock();
    vm_free(va);                /* a reserve: frees only the address range */
}

int xenpv_domain_info(domid_t id, struct pv_domctl_info *out)
{
    struct pv_domctl op = { .cmd = PV_DOMCTL_getdomaininfo, .interface_version = PV_DOMCTL_INTERFACE_VERSION,
                            .domain = id };
    int64_t rc = hypercall1(__HYPERVISOR_domctl, &op);
    if (!rc)
        *out = op.u.info;
    return (int)rc;
}
