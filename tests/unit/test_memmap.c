/* Host tests of hypervisor/common/memmap.c: usable RAM, RAM checks, totals. */
#include <hv/memmap.h>
#include "unit.h"

#define K 0x400ull
#define M 0x100000ull
#define G 0x40000000ull
#define NOLIMIT (~0ull)

#define RAM(s, e)   { (s), (e), MEM_AVAILABLE }
#define RES(s, e)   { (s), (e), MEM_RESERVED }
#define ACPI(s, e)  { (s), (e), MEM_ACPI_RECLAIM }
#define NVS(s, e)   { (s), (e), MEM_ACPI_NVS }
#define BAD(s, e)   { (s), (e), MEM_BAD }

struct usable_case {
    const char *what;
    struct mem_region map[8];
    unsigned int nr_map;
    uint64_t limit;
    struct range reserved[4];
    unsigned int nr_reserved;
    unsigned int max_out;
    int want_n;                 /* -1: out[] too small */
    struct range want[8];
};

static const struct usable_case usable_cases[] = {
    { "one range", { RAM(0, 16 * M) }, 1, NOLIMIT, { { 0 } }, 0, 8, 1, { { 0, 16 * M } } },
    { "overlapping RAM merged", { RAM(0, 8 * M), RAM(4 * M, 12 * M) }, 2, NOLIMIT, { { 0 } }, 0, 8,
      1, { { 0, 12 * M } } },
    { "contained RAM merged", { RAM(0, 16 * M), RAM(4 * M, 8 * M) }, 2, NOLIMIT, { { 0 } }, 0, 8,
      1, { { 0, 16 * M } } },
    { "adjacent RAM merged", { RAM(4 * M, 8 * M), RAM(0, 4 * M) }, 2, NOLIMIT, { { 0 } }, 0, 8, 1,
      { { 0, 8 * M } } },
    { "duplicate RAM merged", { RAM(M, 2 * M), RAM(M, 2 * M), RAM(M, 2 * M) }, 3, NOLIMIT,
      { { 0 } }, 0, 8, 1, { { M, 2 * M } } },
    { "unsorted in, sorted out", { RAM(32 * M, 64 * M), RAM(0, 4 * M), RAM(8 * M, 16 * M) }, 3,
      NOLIMIT, { { 0 } }, 0, 8, 3, { { 0, 4 * M }, { 8 * M, 16 * M }, { 32 * M, 64 * M } } },
    { "firmware region inside RAM splits it", { RAM(0, 16 * M), RES(M, 2 * M) }, 2, NOLIMIT,
      { { 0 } }, 0, 8, 2, { { 0, M }, { 2 * M, 16 * M } } },
    { "ACPI region over the top edge", { RAM(0, 16 * M), ACPI(15 * M, 17 * M) }, 2, NOLIMIT,
      { { 0 } }, 0, 8, 1, { { 0, 15 * M } } },
    { "NVS and bad memory over the bottom edge", { RAM(M, 16 * M), NVS(0, 2 * M), BAD(3 * M, 4 * M) },
      3, NOLIMIT, { { 0 } }, 0, 8, 2, { { 2 * M, 3 * M }, { 4 * M, 16 * M } } },
    { "firmware region listed before RAM", { RES(0x9f000, 0x100000), RAM(0, 0xa0000) }, 2, NOLIMIT,
      { { 0 } }, 0, 8, 1, { { 0, 0x9f000 } } },
    { "firmware region covers RAM", { RAM(M, 2 * M), RES(0, 4 * M) }, 2, NOLIMIT, { { 0 } }, 0, 8,
      0, { { 0 } } },
    { "firmware region rounded outward", { RAM(0, 16 * M), RES(0x1800, 0x2800) }, 2, NOLIMIT,
      { { 0 } }, 0, 8, 2, { { 0, 0x1000 }, { 0x3000, 16 * M } } },
    { "firmware region over merged RAM", { RAM(0, 8 * M), RAM(6 * M, 12 * M), RES(5 * M, 9 * M) },
      3, NOLIMIT, { { 0 } }, 0, 8, 2, { { 0, 5 * M }, { 9 * M, 12 * M } } },
    { "reserved ranges cut", { RAM(0, 64 * M) }, 1, NOLIMIT, { { 0, M }, { 60 * M, 70 * M } }, 2, 8,
      1, { { M, 60 * M } } },
    { "reserved range splits in two, rounded outward", { RAM(0, 64 * M) }, 1, NOLIMIT,
      { { 8 * M + 100, 9 * M - 100 } }, 1, 8, 2, { { 0, 8 * M }, { 9 * M, 64 * M } } },
    { "reserved ranges in reverse order", { RAM(0, 64 * M) }, 1, NOLIMIT,
      { { 40 * M, 41 * M }, { 20 * M, 21 * M }, { 10 * M, 11 * M } }, 3, 8, 4,
      { { 0, 10 * M }, { 11 * M, 20 * M }, { 21 * M, 40 * M }, { 41 * M, 64 * M } } },
    { "reserved range across two RAM ranges", { RAM(0, 4 * M), RAM(8 * M, 16 * M) }, 2, NOLIMIT,
      { { 3 * M, 9 * M } }, 1, 8, 2, { { 0, 3 * M }, { 9 * M, 16 * M } } },
    { "reserved range in a hole", { RAM(0, 4 * M), RAM(8 * M, 16 * M) }, 2, NOLIMIT,
      { { 5 * M, 6 * M } }, 1, 8, 2, { { 0, 4 * M }, { 8 * M, 16 * M } } },
    { "everything reserved", { RAM(M, 4 * M) }, 1, NOLIMIT, { { 0, 8 * M } }, 1, 8, 0, { { 0 } } },
    { "page rounding inward", { RAM(0x1001, 0x5fff) }, 1, NOLIMIT, { { 0 } }, 0, 8, 1,
      { { 0x2000, 0x5000 } } },
    { "less than a page after rounding", { RAM(0x1001, 0x2fff) }, 1, NOLIMIT, { { 0 } }, 0, 8, 0,
      { { 0 } } },
    { "BIOS-style low map", { RAM(0, 0x9fc00), RES(0x9fc00, 0xa0000), RES(0xf0000, 0x100000),
      RAM(0x100000, 0x7fe0000), ACPI(0x7fe0000, 0x8000000) }, 5, NOLIMIT, { { 0 } }, 0, 8, 2,
      { { 0, 0x9f000 }, { 0x100000, 0x7fe0000 } } },
    { "limit clips", { RAM(0, 4 * G) }, 1, G + 0x800, { { 0 } }, 0, 8, 1, { { 0, G } } },
    { "limit between ranges", { RAM(0, M), RAM(2 * G, 3 * G) }, 2, G, { { 0 } }, 0, 8, 1,
      { { 0, M } } },
    { "limit below everything", { RAM(M, 2 * M) }, 1, M, { { 0 } }, 0, 8, 0, { { 0 } } },
    { "limit zero", { RAM(0, 2 * M) }, 1, 0, { { 0 } }, 0, 8, 0, { { 0 } } },
    { "RAM above 4G", { RAM(0, 2 * G), RAM(4 * G, 6 * G) }, 2, NOLIMIT, { { 0 } }, 0, 8, 2,
      { { 0, 2 * G }, { 4 * G, 6 * G } } },
    { "non-RAM types only", { RES(0, M), ACPI(M, 2 * M), NVS(2 * M, 3 * M), BAD(3 * M, 4 * M),
      { 4 * M, 5 * M, 12 } }, 5, NOLIMIT, { { 0 } }, 0, 8, 0, { { 0 } } },
    { "empty map", { { 0 } }, 0, NOLIMIT, { { 0 } }, 0, 8, 0, { { 0 } } },
    { "exactly fills out[]", { RAM(0, M), RAM(2 * M, 3 * M) }, 2, NOLIMIT, { { 0 } }, 0, 2, 2,
      { { 0, M }, { 2 * M, 3 * M } } },
    { "out[] too small for RAM", { RAM(0, M), RAM(2 * M, 3 * M), RAM(4 * M, 5 * M) }, 3, NOLIMIT,
      { { 0 } }, 0, 2, -1, { { 0 } } },
    { "out[] too small for a split", { RAM(0, 16 * M) }, 1, NOLIMIT, { { 4 * M, 5 * M } }, 1, 1, -1,
      { { 0 } } },
    { "out[] too small for a firmware split", { RAM(0, 16 * M), RES(4 * M, 5 * M) }, 2, NOLIMIT,
      { { 0 } }, 0, 1, -1, { { 0 } } },
    { "max_out 0 with no RAM", { RES(0, M) }, 1, NOLIMIT, { { 0 } }, 0, 0, 0, { { 0 } } },
};

