/*
 * Round robin (sched=rr): runnable units in FIFO order, each for a fixed
 * 30 ms slice; weights and caps are ignored. Pure logic (host-tested).
 */
#include <hv/sched_policy.h>

#define RR_SLICE    MILLISECS(30)

/*
 * runq: the runnable units other than cur, FIFO through u->next; u is queued
 * exactly when it is runnable and not cur. cur: what the last pick returned.
 */
static struct sched_runq runq;
static struct sched_unit *cur;

static void rr_init(s_time_t now)
{
    (void)now;
    runq.head = runq.tail = NULL;
    cur = NULL;
}

static void rr_add(struct sched_unit *u)
{
    u->runnable = false;
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
    if (u->runnable && u != cur)
        runq_unlink(&runq, u);
    if (u == cur)
        cur = NULL;
    u->runnable = false;
    u->next = NULL;
}

static void rr_wake(struct sched_unit *u, s_time_t now)
{
    (void)now;
    if (u->runnable)
        return;
    u->runnable = true;
    if (u != cur)
        runq_append(&runq, u);
}

static void rr_sleep(struct sched_unit *u, s_time_t now)
{
    (void)now;
    if (!u->runnable)
        return;
    u->runnable = false;
    if (u != cur)
        runq_unlink(&runq, u);
}

/* Nothing is charged: prev, if still runnable, goes to the tail. */
static struct sched_unit *rr_pick(struct sched_unit *prev, s_time_t ran, s_time_t now,
                                  s_time_t *slice)
{
    (void)prev;
    (void)ran;
    (void)now;
    if (cur && cur->runnable)
        runq_append(&runq, cur);
    cur = runq.head;
    if (cur)
        runq_unlink(&runq, cur);
    *slice = RR_SLICE;
    return cur;
}

static bool rr_should_preempt(const struct sched_unit *woken, const struct sched_unit *running)
{
    return woken->runnable && !running;
}

const struct sched_policy sched_rr = {
    .name = "rr",
    .init = rr_init,
    .add = rr_add,
    .remove = rr_remove,
    .wake = rr_wake,
    .sleep = rr_sleep,
    .pick = rr_pick,
    .should_preempt = rr_should_preempt,
};
