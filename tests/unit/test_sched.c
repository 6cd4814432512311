/*
 * Host tests of the scheduling policies, common/sched_credit.c and
 * common/sched_rr.c, driven on 1 to 3 simulated CPUs in simulated time.
 */
#include <hv/sched_policy.h>
#include "unit.h"

#define SLICE_MAX   MILLISECS(30)       /* the longest slice either policy may give */
#define PERIOD      MILLISECS(30)       /* credit's accounting period */
#define NEVER       INT64_MAX

/* ---- the simulated machine ------------------------------------------------- */

/* A unit's workload and what the driver measured of it. */
struct sim_unit {
    struct sched_unit *u;       /* malloc'd (ASan catches use after remove); NULL: slot free */
    s_time_t burst, nap;        /* burst > 0: runs burst, sleeps nap, repeat (I/O bound) */
    s_time_t window;            /* window > 0: awake window, asleep window, repeat */
    s_time_t left;              /* CPU time left in this burst */
    s_time_t wake_at, sleep_at; /* next scripted wake / block (NEVER: none) */
    s_time_t total;             /* CPU time received */
    s_time_t in_phase[2];       /* ... while (t / phase) is even / odd */
    s_time_t woke;              /* woken, not yet picked since (-1: not waiting) */
    s_time_t max_latency;
    unsigned int wakes, immediate;
    s_time_t since;             /* runnable and waiting for a CPU since */
    uint64_t wait_weight;       /* the most runnable weight in all seen since then */
    unsigned int wait_units;    /* the most units seen since then */
    s_time_t max_gap;
};

/* A simulated CPU: what it runs (NULL: idle, or its unit was removed) since start, until end. */
struct sim_cpu {
    struct sim_unit *r;
    s_time_t start, end;
    bool ran_unit;              /* r was set at start (so prev's ran counts) */
    bool need;                  /* must pick at the current time */
};

enum op { OP_ADD, OP_REMOVE, OP_REMOVE_RUNNING, OP_WAKE, OP_SLEEP, OP_WEIGHT, OP_CAP };
struct action {
    s_time_t at;
    enum op op;
    unsigned int slot;
    uint32_t arg;               /* ADD, WEIGHT: the weight; CAP: the cap; REMOVE*: sleep first */
};

static struct sim {
    const struct sched_policy *pol;
    unsigned int ncpu;
    struct sim_cpu cpu[SCHED_MAX_CPUS];
    struct sim_unit su[SCHED_MAX_UNITS];
    unsigned int slots;             /* su[0..slots) ever used */
    unsigned int next_id;
    s_time_t now, idle;             /* idle: summed over the CPUs */
    s_time_t phase;                 /* > 0: split run time into in_phase[] */
    const struct action *acts;
    size_t nacts, next_act;
    bool starve_check;              /* fail a wait beyond sim_wait_bound() */
    s_time_t late;                  /* every other pick comes this long after its slice's end */
    double worst_wait;              /* the longest wait seen, as a fraction of its bound */
    unsigned long picks, steps;
} S;

/* A wait for a CPU starts (again) at t. */
static void sim_wait_from(struct sim_unit *x, s_time_t t)
{
    x->since = t;
    x->wait_weight = 0;
    x->wait_units = 0;
}

/*
 * The longest a runnable uncapped unit may wait for a CPU. Round robin:
 * a slice for each other unit. Credit is proportional, so the bound is too:
 * a unit of weight w among runnable weight W is owed w/W of each period; at
 * the floor it takes W/w periods to earn back to UNDER, then it may queue
 * behind every other unit, and the period it waits in may have just begun:
 * W/w + units + 2 periods. With weights within 8x of each other and 8 units
 * that is under 2 s; with weight 1 beside 65535 it is half an hour, as the
 * weights say. More CPUs only shorten waits, so the bound stands.
 */
static s_time_t sim_wait_bound(const struct sim_unit *x)
{
    if (S.pol == &sched_rr)
        return x->wait_units * SLICE_MAX;
    uint64_t w = x->u->weight ? x->u->weight : 1;
    return (s_time_t)((x->wait_weight + w - 1) / w + x->wait_units + 2) * PERIOD;
}

static void sim_start_cpus(const struct sched_policy *pol, unsigned int ncpu)
{
    for (unsigned int i = 0; i < S.slots; i++)
        free(S.su[i].u);
    memset(&S, 0, sizeof(S));
    S.pol = pol;
    S.ncpu = ncpu;
    S.starve_check = true;
    for (unsigned int c = 0; c < ncpu; c++)
        S.cpu[c].need = true;
    pol->init(0, ncpu);
}

static void sim_start(const struct sched_policy *pol)
{
    sim_start_cpus(pol, 1);
}

static int sim_teardown(void **state)
{
    (void)state;
    sim_start(&sched_rr);
    return 0;
}

static struct sim_unit *sim_of(const struct sched_unit *u)
{
    for (unsigned int i = 0; i < S.slots; i++)
        if (S.su[i].u && S.su[i].u == u)
            return &S.su[i];
    return NULL;
}

/* The CPU the driver runs x on, or -1. */
static int sim_cpu_of(const struct sim_unit *x)
{
    for (unsigned int c = 0; c < S.ncpu; c++)
        if (S.cpu[c].r == x)
            return (int)c;
    return -1;
}

/* The policy names a CPU for u (woken, or left waiting by a pick): that CPU picks now. */
static void sim_kick(const struct sched_unit *u)
{
    int c = S.pol->cpu_to_preempt(u);
    if (c < -1 || c >= (int)S.ncpu)
        fail_msg("%s: cpu_to_preempt named CPU %d of %u", S.pol->name, c, S.ncpu);
    if (c >= 0)
        S.cpu[c].need = true;
}

static void sim_wake(struct sim_unit *x, s_time_t t)
{
    if (x->u->runnable)
        return;
    S.pol->wake(x->u, t);
    assert_true(x->u->runnable);
    x->woke = t;
    sim_wait_from(x, t);
    x->wakes++;
    x->wake_at = NEVER;
    if (x->burst)
        x->left = x->burst;
    if (x->window)
        x->sleep_at = t + x->window;
}

/* x blocks at t; it wakes again at `again` (NEVER: only when told to). Its CPU picks. */
static void sim_block(struct sim_unit *x, s_time_t t, s_time_t again)
{
    S.pol->sleep(x->u, t);
    assert_false(x->u->runnable);
    x->woke = -1;
    x->sleep_at = NEVER;
    x->wake_at = again;
    int c = sim_cpu_of(x);
    if (c >= 0)
        S.cpu[c].need = true;
}

