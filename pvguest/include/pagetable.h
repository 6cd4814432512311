/*
 * Page-table walking (arch/x86_64/pagetable.c). Tables are reached through
 * the direct map and changed only through pv_ops.mmu, so the same code runs
 * natively and paravirtualized. Each holds the MMU lock
 * (paravirt.h) while it works; none may be called from an interrupt handler.
 */
#ifndef PVGUEST_PAGETABLE_H
#define PVGUEST_PAGETABLE_H

#include <paravirt.h>
#include <asm/layout.h>

extern uint64_t kernel_root_pfn;        /* the kernel's address space, set by mm_init */
extern uint64_t pt_pages_in_use;        /* page-table pages taken from page_alloc */

static inline bool pte_present(pte_t e) { return e & PTE_P; }

/*
 * The entry for va in its table at level (1 = L1 ... 4 = root) under root.
 * Missing tables above are allocated when create is set (NULL if that
 * fails, reported); otherwise NULL when one is missing.
 */
pte_t *pt_walk(uint64_t root, uint64_t va, unsigned int level, bool create);
/* Sets va's L1 entry, creating tables. -ENOMEM if a table could not be had. */
int pt_map(uint64_t root, uint64_t va, pte_t val);
/* va's L1 entry (0 if a table is missing); applies queued updates to what it reads. */
pte_t pt_read(uint64_t root, uint64_t va);
/*
 * Maps pfns[i] at va + i pages (the range must be unmapped: no flushes) in
 * lazy-MMU mode, one set_ptes() per L1 table. -ENOMEM if a table could not
 * be allocated (what was mapped stays mapped).
 */
int pt_map_range(uint64_t root, uint64_t va, const uint64_t *pfns, size_t n, unsigned int prot);
/* Clears n entries from va in lazy-MMU mode, flushing each that was present;
 * old_pfns (if not NULL) receives the frames, PFN_NONE where none was mapped. */
void pt_unmap_range(uint64_t root, uint64_t va, size_t n, uint64_t *old_pfns);
/* A new root: an empty lower half, the kernel's upper half; allocated, pinned. PFN_NONE if out of memory. */
uint64_t pt_alloc_root(void);
/* Releases and frees every table of root's lower half and root itself (not loaded anywhere). */
void pt_free_tree(uint64_t root);
/* Unhooks, releases and frees the L1 table that covers va (its entries must be clear). */
void pt_free_l1(uint64_t root, uint64_t va);
/* A fresh table page for level: zeroed, allocated and pinned through pv_ops. */
uint64_t pt_new_table(unsigned int level);
void pt_release_table(unsigned int level, uint64_t pfn);

#endif /* PVGUEST_PAGETABLE_H */
