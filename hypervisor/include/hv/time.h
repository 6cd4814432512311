/* System time: nanoseconds since boot, from the TSC scaled as pvclock does. */
#ifndef HV_TIME_H
#define HV_TIME_H

#include <hv/lib.h>

typedef int64_t s_time_t;           /* nanoseconds */
#define MILLISECS(ms)   ((s_time_t)(ms) * 1000000)
#define MICROSECS(us)   ((s_time_t)(us) * 1000)
#define SECONDS(s)      ((s_time_t)(s) * 1000000000)

/*
 * ns = ((ticks << shift) * mul_frac) >> 32, shifting right for a negative
 * shift: the same form as the tsc_to_system_mul/tsc_shift pair guests get
 * in vcpu_time_info, so one scale serves both.
 */
struct time_scale {
    uint32_t mul_frac;
    int8_t shift;
};

/* Sets ts so that ticks_per_sec ticks scale to one second; ticks_per_sec > 0. */
void set_time_scale(struct time_scale *ts, uint64_t ticks_per_sec);
uint64_t scale_delta(uint64_t ticks, const struct time_scale *ts);

#define ONESHOT_MIN_NS      1000            /* a deadline due now is programmed a microsecond away */
#define ONESHOT_MAX_COUNT   0xffffffffu     /* the 32-bit counter's range */
/*
 * The one-shot timer's initial count for deadline `when` at time `now`, with
 * ticks_per_ns in 32.32 fixed point. Any s_time_t is valid: one at or before
 * now (however negative) is due and gets the minimum; one beyond the
 * counter's range gets its maximum (the interrupt comes early and the timer
 * code reprograms). Never 0, which would stop the timer.
 */
uint32_t oneshot_count(s_time_t when, s_time_t now, uint64_t ticks_per_ns);

/* Monotonic nanoseconds since the TSC was calibrated (0 before). */
s_time_t NOW(void);
uint64_t cpu_khz(void);
/* A span of TSC ticks in nanoseconds at the calibrated rate (0 before calibration). */
s_time_t tsc_ticks_to_ns(uint64_t ticks);

#endif
