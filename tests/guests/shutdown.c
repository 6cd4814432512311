/*
 * Shutdown: ends the domain the way its command line says, after recording a
 * shutdown code: reason=poweroff|reboot|suspend|crash|watchdog, code=<n>,
 * compat=yes (use the old sched_op_compat hypercall). Its cases check what can
 * be checked from inside; the ending itself (reason and code) is checked by
 * dom0's supervisor (expect=) and the scenario's log lines. It ends only when
 * every case passed (guest_end); otherwise the guest library crashes it.
 */
#include "guest.h"
#include "hypercall.h"
#include <public/errno.h>

const char test_title[] = "shutdown: end with a chosen reason and code";

static const char *const reason_names[] = { "poweroff", "reboot", "suspend", "crash", "watchdog" };
static unsigned int reason;

static void end_as_asked(void)
{
    if (guest_option_is("compat", "yes"))
        hypercall2(__HYPERVISOR_sched_op_compat, SCHEDOP_shutdown, reason);
    else
        guest_shutdown(reason);
}

static const char *test_reason_known(char *why, size_t len)
{
    for (reason = 0; reason < ARRAY_SIZE(reason_names); reason++)
        if (guest_option_is("reason", reason_names[reason])) {
            guest_end = end_as_asked;
            return NULL;
        }
    return fail(why, len, "no known reason= on the command line");
}

/* The code is recorded once: a later, different code must not replace it (the log shows which won). */
static const char *test_code_recorded(char *why, size_t len)
{
    struct sched_shutdown sc = { .reason = (unsigned int)guest_option_num("code", 0) };
    int64_t rc = hyp_sched_op(SCHEDOP_shutdown_code, (void *)0xffff830000000000ull);
    if (rc != -XEN_EFAULT)
        return fail(why, len, "shutdown_code from a hypervisor address: %lld, want -EFAULT", (long long)rc);
    if ((rc = hyp_sched_op(SCHEDOP_shutdown_code, &sc)))
        return fail(why, len, "shutdown_code %u: %lld", sc.reason, (long long)rc);
    sc.reason ^= 0xff;
    if ((rc = hyp_sched_op(SCHEDOP_shutdown_code, &sc)))
        return fail(why, len, "a second shutdown_code: %lld", (long long)rc);
    return NULL;
}

static struct test_case cases[2];

const struct test_case *guest_cases(unsigned int *n)
{
    unsigned int c = 0;
    cases[c++] = (struct test_case){ "reason_known", test_reason_known };
    if (guest_option("code"))
        cases[c++] = (struct test_case){ "shutdown_code_recorded_once", test_code_recorded };
    *n = c;
    return cases;
}
