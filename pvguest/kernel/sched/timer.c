/*
 * Software timers: a list per CPU sorted by deadline, the earliest one
 * programmed into that CPU's one-shot timer. A timer fires on the CPU that
 * armed it, so timers one CPU arms fire in deadline order. Handlers run in
 * the timer interrupt, interrupts off, without the list's lock (so they may
 * take sched_lock, and schedule() may arm timers). A timer never fires
 * before its deadline (an early interrupt just reprograms).
 */
#include <sched.h>

uint64_t timer_interrupts;

void timer_init(struct timer *t, void (*fn)(struct timer *), void *data)
{
    list_init(&t->node);
    t->fn = fn;
    t->data = data;
    t->armed = false;
    t->base = NULL;
    t->running = 0;
}

/* With c's timer_lock held, on c. An emptied list leaves a stale deadline programmed: harmless. */
static void program(struct cpu *c)
{
    if (list_empty(&c->timers))
        return;
    uint64_t next = list_first_entry(&c->timers, struct timer, node)->deadline;
    if (next != c->programmed) {
        c->programmed = next;
        pv_ops.time->set_oneshot(next);
    }
}

/* Takes t off the list it is on (if any); returns whether it was there. Interrupts off. */
static bool detach(struct timer *t)
{
    struct cpu *b = READ_ONCE(t->base);
    if (!b)
        return false;
    spin_lock(&b->timer_lock);
    bool was = t->armed && t->base == b;
    if (was) {
        list_del(&t->node);
        t->armed = false;
    }
    spin_unlock(&b->timer_lock);
    return was;
}

void timer_arm(struct timer *t, uint64_t deadline)
{
    unsigned long f = irq_save();
    struct cpu *c = this_cpu();
    if (t->armed)
        detach(t);
    spin_lock(&c->timer_lock);
    t->deadline = deadline;
    struct list_head *pos = &c->timers;
    list_for_each(p, &c->timers) {
        if (list_entry(p, struct timer, node)->deadline > deadline) {
            pos = p;
            break;
        }
    }
    list_add_before(&t->node, pos);
    t->armed = true;
    t->base = c;
    program(c);
    spin_unlock(&c->timer_lock);
    irq_restore(f);
}

bool timer_cancel(struct timer *t)
{
    unsigned long f = irq_save();
    bool was = detach(t);
    struct cpu *b = READ_ONCE(t->base);
    irq_restore(f);
    if (b && b != this_cpu())
        while (__atomic_load_n(&t->running, __ATOMIC_ACQUIRE))
            cpu_relax();
    return was;
}

static void timer_interrupt(void *arg)
{
    (void)arg;
    struct cpu *c = this_cpu();
    __atomic_add_fetch(&timer_interrupts, 1, __ATOMIC_RELAXED);
    c->timer_irqs++;
    spin_lock(&c->timer_lock);
    c->programmed = 0;
    uint64_t now = clock_ns();
    while (!list_empty(&c->timers)) {
        struct timer *t = list_first_entry(&c->timers, struct timer, node);
        if (t->deadline > now)
            break;
        list_del(&t->node);
        t->armed = false;
        __atomic_add_fetch(&t->running, 1, __ATOMIC_RELAXED);
        spin_unlock(&c->timer_lock);
        t->fn(t);
        __atomic_sub_fetch(&t->running, 1, __ATOMIC_RELEASE);
        spin_lock(&c->timer_lock);
        now = clock_ns();
    }
    program(c);
    spin_unlock(&c->timer_lock);
}

void timer_cpu_init(void)
{
    int rc = pv_ops.irq->bind_virq(PV_VIRQ_TIMER, timer_interrupt, NULL);
    if (rc < 0)
        panic("timer: cannot bind the timer interrupt of CPU %u: %d", smp_processor_id(), rc);
}

void timer_subsys_init(void)
{
    pv_ops.time->init();
    timer_cpu_init();
}
