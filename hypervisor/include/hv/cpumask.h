/* Sets of CPUs (NR_CPUS <= 64): one word, changed atomically where CPUs race on it. */
#ifndef HV_CPUMASK_H
#define HV_CPUMASK_H

#include <hv/lib.h>

typedef uint64_t cpumask_t;

static inline cpumask_t cpumask_of(unsigned int cpu) { return 1ull << cpu; }
static inline bool cpumask_test(cpumask_t m, unsigned int cpu) { return (m >> cpu) & 1; }
static inline void cpumask_set_atomic(volatile cpumask_t *m, unsigned int cpu)
{
    __atomic_fetch_or(m, cpumask_of(cpu), __ATOMIC_SEQ_CST);
}
static inline void cpumask_clear_atomic(volatile cpumask_t *m, unsigned int cpu)
{
    __atomic_fetch_and(m, ~cpumask_of(cpu), __ATOMIC_SEQ_CST);
}

#define for_each_cpu_in(cpu, mask) \
    for (unsigned int cpu = 0; cpu < 64; cpu++) if (cpumask_test((mask), cpu))

#endif
