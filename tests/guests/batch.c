/*
 * Batch: one mmu_update of count=<n> entries (default 262144) in a single
 * hypercall; with pin=<n>, also one MMUEXT_PIN_L2_TABLE of an L2 whose n L1
 * tables are full (n * 512 entries to validate in one pin); with multicall=1,
 * also the same mmu_update as the middle entry of a three-entry multicall.
 * Each of these must be preempted so that the domain peer=<domid> (the ticker,
 * which offers port 1 and notifies us on every turn it gets) runs meanwhile.
 */
#include "events.h"
#include "guest.h"
#include "hypercall.h"
#include "mm.h"
#include <public/errno.h>

const char test_title[] = "batch: a huge mmu_update batch completes, other domains run meanwhile";

#define MAX_ENTRIES (1u << 19)
#define TARGET_VA   (GUEST_VIRT_BASE + 0x4000000ull)

static struct mmu_update reqs[MAX_ENTRIES];

/*
 * Phases: each long hypercall is bracketed by phase_start and phase_end, with
 * events unmasked. The peer notifies us on every turn it gets; when it gets one
 * because our hypercall was preempted, the notification's upcall comes in on the
 * way back, before the hypercall is re-issued (nr_upcalls_in_hypercall). So the
 * peer ran between two pieces of the call: no clock decides. The duration is
 * printed because a hypercall shorter than a scheduler slice (30 ms under both
 * policies) need not be preempted, which would explain a failure.
 */
#define PEER_PORT 1
static unsigned int peer_port;

static const char *test_peer_connects(char *why, size_t len)
{
    domid_t peer = events_init_for_peer(why, len);
    if (peer == DOMID_INVALID)
        return why;
    int64_t rc;
    if ((rc = evtchn_connect(peer, PEER_PORT, &peer_port)))
        return fail(why, len, "binding to %u:%u: %lld", peer, PEER_PORT, (long long)rc);
    events_unmask();
    return NULL;
}

static uint64_t phase_start(void)
{
    nr_upcalls_in_hypercall = 0;
    return pvclock_now();
}

struct phase { unsigned int peer_turns; uint64_t ms; };

static struct phase phase_end(uint64_t t0)
{
    return (struct phase){ nr_upcalls_in_hypercall, (pvclock_now() - t0) / 1000000 };
}

static const char *phase_verdict(struct phase p, const char *what, char *why, size_t len)
{
    if (p.peer_turns)
        return NULL;
    return fail(why, len, "the peer never ran inside the %llu ms %s", (unsigned long long)p.ms, what);
}

/* Lets the peer stop ticking; it fails if we end without this. */
static const char *test_peer_told_done(char *why, size_t len)
{
    if (!peer_port)
        return fail(why, len, "no peer connected");
    int64_t rc = evtchn_send(peer_port);
    return rc ? fail(why, len, "notifying the peer: %lld", (long long)rc) : NULL;
}

static unsigned int count_option(void)
{
    unsigned long n = guest_option_num("count", 262144);
    return n && n <= MAX_ENTRIES ? (unsigned int)n : 262144;
}

static const char *test_batch(char *why, size_t len)
{
    unsigned int n = count_option();
    if (ensure_l1(TARGET_VA))
        return fail(why, len, "no L1 for the target");
    uint64_t ptr = pte_maddr(TARGET_VA, 1);
    for (unsigned int i = 0; i < n; i++) {
        reqs[i].ptr = ptr;
        reqs[i].val = i & 1 ? 0 : pfn_to_mfn(i % 512) * PAGE_SIZE | PTE_P | PTE_U | PTE_A;
    }
    printk("# batch of %u updates started\n", n);
    uint32_t done = 0;
    uint64_t t0 = phase_start();
    int64_t rc = mmu_update_batch(reqs, n, &done);
    struct phase p = phase_end(t0);
    printk("# batch done: rc %lld, %u done in %llu ms, %u of the peer's turns inside\n", (long long)rc, done,
           (unsigned long long)p.ms, p.peer_turns);
    if (rc || done != n)
        return fail(why, len, "rc %lld, done %u of %u", (long long)rc, done, n);
    return phase_verdict(p, "batch", why, len);
}

