/* Test-guest memory helpers over the start-of-day layout Xen (and we) build. */
#include "guest.h"
#include "hypercall.h"
#include "mm.h"

static uint64_t next_spare;

/*
 * Page tables made from spare frames lie outside the initial mapping; each is
 * mapped read-only into this window (in the L2 of the initial region) so the
 * guest can read its own tables.
 */
#define PT_WINDOW (GUEST_VIRT_BASE + 0x3fe00000ull)
static uint64_t window_mfn[512];
static unsigned int window_used;

uint64_t pfn_to_mfn(uint64_t pfn)
{
    return ((const uint64_t *)start_info->mfn_list)[pfn];
}

uint64_t virt_to_mfn(const void *va)
{
    return pfn_to_mfn(((uint64_t)va - GUEST_VIRT_BASE) / PAGE_SIZE);
}

void *mfn_to_virt(uint64_t mfn)
{
    return (void *)(GUEST_VIRT_BASE + m2p()[mfn] * PAGE_SIZE);
}

static uint64_t index_of(uint64_t va, unsigned int level)
{
    return (va >> (12 + 9 * (level - 1))) & 511;
}

static const uint64_t *table_virt(uint64_t mfn)
{
    if (m2p()[mfn] < start_info->first_p2m_pfn)
        return mfn_to_virt(mfn);
    for (unsigned int i = 0; i < window_used; i++)
        if (window_mfn[i] == mfn)
            return (const uint64_t *)(PT_WINDOW + i * PAGE_SIZE);
    return NULL;
}

uint64_t pte_maddr(uint64_t va, unsigned int level)
{
    uint64_t table = virt_to_mfn((void *)start_info->pt_base);
    for (unsigned int l = 4; l > level; l--) {
        const uint64_t *t = table_virt(table);
        if (!t)
            return 0;
        uint64_t e = t[index_of(va, l)];
        if (!(e & PTE_P))
            return 0;
        table = (e & PTE_ADDR) >> 12;
    }
    return table * PAGE_SIZE + index_of(va, level) * 8;
}

uint64_t read_pte(uint64_t va, unsigned int level)
{
    uint64_t ma = pte_maddr(va, level);
    if (!ma)
        return 0;
    return table_virt(ma >> 12)[(ma & 0xfff) / 8];
}

volatile uint64_t *pte_virt(uint64_t va, unsigned int level)
{
    uint64_t ma = pte_maddr(va, level);
    const uint64_t *t = ma ? table_virt(ma >> 12) : NULL;
    return t ? (volatile uint64_t *)&t[(ma & 0xfff) / 8] : NULL;
}

/* Shows a new table frame read-only in the window. */
static int64_t window_add(uint64_t mfn)
{
    if (window_used == 512)
        return -1;
    uint64_t va = PT_WINDOW + window_used * PAGE_SIZE;
    window_mfn[window_used++] = mfn;
    return hypercall3(__HYPERVISOR_update_va_mapping, va, mfn * PAGE_SIZE | PTE_P | PTE_U | PTE_A, UVMF_INVLPG);
}

/* The window's own L1 maps itself at the window's first page. */
static int64_t window_init(void)
{
    uint64_t mfn = spare_mfn();
    int64_t rc = mmu_update_one(pte_maddr(PT_WINDOW, 2), mfn * PAGE_SIZE | PTE_P | PTE_RW | PTE_U | PTE_A);
    return rc ? rc : window_add(mfn);
}

uint64_t spare_mfn(void)
{
    if (!next_spare)
        next_spare = start_info->first_p2m_pfn;
    if (next_spare >= start_info->nr_pages)
        return 0;
    return pfn_to_mfn(next_spare++);
}

int64_t mmu_update_batch(const struct mmu_update *req, unsigned int n, uint32_t *done)
{
    return hypercall4(__HYPERVISOR_mmu_update, req, n, done, DOMID_SELF);
}

int64_t mmu_update_one(uint64_t ptr, uint64_t val)
{
    struct mmu_update r = { .ptr = ptr, .val = val };
    return mmu_update_batch(&r, 1, NULL);
}

int64_t mmuext(unsigned int cmd, uint64_t arg1, uint64_t arg2)
{
    struct mmuext_op op = { .cmd = cmd };
    op.arg1.mfn = arg1;
    op.arg2.src_mfn = arg2;
    return hypercall4(__HYPERVISOR_mmuext_op, &op, 1, NULL, DOMID_SELF);
}

int64_t ensure_l1(uint64_t va)
{
    if (!window_used && window_init())
        return -1;
    for (unsigned int level = 3; level >= 1; level--) {
        if (pte_maddr(va, level))
            continue;
        /* The table at level+1 exists; hook a fresh (zero) frame into it as a level-`level` table. */
        uint64_t mfn = spare_mfn();
        if (!mfn)
            return -1;
        int64_t rc = mmu_update_one(pte_maddr(va, level + 1), mfn * PAGE_SIZE | PTE_P | PTE_RW | PTE_U | PTE_A);
        if (rc || (rc = window_add(mfn)))
            return rc;
    }
    return 0;
}
