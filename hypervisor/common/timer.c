/*
 * Software timers: a sorted list per CPU, the earliest one programmed into
 * that CPU's one-shot hardware timer. A timer fires on the CPU that last
 * set it (set_timer moves it there), so the hardware timer is only ever
 * programmed by its own CPU. One lock guards every list: a timer moves
 * between lists atomically, and no timer is on two. stop_timer waits for a
 * callback running on another CPU, so a stopped timer cannot re-arm itself.
 * Pure: it reaches the CPU only through hv/spinlock.h's hooks and NOW(), so
 * it runs unchanged under the host unit tests (tests/unit/test_timer.c).
 */
#include <hv/spinlock.h>
#include <hv/timer.h>
#include <asm/config.h>         /* NR_CPUS */

static DEFINE_SPINLOCK(timers_lock);
static struct timer *timers[NR_CPUS];   /* per CPU, sorted by expires */

static void reprogram(unsigned int cpu)
{
    /* Without timers the hardware still wakes us now and then (housekeeping keeps one anyway). */
    arch_timer_program(timers[cpu] ? timers[cpu]->expires : NOW() + SECONDS(1));
}

static void unlink(struct timer *t)
{
    for (struct timer **p = &timers[t->cpu]; *p; p = &(*p)->next) {
        if (*p == t) {
            *p = t->next;
            break;
        }
    }
    t->active = false;
    t->next = NULL;
}

void set_timer(struct timer *t, s_time_t when)
{
    uint64_t flags = arch_irq_save();
    unsigned int cpu = spin_lock_cpu();
    spin_lock(&timers_lock);
    if (t->killed) {
        spin_unlock(&timers_lock);
        arch_irq_restore(flags);
        return;
    }
    if (t->active)
        unlink(t);
    t->expires = when;
    t->cpu = cpu;
    struct timer **p = &timers[cpu];
    while (*p && (*p)->expires <= when)
        p = &(*p)->next;
    t->next = *p;
    *p = t;
    t->active = true;
    if (timers[cpu] == t)
        reprogram(cpu);
    spin_unlock(&timers_lock);
    arch_irq_restore(flags);
}

void set_timer_periodic(struct timer *t, s_time_t period)
{
    s_time_t now = NOW(), next = t->expires + period;
    set_timer(t, next > now ? next : now + period);
}

static void stop(struct timer *t, bool kill)
{
    uint64_t flags = arch_irq_save();
    spin_lock(&timers_lock);
    t->killed |= kill;                  /* first: a callback running elsewhere cannot re-arm it either */
    if (t->active)
        unlink(t);
    /*
     * Its callback may be running on another CPU right now and re-arm it (a
     * periodic timer): wait for it to finish, then take it off again, so a
     * stopped timer stays stopped. (Never on this CPU: a callback stopping
     * its own timer runs here.)
     */
    while (t->running_on && t->running_on != spin_lock_cpu() + 1) {
        spin_unlock(&timers_lock);
        arch_spin_wait();
        spin_lock(&timers_lock);
        if (t->active)
            unlink(t);
    }
    spin_unlock(&timers_lock);
    arch_irq_restore(flags);
}

void stop_timer(struct timer *t) { stop(t, false); }
void kill_timer(struct timer *t) { stop(t, true); }

void timer_interrupt_run(void)
{
    unsigned int cpu = spin_lock_cpu();
    spin_lock(&timers_lock);
    s_time_t now = NOW();
    while (timers[cpu] && timers[cpu]->expires <= now) {
        struct timer *t = timers[cpu];
        unlink(t);
        t->running_on = cpu + 1;
        spin_unlock(&timers_lock);
        t->fn(t->data);         /* may re-arm itself or others */
        spin_lock(&timers_lock);
        t->running_on = 0;
        now = NOW();
    }
    reprogram(cpu);
    spin_unlock(&timers_lock);
}
