/* Test-guest memory helpers: P2M/M2P lookups, its own page tables, spare frames. */
#ifndef GUEST_MM_H
#define GUEST_MM_H

#include <stdint.h>
#include <public/xen.h>

#define PAGE_SIZE   4096ull
#define PTE_P       0x001ull
#define PTE_RW      0x002ull
#define PTE_U       0x004ull
#define PTE_A       0x020ull
#define PTE_D       0x040ull
#define PTE_PSE     0x080ull
#define PTE_G       0x100ull    /* Xen sets it on a 64-bit PV guest's user mappings */
#define PTE_ADDR    0x000ffffffffff000ull
#define PTE_DATA    (PTE_P | PTE_RW | PTE_U | PTE_A | PTE_D)

static inline const uint64_t *m2p(void) { return (const uint64_t *)MACH2PHYS_VIRT_START; }

uint64_t pfn_to_mfn(uint64_t pfn);
/* Initial-region VAs only (VIRT_BASE + pfn pages). */
uint64_t virt_to_mfn(const void *va);
void *mfn_to_virt(uint64_t mfn);            /* through the M2P; initial region only */

/* Machine address of va's entry in the table of `level` (1-4), or 0 if a table above is missing. */
uint64_t pte_maddr(uint64_t va, unsigned int level);
uint64_t read_pte(uint64_t va, unsigned int level);
/* Where that entry is mapped (read-only) in this guest, to store into (writable page tables); NULL if nowhere. */
volatile uint64_t *pte_virt(uint64_t va, unsigned int level);

/* A frame the builder gave us but mapped nowhere (zeroed); 0 when none is left. */
uint64_t spare_mfn(void);

/* Makes sure page tables down to an L1 exist for va (new tables from spare frames). */
int64_t ensure_l1(uint64_t va);

/* One mmu_update entry, done count into *done. */
int64_t mmu_update_one(uint64_t ptr, uint64_t val);
int64_t mmu_update_batch(const struct mmu_update *req, unsigned int n, uint32_t *done);
int64_t mmuext(unsigned int cmd, uint64_t arg1, uint64_t arg2);

/* xxHash64 of a memory range (the project's integrity hash). */
uint64_t hash_memory(const void *p, uint64_t len);

#endif
