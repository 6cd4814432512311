/* Self-tests of threads, preemption, timers, sleeping, semaphores, wait queues, TLS bases and IPIs. */
#include <mm.h>
#include <sched.h>
#include "selftest.h"

static volatile uint64_t shared_count;
static spinlock_t count_lock = SPINLOCK_INIT;     /* interrupts off is no lock with other CPUs */

static void count_thread(void *arg)
{
    unsigned int n = (unsigned int)(uintptr_t)arg;
    for (unsigned int i = 0; i < n; i++) {
        unsigned long f = spin_lock_irqsave(&count_lock);
        shared_count++;
        spin_unlock_irqrestore(&count_lock, f);
        if (i % 100 == 0)
            thread_yield();
    }
}

TEST(test_threads)
{
    struct thread *t[8];
    uint64_t held = test_memory_in_use();
    shared_count = 0;
    for (int i = 0; i < 8; i++) {
        t[i] = thread_create("counter", count_thread, (void *)(uintptr_t)1000);
        EXPECT(t[i], "thread_create failed");
    }
    for (int i = 0; i < 8; i++)
        thread_join(t[i]);
    EXPECT(shared_count == 8000, "count %llu, want 8000", (unsigned long long)shared_count);
    EXPECT(test_memory_in_use() == held, "%lld pages not given back", (long long)(test_memory_in_use() - held));
    return NULL;
}

/*
 * Two threads that never yield, both on this CPU: only the timer can switch
 * between them. They spin until each has run in three separate stretches (a
 * hypervisor that gives us little CPU only makes that take longer), or two
 * seconds pass.
 */
#define STRETCHES 3
static volatile int last_runner;
static volatile uint64_t spin_until;
static volatile unsigned int stretches[2];

static void spin_thread(void *arg)
{
    int me = (int)(uintptr_t)arg;
    while ((stretches[0] < STRETCHES || stretches[1] < STRETCHES) && clock_ns() < spin_until) {
        if (last_runner != me) {
            last_runner = me;
            stretches[me]++;
        }
    }
}

TEST(test_preemption)
{
    last_runner = -1;
    stretches[0] = stretches[1] = 0;
    uint64_t before = sched_switches;
    spin_until = clock_ns() + 2 * NSEC_PER_SEC;
    int here = (int)smp_processor_id();     /* the test thread is pinned */
    struct thread *a = thread_create_on("spin0", spin_thread, (void *)0, here);
    struct thread *b = thread_create_on("spin1", spin_thread, (void *)1, here);
    EXPECT(a && b, "thread_create failed");
    thread_join(a);
    thread_join(b);
    EXPECT(stretches[0] >= STRETCHES && stretches[1] >= STRETCHES,
           "runs of each spinner in 2 s: %u and %u (want %u or more each)", stretches[0], stretches[1], STRETCHES);
    EXPECT(sched_switches - before >= 2 * STRETCHES, "only %llu switches", (unsigned long long)(sched_switches - before));
    return NULL;
}

#define NR_TIMERS 16

struct test_timer {
    struct timer t;
    uint64_t fired_at;
    unsigned int order;
};
static struct test_timer ttimers[NR_TIMERS];
static unsigned int fired;
static struct semaphore timers_done;

static void test_timer_fn(struct timer *t)
{
    struct test_timer *tt = container_of(t, struct test_timer, t);
    tt->fired_at = clock_ns();
    tt->order = fired++;
    sem_up(&timers_done);
}

TEST(test_timers)
{
    uint64_t seed = 0x71e7;
    fired = 0;
    sem_init(&timers_done, 0);
    /*
     * Arm, re-arm and cancel with interrupts off: a vCPU descheduled part-way
     * through (a loaded host) would otherwise see early timers fire before
     * later ones, due sooner, were even armed, and a timer re-armed or
     * cancelled after it had already fired.
     */
    unsigned long flags = irq_save();
    uint64_t now = clock_ns();
    for (unsigned int i = 0; i < NR_TIMERS; i++) {
        timer_init(&ttimers[i].t, test_timer_fn, NULL);
        ttimers[i].fired_at = 0;
        timer_arm(&ttimers[i].t, now + (2 + test_rand(&seed) % 30) * NSEC_PER_MSEC + i);
    }
    /* Re-arming moves a timer; cancelling stops it. */
    timer_arm(&ttimers[3].t, now + 40 * NSEC_PER_MSEC);
    bool was = timer_cancel(&ttimers[5].t);
    irq_restore(flags);
    for (unsigned int i = 0; i < NR_TIMERS - 1; i++)
        EXPECT(!sem_down_timeout(&timers_done, 500 * NSEC_PER_MSEC), "only %u of %u timers fired", fired,
               NR_TIMERS - 1);
    EXPECT(was, "cancelling a pending timer said it was not pending");
    thread_sleep_until(now + 50 * NSEC_PER_MSEC);      /* past every deadline */
    EXPECT(!ttimers[5].fired_at, "a cancelled timer fired");
    for (unsigned int i = 0; i < NR_TIMERS; i++) {
        if (i == 5)
            continue;
        struct test_timer *a = &ttimers[i];
        EXPECT(a->fired_at >= a->t.deadline, "timer %u fired %llu ns early", i,
               (unsigned long long)(a->t.deadline - a->fired_at));
        for (unsigned int j = 0; j < NR_TIMERS; j++)
            if (j != 5 && ttimers[j].t.deadline < a->t.deadline)
                EXPECT(ttimers[j].order < a->order, "timer %u fired before timer %u, which was due earlier", i, j);
    }
    return NULL;
}

