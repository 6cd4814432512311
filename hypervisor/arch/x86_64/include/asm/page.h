/* x86-64 page-table entry bits and index helpers. */
#ifndef ASM_PAGE_H
#define ASM_PAGE_H

#include <asm/config.h>

#define _PAGE_PRESENT   _AC(0x001, UL)
#define _PAGE_RW        _AC(0x002, UL)
#define _PAGE_USER      _AC(0x004, UL)
#define _PAGE_PWT       _AC(0x008, UL)
#define _PAGE_PCD       _AC(0x010, UL)
#define _PAGE_ACCESSED  _AC(0x020, UL)
#define _PAGE_DIRTY     _AC(0x040, UL)
#define _PAGE_PSE       _AC(0x080, UL)
#define _PAGE_GLOBAL    _AC(0x100, UL)
#define _PAGE_NX        (_AC(1, UL) << 63)

#define PTE_ADDR_MASK   _AC(0x000ffffffffff000, UL)

#ifndef __ASSEMBLY__
#include <stdbool.h>
#include <stdint.h>

typedef uint64_t pte_t;

#define PT_ENTRIES 512
static inline unsigned int l4_index(uint64_t va) { return (va >> 39) & 511; }
static inline unsigned int l3_index(uint64_t va) { return (va >> 30) & 511; }
static inline unsigned int l2_index(uint64_t va) { return (va >> 21) & 511; }
static inline unsigned int l1_index(uint64_t va) { return (va >> 12) & 511; }

static inline uint64_t pte_addr(pte_t pte) { return pte & PTE_ADDR_MASK; }

/* Physical <-> virtual through the direct map (valid once paging_init ran). */
static inline void *__va(uint64_t pa) { return (void *)(DIRECTMAP_VIRT_START + pa); }
static inline uint64_t __pa(const void *va)
{
    uint64_t v = (uint64_t)va;
    /* Image addresses translate by the image offset, the rest by the direct map. */
    if (v >= XEN_VIRT_START && v < XEN_VIRT_END)
        return v - XEN_VIRT_START;
    return v - DIRECTMAP_VIRT_START;
}
#endif

#ifndef __ASSEMBLY__
/* A 48-bit canonical address: bits 63-47 all equal. */
static inline bool is_canonical_address(uint64_t va)
{
    return va < 0x0000800000000000ull || va >= 0xffff800000000000ull;
}
#endif

#endif
