/* Counting semaphores over a wait queue; the count is guarded by sched_lock, like the queue. */
#include <sched.h>

void sem_init(struct semaphore *s, int count)
{
    s->count = count;
    wq_init(&s->wq);
}

void sem_down(struct semaphore *s)
{
    unsigned long f = sched_lock_irqsave();
    while (s->count <= 0)
        wq_wait(&s->wq);
    s->count--;
    sched_unlock_irqrestore(f);
}

int sem_down_timeout(struct semaphore *s, uint64_t timeout_ns)
{
    uint64_t deadline = clock_ns() + timeout_ns;
    unsigned long f = sched_lock_irqsave();
    while (s->count <= 0) {
        if (!wq_wait_until(&s->wq, deadline) && s->count <= 0) {
            sched_unlock_irqrestore(f);
            return -ETIMEDOUT;
        }
    }
    s->count--;
    sched_unlock_irqrestore(f);
    return 0;
}

void sem_up(struct semaphore *s)
{
    unsigned long f = sched_lock_irqsave();
    s->count++;
    wake_up_one_locked(&s->wq);
    sched_unlock_irqrestore(f);
}
