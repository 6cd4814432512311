/*
 * Per-CPU GDT, TSS and stacks. Every CPU has its own GDT (the running
 * guest's descriptors are copied into its first pages on a switch, and the
 * TSS descriptor's busy bit is per CPU), its own TSS, and its own stack
 * block with the IST stacks at the bottom (asm/current.h).
 */
#include <hv/lib.h>
#include <asm/config.h>
#include <public/xen.h>
#include <asm/current.h>
#include <asm/desc.h>
#include <asm/page.h>

extern uint8_t boot_stack[];

static struct tss64 tss[NR_CPUS] __aligned(16);
uint8_t *cpu_stack_base[NR_CPUS];
uint64_t *cpu_gdt[NR_CPUS];

/* The boot CPU's GDT, and the template of every other CPU's. Whole pages, as set_gdt wants. */
static uint64_t boot_gdt[GDT_ENTRIES] __aligned(4096) = {
    [HYPERVISOR_CS >> 3] = 0x00af9a000000ffffull,   /* 64-bit code, DPL 0 */
    [HYPERVISOR_DS >> 3] = 0x00cf92000000ffffull,   /* data, DPL 0 */
    [RING3_CS32 >> 3] = 0x00cffa000000ffffull,      /* 32-bit code, DPL 3 */
    [RING3_DS >> 3] = 0x00cff2000000ffffull,        /* data, DPL 3 */
    [RING3_CS64 >> 3] = 0x00affa000000ffffull,      /* 64-bit code, DPL 3 */
};
_Static_assert(sizeof(boot_gdt) == GDT_SIZE, "a GDT of 16 pages");
_Static_assert((HYPERVISOR_CS >> 3) >= FIRST_RESERVED_GDT_ENTRY, "hypervisor selectors in the reserved page");
_Static_assert(RING3_CS64 == FLAT_RING3_CS64 && RING3_CS32 == FLAT_RING3_CS32 && RING3_DS == FLAT_RING3_DS32,
               "the flat ring-3 selectors are the ABI's");
_Static_assert(RESERVED_VIRT_START == HYPERVISOR_VIRT_START && RESERVED_VIRT_END == HYPERVISOR_VIRT_END,
               "we reserve exactly the range the ABI promises guests we use");
_Static_assert(NR_IST * IST_STACK_SIZE + KiB(16) + sizeof(struct cpu_info) <= STACK_SIZE,
               "IST stacks, at least 16 KiB of main stack and cpu_info fit the block");

struct __attribute__((packed)) desc_ptr {
    uint16_t limit;
    uint64_t base;
};

uint64_t *this_cpu_gdt(void)
{
    return cpu_gdt[smp_processor_id()];
}

void desc_init_cpu(unsigned int cpu, uint8_t *stack_base, uint64_t *gdt)
{
    struct tss64 *t = &tss[cpu];
    struct cpu_info *ci = stack_cpu_info(stack_base);

    ci->cpu_id = cpu;
    ci->current_vcpu = NULL;
    ci->guest_frame_end = (uint64_t)(&ci->guest_regs + 1);
    cpu_stack_base[cpu] = stack_base;
    if (gdt != boot_gdt)
        memcpy(gdt, boot_gdt, GDT_SIZE);
    cpu_gdt[cpu] = gdt;

    for (int i = 0; i < NR_IST; i++)
        t->ist[i] = (uint64_t)stack_base + (uint64_t)(i + 1) * IST_STACK_SIZE;
    t->rsp[0] = ci->guest_frame_end;    /* interrupts from a guest build their frame in guest_regs */
    t->iomap_base = sizeof(*t);         /* no I/O bitmap: ring 3 gets no ports */

    /* A 64-bit TSS descriptor takes two slots. */
    uint64_t base = (uint64_t)t, limit = sizeof(*t) - 1;
    gdt[TSS_SEL >> 3] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) |
                        ((limit >> 16 & 0xf) << 48) | ((base >> 24 & 0xff) << 56);
    gdt[(TSS_SEL >> 3) + 1] = base >> 32;

    struct desc_ptr p = { GDT_SIZE - 1, (uint64_t)gdt };
    __asm__ volatile("lgdt %0" :: "m"(p));
    /* Reload every segment register from the new table. */
    __asm__ volatile("pushq %0; leaq 1f(%%rip), %%rax; pushq %%rax; lretq; 1:"
                     :: "i"(HYPERVISOR_CS) : "rax", "memory");
    __asm__ volatile("mov %0, %%ds; mov %0, %%es; mov %0, %%ss" :: "r"((uint64_t)HYPERVISOR_DS));
    __asm__ volatile("ltr %w0" :: "r"(TSS_SEL));
}

void desc_init(void)
{
    desc_init_cpu(0, boot_stack, boot_gdt);
}

void ist_stack_bounds(unsigned int cpu, unsigned int ist, uint64_t *lo, uint64_t *hi)
{
    *lo = (uint64_t)cpu_stack_base[cpu] + (uint64_t)(ist - 1) * IST_STACK_SIZE;
    *hi = *lo + IST_STACK_SIZE;
}

int stack_bounds(uint64_t addr, uint64_t *lo, uint64_t *hi)
{
    uint64_t base = addr & ~(STACK_SIZE - 1);
    for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++) {
        if ((uint64_t)cpu_stack_base[cpu] != base)
            continue;
        for (unsigned int ist = 1; ist <= NR_IST; ist++) {
            ist_stack_bounds(cpu, ist, lo, hi);
            if (addr >= *lo && addr < *hi)
                return 0;
        }
        *lo = base + NR_IST * IST_STACK_SIZE;
        *hi = (uint64_t)stack_cpu_info((void *)base);
        return addr >= *lo && addr < *hi ? 0 : -1;
    }
    return -1;
}
