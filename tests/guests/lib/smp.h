/*
 * Test-guest SMP: secondary vCPUs started with VCPUOP_initialise + VCPUOP_up,
 * each on its own stack, running one job at a time; which vCPU we are; a spin
 * lock; and bounded waits that yield instead of spinning, so that two vCPUs of
 * a guest on one physical CPU still make progress.
 *
 * A secondary runs its job, marks it finished, and takes itself down
 * (VCPUOP_down). smp_run() brings it up again for the next job: the context
 * it was initialised with is kept across down and up, so it goes on from the
 * VCPUOP_down it made.
 */
#ifndef GUEST_SMP_H
#define GUEST_SMP_H

#include <stdbool.h>
#include <stdint.h>
#include <public/xen.h>

#define SMP_MAX_VCPUS  4
#define SMP_STACK_SIZE 16384

/* Rounds (each a check and a SCHEDOP_yield) a loop on a vCPU gives the other
 * side before it gives up (job_take_events; bounded by a cancel flag too). */
#define SMP_WAIT_ROUNDS 5000000ul
/* How long a wait for another vCPU may take, in guest system time, before
 * the case fails. A clock, not a count of yields: on a loaded host QEMU may
 * starve one CPU's thread for seconds while the other yields quickly (yields
 * cost less on ours than on Xen). Jobs that run long check progress instead
 * (churn_join). */
#define SMP_WAIT_NS (30ull * 1000000000ull)

typedef void (*smp_job_fn)(void *arg);

/* The calling vCPU's id, from the stack it runs on (the boot stack is vCPU 0's). */
unsigned int smp_this_vcpu(void);

/* A context that starts vcpu at its job loop on its own stack, in kernel mode, on
 * the current page tables, with our event callback. Tests spoil copies of it. */
void smp_good_context(struct vcpu_guest_context *c, unsigned int vcpu);

int64_t vcpu_op(unsigned int cmd, unsigned int vcpu, void *arg);

/* VCPUOP_initialise with c (which must start the job loop, as smp_good_context's
 * does); smp_run then only brings vcpu up. 0 or the hypercall's error. */
int64_t smp_initialise(unsigned int vcpu, const struct vcpu_guest_context *c);
/* How many vCPUs the domain has (VCPUOP_is_up answers for each; -ENOENT past the last). */
unsigned int smp_nr_vcpus(void);

/*
 * Runs fn(arg) on vcpu: the first time with VCPUOP_initialise (smp_good_context)
 * and VCPUOP_up, later by waiting until it is down again and bringing it up.
 * 0, or the hypercall's error (the wait for it to go down failing is -ETIMEDOUT).
 */
int64_t smp_run(unsigned int vcpu, smp_job_fn fn, void *arg);
/* Waits until vcpu finished every job smp_run gave it; false if it did not in time. */
bool smp_join(unsigned int vcpu);
/* Jobs vcpu has finished. */
unsigned int smp_jobs_done(unsigned int vcpu);

/* Waits, yielding between looks, until done(arg); false after SMP_WAIT_NS. */
bool smp_wait_until(bool (*done)(const void *arg), const void *arg);
/* Waits until vcpu is down (VCPUOP_is_up gives 0). */
bool smp_wait_down(unsigned int vcpu);
/* Waits, yielding, until *p == want. */
bool smp_wait_eq(const volatile uint32_t *p, uint32_t want);
/* Waits, yielding, until *p >= want. */
bool smp_wait_ge(const volatile uint32_t *p, uint32_t want);

typedef struct {
    volatile uint32_t held;
} spinlock_t;

void spin_lock(spinlock_t *l);
static inline void spin_unlock(spinlock_t *l) { __atomic_store_n(&l->held, 0, __ATOMIC_RELEASE); }

static inline uint32_t atomic_inc(volatile uint32_t *p) { return __atomic_add_fetch(p, 1, __ATOMIC_SEQ_CST); }
static inline uint32_t atomic_read(const volatile uint32_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static inline void atomic_set(volatile uint32_t *p, uint32_t v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }

#endif
