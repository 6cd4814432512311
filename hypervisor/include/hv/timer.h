/*
 * Software timers on system time: the hypervisor's own (scheduler slice,
 * housekeeping tick) and the guests' (one-shot and periodic vCPU timers,
 * poll timeouts). One CPU; callers hold interrupts off while they touch them.
 * The callback runs from the timer interrupt with interrupts off.
 */
#ifndef HV_TIMER_H
#define HV_TIMER_H

#include <hv/time.h>

struct timer {
    s_time_t expires;
    void (*fn)(void *data);
    void *data;
    struct timer *next;         /* in the active list, sorted by expires */
    bool active;
};

static inline void init_timer(struct timer *t, void (*fn)(void *), void *data)
{
    t->fn = fn;
    t->data = data;
    t->active = false;
    t->next = NULL;
}

/*
 * (Re)arms t for system time `when`, any s_time_t: one already past (a
 * negative one too) fires at the next interrupt, one far away only delays
 * itself; the list stays ordered by signed time, so no timer can hold back
 * an earlier one.
 */
void set_timer(struct timer *t, s_time_t when);
void stop_timer(struct timer *t);

/* From the timer interrupt: runs what has expired and reprograms the hardware. */
void timer_interrupt_run(void);

/*
 * Architecture: the one-shot timer interrupt fires at (or soon after) `when`,
 * any s_time_t (a past one: at once); never later than `when` if that is
 * within the hardware's range, else early, and the caller reprograms.
 */
void arch_timer_program(s_time_t when);

#endif