#define FILL_VA (GUEST_VIRT_BASE + 0x8000000ull)

static const char *test_pin(char *why, size_t len)
{
    unsigned int n = (unsigned int)guest_option_num("pin", 0);
    if (!n || n > 512)
        return NULL;                        /* not asked for */
    static uint64_t l1[512];
    uint64_t l2 = spare_mfn();
    for (unsigned int k = 0; k < n; k++)
        l1[k] = spare_mfn();
    if (!l2 || !l1[n - 1] || ensure_l1(FILL_VA))
        return fail(why, len, "not enough spare frames for %u tables", n);
    /* Fill each L1 (and the L2) through a writable window, then take the window away. */
    uint64_t window = pte_maddr(FILL_VA, 1);
    for (unsigned int k = 0; k <= n; k++) {
        uint64_t frame = k < n ? l1[k] : l2;
        if (mmu_update_one(window, frame * PAGE_SIZE | PTE_DATA))
            return fail(why, len, "mapping table %u to fill it", k);
        uint64_t *t = (uint64_t *)FILL_VA;
        for (unsigned int i = 0; i < 512; i++)
            t[i] = k < n ? pfn_to_mfn(i) * PAGE_SIZE | PTE_P | PTE_U | PTE_A
                         : (i < n ? l1[i] * PAGE_SIZE | PTE_P | PTE_RW | PTE_U | PTE_A : 0);
        mmu_update_one(window, 0);
    }
    printk("# pin of an L2 with %u full L1s (%u entries) started\n", n, n * 512);
    uint64_t t0 = phase_start();
    int64_t rc = mmuext(MMUEXT_PIN_L2_TABLE, l2, 0);
    struct phase p = phase_end(t0);
    printk("# pin done: rc %lld in %llu ms, %u of the peer's turns inside\n", (long long)rc, (unsigned long long)p.ms,
           p.peer_turns);
    if (rc)
        return fail(why, len, "pin: %lld", (long long)rc);
    if ((rc = mmuext(MMUEXT_UNPIN_TABLE, l2, 0)))
        return fail(why, len, "unpin: %lld", (long long)rc);
    return phase_verdict(p, "pin", why, len);
}

/*
 * The huge batch again, inside a multicall: the nested call is continued as
 * Xen does (its entry rewritten, the multicall resumed at it), so other
 * domains run meanwhile, and every entry still gets its own result.
 */
static const char *test_batch_in_multicall(char *why, size_t len)
{
    if (!guest_option_is("multicall", "1"))
        return NULL;                        /* not asked for */
    unsigned int n = count_option();
    static struct multicall_entry calls[3];
    uint32_t done = 0;
    calls[0] = (struct multicall_entry){ .op = __HYPERVISOR_xen_version, .args = { XENVER_version } };
    calls[1] = (struct multicall_entry){ .op = __HYPERVISOR_mmu_update,
                                         .args = { (uint64_t)reqs, n, (uint64_t)&done, DOMID_SELF } };
    calls[2] = calls[0];
    int64_t version = hyp_xen_version(XENVER_version, NULL);
    printk("# multicall with a batch of %u updates started\n", n);
    uint64_t t0 = phase_start();
    int64_t rc = hypercall2(__HYPERVISOR_multicall, calls, 3);
    struct phase p = phase_end(t0);
    printk("# multicall done: rc %lld, %u done in %llu ms, %u of the peer's turns inside\n", (long long)rc, done,
           (unsigned long long)p.ms, p.peer_turns);
    if (rc || done != n)
        return fail(why, len, "rc %lld, done %u of %u", (long long)rc, done, n);
    if ((int64_t)calls[0].result != version || calls[1].result || (int64_t)calls[2].result != version)
        return fail(why, len, "results %#llx %lld %#llx", (unsigned long long)calls[0].result,
                    (long long)calls[1].result, (unsigned long long)calls[2].result);
    return phase_verdict(p, "multicall", why, len);
}

DEFINE_TESTS({ "peer_connects", test_peer_connects }, { "huge_batch_completes", test_batch },
             { "huge_pin_completes", test_pin }, { "huge_batch_in_multicall", test_batch_in_multicall },
             { "peer_told_done", test_peer_told_done })
