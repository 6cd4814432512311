/*
 * Host tests of common/domain_ref.c: references (get fails on a dying
 * domain, the last put frees it), the one lookup (its -ESRCH and -EPERM
 * cases, DOMID_SELF, rights), slot reuse, and get/put racing on threads.
 */
#include <pthread.h>
#include <sched.h>
#include <hv/domain.h>
#include <public/errno.h>
#include "unit.h"

/* ---- environment of domain_ref.c --------------------------------------- */

static unsigned int freed[MAX_DOMAINS];     /* domain_free calls per slot */
static enum domain_state state_when_freed;
static char name_when_freed[DOMAIN_NAME_LEN];

void domain_free(struct domain *d)
{
    freed[d->id]++;
    state_when_freed = d->state;
    memcpy(name_when_freed, d->name, sizeof(name_when_freed));
}

static jmp_buf bug_jmp;
static bool bug_armed;
static const char *bug_what;

void domain_ref_bug(const struct domain *d, const char *what)
{
    (void)d;
    if (!bug_armed)
        fail_msg("unexpected domain_ref_bug: %s", what);
    bug_armed = false;
    bug_what = what;
    longjmp(bug_jmp, 1);
}

/* A broken ASSERT in domain_ref.c: the test fails. */
void assert_failed(const char *what, const char *file, unsigned int line)
{
    fail_msg("%s failed at %s:%u", what, file, line);
    abort();
}

/* ---- helpers --------------------------------------------------------------- */

static int reset(void **state)
{
    (void)state;
    memset(domains, 0, sizeof(domains));
    memset(freed, 0, sizeof(freed));
    return 0;
}

/* A running domain with its own reference, as domain_create leaves it. */
static struct domain *make(const char *name, unsigned int rights)
{
    struct domain *d = domain_claim_slot();
    assert_non_null(d);
    snprintf(d->name, sizeof(d->name), "%s", name);
    d->rights = rights;
    domain_publish(d);
    return d;
}

static uint32_t refs(const struct domain *d) { return d->refcnt & ~DOMAIN_REF_DYING; }

/* Stops d as domain_shutdown's destruction leaves it: memory returned, record kept. */
static void stop(struct domain *d) { d->state = DOMAIN_SHUTDOWN; }

/* ---- references ------------------------------------------------------------ */

static void test_get_put_counts(void **state)
{
    (void)state;
    struct domain *d = make("a", 0);
    assert_int_equal(refs(d), 1);
    assert_true(domain_get(d));
    assert_true(domain_get(d));
    assert_int_equal(refs(d), 3);
    domain_put(d);
    domain_put(d);
    assert_int_equal(refs(d), 1);
    assert_int_equal(d->state, DOMAIN_RUNNING);
    assert_int_equal(freed[d->id], 0);
}

static void test_get_on_dying_fails(void **state)
{
    (void)state;
    struct domain *d = make("a", 0);
    assert_true(domain_get(d));             /* someone holds it */
    stop(d);
    assert_true(domain_kill(d));
    assert_true(d->refcnt & DOMAIN_REF_DYING);
    assert_false(domain_get(d));
    assert_int_equal(refs(d), 1);           /* the failed get left no trace */
    assert_false(domain_kill(d));           /* killed once only */
    domain_put(d);
    assert_int_equal(freed[d->id], 1);
}

static void test_get_on_free_or_unpublished_slot_fails(void **state)
{
    (void)state;
    assert_false(domain_get(&domains[3]));
    struct domain *d = domain_claim_slot();
    assert_int_equal(d->state, DOMAIN_CREATING);
    assert_false(domain_get(d));
    domain_unclaim(d);
    assert_int_equal(d->state, DOMAIN_FREE);
    assert_int_equal(freed[d->id], 0);
}

