/*
 * PV DMA addresses: a device sees machine frames, so a pseudo-physical frame
 * goes through the P2M. A block that must be machine-contiguous is made so
 * with XENMEM_exchange: its frames, unmapped from the direct map (the
 * hypervisor takes only unreferenced frames), are traded for one aligned
 * extent at the same PFNs; the P2M follows and the direct map comes back.
 */
#include <dma.h>
#include <mm.h>
#include <pagetable.h>
#include <public/memory.h>
#include "xen.h"

uint64_t dma_addr(uint64_t pfn) { return pfn_to_mfn(pfn); }

/*
 * Trades the frames behind [pfn, pfn + 2^order): to_one gives 2^order single
 * frames for one extent, else the reverse. The range is unmapped meanwhile;
 * on failure the old frames are mapped back. 0 or the hypervisor's error.
 */
static int64_t exchange(uint64_t pfn, unsigned int order, bool to_one)
{
    uint64_t n = 1ull << order, va = (uint64_t)pfn_to_virt(pfn);
    xen_pfn_t frames[1u << DMA_CONTIG_MAX_ORDER], one[1];
    uint64_t pfns[1u << DMA_CONTIG_MAX_ORDER];
    /* to_one: in = our single frames, out = the PFN to fill; else in = the extent, out = the PFNs to fill. */
    for (uint64_t k = 0; k < n; k++)
        frames[k] = to_one ? pfn_to_mfn(pfn + k) : pfn + k, pfns[k] = pfn + k;
    one[0] = to_one ? pfn : pfn_to_mfn(pfn);
    struct xen_memory_exchange x = {
        .in = { .extent_start = (uint64_t)(to_one ? frames : one), .nr_extents = to_one ? n : 1,
                .extent_order = to_one ? 0 : order, .domid = DOMID_SELF },
        .out = { .extent_start = (uint64_t)(to_one ? one : frames), .nr_extents = to_one ? 1 : n,
                 .extent_order = to_one ? order : 0, .domid = DOMID_SELF },
    };
    /* The pages are the caller's alone: nothing else maps or reads them meanwhile. */
    pt_unmap_range(kernel_root_pfn, va, n, NULL);
    int64_t rc = hypercall2(__HYPERVISOR_memory_op, XENMEM_exchange, &x);
    /* One chunk: all of it was exchanged, or none. */
    if (rc == 0 && x.nr_exchanged == x.in.nr_extents) {
        uint64_t *p2m = (uint64_t *)xen_p2m;
        for (uint64_t k = 0; k < n; k++)
            p2m[pfn + k] = to_one ? one[0] + k : frames[k];
    } else if (rc == 0) {
        rc = -EIO;
    }
    if (pt_map_range(kernel_root_pfn, va, pfns, n, PROT_WRITE))
        panic("dma: the direct map of pfn %#llx could not be restored", (unsigned long long)pfn);
    return rc;
}

void *dma_alloc_contiguous(unsigned int order)
{
    if (order > DMA_CONTIG_MAX_ORDER)
        return NULL;
    void *p = alloc_pages(order);
    if (!p || order == 0)
        return p;
    int64_t rc = exchange(virt_to_pfn(p), order, true);
    if (rc) {
        warn("dma: XENMEM_exchange for an order-%u extent: %s", order, xen_errno_name(rc));
        free_pages(p, order);
        return NULL;
    }
    return p;
}

void dma_free_contiguous(void *p, unsigned int order)
{
    /* Back to single frames, so the page allocator never holds a machine extent it does not know of. */
    int64_t rc = order ? exchange(virt_to_pfn(p), order, false) : 0;
    if (rc)
        warn("dma: trading an order-%u extent back: %s (kept as it is)", order, xen_errno_name(rc));
    free_pages(p, order);
}
