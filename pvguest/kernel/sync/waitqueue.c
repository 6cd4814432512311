/* Wait queues: threads blocked until another thread or a handler wakes them. */
#include <sched.h>

void wq_init(struct waitqueue *wq) { list_init(&wq->waiters); }

void wq_wait(struct waitqueue *wq)
{
    BUG_ON(irqs_enabled());
    current->waiting_on = wq;
    list_add_tail(&current->run_node, &wq->waiters);
    thread_block();
}

bool wq_wait_until(struct waitqueue *wq, uint64_t deadline)
{
    BUG_ON(irqs_enabled());
    current->timed_out = false;
    timer_arm(&current->wakeup, deadline);     /* sets timed_out and wakes us off the queue */
    wq_wait(wq);
    timer_cancel(&current->wakeup);
    return !current->timed_out;
}

void wake_up_one(struct waitqueue *wq)
{
    unsigned long f = irq_save();
    if (!list_empty(&wq->waiters))
        thread_wake(list_first_entry(&wq->waiters, struct thread, run_node));
    irq_restore(f);
}

void wake_up_all(struct waitqueue *wq)
{
    unsigned long f = irq_save();
    while (!list_empty(&wq->waiters))
        thread_wake(list_first_entry(&wq->waiters, struct thread, run_node));
    irq_restore(f);
}
