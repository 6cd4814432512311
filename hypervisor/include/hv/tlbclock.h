/*
 * The TLB-flush clock (Xen's tlbflush_clock): a removed or narrowed guest
 * translation is not shot down at once; its frame is stamped, and only when
 * the frame changes type or goes back to the heap are the CPUs that may
 * still cache the old translation flushed. Pure logic, host-tested
 * (tests/unit/test_tlbclock.c); the flush itself is the environment's.
 *
 *   clock    64 bits, never wraps. A full flush of a CPU's non-global
 *            entries (a CR3 write: guest entries are never global) takes
 *            the next value before it invalidates (tlbclock_tick) and
 *            records it as the CPU's flush time after (tlbclock_flushed);
 *            one that does not (asm/smp.h switch_cr3 says which) only
 *            leaves the CPU's time older: flushed again, never missed.
 *   stamp    page_info.tlbflush_stamp: the clock read after the store that
 *            removed or narrowed a translation of the frame, or unlinked it
 *            as a table (tlbclock_stamp); 0 for a frame never stamped.
 *   filter   CPU c may still hold such a translation iff its flush time <=
 *            the frame's stamp (tlbclock_filter): a later tick came after
 *            the store was visible, so c's flush came after it too. A CPU
 *            caught between its tick and its record still shows the old
 *            time: it is flushed again, never missed.
 */
#ifndef HV_TLBCLOCK_H
#define HV_TLBCLOCK_H

#include <hv/cpumask.h>
#include <hv/page_alloc.h>
#include <asm/config.h>

extern uint64_t tlbclock;                       /* starts at 1: a stamp is never 0 */
extern uint64_t tlbclock_time[NR_CPUS];         /* per CPU: the tick of its last full flush (0: none yet) */

/* The tick a full flush takes before it invalidates (ordered before the invalidation). */
static inline uint64_t tlbclock_tick(void)
{
    return __atomic_add_fetch(&tlbclock, 1, __ATOMIC_SEQ_CST);
}

/* After the invalidation: cpu's flush time becomes t. */
static inline void tlbclock_flushed(unsigned int cpu, uint64_t t)
{
    __atomic_store_n(&tlbclock_time[cpu], t, __ATOMIC_RELEASE);
}

/* The clock, read after every store before it (a full fence: the store is visible to every walker first). */
static inline uint64_t tlbclock_now(void)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return __atomic_load_n(&tlbclock, __ATOMIC_SEQ_CST);
}

/* A translation of pg's frame was just removed or narrowed (the entry's store is done). Under the frame lock. */
static inline void tlbclock_stamp(struct page_info *pg)
{
    pg->tlbflush_stamp = tlbclock_now();
}

/* The CPUs of cpus that may still cache a translation removed at stamp (none for stamp 0). */
cpumask_t tlbclock_filter(cpumask_t cpus, uint64_t stamp);

/*
 * Environment: flushes (and waits for) every online CPU tlbclock_filter
 * names for stamp; nothing when none is named. The hypervisor's is in
 * arch/x86_64/smp.c (any CPU, interrupts on or off, no lock below the
 * frame lock held but it); host tests record it.
 */
void tlbclock_flush_stale(uint64_t stamp);

#endif
