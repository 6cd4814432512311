/*
 * Host tests of pvdrivers/xenbus/xs_ring.c, the xenstore ring's byte streams:
 * bytes in order across the wrap and past 2^32, a full ring refusing more,
 * and hostile indices (a producer jumping ahead, a consumer ahead of the
 * producer or too far behind) reported, never followed.
 */
#include <xenbus/xs_ring.h>
#include "unit.h"

static struct xenstore_domain_interface page;

static void reset(uint32_t start)
{
    memset(&page, 0x5a, sizeof(page));
    page.req_cons = page.req_prod = page.rsp_cons = page.rsp_prod = start;
}

/* Bytes written by one end come out of the other in order, many times round the ring and across 2^32. */
static void test_stream_order_and_wrap(void **state)
{
    (void)state;
    reset(0xfffffc00u);                             /* one ring before the indices wrap */
    struct xs_ring_dir d = xs_ring_req(&page);
    uint32_t prod = page.req_prod, cons = page.req_cons;
    uint8_t src[700], dst[700];
    uint32_t next_in = 0, next_out = 0;
    for (unsigned int round = 0; round < 40; round++) {
        size_t len = 1 + (round * 97) % sizeof(src);
        for (size_t i = 0; i < len; i++)
            src[i] = (uint8_t)(next_in + i);
        int n = xs_ring_write(&d, &prod, src, len);
        assert_true(n >= 0 && (size_t)n <= len);
        next_in += (uint32_t)n;
        assert_int_equal(page.req_prod, prod);
        int m = xs_ring_read(&d, &cons, dst, sizeof(dst));
        assert_true(m >= 0);
        for (int i = 0; i < m; i++)
            assert_int_equal(dst[i], (uint8_t)(next_out + (uint32_t)i));
        next_out += (uint32_t)m;
        assert_int_equal(page.req_cons, cons);
    }
    assert_int_equal(next_in, next_out);
    assert_true(prod < 0xfffffc00u && next_in > XENSTORE_RING_SIZE);   /* wrapped past 2^32 */
}

/* A full ring takes nothing more until the consumer gives bytes back. */
static void test_full_ring(void **state)
{
    (void)state;
    reset(100);
    struct xs_ring_dir d = xs_ring_rsp(&page);
    uint32_t prod = page.rsp_prod, cons = page.rsp_cons, off;
    static uint8_t big[2 * XENSTORE_RING_SIZE];
    assert_int_equal(xs_ring_write(&d, &prod, big, sizeof(big)), XENSTORE_RING_SIZE);
    assert_int_equal(xs_ring_room(&d, prod, &off), 0);
    assert_int_equal(xs_ring_write(&d, &prod, big, 1), 0);
    uint8_t out[10];
    assert_int_equal(xs_ring_read(&d, &cons, out, sizeof(out)), 10);
    assert_int_equal(xs_ring_room(&d, prod, &off), 10);
    assert_int_equal(off, MASK_XENSTORE_IDX(prod));
    /* Peek consumes nothing. */
    assert_int_equal(xs_ring_peek(&d, cons, out, sizeof(out)), 10);
    assert_int_equal(page.rsp_cons, cons);
}

/* A producer more than one ring ahead of our consumer index is refused, whatever the bytes say. */
static void test_hostile_producer_jump(void **state)
{
    (void)state;
    reset(0);
    struct xs_ring_dir d = xs_ring_req(&page);
    uint32_t cons = 0;
    uint8_t out[XENSTORE_RING_SIZE];
    page.req_prod = XENSTORE_RING_SIZE;             /* exactly one ring: allowed */
    assert_int_equal(xs_ring_peek(&d, cons, out, sizeof(out)), XENSTORE_RING_SIZE);
    page.req_prod = XENSTORE_RING_SIZE + 1;
    assert_int_equal(xs_ring_peek(&d, cons, out, sizeof(out)), XS_RING_BAD);
    page.req_prod = 100000;
    assert_int_equal(xs_ring_read(&d, &cons, out, sizeof(out)), XS_RING_BAD);
    assert_int_equal(cons, 0);                      /* nothing consumed */
    page.req_prod = (uint32_t)-5;                   /* behind us */
    assert_int_equal(xs_ring_peek(&d, cons, out, sizeof(out)), XS_RING_BAD);
}

/* A consumer index ahead of what we produced, or more than a ring behind, is refused. */
static void test_hostile_consumer(void **state)
{
    (void)state;
    reset(50);
    struct xs_ring_dir d = xs_ring_rsp(&page);
    uint32_t prod = 50, off;
    page.rsp_cons = 51;                             /* ahead of our producer */
    assert_int_equal(xs_ring_room(&d, prod, &off), XS_RING_BAD);
    assert_int_equal(xs_ring_write(&d, &prod, "x", 1), XS_RING_BAD);
    assert_int_equal(prod, 50);
    page.rsp_cons = 50u - XENSTORE_RING_SIZE - 1;    /* more than a ring behind */
    assert_int_equal(xs_ring_room(&d, prod, &off), XS_RING_BAD);
    page.rsp_cons = 50u - XENSTORE_RING_SIZE;        /* exactly full */
    assert_int_equal(xs_ring_room(&d, prod, &off), 0);
}

/* What peek copied is what the caller keeps, even if the page changes afterwards. */
static void test_single_copy(void **state)
{
    (void)state;
    reset(0);
    struct xs_ring_dir d = xs_ring_req(&page);
    uint32_t prod = 0;
    assert_int_equal(xs_ring_write(&d, &prod, "abcd", 4), 4);
    uint8_t out[4];
    assert_int_equal(xs_ring_peek(&d, 0, out, sizeof(out)), 4);
    memset(page.req, 'z', 4);
    assert_memory_equal(out, "abcd", 4);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stream_order_and_wrap),
        cmocka_unit_test(test_full_ring),
        cmocka_unit_test(test_hostile_producer_jump),
        cmocka_unit_test(test_hostile_consumer),
        cmocka_unit_test(test_single_copy),
    };
    return unit_run(argc, argv, "xs_ring", tests, UNIT_ARRAY_SIZE(tests));
}