static struct sim_unit *sim_add(unsigned int slot, uint32_t weight, uint32_t cap)
{
    assert_true(slot < SCHED_MAX_UNITS);
    struct sim_unit *x = &S.su[slot];
    assert_null(x->u);
    s_time_t burst = x->burst, nap = x->nap, window = x->window;    /* the slot's workload stays */
    memset(x, 0, sizeof(*x));
    x->burst = burst;
    x->nap = nap;
    x->window = window;
    x->u = calloc(1, sizeof(*x->u));
    assert_non_null(x->u);
    memset(x->u, 0xa5, sizeof(*x->u));          /* add must set the private fields */
    x->u->id = S.next_id++;
    x->u->weight = weight;
    x->u->cap = cap;
    x->woke = -1;
    x->wake_at = x->sleep_at = NEVER;
    S.pol->add(x->u);
    assert_false(x->u->runnable);
    assert_int_equal(x->u->cpu, -1);
    if (slot >= S.slots)
        S.slots = slot + 1;
    return x;
}

/* x goes for good; the CPU running it, if any, picks with prev NULL. */
static void sim_remove(struct sim_unit *x, bool sleep_first)
{
    if (sleep_first && x->u->runnable)
        S.pol->sleep(x->u, S.now);
    S.pol->remove(x->u);
    int c = sim_cpu_of(x);
    if (c >= 0) {
        S.cpu[c].r = NULL;
        S.cpu[c].need = true;
    }
    free(x->u);
    x->u = NULL;
}

/* The earliest scripted event: a unit's wake or block, or an action. */
static s_time_t sim_next_event(void)
{
    s_time_t t = S.next_act < S.nacts ? S.acts[S.next_act].at : NEVER;
    for (unsigned int i = 0; i < S.slots; i++)
        if (S.su[i].u)
            t = MIN(t, MIN(S.su[i].wake_at, S.su[i].sleep_at));
    return t;
}

/* The unit some CPU runs (for OP_REMOVE_RUNNING: the lowest CPU's), or NULL. */
static struct sim_unit *sim_some_running(void)
{
    for (unsigned int c = 0; c < S.ncpu; c++)
        if (S.cpu[c].r)
            return S.cpu[c].r;
    return NULL;
}

/* Applies one action at t. */
static void sim_act(const struct action *a, s_time_t t)
{
    struct sim_unit *x = a->slot < SCHED_MAX_UNITS ? &S.su[a->slot] : NULL;
    if (a->op == OP_REMOVE_RUNNING)
        x = sim_some_running();
    if (a->op == OP_ADD) {
        if (!x->u)
            sim_add(a->slot, a->arg, 0);
        return;
    }
    if (!x || !x->u)
        return;
    switch (a->op) {
    case OP_REMOVE:
    case OP_REMOVE_RUNNING:
        sim_remove(x, a->arg);
        return;
    case OP_WAKE:
        if (x->u->runnable)
            return;
        sim_wake(x, t);
        sim_kick(x->u);
        return;
    case OP_SLEEP:
        if (x->u->runnable)
            sim_block(x, t, NEVER);
        return;
    case OP_WEIGHT:
        x->u->weight = a->arg;
        sim_wait_from(x, t);
        return;
    case OP_CAP:
        x->u->cap = a->arg;
        sim_wait_from(x, t);
        return;
    case OP_ADD:
        break;
    }
}

/* Handles every event due at t; CPUs that must pick because of them get `need`. */
static void sim_due(s_time_t t)
{
    while (S.next_act < S.nacts && S.acts[S.next_act].at <= t)
        sim_act(&S.acts[S.next_act++], t);
    for (unsigned int i = 0; i < S.slots; i++) {
        struct sim_unit *x = &S.su[i];
        if (!x->u)
            continue;
        if (x->sleep_at <= t)
            sim_block(x, t, x->window ? t + x->window : NEVER);
        if (x->wake_at <= t) {
            sim_wake(x, t);
            sim_kick(x->u);
        }
    }
}

/* What every pick on cpu must satisfy. */
static void sim_check_pick(unsigned int cpu, const struct sched_unit *prev,
                           const struct sched_unit *next, s_time_t slice)
{
    if (slice <= 0 || slice > SLICE_MAX)
        fail_msg("%s at %lld ns: slice %lld ns", S.pol->name, (long long)S.now, (long long)slice);
    if (prev && prev != next && prev->cpu != -1)
        fail_msg("%s: CPU %u left prev %u with cpu %d", S.pol->name, cpu, prev->id, prev->cpu);
    if (!next)
        return;
    if (!sim_of(next))
        fail_msg("%s: picked unit %u, which is not there", S.pol->name, next->id);
    if (!next->runnable || next->parked)
        fail_msg("%s at %lld ns: picked unit %u, runnable %d parked %d", S.pol->name,
                 (long long)S.now, next->id, next->runnable, next->parked);
    if (next->cpu != (int)cpu)
        fail_msg("%s: CPU %u picked unit %u, which says cpu %d", S.pol->name, cpu, next->id,
                 next->cpu);
    for (unsigned int c = 0; c < S.ncpu; c++)
        if (c != cpu && S.cpu[c].r && S.cpu[c].r->u == next)
            fail_msg("%s at %lld ns: CPU %u picked unit %u, which runs on CPU %u", S.pol->name,
                     (long long)S.now, cpu, next->id, c);
}

/*
 * After every CPU due has picked: each unit runs on one CPU at most and
 * knows which, no runnable unit waits while a CPU idles, and no running
 * unit has stopped being runnable.
 */
static void sim_check_machine(void)
{
    bool idle = false;
    for (unsigned int c = 0; c < S.ncpu; c++) {
        const struct sim_unit *r = S.cpu[c].r;
        idle |= !r;
        if (r && (r->u->cpu != (int)c || !r->u->runnable))
            fail_msg("%s at %lld ns: CPU %u runs unit %u: cpu %d runnable %d", S.pol->name,
                     (long long)S.now, c, r->u->id, r->u->cpu, r->u->runnable);
    }
    for (unsigned int i = 0; i < S.slots; i++) {
        const struct sched_unit *u = S.su[i].u;
        if (!u)
            continue;
        if (u->cpu != sim_cpu_of(&S.su[i]))
            fail_msg("%s at %lld ns: unit %u says cpu %d, runs on %d", S.pol->name,
                     (long long)S.now, u->id, u->cpu, sim_cpu_of(&S.su[i]));
        if (idle && u->runnable && !u->parked && u->cpu < 0)
            fail_msg("%s at %lld ns: a CPU idles while unit %u waits", S.pol->name,
                     (long long)S.now, u->id);
    }
}

