/*
 * Self-tests of lazy-MMU batching: thousands of random mappings checked by
 * reading through each, and 1024 pages mapped with and without batching,
 * counting hypervisor entries and comparing the page tables they leave.
 */
#include <arch.h>
#include <counters.h>
#include <mm.h>
#include <pagetable.h>
#include "selftest.h"

#define TAG(pfn)    (0xba7c000000000000ull ^ (pfn))

#define POOL        64
#define SLOTS       2048
#define OPS         4096

TEST(test_batch_random)
{
    static uint64_t pool[POOL], expect[SLOTS];
    uint64_t seed = 0xba7c4, held = test_memory_in_use(), v;
    for (unsigned int i = 0; i < POOL; i++) {
        pool[i] = alloc_pfn();
        EXPECT(pool[i] != PFN_NONE, "out of pages");
        *(uint64_t *)pfn_to_virt(pool[i]) = TAG(pool[i]);
    }
    uint8_t *r = vm_alloc(SLOTS, VM_RESERVE);
    EXPECT(r, "vm_alloc(VM_RESERVE) failed");
    for (unsigned int i = 0; i < SLOTS; i++)
        expect[i] = PFN_NONE;
    uint64_t e0 = counter_cpu_entries(), b0 = counter_batches();
    unsigned int maps = 0, unmaps = 0;
    lazy_mmu_enter();
    for (unsigned int op = 0; op < OPS; op++) {
        unsigned int slot = (unsigned int)(test_rand(&seed) % SLOTS);
        uintptr_t va = (uintptr_t)r + slot * PAGE_SIZE;
        if (test_rand(&seed) % 4 == 0) {
            vm_unmap(va);
            expect[slot] = PFN_NONE;
            unmaps++;
        } else {
            uint64_t pfn = pool[test_rand(&seed) % POOL];
            if (vm_map(va, pfn, PROT_READ))
                break;
            expect[slot] = pfn;
            maps++;
        }
    }
    lazy_mmu_leave();
    uint64_t entries = counter_cpu_entries() - e0, batches = counter_batches() - b0;
    unsigned int wrong = 0, first_wrong = SLOTS;
    for (unsigned int i = 0; i < SLOTS; i++) {
        uint64_t va = (uint64_t)r + i * PAGE_SIZE;
        int rc = probe_read_u64(va, &v);
        pte_t e = pt_read(kernel_root_pfn, va);
        bool ok = expect[i] == PFN_NONE ? rc == -EFAULT && !pte_present(e)
                                        : !rc && v == TAG(expect[i]) && pv_pte_pfn(e) == expect[i];
        if (!ok && !wrong++)
            first_wrong = i;
    }
    printk("# random mappings: %u maps and %u unmaps in lazy mode took %llu hypervisor entries in %llu batches\n",
           maps, unmaps, (unsigned long long)entries, (unsigned long long)batches);
    vm_free(r);
    for (unsigned int i = 0; i < POOL; i++)
        free_pfn(pool[i]);
    EXPECT(maps + unmaps == OPS, "a mapping failed after %u operations", maps + unmaps);
    EXPECT(!wrong, "%u of %u slots read wrong (first: slot %u)", wrong, SLOTS, first_wrong);
    EXPECT(entries * 10 <= OPS, "%llu hypervisor entries for %u updates: not batched", (unsigned long long)entries,
           OPS);
    EXPECT(test_memory_in_use() == held, "%lld pages not given back", (long long)(test_memory_in_use() - held));
    return NULL;
}

#define NPAGES 1024

/* The first 2 MiB-aligned address of a reservation big enough to hold NPAGES from there. */
static uintptr_t aligned_in(void *r) { return ALIGN_UP((uintptr_t)r, pt_span(2)); }

