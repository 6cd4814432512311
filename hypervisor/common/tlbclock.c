/* The TLB-flush clock's state and filter (hv/tlbclock.h); pure, host-tested. */
#include <hv/tlbclock.h>

uint64_t tlbclock = 1;
uint64_t tlbclock_time[NR_CPUS];

cpumask_t tlbclock_filter(cpumask_t cpus, uint64_t stamp)
{
    if (!stamp)
        return 0;                           /* never stamped: no translation of it was ever removed */
    cpumask_t stale = 0;
    cpus &= NR_CPUS >= 64 ? ~0ull : (1ull << NR_CPUS) - 1;
    while (cpus) {                          /* the set bits only: this runs on every retype and free */
        unsigned int cpu = (unsigned int)__builtin_ctzll(cpus);
        cpus &= cpus - 1;
        if (__atomic_load_n(&tlbclock_time[cpu], __ATOMIC_ACQUIRE) <= stamp)
            stale |= cpumask_of(cpu);
    }
    return stale;
}
