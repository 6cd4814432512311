/*
 * x86-64 four-level page tables, walked through the direct map and changed
 * only through pv_ops.mmu, so this one file serves both backends. Readers
 * call pv_before_read() on each table first, which applies queued lazy-MMU
 * writes to it. Every function holds the MMU lock (lazy_mmu.c) while it
 * walks or changes tables, so CPUs never race to fill the same slot.
 */
#include <mm.h>
#include <pagetable.h>
#include <sched.h>

uint64_t kernel_root_pfn;
uint64_t pt_pages_in_use;

/* Scratch for one L1 run; used only inside lazy-MMU mode (MMU lock held, not in interrupts). */
static pte_t run_buf[PT_ENTRIES];
static const pte_t zero_run[PT_ENTRIES];

uint64_t pt_new_table(unsigned int level)
{
    uint64_t pfn = alloc_pfns(0, "a page table");
    if (pfn == PFN_NONE)
        return PFN_NONE;
    memset(pfn_to_virt(pfn), 0, PAGE_SIZE);
    mmu_lock();
    pv_ops.mmu->alloc_pt(level, pfn);
    pv_ops.mmu->pin_pt(level, pfn);
    pt_pages_in_use++;
    mmu_unlock();
    return pfn;
}

/*
 * The caller has unhooked the table or released its parent first (PV: a
 * table stays typed while referenced). The page may be handed out again
 * before queued updates reach the MMU: a write to it then takes a spurious
 * fault, which applies the queue (vm_fault).
 */
void pt_release_table(unsigned int level, uint64_t pfn)
{
    mmu_lock();
    pv_ops.mmu->unpin_pt(pfn);
    pv_ops.mmu->release_pt(level, pfn);
    free_pfn(pfn);
    pt_pages_in_use--;
    mmu_unlock();
}

static pte_t *walk(uint64_t root, uint64_t va, unsigned int level, bool create)
{
    uint64_t pfn = root;
    for (unsigned int l = PT_LEVELS; l > level; l--) {
        pte_t *table = pfn_to_virt(pfn);
        unsigned int i = pt_index(va, l);
        pv_before_read(&table[i], 1);
        pte_t e = table[i];
        if (pte_present(e)) {
            BUG_ON(e & PTE_PSE);            /* we never make superpages */
            pfn = pv_pte_pfn(e);
            continue;
        }
        if (!create)
            return NULL;
        uint64_t n = pt_new_table(l - 1);
        if (n == PFN_NONE)
            return NULL;
        pv_set_pte(&table[i], pv_make_pte(n, PROT_TABLE));
        pfn = n;
    }
    return (pte_t *)pfn_to_virt(pfn) + pt_index(va, level);
}

pte_t *pt_walk(uint64_t root, uint64_t va, unsigned int level, bool create)
{
    mmu_lock();
    pte_t *p = walk(root, va, level, create);
    mmu_unlock();
    return p;
}

int pt_map(uint64_t root, uint64_t va, pte_t val)
{
    mmu_lock();
    pte_t *p = walk(root, va, 1, true);
    if (p)
        pv_set_pte(p, val);
    mmu_unlock();
    return p ? 0 : -ENOMEM;
}

pte_t pt_read(uint64_t root, uint64_t va)
{
    pte_t e = 0;
    mmu_lock();
    pte_t *p = walk(root, va, 1, false);
    if (p) {
        pv_before_read(p, 1);
        e = READ_ONCE(*p);
    }
    mmu_unlock();
    return e;
}

int pt_map_range(uint64_t root, uint64_t va, const uint64_t *pfns, size_t n, unsigned int prot)
{
    int rc = 0;
    lazy_mmu_enter();
    while (n) {
        unsigned int run = (unsigned int)MIN(n, (size_t)(PT_ENTRIES - pt_index(va, 1)));
        pte_t *p = walk(root, va, 1, true);
        if (!p) {
            rc = -ENOMEM;
            break;
        }
        for (unsigned int i = 0; i < run; i++)
            run_buf[i] = pv_make_pte(pfns[i], prot);
        pv_set_ptes(p, run_buf, run);
        va += run * PAGE_SIZE;
        pfns += run;
        n -= run;
    }
    lazy_mmu_leave();
    return rc;
}

