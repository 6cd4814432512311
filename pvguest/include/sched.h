/*
 * Threads, the preemptive round-robin scheduler, timers, wait queues and
 * semaphores, on up to MAX_CPUS CPUs. One run queue and every wait queue
 * are guarded by one lock (sched_lock); each CPU has its own timer list,
 * one-shot timer, idle thread and time slice.
 */
#ifndef PVGUEST_SCHED_H
#define PVGUEST_SCHED_H

#include <kernel.h>
#include <list.h>
#include <paravirt.h>
#include <spinlock.h>
#include <asm/layout.h>

#define MAX_CPUS 4

/* ---- timer.c: one-shot software timers, per CPU, on pv_ops.time ---- */
struct cpu;
struct timer {
    struct list_head node;      /* in its CPU's pending list, sorted by deadline */
    uint64_t deadline;          /* ns, clock_ns() time */
    void (*fn)(struct timer *t);/* runs in interrupt context, interrupts off, on the CPU that armed it */
    void *data;
    bool armed;
    struct cpu *base;           /* whose list it is (or was last) on */
    volatile unsigned int running;  /* fn is running (on base's CPU) */
};
void timer_init(struct timer *t, void (*fn)(struct timer *), void *data);
/* (Re)arms t on the calling CPU; never fires before deadline. */
void timer_arm(struct timer *t, uint64_t deadline);
/*
 * Returns whether t was pending, and waits for its handler if that is
 * running on another CPU: not with a lock the handler takes (sched_lock).
 */
bool timer_cancel(struct timer *t);
void timer_subsys_init(void);
/* On each CPU, the boot CPU included: binds its timer interrupt. */
void timer_cpu_init(void);
extern uint64_t timer_interrupts;

/* ---- per-CPU state ---- */
struct thread;
struct cpu {
    unsigned int id;                /* 0 = the boot CPU */
    volatile bool online;
    struct thread *idle;
    struct thread *running;         /* what it runs now (sched_lock) */
    volatile bool need_resched;     /* set by handlers and wakers; irq_exit() acts on it */
    uint64_t loaded_root;           /* the root page table loaded on it */
    spinlock_t timer_lock;          /* its timer list */
    struct list_head timers;
    uint64_t programmed;            /* deadline in its one-shot timer, 0 if none or fired */
    struct timer slice_timer;
    uint64_t ipis;                  /* reschedule IPIs it received */
    uint64_t timer_irqs;            /* its timer interrupts */
};
extern struct cpu cpus[MAX_CPUS];
extern unsigned int nr_cpus_online;     /* CPUs 0 .. nr_cpus_online - 1 run threads */

/* ---- wait queues (sync/waitqueue.c) ---- */
struct waitqueue {
    struct list_head waiters;
};
#define WAITQUEUE_INIT(wq) { LIST_HEAD_INIT((wq).waiters) }
void wq_init(struct waitqueue *wq);
/* With sched_lock held: sleeps until woken; returns with it held again. */
void wq_wait(struct waitqueue *wq);
/* With sched_lock held: sleeps until woken (true) or deadline passes (false). */
bool wq_wait_until(struct waitqueue *wq, uint64_t deadline);
void wake_up_one(struct waitqueue *wq);
void wake_up_all(struct waitqueue *wq);
/* With sched_lock held. */
void wake_up_one_locked(struct waitqueue *wq);
void wake_up_all_locked(struct waitqueue *wq);
/* cond is read under sched_lock, so a waker that changes it under the lock (or
 * before a wake_up) cannot be missed. */
#define wait_event(wq, cond)                        \
    do {                                            \
        unsigned long f_ = sched_lock_irqsave();    \
        while (!(cond))                             \
            wq_wait(wq);                            \
        sched_unlock_irqrestore(f_);                \
    } while (0)

