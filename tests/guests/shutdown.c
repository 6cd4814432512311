/*
 * Shutdown: ends the domain the way its command line says, after recording a
 * shutdown code: reason=poweroff|reboot|suspend|crash|watchdog, code=<n>,
 * compat=yes (use the old sched_op_compat hypercall).
 */
#include "guest.h"
#include "hypercall.h"

const char test_title[] = "shutdown: end with a chosen reason and code";

static const char *test_shutdown(char *why, size_t len)
{
    static const char *const names[] = { "poweroff", "reboot", "suspend", "crash", "watchdog" };
    const char *r = guest_option("reason");
    unsigned int reason = 99;
    for (unsigned int i = 0; r && i < ARRAY_SIZE(names); i++)
        if (!strncmp(r, names[i], strlen(names[i])))
            reason = i;
    if (reason == 99)
        return fail(why, len, "no known reason= on the command line");
    if (guest_option("code")) {
        struct sched_shutdown sc = { .reason = (unsigned int)guest_option_num("code", 0) };
        int64_t rc = hyp_sched_op(SCHEDOP_shutdown_code, &sc);
        if (rc)
            return fail(why, len, "shutdown_code: %lld", (long long)rc);
    }
    printk("ok 1 shutdown_requested\n# 1 passed, 0 failed\n");
    if (guest_option_is("compat", "yes"))
        hypercall2(__HYPERVISOR_sched_op_compat, SCHEDOP_shutdown, reason);
    else
        guest_shutdown(reason);
    return fail(why, len, "still running after SCHEDOP_shutdown");
}

DEFINE_TESTS({ "shutdown_requested", test_shutdown })
