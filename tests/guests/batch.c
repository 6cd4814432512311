/*
 * Batch: one mmu_update of count=<n> entries (default 262144) in a single
 * hypercall; with pin=<n>, also one MMUEXT_PIN_L2_TABLE of an L2 whose n L1
 * tables are full (n * 512 entries to validate in one pin); with multicall=1,
 * also the same mmu_update as the middle entry of a three-entry multicall.
 */
#include "guest.h"
#include "hypercall.h"
#include "mm.h"
#include <public/errno.h>

const char test_title[] = "batch: a huge mmu_update batch completes, other domains run meanwhile";

#define MAX_ENTRIES (1u << 19)
#define TARGET_VA   (GUEST_VIRT_BASE + 0x4000000ull)

static struct mmu_update reqs[MAX_ENTRIES];

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
    int64_t rc = mmu_update_batch(reqs, n, &done);
    printk("# batch done: rc %lld, %u done\n", (long long)rc, done);
    return rc || done != n ? fail(why, len, "rc %lld, done %u of %u", (long long)rc, done, n) : NULL;
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
    int64_t rc = mmuext(MMUEXT_PIN_L2_TABLE, l2, 0);
    printk("# pin done: rc %lld\n", (long long)rc);
    if (rc)
        return fail(why, len, "pin: %lld", (long long)rc);
    if ((rc = mmuext(MMUEXT_UNPIN_TABLE, l2, 0)))
        return fail(why, len, "unpin: %lld", (long long)rc);
    return NULL;
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
    int64_t rc = hypercall2(__HYPERVISOR_multicall, calls, 3);
    printk("# multicall done: rc %lld, %u done\n", (long long)rc, done);
    if (rc || done != n)
        return fail(why, len, "rc %lld, done %u of %u", (long long)rc, done, n);
    if ((int64_t)calls[0].result != version || calls[1].result || (int64_t)calls[2].result != version)
        return fail(why, len, "results %#llx %lld %#llx", (unsigned long long)calls[0].result,
                    (long long)calls[1].result, (unsigned long long)calls[2].result);
    return NULL;
}

DEFINE_TESTS({ "huge_batch_completes", test_batch }, { "huge_pin_completes", test_pin },
             { "huge_batch_in_multicall", test_batch_in_multicall })