static void test_last_put_frees(void **state)
{
    (void)state;
    struct domain *d = make("last", 0);
    domid_t id = d->id;
    assert_true(domain_get(d));
    assert_true(domain_get(d));
    stop(d);
    domain_kill(d);                         /* its own reference goes */
    domain_put(d);
    assert_int_equal(freed[id], 0);
    assert_int_not_equal(d->state, DOMAIN_FREE);
    domain_put(d);                          /* the last one */
    assert_int_equal(freed[id], 1);
    assert_int_equal(state_when_freed, DOMAIN_SHUTDOWN);   /* freed before the slot was given up */
    assert_int_equal(d->state, DOMAIN_FREE);
    assert_int_equal(d->refcnt, 0);
}

static void test_kill_without_holders_frees_at_once(void **state)
{
    (void)state;
    struct domain *d = make("alone", 0);
    stop(d);
    assert_true(domain_kill(d));
    assert_int_equal(freed[d->id], 1);
    assert_int_equal(d->state, DOMAIN_FREE);
}

static void test_held_reference_keeps_shut_down_domain(void **state)
{
    (void)state;
    struct domain *caller = make("dom0", DOMAIN_RIGHTS_ALL), *d = make("victim", 0), *got;
    d->shutdown_reason = 3;
    d->tot_pages = 0;
    assert_int_equal(domain_lookup(caller, d->id, DOMAIN_RIGHT_CONTROL, &got), 0);
    stop(d);
    domain_kill(d);
    /* Dying: nobody finds it any more, but the holder's struct is intact. */
    struct domain *again;
    assert_int_equal(domain_lookup(caller, d->id, DOMAIN_RIGHT_CONTROL | DOMAIN_LOOKUP_STOPPED, &again), -XEN_ESRCH);
    assert_ptr_equal(got, d);
    assert_string_equal(got->name, "victim");
    assert_int_equal(got->shutdown_reason, 3);
    assert_int_equal(got->state, DOMAIN_SHUTDOWN);
    assert_int_equal(freed[d->id], 0);
    domain_put(got);
    assert_int_equal(freed[d->id], 1);
    assert_string_equal(name_when_freed, "victim");
}

static void test_put_without_reference_is_a_bug(void **state)
{
    (void)state;
    struct domain *d = make("a", 0);
    stop(d);
    domain_kill(d);                         /* freed: no reference left */
    bug_armed = true;
    if (setjmp(bug_jmp) == 0) {
        domain_put(d);
        fail_msg("a put without a reference was not reported");
    }
    assert_contains(bug_what, "without a reference");
}

/* ---- the lookup -------------------------------------------------------------- */

struct lookup_case {
    const char *what;
    unsigned int caller_rights;
    int target;                 /* a slot, or one of the T_* below */
    unsigned int need;
    int rc;                     /* 0: found the expected domain */
};

#define T_SELF      -1          /* the caller's own numeric id */
#define T_DOMID_SELF -2
#define T_FREE      -3          /* a slot never used */
#define T_RANGE     -4          /* MAX_DOMAINS */
#define T_HIGH      -5          /* 0x7fef, the last ordinary domid */
#define T_DYING     -6          /* killed, still held by someone */
#define T_STOPPED   -7          /* shut down, not yet killed */
#define T_CREATING  -8          /* claimed, not yet published */
#define T_OTHER     -9          /* another running domain */

