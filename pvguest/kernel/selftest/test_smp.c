/*
 * SMP self-tests: on every CPU online (one or more), pinned threads make
 * progress at once, a spinlock keeps a shared counter exact, a wakeup
 * reaches a thread waiting on another CPU, and per-CPU state (this_cpu(),
 * timers) is the CPU's own.
 */
#include <sched.h>
#include "selftest.h"

#define SPIN_LIMIT_NS (2 * NSEC_PER_SEC)

static volatile uint64_t progress[MAX_CPUS];
static volatile unsigned int wrong_cpu;

static bool all_progressed(void)
{
    for (unsigned int i = 0; i < nr_cpus_online; i++)
        if (!progress[i])
            return false;
    return true;
}

/* Spins (never yields) until every pinned thread has counted, so on N CPUs they ran at once. */
static void progress_thread(void *arg)
{
    unsigned int me = (unsigned int)(uintptr_t)arg;
    uint64_t until = clock_ns() + SPIN_LIMIT_NS;
    do {
        if (smp_processor_id() != me)
            wrong_cpu++;
        progress[me]++;
    } while (!all_progressed() && clock_ns() < until);
}

TEST(test_smp_progress)
{
    struct thread *t[MAX_CPUS];
    unsigned int n = nr_cpus_online;
    wrong_cpu = 0;
    for (unsigned int i = 0; i < n; i++)
        progress[i] = 0;
    for (unsigned int i = 0; i < n; i++) {
        t[i] = thread_create_on("progress", progress_thread, (void *)(uintptr_t)i, (int)i);
        EXPECT(t[i], "thread_create_on failed");
    }
    for (unsigned int i = 0; i < n; i++)
        thread_join(t[i]);
    /* One printk for the line: on dom0 the console back end prints domUs' lines between two printks. */
    char line[256];
    size_t at = (size_t)snprintf(line, sizeof(line), "# smp: %u CPU(s); a pinned thread counted on each:", n);
    for (unsigned int i = 0; i < n && at < sizeof(line); i++)
        at += (size_t)snprintf(line + at, sizeof(line) - at, " cpu%u=%llu", i, (unsigned long long)progress[i]);
    printk("%s\n", line);
    EXPECT(all_progressed(), "a thread pinned to some CPU never ran within %llu s",
           (unsigned long long)(SPIN_LIMIT_NS / NSEC_PER_SEC));
    EXPECT(!wrong_cpu, "%u steps ran on a CPU the thread was not pinned to", wrong_cpu);
    return NULL;
}

#define LOCKED_INCREMENTS 20000u
static spinlock_t counter_lock = SPINLOCK_INIT;
static uint64_t locked_counter;         /* counter_lock */
static volatile unsigned int lock_threads_started;

/* Read, pause, write back: without the lock two CPUs would lose increments. */
static void lock_thread(void *arg)
{
    (void)arg;
    __atomic_add_fetch(&lock_threads_started, 1, __ATOMIC_SEQ_CST);
    while (lock_threads_started < nr_cpus_online)      /* start together, so the CPUs contend */
        cpu_relax();
    for (unsigned int i = 0; i < LOCKED_INCREMENTS; i++) {
        unsigned long f = spin_lock_irqsave(&counter_lock);
        uint64_t v = READ_ONCE(locked_counter);
        __asm__ volatile("pause");
        WRITE_ONCE(locked_counter, v + 1);
        spin_unlock_irqrestore(&counter_lock, f);
    }
}

TEST(test_smp_spinlock_counter)
{
    struct thread *t[MAX_CPUS];
    unsigned int n = nr_cpus_online;
    locked_counter = 0;
    lock_threads_started = 0;
    for (unsigned int i = 0; i < n; i++) {
        t[i] = thread_create_on("locker", lock_thread, NULL, (int)i);
        EXPECT(t[i], "thread_create_on failed");
    }
    for (unsigned int i = 0; i < n; i++)
        thread_join(t[i]);
    EXPECT(locked_counter == (uint64_t)n * LOCKED_INCREMENTS, "counter %llu after %u x %u locked increments",
           (unsigned long long)locked_counter, n, LOCKED_INCREMENTS);
    return NULL;
}

static struct semaphore wake_sem;
static volatile int waiter_rc = 1;
static volatile unsigned int waiter_cpu;
static volatile uint64_t woken_at;

