/* Bringing up the other CPUs, and what CPUs ask of each other (IPIs, TLB shootdowns). */
#ifndef ASM_SMP_H
#define ASM_SMP_H

/* Physical page the APs start from (real mode: below 1 MiB, reserved by memory.c). */
#define TRAMPOLINE_PA   0x8000

#ifndef __ASSEMBLY__
#include <hv/cpumask.h>
#include <hv/lib.h>
#include <hv/tlbclock.h>
#include <asm/config.h>
#include <asm/cpu.h>
#include <asm/current.h>

/* CPUs that are up and scheduling (bit per logical CPU), and how many. */
extern volatile cpumask_t cpu_online_mask;
extern unsigned int nr_cpus_online;

/* Starts every CPU the MADT lists (up to NR_CPUS and maxcpus=); each waits for smp_release_cpus. */
void smp_boot_cpus(void);
/* The scheduler is ready: the started CPUs enter it (and idle until given a vCPU). */
void smp_release_cpus(void);

/*
 * Asks cpu to look at its scheduler and its vCPU's events on its way back
 * to a guest (a vCPU there was woken, preempted or sent an event). Cheap
 * and asynchronous; a no-op for this CPU.
 */
void smp_send_event_check(unsigned int cpu);

/*
 * Loads CR3, which flushes every non-global entry (guest mappings are never
 * global): on the TLB-flush clock (hv/tlbclock.h), ticked before and this
 * CPU's flush time recorded after. The clock is only an economy: a CR3 write
 * that skips it leaves the CPU's time older than its last flush, so the CPU
 * is flushed again later, never missed. So the guest's own paths keep the
 * plain write_cr3 (its kernel/user switch, new_baseptr: no shared counter on
 * every system call), and boot's leave the time at 0; the context switch,
 * idling and the explicit flushes tick.
 */
static inline void switch_cr3(uint64_t cr3)
{
    uint64_t t = tlbclock_tick();
    write_cr3(cr3);
    tlbclock_flushed(smp_processor_id(), t);
}

/* This CPU's TLB alone (the *_LOCAL flushes): no mask to build or walk. */
static inline void flush_tlb_local(void) { switch_cr3(read_cr3()); }
static inline void flush_tlb_one_local(uint64_t va) { invlpg((const void *)va); }

/* flush_tlb_mask and flush_tlb_one_mask when mask names another CPU: the shootdown. */
void flush_tlb_mask_remote(cpumask_t mask);
void flush_tlb_one_mask_remote(cpumask_t mask, uint64_t va);

/*
 * Flushes the TLBs of the CPUs in mask (this one included if in mask) of
 * every non-global entry and returns when all have done it. Safe with
 * locks held: waiting CPUs keep answering each other (arch_spin_wait).
 * Inline for the common case of this CPU alone (one vCPU, or a domain
 * that never ran elsewhere), which is one CR3 reload, as before SMP.
 */
static inline void flush_tlb_mask(cpumask_t mask)
{
    cpumask_t self = cpumask_of(smp_processor_id());
    if (mask & ~self)
        flush_tlb_mask_remote(mask);
    else if (mask)
        flush_tlb_local();
}

/* The same for one page only. */
static inline void flush_tlb_one_mask(cpumask_t mask, uint64_t va)
{
    cpumask_t self = cpumask_of(smp_processor_id());
    if (mask & ~self)
        flush_tlb_one_mask_remote(mask, va);
    else if (mask)
        flush_tlb_one_local(va);
}

/* Installs the IPI handlers (boot CPU, before any other CPU starts). */
void smp_ipi_init(void);
/* Logical CPU -> local APIC id. */
extern uint32_t cpu_apic_id[NR_CPUS];
/* IPIs sent and remote flushes requested since boot. */
extern uint64_t ipis_sent, flushes_remote;

/* Answers a pending flush request for this CPU, if any (spin loops call it). */
void smp_service_flush(void);

#endif
#endif
