/* Batch: one mmu_update of count=<n> entries (default 262144) in a single hypercall. */
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
    const char *p = (const char *)start_info->cmd_line;
    while (*p && strncmp(p, "count=", 6))
        p++;
    unsigned int n = 0;
    for (p += *p ? 6 : 0; *p >= '0' && *p <= '9'; p++)
        n = n * 10 + (unsigned int)(*p - '0');
    return n && n <= MAX_ENTRIES ? n : 262144;
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

DEFINE_TESTS({ "huge_batch_completes", test_batch })
