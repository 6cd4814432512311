/*
 * Flooder (issue 11, bad input): a two-vCPU domain that never stops hammering
 * the cross-CPU paths. vCPU 0 sends event-channel IPIs in a tight loop, to an
 * IPI port bound to vCPU 1 and to one bound to itself; vCPU 1, with upcalls
 * on so that every IPI interrupts it, floods whole-domain flushes
 * (MMUEXT_TLB_FLUSH_ALL, MMUEXT_INVLPG_ALL, update_va_mapping with UVMF_ALL),
 * each of which must reach vCPU 0 on the other CPU. The fairness-flood
 * scenario checks that the other domains still get their shares. Needs vcpus=2.
 */
#include "events.h"
#include "exceptions.h"
#include "guest.h"
#include "hypercall.h"
#include "mm.h"
#include "smp.h"

const char test_title[] = "flooder: IPIs and whole-domain flushes across two CPUs until the machine goes down";

#define FLOOD_VA        (GUEST_VIRT_BASE + 0x8400000ull)    /* free address space, remapped in a loop */
#define REPORT_AT_SENDS 20000u      /* vCPU 0 says once how far both got (expect-log checks it) */

enum { FLUSH_TLB_ALL, FLUSH_INVLPG_ALL, FLUSH_UVMF_TLB_ALL, FLUSH_UVMF_INVLPG_ALL, NR_FLUSH_KINDS };

static unsigned int to_sibling_port, to_self_port;
static volatile uint32_t flushes;
static volatile uint64_t flood_error;     /* the first failed call of vCPU 1: (kind + 1) << 32 | -rc */
static uint8_t target_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

static int64_t flush_once(unsigned int kind, uint64_t pte)
{
    switch (kind) {
    case FLUSH_TLB_ALL:
        return mmuext(MMUEXT_TLB_FLUSH_ALL, 0, 0);
    case FLUSH_INVLPG_ALL:
        return mmuext(MMUEXT_INVLPG_ALL, FLOOD_VA, 0);
    case FLUSH_UVMF_TLB_ALL:
        return hypercall3(__HYPERVISOR_update_va_mapping, FLOOD_VA, pte, UVMF_TLB_FLUSH | UVMF_ALL);
    default:
        return hypercall3(__HYPERVISOR_update_va_mapping, FLOOD_VA, pte, UVMF_INVLPG | UVMF_ALL);
    }
}

/* vCPU 1's job, forever: takes every IPI as an upcall between flushes. */
static void flush_flood(void *arg)
{
    uint64_t pte = *(const uint64_t *)arg;
    events_unmask();
    for (unsigned int kind = 0;; kind = (kind + 1) % NR_FLUSH_KINDS) {
        int64_t rc = flush_once(kind, pte);
        if (rc) {
            flood_error = (uint64_t)(kind + 1) << 32 | (uint32_t)-rc;
            events_mask();
            for (;;)
                hyp_sched_op(SCHEDOP_block, NULL);
        }
        atomic_inc(&flushes);
    }
}

static int64_t bind_ipi(unsigned int vcpu, unsigned int *port)
{
    struct evtchn_bind_ipi b = { .vcpu = vcpu };
    int64_t rc = evtchn_op(EVTCHNOP_bind_ipi, &b);
    *port = b.port;
    return rc;
}

static const char *test_flood(char *why, size_t len)
{
    int64_t rc;
    unsigned long nr_vcpus = guest_option_num("vcpus", 1);
    if (nr_vcpus != 2)
        return fail(why, len, "vcpus=%lu on the command line: this guest needs 2", nr_vcpus);
    if ((rc = exceptions_install()) || (rc = events_init_timer_quiet()))
        return fail(why, len, "setup: %lld", (long long)rc);
    if ((rc = bind_ipi(1, &to_sibling_port)))
        return fail(why, len, "bind_ipi: %lld", (long long)rc);
    /* The upcall handler takes every pending port of the words its selector names,
     * so the self-IPI port goes in another word than vCPU 1's. */
    do
        if ((rc = bind_ipi(0, &to_self_port)))
            return fail(why, len, "bind_ipi: %lld", (long long)rc);
    while (to_self_port / 64 == to_sibling_port / 64);
    if ((rc = ensure_l1(FLOOD_VA)))
        return fail(why, len, "no L1 table for the flood address: %lld", (long long)rc);
    static uint64_t pte;
    pte = virt_to_mfn(target_page) * PAGE_SIZE | PTE_DATA;
    if ((rc = hypercall3(__HYPERVISOR_update_va_mapping, FLOOD_VA, pte, UVMF_INVLPG)))
        return fail(why, len, "first mapping of the flood address: %lld", (long long)rc);
    if ((rc = smp_run(1, flush_flood, &pte)))
        return fail(why, len, "starting vCPU 1: %lld", (long long)rc);
    events_unmask();
    printk("# flooding: vCPU 0 sends IPIs to ports %u (vCPU 1) and %u (itself), vCPU 1 flushes\n", to_sibling_port,
           to_self_port);
    for (uint32_t sends = 1;; sends++) {
        if ((rc = evtchn_send(sends % 2 ? to_sibling_port : to_self_port)))
            return fail(why, len, "EVTCHNOP_send number %u: %lld", sends, (long long)rc);
        if (flood_error)
            return fail(why, len, "vCPU 1's flush kind %llu failed: -%llu", (unsigned long long)(flood_error >> 32) - 1,
                        (unsigned long long)(uint32_t)flood_error);
        if (sends == REPORT_AT_SENDS)
            printk("# flood: %u IPIs sent, vCPU 1 took %u upcalls and made %u flushes, vCPU 0 took %u upcalls\n", sends,
                   atomic_read(&vcpu_upcalls[1]), atomic_read(&flushes), atomic_read(&vcpu_upcalls[0]));
    }
}

DEFINE_TESTS({ "flood", test_flood })
