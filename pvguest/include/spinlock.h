/*
 * Spinlocks for SMP. Every lock here is taken with interrupts off (the
 * irqsave forms, or inside a handler), so a CPU never spins on a lock its own
 * interrupted code holds. While spinning, cpu_relax() also serves what another
 * CPU may be waiting for from us (native: TLB shootdowns), so a CPU that holds
 * one lock and waits for every CPU cannot deadlock against one spinning here.
 */
#ifndef PVGUEST_SPINLOCK_H
#define PVGUEST_SPINLOCK_H

#include <paravirt.h>

typedef struct {
    volatile uint32_t locked;
} spinlock_t;

#define SPINLOCK_INIT { 0 }

static inline void spin_init(spinlock_t *l) { l->locked = 0; }

static inline bool spin_trylock(spinlock_t *l)
{
    return !__atomic_exchange_n(&l->locked, 1u, __ATOMIC_ACQUIRE);
}

/* With interrupts off. */
static inline void spin_lock(spinlock_t *l)
{
    while (!spin_trylock(l))
        while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED))
            cpu_relax();
}

static inline void spin_unlock(spinlock_t *l) { __atomic_store_n(&l->locked, 0u, __ATOMIC_RELEASE); }

static inline unsigned long spin_lock_irqsave(spinlock_t *l)
{
    unsigned long f = irq_save();
    spin_lock(l);
    return f;
}

static inline void spin_unlock_irqrestore(spinlock_t *l, unsigned long f)
{
    spin_unlock(l);
    irq_restore(f);
}

#endif /* PVGUEST_SPINLOCK_H */
