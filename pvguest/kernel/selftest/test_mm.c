/* Self-tests of the allocators, kernel virtual memory, faults and address spaces. */
#include <arch.h>
#include <counters.h>
#include <mm.h>
#include <pagetable.h>
#include "selftest.h"

#define TAG(pfn) (0x7a6700000000ull ^ (pfn))

TEST(test_page_alloc)
{
    uint64_t before = page_free_count(), held = test_memory_in_use();
    uint64_t a = alloc_pfn(), b = alloc_pfn(), blk = alloc_pfns(3, __func__);
    bool ok = a != PFN_NONE && b != PFN_NONE && blk != PFN_NONE;
    const char *res = NULL;
    if (!ok)
        res = ktap_fail(why, len, "allocations failed: %#llx %#llx %#llx", (unsigned long long)a,
                        (unsigned long long)b, (unsigned long long)blk);
    else if (a == b || (blk & 7) || (a >= blk && a < blk + 8) || (b >= blk && b < blk + 8))
        res = ktap_fail(why, len, "overlap or misaligned block: %#llx %#llx %#llx", (unsigned long long)a,
                        (unsigned long long)b, (unsigned long long)blk);
    else if (page_free_count() != before - 10)
        res = ktap_fail(why, len, "free count %llu, want %llu", (unsigned long long)page_free_count(),
                        (unsigned long long)(before - 10));
    if (!res) {
        uint64_t pfns[10] = { a, b };
        for (int i = 0; i < 8; i++)
            pfns[2 + i] = blk + (uint64_t)i;
        for (int i = 0; i < 10; i++)
            memset(pfn_to_virt(pfns[i]), i + 1, PAGE_SIZE);
        for (int i = 0; i < 10 && !res; i++) {
            const uint8_t *p = pfn_to_virt(pfns[i]);
            if (!pfn_is_allocated(pfns[i]) || p[0] != i + 1 || p[PAGE_SIZE - 1] != i + 1)
                res = ktap_fail(why, len, "page %d (%#llx) lost its contents", i, (unsigned long long)pfns[i]);
        }
    }
    if (a != PFN_NONE)
        free_pfn(a);
    if (b != PFN_NONE)
        free_pfn(b);
    if (blk != PFN_NONE)
        free_pfns(blk, 3);
    if (!res && (page_free_count() != before || test_memory_in_use() != held))
        res = ktap_fail(why, len, "free count %llu after freeing, want %llu", (unsigned long long)page_free_count(),
                        (unsigned long long)before);
    return res;
}

TEST(test_page_exhaustion)
{
    uint64_t before = page_free_count(), n = 0, head = PFN_NONE;
    printk("# expected below: page_alloc, slab and vm report running out of memory\n");
    for (;;) {
        uint64_t pfn = alloc_pfns(0, "the exhaustion self-test");
        if (pfn == PFN_NONE)
            break;
        *(uint64_t *)pfn_to_virt(pfn) = head;
        head = pfn;
        n++;
    }
    uint64_t left = page_free_count();
    /* With no page left, the other allocators fail cleanly too. */
    void *objs[64];
    unsigned int nobj = 0;
    while (nobj < ARRAY_SIZE(objs) && (objs[nobj] = kmalloc(SLAB_MAX_SIZE)))
        nobj++;
    void *region = vm_alloc(1, VM_EAGER);
    for (unsigned int i = 0; i < nobj; i++)
        kfree(objs[i]);
    if (region)
        vm_free(region);
    uint64_t freed = 0;
    while (head != PFN_NONE) {
        uint64_t next = *(uint64_t *)pfn_to_virt(head);
        free_pfn(head);
        head = next;
        freed++;
    }
    EXPECT(left == 0 && n == before, "took %llu of %llu free pages, %llu left", (unsigned long long)n,
           (unsigned long long)before, (unsigned long long)left);
    EXPECT(nobj < ARRAY_SIZE(objs), "kmalloc kept succeeding with no free page");
    EXPECT(!region, "vm_alloc succeeded with no free page");
    EXPECT(freed == n && page_free_count() == before, "free count %llu after giving back, want %llu",
           (unsigned long long)page_free_count(), (unsigned long long)before);
    return NULL;
}

