/*
 * The credit scheduler (sched=credit, the default): proportional share by
 * weight, caps, and a boost for units that wake from blocking, in the spirit
 * of Xen's credit1, over nr_cpus CPUs. Pure logic over explicit time
 * (host-tested).
 *
 * Credit is CPU time in ns. Running burns it 1:1. Every accounting period
 * (30 ms) nr_cpus periods' worth of credit is handed out to the active units
 * (runnable, or ran during the period that ended) in proportion to weight,
 * except that a unit runs on one CPU at a time: its share is at most one
 * period per period (and no more than its cap lets it run), and what it
 * cannot use goes to the others by weight (water-filling; on one CPU no
 * uncapped share reaches that ceiling). Credit is then clipped to
 * [-CREDIT_FLOOR, +CREDIT_LIMIT]. Priorities, highest first:
 * BOOST (woke with credit >= 0; it preempts the others, for one slice of at
 * most 10 ms, and loses the boost when charged for it), UNDER (credit > 0),
 * OVER (credit <= 0). Within a priority: on one CPU FIFO, a unit that ran
 * going to the tail; on several, the most credit first (FIFO on ties). A
 * unit with a cap of C% runs at most C% of one CPU each period, then is
 * parked until the next; when only parked units can run, a CPU idles.
 *
 * Each CPU has a run queue. A waiting unit is on the queue of its home CPU,
 * the one it last ran on. A CPU runs the best unit of its own queue unless
 * another queue holds a better one (or its own holds none): then it steals
 * the best, whose home becomes this CPU (Xen credit1's load balancing). A
 * unit runs on one CPU at most: a running unit is on no queue. A woken unit
 * goes to its home queue; cpu_to_preempt names an idle CPU (home first),
 * else the CPU running the lowest-priority unit that the woken one
 * outranks, and no CPU twice before it picks. So that no CPU idles while a
 * unit waits, the mechanism also asks it for the unit a pick sent back to
 * wait.
 */
#include <hv/sched_policy.h>

#define CREDIT_SLICE        MILLISECS(30)   /* longest run per pick */
#define CREDIT_BOOST_SLICE  MILLISECS(10)   /* longest run as BOOST (Xen: until the next tick) */
#define CREDIT_PERIOD       MILLISECS(30)   /* accounting period */
/*
 * Credit stays within [-CREDIT_FLOOR, +CREDIT_LIMIT]. The ceiling must hold
 * what a unit is owed while it waits for a CPU: a slice, and more when a
 * CPU takes its timer late (QEMU's round-robin TCG runs the other CPU
 * meanwhile: 30 ms slices run 40), so more than one period; at one period a
 * unit owed nearly a whole CPU lost credit at every such wait, and the light
 * units took it (fairness-flood). The floor stays at one period: it bounds
 * how long an indebted unit waits (tests/unit/test_sched.c's wait bound).
 */
#define CREDIT_LIMIT        (2 * CREDIT_PERIOD)
#define CREDIT_FLOOR        CREDIT_PERIOD
#define CREDIT_INITIAL      (CREDIT_PERIOD / 2) /* UNDER, so boosted on its first wakes */
#define CREDIT_MAX_WEIGHT   65535u
#define CREDIT_CATCH_UP     8               /* most periods accounted at once */

/* u->prio: a higher value runs first. */
enum { CREDIT_OVER, CREDIT_UNDER, CREDIT_BOOST };

/*
 * All state, under the mechanism's scheduler lock:
 *   units[0..nr_units): every added unit, in no order (accounting walks it);
 *         came_and_went[i]: units[i] woke or slept in this period, so it was
 *         not runnable throughout.
 *   runq[c]: CPU c's waiting units, FIFO through u->next; parked units stay
 *         queued and are skipped. u is on runq[u->home] exactly when it is
 *         added, runnable and not running (u->cpu < 0).
 *   running[c]: what CPU c's last pick returned (NULL: idle); running[c] == u
 *         exactly when u->cpu == c, so a unit runs on one CPU at most.
 *   tickled[c]: cpu_to_preempt named c since c last picked.
 *   period_start: start of the current accounting period; u->period_used is
 *         what u ran since then (for caps and for being active).
 *   run_since[c], run_charged[c]: running[c] has been charged up to
 *         run_since[c], run_charged[c] of it by accounting on another CPU
 *         (credit_charge_running); both reset when c picks.
 */
