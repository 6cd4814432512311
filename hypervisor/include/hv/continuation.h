/* Long hypercalls give the CPU back: they are restarted where they stopped. */
#ifndef HV_CONTINUATION_H
#define HV_CONTINUATION_H

#include <hv/lib.h>

/* True when the running hypercall should stop at the next safe point. */
bool hypercall_preempt_check(void);

/*
 * Batches look at the clock before every HYPERCALL_PREEMPT_STRIDE-th entry
 * (never before the first, so each call makes progress): one entry costs a
 * few hundred cycles, so eight of them delay a preemption by microseconds,
 * and the check (the clock and the CPU's slice) is no longer paid per entry.
 */
#define HYPERCALL_PREEMPT_STRIDE 8
static inline bool hypercall_preempt_point(unsigned int i)
{
    return i && i % HYPERCALL_PREEMPT_STRIDE == 0 && hypercall_preempt_check();
}

/*
 * Arranges for the guest to re-enter hypercall nr with these arguments (the
 * SYSCALL is re-executed) and returns the value the handler must return.
 * Inside a multicall it records them in the vCPU's hypercall state instead.
 */
int64_t hypercall_continue(uint64_t nr, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5);

/*
 * An entry of a multicall that stopped part-way, as Xen handles it: the
 * multicall writes op and args back into the guest's entry and continues
 * itself from that entry.
 */
struct multicall_continuation {
    bool pending;
    uint64_t op;
    uint64_t args[5];
};

/* Per vCPU: what its hypercall in progress is doing (only that vCPU, on its CPU, touches it). */
struct vcpu_hypercall_state {
    bool in_hypercall;                  /* a guest's hypercall runs (arch entry code) */
    bool in_multicall;                  /* a multicall runs one of its entries */
    struct multicall_continuation mc;   /* that entry stopped part-way */
};

#endif
