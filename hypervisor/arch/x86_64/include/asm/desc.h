/* Segment descriptors, the TSS and the IDT. */
#ifndef ASM_DESC_H
#define ASM_DESC_H

#include <stdint.h>

#define HYPERVISOR_CS   0x08
#define HYPERVISOR_DS   0x10
#define TSS_SEL         0x20

/* Interrupt stack table slots (1-based, as the IDT gate encodes them). */
#define IST_NMI         1
#define IST_DF          2
#define IST_MC          3
#define NR_IST          3

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

/* Loads the GDT with a TSS whose IST stacks catch NMI, #DF and #MC. */
void desc_init(void);
/* Installs the IDT: every vector enters through entry.S. */
void idt_init(void);

/* Stack bounds used to validate frame-pointer walks: boot stack and IST stacks. */
int stack_bounds(uint64_t addr, uint64_t *lo, uint64_t *hi);
extern uint8_t ist_stacks[NR_IST][8192];

#endif
