/*
 * Host tests of netback's tx validation (pvdrivers/net/netif_check.c): the
 * chains a hostile front end may queue.
 */
#include <net/netif_check.h>
#include <stdbool.h>
#include <string.h>
#include "unit.h"

#define MTU_FRAME 1514u

static struct netif_tx_request slot(uint16_t offset, uint16_t size, bool more)
{
    return (struct netif_tx_request){ .gref = 9, .offset = offset, .flags = more ? NETTXF_more_data : 0,
                                      .id = 1, .size = size };
}

static void test_one_slot(void **state)
{
    (void)state;
    uint16_t len[NETIF_MAX_SLOTS];
    struct netif_tx_request r = slot(0, 60, false);
    assert_int_equal(netif_tx_check(&r, 1, MTU_FRAME, len), NETIF_TX_OK);
    assert_int_equal(len[0], 60);
    r = slot(2048, 1514, false);
    assert_int_equal(netif_tx_check(&r, 1, MTU_FRAME, len), NETIF_TX_OK);
    assert_int_equal(len[0], 1514);
    r = slot(4096 - 14, 14, false);                  /* ends exactly at the page's end */
    assert_int_equal(netif_tx_check(&r, 1, MTU_FRAME, len), NETIF_TX_OK);
}

static void test_bad_lengths(void **state)
{
    (void)state;
    uint16_t len[NETIF_MAX_SLOTS];
    struct netif_tx_request r = slot(0, 13, false);
    assert_int_equal(netif_tx_check(&r, 1, MTU_FRAME, len), NETIF_TX_TOO_SHORT);
    r = slot(0, 0, false);
    assert_int_equal(netif_tx_check(&r, 1, MTU_FRAME, len), NETIF_TX_TOO_SHORT);
    r = slot(0, 1515, false);
    assert_int_equal(netif_tx_check(&r, 1, MTU_FRAME, len), NETIF_TX_TOO_BIG);
    r = slot(0, 0xffff, false);                      /* over 64 KiB less one: the field's limit */
    assert_int_equal(netif_tx_check(&r, 1, 0xffff, len), NETIF_TX_CROSSES_PAGE);
    assert_int_equal(netif_tx_check(&r, 1, MTU_FRAME, len), NETIF_TX_TOO_BIG);
    r = slot(4000, 100, false);                      /* crosses into the next page */
    assert_int_equal(netif_tx_check(&r, 1, MTU_FRAME, len), NETIF_TX_CROSSES_PAGE);
    r = slot(0xffff, 60, false);
    assert_int_equal(netif_tx_check(&r, 1, MTU_FRAME, len), NETIF_TX_CROSSES_PAGE);
}

static void test_chains(void **state)
{
    (void)state;
    uint16_t len[NETIF_MAX_SLOTS];
    struct netif_tx_request c[3] = { slot(100, 1500, true), slot(0, 1000, true), slot(0, 200, false) };
    assert_int_equal(netif_tx_check(c, 3, MTU_FRAME, len), NETIF_TX_OK);
    assert_int_equal(len[0], 300);
    assert_int_equal(len[1], 1000);
    assert_int_equal(len[2], 200);
    c[2].size = 501;                                 /* the later slots hold more than the packet */
    assert_int_equal(netif_tx_check(c, 3, MTU_FRAME, len), NETIF_TX_SIZE_MISMATCH);
    c[2].size = 0;                                   /* an empty later slot */
    assert_int_equal(netif_tx_check(c, 3, MTU_FRAME, len), NETIF_TX_SIZE_MISMATCH);
    c[2] = slot(4000, 200, false);                   /* a later slot crossing its page */
    assert_int_equal(netif_tx_check(c, 3, MTU_FRAME, len), NETIF_TX_CROSSES_PAGE);
    c[2] = slot(0, 200, false);
    c[0].offset = 3900;                              /* the first slot's own 300 bytes cross */
    assert_int_equal(netif_tx_check(c, 3, MTU_FRAME, len), NETIF_TX_CROSSES_PAGE);
    /* Sizes that wrap a 16-bit sum must not pass: 3 slots of 0xfff0 under a first of 100. */
    struct netif_tx_request w[3] = { slot(0, 100, true), slot(0, 0xfff0, true), slot(0, 0xfff0, false) };
    assert_int_equal(netif_tx_check(w, 3, 0xffff, len), NETIF_TX_SIZE_MISMATCH);
}

static void test_slot_count(void **state)
{
    (void)state;
    uint16_t len[NETIF_MAX_SLOTS + 1];
    struct netif_tx_request c[NETIF_MAX_SLOTS + 1];
    for (unsigned int i = 0; i <= NETIF_MAX_SLOTS; i++)
        c[i] = slot(0, 20, i < NETIF_MAX_SLOTS);
    c[0].size = 20 * NETIF_MAX_SLOTS;
    assert_int_equal(netif_tx_check(c, NETIF_MAX_SLOTS, MTU_FRAME, len), NETIF_TX_OK);
    c[0].size = 20 * (NETIF_MAX_SLOTS + 1);
    assert_int_equal(netif_tx_check(c, NETIF_MAX_SLOTS + 1, MTU_FRAME, len), NETIF_TX_TOO_MANY_SLOTS);
    assert_int_equal(netif_tx_check(c, 0, MTU_FRAME, len), NETIF_TX_TOO_MANY_SLOTS);
    assert_string_equal(netif_tx_verdict_names[NETIF_TX_TOO_MANY_SLOTS], "too_many_slots");
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_slot),
        cmocka_unit_test(test_bad_lengths),
        cmocka_unit_test(test_chains),
        cmocka_unit_test(test_slot_count),
    };
    return unit_run(argc, argv, "netif_check", tests, UNIT_ARRAY_SIZE(tests));
}
