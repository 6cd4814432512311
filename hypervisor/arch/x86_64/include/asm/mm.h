/* The hypervisor's own page tables: direct map, image and device mappings. */
#ifndef ASM_MM_H
#define ASM_MM_H

#include <hv/lib.h>
#include <hv/multiboot2.h>
#include <asm/page.h>

/*
 * Builds the final page tables (direct map of RAM, the image with W^X
 * permissions) and switches to them; the boot identity map is gone after.
 * Page-table frames come from the frame allocator, which must hold frames
 * below 4 GiB (still reached through the boot identity map) when called.
 */
void paging_init(const struct boot_info *bi);

/* True once paging_init switched to the final tables. */
extern bool paging_ready;

/* Maps device memory uncached into the ioremap area. Panics when that is full. */
void *ioremap(uint64_t pa, size_t size);

/* Maps [pa, pa+size) at va in the hypervisor's tables with the given PTE flags. */
void map_pages(uint64_t va, uint64_t pa, uint64_t size, uint64_t flags);

/* Physical address behind va in the hypervisor's tables, or ~0 if unmapped. */
uint64_t virt_to_phys_walk(uint64_t va);

/* True for the frames of device memory the hypervisor drives itself (APICs). */
bool mfn_is_hypervisor_mmio(uint64_t mfn);
/* True when any frame of [first, last] is such device memory. */
bool mfns_hypervisor_mmio(uint64_t first, uint64_t last);

/* Machine address of the idle (hypervisor-only) L4. */
extern uint64_t idle_l4_pa;

/* Copies the hypervisor's L4 slots (RESERVED_VIRT_START..END) into a guest L4. */
void init_guest_l4(pte_t *l4);

/* The machine-to-physical table: one guest PFN per machine frame, ~0 if none. */
extern uint64_t *machine_to_phys;
void m2p_init(uint64_t nr_frames);
void set_gpfn_from_mfn(uint64_t mfn, uint64_t gpfn);
uint64_t m2p_max_mfn(void);

#endif
