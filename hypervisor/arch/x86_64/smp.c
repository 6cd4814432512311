/*
 * What CPUs ask of each other: event checks (look at your scheduler and
 * vCPU on the way back to the guest) and TLB shootdowns.
 *
 * A shootdown marks each target's flush_pending flag, sends it an IPI and
 * waits until every target has flushed and cleared its flag. Targets may
 * be spinning on a lock the initiator holds, or initiating a shootdown of
 * their own, with interrupts off: every spin loop answers pending requests
 * (arch_spin_wait -> smp_service_flush), so nobody waits on a CPU that
 * cannot answer.
 */
#include <hv/printk.h>
#include <hv/spinlock.h>
#include <asm/apic.h>
#include <asm/cpu.h>
#include <asm/current.h>
#include <asm/irq.h>
#include <asm/smp.h>

volatile cpumask_t cpu_online_mask = 1;
unsigned int nr_cpus_online = 1;
uint32_t cpu_apic_id[NR_CPUS];

/*
 * Per target CPU: 0 no request, FLUSH_CLAIMED an initiator is writing one,
 * FLUSH_ALL a full flush, FLUSH_ONE one page at flush_va.
 */
enum { FLUSH_NONE, FLUSH_ALL, FLUSH_ONE, FLUSH_CLAIMED = 0xff };
static volatile uint32_t flush_pending[NR_CPUS];
static volatile uint64_t flush_va[NR_CPUS];

uint64_t ipis_sent, flushes_remote;      /* counts for the log and the benchmarks */

unsigned int spin_lock_cpu(void)
{
    return smp_processor_id();
}

uint64_t arch_irq_save(void)
{
    return local_irq_save();
}

void arch_irq_restore(uint64_t flags)
{
    local_irq_restore(flags);
}

void smp_service_flush(void)
{
    unsigned int cpu = smp_processor_id();
    uint32_t what = __atomic_load_n(&flush_pending[cpu], __ATOMIC_ACQUIRE);
    if (what == FLUSH_NONE || what == FLUSH_CLAIMED)
        return;
    if (what == FLUSH_ALL)
        flush_tlb_local();
    else
        flush_tlb_one_local(flush_va[cpu]);
    __atomic_store_n(&flush_pending[cpu], 0, __ATOMIC_RELEASE);
}

void arch_spin_wait(void)
{
    cpu_relax();
    smp_service_flush();
}

static void send_ipi(unsigned int cpu, unsigned int vector)
{
    uint64_t flags = local_irq_save();
    while (apic_read(APIC_ICR_LO) & APIC_ICR_BUSY)
        cpu_relax();
    apic_write(APIC_ICR_HI, cpu_apic_id[cpu] << 24);
    apic_write(APIC_ICR_LO, vector);        /* fixed delivery, physical destination */
    __atomic_fetch_add(&ipis_sent, 1, __ATOMIC_RELAXED);
    local_irq_restore(flags);
}

void smp_send_event_check(unsigned int cpu)
{
    if (cpu != smp_processor_id() && cpumask_test(cpu_online_mask, cpu))
        send_ipi(cpu, EVENT_CHECK_VECTOR);
}

/* The other CPUs' part of a flush (mask: online, without this CPU), out of the local flushes' way. */
static __noinline void flush_remote(cpumask_t mask, uint32_t what, uint64_t va)
{
    for_each_cpu_in(cpu, mask) {
        /* One request per target at a time: wait for its previous one to be answered. */
        uint32_t expect = FLUSH_NONE;
        while (!__atomic_compare_exchange_n(&flush_pending[cpu], &expect, FLUSH_CLAIMED, false, __ATOMIC_ACQUIRE,
                                            __ATOMIC_RELAXED)) {
            expect = FLUSH_NONE;
            arch_spin_wait();
        }
        flush_va[cpu] = va;
        __atomic_store_n(&flush_pending[cpu], what, __ATOMIC_RELEASE);
        send_ipi(cpu, INVALIDATE_VECTOR);
        __atomic_fetch_add(&flushes_remote, 1, __ATOMIC_RELAXED);
    }
    for_each_cpu_in(cpu, mask)
        while (__atomic_load_n(&flush_pending[cpu], __ATOMIC_ACQUIRE))
            arch_spin_wait();
}

static inline void flush_mask(cpumask_t mask, uint32_t what, uint64_t va)
{
    unsigned int self = smp_processor_id();
    mask &= cpu_online_mask;
    if (cpumask_test(mask, self)) {
        if (what == FLUSH_ALL)
            flush_tlb_local();
        else
            flush_tlb_one_local(va);
    }
    mask &= ~cpumask_of(self);
    if (mask)
        flush_remote(mask, what, va);
}

void flush_tlb_mask_remote(cpumask_t mask)
{
    flush_mask(mask, FLUSH_ALL, 0);
}

void flush_tlb_one_mask_remote(cpumask_t mask, uint64_t va)
{
    flush_mask(mask, FLUSH_ONE, va);
}

void tlbclock_flush_stale(uint64_t stamp)
{
    cpumask_t stale = tlbclock_filter(cpu_online_mask, stamp);
    if (stale)
        flush_tlb_mask(stale);
}

static void invalidate_interrupt(struct cpu_regs *regs)
{
    (void)regs;
    smp_service_flush();
}

static void event_check_interrupt(struct cpu_regs *regs)
{
    (void)regs;                             /* the way back to the guest does the work */
}

void smp_ipi_init(void)
{
    set_irq_handler(INVALIDATE_VECTOR, invalidate_interrupt);
    set_irq_handler(EVENT_CHECK_VECTOR, event_check_interrupt);
}
