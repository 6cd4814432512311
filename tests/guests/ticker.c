/* Ticker: prints a tick every ~10 ms of TSC time, ticks=<n> times (default 40), yielding between. */
#include "guest.h"
#include "hypercall.h"
#include <lib/x86.h>

const char test_title[] = "ticker: keeps running while others work";

static const char *test_tick(char *why, size_t len)
{
    (void)why;
    (void)len;
    /* Calibrating is not the point: about 10 ms at a few GHz; the log's timestamps tell. */
    const uint64_t step = 25000000;
    uint64_t next = rdtsc() + step;
    for (unsigned int t = 1; t <= 40;) {
        if (rdtsc() >= next) {
            printk("# tick %u\n", t++);
            next += step;
        }
        hyp_sched_op(SCHEDOP_yield, NULL);
    }
    return NULL;
}

DEFINE_TESTS({ "ticks", test_tick })
