/* Native backend internals: port I/O, MSRs, and what the native files share. */
#ifndef NATIVE_NATIVE_H
#define NATIVE_NATIVE_H

#include <paravirt.h>
#include <asm/trap.h>
#include <lib/x86.h>     /* port I/O, MSRs, rdtsc */

#define MSR_APIC_BASE   0x1b
#define MSR_FS_BASE     0xc0000100
#define MSR_GS_BASE     0xc0000101

/* Vectors: 0-31 exceptions, 0x20-0x2f the 8259 lines, 0x40 the APIC timer, 0x41.. IPIs, 0xff spurious. */
#define VEC_PIC_BASE    0x20
#define VEC_TIMER       0x40
#define VEC_IPI_BASE    0x41
#define VEC_IPI_LAST    0x4f
#define VEC_SPURIOUS    0xff

/* Entry numbers for the counters: the privileged MMU instructions a hypervisor would trap. */
#define NATIVE_ENTRY_INVLPG  0
#define NATIVE_ENTRY_CR3     1

/* serial.c */
void serial_init(void);
void serial_write(const char *s, size_t n);
size_t serial_read(char *buf, size_t n);
void serial_enable_rx_irq(void);
#define COM1_IRQ 4
/* cpu.c */
void cpu_init(void);
void idt_set_gate(unsigned int vector);
extern const struct pv_cpu_ops native_cpu_ops;
/* mmu.c */
extern const struct pv_mmu_ops native_mmu_ops;
void native_mm_init(void);
/* irq.c */
extern const struct pv_irq_ops native_irq_ops;
extern const struct pv_time_ops native_time_ops;
void native_trap(struct trap_frame *f);
/* setup.c: the RAM ranges from the multiboot2 memory map, for the direct map. */
struct ram_range {
    uint64_t start_pfn, end_pfn;
};
extern struct ram_range native_ram[];
extern unsigned int native_nr_ram;

#endif /* NATIVE_NATIVE_H */
