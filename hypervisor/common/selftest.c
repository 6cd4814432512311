/* Common boot self-tests (allocator, formatting) plus the architecture's list. */
#include <hv/machine.h>
#include <hv/page_alloc.h>
#include <hv/printk.h>
#include <hv/selftest.h>
#include <hv/arch.h>

extern char _start[], _end[];

static uint64_t st_mbi_pa;

static bool overlaps(uint64_t pa, uint64_t s, uint64_t e) { return pa + PAGE_SIZE > s && pa < e; }

/* Drains the allocator: no frame handed out may hold anything already in use. */
static const char *test_alloc_excludes_reserved(const struct boot_info *bi, char *why, size_t len)
{
    uint64_t before = page_alloc_free_count(), count = 0;
    pfn_t chain = INVALID_PFN;      /* taken frames, linked through themselves */
    const char *res = NULL;

    for (;;) {
        pfn_t pfn = alloc_frame();
        if (pfn == INVALID_PFN)
            break;
        uint64_t pa = pfn << PAGE_SHIFT;
        if (pa < MiB(1) || overlaps(pa, __pa(_start), __pa(_end)) ||
            overlaps(pa, st_mbi_pa, st_mbi_pa + bi->mbi_size))
            res = "allocator handed out low memory, the image or the boot information";
        for (unsigned int i = 0; i < bi->nr_mods; i++)
            if (overlaps(pa, bi->mods[i].start, bi->mods[i].end))
                res = "allocator handed out module memory";
        if (res) {
            snprintf(why, len, "%s (frame %#llx)", res, (unsigned long long)pfn);
            res = why;
        }
        *(pfn_t *)__va(pa) = chain;     /* remember it inside itself */
        chain = pfn;
        count++;
    }
    if (!res && count != before) {
        snprintf(why, len, "drained %llu frames, free count said %llu", (unsigned long long)count,
                 (unsigned long long)before);
        res = why;
    }
    while (chain != INVALID_PFN) {
        pfn_t next = *(pfn_t *)__va(chain << PAGE_SHIFT);
        free_frame(chain);
        chain = next;
    }
    if (!res && page_alloc_free_count() != before)
        res = "free count differs after returning every frame";
    return res;
}

/* Every order up to 2 MiB comes back naturally aligned and writable through the direct map. */
static const char *test_alloc_orders(const struct boot_info *bi, char *why, size_t len)
{
    (void)bi;
    for (unsigned int order = 0; order <= 9; order++) {
        pfn_t pfn = alloc_frames(order);
        if (pfn == INVALID_PFN)
            return "out of memory";
        if (pfn & ((1ull << order) - 1)) {
            snprintf(why, len, "order %u block at frame %#llx is misaligned", order, (unsigned long long)pfn);
            return why;
        }
        uint8_t *p = __va(pfn << PAGE_SHIFT);
        size_t bytes = PAGE_SIZE << order;
        memset(p, 0xa5, bytes);
        bool good = p[0] == 0xa5 && p[bytes - 1] == 0xa5;
        free_frames(pfn, order);
        if (!good)
            return "direct-map write did not read back";
    }
    return NULL;
}

static const char *test_snprintf(const struct boot_info *bi, char *why, size_t len)
{
    char buf[64];
    (void)bi;
    snprintf(buf, sizeof(buf), "%d|%5u|%-4x|%08llx|%s|%c", -42, 7u, 0xabu, 0x1234ull, "hv", 'z');
    if (strcmp(buf, "-42|    7|ab  |00001234|hv|z")) {
        snprintf(why, len, "got \"%s\"", buf);
        return why;
    }
    return NULL;
}

static const struct selftest common_selftests[] = {
    { "snprintf_formats", test_snprintf },
    { "frame_alloc_orders", test_alloc_orders },
    { "frame_alloc_excludes_reserved", test_alloc_excludes_reserved },
};

__noreturn void selftest_run_all(const struct boot_info *bi, uint64_t mbi_pa)
{
    struct ktap k;
    char why[160];

    st_mbi_pa = mbi_pa;
    ktap_start(&k, ARRAY_SIZE(common_selftests) + nr_arch_selftests);
    for (unsigned int i = 0; i < ARRAY_SIZE(common_selftests) + nr_arch_selftests; i++) {
        const struct selftest *t = i < ARRAY_SIZE(common_selftests)
            ? &common_selftests[i] : &arch_selftests[i - ARRAY_SIZE(common_selftests)];
        why[0] = '\0';
        const char *res = t->fn(bi, why, sizeof(why));
        ktap_result(&k, res == NULL, t->name, "%s", res ? res : "");
    }
    bool pass = ktap_finish(&k);
    printk("selftest: powering off\n");
    machine_exit(pass ? MACHINE_EXIT_POWEROFF : MACHINE_EXIT_TESTFAIL);
}