static void test_usable_table(void **state)
{
    (void)state;
    int bad = 0;
    for (size_t i = 0; i < UNIT_ARRAY_SIZE(usable_cases); i++) {
        const struct usable_case *c = &usable_cases[i];
        /* out[] on the heap at exactly max_out entries, so ASan sees overruns */
        struct range *out = malloc((c->max_out ? c->max_out : 1) * sizeof(*out));
        assert_non_null(out);
        int n = memmap_usable(c->map, c->nr_map, c->limit, c->reserved, c->nr_reserved, out,
                              c->max_out);
        bool ok = n == c->want_n;
        for (int j = 0; ok && j < n; j++)
            ok = out[j].start == c->want[j].start && out[j].end == c->want[j].end;
        if (!ok) {
            print_error("%s: got %d range(s):", c->what, n);
            for (int j = 0; j < n; j++)
                print_error(" [%#llx, %#llx)", (unsigned long long)out[j].start,
                            (unsigned long long)out[j].end);
            print_error(", want %d\n", c->want_n);
            bad++;
        }
        free(out);
    }
    assert_int_equal(bad, 0);
}

/* ---- a page-bitmap model over a small address space, random maps -------- */

#define MODEL_PAGES 256
#define PAGE 4096ull

static uint64_t rng_state;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* An address near a page boundary more often than not, below the model's top. */
static uint64_t rand_addr(void)
{
    uint64_t page = rng() % (MODEL_PAGES + 1);
    switch (rng() % 4) {
    case 0: return page * PAGE;
    case 1: return page * PAGE + rng() % PAGE;
    case 2: return page ? page * PAGE - 1 : 0;
    default: return page * PAGE + 1;
    }
}

