/*
 * Scheduling policy, apart from the mechanism (common/schedule.c): the
 * mechanism tells the policy what happened (a unit woke, slept, ran for so
 * long) and asks it whom to run next and for how long. Policies are pure
 * logic over explicit time, so they are tested in simulated time on the host.
 * Chosen at boot with sched=credit (default) or sched=rr.
 */
#ifndef HV_SCHED_POLICY_H
#define HV_SCHED_POLICY_H

#include <hv/lib.h>
#include <hv/time.h>

#define SCHED_DEFAULT_WEIGHT    256
#define SCHED_MAX_UNITS         64

/* One schedulable vCPU as the policy sees it. */
struct sched_unit {
    unsigned int id;            /* stable, unique; for ties and reports */
    uint32_t weight;            /* share against others: 1..65535 (default 256) */
    uint32_t cap;               /* at most this % of one CPU (0: no cap) */
                                /* (the mechanism may change both; they count from the next pick) */
    bool runnable;              /* kept by the policy from wake/sleep */
    /* Policy-private state. */
    int64_t credit;
    int prio;
    bool boosted;
    bool parked;
    s_time_t parked_until;
    uint64_t period_used;
    struct sched_unit *next;
};

struct sched_policy {
    const char *name;
    void (*init)(s_time_t now);
    /* A new unit (not runnable) / one that is gone for good (never passed as prev after). The
       mechanism never adds more than SCHED_MAX_UNITS. */
    void (*add)(struct sched_unit *u);
    void (*remove)(struct sched_unit *u);
    /* u became runnable (woke from blocking: I/O-bound units get a boost) / stopped being runnable. */
    void (*wake)(struct sched_unit *u, s_time_t now);
    void (*sleep)(struct sched_unit *u, s_time_t now);
    /*
     * The scheduling decision: prev (NULL when the CPU idled) ran for `ran`
     * ns and is charged for it; returns the unit to run next (NULL: idle)
     * and sets *slice to the longest it may run before pick is called again.
     * prev stays runnable unless sleep() said otherwise.
     */
    struct sched_unit *(*pick)(struct sched_unit *prev, s_time_t ran, s_time_t now, s_time_t *slice);
    /* Should woken preempt running (NULL: idle) right away? */
    bool (*should_preempt)(const struct sched_unit *woken, const struct sched_unit *running);
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
