/*
 * Host tests of common/rangeset.c: the set against a bitmap oracle over
 * seeded random adds and removes (sorted, disjoint, never adjacent after
 * every step; a full set refuses without changing), and the edges 0 and
 * UINT32_MAX.
 */
#include <hv/rangeset.h>
#include <public/errno.h>
#include "unit.h"

#define UNIVERSE 96

static bool oracle[UNIVERSE];

static void check_shape(const struct rangeset *s)
{
    for (unsigned int i = 0; i < s->nr; i++) {
        assert_true(s->r[i].first <= s->r[i].last);
        if (i)
            assert_true(s->r[i - 1].last + 1 < s->r[i].first);
    }
}

static void check_against_oracle(const struct rangeset *s)
{
    check_shape(s);
    for (uint32_t p = 0; p < UNIVERSE; p++)
        assert_int_equal(rangeset_contains(s, p, p), oracle[p]);
    /* A range is contained only if every member is. */
    for (uint32_t f = 0; f < UNIVERSE; f += 7)
        for (uint32_t l = f; l < UNIVERSE && l < f + 9; l++) {
            bool all = true;
            for (uint32_t p = f; p <= l; p++)
                all &= oracle[p];
            assert_int_equal(rangeset_contains(s, f, l), all);
        }
}

static void test_random_against_oracle(void **state)
{
    (void)state;
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (unsigned int round = 0; round < 200; round++) {
        struct rangeset s;
        rangeset_init(&s);
        memset(oracle, 0, sizeof(oracle));
        for (unsigned int step = 0; step < 60; step++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            uint32_t f = (uint32_t)(x >> 33) % UNIVERSE, n = (uint32_t)(x >> 20) % 6 + 1;
            uint32_t l = f + n - 1 < UNIVERSE ? f + n - 1 : UNIVERSE - 1;
            bool add = (x >> 60) & 1;
            struct rangeset before = s;
            int rc = add ? rangeset_add(&s, f, l) : rangeset_remove(&s, f, l);
            if (rc) {
                assert_int_equal(rc, -XEN_ENOMEM);
                assert_int_equal(s.nr, RANGESET_MAX);
                assert_memory_equal(&s, &before, sizeof(s));
            } else {
                for (uint32_t p = f; p <= l; p++)
                    oracle[p] = add;
            }
            check_against_oracle(&s);
        }
    }
}

static void test_edges(void **state)
{
    (void)state;
    struct rangeset s;
    rangeset_init(&s);
    assert_false(rangeset_contains(&s, 0, 0));
    assert_int_equal(rangeset_add(&s, 0, UINT32_MAX), 0);
    assert_true(rangeset_contains(&s, 0, UINT32_MAX));
    assert_int_equal(rangeset_remove(&s, 0, 0), 0);
    assert_int_equal(rangeset_remove(&s, UINT32_MAX, UINT32_MAX), 0);
    assert_int_equal(s.nr, 1);
    assert_int_equal(s.r[0].first, 1);
    assert_int_equal(s.r[0].last, UINT32_MAX - 1);
    assert_int_equal(rangeset_add(&s, UINT32_MAX, UINT32_MAX), 0);
    assert_int_equal(rangeset_add(&s, 0, 0), 0);
    assert_int_equal(s.nr, 1);
    assert_true(rangeset_contains(&s, 0, UINT32_MAX));
    /* dom0's shape: everything but a few holes. */
    rangeset_init(&s);
    assert_int_equal(rangeset_add(&s, 0, 0xffff), 0);
    assert_int_equal(rangeset_remove(&s, 0x20, 0x21), 0);
    assert_int_equal(rangeset_remove(&s, 0x40, 0x43), 0);
    assert_int_equal(s.nr, 3);
    assert_true(rangeset_contains(&s, 0x22, 0x3f));
    assert_false(rangeset_contains(&s, 0x1f, 0x20));
    assert_false(rangeset_contains(&s, 0x43, 0x44));
    assert_true(rangeset_contains(&s, 0x44, 0xffff));
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_against_oracle),
        cmocka_unit_test(test_edges),
    };
    return unit_run(argc, argv, "rangeset", tests, UNIT_ARRAY_SIZE(tests));
}