static void test_usable_model(void **state)
{
    (void)state;
    rng_state = 0x9e3779b97f4a7c15ull;
    for (int iter = 0; iter < 3000; iter++) {
        struct mem_region map[10];
        struct range res[4], out[64];
        unsigned int nr_map = 1 + rng() % 10, nr_res = rng() % 5;
        uint64_t limit = rng() % 4 ? NOLIMIT : rand_addr();

        for (unsigned int i = 0; i < nr_map; i++) {
            uint64_t a = rand_addr(), b = rand_addr();
            map[i] = (struct mem_region){ MIN(a, b), MAX(a, b),
                                          rng() % 3 ? MEM_AVAILABLE : 2 + rng() % 4 };
        }
        for (unsigned int i = 0; i < nr_res; i++) {
            uint64_t a = rand_addr(), b = rand_addr();
            if (a == b)
                b++;
            res[i] = (struct range){ MIN(a, b), MAX(a, b) };
        }

        /* a page is usable iff it lies inside one RAM entry and below limit, and no
           other firmware region or reserved range touches it */
        bool want[MODEL_PAGES + 2] = { false };
        for (uint64_t p = 0; p < MODEL_PAGES + 2; p++) {
            uint64_t s = p * PAGE, e = s + PAGE;
            bool ram = false, taken = false;
            for (unsigned int i = 0; i < nr_map; i++) {
                if (map[i].type == MEM_AVAILABLE && map[i].start <= s && e <= map[i].end &&
                    e <= limit)
                    ram = true;
                if (map[i].type != MEM_AVAILABLE && map[i].start < e && s < map[i].end)
                    taken = true;
            }
            for (unsigned int i = 0; i < nr_res; i++)
                if (res[i].start < e && s < res[i].end)
                    taken = true;
            want[p] = ram && !taken;
        }

        int n = memmap_usable(map, nr_map, limit, res, nr_res, out, UNIT_ARRAY_SIZE(out));
        assert_true(n >= 0);
        bool got[MODEL_PAGES + 2] = { false };
        for (int j = 0; j < n; j++) {
            assert_true(out[j].start < out[j].end);
            assert_true(out[j].start % PAGE == 0 && out[j].end % PAGE == 0);
            if (j)
                assert_true(out[j - 1].end <= out[j].start);   /* sorted, disjoint */
            assert_true(out[j].end <= (MODEL_PAGES + 2) * PAGE);
            for (uint64_t a = out[j].start; a < out[j].end; a += PAGE)
                got[a / PAGE] = true;
        }
        for (unsigned int p = 0; p < MODEL_PAGES + 2; p++)
            if (got[p] != want[p])
                fail_msg("iteration %d: page %#x usable %d, model says %d", iter, p, got[p],
                         want[p]);
    }
}

