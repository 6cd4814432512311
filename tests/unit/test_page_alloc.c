/* Host tests of hypervisor/common/page_alloc.c, the buddy allocator. */
#include <hv/page_alloc.h>
#include <hv/tlbclock.h>
#include "expect_bug.h"
#include "unit.h"

/* ---- the TLB-flush clock's environment: CPUs 0 and 1, each flushed on request ---- */

#define TWO_CPUS    3ull
static unsigned int flush_calls;
static cpumask_t flushed_cpus;

void tlbclock_flush_stale(uint64_t stamp)
{
    cpumask_t stale = tlbclock_filter(TWO_CPUS, stamp);
    if (!stale)
        return;
    flush_calls++;
    flushed_cpus |= stale;
    for_each_cpu_in(cpu, stale)
        tlbclock_flushed(cpu, tlbclock_tick());
}

/* ---- a fresh allocator per test ------------------------------------------ */

static struct page_info *table;
static pfn_t table_frames;

static void fresh(pfn_t frames)
{
    free(table);
    table = malloc(frames * sizeof(*table));
    assert_non_null(table);
    memset(table, 0xa5, frames * sizeof(*table));    /* init must clear it */
    table_frames = frames;
    page_alloc_init(table, frames);
}

static int teardown(void **state)
{
    (void)state;
    free(table);
    table = NULL;
    return 0;
}

static bool in_ranges(pfn_t pfn, const pfn_t (*r)[2], size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (pfn >= r[i][0] && pfn < r[i][1])
            return true;
    return false;
}

/* ---- tests ---------------------------------------------------------------- */

static void test_init_empty(void **state)
{
    (void)state;
    fresh(1024);
    assert_int_equal(page_alloc_free_count(), 0);
    assert_int_equal(page_alloc_total_count(), 0);
    for (unsigned int o = 0; o <= MAX_ORDER; o++)
        assert_true(alloc_frames(o) == INVALID_PFN);
    for (pfn_t p = 0; p < 1024; p++)
        assert_int_equal(pfn_to_page(p)->state, PGS_RESERVED);
    assert_ptr_equal(pfn_to_page(5), &table[5]);
    assert_null(pfn_to_page(1024));
    assert_null(pfn_to_page(INVALID_PFN));
}

/* Aligned ranges become max-order blocks; ranges added apart merge with each other. */
static void test_add_range_merges(void **state)
{
    (void)state;
    const pfn_t big = (pfn_t)1 << MAX_ORDER;
    fresh(4 * big);
    page_alloc_add_range(0, 4 * big);
    assert_int_equal(page_alloc_free_count(), 4 * big);
    assert_int_equal(page_alloc_total_count(), 4 * big);
    for (pfn_t p = 0; p < 4 * big; p += big) {
        assert_int_equal(pfn_to_page(p)->state, PGS_FREE);
        assert_int_equal(pfn_to_page(p)->order, MAX_ORDER);
        assert_int_equal(pfn_to_page(p + 1)->state, PGS_FREE_TAIL);
    }
    bool seen[4] = { false };
    for (int i = 0; i < 4; i++) {
        pfn_t p = alloc_frames(MAX_ORDER);
        assert_true(p != INVALID_PFN && p % big == 0 && p < 4 * big);
        assert_false(seen[p / big]);
        seen[p / big] = true;
    }
    assert_true(alloc_frames(0) == INVALID_PFN);
    assert_int_equal(page_alloc_free_count(), 0);

    /* the same frames given piecewise, out of order, end up as the same blocks */
    fresh(2 * big);
    page_alloc_add_range(big + 100, 2 * big);
    page_alloc_add_range(3, big + 100);
    page_alloc_add_range(0, 3);
    assert_int_equal(page_alloc_free_count(), 2 * big);
    assert_true(alloc_frames(MAX_ORDER) != INVALID_PFN);
    assert_true(alloc_frames(MAX_ORDER) != INVALID_PFN);
    assert_true(alloc_frames(0) == INVALID_PFN);

    /* an unaligned range: the largest aligned blocks that fit */
    fresh(64);
    page_alloc_add_range(3, 29);        /* 3 | 4-7 | 8-15 | 16-23 | 24-27 | 28 */
    assert_int_equal(page_alloc_free_count(), 26);
    assert_int_equal(pfn_to_page(3)->order, 0);
    assert_int_equal(pfn_to_page(4)->order, 2);
    assert_int_equal(pfn_to_page(8)->order, 3);
    assert_int_equal(pfn_to_page(16)->order, 3);
    assert_int_equal(pfn_to_page(24)->order, 2);
    assert_int_equal(pfn_to_page(28)->order, 0);
    assert_true(alloc_frames(4) == INVALID_PFN);
    assert_int_equal(pfn_to_page(2)->state, PGS_RESERVED);
    assert_int_equal(pfn_to_page(29)->state, PGS_RESERVED);

    /* an empty range adds nothing */
    page_alloc_add_range(40, 40);
    assert_int_equal(page_alloc_free_count(), 26);
}

