/* Native backend internals: port I/O, MSRs, and what the native files share. */
#ifndef NATIVE_NATIVE_H
#define NATIVE_NATIVE_H

#include <paravirt.h>
#include <asm/trap.h>
#include <lib/x86.h>     /* port I/O, MSRs, rdtsc */

#define MSR_APIC_BASE   0x1b
#define MSR_FS_BASE     0xc0000100
#define MSR_GS_BASE     0xc0000101

/* Vectors: 0-31 exceptions, 0x20-0x2f the 8259 lines, 0x40 the APIC timer, 0x41.. IPIs,
 * 0x50 TLB shootdowns, 0xff spurious. */
#define VEC_PIC_BASE    0x20
#define VEC_TIMER       0x40
#define VEC_IPI_BASE    0x41
#define VEC_IPI_LAST    0x4f
#define VEC_TLB_FLUSH   0x50
#define VEC_SPURIOUS    0xff

/* Local APIC registers and ICR commands. */
#define APIC_ID         0x020
#define APIC_ICR_LO     0x300
#define APIC_ICR_HI     0x310
#define ICR_PENDING     (1u << 12)
#define ICR_INIT        0x4500u         /* INIT, level assert */
#define ICR_STARTUP     0x4600u         /* start-up IPI; low byte: the page to start at */

/* Entry numbers for the counters: the privileged MMU instructions a hypervisor would trap. */
#define NATIVE_ENTRY_INVLPG  0
#define NATIVE_ENTRY_CR3     1

/* serial.c */
void serial_init(void);
void serial_write(const char *s, size_t n);
size_t serial_read(char *buf, size_t n);
void serial_enable_rx_irq(void);
#define COM1_IRQ 4
/* cpu.c: the calling CPU's GDT, TSS and IDT. */
void cpu_init(unsigned int cpu);
void idt_set_gate(unsigned int vector);
extern const struct pv_cpu_ops native_cpu_ops;
/* mmu.c */
extern const struct pv_mmu_ops native_mmu_ops;
void native_mm_init(void);
/* irq.c */
extern const struct pv_irq_ops native_irq_ops;
extern const struct pv_time_ops native_time_ops;
void native_trap(struct trap_frame *f);
uint32_t apic_read(unsigned int reg);
void apic_write(unsigned int reg, uint32_t v);
void apic_send(uint32_t apic_id, uint32_t cmd);
void native_lapic_init(void);
/* smp.c */
extern const struct pv_smp_ops native_smp_ops;
uint32_t native_cpu_apic_id(unsigned int cpu);
/* Reads the MADT through the boot tables (before mm_init): rsdp is the RSDP's address, or 0 to search the BIOS area. */
void native_acpi_scan(const void *rsdp);
/* TLB shootdown: every other online CPU flushes its whole TLB before this returns. */
void native_flush_others(void);
void native_flush_serve(void);
/* setup.c: the RAM ranges from the multiboot2 memory map, for the direct map. */
struct ram_range {
    uint64_t start_pfn, end_pfn;
};
extern struct ram_range native_ram[];
extern unsigned int native_nr_ram;

#endif /* NATIVE_NATIVE_H */
