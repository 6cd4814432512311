/* System time: nanoseconds since boot, from the TSC scaled as pvclock does. */
#ifndef HV_TIME_H
#define HV_TIME_H

#include <hv/lib.h>

typedef int64_t s_time_t;           /* nanoseconds */
#define MILLISECS(ms)   ((s_time_t)(ms) * 1000000)
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

/* Monotonic nanoseconds since the TSC was calibrated (0 before). */
s_time_t NOW(void);
uint64_t cpu_khz(void);

#endif