static struct sched_unit *units[SCHED_MAX_UNITS];
static unsigned int nr_units;
static bool came_and_went[SCHED_MAX_UNITS];
static unsigned int nr_cpus = 1;
static struct sched_runq runq[SCHED_MAX_CPUS];
static struct sched_unit *running[SCHED_MAX_CPUS];
static bool tickled[SCHED_MAX_CPUS];
static s_time_t period_start;
static s_time_t run_since[SCHED_MAX_CPUS], run_charged[SCHED_MAX_CPUS];

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

static void credit_init(s_time_t now, unsigned int cpus)
{
    for (unsigned int i = 0; i < SCHED_MAX_UNITS; i++) {
        units[i] = NULL;
        came_and_went[i] = false;
    }
    nr_units = 0;
    nr_cpus = MAX(MIN(cpus, SCHED_MAX_CPUS), 1u);
    for (unsigned int c = 0; c < SCHED_MAX_CPUS; c++) {
        runq[c].head = runq[c].tail = NULL;
        running[c] = NULL;
        tickled[c] = false;
        run_since[c] = now;
        run_charged[c] = 0;
    }
    period_start = now;
}

/* A unit beyond SCHED_MAX_UNITS is not taken: it never becomes runnable. */
static void credit_add(struct sched_unit *u)
{
    u->runnable = false;
    u->cpu = -1;
    u->home = 0;
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
    int slot = credit_slot(u);
    if (slot < 0)
        return;
    if (u->cpu >= 0)
        running[u->cpu] = NULL;
    else if (u->runnable)
        runq_unlink(&runq[u->home], u);
    units[slot] = units[--nr_units];
    came_and_went[slot] = came_and_went[nr_units];
    units[nr_units] = NULL;
    u->runnable = false;
    u->cpu = -1;
    u->next = NULL;
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
    if (u->cpu < 0)
        runq_append(&runq[u->home], u);
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
    if (u->cpu < 0)
        runq_unlink(&runq[u->home], u);
}

static bool credit_active(const struct sched_unit *u)
{
    return u->runnable || u->period_used > 0;
}

/*
 * Each active unit's share of hand_out by weight, none above its ceiling:
 * one CPU's worth (one_cpu), or less under a cap (what the cap lets it run
 * in that time). A unit whose share would pass its ceiling gets the
 * ceiling, and the rest is shared again among the others, until no share
 * passes one (each round only raises the others' shares, so at most
 * nr_units rounds). A capped unit is handed no more than it may use: the
 * rest goes to the units that run in the time it leaves, rather than sinking
 * their credit to the floor, where weights stop counting.
 */
static uint64_t credit_ceiling(const struct sched_unit *u, uint64_t one_cpu)
{
    return u->cap && u->cap < 100 ? one_cpu * u->cap / 100 : one_cpu;
}

static void credit_shares(uint64_t hand_out, uint64_t one_cpu, uint64_t share[])
{
    static bool full[SCHED_MAX_UNITS];
    uint64_t left = hand_out, w_left = 0;

    for (unsigned int i = 0; i < nr_units; i++) {
        full[i] = false;
        if (credit_active(units[i]))
            w_left += credit_weight(units[i]);
    }
    for (bool again = true; again && w_left;) {
        again = false;
        for (unsigned int i = 0; i < nr_units && w_left; i++) {
            uint64_t w = credit_weight(units[i]), ceiling = credit_ceiling(units[i], one_cpu);
            if (full[i] || !credit_active(units[i]) || left * w / w_left < ceiling)
                continue;
            full[i] = again = true;
            left -= ceiling;
            w_left -= w;
        }
    }
    for (unsigned int i = 0; i < nr_units; i++) {
        if (!credit_active(units[i]))
            share[i] = 0;
        else
            share[i] = full[i] ? credit_ceiling(units[i], one_cpu) : left * credit_weight(units[i]) / w_left;
    }
}

/*
 * Charges the unit running on CPU c for what it ran since it was picked or
 * last charged here (the rest when c picks: run_charged[c] is taken off what
 * the mechanism then says it ran). Returns the time charged.
 */