void pt_unmap_range(uint64_t root, uint64_t va, size_t n, uint64_t *old_pfns)
{
    lazy_mmu_enter();
    while (n) {
        unsigned int run = (unsigned int)MIN(n, (size_t)(PT_ENTRIES - pt_index(va, 1)));
        pte_t *p = walk(root, va, 1, false);
        if (p) {
            pv_before_read(p, run);
            memcpy(run_buf, p, run * sizeof(pte_t));
            pv_set_ptes(p, zero_run, run);
        } else {
            memset(run_buf, 0, run * sizeof(pte_t));
        }
        for (unsigned int i = 0; i < run; i++) {
            bool present = pte_present(run_buf[i]);
            if (present)
                pv_flush_page(va + i * PAGE_SIZE);
            if (old_pfns)
                *old_pfns++ = present ? pv_pte_pfn(run_buf[i]) : PFN_NONE;
        }
        va += run * PAGE_SIZE;
        n -= run;
    }
    lazy_mmu_leave();
}

/* The L4 slots that hold kernel mappings; every address space shares their L3 tables. */
static const uint64_t kernel_slot_va[] = { VM_BASE, DIRECT_MAP_BASE };

uint64_t pt_alloc_root(void)
{
    uint64_t pfn = alloc_pfns(0, "a root page table");
    if (pfn == PFN_NONE)
        return PFN_NONE;
    pte_t *t = pfn_to_virt(pfn), *k = pfn_to_virt(kernel_root_pfn);
    memset(t, 0, PAGE_SIZE);
    mmu_lock();
    for (unsigned int i = 0; i < ARRAY_SIZE(kernel_slot_va); i++) {
        unsigned int slot = pt_index(kernel_slot_va[i], 4);
        pv_before_read(&k[slot], 1);
        BUG_ON(!pte_present(k[slot]));
        t[slot] = k[slot];          /* still an ordinary page: plain writes */
    }
    pv_ops.mmu->alloc_pt(4, pfn);
    pv_ops.mmu->pin_pt(4, pfn);
    pt_pages_in_use++;
    mmu_unlock();
    return pfn;
}

/* Releases the table at level and, after it, every table under it (parents first: see pt_release_table). */
static void free_table(uint64_t pfn, unsigned int level, unsigned int nr_entries)
{
    const pte_t *t = pfn_to_virt(pfn);
    pv_ops.mmu->unpin_pt(pfn);
    pv_ops.mmu->release_pt(level, pfn);
    if (level > 1) {
        pv_before_read(t, nr_entries);
        for (unsigned int i = 0; i < nr_entries; i++)
            if (pte_present(t[i]))
                free_table(pv_pte_pfn(t[i]), level - 1, PT_ENTRIES);
    }
    free_pfn(pfn);
    pt_pages_in_use--;
}

void pt_free_tree(uint64_t root)
{
    BUG_ON(root == current->root_pfn || root == kernel_root_pfn);
    lazy_mmu_enter();
    free_table(root, 4, pt_index(USER_TOP - 1, 4) + 1);     /* the lower half only */
    lazy_mmu_leave();
}

void pt_free_l1(uint64_t root, uint64_t va)
{
    lazy_mmu_enter();
    pte_t *p = walk(root, va, 2, false);
    if (p) {
        pv_before_read(p, 1);
        pte_t e = *p;
        if (pte_present(e)) {
            pv_set_pte(p, 0);
            pv_flush_all();                 /* no cached walk may still reach the table */
            pt_release_table(1, pv_pte_pfn(e));
        }
    }
    lazy_mmu_leave();
}
