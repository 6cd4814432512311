/* Native DMA addresses: physical frames are bus frames (no IOMMU); a block of pages is contiguous on the bus. */
#include <dma.h>
#include <mm.h>

uint64_t dma_addr(uint64_t pfn) { return pfn; }

void *dma_alloc_contiguous(unsigned int order)
{
    return order <= DMA_CONTIG_MAX_ORDER ? alloc_pages(order) : NULL;
}

void dma_free_contiguous(void *p, unsigned int order) { free_pages(p, order); }
