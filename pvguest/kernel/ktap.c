/* The KTAP runner: one line per case, a plan first and a summary last. */
#include <counters.h>
#include <ktap.h>

extern bool counters_each_case;

const char *ktap_fail(char *why, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, len, fmt, ap);
    va_end(ap);
    return why;
}

const char *ktap_skip(char *why, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    why[0] = KTAP_SKIP_MARK;
    vsnprintf(why + 1, len - 1, fmt, ap);
    va_end(ap);
    return why;
}

bool ktap_run(const char *title, const struct ktap_case *cases, unsigned int n)
{
    unsigned int failed = 0;
    char why[192];

    printk("# %s\n", title);
    printk("KTAP version 1\n");
    printk("1..%u\n", n);
    for (unsigned int i = 0; i < n; i++) {
        why[0] = '\0';
        const char *res = cases[i].fn(why, sizeof(why));
        if (res && res[0] == KTAP_SKIP_MARK) {
            printk("ok %u %s # SKIP %s\n", i + 1, cases[i].name, res + 1);
        } else if (res) {
            failed++;
            printk("not ok %u %s # %s\n", i + 1, cases[i].name, res[0] ? res : "failed");
        } else {
            printk("ok %u %s\n", i + 1, cases[i].name);
        }
        if (counters_each_case)
            counters_print(cases[i].name);
    }
    printk("# %u passed, %u failed\n", n - failed, failed);
    return n && !failed;
}