/* Every order comes back naturally aligned, inside the given range, until none is left. */
static void test_alignment_every_order(void **state)
{
    (void)state;
    const pfn_t n = (pfn_t)1 << (MAX_ORDER + 1);
    static const pfn_t ranges[][2] = { { 1, ((pfn_t)1 << (MAX_ORDER + 1)) - 1 } };
    for (unsigned int order = 0; order <= MAX_ORDER; order++) {
        fresh(n);
        page_alloc_add_range(ranges[0][0], ranges[0][1]);
        uint64_t total = page_alloc_free_count(), got = 0;
        pfn_t p;
        /* order 0 would take 2^19 allocations: a few thousand prove the point */
        while (got < 4096 && (p = alloc_frames(order)) != INVALID_PFN) {
            if (p & (((pfn_t)1 << order) - 1))
                fail_msg("order %u: pfn %#llx not aligned", order, (unsigned long long)p);
            assert_true(in_ranges(p, ranges, 1));
            assert_true(in_ranges(p + ((pfn_t)1 << order) - 1, ranges, 1));
            assert_int_equal(pfn_to_page(p)->state, PGS_ALLOCATED);
            assert_int_equal(pfn_to_page(p)->order, order);
            got++;
        }
        if (order == MAX_ORDER)
            assert_int_equal(got, 0);   /* the range has no whole 2^18 block... */
        if (order == MAX_ORDER - 1)
            assert_int_equal(got, 2);   /* ...but two 2^17 ones */
        assert_int_equal(page_alloc_free_count(), total - (got << order));
    }
    assert_true(alloc_frames(MAX_ORDER + 1) == INVALID_PFN);
    assert_true(alloc_frames(~0u) == INVALID_PFN);
}

/* Splitting a block and giving the pieces back restores it whole. */
static void test_split_and_merge(void **state)
{
    (void)state;
    const pfn_t big = (pfn_t)1 << MAX_ORDER;
    fresh(big);
    page_alloc_add_range(0, big);

    pfn_t p = alloc_frame();
    assert_true(p != INVALID_PFN);
    assert_int_equal(page_alloc_free_count(), big - 1);
    assert_true(alloc_frames(MAX_ORDER) == INVALID_PFN);
    free_frame(p);
    assert_int_equal(page_alloc_free_count(), big);
    assert_int_equal(alloc_frames(MAX_ORDER), 0);
    free_frames(0, MAX_ORDER);

    /* one block of every order below the top, in two rounds, freed in other orders */
    for (int round = 0; round < 2; round++) {
        pfn_t got[MAX_ORDER];
        for (unsigned int o = 0; o < MAX_ORDER; o++) {
            got[o] = alloc_frames(o);
            assert_true(got[o] != INVALID_PFN);
        }
        /* 2^0 + ... + 2^17 = 2^18 - 1 frames taken: one frame left, order 0 */
        assert_int_equal(page_alloc_free_count(), 1);
        assert_true(alloc_frames(1) == INVALID_PFN);
        for (unsigned int i = 0; i < MAX_ORDER; i++) {
            unsigned int o = round ? i : MAX_ORDER - 1 - i;
            free_frames(got[o], o);
        }
        assert_int_equal(page_alloc_free_count(), big);
        pfn_t whole = alloc_frames(MAX_ORDER);
        assert_int_equal(whole, 0);
        free_frames(whole, MAX_ORDER);
    }
}

static void test_exhaustion(void **state)
{
    (void)state;
    fresh(64);
    page_alloc_add_range(16, 32);
    assert_true(alloc_frames(5) == INVALID_PFN);
    assert_int_equal(alloc_frames(4), 16);
    assert_true(alloc_frames(0) == INVALID_PFN);
    assert_true(alloc_frames(4) == INVALID_PFN);
    assert_int_equal(page_alloc_free_count(), 0);
    assert_int_equal(page_alloc_total_count(), 16);
    free_frames(16, 4);
    for (int i = 0; i < 16; i++)
        assert_true(alloc_frame() != INVALID_PFN);
    assert_true(alloc_frame() == INVALID_PFN);
}

