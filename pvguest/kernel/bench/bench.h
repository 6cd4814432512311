/* Kernel-level benchmarks (kernel/bench/bench.c), run at boot with the option bench[=<reps>]. */
#ifndef PVGUEST_BENCH_H
#define PVGUEST_BENCH_H

#include <kernel.h>

/* Runs every benchmark if the option was given (prints BENCH lines); else nothing. */
void bench_run_if_requested(void);

#endif /* PVGUEST_BENCH_H */
