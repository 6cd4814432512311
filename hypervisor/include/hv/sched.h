/*
 * Which vCPU runs. A round-robin policy over runnable vCPUs with a time
 * slice; the event-channel and scheduler work replaces the policy. The
 * switch itself happens on the way back to a guest (arch exit path).
 */
#ifndef HV_SCHED_H
#define HV_SCHED_H

#include <hv/domain.h>

#define SCHED_SLICE_TICKS 3             /* timer ticks per slice (30 ms) */

void sched_vcpu_start(struct vcpu *v);  /* offline -> runnable */
void sched_vcpu_stopped(struct vcpu *v);/* its domain shut down */
void sched_yield(void);                 /* current gives up the rest of its slice */
void sched_tick(void);                  /* from the timer interrupt */
bool sched_should_preempt(void);        /* the running vCPU's slice is over */

/* On the way to a guest: returns the vCPU to run next, halting while none can run. */
struct vcpu *sched_pick(void);

#endif
