/* Counting semaphores over a wait queue. */
#include <sched.h>

void sem_init(struct semaphore *s, int count)
{
    s->count = count;
    wq_init(&s->wq);
}

void sem_down(struct semaphore *s)
{
    unsigned long f = irq_save();
    while (s->count <= 0)
        wq_wait(&s->wq);
    s->count--;
    irq_restore(f);
}

int sem_down_timeout(struct semaphore *s, uint64_t timeout_ns)
{
    uint64_t deadline = clock_ns() + timeout_ns;
    unsigned long f = irq_save();
    while (s->count <= 0) {
        if (!wq_wait_until(&s->wq, deadline) && s->count <= 0) {
            irq_restore(f);
            return -ETIMEDOUT;
        }
    }
    s->count--;
    irq_restore(f);
    return 0;
}

void sem_up(struct semaphore *s)
{
    unsigned long f = irq_save();
    s->count++;
    wake_up_one(&s->wq);
    irq_restore(f);
}