static s_time_t credit_charge_running(unsigned int c, s_time_t now)
{
    s_time_t d = now - run_since[c];
    if (d <= 0)
        return 0;
    running[c]->credit -= d;
    run_charged[c] += d;
    run_since[c] = now;
    return d;
}

/*
 * The period boundary (or several) passed by now: hand out nr_cpus periods'
 * worth per period to the active units (credit_shares). A unit that blocked
 * or woke in the period and ends up over the credit limit did not want its
 * share: the excess goes, by weight, to the units that were runnable
 * throughout, which used the CPU time it left (without this their credit
 * would sink to the floor, where all are OVER and weights stop counting).
 * The excess of a unit that was runnable throughout is dropped, as in Xen,
 * so credit cannot pile up where it is not used. charged ran `ran` up to
 * now; units running on other CPUs are charged here for what they ran so
 * far (credit_charge_running), so that the limits clip what they really
 * hold: left uncharged, a unit running across the boundary was clipped at
 * the ceiling before its run was taken off (and lost that credit), and one
 * that overran its slice from little credit went past the floor unclipped.
 */
static void credit_account(const struct sched_unit *charged, s_time_t ran, s_time_t now)
{
    static uint64_t share[SCHED_MAX_UNITS];
    s_time_t periods = (now - period_start) / CREDIT_PERIOD;
    uint64_t one_cpu = (uint64_t)MIN(periods, CREDIT_CATCH_UP) * CREDIT_PERIOD;
    uint64_t w_steady = 0, spare = 0;

    static s_time_t ran_on[SCHED_MAX_CPUS];
    for (unsigned int c = 0; c < nr_cpus; c++)
        ran_on[c] = running[c] && running[c] != charged ? credit_charge_running(c, now) : 0;
    credit_shares(one_cpu * nr_cpus, one_cpu, share);
    for (unsigned int i = 0; i < nr_units; i++) {
        struct sched_unit *u = units[i];
        if (u->runnable && !came_and_went[i])
            w_steady += credit_weight(u);
        u->credit += (int64_t)share[i];
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
        /*
         * A unit entitled to a whole CPU (its share met the ceiling) cannot
         * take more than its entitlement, whatever its priority: ranking it
         * OVER, as a charge that lands just before the hand-out can, only
         * makes it wait behind units entitled to less while its CPU runs them.
         */
        if (nr_cpus > 1 && u->runnable && !came_and_went[i] && share[i] >= one_cpu && u->credit < CREDIT_SLICE)
            u->credit = CREDIT_SLICE;
        came_and_went[i] = false;
        u->credit = MAX(MIN(u->credit, CREDIT_LIMIT), -CREDIT_FLOOR);
        if (u == charged)
            u->period_used = (uint64_t)MIN(ran, now - period_start);
        else
            u->period_used = u->cpu >= 0 ? (uint64_t)MIN(ran_on[u->cpu], now - period_start) : 0;
        u->parked = false;
        u->parked_until = 0;
        credit_check_cap(u);
        credit_set_prio(u);
    }
}

/*
 * Whether a should run before b (NULL: nothing): a higher priority; on
 * several CPUs also the same priority with more credit. On one CPU FIFO
 * order within a priority is enough; on several, units of one priority
 * would otherwise never leave the queue they are on, each getting a share
 * of its own CPU instead of its share of all of them.
 */
static bool credit_before(const struct sched_unit *a, const struct sched_unit *b)
{
    if (!b || a->prio != b->prio)
        return !b || a->prio > b->prio;
    return nr_cpus > 1 && a->credit > b->credit;
}

/* The best unparked unit in q (the first of the best if several), or best if none is better. */
static struct sched_unit *credit_best(const struct sched_runq *q, struct sched_unit *best)
{
    for (struct sched_unit *u = q->head; u; u = u->next) {
        credit_check_cap(u);        /* the cap may have been lowered since */
        if (!u->parked && credit_before(u, best))
            best = u;
    }
    return best;
}

/* The unit cpu runs next: its own queue's best, or a better one stolen from the next CPUs' queues. */
static struct sched_unit *credit_choose(unsigned int cpu)
{
    struct sched_unit *next = credit_best(&runq[cpu], NULL);
    for (unsigned int i = 1; i < nr_cpus; i++)
        next = credit_best(&runq[(cpu + i) % nr_cpus], next);
    return next;
}

