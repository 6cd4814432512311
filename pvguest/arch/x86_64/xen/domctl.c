/*
 * dom0 waiting for other boot domains before it powers off (the machine goes
 * down with dom0): wait=<name>[,<name>...]. Uses our hypervisor's domctl;
 * where there is none (Xen 4.17 speaks another domctl version) dom0 says so
 * and does not wait.
 */
#include <cmdline.h>
#include <sched.h>
#include <public/domctl.h>
#include <public/errno.h>
#include <public/sched.h>
#include <xen/services.h>
#include "xen.h"

#define MAX_WAIT        8
#define WAIT_LIMIT_NS   (120 * NSEC_PER_SEC)

static char wait_names[MAX_WAIT][32];
static unsigned int nr_wait;

static bool set_wait(const char *v)
{
    if (!v || !*v)
        return false;
    while (*v && nr_wait < MAX_WAIT) {
        size_t n = 0;
        while (v[n] && v[n] != ',')
            n++;
        str_copy(wait_names[nr_wait++], v, MIN(n + 1, sizeof(wait_names[0])));
        v += n + (v[n] == ',');
    }
    return true;
}
KERNEL_OPTION("wait", set_wait);

static const char *reason_name(uint32_t r)
{
    static const char *const names[] = { "poweroff", "reboot", "suspend", "crash", "watchdog", "soft_reset" };
    return r < ARRAY_SIZE(names) ? names[r] : "unknown";
}

bool xen_wait_domains(void)
{
    struct pv_domctl_info info;
    bool all_ok = true;
    for (unsigned int k = 0; k < nr_wait; k++) {
        uint64_t deadline = clock_ns() + WAIT_LIMIT_NS;
        for (;;) {
            bool found = false, down = false;
            for (domid_t d = 1; d < 32 && !found; d++) {
                int64_t rc = xenpv_domain_info(d, &info);
                if (rc == -XEN_ESRCH)
                    continue;
                if (rc) {
                    printk("# wait: domctl getdomaininfo failed: %lld (%s); not waiting for other domains\n",
                           (long long)rc, xen_errno_name(rc));
                    return true;
                }
                if (strcmp((const char *)info.name, wait_names[k]))
                    continue;
                found = true;
                down = info.flags & PV_DOMINF_shutdown;
                if (down) {
                    printk("# wait: domain %u (%s) shut down: %s\n", d, wait_names[k],
                           reason_name(info.shutdown_reason));
                    all_ok &= info.shutdown_reason == SHUTDOWN_poweroff;
                }
            }
            if (!found) {
                printk("# wait: no domain named %s\n", wait_names[k]);
                all_ok = false;
                break;
            }
            if (down)
                break;
            if (clock_ns() > deadline) {
                printk("# wait: domain %s still running after %llu s\n", wait_names[k],
                       (unsigned long long)(WAIT_LIMIT_NS / NSEC_PER_SEC));
                all_ok = false;
                break;
            }
            thread_sleep_ns(20 * NSEC_PER_MSEC);
        }
    }
    return all_ok;
}