/* ---- memmap_is_ram and memmap_ram_total ---------------------------------- */

static const struct mem_region ram_map[] = {
    RAM(0, 4 * M),
    RAM(4 * M, 8 * M),          /* adjacent to the first */
                                /* hole [8M, 16M) */
    RAM(16 * M, 32 * M),
    RES(20 * M, 21 * M),        /* firmware region inside RAM */
    RAM(40 * M, 48 * M),
    RAM(44 * M, 56 * M),        /* overlaps the previous */
    ACPI(64 * M, 65 * M),       /* not RAM, not overlapping RAM */
};

static const struct {
    uint64_t start, end;
    bool want;
} is_ram_cases[] = {
    { M, 2 * M, true },
    { 0, 4 * M, true },
    { 3 * M, 5 * M, true },             /* spans two adjacent entries */
    { 0, 8 * M, true },
    { 7 * M, 8 * M, true },
    { 7 * M, 8 * M + 1, false },        /* touches the hole */
    { 8 * M, 9 * M, false },            /* in the hole */
    { 6 * M, 17 * M, false },           /* across the hole */
    { 16 * M, 20 * M, true },
    { 19 * M, 20 * M + 1, false },      /* touches the firmware region */
    { 20 * M, 21 * M, false },
    { 20 * M + 4 * K, 20 * M + 8 * K, false },
    { 21 * M, 32 * M, true },
    { 0, 32 * M, false },
    { 42 * M, 50 * M, true },           /* spans two overlapping entries */
    { 40 * M, 56 * M, true },
    { 55 * M, 57 * M, false },          /* runs off the end */
    { 64 * M, 64 * M + 1, false },      /* ACPI is not RAM */
    { 100 * M, 101 * M, false },        /* above everything */
    { 32 * M - 1, 32 * M, true },
    { 32 * M, 32 * M + 1, false },
};