/* Take everything, order 0 and mixed orders: no frame twice, none outside the ranges. */
static void test_no_double_handout_and_holes(void **state)
{
    (void)state;
    static const pfn_t ranges[][2] = {
        { 5, 1000 }, { 1024, 4096 }, { 4097, 30000 }, { 40000, 65536 }, { 70001, 70002 },
    };
    const pfn_t n = 80000;
    uint8_t *used = malloc(n);
    assert_non_null(used);

    for (int pass = 0; pass < 2; pass++) {
        fresh(n);
        uint64_t total = 0;
        for (size_t i = 0; i < UNIT_ARRAY_SIZE(ranges); i++) {
            page_alloc_add_range(ranges[i][0], ranges[i][1]);
            total += ranges[i][1] - ranges[i][0];
        }
        assert_int_equal(page_alloc_total_count(), total);
        assert_int_equal(page_alloc_free_count(), total);
        memset(used, 0, n);
        uint64_t taken = 0;
        /* pass 0: single frames; pass 1: big blocks first, then smaller ones */
        for (int o = pass ? 12 : 0; o >= 0; o--) {
            pfn_t p;
            while ((p = alloc_frames((unsigned int)o)) != INVALID_PFN) {
                for (pfn_t f = p; f < p + ((pfn_t)1 << o); f++) {
                    if (f >= n || !in_ranges(f, ranges, UNIT_ARRAY_SIZE(ranges)))
                        fail_msg("frame %#llx handed out from a hole", (unsigned long long)f);
                    if (used[f])
                        fail_msg("frame %#llx handed out twice", (unsigned long long)f);
                    used[f] = 1;
                }
                taken += (pfn_t)1 << o;
            }
        }
        assert_int_equal(taken, total);
        assert_int_equal(page_alloc_free_count(), 0);
    }
    free(used);
}

/* Random allocations and frees against a shadow model of who holds what. */
static uint64_t rng_state;
static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

struct block { pfn_t pfn; unsigned int order; };

/* Whether some naturally aligned 2^order frames are all in a range and unheld. */
static bool free_block_exists(const uint8_t *shadow, const uint8_t *inr, pfn_t n, unsigned int order)
{
    for (pfn_t b = 0; b + ((pfn_t)1 << order) <= n; b += (pfn_t)1 << order) {
        pfn_t f = b;
        while (f < b + ((pfn_t)1 << order) && inr[f] && !shadow[f])
            f++;
        if (f == b + ((pfn_t)1 << order))
            return true;
    }
    return false;
}

