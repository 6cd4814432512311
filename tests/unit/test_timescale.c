/* Host tests of hypervisor/common/timescale.c: tick-to-nanosecond scaling. */
#include <hv/time.h>
#include "unit.h"

static const uint64_t rates[] = {
    1000000ull,         /* 1 MHz */
    1193182ull,         /* the PIT */
    62500000ull,        /* 62.5 MHz */
    1000000000ull,      /* 1 GHz */
    2600000000ull,      /* 2.6 GHz */
    3999000000ull,      /* 3.999 GHz */
    10000000000ull,     /* 10 GHz */
};

/* floor(ticks * 1e9 / rate), exactly */
static uint64_t exact_ns(uint64_t ticks, uint64_t rate)
{
    return (uint64_t)((unsigned __int128)ticks * 1000000000u / rate);
}

/*
 * How far below the exact value scale_delta may be. It never overshoots: every
 * step rounds down. The losses: mul_frac is floor(2^32 * r) with r in [1/2, 1),
 * so it is at most 2^-32 short of a value at least 2^31 * 2^-32, a relative
 * error under 2^-31 (0.47 ppb); a negative shift drops under 2^-shift ticks,
 * which for the rates here is under 1 ns (2^|shift| ticks < 1 ns * 2); and the
 * final >> 32 drops under 1 ns. So exact - got <= exact / 2^31 + 2 ns: for one
 * second that is 2.5 ns (0.0025 ppm), far inside the 1 ppm asked of a clock.
 */
static uint64_t allowed_error(uint64_t exact)
{
    return (exact >> 31) + 2;
}

static void test_one_second(void **state)
{
    (void)state;
    for (size_t i = 0; i < UNIT_ARRAY_SIZE(rates); i++) {
        struct time_scale ts;
        set_time_scale(&ts, rates[i]);
        uint64_t ns = scale_delta(rates[i], &ts);
        if (ns > 1000000000ull || 1000000000ull - ns > 3)
            fail_msg("%llu Hz: one second is %llu ns (mul_frac %#x shift %d)",
                     (unsigned long long)rates[i], (unsigned long long)ns, ts.mul_frac, ts.shift);
        /* 1 ppm of a second is 1000 ns: the bound above is much tighter */
        assert_true(1000000000ull - ns <= 1000);
    }
}

static void test_normalised(void **state)
{
    (void)state;
    for (size_t i = 0; i < UNIT_ARRAY_SIZE(rates); i++) {
        struct time_scale ts;
        set_time_scale(&ts, rates[i]);
        if (!(ts.mul_frac & 0x80000000u))
            fail_msg("%llu Hz: mul_frac %#x is not normalised", (unsigned long long)rates[i],
                     ts.mul_frac);
        /* the pair means mul_frac * 2^shift / 2^32 ns a tick, against 1e9 / rate:
           compare mul_frac * 2^shift * rate with 1e9 * 2^32, both scaled to integers */
        int sh = ts.shift;
        unsigned __int128 got = (unsigned __int128)ts.mul_frac * rates[i] << (sh > 0 ? sh : 0);
        unsigned __int128 want = (unsigned __int128)1000000000u << 32 << (sh < 0 ? -sh : 0);
        assert_true(got <= want);
        assert_true(want - got < want >> 31);
    }
    /* 1 GHz is exactly one nanosecond a tick */
    struct time_scale ts;
    set_time_scale(&ts, 1000000000ull);
    assert_int_equal(ts.mul_frac, 0x80000000u);
    assert_int_equal(ts.shift, 1);
}

/* Durations from a tick to a day, within the error bound and never over. */
static void test_accuracy(void **state)
{
    (void)state;
    static const uint64_t seconds_x1000[] = { 0, 1, 10, 999, 1000, 60000, 3600000, 86400000 };
    for (size_t i = 0; i < UNIT_ARRAY_SIZE(rates); i++) {
        struct time_scale ts;
        set_time_scale(&ts, rates[i]);
        assert_int_equal(scale_delta(0, &ts), 0);
        for (uint64_t t = 1; t < 5000; t += 7) {
            uint64_t want = exact_ns(t, rates[i]), got = scale_delta(t, &ts);
            assert_true(got <= want && want - got <= allowed_error(want));
        }
        for (size_t j = 0; j < UNIT_ARRAY_SIZE(seconds_x1000); j++) {
            uint64_t t = (uint64_t)((unsigned __int128)rates[i] * seconds_x1000[j] / 1000);
            uint64_t want = exact_ns(t, rates[i]), got = scale_delta(t, &ts);
            if (got > want || want - got > allowed_error(want))
                fail_msg("%llu Hz, %llu ticks: %llu ns, want %llu", (unsigned long long)rates[i],
                         (unsigned long long)t, (unsigned long long)got, (unsigned long long)want);
        }
    }
}

