/*
 * Host tests of blkback's request validation (pvdrivers/block/blkif_check.c):
 * what a hostile front end may put in a ring slot.
 */
#include <block/blkif_check.h>
#include <string.h>
#include "unit.h"

#define DISK 4096u

static const struct blkif_caps NONE = { 0, false };          /* no discard, no indirect */
static const struct blkif_caps ALL = { 256, true };

static struct blkif_request rw(uint8_t op, uint64_t sector, unsigned int nseg)
{
    struct blkif_request r;
    memset(&r, 0, sizeof(r));
    r.operation = op;
    r.sector_number = sector;
    r.nr_segments = (uint8_t)nseg;
    for (unsigned int i = 0; i < nseg && i < BLKIF_MAX_SEGMENTS_PER_REQUEST; i++) {
        r.seg[i].gref = 8 + i;
        r.seg[i].first_sect = 0;
        r.seg[i].last_sect = 7;
    }
    return r;
}

static void test_good_requests(void **state)
{
    (void)state;
    uint64_t n = 99;
    struct blkif_request r = rw(BLKIF_OP_READ, 0, 1);
    assert_int_equal(blkif_check_request(&r, DISK, &NONE, &n), BLKIF_RSP_OKAY);
    assert_int_equal(n, 8);
    r = rw(BLKIF_OP_WRITE, DISK - 88, 11);              /* 11 full pages ending at the last sector */
    assert_int_equal(blkif_check_request(&r, DISK, &NONE, &n), BLKIF_RSP_OKAY);
    assert_int_equal(n, 88);
    r = rw(BLKIF_OP_WRITE, DISK - 1, 1);
    r.seg[0].first_sect = r.seg[0].last_sect = 3;       /* one sector, the disk's last */
    assert_int_equal(blkif_check_request(&r, DISK, &NONE, &n), BLKIF_RSP_OKAY);
    assert_int_equal(n, 1);
    r = rw(BLKIF_OP_READ, 10, 2);
    r.seg[0].first_sect = 5;
    r.seg[1].last_sect = 2;
    assert_int_equal(blkif_check_request(&r, DISK, &NONE, &n), BLKIF_RSP_OKAY);
    assert_int_equal(n, 3 + 3);
    r = rw(BLKIF_OP_FLUSH_DISKCACHE, 0, 0);
    assert_int_equal(blkif_check_request(&r, DISK, &NONE, &n), BLKIF_RSP_OKAY);
    assert_int_equal(n, 0);
}

static void test_bad_segments(void **state)
{
    (void)state;
    uint64_t n;
    struct blkif_request r = rw(BLKIF_OP_READ, 0, 0);
    assert_int_equal(blkif_check_request(&r, DISK, &NONE, &n), BLKIF_RSP_ERROR);      /* no segment */
    r = rw(BLKIF_OP_WRITE, 0, 12);
    assert_int_equal(blkif_check_request(&r, DISK, &NONE, &n), BLKIF_RSP_ERROR);      /* 12 > 11 */
    r = rw(BLKIF_OP_WRITE, 0, 255);
    assert_int_equal(blkif_check_request(&r, DISK, &NONE, &n), BLKIF_RSP_ERROR);
    r = rw(BLKIF_OP_READ, 0, 3);
    r.seg[2].first_sect = 6;
    r.seg[2].last_sect = 5;
    assert_int_equal(blkif_check_request(&r, DISK, &NONE, &n), BLKIF_RSP_ERROR);      /* first > last */
    r = rw(BLKIF_OP_READ, 0, 1);
    r.seg[0].last_sect = 8;
    assert_int_equal(blkif_check_request(&r, DISK, &NONE, &n), BLKIF_RSP_ERROR);      /* past the page */
    r.seg[0].first_sect = 255;
    r.seg[0].last_sect = 255;
    assert_int_equal(blkif_check_request(&r, DISK, &NONE, &n), BLKIF_RSP_ERROR);
    assert_int_equal(n, 0);
}