TEST(test_slab)
{
    static void *objs[1024];
    static uint16_t sizes[1024];
    uint64_t seed = 0x5eed, held = test_memory_in_use(), slabs = slab_pages();
    const char *res = NULL;
    for (unsigned int i = 0; i < ARRAY_SIZE(objs); i++) {
        sizes[i] = (uint16_t)(1 + test_rand(&seed) % SLAB_MAX_SIZE);
        objs[i] = kmalloc(sizes[i]);
        if (!objs[i]) {
            res = ktap_fail(why, len, "kmalloc(%u) #%u failed", sizes[i], i);
            break;
        }
        memset(objs[i], (int)(i & 0xff), sizes[i]);
    }
    for (int round = 0; round < 2 && !res; round++) {
        for (unsigned int i = 0; i < ARRAY_SIZE(objs) && !res; i++) {
            const uint8_t *p = objs[i];
            if (p[0] != (i & 0xff) || p[sizes[i] - 1] != (i & 0xff))
                res = ktap_fail(why, len, "object %u (%u bytes) was overwritten", i, sizes[i]);
        }
        /* Free every other object and allocate it again: freed slots are reused. */
        for (unsigned int i = round; i < ARRAY_SIZE(objs) && !res; i += 2) {
            kfree(objs[i]);
            objs[i] = kmalloc(sizes[i]);
            if (!objs[i])
                res = ktap_fail(why, len, "kmalloc(%u) again failed", sizes[i]);
            else
                memset(objs[i], (int)(i & 0xff), sizes[i]);
        }
    }
    for (unsigned int i = 0; i < ARRAY_SIZE(objs); i++)
        kfree(objs[i]);
    if (!res && (kmalloc(0) || kmalloc(SLAB_MAX_SIZE + 1)))
        res = ktap_fail(why, len, "kmalloc of 0 or too many bytes succeeded");
    if (!res && slab_pages() > slabs + 8)
        res = ktap_fail(why, len, "%llu slab pages kept after freeing everything, %llu before",
                        (unsigned long long)slab_pages(), (unsigned long long)slabs);
    if (!res && test_memory_in_use() != held)
        res = ktap_fail(why, len, "%lld pages not given back",
                        (long long)(test_memory_in_use() - held));
    return res;
}

TEST(test_vm_map_unmap)
{
    uint64_t held = test_memory_in_use(), pfns[8], v;
    uint8_t *r = vm_alloc(8, VM_RESERVE);
    EXPECT(r, "vm_alloc(VM_RESERVE) failed");
    for (int i = 0; i < 8; i++) {
        pfns[i] = alloc_pfn();
        EXPECT(pfns[i] != PFN_NONE, "out of pages");
        *(uint64_t *)pfn_to_virt(pfns[i]) = TAG(pfns[i]);
        EXPECT(!vm_map((uintptr_t)r + i * PAGE_SIZE, pfns[i], PROT_WRITE), "vm_map failed");
    }
    for (int i = 0; i < 8; i++) {
        EXPECT(!probe_read_u64((uint64_t)r + i * PAGE_SIZE, &v) && v == TAG(pfns[i]),
               "page %d reads %#llx through the mapping", i, (unsigned long long)v);
        ((uint64_t *)(r + i * PAGE_SIZE))[1] = 0xabcd0000ull + (uint64_t)i;     /* and writes through it */
        EXPECT(((uint64_t *)pfn_to_virt(pfns[i]))[1] == 0xabcd0000ull + (uint64_t)i, "write through page %d lost", i);
    }
    EXPECT(vm_unmap((uintptr_t)r + 3 * PAGE_SIZE) == pfns[3], "vm_unmap returned the wrong frame");
    EXPECT(probe_read_u64((uint64_t)r + 3 * PAGE_SIZE, &v) == -EFAULT, "an unmapped page still reads");
    EXPECT(!probe_read_u64((uint64_t)r + 4 * PAGE_SIZE, &v) && v == TAG(pfns[4]), "its neighbour stopped reading");
    /* Remapping an address replaces the old mapping at once (flushed). */
    EXPECT(!vm_map((uintptr_t)r + 4 * PAGE_SIZE, pfns[5], PROT_READ), "vm_map over a mapping failed");
    EXPECT(!probe_read_u64((uint64_t)r + 4 * PAGE_SIZE, &v) && v == TAG(pfns[5]), "the old mapping is still used");
    vm_free(r);
    for (int i = 0; i < 8; i++)
        free_pfn(pfns[i]);
    /* An eager region is zeroed and writable; its guard page is not mapped. */
    uint64_t *e = vm_alloc(16, VM_EAGER);
    EXPECT(e, "vm_alloc(16, VM_EAGER) failed");
    for (int i = 0; i < 16; i++) {
        EXPECT(e[i * 512] == 0 && e[i * 512 + 511] == 0, "eager page %d not zeroed", i);
        e[i * 512] = (uint64_t)i;
    }
    EXPECT(probe_read_u64((uint64_t)(e + 16 * 512), &v) == -EFAULT, "the guard page reads");
    vm_free(e);
    EXPECT(test_memory_in_use() == held, "%lld pages not given back", (long long)(test_memory_in_use() - held));
    return NULL;
}

