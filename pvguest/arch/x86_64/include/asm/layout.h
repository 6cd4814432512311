/*
 * The x86-64 virtual layout, the same on both backends:
 *   0xffffffff80000000 + pfn * 4K   direct map of every (pseudo-)physical page;
 *                                   the kernel image sits in it at its load address
 *   0xffffffffbfe00000              fixmap: 512 single-page slots (shared_info, LAPIC)
 *   0xffffc90000000000              kernel virtual memory (vm.c), one L4 slot
 *   below 0x0000800000000000        per-address-space mappings (aspace.c)
 * PV: every slot is outside the hypervisor hole (L4 slots 256-271).
 */
#ifndef ASM_LAYOUT_H
#define ASM_LAYOUT_H

#ifdef __ASSEMBLY__
#define _UL(x)              x
#else
#define _UL(x)              x##ull
#endif

#define PAGE_SHIFT          12
#define PAGE_SIZE           _UL(4096)
#define PAGE_MASK           (~(PAGE_SIZE - 1))

#define DIRECT_MAP_BASE     _UL(0xffffffff80000000)
#define DIRECT_MAP_SIZE     _UL(0x3fe00000)            /* 1 GiB minus the fixmap's 2 MiB */
#define DIRECT_MAP_PFNS     (DIRECT_MAP_SIZE >> PAGE_SHIFT)
#define FIXMAP_BASE         (DIRECT_MAP_BASE + DIRECT_MAP_SIZE)
#define FIX_SHARED_INFO     0
#define FIX_LAPIC           1
#define fix_to_virt(i)      (FIXMAP_BASE + (uint64_t)(i) * PAGE_SIZE)

#define VM_BASE             _UL(0xffffc90000000000)
#define VM_SIZE             (_UL(64) << 30)

#define USER_TOP            _UL(0x0000800000000000)    /* end of the per-address-space half */

/*
 * Every kernel stack (threads, each CPU's boot and exception stacks) is
 * STACK_SIZE bytes aligned to its size, and its lowest 8 bytes hold the
 * struct thread that runs on it: that is how the kernel finds `current`,
 * and through it its CPU, on both backends (sched.h).
 */
#define STACK_SIZE          _UL(16384)
#define STACK_PAGES         (STACK_SIZE / PAGE_SIZE)

/* Native: the page below 1 MiB where secondary CPUs start in real mode (the SIPI vector is its number). */
#define NATIVE_TRAMPOLINE   _UL(0x8000)

/* Page-table entry bits. */
#define PTE_P               _UL(0x001)
#define PTE_RW              _UL(0x002)
#define PTE_U               _UL(0x004)
#define PTE_PWT             _UL(0x008)
#define PTE_PCD             _UL(0x010)
#define PTE_A               _UL(0x020)
#define PTE_D               _UL(0x040)
#define PTE_PSE             _UL(0x080)
#define PTE_ADDR            _UL(0x000ffffffffff000)

#define PT_ENTRIES          512u
#define PT_LEVELS           4u

#ifndef __ASSEMBLY__
#include <stdint.h>

static inline void *pfn_to_virt(uint64_t pfn) { return (void *)(DIRECT_MAP_BASE + (pfn << PAGE_SHIFT)); }
static inline uint64_t virt_to_pfn(const void *p) { return ((uint64_t)p - DIRECT_MAP_BASE) >> PAGE_SHIFT; }
static inline unsigned int pt_index(uint64_t va, unsigned int level)
{
    return (unsigned int)(va >> (PAGE_SHIFT + 9 * (level - 1))) & (PT_ENTRIES - 1);
}
/* Bytes one entry of a table at level covers: 4K, 2M, 1G, 512G. */
static inline uint64_t pt_span(unsigned int level) { return 1ull << (PAGE_SHIFT + 9 * (level - 1)); }

extern char __image_start[], _end[];   /* the kernel image, from the linker script */
#endif

#endif /* ASM_LAYOUT_H */
