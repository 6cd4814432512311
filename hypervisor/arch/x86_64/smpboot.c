/*
 * Starting the application processors the MADT lists (INIT-SIPI-SIPI
 * through the real-mode trampoline, boot/trampoline.S). Each gets a stack
 * block and a GDT of its own, sets up its TSS, IDT, local APIC, timer and
 * SYSCALL entry, and enters the scheduler, where it idles until a vCPU is
 * given to it. They start one at a time: the boot CPU waits for each.
 */
#include <hv/cmdline.h>
#include <hv/printk.h>
#include <hv/time.h>
#include <asm/apic.h>
#include <asm/cpu.h>
#include <asm/current.h>
#include <asm/desc.h>
#include <asm/mm.h>
#include <asm/page.h>
#include <asm/pv.h>
#include <asm/smp.h>
#include <asm/timer.h>

extern const uint8_t trampoline_start[], trampoline_end[];
extern uint32_t tramp_cr3[];
extern uint64_t tramp_entry[];
extern char ap_start64[], boot_l4[];

/* What the starting AP reads in ap_start64 and __start_ap (written by the boot CPU before the SIPI). */
uint64_t ap_boot_cr3, ap_boot_stack;
static uint64_t *ap_boot_gdt;
static volatile bool ap_up;
static volatile bool cpus_released;        /* the scheduler is ready: APs may enter it */

static uint64_t opt_maxcpus = NR_CPUS;
boot_param_uint("maxcpus", opt_maxcpus);

#define STACK_ORDER 4                       /* 2^4 frames = STACK_SIZE */
#define GDT_ORDER   4                       /* 2^4 frames = GDT_SIZE */
_Static_assert((PAGE_SIZE << STACK_ORDER) == STACK_SIZE && (PAGE_SIZE << GDT_ORDER) == GDT_SIZE, "orders");

void __start_ap(void);
void __start_ap(void)
{
    struct cpu_info *ci = get_cpu_info();
    unsigned int cpu = ci->cpu_id;
    uint8_t *stack_base = (uint8_t *)(ci + 1) - STACK_SIZE;

    desc_init_cpu(cpu, stack_base, ap_boot_gdt);
    idt_load();
    write_cr4(read_cr4() | X86_CR4_PGE);
    apic_init_cpu();
    pv_cpu_init();
    time_init_cpu();
    cpumask_set_atomic(&cpu_online_mask, cpu);
    __atomic_store_n(&ap_up, true, __ATOMIC_RELEASE);
    while (!__atomic_load_n(&cpus_released, __ATOMIC_ACQUIRE))
        cpu_relax();
    pv_start_guests();                      /* the scheduler: idle until a vCPU comes */
}

static bool start_cpu(unsigned int cpu, uint32_t apic_id)
{
    pfn_t stack = alloc_frames(STACK_ORDER), gdt = alloc_frames(GDT_ORDER);
    if (stack == INVALID_PFN || gdt == INVALID_PFN) {
        printk(LOG_WARN "smp: no memory for CPU %u's stack and GDT\n", cpu);
        return false;
    }
    uint8_t *base = __va(stack << PAGE_SHIFT);
    struct cpu_info *ci = stack_cpu_info(base);
    memset(ci, 0, sizeof(*ci));
    ci->cpu_id = cpu;
    ap_boot_stack = (uint64_t)ci;           /* the stack grows down from just below cpu_info */
    ap_boot_gdt = __va(gdt << PAGE_SHIFT);
    cpu_apic_id[cpu] = apic_id;
    __atomic_store_n(&ap_up, false, __ATOMIC_RELEASE);

    apic_start_cpu(apic_id, TRAMPOLINE_PA >> PAGE_SHIFT);
    s_time_t until = NOW() + SECONDS(2);
    while (!__atomic_load_n(&ap_up, __ATOMIC_ACQUIRE) && NOW() < until)
        cpu_relax();
    if (!__atomic_load_n(&ap_up, __ATOMIC_ACQUIRE)) {
        printk(LOG_WARN "smp: CPU %u (APIC id %u) did not start\n", cpu, apic_id);
        return false;                       /* its memory stays: it may still wake up and use it */
    }
    return true;
}

void smp_boot_cpus(void)
{
    uint32_t self = apic_id();
    cpu_apic_id[0] = self;
    smp_ipi_init();

    /* The trampoline, and what it needs: the boot tables (below 4 GiB) and where to go in the image. */
    uint8_t *t = __va(TRAMPOLINE_PA);
    memcpy(t, trampoline_start, (size_t)(trampoline_end - trampoline_start));
    *(uint32_t *)(t + ((const uint8_t *)tramp_cr3 - trampoline_start)) = (uint32_t)__pa(boot_l4);
    *(uint64_t *)(t + ((const uint8_t *)tramp_entry - trampoline_start)) = (uint64_t)ap_start64;
    ap_boot_cr3 = idle_l4_pa;

    unsigned int limit = (unsigned int)MIN(MAX(opt_maxcpus, 1), (uint64_t)NR_CPUS);
    unsigned int listed = MIN(madt.nr_lapics, (unsigned int)ARRAY_SIZE(madt.lapic_ids));
    for (unsigned int i = 0; i < listed && nr_cpus_online < limit; i++) {
        uint32_t id = madt.lapic_ids[i];
        if (id == self)
            continue;
        if (id >= 255) {
            printk(LOG_WARN "smp: CPU with x2APIC id %u skipped (xAPIC mode only)\n", id);
            continue;
        }
        if (start_cpu(nr_cpus_online, id))
            nr_cpus_online++;
    }
    if (madt.nr_lapics > limit)
        printk("smp: %u CPU(s) listed, using %u (maxcpus=%llu, at most %u)\n", madt.nr_lapics, nr_cpus_online,
               (unsigned long long)opt_maxcpus, NR_CPUS);
    printk("smp: %u CPU(s) up\n", nr_cpus_online);
}

void smp_release_cpus(void)
{
    __atomic_store_n(&cpus_released, true, __ATOMIC_RELEASE);
}
