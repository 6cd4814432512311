/* Local APIC, I/O APIC and the legacy 8259 PICs. */
#ifndef ASM_APIC_H
#define ASM_APIC_H

#include <stdbool.h>
#include <stdint.h>

#define APIC_ID         0x020
#define APIC_VERSION    0x030
#define APIC_TPR        0x080
#define APIC_EOI        0x0b0
#define APIC_SVR        0x0f0
#define APIC_ESR        0x280
#define APIC_ICR_LO     0x300
#define APIC_ICR_HI     0x310
#define APIC_LVT_TIMER  0x320
#define APIC_LVT_LINT0  0x350
#define APIC_LVT_LINT1  0x360
#define APIC_LVT_ERROR  0x370
#define APIC_TIMER_ICR  0x380
#define APIC_TIMER_CCR  0x390
#define APIC_TIMER_DCR  0x3e0

#define APIC_LVT_MASKED     (1u << 16)
#define APIC_TIMER_PERIODIC (1u << 17)
#define APIC_DM_NMI         (4u << 8)
#define APIC_DM_INIT        (5u << 8)
#define APIC_DM_STARTUP     (6u << 8)
#define APIC_INT_ASSERT     (1u << 14)
#define APIC_INT_LEVEL      (1u << 15)
#define APIC_DM_EXTINT      (7u << 8)
#define APIC_ICR_BUSY       (1u << 12)
#define APIC_SVR_ENABLE     (1u << 8)
#define APIC_DCR_DIV16      0x3

uint32_t apic_read(unsigned int reg);
void apic_write(unsigned int reg, uint32_t v);
void apic_eoi(void);
uint32_t apic_id(void);

/* Masks both 8259s, enables the local APIC and masks every I/O APIC input. */
void apic_init(void);
/* This CPU's local APIC, as apic_init set up the boot CPU's (every other CPU at its start). */
void apic_init_cpu(void);
/* INIT then two STARTUPs to the CPU with this APIC id, which starts in real mode at page start_page. */
void apic_start_cpu(uint32_t apic_id, unsigned int start_page);
/* Sends an NMI to this CPU (self-test of the NMI path). */
void apic_self_nmi(void);

/* What ACPI's MADT told us (defaults when there is no ACPI). */
struct madt_info {
    uint64_t lapic_addr;
    uint64_t ioapic_addr;
    uint32_t ioapic_gsi_base;
    unsigned int nr_lapics;
    uint32_t lapic_ids[64];         /* APIC ids of the enabled CPUs, in MADT order (first 64) */
    unsigned int nr_ioapics;
    bool has_8259;
    uint32_t isa_gsi[16];           /* ISA IRQ -> GSI (interrupt source overrides) */
    uint16_t isa_flags[16];         /* MPS INTI flags: polarity bits 0-1, trigger 2-3 */
};

/* Sends GSI gsi to vector on this CPU, with the ISA IRQ's polarity and trigger if isa_irq >= 0. */
void ioapic_route(uint32_t gsi, unsigned int vector, int isa_irq);
extern struct madt_info madt;

/* Pins of the I/O APIC we drive (0 without one); GSI madt.ioapic_gsi_base + n is pin n. */
unsigned int ioapic_nr_pins(void);
/*
 * Programs gsi's pin: vector, trigger, polarity, to this CPU, masked or not;
 * or only flips its mask. Callers serialise (pirq.c holds its lock); the
 * pin must exist.
 */
void ioapic_set_entry(uint32_t gsi, unsigned int vector, bool level, bool active_low, bool masked);
void ioapic_set_mask(uint32_t gsi, bool masked);

#endif
