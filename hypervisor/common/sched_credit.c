/*
 * The credit scheduler (sched=credit, the default): proportional share by
 * weight, caps, and a boost for units that wake from blocking, in the spirit
 * of Xen's credit1, for one CPU. Pure logic over explicit time (host-tested).
 *
 * Credit is CPU time in ns. Running burns it 1:1. Every accounting period
 * (30 ms) one period's worth of credit is handed out to the active units
 * (runnable, or ran during the period that ended) in proportion to weight,
 * then clipped to [-CREDIT_LIMIT, +CREDIT_LIMIT]. Priorities, highest first:
 * BOOST (woke with credit >= 0; it preempts the others, for one slice of at
 * most 10 ms, and loses the boost when charged for it), UNDER (credit > 0),
 * OVER (credit <= 0); FIFO within a priority, a unit that ran going to the
 * tail. A unit with a cap of C% runs at most C% of each period, then is
 * parked until the next; when only parked units can run, the CPU idles.
 */
#include <hv/sched_policy.h>

#define CREDIT_SLICE        MILLISECS(30)   /* longest run per pick */
#define CREDIT_BOOST_SLICE  MILLISECS(10)   /* longest run as BOOST (Xen: until the next tick) */
#define CREDIT_PERIOD       MILLISECS(30)   /* accounting period */
#define CREDIT_LIMIT        CREDIT_PERIOD   /* credit stays within +-one period's worth */
#define CREDIT_INITIAL      (CREDIT_PERIOD / 2) /* UNDER, so boosted on its first wakes */
#define CREDIT_MAX_WEIGHT   65535u
#define CREDIT_CATCH_UP     8               /* most periods accounted at once */

/* u->prio: a higher value runs first. */
enum { CREDIT_OVER, CREDIT_UNDER, CREDIT_BOOST };

/*
 * All state, owned by the one CPU that schedules:
 *   units[0..nr_units): every added unit, in no order (accounting walks it);
 *         came_and_went[i]: units[i] woke or slept in this period, so it was
 *         not runnable throughout.
 *   runq: the runnable units other than cur, FIFO through u->next; parked
 *         units stay queued and are skipped. u is queued exactly when it is
 *         added, runnable and not cur.
 *   cur:  the unit the last pick returned (it is not queued while it runs).
 *   period_start: start of the current accounting period; u->period_used is
 *         what u ran since then (for caps and for being active).
 */
static struct sched_unit *units[SCHED_MAX_UNITS];
static unsigned int nr_units;
static bool came_and_went[SCHED_MAX_UNITS];
static struct sched_runq runq;
static struct sched_unit *cur;
static s_time_t period_start;

/* u's index in units[], or -1 if it was not added. */
static int credit_slot(const struct sched_unit *u)
{
    for (unsigned int i = 0; i < nr_units; i++)
        if (units[i] == u)
            return (int)i;
    return -1;
}

static uint64_t credit_weight(const struct sched_unit *u)
{
    return u->weight ? MIN(u->weight, CREDIT_MAX_WEIGHT) : 1;
}

/* What u may run per period under its cap; 0: no cap. */
static uint64_t credit_cap_budget(const struct sched_unit *u)
{
    return u->cap ? (uint64_t)CREDIT_PERIOD * u->cap / 100 : 0;
}

static void credit_set_prio(struct sched_unit *u)
{
    if (u->boosted)
        u->prio = CREDIT_BOOST;
    else
        u->prio = u->credit > 0 ? CREDIT_UNDER : CREDIT_OVER;
}

/* Parks u until the next period if it has used its cap in this one. */
static void credit_check_cap(struct sched_unit *u)
{
    uint64_t budget = credit_cap_budget(u);
    if (budget && u->period_used >= budget && !u->parked) {
        u->parked = true;
        u->parked_until = period_start + CREDIT_PERIOD;
    }
}

static void credit_init(s_time_t now)
{
    for (unsigned int i = 0; i < SCHED_MAX_UNITS; i++) {
        units[i] = NULL;
        came_and_went[i] = false;
    }
    nr_units = 0;
    runq.head = runq.tail = NULL;
    cur = NULL;
    period_start = now;
}

/* A unit beyond SCHED_MAX_UNITS is not taken: it never becomes runnable. */
static void credit_add(struct sched_unit *u)
{
    u->runnable = false;
    u->credit = CREDIT_INITIAL;
    u->boosted = false;
    u->parked = false;
    u->parked_until = 0;
    u->period_used = 0;
    u->next = NULL;
    credit_set_prio(u);
    if (nr_units < SCHED_MAX_UNITS && credit_slot(u) < 0) {
        came_and_went[nr_units] = false;
        units[nr_units++] = u;
    }
}

static void credit_remove(struct sched_unit *u)
{
    for (unsigned int i = 0; i < nr_units; i++) {
        if (units[i] != u)
            continue;
        if (u->runnable && u != cur)
            runq_unlink(&runq, u);
        if (u == cur)
            cur = NULL;
        units[i] = units[--nr_units];
        came_and_went[i] = came_and_went[nr_units];
        units[nr_units] = NULL;
        u->runnable = false;
        u->next = NULL;
        return;
    }
}

static void credit_wake(struct sched_unit *u, s_time_t now)
{
    (void)now;
    int slot = credit_slot(u);
    if (u->runnable || slot < 0)
        return;
    came_and_went[slot] = true;
    u->runnable = true;
    u->boosted = u->credit >= 0;
    credit_set_prio(u);
    if (u != cur)
        runq_append(&runq, u);
}

