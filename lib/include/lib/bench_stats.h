/*
 * What both benchmark guests (bench/guests, pvguest's bench=) report for a
 * set of samples: min, median, p99 (nearest rank) and max, printed per
 * operation or per entry of a batch with one decimal. Written once so the
 * two sides of a PV-against-native comparison are summarised the same way.
 */
#ifndef LIB_BENCH_STATS_H
#define LIB_BENCH_STATS_H

#include <stddef.h>
#include <stdint.h>
#include <lib/format.h>

struct bench_stats {
    uint64_t min, median, p99, max;
};

/* Sorts v[0..n) (n >= 1) and summarises it. Shell sort, Ciura's gaps: a few thousand samples, no recursion. */
static inline struct bench_stats bench_summarize(uint64_t *v, unsigned int n)
{
    static const unsigned int gaps[] = { 701, 301, 132, 57, 23, 10, 4, 1 };
    for (unsigned int g = 0; g < sizeof(gaps) / sizeof(gaps[0]); g++)
        for (unsigned int gap = gaps[g], i = gap; i < n; i++) {
            uint64_t x = v[i];
            unsigned int j = i;
            for (; j >= gap && v[j - gap] > x; j -= gap)
                v[j] = v[j - gap];
            v[j] = x;
        }
    return (struct bench_stats){ v[0], v[(n - 1) / 2], v[(99 * (uint64_t)n + 99) / 100 - 1], v[n - 1] };
}

/* v / div with one decimal ("12.3"); div <= 1: the integer. */
static inline const char *bench_fmt_per(char *buf, size_t len, uint64_t v, unsigned int div)
{
    if (div <= 1) {
        snprintf(buf, len, "%llu", (unsigned long long)v);
    } else {
        uint64_t tenths = (v * 10 + div / 2) / div;
        snprintf(buf, len, "%llu.%llu", (unsigned long long)(tenths / 10), (unsigned long long)(tenths % 10));
    }
    return buf;
}

#endif /* LIB_BENCH_STATS_H */
