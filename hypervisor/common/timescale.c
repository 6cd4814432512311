/* Fixed-point scaling between ticks and nanoseconds (pvclock form, one-shot counts); pure, host-tested. */
#include <hv/time.h>

void set_time_scale(struct time_scale *ts, uint64_t ticks_per_sec)
{
    uint64_t num = 1000000000ull, den = ticks_per_sec;
    int shift = 0;

    /* Bring num/den into [1/2, 1); the shift carries the power of two. */
    while (num >= den) {
        den <<= 1;
        shift++;
    }
    while (num * 2 < den) {
        num <<= 1;
        shift--;
    }
    /* mul_frac = floor(num * 2^32 / den), by long division (no 128-bit divide). */
    uint64_t rem = num, mul = 0;
    for (int i = 0; i < 32; i++) {
        rem <<= 1;
        mul <<= 1;
        if (rem >= den) {
            rem -= den;
            mul |= 1;
        }
    }
    ts->mul_frac = (uint32_t)mul;
    ts->shift = (int8_t)shift;
}

uint64_t scale_delta(uint64_t ticks, const struct time_scale *ts)
{
    if (ts->shift < 0)
        ticks >>= -ts->shift;
    else
        ticks <<= ts->shift;
    return (uint64_t)(((unsigned __int128)ticks * ts->mul_frac) >> 32);
}

uint32_t oneshot_count(s_time_t when, s_time_t now, uint64_t ticks_per_ns)
{
    /* Compared first; the difference of two s_time_t always fits 64 unsigned bits. */
    uint64_t delta = when > now ? (uint64_t)when - (uint64_t)now : 0;
    if (delta < ONESHOT_MIN_NS)
        delta = ONESHOT_MIN_NS;
    unsigned __int128 count = ((unsigned __int128)delta * ticks_per_ns) >> 32;
    if (count > ONESHOT_MAX_COUNT)
        return ONESHOT_MAX_COUNT;
    return count ? (uint32_t)count : 1;
}
