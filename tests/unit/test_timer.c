/*
 * Host tests of common/timer.c on one CPU with a clock the test moves:
 * timers fire in expiry order and only once expired, a callback may re-arm
 * its own timer, stop_timer takes a timer off, kill_timer keeps it off
 * (set_timer does nothing until init_timer), and a periodic timer that
 * fell far behind drops the missed periods instead of firing back to back
 * (the livelock smp-4cpu hit under host load).
 */
#include <hv/timer.h>
#include "unit.h"

/* ---- environment of timer.c ------------------------------------------- */

static s_time_t now;
static s_time_t programmed;             /* last arch_timer_program deadline */

s_time_t NOW(void) { return now; }
void arch_timer_program(s_time_t when) { programmed = when; }

/* ---- helpers ----------------------------------------------------------- */

static unsigned int fired[4];
static char order[16];
static unsigned int norder;

static void record(void *data)
{
    unsigned int i = (unsigned int)(uintptr_t)data;
    fired[i]++;
    if (norder < sizeof(order) - 1)
        order[norder++] = (char)('a' + i);
}

static struct timer periodic;
static const s_time_t PERIOD = MILLISECS(10);

static void periodic_fn(void *data)
{
    record(data);
    set_timer_periodic(&periodic, PERIOD);
}

static int reset(void **state)
{
    (void)state;
    memset(fired, 0, sizeof(fired));
    memset(order, 0, sizeof(order));
    norder = 0;
    now = SECONDS(1);
    return 0;
}

/* ---- cases --------------------------------------------------------------- */

static void fires_in_expiry_order_once_expired(void **state)
{
    (void)state;
    struct timer t[3];
    for (unsigned int i = 0; i < 3; i++)
        init_timer(&t[i], record, (void *)(uintptr_t)i);
    set_timer(&t[0], now + 300);
    set_timer(&t[1], now + 100);
    set_timer(&t[2], now + 200);
    assert_int_equal(programmed, now + 100);        /* the hardware holds the earliest */
    now += 150;
    timer_interrupt_run();
    assert_string_equal(order, "b");
    assert_int_equal(programmed, now + 50);
    now += 1000;
    timer_interrupt_run();
    assert_string_equal(order, "bca");
    assert_false(t[0].active || t[1].active || t[2].active);
}

static void stopped_timer_does_not_fire(void **state)
{
    (void)state;
    struct timer t;
    init_timer(&t, record, (void *)0);
    set_timer(&t, now + 10);
    stop_timer(&t);
    now += 100;
    timer_interrupt_run();
    assert_int_equal(fired[0], 0);
}

/* A stopped vCPU's hypercall on another CPU arming its timer after the stop: killed, nothing is armed. */
static void killed_timer_stays_off_until_init(void **state)
{
    (void)state;
    struct timer t;
    init_timer(&t, record, (void *)0);
    set_timer(&t, now + 10);
    kill_timer(&t);
    set_timer(&t, now + 20);
    assert_false(t.active);
    now += 100;
    timer_interrupt_run();
    assert_int_equal(fired[0], 0);
    init_timer(&t, record, (void *)0);             /* the slot's next vCPU */
    set_timer(&t, now + 10);
    assert_true(t.active);
    now += 100;
    timer_interrupt_run();
    assert_int_equal(fired[0], 1);
}

static void killed_periodic_does_not_rearm(void **state)
{
    (void)state;
    init_timer(&periodic, periodic_fn, (void *)1);
    set_timer(&periodic, now + PERIOD);
    kill_timer(&periodic);
    set_timer_periodic(&periodic, PERIOD);          /* what its callback would do */
    assert_false(periodic.active);
    now += SECONDS(1);
    timer_interrupt_run();
    assert_int_equal(fired[1], 0);
}

static void periodic_keeps_its_phase_when_on_time(void **state)
{
    (void)state;
    init_timer(&periodic, periodic_fn, (void *)1);
    set_timer(&periodic, now + PERIOD);
    s_time_t first = periodic.expires;
    now = first + MILLISECS(3);                     /* a little late */
    timer_interrupt_run();
    assert_int_equal(fired[1], 1);
    assert_int_equal(periodic.expires, first + PERIOD);    /* not now + PERIOD: no drift */
    stop_timer(&periodic);
}

static void periodic_drops_missed_periods(void **state)
{
    (void)state;
    init_timer(&periodic, periodic_fn, (void *)1);
    set_timer(&periodic, now + PERIOD);
    now += SECONDS(100);                            /* the machine was starved */
    timer_interrupt_run();
    assert_int_equal(fired[1], 1);                  /* once, not 10,000 times */
    assert_int_equal(periodic.expires, now + PERIOD);
    stop_timer(&periodic);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(fires_in_expiry_order_once_expired, reset),
        cmocka_unit_test_setup(stopped_timer_does_not_fire, reset),
        cmocka_unit_test_setup(killed_timer_stays_off_until_init, reset),
        cmocka_unit_test_setup(killed_periodic_does_not_rearm, reset),
        cmocka_unit_test_setup(periodic_keeps_its_phase_when_on_time, reset),
        cmocka_unit_test_setup(periodic_drops_missed_periods, reset),
    };
    return unit_run(argc, argv, "timer", tests, UNIT_ARRAY_SIZE(tests));
}
