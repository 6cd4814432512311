/*
 * SMP stress (issue 11): every vCPU of the guest runs seeded random
 * operations at once: mmu_updates, update_va_mappings with local and
 * all-vCPU flushes, pins and unpins over shared tables, event sends to the
 * next vCPU, yields (lib/churn). ops=N operations in all, split over the
 * vCPUs; seed=S picks the streams (one per vCPU). Afterwards the tables and
 * pins must match what was accepted; the hypervisor's frame audit checks the
 * reference counts when the domain goes.
 */
#include "churn.h"
#include "events.h"
#include "exceptions.h"
#include "guest.h"
#include "hypercall.h"
#include "mm.h"
#include "rand.h"
#include "smp.h"

const char test_title[] = "smpstress: all vCPUs churn page tables and events at once";

#define CHURN_VA    (GUEST_VIRT_BASE + 0x8000000ull)
#define OPS_DEFAULT 20000

static unsigned int nr_vcpus;
static unsigned long ops_each;

static const char *test_setup(char *why, size_t len)
{
    int64_t rc;
    nr_vcpus = (unsigned int)guest_option_num("vcpus", 1);
    if (nr_vcpus > SMP_MAX_VCPUS)
        return fail(why, len, "vcpus=%u: at most %u", nr_vcpus, SMP_MAX_VCPUS);
    ops_each = guest_option_num("ops", OPS_DEFAULT) / nr_vcpus;
    if ((rc = exceptions_install()) || (rc = events_init_timer_quiet()) ||
        (rc = churn_setup(CHURN_VA, nr_vcpus, CHURN_ALL_OPS)))
        return fail(why, len, "setup: %lld", (long long)rc);
    return NULL;
}

static volatile uint32_t churned;            /* workers done with their operations */

static bool all_churned(const void *arg)
{
    (void)arg;
    return atomic_read(&churned) >= nr_vcpus;
}

/*
 * Each vCPU takes its events while it churns: sends from the others
 * interrupt it. It keeps them on until every worker is done, so a send made
 * after its own last operation (the vCPUs need not run in step) is taken too.
 */
static void job_churn(void *arg)
{
    unsigned int vcpu = smp_this_vcpu();
    uint64_t seed = (guest_option_num("seed", 1) << 8) | vcpu;
    (void)arg;
    events_unmask();
    churn_run(vcpu, splitmix64(&seed), ops_each);
    atomic_inc(&churned);
    smp_wait_until(all_churned, NULL);
    hyp_xen_version(XENVER_version, NULL);      /* the last sends to it are pending by now: taken here */
    events_mask();
}

static const char *test_churn(char *why, size_t len)
{
    for (unsigned int v = 1; v < nr_vcpus; v++) {
        int64_t rc = smp_run(v, job_churn, NULL);
        if (rc)
            return fail(why, len, "starting vCPU %u: %lld", v, (long long)rc);
    }
    job_churn(NULL);
    for (unsigned int v = 1; v < nr_vcpus; v++)
        if (!churn_join(v))
            return churn_join_failed(v, ops_each, why, len);
    churn_report();
    const char *err = churn_check(why, len);
    if (err)
        return err;
    unsigned long total = 0, refused = 0;
    for (unsigned int v = 0; v < nr_vcpus; v++) {
        const struct churn_stats *st = churn_stats(v), *sender = churn_stats((v + nr_vcpus - 1) % nr_vcpus);
        unsigned long mine = 0;
        for (unsigned int op = 0; op < CHURN_NR_OPS; op++) {
            mine += st->done[op] + st->refused[op];
            refused += st->refused[op];
        }
        if (mine != ops_each)
            return fail(why, len, "vCPU %u accounts for %lu operations, not %lu", v, mine, ops_each);
        total += mine;
        /* Sends coalesce, so fewer upcalls than sends is fine; none at all is not. */
        if (sender->done[CHURN_SEND] && !vcpu_upcalls[v])
            return fail(why, len, "vCPU %u took no upcall for %u sends to it", v, sender->done[CHURN_SEND]);
        printk("# vCPU %u: %u upcalls\n", v, vcpu_upcalls[v]);
    }
    printk("# %lu operations on %u vCPUs, %lu refused as Xen refuses them\n", total, nr_vcpus, refused);
    return NULL;
}

DEFINE_TESTS(
    { "setup", test_setup },
    { "churn", test_churn }
)
