/*
 * Host tests of common/grant_book.c over the page-table world (pt_world):
 * maptrack handles (allocation order, growth, limit, validation), pins and
 * the v1 flag protocol on shared entries, the frame references mappings
 * hold, and the release of a dying domain's mappings (bounded steps, granter
 * gone first or last), checked against the reference recount.
 */
#include "pt_world.h"
#include "unit.h"
#include <hv/grant_table.h>

/* ---- environment of grant_book.c ------------------------------------------ */

static unsigned int pages_out;              /* hypervisor pages allocated and not yet freed */
static unsigned int dom_puts[MAX_DOMAINS];      /* domain_put calls per domain */

uint64_t gnttab_env_new_frame(struct domain *d, void **va)
{
    pfn_t p = frame_of(d);
    if (get_page_type(p, PGT_writable, d))
        pt_world_fail("table frame %#llx not writable", (unsigned long long)p);
    *va = pv_frame_ptr(p);
    return p;
}

void *gnttab_env_alloc_page(void)
{
    void *p = aligned_alloc(PAGE_SIZE, PAGE_SIZE);
    if (p) {
        memset(p, 0, PAGE_SIZE);
        pages_out++;
    }
    return p;
}

void gnttab_env_free_page(void *p)
{
    pages_out--;
    free(p);
}

void gnttab_env_release_frame(struct domain *d, uint64_t mfn)
{
    (void)d;
    put_page_type(mfn);
}

void gnttab_env_free_table(struct grant_table *gt)
{
    free(gt);
}

void domain_put(struct domain *d)
{
    dom_puts[d->id]++;
}

void pt_world_fail(const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    fail_msg("%s", msg);
    abort();
}

/* ---- helpers ------------------------------------------------------------------ */

static struct domain *d0, *d1;              /* d0 maps, d1 grants */

static int setup(void **state)
{
    (void)state;
    world_init();
    d0 = &domains[0];
    d1 = &domains[1];
    pages_out = 0;
    memset(dom_puts, 0, sizeof(dom_puts));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (unsigned int i = 0; i < 2; i++)
        while (gnttab_relinquish(&domains[i]) == -XEN_ERESTART)
            ;
    world_fini();
    return 0;
}

static struct grant_table *new_table(struct domain *d, unsigned int frames, unsigned int maptrack_frames)
{
    struct grant_table *gt = malloc(sizeof(*gt));
    assert_non_null(gt);
    gnttab_table_init(gt, GNTTAB_MAX_FRAMES, maptrack_frames);
    d->grant_table = gt;
    assert_int_equal(gnttab_grow(gt, d, frames), 0);
    return gt;
}

static void grant(struct grant_table *gt, grant_ref_t ref, domid_t to, uint64_t frame, uint16_t flags)
{
    struct grant_entry_v1 *e = gnttab_shared(gt, ref);
    e->domid = to;
    e->frame = (uint32_t)frame;
    e->flags = flags;
}

static uint16_t flags_of(struct grant_table *gt, grant_ref_t ref)
{
    return gnttab_shared(gt, ref)->flags;
}

/* A mapping of <rd, ref> by d, as map_one records it (device half only: no page table needed). */
static grant_handle_t map(struct domain *d, struct domain *rd, grant_ref_t ref, bool ro)
{
    uint32_t kinds = ro ? GNTPIN_DEV_RO : GNTPIN_DEV_RW;
    uint64_t frame;
    bool first;
    assert_int_equal(gnttab_pin(rd->grant_table, ref, d->id, kinds, &frame, &first), GNTST_okay);
    if (first)
        gnttab_pin_set_mfn(rd->grant_table, ref, frame);
    assert_int_equal(gnttab_get_frame(frame, rd, ro), GNTST_okay);
    grant_handle_t h = gnttab_maptrack_get(d->grant_table);
    assert_int_not_equal(h, GNTTAB_NO_HANDLE);
    struct gnttab_maptrack *m =
        &d->grant_table->maptrack[h / GNTTAB_MAPTRACK_PER_FRAME][h % GNTTAB_MAPTRACK_PER_FRAME];
    m->flags = (uint16_t)(GNTMAP_device_map | (ro ? GNTMAP_readonly : 0));
    m->dom = rd->id;
    m->ref = ref;
    m->granter = rd;
    m->mfn = frame;
    return h;
}