/* ---- semaphores (sync/semaphore.c) ---- */
struct semaphore {
    int count;                  /* sched_lock */
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

#define CPU_ANY         (-1)

struct thread {
    uint64_t sp;                /* saved stack pointer while switched out (switch.S) */
    int state;                  /* THREAD_*, sched_lock */
    char name[16];
    struct cpu *cpu;            /* where it runs or last ran */
    int pinned;                 /* the only CPU it may run on, or CPU_ANY */
    unsigned int preempt_cnt;   /* preemption off while nonzero; travels with the thread */
    struct list_head run_node;  /* run queue, or a wait queue while blocked there */
    struct waitqueue *waiting_on;
    struct timer wakeup;        /* sleep and wait timeouts */
    uint64_t wait_deadline;     /* what wakeup ends (0: nothing), sched_lock */
    bool timed_out;
    void *stack;                /* vm region (STACK_SIZE, aligned), NULL for the boot thread */
    uint64_t fs_base, gs_base;
    uint64_t root_pfn;          /* its address space's root page table */
    void (*fn)(void *);
    void *arg;
    struct waitqueue exited;
    uint64_t switches_in;
};

#define SCHED_SLICE_NS     (10 * NSEC_PER_MSEC)

/* The thread whose stack we are on (see STACK_SIZE in asm/layout.h). */
static inline struct thread *get_current(void)
{
    uint64_t sp;
    __asm__("mov %%rsp, %0" : "=r"(sp));
    return *(struct thread **)(sp & ~(STACK_SIZE - 1));
}
#define current (get_current())

/* The calling CPU: stable while interrupts or preemption are off. */
static inline struct cpu *this_cpu(void) { return get_current()->cpu; }
static inline unsigned int smp_processor_id(void) { return this_cpu()->id; }

extern uint64_t sched_switches;

void sched_init(void);
/* NULL (reported) when out of memory. The thread starts with interrupts on. */
struct thread *thread_create(const char *name, void (*fn)(void *), void *arg);
/* The same, but it runs only on CPU cpu (or CPU_ANY). */
struct thread *thread_create_on(const char *name, void (*fn)(void *), void *arg, int cpu);
/* Waits for t to end and frees it. */
void thread_join(struct thread *t);
__noreturn void thread_exit(void);
void thread_yield(void);
void thread_sleep_ns(uint64_t ns);
void thread_sleep_until(uint64_t deadline);
/* t becomes ready (a no-op unless it is blocked); takes sched_lock. */
void thread_wake(struct thread *t);
void thread_wake_locked(struct thread *t);
/* With sched_lock held: blocks current until thread_wake(); returns with it held. */
void thread_block(void);
void thread_set_fs_base(uint64_t base);
void thread_set_gs_base(uint64_t base);
/* Loads root for the current thread (and keeps it across switches). */
void thread_set_root(uint64_t root_pfn);

unsigned long sched_lock_irqsave(void);
void sched_unlock_irqrestore(unsigned long f);

/* Preemption: off while the current thread's count is nonzero (lazy-MMU mode uses it). */
void preempt_disable(void);
void preempt_enable(void);
unsigned int preempt_count(void);

/* Called by the backends at the end of every interrupt (not exceptions), with
 * interrupts off; irqs_were_on tells whether the interrupted code had them on. */
void irq_exit(bool irqs_were_on);

/* ---- smp.c ---- */
/* Brings up the other CPUs (boot option smp=N caps how many run). */
void smp_init(void);
/* A stack for a kernel thread or CPU: STACK_SIZE, aligned, its head naming t. NULL (reported) if out of memory. */
void *stack_alloc(struct thread *t);
void stack_free(void *stack);
/* sched (thread.c): a thread struct for CPU c's idle thread, whose stack the CPU boots on. */
struct thread *sched_idle_thread(struct cpu *c);
__noreturn void sched_cpu_idle(void);
/* sched: once every CPU is up, the reschedule IPI that cross-CPU wakeups raise. */
void sched_smp_ready(void);

#endif /* PVGUEST_SCHED_H */
