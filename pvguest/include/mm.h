/* Memory: the physical page allocator, the small-object allocator, kernel virtual memory, address spaces. */
#ifndef PVGUEST_MM_H
#define PVGUEST_MM_H

#include <kernel.h>
#include <paravirt.h>
#include <asm/layout.h>

#define PFN_NONE (~0ull)

/* ---- page_alloc.c: pages of (pseudo-)physical memory, by frame number ---- */
void page_alloc_init(uint64_t max_pfn);
/* Hands [start, end) to the allocator; the pages must be mapped in the direct map. */
void page_alloc_add_range(uint64_t start_pfn, uint64_t end_pfn);
/*
 * 2^order contiguous, aligned frames, or PFN_NONE. A failure is reported on
 * the console with the request and who made it ("page_alloc: out of memory
 * ..."); callers must handle it. Freeing a frame that is not allocated panics.
 */
uint64_t alloc_pfns(unsigned int order, const char *who);
void free_pfns(uint64_t pfn, unsigned int order);
#define alloc_pfn()         alloc_pfns(0, __func__)
#define free_pfn(pfn)       free_pfns(pfn, 0)
/* The same through the direct map; NULL on failure. */
void *alloc_pages_(unsigned int order, const char *who);
#define alloc_pages(order)  alloc_pages_(order, __func__)
#define alloc_page()        alloc_pages_(0, __func__)
void free_pages(void *va, unsigned int order);
uint64_t page_free_count(void);
uint64_t page_total_count(void);
bool pfn_is_allocated(uint64_t pfn);

/* ---- slab.c: objects of up to SLAB_MAX_SIZE bytes ---- */
#define SLAB_MAX_SIZE 2048u
/* NULL (reported, naming who) when out of memory or size is 0 or too big. */
void *kmalloc_(size_t size, const char *who);
#define kmalloc(size)       kmalloc_(size, __func__)
void *kzalloc_(size_t size, const char *who);
#define kzalloc(size)       kzalloc_(size, __func__)
void kfree(void *p);
void slab_init(void);
/* Pages the slab caches hold right now. */
uint64_t slab_pages(void);

/* ---- vm.c: kernel virtual memory in [VM_BASE, VM_BASE + VM_SIZE) ---- */
#define VM_EAGER        0x0u    /* backed and mapped at once (batched) */
#define VM_DEMAND_ZERO  0x1u    /* backed by zeroed pages on first touch (page faults) */
#define VM_RESERVE      0x2u    /* address range only: vm_map()/vm_unmap() into it */
void vm_init(void);
/* A region of npages (plus an unmapped guard page after it); NULL (reported) on failure. */
void *vm_alloc(size_t npages, unsigned int flags);
/* The same, starting at a multiple of align (a power of two, at least PAGE_SIZE). */
void *vm_alloc_aligned(size_t npages, unsigned int flags, uint64_t align);
/* Unmaps (batched) and frees a region and the pages that back it (not those vm_map()ped into a reserve). */
void vm_free(void *va);
int vm_map(uintptr_t va, uint64_t pfn, unsigned int prot);
/* Returns the frame that was mapped there, or PFN_NONE. */
uint64_t vm_unmap(uintptr_t va);
/* Maps pfns[i] at va + i pages, in lazy-MMU mode. -ENOMEM if a page table could not be allocated. */
int vm_map_range(uintptr_t va, const uint64_t *pfns, size_t n, unsigned int prot);
void vm_unmap_range(uintptr_t va, size_t n);
/* The page-fault handler's part: 0 if the fault at addr was served (demand-zero or spurious). */
int vm_fault(uintptr_t addr, uint64_t error_code);
extern uint64_t vm_demand_faults, vm_spurious_faults;

/* ---- aspace.c: address spaces sharing the kernel half ---- */
struct aspace;
struct aspace *aspace_create(void);
int aspace_map_range(struct aspace *as, uintptr_t va, const uint64_t *pfns, size_t n, unsigned int prot);
/* Loads as (NULL: the kernel's own). */
void aspace_switch(struct aspace *as);
/* Frees every table and the root; as must not be loaded. */
void aspace_destroy(struct aspace *as);
uint64_t aspace_root(const struct aspace *as);

#endif /* PVGUEST_MM_H */