/*
 * Sleeps are never early, on every attempt. Lateness is wall-clock time, and
 * under TCG the host may take the whole machine away (other QEMUs share its
 * cores): a late attempt is run again, up to SLEEP_ATTEMPTS times. A timer
 * that is really late (lost, or rounded to a tick) is late on every attempt;
 * the host's stalls are not.
 */
#define SLEEP_ATTEMPTS  3
#define SLEEP_LATE_MAX  (250 * NSEC_PER_MSEC)

TEST(test_sleep)
{
    static const unsigned int ms[] = { 1, 2, 5, 10, 20, 1, 3 };
    uint64_t max_late = 0;
    for (unsigned int attempt = 1; attempt <= SLEEP_ATTEMPTS; attempt++) {
        uint64_t total_late = 0;
        max_late = 0;
        for (unsigned int i = 0; i < ARRAY_SIZE(ms); i++) {
            uint64_t want = ms[i] * NSEC_PER_MSEC, t0 = clock_ns();
            thread_sleep_ns(want);
            uint64_t took = clock_ns() - t0;
            EXPECT(took >= want, "sleep(%u ms) returned after %llu us", ms[i], (unsigned long long)(took / 1000));
            total_late += took - want;
            max_late = MAX(max_late, took - want);
        }
        printk("# sleep: late by %llu us on average, %llu us at most (attempt %u)\n",
               (unsigned long long)(total_late / ARRAY_SIZE(ms) / 1000), (unsigned long long)(max_late / 1000),
               attempt);
        if (max_late < SLEEP_LATE_MAX)
            return NULL;
    }
    return ktap_fail(why, len, "a sleep ended %llu us late on each of %u attempts", (unsigned long long)(max_late / 1000),
                     SLEEP_ATTEMPTS);
}

#define RING 8
#define ITEMS 500
static struct semaphore ring_free, ring_full;
static unsigned int ring[RING], ring_head;
static uint64_t consumed_sum;

static void producer(void *arg)
{
    (void)arg;
    for (unsigned int i = 1; i <= ITEMS; i++) {
        sem_down(&ring_free);
        ring[i % RING] = i;
        sem_up(&ring_full);
    }
}

static void consumer(void *arg)
{
    (void)arg;
    for (unsigned int i = 1; i <= ITEMS; i++) {
        sem_down(&ring_full);
        consumed_sum += ring[i % RING];
        ring_head = i;
        sem_up(&ring_free);
    }
}

TEST(test_semaphore)
{
    sem_init(&ring_free, RING);
    sem_init(&ring_full, 0);
    consumed_sum = 0;
    struct thread *c = thread_create("consumer", consumer, NULL);
    struct thread *p = thread_create("producer", producer, NULL);
    EXPECT(c && p, "thread_create failed");
    thread_join(p);
    thread_join(c);
    EXPECT(consumed_sum == (uint64_t)ITEMS * (ITEMS + 1) / 2 && ring_head == ITEMS,
           "consumed sum %llu, want %llu", (unsigned long long)consumed_sum,
           (unsigned long long)ITEMS * (ITEMS + 1) / 2);
    EXPECT(ring_free.count == RING && ring_full.count == 0, "counts %d/%d at the end", ring_free.count,
           ring_full.count);
    return NULL;
}

static struct semaphore late_sem;
static void up_later(struct timer *t) { (void)t; sem_up(&late_sem); }

