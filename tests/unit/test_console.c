/*
 * Host tests of the PV console's pure parts: the ring index arithmetic both
 * ends use (pvdrivers/include/console/ring.h) and the back end's line
 * assembler (pvdrivers/console/lines.c).
 */
#include <console/lines.h>
#include <console/ring.h>
#include "unit.h"

#define OUT_SIZE sizeof(((struct xencons_interface *)0)->out)

static void test_indices_wrap(void **state)
{
    (void)state;
    static const struct { uint32_t prod, cons, used; int valid; } rows[] = {
        { 0, 0, 0, 1 },
        { 2048, 0, 2048, 1 },                   /* full */
        { 2049, 0, 2049, 0 },                   /* more than the ring holds */
        { 5, 0xfffffffbu, 10, 1 },              /* prod wrapped past 2^32 */
        { 0xfffffff0u, 0xfffffff0u, 0, 1 },
        { 0, 1, 0xffffffffu, 0 },               /* cons ahead of prod */
        { 0x7ff, 0xffffffffu, 0x800, 1 },       /* full across the wrap */
    };
    for (size_t i = 0; i < UNIT_ARRAY_SIZE(rows); i++) {
        if (xencons_used(rows[i].prod, rows[i].cons) != rows[i].used)
            fail_msg("row %zu: used %u, want %u", i, xencons_used(rows[i].prod, rows[i].cons), rows[i].used);
        if (xencons_valid(rows[i].prod, rows[i].cons, OUT_SIZE) != rows[i].valid)
            fail_msg("row %zu: valid %d, want %d", i, !rows[i].valid, rows[i].valid);
        if (rows[i].valid)
            assert_int_equal(xencons_space(rows[i].prod, rows[i].cons, OUT_SIZE), OUT_SIZE - rows[i].used);
    }
}

/* 200 KiB through the 2 KiB ring in uneven pieces, indices starting just below 2^32. */
static void test_stream_through_ring(void **state)
{
    (void)state;
    static uint8_t ring[OUT_SIZE];
    enum { TOTAL = 200 * 1024 };
    char *in = malloc(TOTAL), *out = malloc(TOTAL);
    assert_non_null(in);
    assert_non_null(out);
    for (size_t i = 0; i < TOTAL; i++)
        in[i] = (char)(i * 131 + i / 7);
    uint32_t prod = 0xffffff00u, cons = prod;
    size_t sent = 0, got = 0;
    unsigned int seed = 12345;
    while (got < TOTAL) {
        seed = seed * 1103515245u + 12345u;
        size_t want = (seed >> 16) % 700 + 1;
        size_t k = want < xencons_space(prod, cons, OUT_SIZE) ? want : xencons_space(prod, cons, OUT_SIZE);
        if (k > TOTAL - sent)
            k = TOTAL - sent;
        xencons_put(ring, OUT_SIZE, prod, in + sent, k);
        prod += (uint32_t)k;
        sent += k;
        assert_true(xencons_valid(prod, cons, OUT_SIZE));
        seed = seed * 1103515245u + 12345u;
        size_t take = (seed >> 16) % 900;
        if (take > xencons_used(prod, cons))
            take = xencons_used(prod, cons);
        xencons_get(ring, OUT_SIZE, cons, out + got, take);
        cons += (uint32_t)take;
        got += take;
    }
    assert_true(prod < 0x1000000u);            /* the indices did wrap */
    assert_memory_equal(in, out, TOTAL);
    free(in);
    free(out);
}

struct sink {
    char lines[16][CONLINES_MAX + 1];
    size_t n;
};

static void collect(void *ctx, const char *line, size_t len)
{
    struct sink *s = ctx;
    assert_true(s->n < UNIT_ARRAY_SIZE(s->lines));
    assert_true(len <= CONLINES_MAX);
    memcpy(s->lines[s->n], line, len);
    s->lines[s->n++][len] = 0;
}

static void feed(struct conlines *l, struct sink *s, const char *text)
{
    conlines_feed(l, text, strlen(text), collect, s);
}

static void test_lines_split_and_join(void **state)
{
    (void)state;
    struct conlines l = { .len = 0 };
    struct sink s = { .n = 0 };
    feed(&l, &s, "KTAP ver");
    assert_int_equal(s.n, 0);
    feed(&l, &s, "sion 1\n1..2\nok 1 a\n\nok 2");
    assert_int_equal(s.n, 4);
    assert_string_equal(s.lines[0], "KTAP version 1");
    assert_string_equal(s.lines[1], "1..2");
    assert_string_equal(s.lines[2], "ok 1 a");
    assert_string_equal(s.lines[3], "");
    conlines_flush(&l, collect, &s);         /* died in mid-line */
    assert_int_equal(s.n, 5);
    assert_string_equal(s.lines[4], "ok 2");
    conlines_flush(&l, collect, &s);
    assert_int_equal(s.n, 5);
}

/* Hostile bytes: no cursor movement, no escape sequences, no forged line start. */
static void test_lines_drop_control_bytes(void **state)
{
    (void)state;
    struct conlines l = { .len = 0 };
    struct sink s = { .n = 0 };
    const char text[] = "a\tb\r\n\x1b[2Jc\x7f\x80\xff\rd\x01\n";
    conlines_feed(&l, text, sizeof(text) - 1, collect, &s);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.lines[0], "a b");
    assert_string_equal(s.lines[1], "[2Jcd");
    const char nul[] = { 'x', 0, 'y', '\n' };
    conlines_feed(&l, nul, sizeof(nul), collect, &s);
    assert_string_equal(s.lines[2], "xy");
}

static void test_lines_cut_when_too_long(void **state)
{
    (void)state;
    struct conlines l = { .len = 0 };
    struct sink s = { .n = 0 };
    char text[CONLINES_MAX * 2 + 12];
    memset(text, 'x', sizeof(text));
    text[sizeof(text) - 1] = '\n';
    conlines_feed(&l, text, sizeof(text), collect, &s);
    assert_int_equal(s.n, 3);
    assert_int_equal(strlen(s.lines[0]), CONLINES_MAX);
    assert_int_equal(strlen(s.lines[1]), CONLINES_MAX);
    assert_int_equal(strlen(s.lines[2]), 11);
    /* exactly CONLINES_MAX bytes then a newline: one line, not a full one and an empty one */
    memset(text, 'y', CONLINES_MAX);
    text[CONLINES_MAX] = '\n';
    conlines_feed(&l, text, CONLINES_MAX + 1, collect, &s);
    assert_int_equal(s.n, 4);
    assert_int_equal(strlen(s.lines[3]), CONLINES_MAX);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_indices_wrap),
        cmocka_unit_test(test_stream_through_ring),
        cmocka_unit_test(test_lines_split_and_join),
        cmocka_unit_test(test_lines_drop_control_bytes),
        cmocka_unit_test(test_lines_cut_when_too_long),
    };
    return unit_run(argc, argv, "console", tests, UNIT_ARRAY_SIZE(tests));
}