static void test_out_of_extent(void **state)
{
    (void)state;
    uint64_t n;
    struct blkif_request r = rw(BLKIF_OP_READ, DISK, 1);
    assert_int_equal(blkif_check_request(&r, DISK, &NONE, &n), BLKIF_RSP_ERROR);      /* starts at the end */
    r = rw(BLKIF_OP_WRITE, DISK - 7, 1);
    assert_int_equal(blkif_check_request(&r, DISK, &NONE, &n), BLKIF_RSP_ERROR);      /* runs one past */
    r = rw(BLKIF_OP_WRITE, UINT64_MAX - 3, 1);
    assert_int_equal(blkif_check_request(&r, DISK, &NONE, &n), BLKIF_RSP_ERROR);      /* would wrap */
    r = rw(BLKIF_OP_READ, 0, 11);
    assert_int_equal(blkif_check_request(&r, 87, &NONE, &n), BLKIF_RSP_ERROR);        /* disk smaller than the request */
    assert_int_equal(blkif_check_request(&r, 0, &NONE, &n), BLKIF_RSP_ERROR);
    r = rw(BLKIF_OP_READ, 0, 1);
    assert_int_equal(blkif_check_request(&r, 8, &NONE, &n), BLKIF_RSP_OKAY);
}

static void test_unsupported_ops(void **state)
{
    (void)state;
    uint64_t n;
    static const uint8_t ops[] = { BLKIF_OP_WRITE_BARRIER, BLKIF_OP_RESERVED_1, BLKIF_OP_DISCARD,
                                   BLKIF_OP_INDIRECT, 7, 200, 255 };
    for (size_t i = 0; i < UNIT_ARRAY_SIZE(ops); i++) {
        struct blkif_request r = rw(ops[i], 0, 1);
        assert_int_equal(blkif_check_request(&r, DISK, &NONE, &n), BLKIF_RSP_EOPNOTSUPP);
    }
    /* offered: only the barrier and unknown operations stay unsupported */
    for (size_t i = 0; i < UNIT_ARRAY_SIZE(ops); i++) {
        struct blkif_request r = rw(ops[i], 0, 1);
        if (ops[i] != BLKIF_OP_DISCARD && ops[i] != BLKIF_OP_INDIRECT)
            assert_int_equal(blkif_check_request(&r, DISK, &ALL, &n), BLKIF_RSP_EOPNOTSUPP);
    }
}

static struct blkif_request discard(uint64_t sector, uint64_t count, uint8_t flag)
{
    struct blkif_request_discard d = { .operation = BLKIF_OP_DISCARD, .flag = flag, .id = 5,
                                       .sector_number = sector, .nr_sectors = count };
    struct blkif_request r;
    memset(&r, 0, sizeof(r));
    memcpy(&r, &d, sizeof(d));
    return r;
}

static void test_discard(void **state)
{
    (void)state;
    uint64_t n = 0;
    struct blkif_request r = discard(0, DISK, 0);                                /* the whole disk */
    assert_int_equal(blkif_check_request(&r, DISK, &ALL, &n), BLKIF_RSP_OKAY);
    assert_int_equal(n, DISK);
    r = discard(DISK - 1, 1, 0);
    assert_int_equal(blkif_check_request(&r, DISK, &ALL, &n), BLKIF_RSP_OKAY);
    assert_int_equal(n, 1);
    r = discard(10, 0, 0);
    assert_int_equal(blkif_check_request(&r, DISK, &ALL, &n), BLKIF_RSP_ERROR);  /* nothing */
    r = discard(DISK - 1, 2, 0);
    assert_int_equal(blkif_check_request(&r, DISK, &ALL, &n), BLKIF_RSP_ERROR);  /* one past */
    r = discard(8, UINT64_MAX - 4, 0);
    assert_int_equal(blkif_check_request(&r, DISK, &ALL, &n), BLKIF_RSP_ERROR);  /* would wrap */
    r = discard(0, 8, 0x80);
    assert_int_equal(blkif_check_request(&r, DISK, &ALL, &n), BLKIF_RSP_ERROR);  /* unknown flag */
    r = discard(0, 8, BLKIF_DISCARD_SECURE);
    assert_int_equal(blkif_check_request(&r, DISK, &ALL, &n), BLKIF_RSP_EOPNOTSUPP);   /* discard-secure 0 */
    r = discard(0, 8, 0);
    assert_int_equal(blkif_check_request(&r, DISK, &NONE, &n), BLKIF_RSP_EOPNOTSUPP);  /* not offered */
}

static struct blkif_request indirect(uint8_t op, unsigned int nseg)
{
    struct blkif_request_indirect ind = { .operation = BLKIF_OP_INDIRECT, .indirect_op = op,
                                          .nr_segments = (uint16_t)nseg, .sector_number = 0 };
    ind.indirect_grefs[0] = 9;
    struct blkif_request r;
    memset(&r, 0, sizeof(r));
    memcpy(&r, &ind, sizeof(ind));
    return r;
}