static void credit_sleep(struct sched_unit *u, s_time_t now)
{
    (void)now;
    int slot = credit_slot(u);
    if (!u->runnable || slot < 0)
        return;
    came_and_went[slot] = true;
    u->runnable = false;
    u->boosted = false;
    credit_set_prio(u);
    if (u != cur)
        runq_unlink(&runq, u);
}

static bool credit_active(const struct sched_unit *u)
{
    return u->runnable || u->period_used > 0;
}

/*
 * The period boundary (or several) passed by now: hand out one period's
 * worth per period to the active units by weight. A unit that blocked or
 * woke in the period and ends up over the ceiling did not want its share:
 * the excess goes, by weight, to the units that were runnable throughout,
 * which used the CPU time it left (without this their credit would sink to
 * the floor, where all are OVER and weights stop counting). The excess of a
 * unit that was runnable throughout is dropped, as in Xen, so credit cannot
 * pile up where it is not used. charged ran `ran` up to now.
 */
static void credit_account(const struct sched_unit *charged, s_time_t ran, s_time_t now)
{
    s_time_t periods = (now - period_start) / CREDIT_PERIOD;
    uint64_t hand_out = (uint64_t)MIN(periods, CREDIT_CATCH_UP) * CREDIT_PERIOD;
    uint64_t w_active = 0, w_steady = 0, spare = 0;

    for (unsigned int i = 0; i < nr_units; i++) {
        if (credit_active(units[i]))
            w_active += credit_weight(units[i]);
        if (units[i]->runnable && !came_and_went[i])
            w_steady += credit_weight(units[i]);
    }
    for (unsigned int i = 0; i < nr_units && w_active; i++) {
        struct sched_unit *u = units[i];
        if (!credit_active(u))
            continue;
        u->credit += (int64_t)(hand_out * credit_weight(u) / w_active);
        if (came_and_went[i] && u->credit > CREDIT_LIMIT) {
            spare += (uint64_t)(u->credit - CREDIT_LIMIT);
            u->credit = CREDIT_LIMIT;
        }
    }
    period_start += periods * CREDIT_PERIOD;
    for (unsigned int i = 0; i < nr_units; i++) {
        struct sched_unit *u = units[i];
        if (u->runnable && !came_and_went[i] && w_steady)
            u->credit += (int64_t)(spare * credit_weight(u) / w_steady);
        came_and_went[i] = false;
        u->credit = MAX(MIN(u->credit, CREDIT_LIMIT), -CREDIT_LIMIT);
        u->period_used = u == charged ? (uint64_t)MIN(ran, now - period_start) : 0;
        u->parked = false;
        u->parked_until = 0;
        credit_check_cap(u);
        credit_set_prio(u);
    }
}

/* The first unparked unit of the highest priority in the queue, or NULL. */
static struct sched_unit *credit_best(void)
{
    struct sched_unit *best = NULL;
    for (struct sched_unit *u = runq.head; u; u = u->next) {
        credit_check_cap(u);        /* the cap may have been lowered since */
        if (!u->parked && (!best || u->prio > best->prio))
            best = u;
    }
    return best;
}

static struct sched_unit *credit_pick(struct sched_unit *prev, s_time_t ran, s_time_t now,
                                      s_time_t *slice)
{
    bool charge = prev && ran > 0 && credit_slot(prev) >= 0;

    ran = MIN(MAX(ran, 0), CREDIT_CATCH_UP * CREDIT_PERIOD);
    if (charge) {
        prev->credit -= ran;
        prev->period_used += (uint64_t)ran;
        prev->boosted = false;
        credit_check_cap(prev);
        credit_set_prio(prev);
    }
    if (now - period_start >= CREDIT_PERIOD)
        credit_account(charge ? prev : NULL, ran, now);

    if (cur && cur->runnable)
        runq_append(&runq, cur);
    cur = credit_best();
    if (!cur) {
        *slice = MIN(period_start + CREDIT_PERIOD - now, CREDIT_PERIOD);
        return NULL;
    }
    runq_unlink(&runq, cur);
    *slice = cur->boosted ? CREDIT_BOOST_SLICE : CREDIT_SLICE;
    uint64_t budget = credit_cap_budget(cur);
    if (budget)     /* cur is not parked, so period_used < budget */
        *slice = MIN(*slice, (s_time_t)(budget - cur->period_used));
    /* Parked units get their next budget at the period boundary, not a slice later. */
    for (struct sched_unit *u = runq.head; u; u = u->next)
        if (u->parked)
            *slice = MIN(*slice, period_start + CREDIT_PERIOD - now);
    return cur;
}

/* A boosted unit preempts an UNDER or OVER one; anything runnable preempts idle. */
static bool credit_should_preempt(const struct sched_unit *woken, const struct sched_unit *running)
{
    if (!woken->runnable || woken->parked || woken == running)
        return false;
    return !running || woken->prio > running->prio;
}

const struct sched_policy sched_credit = {
    .name = "credit",
    .init = credit_init,
    .add = credit_add,
    .remove = credit_remove,
    .wake = credit_wake,
    .sleep = credit_sleep,
    .pick = credit_pick,
    .should_preempt = credit_should_preempt,
};
