/*
 * Software timers on system time: the hypervisor's own (scheduler slice,
 * housekeeping tick) and the guests' (one-shot and periodic vCPU timers,
 * poll timeouts). A timer fires on the CPU that last set it; the callback
 * runs from that CPU's timer interrupt with interrupts off, and may run
 * while another CPU sets or stops the timer (it then fires again or not).
 */
#ifndef HV_TIMER_H
#define HV_TIMER_H

#include <hv/time.h>

struct timer {
    s_time_t expires;
    void (*fn)(void *data);
    void *data;
    struct timer *next;         /* in its CPU's active list, sorted by expires */
    bool active;
    bool killed;                /* kill_timer: set_timer leaves it alone until init_timer */
    unsigned int cpu;           /* whose list holds it (set_timer's CPU) */
    volatile unsigned int running_on;   /* 1 + the CPU running its callback now, 0 if none (zeroed: none) */
};

static inline void init_timer(struct timer *t, void (*fn)(void *), void *data)
{
    t->fn = fn;
    t->data = data;
    t->active = false;
    t->killed = false;
    t->next = NULL;
    t->running_on = 0;
}

/*
 * (Re)arms t for system time `when`, any s_time_t: one already past (a
 * negative one too) fires at the next interrupt, one far away only delays
 * itself; the list stays ordered by signed time, so no timer can hold back
 * an earlier one.
 */
void set_timer(struct timer *t, s_time_t when);
/*
 * From t's own callback: arms t one period after the expiry that just fired,
 * or, if the machine fell so far behind that this is already past, one period
 * from now. The missed periods are dropped, as Xen's periodic vCPU timer does:
 * catching them up back to back can take longer than they last, and the CPU
 * would then run nothing but the timer.
 */
void set_timer_periodic(struct timer *t, s_time_t period);
/* Takes t off; returns once its callback is not running on another CPU either. Hold no lock its callback takes. */
void stop_timer(struct timer *t);
/*
 * stop_timer for good, as Xen's kill_timer: later set_timer calls do
 * nothing until init_timer. For a stopped vCPU's timers, which a hypercall
 * it is still finishing on another CPU (a poll, set_singleshot_timer) would
 * otherwise arm again after they were stopped, to fire for the vCPU of the
 * domain that next takes its slot, or to be zeroed while on a CPU's list.
 */
void kill_timer(struct timer *t);

/* From the timer interrupt: runs what has expired and reprograms the hardware. */
void timer_interrupt_run(void);

/*
 * Architecture: the one-shot timer interrupt fires at (or soon after) `when`,
 * any s_time_t (a past one: at once); never later than `when` if that is
 * within the hardware's range, else early, and the caller reprograms.
 */
void arch_timer_program(s_time_t when);

#endif
