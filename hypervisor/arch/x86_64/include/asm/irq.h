/* Interrupt vectors the hypervisor uses, and handler registration. */
#ifndef ASM_IRQ_H
#define ASM_IRQ_H

#include <asm/regs.h>

#define FIRST_EXTERNAL_VECTOR   0x20
#define PIC_MASTER_VECTOR       0x20    /* the masked 8259s, remapped out of the way */
#define PIC_SLAVE_VECTOR        0x28
#define TIMER_VECTOR            0xf0
#define EVENT_CHECK_VECTOR      0xf1    /* IPI: reschedule / deliver events on the way back */
#define INVALIDATE_VECTOR       0xf2    /* IPI: TLB shootdown (asm/smp.h) */
#define SERIAL_VECTOR           0xe0    /* COM1 receive */
#define SPURIOUS_VECTOR         0xff

typedef void (*irq_handler_t)(struct cpu_regs *regs);

/* Routes vector (>= FIRST_EXTERNAL_VECTOR) to fn; the local APIC is EOI'd after. */
void set_irq_handler(unsigned int vector, irq_handler_t fn);

/* Counts NMIs; a self-test checks they arrive on their own stack. */
extern volatile uint64_t nmi_count;
extern volatile uint64_t nmi_last_rsp;

#endif