/* At each pick: how long each waiting runnable unit has waited; next's wait ends. */
static void sim_check_waits(const struct sched_unit *next)
{
    uint64_t weight = 0;
    unsigned int units = 0;
    for (unsigned int i = 0; i < S.slots; i++) {
        units += S.su[i].u != NULL;
        if (S.su[i].u && S.su[i].u->runnable)
            weight += S.su[i].u->weight;
    }
    for (unsigned int i = 0; i < S.slots; i++) {
        struct sim_unit *x = &S.su[i];
        if (!x->u || !x->u->runnable || x->u->cap)
            continue;
        if (sim_cpu_of(x) >= 0 && x->u != next) {   /* running elsewhere: not waiting */
            sim_wait_from(x, S.now);
            continue;
        }
        x->wait_weight = MAX(x->wait_weight, weight);
        x->wait_units = MAX(x->wait_units, units);
        s_time_t gap = S.now - x->since, bound = sim_wait_bound(x);
        x->max_gap = MAX(x->max_gap, gap);
        S.worst_wait = MAX(S.worst_wait, (double)gap / (double)bound);
        if (S.starve_check && gap > bound)
            fail_msg("%s at %lld ns: unit %u (weight %u) waited %lld ms, bound %lld ms",
                     S.pol->name, (long long)S.now, x->u->id, x->u->weight,
                     (long long)(gap / MILLISECS(1)), (long long)(bound / MILLISECS(1)));
    }
    struct sim_unit *r = next ? sim_of(next) : NULL;
    if (r && r->woke >= 0) {
        s_time_t latency = S.now - r->woke;
        r->max_latency = MAX(r->max_latency, latency);
        r->immediate += latency == 0;
        r->woke = -1;
    }
}

/* CPU cpu picks at S.now: what it ran is charged, and if left waiting, offered to the others. */
static void sim_pick(unsigned int cpu)
{
    struct sim_cpu *k = &S.cpu[cpu];
    struct sim_unit *was = k->r;
    struct sched_unit *prev = was ? was->u : NULL;
    s_time_t slice = 0, ran = k->ran_unit ? S.now - k->start : 0;

    if (was)
        sim_wait_from(was, S.now);
    k->r = NULL;
    bool waited = S.pol->any_waiting();
    struct sched_unit *next = S.pol->pick(cpu, prev, ran, S.now, &slice);
    S.picks++;
    /* A yield skips its pick when nothing waits: the pick could only have kept prev or idled. */
    if (!waited && next && next != prev)
        fail_msg("%s at %lld ns: CPU %u picked unit %u though no unit waited", S.pol->name,
                 (long long)S.now, cpu, next->id);
    sim_check_pick(cpu, prev, next, slice);
    k->r = next ? sim_of(next) : NULL;
    k->ran_unit = next != NULL;
    k->start = S.now;
    /* A CPU's timer can be taken late: QEMU's round-robin TCG runs the other CPU meanwhile, or
       hardware runs with interrupts off. What ran is charged for all of it. */
    k->end = S.now + slice + (S.picks % 2 ? S.late : 0);
    k->need = false;
    sim_check_waits(next);
    if (prev && prev != next && prev->runnable)
        sim_kick(prev);
}

/* Every CPU due picks (in CPU order, again while picks make others due). */
static void sim_picks(void)
{
    for (unsigned int rounds = 0;; rounds++) {
        bool any = false;
        for (unsigned int c = 0; c < S.ncpu; c++) {
            if (S.cpu[c].need) {
                sim_pick(c);
                any = true;
            }
        }
        if (!any)
            return;
        if (rounds > 4 * SCHED_MAX_CPUS)
            fail_msg("%s at %lld ns: the CPUs keep preempting each other", S.pol->name,
                     (long long)S.now);
    }
}

static void sim_account(struct sim_unit *r, s_time_t start, s_time_t end)
{
    if (!r) {
        S.idle += end - start;
        return;
    }
    r->total += end - start;
    if (r->burst)
        r->left -= end - start;
    for (s_time_t t = start; t < end;) {
        s_time_t stop = S.phase ? MIN(end, (t / S.phase + 1) * S.phase) : end;
        r->in_phase[S.phase ? (t / S.phase) % 2 : 0] += stop - t;
        t = stop;
    }
}

/*
 * The mechanism: events due now, then every CPU due picks; time runs to the
 * next slice end, burst end or event; repeat.
 */
static void sim_run(s_time_t until)
{
    while (S.now < until) {
        sim_due(S.now);
        sim_picks();
        sim_check_machine();
        S.steps++;
        s_time_t t = MIN(until, sim_next_event());
        for (unsigned int c = 0; c < S.ncpu; c++) {
            const struct sim_cpu *k = &S.cpu[c];
            t = MIN(t, k->end);
            if (k->r && k->r->burst)
                t = MIN(t, S.now + k->r->left);
        }
        for (unsigned int c = 0; c < S.ncpu; c++)
            sim_account(S.cpu[c].r, S.now, t);
        S.now = t;
        for (unsigned int c = 0; c < S.ncpu; c++) {
            struct sim_cpu *k = &S.cpu[c];
            k->need |= k->end <= t;
            if (k->r && k->r->burst && k->r->left == 0)
                sim_block(k->r, t, t + k->r->nap);
        }
    }
}