#define RECOUNT_OK(holds, n)                                                             \
    do {                                                                                 \
        const char *why_ = pt_recount(holds, n);                                         \
        if (why_)                                                                        \
            fail_msg("recount: %s", why_);                                               \
    } while (0)

/* ---- tests -------------------------------------------------------------------- */

static void test_grow(void **state)
{
    (void)state;
    struct grant_table *gt = new_table(d1, 1, 4);
    assert_int_equal(gt->nr_frames, 1);
    assert_int_equal(gnttab_nr_entries(gt), 512);
    assert_int_equal(gnttab_grow(gt, d1, 3), 0);
    assert_int_equal(gnttab_nr_entries(gt), 1536);
    assert_int_equal(gnttab_grow(gt, d1, 2), 0);                /* never shrinks */
    assert_int_equal(gt->nr_frames, 3);
    assert_int_equal(gnttab_grow(gt, d1, GNTTAB_MAX_FRAMES + 1), -XEN_EINVAL);
    /* Each frame is d1's and writable-typed once (the table's hold). */
    struct hold holds[3];
    for (unsigned int f = 0; f < 3; f++) {
        assert_int_equal(ftable[gt->shared_mfn[f]].owner, d1->id);
        holds[f] = (struct hold){ gt->shared_mfn[f], true };
    }
    RECOUNT_OK(holds, 3);
    assert_int_equal(gnttab_relinquish(d1), 0);
    assert_null(d1->grant_table);
    assert_int_equal(pages_out, 0);
    RECOUNT_OK(NULL, 0);
}

static void test_maptrack(void **state)
{
    (void)state;
    struct grant_table *gt = new_table(d0, 1, 2);
    assert_null(gnttab_maptrack_lookup(gt, 0));                 /* nothing allocated yet */
    for (grant_handle_t i = 0; i < 2 * GNTTAB_MAPTRACK_PER_FRAME; i++) {
        grant_handle_t h = gnttab_maptrack_get(gt);
        assert_int_equal(h, i);                                 /* lowest first, growing a frame at a time */
        assert_null(gnttab_maptrack_lookup(gt, h));             /* not in use until it has flags */
        gt->maptrack[h / GNTTAB_MAPTRACK_PER_FRAME][h % GNTTAB_MAPTRACK_PER_FRAME].flags = GNTMAP_host_map;
        assert_non_null(gnttab_maptrack_lookup(gt, h));
    }
    assert_int_equal(gt->nr_maptrack_frames, 2);
    assert_int_equal(gnttab_maptrack_get(gt), GNTTAB_NO_HANDLE);    /* the limit */
    assert_null(gnttab_maptrack_lookup(gt, 2 * GNTTAB_MAPTRACK_PER_FRAME));
    assert_null(gnttab_maptrack_lookup(gt, 0xffffffffu));
    gnttab_maptrack_put(gt, 5);
    gnttab_maptrack_put(gt, 77);
    assert_null(gnttab_maptrack_lookup(gt, 5));                 /* a freed handle is invalid */
    assert_int_equal(gnttab_maptrack_get(gt), 77);              /* the last freed comes back first */
    assert_int_equal(gnttab_maptrack_get(gt), 5);
    assert_int_equal(gnttab_maptrack_get(gt), GNTTAB_NO_HANDLE);
    assert_int_equal(gt->maptrack_used, 2 * GNTTAB_MAPTRACK_PER_FRAME);
    for (grant_handle_t i = 0; i < 2 * GNTTAB_MAPTRACK_PER_FRAME; i++)
        gnttab_maptrack_put(gt, i);
    assert_int_equal(gt->maptrack_used, 0);
    assert_int_equal(gnttab_relinquish(d0), 0);
    assert_int_equal(pages_out, 0);
}

