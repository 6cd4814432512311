/*
 * Which vCPU runs, and when: the mechanism. vCPUs are running, runnable,
 * blocked or offline; the policy (hv/sched_policy.h: credit or rr, chosen
 * with sched=) decides who runs next; the switch happens on the way back to
 * a guest (arch exit path), and the CPU halts when nobody can run.
 */
#ifndef HV_SCHED_H
#define HV_SCHED_H

#include <hv/domain.h>
#include <asm/current.h>

void sched_init(void);                  /* after time_init and smp_boot_cpus: picks the policy */
void sched_add_vcpu(struct vcpu *v);    /* a new vCPU (offline) */
void sched_vcpu_start(struct vcpu *v);  /* offline -> runnable (it has a context; clears VPF_down) */
void sched_vcpu_stopped(struct vcpu *v);/* its domain shut down: gone for good */

void sched_yield(void);                 /* current gives the CPU up for now */
void vcpu_block(struct vcpu *v);        /* current waits for an event */
void vcpu_wake(struct vcpu *v);         /* blocked -> runnable */
void vcpu_kick_slow(struct vcpu *v);    /* vcpu_kick's work when v is not this CPU's unblocked vCPU */

/*
 * An event for v: wake it if it waits. Inline for the common case of an
 * event for the vCPU this CPU runs, not blocking: it takes the upcall on its
 * way out, with nothing to wake or IPI (every hypercall that sends one to
 * itself, evtchn_send_masked in bench/).
 */
static inline void vcpu_kick(struct vcpu *v)
{
    if (v != current || v->state == VCPU_BLOCKED)
        vcpu_kick_slow(v);
}
/* Sets / clears a VPF_* flag (domctl pause, VCPUOP_down): while any is set, v is kept off the CPUs. */
void vcpu_pause_flag_set(struct vcpu *v, unsigned int flag);
void vcpu_pause_flag_clear(struct vcpu *v, unsigned int flag);
static inline void vcpu_pause(struct vcpu *v) { vcpu_pause_flag_set(v, VPF_paused); }
static inline void vcpu_unpause(struct vcpu *v) { vcpu_pause_flag_clear(v, VPF_paused); }
void sched_set_params(struct vcpu *v, uint32_t weight, uint32_t cap);

/* SCHEDOP_poll: does port wake v? */
bool sched_poll_matches(const struct vcpu *v, unsigned int port);

bool sched_should_preempt(void);        /* the running vCPU's turn is over */

/* On the way to a guest: the vCPU to run next, halting while none can run. */
struct vcpu *sched_pick(void);

/*
 * The question of every return to a guest: may this CPU's vCPU v (current,
 * the one picked) go on? Two reads answer it. Its CPU's need_resched flag
 * ("pick again on the way back to the guest"; the arch keeps it where the exit
 * path reads it cheaply, arch_need_resched): everything that stops v sets it on
 * v's CPU, under sched_lock, before or with the change: blocking, pausing or
 * taking it down (make_unrunnable), a wake-up that should preempt it
 * (make_runnable), its slice's end (slice_expired), a yield. It starts set,
 * so that each CPU's first exit asks the policy. And its domain's state: a
 * shutdown changes that first and tells the CPUs after (sched_vcpu_stopped,
 * then an IPI that TCG may deliver late), and a vCPU of a stopping domain must
 * not run its guest code again meanwhile: a driver domain would answer its
 * front ends' requests with errors from a device already taken from it.
 */
static inline bool sched_goes_on(const struct vcpu *v)
{
    return !*arch_this_need_resched() && __atomic_load_n(&v->domain->state, __ATOMIC_RELAXED) == DOMAIN_RUNNING;
}

/* Logs each CPU's vCPU and every vCPU's scheduling state (debug key 'r'). */
void sched_dump(void);

/* Time v has spent running (runstate), for domctl and the fairness tests. */
uint64_t vcpu_running_time(const struct vcpu *v);
/* A consistent copy of v's runstate as last changed (its current state's time not added). */
void vcpu_runstate_snapshot(const struct vcpu *v, struct vcpu_runstate_info *r);

#endif
