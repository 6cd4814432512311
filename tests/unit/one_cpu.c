/*
 * The environment of hv/spinlock.h for pure files under a host test or fuzz
 * target: one thread on one CPU, so a lock is never contended and there are
 * no interrupts to mask.
 */
#include <stdio.h>
#include <stdlib.h>
#include <hv/spinlock.h>

unsigned int spin_lock_cpu(void) { return 0; }

void arch_spin_wait(void)
{
    fprintf(stderr, "a lock was contended in a single-threaded test\n");
    abort();
}

uint64_t arch_irq_save(void) { return 0; }
void arch_irq_restore(uint64_t flags) { (void)flags; }