static void test_pin_protocol(void **state)
{
    (void)state;
    struct grant_table *gt = new_table(d1, 1, 1);
    pfn_t page = frame_of(d1);
    grant(gt, 3, 0, page, GTF_permit_access);
    grant(gt, 4, 0, page, GTF_permit_access | GTF_readonly);
    grant(gt, 5, 7, page, GTF_permit_access);
    grant(gt, 6, 0, page, GTF_accept_transfer);
    grant(gt, 7, 0, page, GTF_permit_access | GTF_sub_page);
    uint64_t frame;
    bool first;

    assert_int_equal(gnttab_pin(gt, 512, 0, GNTPIN_HOST_RO, &frame, &first), GNTST_bad_gntref);
    assert_int_equal(gnttab_pin(gt, 0xffffffffu, 0, GNTPIN_HOST_RO, &frame, &first), GNTST_bad_gntref);
    assert_int_equal(gnttab_pin(gt, 2, 0, GNTPIN_HOST_RO, &frame, &first), GNTST_general_error);   /* not granted */
    assert_int_equal(gnttab_pin(gt, 5, 0, GNTPIN_HOST_RO, &frame, &first), GNTST_general_error);   /* someone else's */
    assert_int_equal(gnttab_pin(gt, 6, 0, GNTPIN_HOST_RO, &frame, &first), GNTST_general_error);   /* transfer */
    assert_int_equal(gnttab_pin(gt, 7, 0, GNTPIN_HOST_RO, &frame, &first), GNTST_general_error);   /* sub-page */
    assert_int_equal(gnttab_pin(gt, 4, 0, GNTPIN_HOST_RW, &frame, &first), GNTST_general_error);   /* read-only */
    assert_int_equal(flags_of(gt, 4), GTF_permit_access | GTF_readonly);    /* refusals change nothing */

    /* First pin: the entry's frame, GTF_reading; a writable one adds GTF_writing. */
    assert_int_equal(gnttab_pin(gt, 3, 0, GNTPIN_HOST_RO, &frame, &first), GNTST_okay);
    assert_true(first);
    assert_int_equal(frame, page);
    gnttab_pin_set_mfn(gt, 3, page);
    assert_int_equal(flags_of(gt, 3), GTF_permit_access | GTF_reading);
    /* The granter cannot end it now: its compare-and-exchange from the bare grant fails. */
    uint16_t expect = GTF_permit_access;
    assert_false(__atomic_compare_exchange_n(&gnttab_shared(gt, 3)->flags, &expect, 0, false, __ATOMIC_SEQ_CST,
                                             __ATOMIC_SEQ_CST));
    /* The granter changes the entry under a pin: later pins go by the active record. */
    gnttab_shared(gt, 3)->frame = 0x1234;
    assert_int_equal(gnttab_pin(gt, 3, 0, GNTPIN_DEV_RW, &frame, &first), GNTST_okay);
    assert_false(first);
    assert_int_equal(frame, page);
    assert_int_equal(flags_of(gt, 3), GTF_permit_access | GTF_reading | GTF_writing);
    assert_int_equal(gnttab_pin(gt, 3, 9, GNTPIN_HOST_RO, &frame, &first), GNTST_general_error);   /* other mapper */
    assert_int_equal(gnttab_active(gt, 3)->pin, GNTPIN_HOST_RO | GNTPIN_DEV_RW);

    gnttab_unpin(gt, 3, GNTPIN_DEV_RW);
    assert_int_equal(flags_of(gt, 3), GTF_permit_access | GTF_reading);
    gnttab_unpin(gt, 3, GNTPIN_HOST_RO);
    assert_int_equal(flags_of(gt, 3), GTF_permit_access);
    assert_int_equal(gnttab_active(gt, 3)->pin, 0);
    expect = GTF_permit_access;
    assert_true(__atomic_compare_exchange_n(&gnttab_shared(gt, 3)->flags, &expect, 0, false, __ATOMIC_SEQ_CST,
                                            __ATOMIC_SEQ_CST));
    /* Ended: a new pin is refused. */
    assert_int_equal(gnttab_pin(gt, 3, 0, GNTPIN_HOST_RO, &frame, &first), GNTST_general_error);
}