static double pct(s_time_t part, s_time_t whole)
{
    return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

/* ---- shares: table-driven ---------------------------------------------------- */

struct spec {
    uint32_t weight, cap;
    s_time_t burst, nap;        /* I/O bound (see struct sim_unit) */
    bool asleep;                /* never runnable */
};

struct share_case {
    const char *name;
    const struct sched_policy *pol;
    unsigned int cpus;          /* 0: one */
    unsigned int n;
    struct spec spec[5];
    double want[5];             /* % of one CPU over the run */
    double want_idle;           /* summed over the CPUs */
    double tol;                 /* percentage points */
};

#define HOG(w)          { .weight = (w) }
#define CAPPED(w, c)    { .weight = (w), .cap = (c) }
#define ASLEEP(w)       { .weight = (w), .asleep = true }
#define IO(w)           { .weight = (w), .burst = MILLISECS(1) / 10, .nap = MILLISECS(5) }

static const struct share_case share_cases[] = {
    { "credit, weights 1:2:4", &sched_credit, 0, 3, { HOG(256), HOG(512), HOG(1024) },
      { 100.0 / 7, 200.0 / 7, 400.0 / 7 }, 0, 3 },
    { "rr, weights 1:2:4 ignored", &sched_rr, 0, 3, { HOG(256), HOG(512), HOG(1024) },
      { 100.0 / 3, 100.0 / 3, 100.0 / 3 }, 0, 3 },
    { "credit, cap 25% beside an uncapped unit", &sched_credit, 0, 2, { CAPPED(256, 25), HOG(256) },
      { 25, 75 }, 0, 1 },
    { "credit, cap 25% alone: the rest idles", &sched_credit, 0, 1, { CAPPED(256, 25) },
      { 25 }, 75, 1 },
    { "credit, caps 10% and 20% beside a light unit", &sched_credit, 0, 3,
      { CAPPED(1024, 10), CAPPED(1024, 20), HOG(256) }, { 10, 20, 70 }, 0, 1 },
    { "credit, an asleep unit takes nothing (1:2, asleep 4)", &sched_credit, 0, 3,
      { HOG(256), HOG(512), ASLEEP(1024) }, { 100.0 / 3, 200.0 / 3, 0 }, 0, 3 },
    { "credit, I/O unit beside 1:2 hogs", &sched_credit, 0, 3, { IO(256), HOG(256), HOG(512) },
      { 100.0 / 51, 100.0 * 50 / 51 / 3, 200.0 * 50 / 51 / 3 }, 0, 3 },
    { "credit, 1:8:8:8 (the light unit waits its turn)", &sched_credit, 0, 4,
      { HOG(128), HOG(1024), HOG(1024), HOG(1024) }, { 4, 32, 32, 32 }, 0, 3 },
    { "rr, an asleep unit takes nothing", &sched_rr, 0, 3, { HOG(256), ASLEEP(256), HOG(256) },
      { 50, 0, 50 }, 0, 3 },
    /* 2 CPUs: 4 hogs 1:2:4:4 share 2 CPUs by weight (11 parts: 2/11 of one CPU per part) */
    { "credit, 2 CPUs, weights 1:2:4:4", &sched_credit, 2, 4,
      { HOG(256), HOG(512), HOG(1024), HOG(1024) },
      { 200.0 / 11, 400.0 / 11, 800.0 / 11, 800.0 / 11 }, 0, 3 },
    /* weight 8 of 13 would be owed 1.23 CPUs; it can use one, the others share the other 1:2:2 */
    { "credit, 2 CPUs, 1:2:2:8: one CPU's ceiling", &sched_credit, 2, 4,
      { HOG(256), HOG(512), HOG(512), HOG(2048) }, { 20, 40, 40, 100 }, 0, 3 },
    { "credit, 2 CPUs, 1:4: a whole CPU each", &sched_credit, 2, 2,
      { HOG(256), HOG(1024) }, { 100, 100 }, 0, 1 },
    { "credit, 2 CPUs, cap 30% beside two hogs", &sched_credit, 2, 3,
      { CAPPED(1024, 30), HOG(256), HOG(256) }, { 30, 85, 85 }, 0, 3 },
    { "credit, 2 CPUs, three capped 50%: half idles", &sched_credit, 2, 3,
      { CAPPED(256, 50), CAPPED(256, 50), CAPPED(256, 50) }, { 50, 50, 50 }, 50, 1 },
    { "credit, 2 CPUs, I/O unit beside 1:1:2 hogs", &sched_credit, 2, 4,
      { IO(256), HOG(256), HOG(256), HOG(512) },
      { 100.0 / 51, 50 - 50.0 / 51, 50 - 50.0 / 51, 100 }, 0, 3 },
    { "credit, 3 CPUs, 1:1:2:4", &sched_credit, 3, 4,
      { HOG(256), HOG(256), HOG(512), HOG(1024) }, { 50, 50, 100, 100 }, 0, 3 },
    /* fairness-flood's weights (the flooder is two units of 256): 2/9 of one CPU per part; the
       heaviest is owed 8/9 of a CPU, so it must not lose credit while it waits or runs */
    { "credit, 2 CPUs, 1:2:4:1:1", &sched_credit, 2, 5,
      { HOG(256), HOG(512), HOG(1024), HOG(256), HOG(256) },
      { 200.0 / 9, 400.0 / 9, 800.0 / 9, 200.0 / 9, 200.0 / 9 }, 0, 1 },
    { "rr, 2 CPUs, 3 units 1:2:4 ignored", &sched_rr, 2, 3, { HOG(256), HOG(512), HOG(1024) },
      { 200.0 / 3, 200.0 / 3, 200.0 / 3 }, 0, 3 },
};

static void run_share_case(const struct share_case *c, s_time_t length, s_time_t late)
{
    sim_start_cpus(c->pol, c->cpus ? c->cpus : 1);
    S.late = late;
    for (unsigned int i = 0; i < c->n; i++) {
        struct sim_unit *x = sim_add(i, c->spec[i].weight, c->spec[i].cap);
        x->burst = c->spec[i].burst;
        x->nap = c->spec[i].nap;
        sim_wake(x, 0);
        if (c->spec[i].asleep)
            sim_block(x, 0, NEVER);
    }
    sim_run(length);
}

/* Runs c (every other slice ending `late` after its end) and checks its shares. */
static void check_share_case(const struct share_case *c, s_time_t late)
{
    run_share_case(c, SECONDS(30), late);
    printf("  %-52s", c->name);
    for (unsigned int i = 0; i < c->n; i++)
        printf(" %5.2f%%", pct(S.su[i].total, S.now));
    printf("  idle %5.2f%%%s\n", pct(S.idle, S.now), late ? ", slices late" : "");
    for (unsigned int i = 0; i < c->n; i++) {
        double got = pct(S.su[i].total, S.now);
        if (got < c->want[i] - c->tol || got > c->want[i] + c->tol)
            fail_msg("%s%s: unit %u got %.2f%%, want %.2f%% +- %.1f", c->name, late ? ", slices late" : "",
                     i, got, c->want[i], c->tol);
        if (c->spec[i].asleep)
            assert_int_equal(S.su[i].total, 0);
        if (c->spec[i].cap)     /* a cap is a ceiling: never over, whatever the tolerance */
            assert_true(got <= c->spec[i].cap + 1.0);
    }
    double idle = pct(S.idle, S.now);
    if (idle < c->want_idle - c->tol || idle > c->want_idle + c->tol)
        fail_msg("%s: idle %.2f%%, want %.2f%%", c->name, idle, c->want_idle);
}

static void test_shares(void **state)
{
    (void)state;
    for (size_t k = 0; k < UNIT_ARRAY_SIZE(share_cases); k++)
        check_share_case(&share_cases[k], 0);
}

/*
 * The CPU-bound cases again with every other slice ending 10 ms late: a
 * CPU's timer interrupt is taken late when QEMU's round-robin TCG runs the
 * other CPU meanwhile (fairness-flood saw 30 ms slices run 40), or when
 * hardware has interrupts off. What ran is charged, so the weights must
 * still hold: credit lost to its limits while a unit waits or runs over
 * would go to the light units.
 */
static void test_shares_late(void **state)
{
    (void)state;
    for (size_t k = 0; k < UNIT_ARRAY_SIZE(share_cases); k++) {
        const struct share_case *c = &share_cases[k];
        bool hogs = c->pol == &sched_credit;
        for (unsigned int i = 0; i < c->n; i++)
            hogs &= !c->spec[i].cap && !c->spec[i].burst && !c->spec[i].asleep;
        if (hogs)
            check_share_case(c, MILLISECS(10));
    }
}

/*
 * A unit awake 1 s, asleep 1 s (CPU bound while awake) beside hogs of
 * weights 1 and 2 (it has weight 1): its share while awake is 1/4, and the
 * hogs split the CPU 1:2 either way.
 */
static void test_half_asleep(void **state)
{
    (void)state;
    sim_start(&sched_credit);
    S.phase = SECONDS(1);
    struct sim_unit *h = sim_add(0, 256, 0);
    h->window = SECONDS(1);
    sim_wake(h, 0);
    sim_wake(sim_add(1, 256, 0), 0);
    sim_wake(sim_add(2, 512, 0), 0);
    sim_run(SECONDS(30));

    static const double want[2][3] = { { 25, 25, 50 }, { 0, 100.0 / 3, 200.0 / 3 } };
    const s_time_t half = S.now / 2;
    for (int p = 0; p < 2; p++) {
        printf("  credit, half-sleeper %s: %5.2f%% %5.2f%% %5.2f%%\n", p ? "asleep" : "awake ",
               pct(S.su[0].in_phase[p], half), pct(S.su[1].in_phase[p], half),
               pct(S.su[2].in_phase[p], half));
        for (int i = 0; i < 3; i++) {
            double got = pct(S.su[i].in_phase[p], half);
            if (got < want[p][i] - 3 || got > want[p][i] + 3)
                fail_msg("phase %d unit %d: %.2f%%, want %.2f%%", p, i, got, want[p][i]);
        }
    }
    assert_int_equal(S.su[0].in_phase[1], 0);
}

/*
 * An I/O-bound unit (sleeps 5 ms, runs 0.1 ms) beside two CPU hogs: how long
 * from each wake until it is picked. Credit boosts it ahead of the hogs;
 * round robin queues it behind them.
 */
static void run_latency(const struct sched_policy *pol)
{
    sim_start(pol);
    struct sim_unit *io = sim_add(0, 256, 0);
    io->burst = MILLISECS(1) / 10;
    io->nap = MILLISECS(5);
    sim_wake(io, 0);
    sim_wake(sim_add(1, 256, 0), 0);
    sim_wake(sim_add(2, 256, 0), 0);
    sim_run(SECONDS(30));
    printf("  %-6s I/O unit: max wake-to-run %.2f ms, picked at once %u of %u wakes;"
           " shares %.2f%% %.2f%% %.2f%%\n", pol->name, (double)io->max_latency / MILLISECS(1),
           io->immediate, io->wakes,
           pct(io->total, S.now), pct(S.su[1].total, S.now), pct(S.su[2].total, S.now));
}

static void test_wake_latency(void **state)
{
    (void)state;
    run_latency(&sched_credit);
    struct sim_unit *io = &S.su[0];
    assert_true(io->wakes > 5000);
    assert_true(io->max_latency <= SLICE_MAX);
    assert_true(io->immediate * 100u >= io->wakes * 95u);

    run_latency(&sched_rr);
    assert_true(io->wakes > 500);
    assert_true(io->max_latency <= 2 * SLICE_MAX);     /* behind at most the two hogs */
}

/* ---- direct checks of each policy's rules ---------------------------------- */

static struct sched_unit *pick_on(unsigned int cpu, struct sched_unit *prev, s_time_t ran,
                                  s_time_t now, s_time_t *slice)
{
    *slice = 0;
    struct sched_unit *u = S.pol->pick(cpu, prev, ran, now, slice);
    assert_true(*slice > 0 && *slice <= SLICE_MAX);
    if (u)
        assert_int_equal(u->cpu, cpu);
    if (prev && prev != u)
        assert_int_equal(prev->cpu, -1);
    return u;
}

/* On one CPU. */
static struct sched_unit *pick(struct sched_unit *prev, s_time_t ran, s_time_t now,
                               s_time_t *slice)
{
    return pick_on(0, prev, ran, now, slice);
}

/* Round robin: FIFO in wake order, a waking unit goes to the tail, preempts only idle. */
static void test_rr_fifo(void **state)
{
    (void)state;
    sim_start(&sched_rr);
    struct sched_unit *u[4];
    for (unsigned int i = 0; i < 4; i++)
        u[i] = sim_add(i, 256 << i, 0)->u;
    s_time_t slice, now = 0;
    assert_null(pick(NULL, 0, now, &slice));
    assert_int_equal(slice, SLICE_MAX);
    sched_rr.wake(u[2], now);
    assert_int_equal(sched_rr.cpu_to_preempt(u[2]), 0);
    sched_rr.wake(u[0], now);
    sched_rr.wake(u[3], now);
    sched_rr.wake(u[1], now);
    static const unsigned int order[] = { 2, 0, 3, 1, 2, 0, 3, 1 };
    struct sched_unit *prev = NULL;
    for (size_t i = 0; i < UNIT_ARRAY_SIZE(order); i++) {
        prev = pick(prev, prev ? SLICE_MAX : 0, now, &slice);
        assert_ptr_equal(prev, u[order[i]]);
        assert_int_equal(slice, SLICE_MAX);
        assert_int_equal(sched_rr.cpu_to_preempt(u[(order[i] + 1) % 4]), -1);
        now += SLICE_MAX;
    }
    /* 1 runs; 2, at the head, sleeps and wakes: it goes to the tail */
    sched_rr.sleep(u[2], now);
    sched_rr.wake(u[2], now);
    static const unsigned int order2[] = { 0, 3, 2, 1 };
    for (size_t i = 0; i < UNIT_ARRAY_SIZE(order2); i++) {
        prev = pick(prev, SLICE_MAX, now, &slice);
        assert_ptr_equal(prev, u[order2[i]]);
    }
    /* the running unit (1) sleeps: the others go on; woken, it comes back at the tail */
    sched_rr.sleep(prev, now);
    assert_ptr_equal(pick(prev, 1, now, &slice), u[0]);
    sched_rr.wake(u[1], now);
    assert_ptr_equal(pick(u[0], 1, now, &slice), u[3]);
    assert_ptr_equal(pick(u[3], 1, now, &slice), u[2]);
    assert_ptr_equal(pick(u[2], 1, now, &slice), u[1]);
    assert_ptr_equal(pick(u[1], 1, now, &slice), u[0]);
}

/* Credit: boost on wake with credit >= 0, for one short slice; OVER wakers do not preempt. */
static void test_credit_boost(void **state)
{
    (void)state;
    sim_start(&sched_credit);
    struct sched_unit *a = sim_add(0, 256, 0)->u, *b = sim_add(1, 256, 0)->u;
    s_time_t slice, now = 0;
    assert_int_equal(a->credit, PERIOD / 2);    /* new units start UNDER */
    sched_credit.wake(a, now);
    assert_true(a->boosted);
    assert_int_equal(sched_credit.cpu_to_preempt(a), 0);
    assert_ptr_equal(pick(NULL, 0, now, &slice), a);
    assert_int_equal(slice, MILLISECS(10));     /* a boosted slice is short */

    /* b, woken boosted too, does not preempt boosted a */
    sched_credit.wake(b, MILLISECS(5));
    assert_true(b->boosted);
    assert_int_equal(sched_credit.cpu_to_preempt(b), -1);
    sched_credit.sleep(b, MILLISECS(5));

    /* a is charged and loses the boost: UNDER, a whole slice */
    now = MILLISECS(10);
    assert_ptr_equal(pick(a, MILLISECS(10), now, &slice), a);
    assert_false(a->boosted);
    assert_int_equal(a->credit, MILLISECS(5));
    assert_int_equal(slice, MILLISECS(30));

    /* b wakes boosted and preempts it */
    now += MILLISECS(1);
    sched_credit.wake(b, now);
    assert_int_equal(sched_credit.cpu_to_preempt(b), 0);
    assert_int_equal(sched_credit.cpu_to_preempt(b), -1);     /* CPU 0 is named until it picks */
    assert_int_equal(sched_credit.cpu_to_preempt(a), -1);     /* a runs */
    assert_ptr_equal(pick(a, MILLISECS(1), now, &slice), b);
    assert_int_equal(slice, MILLISECS(10));

    /* a blocks; b runs on, past its credit, and blocks too: the CPU idles to the boundary */
    now += MILLISECS(10);
    sched_credit.sleep(a, now);
    assert_ptr_equal(pick(b, MILLISECS(10), now, &slice), b);
    now += MILLISECS(8);
    sched_credit.sleep(b, now);
    assert_null(pick(b, MILLISECS(8), now, &slice));
    assert_int_equal(slice, MILLISECS(1));
    assert_int_equal(b->credit, -MILLISECS(3));

    /* a wakes boosted and runs; b wakes OVER: no boost, no preemption */
    sched_credit.wake(a, now);
    assert_int_equal(sched_credit.cpu_to_preempt(a), 0);
    assert_ptr_equal(pick(NULL, 0, now, &slice), a);
    sched_credit.wake(b, now);
    assert_false(b->boosted);
    assert_int_equal(sched_credit.cpu_to_preempt(b), -1);

    /* the period ends: 15 ms each, both UNDER (a 2 + 15, b -3 + 15): FIFO, b first */
    now = MILLISECS(31);
    assert_ptr_equal(pick(a, MILLISECS(2), now, &slice), b);
    assert_int_equal(b->credit, MILLISECS(12));
    assert_int_equal(a->credit, MILLISECS(17));
}

/* Credit: a cap parks the unit for the rest of the period; the CPU idles until then. */
static void test_credit_cap_parks(void **state)
{
    (void)state;
    sim_start(&sched_credit);
    struct sched_unit *a = sim_add(0, 256, 25)->u;
    s_time_t slice, now = 0;
    sched_credit.wake(a, now);
    assert_ptr_equal(pick(NULL, 0, now, &slice), a);
    assert_int_equal(slice, MILLISECS(30) / 4);
    now += MILLISECS(3);
    assert_ptr_equal(pick(a, MILLISECS(3), now, &slice), a);        /* 4.5 ms left */
    assert_int_equal(slice, MILLISECS(3) / 2 * 3);
    now += slice;
    assert_null(pick(a, slice, now, &slice));
    assert_true(a->parked && a->runnable);
    assert_int_equal(slice, PERIOD - now);
    assert_int_equal(sched_credit.cpu_to_preempt(a), -1);

    /* another unit wakes and runs at once; its slice ends at the boundary that unparks a */
    struct sched_unit *b = sim_add(1, 256, 0)->u;
    sched_credit.wake(b, now);
    assert_int_equal(sched_credit.cpu_to_preempt(b), 0);
    assert_ptr_equal(pick(NULL, 0, now, &slice), b);
    assert_int_equal(slice, MILLISECS(10));                         /* boosted */
    now += slice;
    assert_ptr_equal(pick(b, slice, now, &slice), b);
    assert_int_equal(slice, PERIOD - now);
    now = PERIOD;
    assert_ptr_equal(pick(b, slice, now, &slice), a);      /* both UNDER, a queued first */
    assert_false(a->parked);
    assert_int_equal(slice, MILLISECS(30) / 4);

    /* init forgets everything */
    sched_credit.init(now, 1);
    assert_null(pick(NULL, 0, now, &slice));
}

/* Credit keeps SCHED_MAX_UNITS units; one more is refused: it never becomes runnable. */
static void test_credit_full(void **state)
{
    (void)state;
    sim_start(&sched_credit);
    for (unsigned int i = 0; i < SCHED_MAX_UNITS; i++)
        sim_wake(sim_add(i, 256, 0), 0);
    struct sched_unit extra = { .id = 999, .weight = 256 };
    sched_credit.add(&extra);
    sched_credit.wake(&extra, 0);
    assert_false(extra.runnable);
    assert_int_equal(sched_credit.cpu_to_preempt(&extra), -1);
    sim_run(SECONDS(3));
    for (unsigned int i = 0; i < SCHED_MAX_UNITS; i++)
        assert_true(S.su[i].total > 0);
    sched_credit.remove(&extra);            /* not known: nothing happens */
    sim_run(SECONDS(4));
}

/*
 * Credit on 2 CPUs: an idle CPU steals from the other's queue, and so does
 * one whose own queue holds only lower priorities; the stolen unit's home
 * moves.
 */
static void test_credit_steal(void **state)
{
    (void)state;
    sim_start_cpus(&sched_credit, 2);
    struct sched_unit *a = sim_add(0, 256, 0)->u, *b = sim_add(1, 256, 0)->u;
    struct sched_unit *over = sim_add(2, 256, 0)->u;
    s_time_t slice, now = 0;
    sched_credit.wake(a, now);
    sched_credit.wake(b, now);
    assert_int_equal(a->home, 0);
    assert_int_equal(b->home, 0);
    assert_ptr_equal(pick_on(0, NULL, 0, now, &slice), a);
    assert_ptr_equal(pick_on(1, NULL, 0, now, &slice), b);     /* idle CPU 1 steals b */
    assert_int_equal(b->home, 1);
    assert_int_equal(b->cpu, 1);

    /* b blocks; CPU 1 picks nothing (a runs on CPU 0: never taken from there) */
    sched_credit.sleep(b, now);
    assert_null(pick_on(1, b, 1, now, &slice));
    assert_int_equal(a->cpu, 0);

    /* an OVER unit wakes: CPU 1 is idle, so it is named before CPU 0 (a outranks it anyway) */
    over->credit = -MILLISECS(1);
    sched_credit.wake(over, now);
    assert_false(over->boosted);
    assert_int_equal(sched_credit.cpu_to_preempt(over), 1);
    assert_ptr_equal(pick_on(1, NULL, 0, now, &slice), over);

    /* b wakes boosted at home on CPU 1: CPU 1 runs the lowest priority, so it is named */
    sched_credit.wake(b, now);
    assert_int_equal(sched_credit.cpu_to_preempt(b), 1);
    assert_ptr_equal(pick_on(1, over, 1, now, &slice), b);
    /* over waits on CPU 1's queue; CPU 0 picks: a, now UNDER, beats it at home */
    now += MILLISECS(2);
    assert_ptr_equal(pick_on(0, a, MILLISECS(2), now, &slice), a);

    /* a blocks: CPU 0's queue is empty, it steals over */
    sched_credit.sleep(a, now);
    assert_ptr_equal(pick_on(0, a, 1, now, &slice), over);
    assert_int_equal(over->home, 0);

    /* a wakes boosted at home on CPU 0 while CPU 1 runs boosted b: a lower queue on CPU 1 loses to it */
    struct sched_unit *c = sim_add(3, 256, 0)->u;
    c->credit = -MILLISECS(1);
    c->home = 1;
    sched_credit.wake(c, now);                  /* OVER, on CPU 1's queue */
    sched_credit.wake(a, now);                  /* BOOST, on CPU 0's queue */
    assert_int_equal(sched_credit.cpu_to_preempt(a), 0);   /* CPU 0 runs OVER, CPU 1 BOOST */
    sched_credit.sleep(b, now);
    assert_ptr_equal(pick_on(1, b, 1, now, &slice), a);    /* c is OVER at home; a is stolen */
    assert_int_equal(a->home, 1);
}

/*
 * cpu_to_preempt on 2 CPUs: an idle CPU first (the unit's home first), else
 * the CPU running the lowest priority the woken unit outranks, else none; a
 * CPU named is not named again before it picks.
 */
static void test_credit_cpu_to_preempt(void **state)
{
    (void)state;
    sim_start_cpus(&sched_credit, 2);
    struct sched_unit *u[5];
    for (unsigned int i = 0; i < 5; i++)
        u[i] = sim_add(i, 256, 0)->u;
    s_time_t slice, now = 0;

    u[0]->home = 1;
    sched_credit.wake(u[0], now);
    assert_int_equal(sched_credit.cpu_to_preempt(u[0]), 1);    /* both idle: home */
    sched_credit.wake(u[1], now);
    assert_int_equal(sched_credit.cpu_to_preempt(u[1]), 0);    /* 1 is named: the other */
    sched_credit.wake(u[2], now);
    assert_int_equal(sched_credit.cpu_to_preempt(u[2]), -1);   /* both named */
    assert_ptr_equal(pick_on(1, NULL, 0, now, &slice), u[0]);
    assert_ptr_equal(pick_on(0, NULL, 0, now, &slice), u[1]);
    assert_int_equal(sched_credit.cpu_to_preempt(u[0]), -1);   /* it runs */

    /* CPU 1 runs u[0] as UNDER, CPU 0 u[1] as OVER (set as charging would) */
    u[0]->boosted = u[1]->boosted = false;
    u[0]->prio = 1;
    u[1]->credit = -MILLISECS(2);
    u[1]->prio = 0;
    sched_credit.wake(u[3], now);               /* boosted: outranks both, CPU 0's the lowest */
    assert_int_equal(sched_credit.cpu_to_preempt(u[3]), 0);
    sched_credit.wake(u[4], now);               /* boosted too, CPU 0 is named: CPU 1 */
    assert_int_equal(sched_credit.cpu_to_preempt(u[4]), 1);
    assert_ptr_equal(pick_on(0, u[1], 1, now, &slice), u[2]);  /* boosted, queued first */
    assert_ptr_equal(pick_on(1, u[0], 1, now, &slice), u[3]);
    /* u[2] and u[3] run boosted; an OVER waker outranks neither */
    struct sched_unit *v = sim_add(5, 256, 0)->u;
    v->credit = -MILLISECS(1);
    sched_credit.wake(v, now);
    assert_int_equal(sched_credit.cpu_to_preempt(v), -1);
}

/* Round robin on 2 CPUs: one FIFO; each CPU that picks puts its unit at the tail and takes the head. */
static void test_rr_fifo_2cpus(void **state)
{
    (void)state;
    sim_start_cpus(&sched_rr, 2);
    struct sched_unit *u[5];
    for (unsigned int i = 0; i < 5; i++)
        u[i] = sim_add(i, 256, 0)->u;
    s_time_t slice, now = 0;
    sched_rr.wake(u[3], now);
    assert_int_equal(sched_rr.cpu_to_preempt(u[3]), 0);
    sched_rr.wake(u[1], now);
    assert_int_equal(sched_rr.cpu_to_preempt(u[1]), 1);
    static const unsigned int woken[] = { 4, 0, 2 };
    for (size_t i = 0; i < UNIT_ARRAY_SIZE(woken); i++) {
        sched_rr.wake(u[woken[i]], now);
        assert_int_equal(sched_rr.cpu_to_preempt(u[woken[i]]), -1);    /* no idle CPU left */
    }
    /* queue 3 1 4 0 2: the CPUs take turns at the head, what ran going to the tail */
    struct sched_unit *prev[2] = { NULL, NULL };
    static const unsigned int order[] = { 3, 1, 4, 0, 2, 3, 1, 4, 0, 2, 3, 1 };
    for (size_t i = 0; i < UNIT_ARRAY_SIZE(order); i++) {
        unsigned int cpu = i % 2;
        prev[cpu] = pick_on(cpu, prev[cpu], prev[cpu] ? SLICE_MAX : 0, now, &slice);
        assert_ptr_equal(prev[cpu], u[order[i]]);
        if (cpu)
            now += SLICE_MAX;
    }
    /* 3 runs on CPU 0, 1 on CPU 1; 1 blocks: CPU 1 takes the head (4) */
    sched_rr.sleep(u[1], now);
    assert_ptr_equal(pick_on(1, u[1], 1, now, &slice), u[4]);
    /* everyone but 3 and 4 blocks: CPU 1's next pick keeps 4, an idle CPU is named for a waker */
    sched_rr.sleep(u[0], now);
    sched_rr.sleep(u[2], now);
    assert_ptr_equal(pick_on(1, u[4], 1, now, &slice), u[4]);
    sched_rr.sleep(u[4], now);
    assert_null(pick_on(1, u[4], 1, now, &slice));
    sched_rr.wake(u[2], now);
    assert_int_equal(sched_rr.cpu_to_preempt(u[2]), 1);
    assert_ptr_equal(pick_on(1, NULL, 0, now, &slice), u[2]);
}

/* ---- add and remove mid-run; randomized invariants ------------------------- */

#define A(t, o, s, x)   { MILLISECS(t), OP_##o, s, x }
static const struct action churn[] = {
    A(0, ADD, 0, 256), A(0, ADD, 1, 512), A(0, ADD, 2, 256), A(0, WAKE, 0, 0),
    A(0, WAKE, 1, 0), A(0, WAKE, 2, 0),
    A(1000, REMOVE_RUNNING, 0, 0),          /* the running unit goes, still runnable */
    A(1015, REMOVE, 1, 1),                  /* slept first, whether queued or running */
    A(2000, ADD, 3, 1024), A(2000, ADD, 4, 256), A(2000, WAKE, 3, 0), A(2000, WAKE, 4, 0),
    A(2500, SLEEP, 3, 0), A(3000, REMOVE, 3, 0),            /* asleep when it goes */
    A(3500, ADD, 1, 256), A(3500, WAKE, 1, 0),              /* a slot reused */
    A(3600, REMOVE_RUNNING, 0, 1), A(3700, ADD, 5, 256), A(3700, WAKE, 5, 0),
    A(3800, ADD, 6, 256), A(3800, WAKE, 6, 0), A(3900, REMOVE, 6, 0),
};

static void test_add_remove(void **state)
{
    (void)state;
    const struct sched_policy *pols[] = { &sched_credit, &sched_rr };
    for (size_t p = 0; p < UNIT_ARRAY_SIZE(pols); p++) {
        sim_start(pols[p]);
        S.acts = churn;
        S.nacts = UNIT_ARRAY_SIZE(churn);
        sim_run(SECONDS(4));
        assert_int_equal(S.next_act, S.nacts);
        s_time_t before[SCHED_MAX_UNITS], from = S.now;
        unsigned int alive = 0;
        for (unsigned int i = 0; i < S.slots; i++) {
            before[i] = S.su[i].total;
            alive += S.su[i].u != NULL;
        }
        assert_true(alive == 3 || alive == 4);  /* 4 if slot 1 was the first running one */
        sim_run(SECONDS(10));
        printf("  %-6s after the churn:", pols[p]->name);
        for (unsigned int i = 0; i < S.slots; i++) {
            double got = pct(S.su[i].total - before[i], S.now - from);
            if (!S.su[i].u) {
                assert_int_equal(S.su[i].total, before[i]);
                continue;
            }
            printf(" unit %u %.2f%%", S.su[i].u->id, got);
            if (got < 100.0 / alive - 3 || got > 100.0 / alive + 3)   /* all weight 256 now */
                fail_msg("%s: slot %u got %.2f%%", pols[p]->name, i, got);
        }
        printf("\n");
    }
}

static uint64_t rng_state;

static uint64_t rng(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint32_t rng_range(uint32_t lo, uint32_t hi)
{
    return lo + (uint32_t)(rng() % (hi - lo + 1));
}

/* Mostly within 8x of each other; one in five anywhere in 1..65535. */
static uint32_t rng_weight(void)
{
    return rng_range(0, 4) ? rng_range(128, 1024) : rng_range(1, 65535);
}

#define CHAOS_SLOTS     8
#define CHAOS_ACTIONS   1500

/* A random script: units come and go, wake and sleep, change weight and cap. */
static void chaos_script(struct action *acts, uint64_t seed)
{
    rng_state = seed;
    s_time_t t = 0;
    for (size_t i = 0; i < CHAOS_ACTIONS; i++) {
        struct action *a = &acts[i];
        t += MILLISECS(rng_range(0, 80));
        a->at = t;
        a->slot = rng_range(0, CHAOS_SLOTS - 1);
        uint32_t r = rng_range(0, 99);
        if (i < CHAOS_SLOTS) {
            a->op = OP_ADD;                 /* start with every slot taken */
            a->slot = (unsigned int)i;
            a->at = 0;
            a->arg = rng_weight();
        } else if (r < 30) {
            a->op = OP_WAKE;
        } else if (r < 55) {
            a->op = OP_SLEEP;
        } else if (r < 65) {
            a->op = OP_WEIGHT;
            a->arg = rng_weight();
        } else if (r < 75) {
            a->op = OP_CAP;
            a->arg = r < 70 ? 0 : rng_range(5, 100);
        } else if (r < 85) {
            a->op = OP_ADD;
            a->arg = rng_weight();
        } else if (r < 92) {
            a->op = OP_REMOVE;
            a->arg = r & 1;
        } else {
            a->op = OP_REMOVE_RUNNING;
            a->arg = r & 1;
        }
    }
}

/*
 * Random scripts against both policies: every pick is checked (runnable,
 * unparked, slice in (0, 30 ms], no idling while a unit can run), and no
 * runnable uncapped unit waits longer than sim_wait_bound().
 */
static void test_random_invariants(void **state)
{
    (void)state;
    static struct action acts[CHAOS_ACTIONS];
    const struct sched_policy *pols[] = { &sched_credit, &sched_rr };
    for (size_t k = 0; k < 2 * 3; k++) {
        size_t p = k % 2;
        unsigned int cpus = 1 + (unsigned int)k / 2;
        s_time_t longest = 0;
        double worst = 0;
        unsigned long picks = 0;
        for (uint64_t seed = 1; seed <= 40; seed++) {
            chaos_script(acts, seed);
            sim_start_cpus(pols[p], cpus);
            S.acts = acts;
            S.nacts = CHAOS_ACTIONS;
            /* some units are I/O bound, to take the boost paths */
            for (unsigned int i = 0; i < CHAOS_SLOTS; i += 3) {
                S.su[i].burst = MILLISECS(rng_range(1, 5));
                S.su[i].nap = MILLISECS(rng_range(1, 20));
            }
            sim_run(acts[CHAOS_ACTIONS - 1].at + SECONDS(1));
            for (unsigned int i = 0; i < S.slots; i++)
                longest = MAX(longest, S.su[i].max_gap);
            worst = MAX(worst, S.worst_wait);
            picks += S.picks;
        }
        printf("  %-6s %u CPU(s), random runs: %lu picks; longest wait of a runnable uncapped unit %.0f ms,"
               " at worst %.0f%% of its bound\n", pols[p]->name, cpus, picks,
               (double)longest / MILLISECS(1), 100 * worst);
    }
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_shares, sim_teardown),
        cmocka_unit_test_teardown(test_shares_late, sim_teardown),
        cmocka_unit_test_teardown(test_half_asleep, sim_teardown),
        cmocka_unit_test_teardown(test_wake_latency, sim_teardown),
        cmocka_unit_test_teardown(test_rr_fifo, sim_teardown),
        cmocka_unit_test_teardown(test_credit_boost, sim_teardown),
        cmocka_unit_test_teardown(test_credit_cap_parks, sim_teardown),
        cmocka_unit_test_teardown(test_credit_full, sim_teardown),
        cmocka_unit_test_teardown(test_credit_steal, sim_teardown),
        cmocka_unit_test_teardown(test_credit_cpu_to_preempt, sim_teardown),
        cmocka_unit_test_teardown(test_rr_fifo_2cpus, sim_teardown),
        cmocka_unit_test_teardown(test_add_remove, sim_teardown),
        cmocka_unit_test_teardown(test_random_invariants, sim_teardown),
    };
    return unit_run(argc, argv, "sched", tests, UNIT_ARRAY_SIZE(tests));
}
