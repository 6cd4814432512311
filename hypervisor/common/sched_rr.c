/*
 * Round robin (sched=rr): runnable units in FIFO order, each for a fixed
 * 30 ms slice, over nr_cpus CPUs sharing one queue: a CPU that picks puts
 * what it ran at the tail and takes the head. Weights and caps are ignored.
 * Pure logic (host-tested).
 */
#include <hv/sched_policy.h>

#define RR_SLICE    MILLISECS(30)

/*
 * Under the mechanism's scheduler lock:
 *   runq: the waiting units, FIFO through u->next; u is queued exactly when
 *         it is runnable and not running (u->cpu < 0).
 *   running[c]: what CPU c's last pick returned; running[c] == u exactly
 *         when u->cpu == c.
 *   tickled[c]: cpu_to_preempt named c since c last picked.
 */
static unsigned int nr_cpus = 1;
static struct sched_runq runq;
static struct sched_unit *running[SCHED_MAX_CPUS];
static bool tickled[SCHED_MAX_CPUS];

static void rr_init(s_time_t now, unsigned int cpus)
{
    (void)now;
    nr_cpus = MAX(MIN(cpus, SCHED_MAX_CPUS), 1u);
    runq.head = runq.tail = NULL;
    for (unsigned int c = 0; c < SCHED_MAX_CPUS; c++) {
        running[c] = NULL;
        tickled[c] = false;
    }
}

static void rr_add(struct sched_unit *u)
{
    u->runnable = false;
    u->cpu = -1;
    u->home = 0;
    u->credit = 0;
    u->prio = 0;
    u->boosted = false;
    u->parked = false;
    u->parked_until = 0;
    u->period_used = 0;
    u->next = NULL;
}

static void rr_remove(struct sched_unit *u)
{
    if (u->cpu >= 0)
        running[u->cpu] = NULL;
    else if (u->runnable)
        runq_unlink(&runq, u);
    u->runnable = false;
    u->cpu = -1;
    u->next = NULL;
}

static void rr_wake(struct sched_unit *u, s_time_t now)
{
    (void)now;
    if (u->runnable)
        return;
    u->runnable = true;
    if (u->cpu < 0)
        runq_append(&runq, u);
}

static void rr_sleep(struct sched_unit *u, s_time_t now)
{
    (void)now;
    if (!u->runnable)
        return;
    u->runnable = false;
    if (u->cpu < 0)
        runq_unlink(&runq, u);
}

/* Nothing is charged: what cpu ran, if still runnable, goes to the tail. */
static struct sched_unit *rr_pick(unsigned int cpu, struct sched_unit *prev, s_time_t ran,
                                  s_time_t now, s_time_t *slice)
{
    (void)prev;
    (void)ran;
    (void)now;
    *slice = RR_SLICE;
    if (cpu >= nr_cpus)             /* a CPU the policy was not told of idles */
        return NULL;
    tickled[cpu] = false;
    struct sched_unit *was = running[cpu];
    if (was) {
        was->cpu = -1;
        if (was->runnable)
            runq_append(&runq, was);
    }
    struct sched_unit *next = runq.head;
    running[cpu] = next;
    if (next) {
        runq_unlink(&runq, next);
        next->cpu = (int)cpu;
    }
    return next;
}

/* Round robin preempts no one: only an idle CPU not yet named takes a woken unit. */
static int rr_cpu_to_preempt(const struct sched_unit *woken)
{
    if (!woken->runnable || woken->cpu >= 0)
        return -1;
    for (unsigned int c = 0; c < nr_cpus; c++) {
        if (!running[c] && !tickled[c]) {
            tickled[c] = true;
            return (int)c;
        }
    }
    return -1;
}

static bool rr_any_waiting(void)
{
    return __atomic_load_n(&runq.head, __ATOMIC_RELAXED) != NULL;
}

const struct sched_policy sched_rr = {
    .name = "rr",
    .init = rr_init,
    .add = rr_add,
    .remove = rr_remove,
    .wake = rr_wake,
    .sleep = rr_sleep,
    .pick = rr_pick,
    .cpu_to_preempt = rr_cpu_to_preempt,
    .any_waiting = rr_any_waiting,
};
