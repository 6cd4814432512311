/* What the benchmark guest's files share: samples, the BENCH line, the common setup case. */
#ifndef BENCH_GUEST_BENCH_H
#define BENCH_GUEST_BENCH_H

#include <stdbool.h>
#include <stdint.h>
#include "guest.h"

#define MAX_SAMPLES  4096

extern unsigned int opt_reps, opt_warmup;
extern uint64_t samples[MAX_SAMPLES];

/* Prints the BENCH line of samples[0..n) (per_entry: divided by batch). */
void report(const char *op, unsigned int batch, unsigned int n, bool per_entry, const char *extra);
/* The first case of every role: options, exceptions, events, no periodic timer. */
const char *test_setup(char *why, size_t len);

/* bench_split.c: the cases of role=xs, ringfront and ringback, or NULL for other roles. */
const struct test_case *bench_split_cases(unsigned int *n);

#endif