static void test_is_ram(void **state)
{
    (void)state;
    /* the map in its order and reversed: the answer must not depend on order */
    struct mem_region rev[UNIT_ARRAY_SIZE(ram_map)];
    for (size_t i = 0; i < UNIT_ARRAY_SIZE(ram_map); i++)
        rev[i] = ram_map[UNIT_ARRAY_SIZE(ram_map) - 1 - i];
    for (size_t i = 0; i < UNIT_ARRAY_SIZE(is_ram_cases); i++) {
        bool a = memmap_is_ram(ram_map, UNIT_ARRAY_SIZE(ram_map), is_ram_cases[i].start,
                               is_ram_cases[i].end);
        bool b = memmap_is_ram(rev, UNIT_ARRAY_SIZE(rev), is_ram_cases[i].start,
                               is_ram_cases[i].end);
        if (a != is_ram_cases[i].want || b != is_ram_cases[i].want)
            fail_msg("row %zu [%#llx, %#llx): got %d/%d (reversed), want %d", i,
                     (unsigned long long)is_ram_cases[i].start,
                     (unsigned long long)is_ram_cases[i].end, a, b, is_ram_cases[i].want);
    }
    assert_false(memmap_is_ram(ram_map, 0, 0, M));
}

static void test_ram_total(void **state)
{
    (void)state;
    static const struct mem_region map[] = {
        RAM(0, 0x9fc00), RES(0x9fc00, 0xa0000), RAM(M, 2 * G), ACPI(2 * G, 2 * G + M),
        RAM(4 * G, 6 * G), BAD(6 * G, 7 * G),
    };
    /* Whole pages only: the partial page below 0x9fc00 does not count. */
    assert_int_equal(memmap_ram_total(map, UNIT_ARRAY_SIZE(map)), 0x9f000 + (2 * G - M) + 2 * G);
    /* Overlapping available entries count once. */
    static const struct mem_region overlap[] = { RAM(M, 3 * M), RAM(2 * M, 4 * M), RAM(2 * M, 3 * M) };
    assert_int_equal(memmap_ram_total(overlap, UNIT_ARRAY_SIZE(overlap)), 3 * M);
    assert_int_equal(memmap_ram_total(map, 0), 0);
    assert_int_equal(memmap_ram_total(map + 1, 1), 0);
}

/* ---- regressions: bugs these tests found, now fixed ---------------------- */

/*
 * ROUNDUP(start, 4096) wraps to 0 for an available entry starting in the last
 * page of the address space, so the entry [0xfffffffffffff001, 0xffffffffffffffff)
 * (accepted by mb2_parse: base + len does not wrap) turns into the usable range
 * [0, 0xfffffffffffff000): all memory, holes and MMIO included, becomes RAM.
 */
static void test_roundup_wraps_ram(void **state)
{
    (void)state;
    static const struct mem_region map[] = {
        RAM(M, 16 * M),
        RAM(0xfffffffffffff001ull, 0xffffffffffffffffull),
    };
    struct range out[8];
    int n = memmap_usable(map, UNIT_ARRAY_SIZE(map), NOLIMIT, NULL, 0, out, 8);
    assert_int_equal(n, 1);
    assert_int_equal(out[0].start, M);
    assert_int_equal(out[0].end, 16 * M);
}

/*
 * The same wrap on the cut side: a firmware region ending in the last page
 * rounds its end up to 0, the cut [start, 0) removes nothing, and RAM it
 * overlaps stays usable.
 */
static void test_roundup_wraps_reserved(void **state)
{
    (void)state;
    static const struct mem_region map[] = {
        RAM(0xfffffffff0000000ull, 0xfffffffffff00000ull),
        RES(0xfffffffff8000000ull, 0xffffffffffffffffull),
    };
    struct range out[8];
    int n = memmap_usable(map, UNIT_ARRAY_SIZE(map), NOLIMIT, NULL, 0, out, 8);
    assert_int_equal(n, 1);
    assert_int_equal(out[0].start, 0xfffffffff0000000ull);
    assert_int_equal(out[0].end, 0xfffffffff8000000ull);
}

/* ---- the machine map dom0 sees (XENMEM_machine_memory_map) -------------- */

