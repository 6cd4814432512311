/*
 * Test-guest runtime: runs every case of the guest, prints KTAP, and shuts down
 * with the verdict: SHUTDOWN_crash when a case failed or none ran, so that dom0's
 * supervisor (expect=), the hypervisor's "shut down: crash" line and, for dom0,
 * QEMU's exit status (crash) all see a failure without reading the console.
 */
#include <stdarg.h>
#include "guest.h"
#include "hypercall.h"

struct start_info *start_info;
void (*guest_end)(void);

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
    if (failed || !nr_test_cases) {
        printk("# %s: shutting down with SHUTDOWN_crash\n", failed ? "a case failed" : "no case ran");
        guest_shutdown(SHUTDOWN_crash);
    }
    if (guest_end) {
        guest_end();
        printk("# still running after the guest's own end: shutting down with SHUTDOWN_crash\n");
        guest_shutdown(SHUTDOWN_crash);
    }
    guest_shutdown(SHUTDOWN_poweroff);
}

/* ---- command line ------------------------------------------------------- */

const char *guest_option(const char *key)
{
    const char *line = (const char *)start_info->cmd_line, *p = line;
    size_t k = strlen(key);
    for (; *p; p++)
        if ((p == line || p[-1] == ' ') && !strncmp(p, key, k) && p[k] == '=')
            return p + k + 1;
    return NULL;
}

unsigned long guest_option_num(const char *key, unsigned long dflt)
{
    const char *p = guest_option(key);
    if (!p || *p < '0' || *p > '9')
        return dflt;
    unsigned long v = 0;
    for (; *p >= '0' && *p <= '9'; p++)
        v = v * 10 + (unsigned long)(*p - '0');
    return v;
}

bool guest_option_is(const char *key, const char *value)
{
    const char *p = guest_option(key);
    size_t n = strlen(value);
    return p && !strncmp(p, value, n) && (p[n] == ' ' || p[n] == '\0');
}
