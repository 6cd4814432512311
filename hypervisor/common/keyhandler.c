/* Debug keys on the serial console: what the hypervisor and its domains are doing. */
#include <hv/console.h>
#include <hv/domain.h>
#include <hv/page_alloc.h>
#include <hv/printk.h>
#include <hv/sched.h>
#include <hv/time.h>

static void dump_domains(void)
{
    static const char *const states[] = { [DOMAIN_FREE] = "free", [DOMAIN_CREATING] = "being created",
                                          [DOMAIN_RUNNING] = "running", [DOMAIN_RELINQUISHING] = "returning its memory",
                                          [DOMAIN_SHUTDOWN] = "shut down" };
    for (unsigned int i = 0; i < MAX_DOMAINS; i++) {
        const struct domain *d = &domains[i];
        if (d->state == DOMAIN_FREE)
            continue;
        uint32_t refs = __atomic_load_n(&d->refcnt, __ATOMIC_RELAXED);
        printk("domain %u (%s): %s, %llu/%llu pages, %llu page-table updates, %u reference(s)%s\n", d->id, d->name,
               states[d->state], (unsigned long long)d->tot_pages, (unsigned long long)d->max_pages,
               (unsigned long long)d->pt_updates, refs & ~DOMAIN_REF_DYING, refs & DOMAIN_REF_DYING ? ", dying" : "");
        char line[160];
        int n = 0;
        for (unsigned int h = 0; h < ARRAY_SIZE(d->hypercalls) && n < (int)sizeof(line) - 24; h++)
            if (d->hypercalls[h])
                n += snprintf(line + n, sizeof(line) - (size_t)n, " %u:%llu", h,
                              (unsigned long long)d->hypercalls[h]);
        printk("  hypercalls (number:count):%s\n", n ? line : " none");
    }
}

void keyhandler(char key)
{
    switch (key) {
    case 'h':
        printk("debug keys: h help, d domains and their hypercall counters, m memory, r CPUs and vCPUs, t time\n");
        break;
    case 'd':
        dump_domains();
        break;
    case 'm':
        printk("memory: %llu of %llu frames free\n", (unsigned long long)page_alloc_free_count(),
               (unsigned long long)page_alloc_total_count());
        break;
    case 'r':
        sched_dump();
        break;
    case 't':
        printk("time: %lld ns since boot\n", (long long)NOW());
        break;
    default:
        printk("debug key '%c' (%#x) unknown; 'h' for help\n", key >= 32 && key < 127 ? key : '?', key);
        break;
    }
}