static void test_random_with_shadow(void **state)
{
    (void)state;
    static const pfn_t ranges[][2] = { { 0, 1 << 14 }, { (1 << 14) + 7, 3 << 14 }, { 50000, 65536 } };
    const pfn_t n = 65536;
    uint8_t *shadow = calloc(n, 1), *inr = calloc(n, 1);
    struct block *held = malloc(n * sizeof(*held));
    assert_non_null(shadow);
    assert_non_null(inr);
    assert_non_null(held);
    for (pfn_t f = 0; f < n; f++)
        inr[f] = in_ranges(f, ranges, UNIT_ARRAY_SIZE(ranges));

    for (uint64_t seed = 1; seed <= 4; seed++) {
        rng_state = seed * 0x9e3779b97f4a7c15ull;
        fresh(n);
        uint64_t total = 0;
        for (size_t i = 0; i < UNIT_ARRAY_SIZE(ranges); i++) {
            page_alloc_add_range(ranges[i][0], ranges[i][1]);
            total += ranges[i][1] - ranges[i][0];
        }
        memset(shadow, 0, n);
        size_t nheld = 0;
        uint64_t held_frames = 0;

        for (int step = 0; step < 40000; step++) {
            bool do_alloc = nheld == 0 || rng() % 100 < (step < 20000 ? 60 : 40);
            if (do_alloc) {
                unsigned int order = (unsigned int)(rng() % 100 < 70 ? rng() % 3 : rng() % 11);
                pfn_t p = alloc_frames(order);
                if (p == INVALID_PFN) {
                    /* only allowed when no aligned block of this order is wholly free */
                    if (free_block_exists(shadow, inr, n, order))
                        fail_msg("seed %llu step %d: order %u refused with a free block",
                                 (unsigned long long)seed, step, order);
                    continue;
                }
                assert_true((p & (((pfn_t)1 << order) - 1)) == 0);
                for (pfn_t f = p; f < p + ((pfn_t)1 << order); f++) {
                    if (!in_ranges(f, ranges, UNIT_ARRAY_SIZE(ranges)) || shadow[f])
                        fail_msg("seed %llu step %d: bad frame %#llx (order %u)",
                                 (unsigned long long)seed, step, (unsigned long long)f, order);
                    shadow[f] = 1;
                }
                held[nheld++] = (struct block){ p, order };
                held_frames += (uint64_t)1 << order;
            } else {
                size_t i = rng() % nheld;
                struct block b = held[i];
                held[i] = held[--nheld];
                free_frames(b.pfn, b.order);
                for (pfn_t f = b.pfn; f < b.pfn + ((pfn_t)1 << b.order); f++)
                    shadow[f] = 0;
                held_frames -= (uint64_t)1 << b.order;
            }
            assert_int_equal(page_alloc_free_count(), total - held_frames);
        }

        /* the states in the frame table agree with the shadow */
        for (pfn_t f = 0; f < n; f++) {
            uint8_t st = pfn_to_page(f)->state;
            if (!in_ranges(f, ranges, UNIT_ARRAY_SIZE(ranges)))
                assert_int_equal(st, PGS_RESERVED);
            else if (shadow[f])
                assert_true(st == PGS_ALLOCATED || st == PGS_ALLOCATED_TAIL);
            else
                assert_true(st == PGS_FREE || st == PGS_FREE_TAIL);
        }

        /* give everything back: the first range is one 2^14 block again */
        while (nheld) {
            nheld--;
            free_frames(held[nheld].pfn, held[nheld].order);
        }
        assert_int_equal(page_alloc_free_count(), total);
        assert_int_equal(pfn_to_page(0)->state, PGS_FREE);
        assert_int_equal(pfn_to_page(0)->order, 14);
    }
    free(shadow);
    free(inr);
    free(held);
}

/* Every misuse is reported through page_alloc_bug and changes nothing. */
static void test_bugs_detected(void **state)
{
    (void)state;
    fresh(1024);
    page_alloc_add_range(64, 512);
    uint64_t free0 = page_alloc_free_count();

    /* double free */
    pfn_t p = alloc_frame();
    free_frame(p);
    EXPECT_BUG(free_frame(p), "not allocated", p);
    assert_int_equal(page_alloc_free_count(), free0);

    /* wrong order, both ways */
    pfn_t q = alloc_frames(3);
    EXPECT_BUG(free_frames(q, 2), "not allocated with this order", q);
    EXPECT_BUG(free_frames(q, 0), "not allocated with this order", q);
    /* a bigger order: misaligned or just wrong */
    pfn_t wrong_pfn = q;
    if (q & 0xf)
        EXPECT_BUG(free_frames(q, 4), "bad frame number", wrong_pfn);
    else
        EXPECT_BUG(free_frames(q, 4), "not allocated with this order", wrong_pfn);
    /* a frame inside the block, not its head */
    EXPECT_BUG(free_frames(q + 1, 0), "not allocated", q + 1);
    EXPECT_BUG(free_frames(q + 4, 2), "not allocated", q + 4);
    assert_int_equal(page_alloc_free_count(), free0 - 8);
    free_frames(q, 3);
    assert_int_equal(page_alloc_free_count(), free0);

    /* frames never given to the allocator, or beyond the table */
    EXPECT_BUG(free_frame(10), "not allocated", 10);
    EXPECT_BUG(free_frame(1023), "not allocated", 1023);
    EXPECT_BUG(free_frame(1024), "bad frame number", 1024);
    EXPECT_BUG(free_frame(INVALID_PFN), "bad frame number", INVALID_PFN);
    EXPECT_BUG(free_frames(64, MAX_ORDER + 1), "bad frame number", 64);
    EXPECT_BUG(free_frames(65, 1), "bad frame number", 65);

    /* a free frame (head or tail of a free block) */
    EXPECT_BUG(free_frame(64), "not allocated", 64);
    EXPECT_BUG(free_frame(100), "not allocated", 100);
    assert_int_equal(page_alloc_free_count(), free0);

    /* the same frame given twice, alone or inside an overlapping range */
    EXPECT_BUG(page_alloc_add_range(64, 65), "given to the allocator twice", 64);
    EXPECT_BUG(page_alloc_add_range(500, 600), "given to the allocator twice", 500);
    EXPECT_BUG(page_alloc_add_range(0, 1024), "given to the allocator twice", 64);
    pfn_t r = alloc_frame();
    EXPECT_BUG(page_alloc_add_range(r, r + 1), "given to the allocator twice", r);
    free_frame(r);
    assert_int_equal(page_alloc_free_count(), free0);
    assert_int_equal(page_alloc_total_count(), 512 - 64);

    /* ranges that do not fit the table */
    EXPECT_BUG(page_alloc_add_range(1000, 1025), "range beyond the frame table", 1025);
    EXPECT_BUG(page_alloc_add_range(600, 599), "range beyond the frame table", 599);
    assert_int_equal(page_alloc_free_count(), free0);

    /* after all that, the allocator still hands out everything exactly once */
    uint64_t got = 0;
    while (alloc_frame() != INVALID_PFN)
        got++;
    assert_int_equal(got, free0);
}

