/* Software timers: a sorted list, the earliest one programmed into the one-shot hardware timer. */
#include <hv/timer.h>
#include <hv/arch.h>

static struct timer *timers;

static void reprogram(void)
{
    /* Without timers the hardware still wakes us now and then (housekeeping keeps one anyway). */
    arch_timer_program(timers ? timers->expires : NOW() + SECONDS(1));
}

static void unlink(struct timer *t)
{
    for (struct timer **p = &timers; *p; p = &(*p)->next) {
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
    uint64_t flags = local_irq_save();
    if (t->active)
        unlink(t);
    t->expires = when;
    struct timer **p = &timers;
    while (*p && (*p)->expires <= when)
        p = &(*p)->next;
    t->next = *p;
    *p = t;
    t->active = true;
    if (timers == t)
        reprogram();
    local_irq_restore(flags);
}

void stop_timer(struct timer *t)
{
    uint64_t flags = local_irq_save();
    if (t->active)
        unlink(t);
    local_irq_restore(flags);
}

void timer_interrupt_run(void)
{
    s_time_t now = NOW();
    while (timers && timers->expires <= now) {
        struct timer *t = timers;
        unlink(t);
        t->fn(t->data);         /* may re-arm itself or others */
        now = NOW();
    }
    reprogram();
}