static uint64_t rng_state = 0x243f6a8885a308d3ull;
static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* More ticks never give fewer nanoseconds: neighbours, and random pairs up to a year. */
static void test_monotonic(void **state)
{
    (void)state;
    for (size_t i = 0; i < UNIT_ARRAY_SIZE(rates); i++) {
        struct time_scale ts;
        set_time_scale(&ts, rates[i]);
        static const uint64_t starts[] = { 0, 1000, 1ull << 20, 1ull << 32, 1ull << 40 };
        for (size_t s = 0; s < UNIT_ARRAY_SIZE(starts); s++) {
            uint64_t prev = scale_delta(starts[s], &ts);
            for (uint64_t t = starts[s] + 1; t < starts[s] + 20000; t++) {
                uint64_t ns = scale_delta(t, &ts);
                if (ns < prev)
                    fail_msg("%llu Hz: %llu ticks give %llu ns, one fewer gave %llu",
                             (unsigned long long)rates[i], (unsigned long long)t,
                             (unsigned long long)ns, (unsigned long long)prev);
                prev = ns;
            }
        }
        uint64_t year = rates[i] * 366 * 86400;
        for (int k = 0; k < 20000; k++) {
            uint64_t a = rng() % year, b = rng() % year;
            if (a > b) {
                uint64_t x = a;
                a = b;
                b = x;
            }
            assert_true(scale_delta(a, &ts) <= scale_delta(b, &ts));
            uint64_t want = exact_ns(b, rates[i]), got = scale_delta(b, &ts);
            assert_true(got <= want && want - got <= allowed_error(want));
        }
    }
}

/* One-shot counts for any deadline: due ones get the minimum, none wraps, the far ones are clamped. */
static void test_oneshot_count(void **state)
{
    (void)state;
    const uint64_t mult = (62500000ull << 32) / 1000000000u;   /* 62.5 MHz: 1/16 tick per ns */
    const uint32_t min = (uint32_t)((ONESHOT_MIN_NS * mult) >> 32), max = ONESHOT_MAX_COUNT;
    const struct {
        const char *name;
        s_time_t when, now;
        uint64_t mult;
        uint32_t want;
    } rows[] = {
        { "1 ms away", MILLISECS(1001), SECONDS(1), mult, 62500 },
        { "just inside the counter", SECONDS(1) + 68719476704ll, SECONDS(1), mult, 0xfffffffeu },
        { "just past the counter", SECONDS(1) + 68719476736ll, SECONDS(1), mult, max },
        { "INT64_MAX", INT64_MAX, SECONDS(1), mult, max },
        { "INT64_MAX from INT64_MIN", INT64_MAX, INT64_MIN, mult, max },
        { "now", SECONDS(1), SECONDS(1), mult, min },
        { "in the past", 5, SECONDS(1), mult, min },
        { "0", 0, SECONDS(1), mult, min },
        { "-1", -1, SECONDS(1), mult, min },
        { "2^63 + 1 as s_time_t (once a 68.7 s wait)", INT64_MIN + 1, SECONDS(1), mult, min },
        { "INT64_MIN", INT64_MIN, SECONDS(1), mult, min },
        { "INT64_MIN at INT64_MAX", INT64_MIN, INT64_MAX, mult, min },
        { "a rate too slow for one tick", SECONDS(2), SECONDS(1), 1, 1 },
        { "the largest rate", INT64_MAX, INT64_MIN, UINT64_MAX, max },
    };
    for (size_t r = 0; r < UNIT_ARRAY_SIZE(rows); r++) {
        uint32_t got = oneshot_count(rows[r].when, rows[r].now, rows[r].mult);
        if (got != rows[r].want)
            fail_msg("%s: count %#x, want %#x", rows[r].name, got, rows[r].want);
    }
    assert_true(min > 0);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_second),
        cmocka_unit_test(test_normalised),
        cmocka_unit_test(test_accuracy),
        cmocka_unit_test(test_monotonic),
        cmocka_unit_test(test_oneshot_count),
    };
    return unit_run(argc, argv, "timescale", tests, UNIT_ARRAY_SIZE(tests));
}