#define EQ_REGION(got, s, e, t)                                                                     \
    do {                                                                                        \
        assert_int_equal((got).start, (s));                                                     \
        assert_int_equal((got).end, (e));                                                       \
        assert_int_equal((got).type, (t));                                                      \
    } while (0)

/*
 * QEMU q35 with 1 GiB, in an order no firmware promises: the entries come back sorted,
 * as given (RAM ending at 0x9fc00 too: Xen does not trim it), and the I/O APIC
 * page and the MSI window, which lie in gaps, as reserved between them (as Xen 4.17
 * reports them to a Linux dom0). A hidden range under a firmware region does not show.
 */
static void test_machine_map(void **state)
{
    (void)state;
    static const struct mem_region map[] = {
        RES(0xfffc0000, 0x100000000ull), RAM(0, 0x9fc00), RES(0x9fc00, 0xa0000), RES(0xf0000, M),
        RAM(M, 0x3ffdf000), RES(0x3ffdf000, G), RES(0xb0000000, 0xc0000000), RES(0xfed1c000, 0xfed20000),
    };
    static const struct range hidden[] = {
        { 0xb0001000, 0xb0002000 }, { 0xfec00000, 0xfec01000 }, { 0xfee00000, 0xfef00000 },
    };
    struct mem_region out[16];
    unsigned int nf = 0;
    int n = memmap_machine(map, UNIT_ARRAY_SIZE(map), hidden, UNIT_ARRAY_SIZE(hidden), out, 16, &nf);
    assert_int_equal(n, 10);
    assert_int_equal(nf, 8);
    EQ_REGION(out[0], 0, 0x9fc00, MEM_AVAILABLE);
    EQ_REGION(out[1], 0x9fc00, 0xa0000, MEM_RESERVED);
    EQ_REGION(out[2], 0xf0000, M, MEM_RESERVED);
    EQ_REGION(out[3], M, 0x3ffdf000, MEM_AVAILABLE);
    EQ_REGION(out[4], 0x3ffdf000, G, MEM_RESERVED);
    EQ_REGION(out[5], 0xb0000000, 0xc0000000, MEM_RESERVED);
    EQ_REGION(out[6], 0xfec00000, 0xfec01000, MEM_RESERVED);
    EQ_REGION(out[7], 0xfed1c000, 0xfed20000, MEM_RESERVED);
    EQ_REGION(out[8], 0xfee00000, 0xfef00000, MEM_RESERVED);
    EQ_REGION(out[9], 0xfffc0000, 0x100000000ull, MEM_RESERVED);
    /* One entry short: refused, never written past the end. */
    out[9].type = 99;
    assert_int_equal(memmap_machine(map, UNIT_ARRAY_SIZE(map), hidden, UNIT_ARRAY_SIZE(hidden), out, 9, &nf), -1);
    assert_int_equal(out[9].type, 99);
    /* Hidden ranges above the last region still show; an empty region does not. */
    static const struct mem_region small[] = { RAM(0x1800, 0x1800), RAM(M, 2 * M) };
    n = memmap_machine(small, UNIT_ARRAY_SIZE(small), hidden + 1, 2, out, 16, &nf);
    assert_int_equal(n, 3);
    assert_int_equal(nf, 1);
    EQ_REGION(out[0], M, 2 * M, MEM_AVAILABLE);
    EQ_REGION(out[1], 0xfec00000, 0xfec01000, MEM_RESERVED);
    EQ_REGION(out[2], 0xfee00000, 0xfef00000, MEM_RESERVED);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_usable_table),
        cmocka_unit_test(test_usable_model),
        cmocka_unit_test(test_is_ram),
        cmocka_unit_test(test_ram_total),
        cmocka_unit_test(test_roundup_wraps_ram),
        cmocka_unit_test(test_roundup_wraps_reserved),
        cmocka_unit_test(test_machine_map),
    };
    return unit_run(argc, argv, "memmap", tests, UNIT_ARRAY_SIZE(tests));
}