/* Parked units get their next budget at the period boundary, not a slice later. */
static bool credit_any_parked(void)
{
    for (unsigned int c = 0; c < nr_cpus; c++)
        for (struct sched_unit *u = runq[c].head; u; u = u->next)
            if (u->parked)
                return true;
    return false;
}

static struct sched_unit *credit_pick(unsigned int cpu, struct sched_unit *prev, s_time_t ran,
                                      s_time_t now, s_time_t *slice)
{
    bool charge = prev && ran > 0 && credit_slot(prev) >= 0;

    if (cpu >= nr_cpus) {           /* a CPU the policy was not told of idles */
        *slice = CREDIT_SLICE;
        return NULL;
    }
    tickled[cpu] = false;
    ran = MIN(MAX(ran, 0), CREDIT_CATCH_UP * CREDIT_PERIOD);
    if (charge) {
        ran = MAX(ran - run_charged[cpu], 0);      /* accounting elsewhere charged that part */
        prev->credit -= ran;
        /* only the part in this period: another CPU may have accounted the boundary */
        prev->period_used += (uint64_t)MIN(ran, MAX(now - period_start, 0));
        prev->boosted = false;
        credit_check_cap(prev);
        credit_set_prio(prev);
    }
    if (now - period_start >= CREDIT_PERIOD)
        credit_account(charge ? prev : NULL, ran, now);

    struct sched_unit *was = running[cpu];
    if (was) {
        running[cpu] = NULL;
        was->cpu = -1;
        if (was->runnable) {
            was->home = cpu;
            runq_append(&runq[cpu], was);
        }
    }
    struct sched_unit *next = credit_choose(cpu);
    if (!next) {
        *slice = MIN(period_start + CREDIT_PERIOD - now, CREDIT_PERIOD);
        return NULL;
    }
    runq_unlink(&runq[next->home], next);
    next->home = cpu;
    next->cpu = (int)cpu;
    run_since[cpu] = now;
    run_charged[cpu] = 0;
    running[cpu] = next;
    *slice = next->boosted ? CREDIT_BOOST_SLICE : CREDIT_SLICE;
    uint64_t budget = credit_cap_budget(next);
    if (budget)     /* next is not parked, so period_used < budget */
        *slice = MIN(*slice, (s_time_t)(budget - next->period_used));
    if (credit_any_parked())
        *slice = MIN(*slice, period_start + CREDIT_PERIOD - now);
    return next;
}

/* Whether cpu may be named for woken: not named since it last picked, and idle or running lower. */
static bool credit_may_preempt(unsigned int cpu, const struct sched_unit *woken, bool idle_only)
{
    if (tickled[cpu])
        return false;
    return idle_only ? !running[cpu] : running[cpu] && woken->prio > running[cpu]->prio;
}

/* An idle CPU (woken's home first), else the one running the lowest priority woken outranks. */
static int credit_cpu_to_preempt(const struct sched_unit *woken)
{
    if (credit_slot(woken) < 0 || !woken->runnable || woken->parked || woken->cpu >= 0)
        return -1;
    int target = -1;
    for (int idle_only = 1; idle_only >= 0 && target < 0; idle_only--) {
        for (unsigned int i = 0; i < nr_cpus; i++) {
            unsigned int c = (woken->home + i) % nr_cpus;
            if (credit_may_preempt(c, woken, idle_only) &&
                (target < 0 || (running[c] && running[c]->prio < running[target]->prio)))
                target = (int)c;
        }
    }
    if (target >= 0)
        tickled[target] = true;
    return target;
}

/* Parked units count: a pick may unpark them at the period boundary. */
static bool credit_any_waiting(void)
{
    for (unsigned int c = 0; c < nr_cpus; c++)
        if (__atomic_load_n(&runq[c].head, __ATOMIC_RELAXED))
            return true;
    return false;
}

const struct sched_policy sched_credit = {
    .name = "credit",
    .init = credit_init,
    .add = credit_add,
    .remove = credit_remove,
    .wake = credit_wake,
    .sleep = credit_sleep,
    .pick = credit_pick,
    .cpu_to_preempt = credit_cpu_to_preempt,
    .any_waiting = credit_any_waiting,
};
