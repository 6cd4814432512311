/*
 * Spin locks: ticket locks, so CPUs get a contended lock in the order they
 * asked for it and none can be starved by another that keeps taking it.
 *
 * Discipline: the hypervisor runs hypercalls, interrupt handlers and the
 * exit path with interrupts off, and every lock is taken with interrupts
 * off (spin_lock_irqsave where the caller may have them on), so an
 * interrupt never spins on a lock its own CPU holds. A CPU that spins
 * keeps answering TLB-flush requests (arch_spin_wait), so a CPU that holds
 * a lock may wait for a shootdown without deadlock.
 *
 * Lock order (take only downwards; docs/design.md "Locks"):
 *   frame_lock (every frame's counts and every guest page table) > evtchn_lock
 *   > sched_lock > timers_lock > heap_lock, fw_cfg_lock (never both) > console locks
 */
#ifndef HV_SPINLOCK_H
#define HV_SPINLOCK_H

#include <hv/lib.h>

typedef struct {
    volatile uint16_t owner;        /* ticket being served */
    volatile uint16_t next;         /* next ticket to hand out */
    int holder;                     /* CPU holding it, -1 if none (debug builds, for ASSERTs) */
} spinlock_t;

#define SPINLOCK_INIT { 0, 0, -1 }
#define DEFINE_SPINLOCK(l) spinlock_t l = SPINLOCK_INIT

static inline void spin_lock_init(spinlock_t *l) { *l = (spinlock_t)SPINLOCK_INIT; }

/* Called while spinning: the architecture answers pending TLB-flush requests. */
void arch_spin_wait(void);
/* The running CPU's number (smp_processor_id), for the holder field. */
unsigned int spin_lock_cpu(void);
/* Interrupts off, returning the previous state / back to that state (for pure files that take locks). */
uint64_t arch_irq_save(void);
void arch_irq_restore(uint64_t flags);

/* Contended: wait for ticket t. Out of line, so the uncontended path keeps nothing live across a call. */
static __noinline __attribute__((unused)) void spin_lock_wait(spinlock_t *l, uint16_t t)
{
    while (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != t)
        arch_spin_wait();
}

static inline void spin_lock(spinlock_t *l)
{
    uint16_t t = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);
    if (unlikely(__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != t))
        spin_lock_wait(l, t);
#ifdef HV_DEBUG
    l->holder = (int)spin_lock_cpu();
#endif
}

static inline bool spin_trylock(spinlock_t *l)
{
    uint16_t owner = __atomic_load_n(&l->owner, __ATOMIC_RELAXED);
    uint16_t expect = owner;
    if (!__atomic_compare_exchange_n(&l->next, &expect, (uint16_t)(owner + 1), false, __ATOMIC_ACQUIRE,
                                     __ATOMIC_RELAXED))
        return false;
#ifdef HV_DEBUG
    l->holder = (int)spin_lock_cpu();
#endif
    return true;
}

static inline void spin_unlock(spinlock_t *l)
{
#ifdef HV_DEBUG
    ASSERT(l->holder == (int)spin_lock_cpu());
    l->holder = -1;
#endif
    __atomic_fetch_add(&l->owner, 1, __ATOMIC_RELEASE);     /* only the holder writes owner: one add */
}

/* For ASSERTs: in a release build every lock counts as held (the holder is not tracked). */
static inline bool spin_is_locked_by_me(const spinlock_t *l)
{
#ifdef HV_DEBUG
    return l->holder == (int)spin_lock_cpu();
#else
    (void)l;
    return true;
#endif
}

#endif
