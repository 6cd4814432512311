/* Long hypercalls give the CPU back: they are restarted where they stopped. */
#ifndef HV_CONTINUATION_H
#define HV_CONTINUATION_H

#include <hv/lib.h>

/* True when the running hypercall should stop at the next safe point. */
bool hypercall_preempt_check(void);

/*
 * Arranges for the guest to re-enter hypercall nr with these arguments (the
 * SYSCALL is re-executed) and returns the value the handler must return.
 */
int64_t hypercall_continue(uint64_t nr, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5);

/* Inside a multicall the batch runs to its end: no continuations there. */
extern bool in_multicall;
/* Set while a guest's hypercall runs (arch entry code). */
extern bool in_hypercall;

#endif