/* The builder's seeding of reserved refs (console 0, xenstore 1): mappable by the grantee alone. */
static void test_fill_reserved(void **state)
{
    (void)state;
    struct grant_table *gt = malloc(sizeof(*gt));
    assert_non_null(gt);
    gnttab_table_init(gt, GNTTAB_MAX_FRAMES, 1);
    d1->grant_table = gt;
    pfn_t ring = frame_of(d1);
    assert_int_equal(gnttab_fill_reserved(gt, 0, 0, ring, false), -XEN_EINVAL);     /* no frame yet */
    assert_int_equal(gnttab_grow(gt, d1, 1), 0);
    assert_int_equal(gnttab_fill_reserved(gt, GNTTAB_RESERVED_CONSOLE, 0, ring, false), 0);
    assert_int_equal(gnttab_fill_reserved(gt, GNTTAB_RESERVED_XENSTORE, 0, ring, true), 0);
    assert_int_equal(gnttab_fill_reserved(gt, GNTTAB_NR_RESERVED_ENTRIES, 0, ring, false), -XEN_EINVAL);
    assert_int_equal(gnttab_fill_reserved(gt, 2, 0, 1ull << 32, false), -XEN_EINVAL);
    struct grant_entry_v1 *e = gnttab_shared(gt, GNTTAB_RESERVED_XENSTORE);
    assert_int_equal(e->flags, GTF_permit_access | GTF_readonly);
    assert_int_equal(e->domid, 0);
    assert_int_equal(e->frame, ring);
    uint64_t frame;
    bool first;
    assert_int_equal(gnttab_pin(gt, GNTTAB_RESERVED_CONSOLE, 1, GNTPIN_HOST_RW, &frame, &first), GNTST_general_error);
    assert_int_equal(gnttab_pin(gt, GNTTAB_RESERVED_CONSOLE, 0, GNTPIN_HOST_RW, &frame, &first), GNTST_okay);
    assert_int_equal(frame, ring);
    assert_int_equal(gnttab_fill_reserved(gt, GNTTAB_RESERVED_CONSOLE, 0, ring, false), -XEN_EBUSY);
    gnttab_unpin(gt, GNTTAB_RESERVED_CONSOLE, GNTPIN_HOST_RW);
    assert_int_equal(gnttab_pin(gt, GNTTAB_RESERVED_XENSTORE, 0, GNTPIN_HOST_RW, &frame, &first), GNTST_general_error);
}

/* A pin field stops at 0x80 (Xen's overflow guard): 128 pins, the 129th refused, the others unaffected. */
static void test_pin_limit(void **state)
{
    (void)state;
    struct grant_table *gt = new_table(d1, 1, 1);
    pfn_t page = frame_of(d1);
    grant(gt, 8, 0, page, GTF_permit_access);
    uint64_t frame;
    bool first;
    for (unsigned int i = 0; i < 128; i++)
        assert_int_equal(gnttab_pin(gt, 8, 0, GNTPIN_HOST_RO, &frame, &first), GNTST_okay);
    assert_int_equal(gnttab_pin(gt, 8, 0, GNTPIN_HOST_RO, &frame, &first), GNTST_general_error);
    assert_int_equal(gnttab_pin(gt, 8, 0, GNTPIN_DEV_RW, &frame, &first), GNTST_general_error);
    assert_int_equal(gnttab_active(gt, 8)->pin, 128 * GNTPIN_HOST_RO);
    for (unsigned int i = 0; i < 128; i++)
        gnttab_unpin(gt, 8, GNTPIN_HOST_RO);
    assert_int_equal(flags_of(gt, 8), GTF_permit_access);
}

static void test_frame_refs(void **state)
{
    (void)state;
    pfn_t page = frame_of(d1), other = frame_of(d0);
    assert_int_equal(gnttab_get_frame(page, d1, false), GNTST_okay);
    assert_int_equal(page_type(&ftable[page]), PGT_writable);
    assert_int_equal(gnttab_get_frame(page, d1, true), GNTST_okay);
    struct hold holds[2] = { { page, true }, { page, false } };
    RECOUNT_OK(holds, 2);
    assert_int_equal(gnttab_get_frame(other, d1, true), GNTST_general_error);   /* not the granter's */
    assert_int_equal(gnttab_get_frame(hv_mfn, d1, true), GNTST_general_error);
    /* A page table cannot be mapped writable through a grant; read-only it can. */
    pfn_t l1 = frame_of(d1);
    assert_int_equal(get_page_type(l1, PGT_l1, d1), 0);
    assert_int_equal(gnttab_get_frame(l1, d1, false), GNTST_general_error);
    assert_int_equal(gnttab_get_frame(l1, d1, true), GNTST_okay);
    gnttab_put_frame(l1, true);
    put_page_type(l1);
    gnttab_put_frame(page, true);
    gnttab_put_frame(page, false);
    assert_int_equal(page_type(&ftable[page]), PGT_none);
    RECOUNT_OK(NULL, 0);
}

