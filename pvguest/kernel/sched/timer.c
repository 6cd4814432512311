/*
 * Software timers: a list sorted by deadline, the earliest one programmed
 * into the backend's one-shot timer. Handlers run in the timer interrupt,
 * interrupts off. A timer never fires before its deadline (an early
 * interrupt just reprograms).
 */
#include <sched.h>

static struct list_head pending = LIST_HEAD_INIT(pending);
static uint64_t programmed;             /* deadline in the one-shot timer, 0 if it has fired */
uint64_t timer_interrupts;

void timer_init(struct timer *t, void (*fn)(struct timer *), void *data)
{
    list_init(&t->node);
    t->fn = fn;
    t->data = data;
    t->armed = false;
}

/* With interrupts off. An emptied list leaves a stale deadline programmed: harmless. */
static void program(void)
{
    if (list_empty(&pending))
        return;
    uint64_t next = list_first_entry(&pending, struct timer, node)->deadline;
    if (next != programmed) {
        programmed = next;
        pv_ops.time->set_oneshot(next);
    }
}

void timer_arm(struct timer *t, uint64_t deadline)
{
    unsigned long f = irq_save();
    if (t->armed)
        list_del(&t->node);
    t->deadline = deadline;
    struct list_head *pos = &pending;
    list_for_each(p, &pending) {
        if (list_entry(p, struct timer, node)->deadline > deadline) {
            pos = p;
            break;
        }
    }
    list_add_before(&t->node, pos);
    t->armed = true;
    program();
    irq_restore(f);
}

bool timer_cancel(struct timer *t)
{
    unsigned long f = irq_save();
    bool was = t->armed;
    if (was) {
        list_del(&t->node);
        t->armed = false;
        program();
    }
    irq_restore(f);
    return was;
}

static void timer_interrupt(void *arg)
{
    (void)arg;
    timer_interrupts++;
    programmed = 0;
    uint64_t now = clock_ns();
    while (!list_empty(&pending)) {
        struct timer *t = list_first_entry(&pending, struct timer, node);
        if (t->deadline > now)
            break;
        list_del(&t->node);
        t->armed = false;
        t->fn(t);
        now = clock_ns();
    }
    program();
}

void timer_subsys_init(void)
{
    pv_ops.time->init();
    int rc = pv_ops.irq->bind_virq(PV_VIRQ_TIMER, timer_interrupt, NULL);
    if (rc < 0)
        panic("timer: cannot bind the timer interrupt: %d", rc);
}