static const struct lookup_case lookups[] = {
    { "other, with CONTROL", DOMAIN_RIGHT_CONTROL, T_OTHER, DOMAIN_RIGHT_CONTROL, 0 },
    { "other, without CONTROL", DOMAIN_RIGHT_IOMEM, T_OTHER, DOMAIN_RIGHT_CONTROL, -XEN_EPERM },
    { "other, one of two rights", DOMAIN_RIGHT_IOMEM, T_OTHER, DOMAIN_RIGHT_CONTROL | DOMAIN_RIGHT_IOMEM, -XEN_EPERM },
    { "other, no right needed", 0, T_OTHER, 0, 0 },
    { "unknown id, with CONTROL", DOMAIN_RIGHT_CONTROL, T_FREE, DOMAIN_RIGHT_CONTROL, -XEN_ESRCH },
    { "unknown id, without CONTROL: nothing learnt", 0, T_FREE, DOMAIN_RIGHT_CONTROL, -XEN_EPERM },
    { "out of range", DOMAIN_RIGHTS_ALL, T_RANGE, DOMAIN_RIGHT_CONTROL, -XEN_ESRCH },
    { "highest domid", DOMAIN_RIGHTS_ALL, T_HIGH, DOMAIN_RIGHT_CONTROL, -XEN_ESRCH },
    { "out of range, no right needed", 0, T_RANGE, 0, -XEN_ESRCH },
    { "dying", DOMAIN_RIGHTS_ALL, T_DYING, DOMAIN_RIGHT_CONTROL, -XEN_ESRCH },
    { "dying, stopped ones wanted", DOMAIN_RIGHTS_ALL, T_DYING, DOMAIN_RIGHT_CONTROL | DOMAIN_LOOKUP_STOPPED,
      -XEN_ESRCH },
    { "half-built", DOMAIN_RIGHTS_ALL, T_CREATING, DOMAIN_RIGHT_CONTROL | DOMAIN_LOOKUP_STOPPED, -XEN_ESRCH },
    { "stopped", DOMAIN_RIGHTS_ALL, T_STOPPED, DOMAIN_RIGHT_CONTROL, -XEN_ESRCH },
    { "stopped, stopped ones wanted", DOMAIN_RIGHTS_ALL, T_STOPPED, DOMAIN_RIGHT_CONTROL | DOMAIN_LOOKUP_STOPPED, 0 },
    { "self by id, no rights", 0, T_SELF, DOMAIN_RIGHT_CONTROL | DOMAIN_RIGHT_IOMEM, 0 },
    { "self by id, rights needed on self", 0, T_SELF, DOMAIN_RIGHT_CONTROL | DOMAIN_LOOKUP_RIGHTS_ON_SELF,
      -XEN_EPERM },
    { "self by id, rights needed on self and held", DOMAIN_RIGHT_CONTROL, T_SELF,
      DOMAIN_RIGHT_CONTROL | DOMAIN_LOOKUP_RIGHTS_ON_SELF, 0 },
    { "DOMID_SELF accepted", 0, T_DOMID_SELF, DOMAIN_RIGHT_CONTROL | DOMAIN_LOOKUP_SELF_ID, 0 },
    { "DOMID_SELF not accepted", DOMAIN_RIGHTS_ALL, T_DOMID_SELF, DOMAIN_RIGHT_CONTROL, -XEN_ESRCH },
    { "DOMID_SELF not accepted, no rights", 0, T_DOMID_SELF, DOMAIN_RIGHT_CONTROL, -XEN_EPERM },
    { "DOMID_SELF, rights needed on self", 0, T_DOMID_SELF,
      DOMAIN_RIGHT_IRQ | DOMAIN_LOOKUP_SELF_ID | DOMAIN_LOOKUP_RIGHTS_ON_SELF, -XEN_EPERM },
};

