/* XENMEM_exchange (memory_exchange.c), called by do_memory_op. */
#ifndef HV_COMMON_MEMORY_EXCHANGE_H
#define HV_COMMON_MEMORY_EXCHANGE_H

#include <stdint.h>

/*
 * arg: the guest's struct xen_memory_exchange. 0 once every input extent is
 * exchanged; else -EFAULT, -EPERM (an order above the caller's maximum, or
 * no right over the domain), -EINVAL (inconsistent sizes or domains, a
 * frame the domain does not own or still uses), -ESRCH, -ENOMEM, with
 * nr_exchanged written back. May continue itself (preemption).
 */
int64_t memory_exchange(uint64_t arg);

#endif