/* The table moved to another address keeps working. */
static void test_move_table(void **state)
{
    (void)state;
    fresh(256);
    page_alloc_add_range(0, 256);
    pfn_t a = alloc_frames(3), b = alloc_frame();
    struct page_info *copy = malloc(256 * sizeof(*copy));
    assert_non_null(copy);
    memcpy(copy, table, 256 * sizeof(*copy));
    memset(table, 0xee, 256 * sizeof(*table));      /* the old mapping is gone */
    page_alloc_move_table(copy);
    assert_ptr_equal(pfn_to_page(a), &copy[a]);
    free_frames(a, 3);
    free_frame(b);
    assert_int_equal(page_alloc_free_count(), 256);
    assert_int_equal(alloc_frames(8), 0);
    free(copy);
}

/*
 * A block goes back to the heap only after the CPUs that may still cache a
 * removed translation of any of its frames flushed (and only those): the
 * stamp is kept while the frames are allocated, the newest one counts.
 */
static void test_free_flushes_stale(void **state)
{
    (void)state;
    fresh(64);
    page_alloc_add_range(0, 64);
    for (unsigned int cpu = 0; cpu < 2; cpu++)
        tlbclock_flushed(cpu, tlbclock_tick());
    flush_calls = 0;
    flushed_cpus = 0;

    /* Never stamped: nothing to flush. */
    pfn_t a = alloc_frames(2);
    free_frames(a, 2);
    assert_int_equal(flush_calls, 0);

    /* Frame a+1 stamped; CPU 1 flushed after that, CPU 0 did not: only CPU 0 is flushed, once. */
    a = alloc_frames(2);
    tlbclock_stamp(&table[a + 1]);
    tlbclock_flushed(1, tlbclock_tick());
    free_frames(a, 2);
    assert_int_equal(flush_calls, 1);
    assert_int_equal(flushed_cpus, 1);
    assert_int_equal(page_alloc_free_count(), 64);

    /* The stamp survives a round trip through the heap, but both CPUs are past it now. */
    pfn_t b = alloc_frames(2);
    assert_int_equal(b, a);
    assert_int_not_equal(table[a + 1].tlbflush_stamp, 0);
    free_frames(b, 2);
    assert_int_equal(flush_calls, 1);

    /* A newer stamp on another frame of a split block: both CPUs this time. */
    b = alloc_frames(1);
    page_alloc_split(b, 1);
    tlbclock_stamp(&table[b + 1]);
    free_frame(b);
    assert_int_equal(flush_calls, 1);
    free_frame(b + 1);
    assert_int_equal(flush_calls, 2);
    assert_int_equal(flushed_cpus, TWO_CPUS);
    assert_int_equal(page_alloc_free_count(), 64);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_init_empty, teardown),
        cmocka_unit_test_teardown(test_add_range_merges, teardown),
        cmocka_unit_test_teardown(test_alignment_every_order, teardown),
        cmocka_unit_test_teardown(test_split_and_merge, teardown),
        cmocka_unit_test_teardown(test_exhaustion, teardown),
        cmocka_unit_test_teardown(test_no_double_handout_and_holes, teardown),
        cmocka_unit_test_teardown(test_random_with_shadow, teardown),
        cmocka_unit_test_teardown(test_bugs_detected, teardown),
        cmocka_unit_test_teardown(test_move_table, teardown),
        cmocka_unit_test_teardown(test_free_flushes_stale, teardown),
    };
    return unit_run(argc, argv, "page_alloc", tests, UNIT_ARRAY_SIZE(tests));
}