/* The mapper dies: its mappings go in bounded steps, pins and flags and references with them. */
static void test_release_mapper_dies(void **state)
{
    (void)state;
    struct grant_table *rgt = new_table(d1, 1, 1);
    new_table(d0, 1, 17);
    for (unsigned int i = 0; i < 35; i++)
        grant(rgt, 10 + i, 0, frame_of(d1), GTF_permit_access);
    /* 2100 mappings (more than one step's worth of 2048): 35 refs, 60 each, writable and read-only mixed. */
    for (unsigned int i = 0; i < 2100; i++)
        map(d0, d1, 10 + i % 35, i % 3 == 0);
    /* And a self-mapping of d0's own grant. */
    pfn_t own = frame_of(d0);
    grant(d0->grant_table, 1, 0, own, GTF_permit_access);
    map(d0, d0, 1, false);
    assert_int_equal(flags_of(rgt, 10), GTF_permit_access | GTF_reading | GTF_writing);

    d0->state = DOMAIN_RELINQUISHING;
    unsigned int steps = 0;
    int rc;
    while ((rc = gnttab_relinquish(d0)) == -XEN_ERESTART)
        steps++;
    assert_int_equal(rc, 0);
    assert_int_equal(steps, 1);                         /* 2101 mappings: 2048, then the rest */
    assert_null(d0->grant_table);
    assert_int_equal(dom_puts[1], 2100);                    /* one reference on the granter per mapping */
    assert_int_equal(dom_puts[0], 0);                       /* none on itself */
    for (unsigned int i = 0; i < 35; i++) {
        assert_int_equal(flags_of(rgt, 10 + i), GTF_permit_access);
        assert_int_equal(gnttab_active(rgt, 10 + i)->pin, 0);
    }
    struct hold holds[1] = { { rgt->shared_mfn[0], true } };
    RECOUNT_OK(holds, 1);                               /* only d1's table frame still held */
    assert_int_equal(gnttab_relinquish(d1), 0);
    assert_int_equal(pages_out, 0);
    RECOUNT_OK(NULL, 0);
}

/* The granter dies first: its table goes, the mapped frame stays referenced until the mapper lets go. */
static void test_release_granter_dies_first(void **state)
{
    (void)state;
    struct grant_table *rgt = new_table(d1, 1, 1);
    struct grant_table *lgt = new_table(d0, 1, 1);
    pfn_t page = frame_of(d1);
    grant(rgt, 20, 0, page, GTF_permit_access);
    grant_handle_t h = map(d0, d1, 20, false);
    d1->state = DOMAIN_RELINQUISHING;
    assert_int_equal(gnttab_relinquish(d1), 0);         /* d1 maps nothing: one step */
    assert_null(d1->grant_table);
    struct hold holds[2] = { { page, true }, { lgt->shared_mfn[0], true } };
    RECOUNT_OK(holds, 2);
    assert_int_equal(ftable[page].count, 1);
    /* d0 unmaps (or dies): only the frame reference and the domain reference remain to drop. */
    gnttab_release_map(d0, lgt, h);
    assert_int_equal(ftable[page].count, 0);
    assert_int_equal(dom_puts[1], 1);
    assert_null(gnttab_maptrack_lookup(lgt, h));
    RECOUNT_OK(&holds[1], 1);
    assert_int_equal(gnttab_relinquish(d0), 0);
    assert_int_equal(pages_out, 0);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_grow, setup, teardown),
        cmocka_unit_test_setup_teardown(test_maptrack, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pin_protocol, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fill_reserved, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pin_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_frame_refs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_release_mapper_dies, setup, teardown),
        cmocka_unit_test_setup_teardown(test_release_granter_dies_first, setup, teardown),
    };
    return unit_run(argc, argv, "grant", tests, UNIT_ARRAY_SIZE(tests));
}
