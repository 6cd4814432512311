/* Threads, the preemptive round-robin scheduler, timers, wait queues and semaphores (one CPU). */
#ifndef PVGUEST_SCHED_H
#define PVGUEST_SCHED_H

#include <kernel.h>
#include <list.h>
#include <paravirt.h>

/* ---- timer.c: one-shot software timers on pv_ops.time ---- */
struct timer {
    struct list_head node;      /* in the pending list, sorted by deadline */
    uint64_t deadline;          /* ns, clock_ns() time */
    void (*fn)(struct timer *t);/* runs in interrupt context, interrupts off */
    void *data;
    bool armed;
};
void timer_init(struct timer *t, void (*fn)(struct timer *), void *data);
/* (Re)arms t; never fires before deadline. */
void timer_arm(struct timer *t, uint64_t deadline);
/* Returns whether t was pending. */
bool timer_cancel(struct timer *t);
void timer_subsys_init(void);
extern uint64_t timer_interrupts;

/* ---- wait queues (sync/waitqueue.c) ---- */
struct waitqueue {
    struct list_head waiters;
};
#define WAITQUEUE_INIT(wq) { LIST_HEAD_INIT((wq).waiters) }
void wq_init(struct waitqueue *wq);
/* With interrupts off: sleeps until woken. */
void wq_wait(struct waitqueue *wq);
/* With interrupts off: sleeps until woken (true) or deadline passes (false). */
bool wq_wait_until(struct waitqueue *wq, uint64_t deadline);
void wake_up_one(struct waitqueue *wq);
void wake_up_all(struct waitqueue *wq);
#define wait_event(wq, cond)                        \
    do {                                            \
        unsigned long f_ = irq_save();              \
        while (!(cond))                             \
            wq_wait(wq);                            \
        irq_restore(f_);                            \
    } while (0)

/* ---- semaphores (sync/semaphore.c) ---- */
struct semaphore {
    int count;
    struct waitqueue wq;
};
void sem_init(struct semaphore *s, int count);
void sem_down(struct semaphore *s);
/* 0, or -ETIMEDOUT when the count stayed 0 for timeout_ns. */
int sem_down_timeout(struct semaphore *s, uint64_t timeout_ns);
void sem_up(struct semaphore *s);

/* ---- thread.c ---- */
#define THREAD_RUNNING  0
#define THREAD_READY    1
#define THREAD_BLOCKED  2
#define THREAD_DEAD     3

struct thread {
    uint64_t sp;                /* saved stack pointer while switched out (switch.S) */
    int state;                  /* THREAD_* */
    char name[16];
    struct list_head run_node;  /* run queue, or a wait queue while blocked there */
    struct waitqueue *waiting_on;
    struct timer wakeup;        /* sleep and wait timeouts */
    bool timed_out;
    void *stack;                /* vm region, NULL for the boot thread */
    uint64_t fs_base, gs_base;
    void (*fn)(void *);
    void *arg;
    struct waitqueue exited;
    uint64_t switches_in;
};

#define THREAD_STACK_PAGES 4
#define SCHED_SLICE_NS     (10 * NSEC_PER_MSEC)

extern struct thread *current;
extern uint64_t sched_switches;

void sched_init(void);
/* NULL (reported) when out of memory. The thread starts with interrupts on. */
struct thread *thread_create(const char *name, void (*fn)(void *), void *arg);
/* Waits for t to end and frees it. */
void thread_join(struct thread *t);
__noreturn void thread_exit(void);
void thread_yield(void);
void thread_sleep_ns(uint64_t ns);
void thread_sleep_until(uint64_t deadline);
/* With interrupts off: t becomes ready (a no-op unless it is blocked). */
void thread_wake(struct thread *t);
/* With interrupts off: blocks current until thread_wake(). */
void thread_block(void);
void thread_set_fs_base(uint64_t base);
void thread_set_gs_base(uint64_t base);

/* Preemption: off while the count is nonzero (lazy-MMU mode uses it). */
void preempt_disable(void);
void preempt_enable(void);
unsigned int preempt_count(void);

/* Called by the backends at the end of every interrupt (not exceptions), with
 * interrupts off; irqs_were_on tells whether the interrupted code had them on. */
void irq_exit(bool irqs_were_on);
/* Sets by the backends' handlers to ask for a reschedule at irq_exit. */
extern volatile bool need_resched;

#endif /* PVGUEST_SCHED_H */