TEST(test_semaphore_timeout)
{
    sem_init(&late_sem, 0);
    uint64_t t0 = clock_ns();
    int rc = sem_down_timeout(&late_sem, 5 * NSEC_PER_MSEC);
    uint64_t took = clock_ns() - t0;
    EXPECT(rc == -ETIMEDOUT && took >= 5 * NSEC_PER_MSEC, "down on 0 with a 5 ms timeout: %d after %llu us", rc,
           (unsigned long long)(took / 1000));
    /* An up from a timer handler (interrupt context) ends a wait early. */
    struct timer t;
    timer_init(&t, up_later, NULL);
    t0 = clock_ns();
    timer_arm(&t, t0 + 3 * NSEC_PER_MSEC);
    rc = sem_down_timeout(&late_sem, 1000 * NSEC_PER_MSEC);
    took = clock_ns() - t0;
    timer_cancel(&t);
    EXPECT(rc == 0 && took >= 3 * NSEC_PER_MSEC && took < 900 * NSEC_PER_MSEC,
           "down woken by a timer's up: %d after %llu us", rc, (unsigned long long)(took / 1000));
    return NULL;
}

static struct waitqueue gate_wq = WAITQUEUE_INIT(gate_wq);
static volatile bool gate_open;
static volatile unsigned int passed;

static void gate_thread(void *arg)
{
    (void)arg;
    wait_event(&gate_wq, gate_open);
    __atomic_add_fetch(&passed, 1, __ATOMIC_SEQ_CST);
}

TEST(test_waitqueue)
{
    struct thread *t[4];
    gate_open = false;
    passed = 0;
    for (int i = 0; i < 4; i++) {
        t[i] = thread_create("gate", gate_thread, NULL);
        EXPECT(t[i], "thread_create failed");
    }
    thread_sleep_ns(2 * NSEC_PER_MSEC);     /* all four are waiting now */
    EXPECT(passed == 0, "%u threads passed a closed gate", passed);
    wake_up_all(&gate_wq);                  /* a wakeup with the condition false: they wait again */
    thread_sleep_ns(NSEC_PER_MSEC);
    EXPECT(passed == 0, "%u threads passed after a spurious wakeup", passed);
    gate_open = true;
    wake_up_all(&gate_wq);
    for (int i = 0; i < 4; i++)
        thread_join(t[i]);
    EXPECT(passed == 4, "%u of 4 threads passed", passed);
    return NULL;
}

struct tls_block {
    uint64_t self_tag;
    uint64_t pad[7];
};
static struct tls_block tls[2][2];
static volatile unsigned int tls_bad;

static uint64_t read_fs0(void)
{
    uint64_t v;
    __asm__ volatile("movq %%fs:0, %0" : "=r"(v));
    return v;
}
static uint64_t read_gs0(void)
{
    uint64_t v;
    __asm__ volatile("movq %%gs:0, %0" : "=r"(v));
    return v;
}

static void tls_thread(void *arg)
{
    unsigned int me = (unsigned int)(uintptr_t)arg;
    tls[me][0].self_tag = 0xf5000000ull + me;
    tls[me][1].self_tag = 0x65000000ull + me;
    thread_set_fs_base((uint64_t)&tls[me][0]);
    thread_set_gs_base((uint64_t)&tls[me][1]);
    for (int i = 0; i < 50; i++) {
        if (read_fs0() != 0xf5000000ull + me || read_gs0() != 0x65000000ull + me)
            tls_bad++;
        thread_yield();
    }
}

TEST(test_fs_gs_base)
{
    tls_bad = 0;
    struct thread *a = thread_create("tls0", tls_thread, (void *)0);
    struct thread *b = thread_create("tls1", tls_thread, (void *)1);
    EXPECT(a && b, "thread_create failed");
    thread_join(a);
    thread_join(b);
    EXPECT(!tls_bad, "%u reads of %%fs:0 or %%gs:0 saw another thread's block", tls_bad);
    return NULL;
}

static volatile unsigned int notified;
static void notify_handler(void *arg) { (void)arg; notified++; }

static bool wait_notified(unsigned int want)
{
    uint64_t deadline = clock_ns() + NSEC_PER_SEC;
    while (notified < want && clock_ns() < deadline)
        ;
    return notified >= want;
}

TEST(test_irq_notify)
{
    static int channel = -1;
    if (channel < 0)
        channel = pv_ops.irq->bind_ipi(notify_handler, NULL);
    EXPECT(channel >= 0, "bind_ipi: %d", channel);
    notified = 0;
    for (unsigned int i = 1; i <= 10; i++) {
        pv_ops.irq->notify(channel);
        EXPECT(wait_notified(i), "notification %u not delivered (%u handled)", i, notified);
    }
    /* With interrupts off nothing arrives; turning them on delivers what waited. */
    unsigned long f = irq_save();
    pv_ops.irq->notify(channel);
    for (volatile int i = 0; i < 100000; i++)
        ;
    unsigned int while_off = notified;
    irq_restore(f);
    EXPECT(while_off == 10, "a notification was handled with interrupts off");
    EXPECT(wait_notified(11), "the notification raised with interrupts off never arrived");
    return NULL;
}