/* Each case through domain_lookup, then through domain_lookup_held: the same answers, no reference on self. */
static void test_lookup_table(void **state)
{
    for (size_t k = 0; k < 2 * UNIT_ARRAY_SIZE(lookups); k++) {
        size_t i = k % UNIT_ARRAY_SIZE(lookups);
        bool held = k >= UNIT_ARRAY_SIZE(lookups);
        const struct lookup_case *c = &lookups[i];
        reset(state);
        struct domain *caller = make("caller", c->caller_rights);
        struct domain *other = make("other", 0);
        struct domain *dying = make("dying", 0);
        struct domain *stopped = make("stopped", 0);
        struct domain *creating = domain_claim_slot();
        assert_true(domain_get(dying));
        stop(dying);
        domain_kill(dying);
        stop(stopped);

        domid_t id;
        struct domain *want = NULL;
        switch (c->target) {
        case T_SELF: id = caller->id; want = caller; break;
        case T_DOMID_SELF: id = DOMID_SELF; want = caller; break;
        case T_FREE: id = MAX_DOMAINS - 1; break;
        case T_RANGE: id = MAX_DOMAINS; break;
        case T_HIGH: id = 0x7fef; break;
        case T_DYING: id = dying->id; break;
        case T_STOPPED: id = stopped->id; want = stopped; break;
        case T_CREATING: id = creating->id; break;
        default: id = other->id; want = other; break;
        }
        uint32_t before = want ? refs(want) : 0;
        struct domain *got = (struct domain *)0x1;
        int rc = held ? domain_lookup_held(caller, id, c->need, &got) : domain_lookup(caller, id, c->need, &got);
        const char *how = held ? "held" : "counted";
        if (rc != c->rc)
            fail_msg("%s (%s): rc %d, want %d", c->what, how, rc, c->rc);
        if (rc == 0) {
            if (got != want)
                fail_msg("%s (%s): found slot %td, want %td", c->what, how, got - domains, want - domains);
            uint32_t want_refs = before + (held && got == caller ? 0 : 1);
            if (refs(got) != want_refs)
                fail_msg("%s (%s): %u references, want %u", c->what, how, refs(got), want_refs);
            if (held)
                domain_put_held(caller, got);
            else
                domain_put(got);
        } else if (got != (struct domain *)0x1) {
            fail_msg("%s: *out written on failure", c->what);
        }
        /* Whatever happened, no reference leaked and nothing was freed. */
        assert_int_equal(refs(caller), 1);
        assert_int_equal(refs(other), 1);
        assert_int_equal(refs(stopped), 1);
        assert_int_equal(refs(dying), 1);
        assert_int_equal(freed[dying->id], 0);
        domain_put(dying);
        assert_int_equal(freed[dying->id], 1);
    }
}

/* A caller that has shut down finds itself only when stopped domains are wanted, held or not. */
static void test_lookup_stopped_self(void **state)
{
    reset(state);
    struct domain *caller = make("caller", DOMAIN_RIGHTS_ALL), *got = NULL;
    stop(caller);
    assert_int_equal(domain_lookup(caller, DOMID_SELF, DOMAIN_LOOKUP_SELF_ID, &got), -XEN_ESRCH);
    assert_int_equal(domain_lookup_held(caller, DOMID_SELF, DOMAIN_LOOKUP_SELF_ID, &got), -XEN_ESRCH);
    assert_int_equal(domain_lookup_held(caller, caller->id, DOMAIN_LOOKUP_STOPPED, &got), 0);
    assert_ptr_equal(got, caller);
    assert_int_equal(refs(caller), 1);
    domain_put_held(caller, got);
    assert_int_equal(refs(caller), 1);
}

/* ---- slots --------------------------------------------------------------------- */

static void test_slot_reused_after_last_put_not_before(void **state)
{
    (void)state;
    struct domain *all[MAX_DOMAINS];
    for (unsigned int i = 0; i < MAX_DOMAINS; i++)
        all[i] = make("x", 0);
    assert_null(domain_claim_slot());

    struct domain *d = all[5];
    d->tot_pages = 77;
    assert_true(domain_get(d));
    stop(d);
    domain_kill(d);
    assert_null(domain_claim_slot());       /* dying but held: the slot is not free */
    domain_put(d);
    struct domain *n = domain_claim_slot();
    assert_ptr_equal(n, d);
    assert_int_equal(n->id, 5);
    assert_int_equal(n->tot_pages, 0);      /* a fresh domain, nothing of the old one */
    assert_int_equal(n->name[0], 0);
    assert_int_equal(n->refcnt, 0);
    assert_null(domain_claim_slot());
    n->rights = DOMAIN_RIGHT_CONTROL;
    domain_publish(n);
    assert_int_equal(refs(n), 1);
    assert_int_equal(n->state, DOMAIN_RUNNING);
}

