/* Test-guest runtime: runs every case of the guest, prints KTAP, shuts down. */
#include <stdarg.h>
#include "guest.h"
#include "hypercall.h"

struct start_info *start_info;

void printk(const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n >= (int)sizeof(buf))
        n = sizeof(buf) - 1;
    hyp_console_write(buf, (uint64_t)n);
}

const char *fail(char *why, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, len, fmt, ap);
    va_end(ap);
    return why;
}

__attribute__((noreturn)) void guest_shutdown(unsigned int reason)
{
    struct sched_shutdown sd = { .reason = reason };
    for (;;)
        hyp_sched_op(SCHEDOP_shutdown, &sd);
}

void guest_start(struct start_info *si);
void guest_start(struct start_info *si)
{
    char why[160];
    unsigned int failed = 0;

    start_info = si;
    unsigned int nr_test_cases;
    const struct test_case *test_cases = guest_cases(&nr_test_cases);
    printk("# %s\n", test_title);
    printk("KTAP version 1\n");
    printk("1..%u\n", nr_test_cases);
    for (unsigned int i = 0; i < nr_test_cases; i++) {
        why[0] = '\0';
        const char *res = test_cases[i].fn(why, sizeof(why));
        if (res) {
            failed++;
            printk("not ok %u %s # %s\n", i + 1, test_cases[i].name, res[0] ? res : "failed");
        } else {
            printk("ok %u %s\n", i + 1, test_cases[i].name);
        }
    }
    printk("# %u passed, %u failed\n", nr_test_cases - failed, failed);
    guest_shutdown(SHUTDOWN_poweroff);
}