TEST(test_batch_1024)
{
    static uint64_t pfns[NPAGES];
    uint64_t held = test_memory_in_use(), v;
    void *ra = vm_alloc(NPAGES + PT_ENTRIES, VM_RESERVE), *rb = vm_alloc(NPAGES + PT_ENTRIES, VM_RESERVE);
    EXPECT(ra && rb, "vm_alloc(VM_RESERVE) failed");
    uintptr_t a = aligned_in(ra), b = aligned_in(rb);
    /*
     * Both ranges get their L1 tables during the measurement (tables left by
     * earlier users of these addresses are freed first; their entries are
     * clear); the L2 above exists before.
     */
    for (uintptr_t va = a; va < a + NPAGES * PAGE_SIZE; va += pt_span(2))
        pt_free_l1(kernel_root_pfn, va);
    for (uintptr_t va = b; va < b + NPAGES * PAGE_SIZE; va += pt_span(2))
        pt_free_l1(kernel_root_pfn, va);
    uint64_t tables = pt_pages_in_use;
    EXPECT(pt_walk(kernel_root_pfn, a, 2, true) && pt_walk(kernel_root_pfn, b, 2, true), "no L2 table");
    for (unsigned int i = 0; i < NPAGES; i++) {
        pfns[i] = alloc_pfn();
        EXPECT(pfns[i] != PFN_NONE, "out of pages");
        *(uint64_t *)pfn_to_virt(pfns[i]) = TAG(pfns[i]);
    }
    /* Interrupts off: only the mapping's own entries are counted (no timer events and irets). */
    unsigned long f = irq_save();
    bool was = lazy_mmu_set_batching(false);
    uint64_t e0 = counter_cpu_entries();
    int rc_a = vm_map_range(a, pfns, NPAGES, PROT_READ);
    uint64_t unbatched = counter_cpu_entries() - e0;
    lazy_mmu_set_batching(true);
    e0 = counter_cpu_entries();
    int rc_b = vm_map_range(b, pfns, NPAGES, PROT_READ);
    uint64_t batched = counter_cpu_entries() - e0;
    irq_restore(f);

    unsigned int differ = 0, unreadable = 0;
    for (unsigned int i = 0; i < NPAGES; i++) {
        pte_t ea = pt_read(kernel_root_pfn, a + i * PAGE_SIZE), eb = pt_read(kernel_root_pfn, b + i * PAGE_SIZE);
        differ += ea != eb || !pte_present(ea);
        if (probe_read_u64(a + i * PAGE_SIZE, &v) || v != TAG(pfns[i]) ||
            probe_read_u64(b + i * PAGE_SIZE, &v) || v != TAG(pfns[i]))
            unreadable++;
    }
    f = irq_save();
    lazy_mmu_set_batching(false);
    e0 = counter_cpu_entries();
    vm_unmap_range(a, NPAGES);
    uint64_t unmap_unbatched = counter_cpu_entries() - e0;
    lazy_mmu_set_batching(true);
    e0 = counter_cpu_entries();
    vm_unmap_range(b, NPAGES);
    uint64_t unmap_batched = counter_cpu_entries() - e0;
    lazy_mmu_set_batching(was);
    irq_restore(f);
    printk("# map %u pages: %llu hypervisor entries batched, %llu unbatched; unmap: %llu batched, %llu unbatched\n",
           NPAGES, (unsigned long long)batched, (unsigned long long)unbatched, (unsigned long long)unmap_batched,
           (unsigned long long)unmap_unbatched);

    for (uintptr_t va = a; va < a + NPAGES * PAGE_SIZE; va += pt_span(2))
        pt_free_l1(kernel_root_pfn, va);
    for (uintptr_t va = b; va < b + NPAGES * PAGE_SIZE; va += pt_span(2))
        pt_free_l1(kernel_root_pfn, va);
    vm_free(ra);
    vm_free(rb);
    for (unsigned int i = 0; i < NPAGES; i++)
        free_pfn(pfns[i]);
    EXPECT(!rc_a && !rc_b, "mapping failed: %d (unbatched), %d (batched)", rc_a, rc_b);
    EXPECT(!differ, "%u of %u page-table entries differ between the two ways", differ, NPAGES);
    EXPECT(!unreadable, "%u pages do not read their frame", unreadable);
    EXPECT(batched * 10 <= unbatched, "mapping: %llu entries batched is not 10 times fewer than %llu unbatched",
           (unsigned long long)batched, (unsigned long long)unbatched);
    EXPECT(unmap_batched * 10 <= unmap_unbatched, "unmapping: %llu entries batched vs %llu unbatched",
           (unsigned long long)unmap_batched, (unsigned long long)unmap_unbatched);
    EXPECT(pt_pages_in_use == tables, "%lld page tables not released", (long long)(pt_pages_in_use - tables));
    EXPECT(test_memory_in_use() == held, "%lld pages not given back", (long long)(test_memory_in_use() - held));
    return NULL;
}