TEST(test_demand_zero)
{
    uint64_t held = test_memory_in_use(), faults = vm_demand_faults, v;
    uint64_t *p = vm_alloc(64, VM_DEMAND_ZERO);
    EXPECT(p, "vm_alloc(VM_DEMAND_ZERO) failed");
    EXPECT(!pte_present(pt_read(kernel_root_pfn, (uint64_t)p)), "a demand-zero page is mapped before use");
    static const int touch[] = { 0, 5, 63, 17 };
    for (unsigned int i = 0; i < ARRAY_SIZE(touch); i++) {
        uint64_t *page = p + touch[i] * 512;
        EXPECT(page[7] == 0, "page %d not zero on first touch", touch[i]);
        page[7] = 0x1000ull + (uint64_t)touch[i];
    }
    EXPECT(vm_demand_faults - faults == ARRAY_SIZE(touch), "%llu demand faults for %u pages touched",
           (unsigned long long)(vm_demand_faults - faults), (unsigned)ARRAY_SIZE(touch));
    for (unsigned int i = 0; i < ARRAY_SIZE(touch); i++)
        EXPECT(p[touch[i] * 512 + 7] == 0x1000ull + (uint64_t)touch[i], "page %d lost its write", touch[i]);
    EXPECT(vm_demand_faults - faults == ARRAY_SIZE(touch), "touching a served page faulted again");
    EXPECT(!pte_present(pt_read(kernel_root_pfn, (uint64_t)(p + 6 * 512))), "an untouched page got mapped");
    EXPECT(test_memory_in_use() == held + ARRAY_SIZE(touch), "%lld pages back the region, want %u",
           (long long)(test_memory_in_use() - held), (unsigned)ARRAY_SIZE(touch));
    /* Outside any region a fault is not served: the probe's fixup reports it. */
    EXPECT(probe_read_u64((uint64_t)(p + 64 * 512), &v) == -EFAULT, "the guard page was served");
    vm_free(p);
    EXPECT(test_memory_in_use() == held, "%lld pages not given back", (long long)(test_memory_in_use() - held));
    return NULL;
}

TEST(test_vm_oom)
{
    uint64_t held = test_memory_in_use(), want = page_free_count() + 16;
    printk("# expected below: vm reports running out of memory for %llu pages\n", (unsigned long long)want);
    void *p = vm_alloc(want, VM_EAGER);
    EXPECT(!p, "vm_alloc of %llu pages (more than free) succeeded", (unsigned long long)want);
    EXPECT(test_memory_in_use() == held, "%lld pages kept after a failed vm_alloc",
           (long long)(test_memory_in_use() - held));
    void *q = vm_alloc(4, VM_EAGER);
    EXPECT(q, "vm_alloc of 4 pages failed after the failure");
    vm_free(q);
    return NULL;
}

