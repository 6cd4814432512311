/*
 * Guest side of Xen's pvclock: system time in ns from a vcpu_info's
 * vcpu_time_info. The hypervisor bumps version to odd before it rewrites the
 * record and to even after, so a read that saw an odd or changed version is
 * retried. ns = system_time + ((tsc - tsc_timestamp) << tsc_shift) * mul >> 32,
 * shifting right for a negative tsc_shift. Needs hypercall-abi's public/xen.h.
 */
#ifndef LIB_PVCLOCK_H
#define LIB_PVCLOCK_H

#include <stdint.h>
#include <public/xen.h>
#include <lib/x86.h>

static inline uint64_t pvclock_read(const volatile struct vcpu_time_info *t)
{
    uint32_t version;
    uint64_t ns;
    do {
        version = t->version;
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        uint64_t delta = rdtsc() - t->tsc_timestamp;
        if (t->tsc_shift < 0)
            delta >>= -t->tsc_shift;
        else
            delta <<= t->tsc_shift;
        ns = t->system_time + (uint64_t)(((unsigned __int128)delta * t->tsc_to_system_mul) >> 32);
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
    } while ((version & 1) || version != t->version);
    return ns;
}

#endif /* LIB_PVCLOCK_H */
