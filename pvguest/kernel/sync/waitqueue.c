/* Wait queues: threads blocked until another thread or a handler wakes them; sched_lock guards them. */
#include <sched.h>

void wq_init(struct waitqueue *wq) { list_init(&wq->waiters); }

void wq_wait(struct waitqueue *wq)
{
    BUG_ON(irqs_enabled());
    current->waiting_on = wq;
    list_add_tail(&current->run_node, &wq->waiters);
    thread_block();
}

/* The wakeup timer is left armed: it ignores a wait that has ended (thread.c). */
bool wq_wait_until(struct waitqueue *wq, uint64_t deadline)
{
    struct thread *me = current;
    BUG_ON(irqs_enabled());
    me->timed_out = false;
    me->wait_deadline = deadline;
    timer_arm(&me->wakeup, deadline);          /* sets timed_out and wakes us off the queue */
    wq_wait(wq);
    me->wait_deadline = 0;
    return !me->timed_out;
}

void wake_up_one_locked(struct waitqueue *wq)
{
    if (!list_empty(&wq->waiters))
        thread_wake_locked(list_first_entry(&wq->waiters, struct thread, run_node));
}

void wake_up_all_locked(struct waitqueue *wq)
{
    while (!list_empty(&wq->waiters))
        thread_wake_locked(list_first_entry(&wq->waiters, struct thread, run_node));
}

void wake_up_one(struct waitqueue *wq)
{
    unsigned long f = sched_lock_irqsave();
    wake_up_one_locked(wq);
    sched_unlock_irqrestore(f);
}

void wake_up_all(struct waitqueue *wq)
{
    unsigned long f = sched_lock_irqsave();
    wake_up_all_locked(wq);
    sched_unlock_irqrestore(f);
}
