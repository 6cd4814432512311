/* Segment descriptors, the TSS and the IDT. */
#ifndef ASM_DESC_H
#define ASM_DESC_H


/*
 * The GDT has Xen's shape: 16 pages, of which the first 14 (entries
 * 0..FIRST_RESERVED_GDT_ENTRY-1) belong to the running guest (set_gdt) and
 * page 14 holds the hypervisor's own selectors and the flat ring-3 ones that
 * every PV guest uses (FLAT_RING3_CS64 0xe033 and friends, see hypercall-abi).
 */
#define GDT_ENTRIES                 8192
#define GDT_SIZE                    (GDT_ENTRIES * 8)
/* FIRST_RESERVED_GDT_* come from public/arch-x86_64.h (C only). */

#define HYPERVISOR_CS   0xe008      /* 64-bit ring-0 code */
#define HYPERVISOR_DS   0xe010      /* ring-0 data */
#define RING3_CS32      0xe023      /* what SYSRET derives its selectors from */
#define RING3_DS        0xe02b
#define RING3_CS64      0xe033
#define TSS_SEL         0xe040
#define LDT_SEL         0xe050      /* the running guest's LDT (two slots) */

/* Interrupt stack table slots (1-based, as the IDT gate encodes them). */
#define IST_NMI         1
#define IST_DF          2
#define IST_MC          3
#define NR_IST          3

#ifndef __ASSEMBLY__
#include <stdint.h>

struct __attribute__((packed)) tss64 {
    uint32_t _rsvd0;
    uint64_t rsp[3];
    uint64_t _rsvd1;
    uint64_t ist[7];
    uint64_t _rsvd2;
    uint16_t _rsvd3;
    uint16_t iomap_base;
};
_Static_assert(sizeof(struct tss64) == 104, "TSS size");

/* The boot CPU's GDT and TSS (on boot_stack); see desc_init_cpu. */
void desc_init(void);
/*
 * Loads cpu's GDT (GDT_SIZE bytes, page aligned; filled from the boot CPU's
 * template) with its TSS, whose IST stacks catch NMI, #DF and #MC, and sets
 * up the cpu_info at the top of its stack block (STACK_SIZE, aligned).
 */
void desc_init_cpu(unsigned int cpu, uint8_t *stack_base, uint64_t *gdt);
/* The running CPU's GDT. */
uint64_t *this_cpu_gdt(void);
/* Installs the IDT: every vector enters through entry.S. */
void idt_init(void);
/* Loads the (shared) IDT on this CPU. */
void idt_load(void);

/* Bounds of the stack (a CPU's main or IST stack) holding addr, for frame-pointer walks; -1 if none. */
int stack_bounds(uint64_t addr, uint64_t *lo, uint64_t *hi);
/* Bounds of cpu's IST stack ist (1-based). */
void ist_stack_bounds(unsigned int cpu, unsigned int ist, uint64_t *lo, uint64_t *hi);

#endif /* __ASSEMBLY__ */

#endif