static void waiter_thread(void *arg)
{
    (void)arg;
    waiter_rc = sem_down_timeout(&wake_sem, SPIN_LIMIT_NS);
    woken_at = clock_ns();
    waiter_cpu = smp_processor_id();
}

/* The waiter sleeps on the last CPU; this thread (CPU 0) wakes it: on SMP through a reschedule IPI. */
TEST(test_smp_cross_cpu_wakeup)
{
    unsigned int target = nr_cpus_online - 1;
    sem_init(&wake_sem, 0);
    waiter_rc = 1;
    woken_at = 0;
    struct thread *w = thread_create_on("waiter", waiter_thread, NULL, (int)target);
    EXPECT(w, "thread_create_on failed");
    /*
     * Until it is blocked on the semaphore: with more vCPUs than CPUs its vCPU
     * may not run for a while, and a wakeup before the block needs no IPI.
     */
    for (unsigned int i = 0; i < 2000 && !(__atomic_load_n(&w->state, __ATOMIC_ACQUIRE) == THREAD_BLOCKED &&
                                           w->waiting_on); i++)
        thread_sleep_ns(NSEC_PER_MSEC);
    EXPECT(w->state == THREAD_BLOCKED, "the waiter on CPU %u never blocked", target);
    uint64_t ipis = cpus[target].ipis, t0 = clock_ns();
    sem_up(&wake_sem);
    thread_join(w);
    uint64_t got = cpus[target].ipis - ipis;
    printk("# smp: a wakeup from CPU %u reached CPU %u after %llu us (%llu reschedule IPIs there)\n",
           smp_processor_id(), waiter_cpu, (unsigned long long)((woken_at - t0) / 1000), (unsigned long long)got);
    EXPECT(waiter_rc == 0, "the waiter on CPU %u was not woken: %d", target, waiter_rc);
    EXPECT(waiter_cpu == target, "the waiter ran on CPU %u, not %u", waiter_cpu, target);
    EXPECT(target == smp_processor_id() || got > 0, "CPU %u was woken without a reschedule IPI", target);
    return NULL;
}

struct cpu_probe {
    struct timer t;
    unsigned int armed_on, fired_on;
    unsigned int id_seen;
    bool running_is_me;
    int rc;                             /* of the wait for the timer */
    struct semaphore done;
};
static struct cpu_probe probes[MAX_CPUS];

static void probe_timer(struct timer *t)
{
    struct cpu_probe *p = container_of(t, struct cpu_probe, t);
    p->fired_on = smp_processor_id();
    sem_up(&p->done);
}

static void probe_thread(void *arg)
{
    struct cpu_probe *p = arg;
    unsigned long f = irq_save();
    p->id_seen = this_cpu()->id;
    p->running_is_me = this_cpu()->running == current;
    p->armed_on = smp_processor_id();
    timer_arm(&p->t, clock_ns() + NSEC_PER_MSEC);
    irq_restore(f);
    p->rc = sem_down_timeout(&p->done, SPIN_LIMIT_NS);
    timer_cancel(&p->t);
}

TEST(test_smp_per_cpu_state)
{
    struct thread *t[MAX_CPUS];
    unsigned int n = nr_cpus_online;
    for (unsigned int i = 0; i < n; i++) {
        probes[i] = (struct cpu_probe){ .fired_on = ~0u, .id_seen = ~0u };
        timer_init(&probes[i].t, probe_timer, NULL);
        sem_init(&probes[i].done, 0);
        t[i] = thread_create_on("probe", probe_thread, &probes[i], (int)i);
        EXPECT(t[i], "thread_create_on failed");
    }
    for (unsigned int i = 0; i < n; i++)
        thread_join(t[i]);
    for (unsigned int i = 0; i < n; i++) {
        struct cpu_probe *p = &probes[i];
        EXPECT(p->id_seen == i && p->armed_on == i, "the thread pinned to CPU %u saw CPU %u", i, p->id_seen);
        EXPECT(p->running_is_me, "CPU %u's running thread was not the thread running there", i);
        EXPECT(!p->rc && p->fired_on == i, "a timer armed on CPU %u fired on CPU %d (wait: %d; %llu timer interrupts there)",
               i, (int)p->fired_on, p->rc, (unsigned long long)cpus[i].timer_irqs);
        EXPECT(cpus[i].online && cpus[i].idle && (n == 1 || cpus[i].idle != cpus[(i + 1) % n].idle),
               "CPU %u has no idle thread of its own", i);
    }
    return NULL;
}
