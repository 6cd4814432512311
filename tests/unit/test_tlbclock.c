/*
 * Host tests of common/tlbclock.c, the TLB-flush clock's filter: which CPUs
 * may still cache a translation removed at a stamp.
 */
#include <hv/tlbclock.h>
#include "unit.h"

/* Every CPU flushes now; returns the clock after. */
static uint64_t all_flush(void)
{
    for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++)
        tlbclock_flushed(cpu, tlbclock_tick());
    return tlbclock_now();
}

static const cpumask_t all = (1ull << NR_CPUS) - 1;

/* A frame never stamped (0) names no CPU, not even one that never flushed. */
static void test_never_stamped(void **state)
{
    (void)state;
    assert_int_equal(tlbclock_filter(all, 0), 0);
    assert_int_equal(tlbclock_filter(~0ull, 0), 0);
    assert_true(tlbclock_now() >= 1);
}

/* A CPU that never flushed (time 0) may hold anything: named for any stamp. */
static void test_never_flushed(void **state)
{
    (void)state;
    all_flush();
    tlbclock_time[3] = 0;
    assert_int_equal(tlbclock_filter(all, 1), cpumask_of(3));
    /* A stamp read now names every CPU: each one's last flush may predate the store. */
    assert_int_equal(tlbclock_filter(all, tlbclock_now()), all);
    tlbclock_flushed(3, tlbclock_tick());
    assert_int_equal(tlbclock_filter(all, 1), 0);
}

/* Named iff the CPU's last flush ticked at or before the stamp; only CPUs of the mask, none past NR_CPUS. */
static void test_filter(void **state)
{
    (void)state;
    all_flush();
    uint64_t stamp = tlbclock_now();                /* a translation removed now */
    assert_int_equal(tlbclock_filter(all, stamp), all);
    assert_int_equal(tlbclock_filter(cpumask_of(2) | cpumask_of(5), stamp), cpumask_of(2) | cpumask_of(5));
    assert_int_equal(tlbclock_filter(~all, stamp), 0);

    tlbclock_flushed(2, tlbclock_tick());           /* CPU 2 flushed after the removal */
    assert_int_equal(tlbclock_filter(all, stamp), all & ~cpumask_of(2));

    /* CPU 4 ticked before the stamp was read but recorded after: still named (its flush may predate the store). */
    uint64_t t = tlbclock_tick();
    uint64_t stamp2 = tlbclock_now();
    tlbclock_flushed(4, t);
    assert_true(tlbclock_filter(all, stamp2) & cpumask_of(4));
    assert_true(tlbclock_filter(all, stamp2) & cpumask_of(2));      /* its flush predates this removal */

    /* A stamp older than every CPU's flush names none. */
    uint64_t old = tlbclock_now();
    all_flush();
    assert_int_equal(tlbclock_filter(all, old), 0);
    assert_int_equal(tlbclock_filter(all, stamp), 0);
}

/* The clock only moves forward, one per flush; a stamp is the clock read, not a tick. */
static void test_clock(void **state)
{
    (void)state;
    uint64_t a = tlbclock_now();
    assert_int_equal(tlbclock_now(), a);
    assert_int_equal(tlbclock_tick(), a + 1);
    assert_int_equal(tlbclock_now(), a + 1);
    struct page_info pg = { 0 };
    tlbclock_stamp(&pg);
    assert_int_equal(pg.tlbflush_stamp, a + 1);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_never_stamped),
        cmocka_unit_test(test_never_flushed),
        cmocka_unit_test(test_filter),
        cmocka_unit_test(test_clock),
    };
    return unit_run(argc, argv, "tlbclock", tests, UNIT_ARRAY_SIZE(tests));
}