TEST(test_lazy_before_read)
{
    uint64_t held = test_memory_in_use(), a = alloc_pfn(), b = alloc_pfn(), v = 0;
    uint8_t *r = vm_alloc(2, VM_RESERVE);
    EXPECT(r && a != PFN_NONE && b != PFN_NONE, "out of memory");
    *(uint64_t *)pfn_to_virt(a) = TAG(a);
    *(uint64_t *)pfn_to_virt(b) = TAG(b);
    lazy_mmu_enter();
    vm_map((uintptr_t)r, a, PROT_WRITE);
    pte_t e = pt_read(kernel_root_pfn, (uint64_t)r);        /* must see the queued update */
    vm_map((uintptr_t)r + PAGE_SIZE, b, PROT_WRITE);
    int rc = probe_read_u64((uint64_t)r + PAGE_SIZE, &v);   /* an access, too */
    lazy_mmu_leave();
    vm_free(r);
    free_pfn(a);
    free_pfn(b);
    EXPECT(pte_present(e) && pv_pte_pfn(e) == a, "the table read inside lazy mode showed %#llx",
           (unsigned long long)e);
    EXPECT(!rc && v == TAG(b), "reading through a queued mapping: rc %d value %#llx", rc, (unsigned long long)v);
    EXPECT(test_memory_in_use() == held, "%lld pages not given back", (long long)(test_memory_in_use() - held));
    return NULL;
}

#define AS_PAGES 1024
#define AS_BASE  0x40000000ull

TEST(test_aspace)
{
    static uint64_t pfns[AS_PAGES];
    uint64_t held = test_memory_in_use(), tables = pt_pages_in_use, v;
    for (unsigned int i = 0; i < AS_PAGES; i++) {
        pfns[i] = alloc_pfn();
        if (pfns[i] == PFN_NONE) {
            while (i)
                free_pfn(pfns[--i]);
            return ktap_fail(why, len, "out of pages");
        }
        *(uint64_t *)pfn_to_virt(pfns[i]) = TAG(pfns[i]);
    }
    uint64_t e0 = counter_cpu_entries(), e1, e2, e3;
    struct aspace *as = aspace_create();
    int rc = as ? aspace_map_range(as, AS_BASE, pfns, AS_PAGES, PROT_READ) : -ENOMEM;
    e1 = counter_cpu_entries();
    unsigned int bad = AS_PAGES;
    if (!rc) {
        aspace_switch(as);
        for (unsigned int i = 0; i < AS_PAGES && bad == AS_PAGES; i++)
            if (probe_read_u64(AS_BASE + i * PAGE_SIZE, &v) || v != TAG(pfns[i]))
                bad = i;
        bool kernel_ok = !probe_read_u64((uint64_t)&pfns[0], &v) && v == pfns[0];
        aspace_switch(NULL);
        if (!kernel_ok)
            bad = AS_PAGES + 1;
    }
    e2 = counter_cpu_entries();
    bool low_gone = probe_read_u64(AS_BASE, &v) == -EFAULT;
    if (as)
        aspace_destroy(as);
    e3 = counter_cpu_entries();
    for (unsigned int i = 0; i < AS_PAGES; i++)
        free_pfn(pfns[i]);
    printk("# address space: build+map %llu entries, switch+read+switch %llu, teardown %llu\n",
           (unsigned long long)(e1 - e0), (unsigned long long)(e2 - e1), (unsigned long long)(e3 - e2));
    EXPECT(!rc, "building the address space failed: %d", rc);
    EXPECT(bad == AS_PAGES, bad > AS_PAGES ? "kernel memory unreadable in the new address space"
                                           : "page %u does not read its frame in the new address space", bad);
    EXPECT(low_gone, "the new address space's mappings show in the kernel's");
    EXPECT(pt_pages_in_use == tables, "%lld page tables not released", (long long)(pt_pages_in_use - tables));
    EXPECT(test_memory_in_use() == held, "%lld pages not given back", (long long)(test_memory_in_use() - held));
    return NULL;
}