static void test_claim_takes_lowest_free_slot(void **state)
{
    (void)state;
    struct domain *a = make("a", 0), *b = make("b", 0);
    assert_int_equal(a->id, 0);
    assert_int_equal(b->id, 1);
    stop(a);
    domain_kill(a);
    assert_int_equal(make("c", 0)->id, 0);
}

/* ---- races: get/put/lookup on several threads while the domain is killed -------------- */

#define RACERS      4
#define RACE_MISSES 2000            /* lookups each racer makes after it first finds the domain gone */

static struct domain *race_caller, *race_target;
static unsigned long race_found[RACERS];
static unsigned long race_hits;     /* atomic: lookups that found it, over all racers */

/* Looks the domain up and puts it again until it has been gone for RACE_MISSES tries. */
static void *racer(void *arg)
{
    unsigned long *found = arg;
    unsigned int misses = 0;
    while (misses < RACE_MISSES) {
        struct domain *d;
        if (domain_lookup(race_caller, race_target->id, DOMAIN_RIGHT_CONTROL | DOMAIN_LOOKUP_STOPPED, &d)) {
            misses++;
            continue;
        }
        /* Held: its slot cannot be freed (nor reused) under us. */
        if (__atomic_load_n(&d->state, __ATOMIC_RELAXED) == DOMAIN_FREE || __atomic_load_n(&freed[d->id], __ATOMIC_RELAXED))
            fail_msg("a held domain was freed");
        (*found)++;
        __atomic_fetch_add(&race_hits, 1, __ATOMIC_RELAXED);
        domain_put(d);
    }
    return NULL;
}

static void test_race_kill_against_lookups(void **state)
{
    for (unsigned int round = 0; round < 20; round++) {
        reset(state);
        race_caller = make("dom0", DOMAIN_RIGHTS_ALL);
        race_target = make("target", 0);
        stop(race_target);
        __atomic_store_n(&race_hits, 0, __ATOMIC_RELAXED);
        pthread_t t[RACERS];
        for (unsigned int i = 0; i < RACERS; i++) {
            race_found[i] = 0;
            assert_int_equal(pthread_create(&t[i], NULL, racer, &race_found[i]), 0);
        }
        /* The kill lands among the lookups: after some found the domain, while they go on. */
        while (__atomic_load_n(&race_hits, __ATOMIC_RELAXED) < 100 + round * 200)
            sched_yield();
        domain_kill(race_target);
        unsigned long found = 0;
        for (unsigned int i = 0; i < RACERS; i++) {
            pthread_join(t[i], NULL);
            found += race_found[i];
        }
        /* Freed exactly once, by whichever put was last, and the slot is free again. */
        assert_true(found >= 100 + round * 200);
        assert_int_equal(freed[race_target->id], 1);
        assert_int_equal(race_target->state, DOMAIN_FREE);
        assert_int_equal(race_target->refcnt, 0);
        assert_int_equal(refs(race_caller), 1);
    }
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_get_put_counts, reset),
        cmocka_unit_test_setup(test_get_on_dying_fails, reset),
        cmocka_unit_test_setup(test_get_on_free_or_unpublished_slot_fails, reset),
        cmocka_unit_test_setup(test_last_put_frees, reset),
        cmocka_unit_test_setup(test_kill_without_holders_frees_at_once, reset),
        cmocka_unit_test_setup(test_held_reference_keeps_shut_down_domain, reset),
        cmocka_unit_test_setup(test_put_without_reference_is_a_bug, reset),
        cmocka_unit_test_setup(test_lookup_table, reset),
        cmocka_unit_test_setup(test_lookup_stopped_self, reset),
        cmocka_unit_test_setup(test_slot_reused_after_last_put_not_before, reset),
        cmocka_unit_test_setup(test_claim_takes_lowest_free_slot, reset),
        cmocka_unit_test_setup(test_race_kill_against_lookups, reset),
    };
    return unit_run(argc, argv, "domain_ref", tests, UNIT_ARRAY_SIZE(tests));
}
