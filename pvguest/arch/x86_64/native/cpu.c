/* Native CPU ops: the interrupt flag, hlt, GDT/TSS/IDT (one IDT; a GDT, TSS and #DF stack per CPU), FS/GS base MSRs, CR2. */
#include <sched.h>
#include "native.h"

struct idt_gate {
    uint16_t off_lo, sel;
    uint8_t ist, type;
    uint16_t off_mid;
    uint32_t off_hi, zero;
} __attribute__((packed));

struct tss {
    uint32_t _res0;
    uint64_t rsp[3];
    uint64_t _res1;
    uint64_t ist[7];
    uint64_t _res2;
    uint16_t _res3, iomap;
} __attribute__((packed));
_Static_assert(sizeof(struct tss) == 104, "tss size");

#define SEL_CODE 0x08
#define SEL_DATA 0x10
#define SEL_TSS  0x18

static struct idt_gate idt[256] __attribute__((aligned(16)));
static struct tss tss[MAX_CPUS];
static uint64_t gdt[MAX_CPUS][5] __attribute__((aligned(16)));
/* Kernel stacks like any other: aligned, their head naming the thread that set the CPU up. */
static uint8_t df_stack[MAX_CPUS][STACK_SIZE] __attribute__((aligned(STACK_SIZE)));
extern const uint64_t native_stubs;     /* entry.S: stub of vector v at native_stubs + 16 v */

void idt_set_gate(unsigned int vector)
{
    uint64_t off = native_stubs + vector * 16;
    idt[vector] = (struct idt_gate){
        .off_lo = (uint16_t)off, .sel = SEL_CODE, .ist = vector == 8 ? 1 : 0,
        .type = 0x8e,                   /* present, DPL 0, interrupt gate: IF cleared on entry */
        .off_mid = (uint16_t)(off >> 16), .off_hi = (uint32_t)(off >> 32),
    };
}

void cpu_init(unsigned int cpu)
{
    struct tss *t = &tss[cpu];
    uint64_t *g = gdt[cpu];
    uint64_t base = (uint64_t)t;
    *(struct thread **)df_stack[cpu] = current;
    t->iomap = sizeof(*t);
    t->ist[0] = (uint64_t)df_stack[cpu] + STACK_SIZE;
    g[0] = 0;
    g[1] = 0x00af9a000000ffffull;
    g[2] = 0x00cf92000000ffffull;
    g[3] = (sizeof(*t) - 1) | ((base & 0xffffff) << 16) | (0x89ull << 40) | ((base >> 24 & 0xff) << 56);
    g[4] = base >> 32;
    struct { uint16_t limit; uint64_t base; } __attribute__((packed)) gd = { sizeof(gdt[0]) - 1, (uint64_t)g };
    __asm__ volatile("lgdt %0\n\t"
                     "mov %1, %%ds\n\tmov %1, %%es\n\tmov %1, %%ss\n\t"
                     "pushq %2\n\tlea 1f(%%rip), %%rax\n\tpushq %%rax\n\tlretq\n"
                     "1:\n\tltr %w3"
                     :: "m"(gd), "r"(SEL_DATA), "i"(SEL_CODE), "r"(SEL_TSS) : "rax", "memory");
    struct { uint16_t limit; uint64_t base; } __attribute__((packed)) id = { sizeof(idt) - 1, (uint64_t)idt };
    __asm__ volatile("lidt %0" :: "m"(id));
}

static void native_set_trap_table(const uint8_t *vectors, unsigned int n)
{
    for (unsigned int i = 0; i < n; i++)
        idt_set_gate(vectors[i]);       /* the stub knows whether the CPU pushes an error code */
}

static unsigned long native_irq_save(void)
{
    uint64_t f;
    __asm__ volatile("pushfq\n\tpopq %0\n\tcli" : "=r"(f) :: "memory");
    return f & RFLAGS_IF;
}
static void native_irq_restore(unsigned long f)
{
    if (f)
        __asm__ volatile("sti" ::: "memory");
}
static void native_irq_disable(void) { __asm__ volatile("cli" ::: "memory"); }
static void native_irq_enable(void) { __asm__ volatile("sti" ::: "memory"); }
static bool native_irqs_enabled(void)
{
    uint64_t f;
    __asm__ volatile("pushfq\n\tpopq %0" : "=r"(f));
    return f & RFLAGS_IF;
}
/* sti takes effect after the next instruction, so no interrupt slips in before hlt. */
static void native_safe_halt(void) { __asm__ volatile("sti\n\thlt" ::: "memory"); }
static void native_load_kernel_stack(uintptr_t top) { tss[smp_processor_id()].rsp[0] = top; }
static void native_set_fs_base(uint64_t b) { wrmsr(MSR_FS_BASE, b); }
static void native_set_gs_base(uint64_t b) { wrmsr(MSR_GS_BASE, b); }
static uint64_t native_fault_address(void)
{
    uint64_t cr2;
    __asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
    return cr2;
}

const struct pv_cpu_ops native_cpu_ops = {
    .irq_save = native_irq_save,
    .irq_restore = native_irq_restore,
    .irq_disable = native_irq_disable,
    .irq_enable = native_irq_enable,
    .irqs_enabled = native_irqs_enabled,
    .safe_halt = native_safe_halt,
    .set_trap_table = native_set_trap_table,
    .load_kernel_stack = native_load_kernel_stack,
    .set_fs_base = native_set_fs_base,
    .set_gs_base = native_set_gs_base,
    .fault_address = native_fault_address,
};
