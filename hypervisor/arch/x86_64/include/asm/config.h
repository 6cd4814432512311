/* Virtual address layout of the hypervisor; usable from C and assembly. */
#ifndef ASM_CONFIG_H
#define ASM_CONFIG_H

#ifdef __ASSEMBLY__
#define _AC(x, s) x
#else
#define _AC(x, s) x##s
#endif

/*
 * We live where Xen does, inside 0xffff800000000000-0xffff880000000000, the
 * range Xen's x86-64 PV ABI keeps out of every guest's reach; guests get the
 * rest of the address space.
 *
 *   0xffff800000000000  read-only M2P for guests        (256 GiB)
 *   0xffff82c000000000  ioremap area for device MMIO     (1 GiB)
 *   0xffff82d040000000  hypervisor image, 1 GiB window   (XEN_VIRT_START)
 *   0xffff830000000000  direct map of all RAM            (up to 5 TiB)
 */
/* Equal to the ABI's HYPERVISOR_VIRT_START/END (checked in desc.c). */
#define RESERVED_VIRT_START  _AC(0xffff800000000000, UL)
#define RESERVED_VIRT_END    _AC(0xffff880000000000, UL)
#define IOREMAP_VIRT_START     _AC(0xffff82c000000000, UL)
#define IOREMAP_VIRT_END       _AC(0xffff82c040000000, UL)
#define XEN_VIRT_START         _AC(0xffff82d040000000, UL)
#define XEN_VIRT_END           _AC(0xffff82d080000000, UL)
#define DIRECTMAP_VIRT_START   _AC(0xffff830000000000, UL)
#define DIRECTMAP_VIRT_END     _AC(0xffff880000000000, UL)

/* Page-table slots of XEN_VIRT_START, for the static boot tables (checked in C). */
#define XEN_L4_SLOT            261
#define XEN_L3_SLOT            321

/* The image is loaded at this physical address and runs at XEN_VIRT_START + it. */
#define XEN_LOAD_PHYS          _AC(0x200000, UL)

#define PAGE_SHIFT             12
#define PAGE_SIZE              (_AC(1, UL) << PAGE_SHIFT)
#define L2_PAGE_SHIFT          21
#define L2_PAGE_SIZE           (_AC(1, UL) << L2_PAGE_SHIFT)
#define L3_PAGE_SHIFT          30

/*
 * Each CPU's stack block (asm/current.h): STACK_SIZE bytes aligned to their
 * size, NR_IST stacks of IST_STACK_SIZE at the bottom, the main stack above
 * them, struct cpu_info at the top.
 */
/* Most CPUs the hypervisor brings up (the MADT may list more). */
#define NR_CPUS                8

#define STACK_SIZE             (_AC(65536, UL))
#define IST_STACK_SIZE         (_AC(8192, UL))

#endif