static void test_indirect(void **state)
{
    (void)state;
    uint64_t n = 7;
    struct blkif_request r = indirect(BLKIF_OP_READ, 1);
    assert_int_equal(blkif_check_request(&r, DISK, &ALL, &n), BLKIF_RSP_OKAY);
    assert_int_equal(n, 0);                                     /* the segments are checked once fetched */
    r = indirect(BLKIF_OP_WRITE, 256);
    assert_int_equal(blkif_check_request(&r, DISK, &ALL, &n), BLKIF_RSP_OKAY);
    r = indirect(BLKIF_OP_WRITE, 257);
    assert_int_equal(blkif_check_request(&r, DISK, &ALL, &n), BLKIF_RSP_ERROR);  /* over the offer */
    r = indirect(BLKIF_OP_WRITE, 65535);
    assert_int_equal(blkif_check_request(&r, DISK, &ALL, &n), BLKIF_RSP_ERROR);
    r = indirect(BLKIF_OP_READ, 0);
    assert_int_equal(blkif_check_request(&r, DISK, &ALL, &n), BLKIF_RSP_ERROR);
    r = indirect(BLKIF_OP_FLUSH_DISKCACHE, 4);
    assert_int_equal(blkif_check_request(&r, DISK, &ALL, &n), BLKIF_RSP_ERROR);  /* only reads and writes */
    r = indirect(BLKIF_OP_INDIRECT, 4);
    assert_int_equal(blkif_check_request(&r, DISK, &ALL, &n), BLKIF_RSP_ERROR);
    const struct blkif_caps huge = { 65535, false };           /* a careless offer: still at most 8 pages */
    r = indirect(BLKIF_OP_READ, 8 * 512);
    assert_int_equal(blkif_check_request(&r, DISK, &huge, &n), BLKIF_RSP_OKAY);
    r = indirect(BLKIF_OP_READ, 8 * 512 + 1);
    assert_int_equal(blkif_check_request(&r, DISK, &huge, &n), BLKIF_RSP_ERROR);
    assert_int_equal(blkif_indirect_pages(1), 1);
    assert_int_equal(blkif_indirect_pages(512), 1);
    assert_int_equal(blkif_indirect_pages(513), 2);
}

static void test_segment_list(void **state)
{
    (void)state;
    static struct blkif_request_segment seg[256];
    uint64_t n = 1;
    for (unsigned int i = 0; i < 256; i++)
        seg[i] = (struct blkif_request_segment){ .gref = i, .first_sect = 0, .last_sect = 7 };
    assert_int_equal(blkif_check_segments(seg, 256, DISK - 2048, DISK, &n), BLKIF_RSP_OKAY);
    assert_int_equal(n, 2048);
    assert_int_equal(blkif_check_segments(seg, 256, DISK - 2047, DISK, &n), BLKIF_RSP_ERROR);    /* one past */
    assert_int_equal(n, 0);
    assert_int_equal(blkif_check_segments(seg, 0, 0, DISK, &n), BLKIF_RSP_ERROR);
    assert_int_equal(blkif_check_segments(seg, 256, UINT64_MAX - 100, DISK, &n), BLKIF_RSP_ERROR);
    seg[200].first_sect = 3;
    seg[200].last_sect = 2;
    assert_int_equal(blkif_check_segments(seg, 256, 0, DISK, &n), BLKIF_RSP_ERROR);                /* a bad one deep inside */
    assert_int_equal(blkif_check_segments(seg, 200, 0, DISK, &n), BLKIF_RSP_OKAY);
    seg[200].first_sect = 0;
    seg[200].last_sect = 8;
    assert_int_equal(blkif_check_segments(seg, 201, 0, DISK, &n), BLKIF_RSP_ERROR);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_requests),
        cmocka_unit_test(test_bad_segments),
        cmocka_unit_test(test_out_of_extent),
        cmocka_unit_test(test_unsupported_ops),
        cmocka_unit_test(test_discard),
        cmocka_unit_test(test_indirect),
        cmocka_unit_test(test_segment_list),
    };
    return unit_run(argc, argv, "blkif_check", tests, UNIT_ARRAY_SIZE(tests));
}
