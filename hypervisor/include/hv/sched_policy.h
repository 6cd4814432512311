/*
 * Scheduling policy, apart from the mechanism (common/schedule.c): the
 * mechanism tells the policy what happened (a unit woke, slept, ran for so
 * long) and asks it whom to run next and for how long. Policies are pure
 * logic over explicit time, so they are tested in simulated time on the host,
 * on one CPU and on several.
 * Chosen at boot with sched=credit (default) or sched=rr.
 */
#ifndef HV_SCHED_POLICY_H
#define HV_SCHED_POLICY_H

#include <hv/lib.h>
#include <hv/time.h>

#define SCHED_DEFAULT_WEIGHT    256
#define SCHED_MAX_UNITS         128
#define SCHED_MAX_CPUS          8       /* init's nr_cpus is at most this (NR_CPUS) */

/* One schedulable vCPU as the policy sees it. */
struct sched_unit {
    unsigned int id;            /* stable, unique; for ties and reports */
    uint32_t weight;            /* share against others: 1..65535 (default 256) */
    uint32_t cap;               /* at most this % of one CPU (0: no cap) */
                                /* (the mechanism may change both; they count from the next pick) */
    bool runnable;              /* kept by the policy from wake/sleep */
    int cpu;                    /* the CPU it runs on (last pick there returned it), -1: none */
    /* Policy-private state. */
    int64_t credit;
    int prio;
    bool boosted;
    bool parked;
    s_time_t parked_until;
    uint64_t period_used;
    unsigned int home;          /* the CPU whose run queue holds it while it waits */
    struct sched_unit *next;
};

/*
 * The mechanism calls every hook with its one scheduler lock held, from any
 * CPU: the policy needs no locking of its own, and sees one consistent
 * machine of nr_cpus CPUs, each running one unit (or idling).
 */
struct sched_policy {
    const char *name;
    void (*init)(s_time_t now, unsigned int nr_cpus);       /* CPUs 0..nr_cpus-1, all idle */
    /* A new unit (not runnable) / one that is gone for good (never passed as prev after; if it was
       running on a CPU, that CPU's next pick has prev NULL). The mechanism never adds more than
       SCHED_MAX_UNITS. */
    void (*add)(struct sched_unit *u);
    void (*remove)(struct sched_unit *u);
    /* u became runnable (woke from blocking: I/O-bound units get a boost) / stopped being runnable
       (it may be running on a CPU: it stays there until that CPU picks again). */
    void (*wake)(struct sched_unit *u, s_time_t now);
    void (*sleep)(struct sched_unit *u, s_time_t now);
    /*
     * CPU cpu's scheduling decision: prev (what cpu ran, NULL when it idled)
     * ran for `ran` ns and is charged for it; returns the unit cpu runs next
     * (NULL: idle), never one running on another CPU, and sets *slice to the
     * longest it may run before cpu picks again. prev stays runnable unless
     * sleep() said otherwise. Sets u->cpu for the unit it returns and
     * clears it (-1) for prev if prev is not returned.
     */
    struct sched_unit *(*pick)(unsigned int cpu, struct sched_unit *prev, s_time_t ran, s_time_t now,
                               s_time_t *slice);
    /*
     * woken just became runnable: the CPU that should pick again now to run
     * it (an idle one first), or -1. The mechanism also asks it for prev
     * after a pick that left prev runnable but did not return it (it waits
     * again, and an idle CPU may take it). A CPU named is taken to pick soon:
     * it is not named again until it has picked.
     */
    int (*cpu_to_preempt)(const struct sched_unit *woken);
    /*
     * Whether a unit waits in a run queue, so that a pick may return another
     * unit than the running ones. The one hook called without the lock: a
     * hint, possibly stale; a yield with nothing waiting skips its pick (a
     * unit that wakes later is tickled onto a CPU by cpu_to_preempt, as ever).
     */
    bool (*any_waiting)(void);
};

/* A FIFO run queue through sched_unit.next, shared by the policies. */
struct sched_runq {
    struct sched_unit *head, *tail;
};

static inline void runq_append(struct sched_runq *q, struct sched_unit *u)
{
    u->next = NULL;
    if (q->tail)
        q->tail->next = u;
    else
        q->head = u;
    q->tail = u;
}

static inline void runq_unlink(struct sched_runq *q, struct sched_unit *u)
{
    struct sched_unit *before = NULL;
    for (struct sched_unit *p = q->head; p; before = p, p = p->next) {
        if (p != u)
            continue;
        if (before)
            before->next = u->next;
        else
            q->head = u->next;
        if (q->tail == u)
            q->tail = before;
        u->next = NULL;
        return;
    }
}

extern const struct sched_policy sched_credit;      /* proportional share: weights, caps, boost */
extern const struct sched_policy sched_rr;          /* round robin, fixed slice */

#endif
