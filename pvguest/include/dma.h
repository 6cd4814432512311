/*
 * Addresses a device is programmed with. Natively a frame's bus address is
 * its physical address; in a PV domain it is the machine frame (the P2M).
 * Each backend defines dma_addr() (arch/x86_64/{native,xen}/dma.c).
 */
#ifndef PVGUEST_DMA_H
#define PVGUEST_DMA_H

#include <kernel.h>
#include <asm/layout.h>

/* The bus address of (pseudo-)physical frame pfn. */
uint64_t dma_addr(uint64_t pfn);     /* returns a frame number */

/*
 * 2^order pages whose bus frames are contiguous and aligned to their size,
 * for a structure a device must see in one piece across frames (docs/
 * design.md, "DMA from a PV domain"). Natively any block of pages is. In a
 * PV domain the pages' frames are traded for one machine extent with
 * XENMEM_exchange (as Linux's xen_create_contiguous_region): the direct map
 * is unmapped around it and the P2M updated. NULL if memory or the
 * exchange fails; order at most DMA_CONTIG_MAX_ORDER.
 */
#define DMA_CONTIG_MAX_ORDER 4
void *dma_alloc_contiguous(unsigned int order);
/* Gives such a block back (PV: traded back for single frames first). */
void dma_free_contiguous(void *p, unsigned int order);

/* The bus address of a byte in the direct map (the buffer must not cross a frame boundary for PV). */
static inline uint64_t dma_addr_of(const void *p)
{
    return (dma_addr(virt_to_pfn(p)) << PAGE_SHIFT) | ((uint64_t)p & (PAGE_SIZE - 1));
}

#endif /* PVGUEST_DMA_H */
