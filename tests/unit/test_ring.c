/*
 * Host tests of pvdrivers/ring.c: ring sizes for the real protocols, FIFO
 * order across index wrap-around, notifications exactly when the peer asked
 * (and none lost around a final check, in a seeded random interleaving of
 * both ends against an oracle), and hostile peers: a front end whose
 * req_prod jumps, one that publishes more requests than there is room to
 * answer, a back end that answers what was never asked, and a request
 * changed after the back end copied it.
 */
#include <pvd/ring.h>
#include <public/io/blkif.h>
#include <public/io/netif.h>
#include "unit.h"

#define PAGE 4096u

struct msg {
    uint32_t seq;
    uint32_t sum;
};

static _Alignas(4096) uint8_t page[PAGE];

static void setup_pair(struct pvd_ring *f, struct pvd_ring *b, uint32_t ent)
{
    memset(page, 0xa5, sizeof(page));
    assert_true(pvd_ring_front_init(f, page, PAGE, ent));
    assert_true(pvd_ring_back_attach(b, page, PAGE, ent));
    assert_int_equal(f->nr_ents, b->nr_ents);
}

static void test_sizes(void **state)
{
    (void)state;
    struct pvd_ring f, b;
    setup_pair(&f, &b, sizeof(struct blkif_request));
    assert_int_equal(f.nr_ents, 32);                 /* blkif.h: 32 slots in one page */
    setup_pair(&f, &b, sizeof(struct netif_tx_request));
    assert_int_equal(f.nr_ents, 256);                /* netif.h: 256 slots */
    assert_int_equal(f.sring->req_event, 1);
    assert_int_equal(f.sring->rsp_event, 1);
    assert_int_equal(f.sring->req_prod, 0);
    assert_false(pvd_ring_front_init(&f, page, PAGE, 0));
    assert_false(pvd_ring_front_init(&f, page, PAGE, PAGE));
}

static void put_request(struct pvd_ring *f, uint32_t seq)
{
    struct msg *m = pvd_ring_front_next_request(f);
    assert_non_null(m);
    *m = (struct msg){ seq, seq * 2654435761u };
}

/* A full ring refuses a request; answers come back in order, with indices wrapping past 2^32. */
static void test_fifo_full_and_wrap(void **state)
{
    (void)state;
    struct pvd_ring f, b;
    setup_pair(&f, &b, sizeof(struct msg));
    /* Start both ends just below the wrap, as after 2^32 - 5 requests. */
    RING_IDX start = 0xfffffffbu;
    f.prod_pvt = f.cons = b.prod_pvt = b.cons = start;
    f.sring->req_prod = f.sring->rsp_prod = start;
    uint32_t seq = 0, want = 0;
    for (int round = 0; round < 3; round++) {
        for (uint32_t i = 0; i < f.nr_ents; i++)
            put_request(&f, seq++);
        assert_null(pvd_ring_front_next_request(&f));
        pvd_ring_front_push(&f);
        struct msg m;
        uint32_t got = 0;
        while (pvd_ring_back_get_request(&b, &m)) {
            assert_int_equal(m.seq, want + got);
            assert_int_equal(m.sum, m.seq * 2654435761u);
            struct msg *r = pvd_ring_back_next_response(&b);
            assert_non_null(r);
            *r = (struct msg){ m.seq, ~m.sum };
            got++;
        }
        assert_int_equal(got, f.nr_ents);
        assert_null(pvd_ring_back_next_response(&b));     /* nothing consumed is unanswered */
        pvd_ring_back_push(&b);
        for (uint32_t i = 0; i < got; i++) {
            assert_true(pvd_ring_front_get_response(&f, &m));
            assert_int_equal(m.seq, want + i);
            assert_int_equal(m.sum, ~(m.seq * 2654435761u));
        }
        assert_false(pvd_ring_front_get_response(&f, &m));
        want += got;
    }
    assert_true(f.prod_pvt < start);                       /* the indices did wrap */
    assert_false(pvd_ring_broken(&f) || pvd_ring_broken(&b));
}

/* push says "notify" iff the peer's event index lies in (old, new]. */
static void test_notify_only_when_asked(void **state)
{
    (void)state;
    struct pvd_ring f, b;
    setup_pair(&f, &b, sizeof(struct msg));
    put_request(&f, 0);
    assert_true(pvd_ring_front_push(&f));                  /* req_event starts at 1 */
    put_request(&f, 1);
    assert_false(pvd_ring_front_push(&f));                 /* the back end did not ask again */
    struct msg m;
    assert_true(pvd_ring_back_get_request(&b, &m));
    assert_true(pvd_ring_back_get_request(&b, &m));
    assert_false(pvd_ring_back_final_check(&b));           /* asks for req 3 (index 2 + 1) */
    assert_int_equal(b.sring->req_event, 3);
    put_request(&f, 2);
    assert_true(pvd_ring_front_push(&f));
    /* A final check that finds work does not ask. */
    put_request(&f, 3);
    assert_false(pvd_ring_front_push(&f));
    assert_true(pvd_ring_back_final_check(&b));
}

/* A front end whose req_prod runs more than a ring ahead is broken; nothing is consumed. */
static void test_hostile_req_prod_jump(void **state)
{
    (void)state;
    struct pvd_ring f, b;
    setup_pair(&f, &b, sizeof(struct msg));
    b.sring->req_prod = b.nr_ents + 1;
    struct msg m;
    assert_false(pvd_ring_back_get_request(&b, &m));
    assert_true(pvd_ring_broken(&b));
    assert_int_equal(b.cons, 0);
    b.sring->req_prod = 1;                                  /* broken stays broken */
    assert_false(pvd_ring_back_get_request(&b, &m));
    setup_pair(&f, &b, sizeof(struct msg));
    b.sring->req_prod = (RING_IDX)-1;                        /* "behind" is a jump too */
    assert_false(pvd_ring_back_get_request(&b, &m));
    assert_true(pvd_ring_broken(&b));
}

/* Requests beyond the room left by unanswered ones are not consumed (they would overrun responses). */
static void test_hostile_no_room(void **state)
{
    (void)state;
    struct pvd_ring f, b;
    setup_pair(&f, &b, sizeof(struct msg));
    b.sring->req_prod = b.nr_ents;                           /* a full ring, honestly */
    struct msg m;
    for (uint32_t i = 0; i < b.nr_ents; i++)
        assert_true(pvd_ring_back_get_request(&b, &m));
    /* The front end claims more without seeing one response: no room to answer them. */
    b.sring->req_prod = b.nr_ents + 3;
    assert_false(pvd_ring_back_get_request(&b, &m));
    assert_false(pvd_ring_broken(&b));
    assert_non_null(pvd_ring_back_next_response(&b));       /* answering one makes room for one */
    assert_true(pvd_ring_back_get_request(&b, &m));
    assert_false(pvd_ring_back_get_request(&b, &m));
}

/* A back end that answers more than was asked is broken. */
static void test_hostile_rsp_prod(void **state)
{
    (void)state;
    struct pvd_ring f, b;
    setup_pair(&f, &b, sizeof(struct msg));
    put_request(&f, 7);
    pvd_ring_front_push(&f);
    f.sring->rsp_prod = 2;
    struct msg m;
    assert_false(pvd_ring_front_get_response(&f, &m));
    assert_true(pvd_ring_broken(&f));
    assert_null(pvd_ring_front_next_request(&f));
}

/* The back end's copy is what it checks: the front end changing the slot afterwards changes nothing. */
static void test_no_double_fetch(void **state)
{
    (void)state;
    struct pvd_ring f, b;
    setup_pair(&f, &b, sizeof(struct msg));
    struct msg *slot = pvd_ring_front_next_request(&f);
    *slot = (struct msg){ 1, 2 };
    pvd_ring_front_push(&f);
    struct msg m;
    assert_true(pvd_ring_back_get_request(&b, &m));
    slot->seq = 0xdead;
    assert_int_equal(m.seq, 1);
    /* Entries that are not a multiple of 4 bytes are copied too. */
    setup_pair(&f, &b, 6);
    uint8_t *s6 = pvd_ring_front_next_request(&f);
    memcpy(s6, "abcdef", 6);
    pvd_ring_front_push(&f);
    uint8_t out[6];
    assert_true(pvd_ring_back_get_request(&b, out));
    assert_memory_equal(out, "abcdef", 6);
}

/*
 * Both ends take random steps (queue, push, consume, answer, sleep after a
 * final check). An end sleeps only when its final check found nothing, and
 * is woken only by a push that said "notify": if work ever waits for a
 * sleeping end that nobody will wake, a notification was lost.
 */
static void test_random_interleaving(void **state)
{
    (void)state;
    struct pvd_ring f, b;
    setup_pair(&f, &b, sizeof(struct msg));
    srand(12345);
    bool front_asleep = false, back_asleep = false;
    uint32_t sent = 0, served = 0, answered = 0, received = 0, pending_answers = 0;
    for (int step = 0; step < 200000; step++) {
        int who = rand() % 2;
        if (who == 0 && !front_asleep) {
            int op = rand() % 4;
            if (op == 0 && pvd_ring_front_next_request(&f)) {
                f.prod_pvt--;                                /* undo the probe; queue for real */
                put_request(&f, sent++);
            } else if (op == 1) {
                if (pvd_ring_front_push(&f))
                    back_asleep = false;
            } else if (op == 2) {
                struct msg m;
                if (pvd_ring_front_get_response(&f, &m))
                    assert_int_equal(m.seq, received++);
            } else if (op == 3 && f.sring->req_prod == f.prod_pvt && !pvd_ring_front_final_check(&f)) {
                front_asleep = true;                        /* everything queued is published: wait for answers */
            }
        } else if (who == 1 && !back_asleep) {
            int op = rand() % 4;
            struct msg m;
            if (op == 0 && pvd_ring_back_get_request(&b, &m)) {
                assert_int_equal(m.seq, served++);
                pending_answers++;
            } else if (op == 1 && pending_answers) {
                struct msg *r = pvd_ring_back_next_response(&b);
                assert_non_null(r);
                *r = (struct msg){ answered++, 0 };
                pending_answers--;
            } else if (op == 2) {
                if (pvd_ring_back_push(&b))
                    front_asleep = false;
            } else if (op == 3 && !pending_answers && b.sring->rsp_prod == b.prod_pvt &&
                       !pvd_ring_back_final_check(&b)) {
                back_asleep = true;
            }
        }
        /* A sleeping end with published work for it must have been woken. */
        if (back_asleep)
            assert_int_equal(b.sring->req_prod, b.cons);
        if (front_asleep)
            assert_int_equal(f.sring->rsp_prod, f.cons);
        if (front_asleep && back_asleep) {
            /* Both asleep: only legitimate when nothing is in flight; the front end then starts more. */
            assert_int_equal(received, sent);
            front_asleep = false;
        }
    }
    assert_true(received > 10000);
    assert_false(pvd_ring_broken(&f) || pvd_ring_broken(&b));
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_fifo_full_and_wrap),
        cmocka_unit_test(test_notify_only_when_asked),
        cmocka_unit_test(test_hostile_req_prod_jump),
        cmocka_unit_test(test_hostile_no_room),
        cmocka_unit_test(test_hostile_rsp_prod),
        cmocka_unit_test(test_no_double_fetch),
        cmocka_unit_test(test_random_interleaving),
    };
    return unit_run(argc, argv, "ring", tests, UNIT_ARRAY_SIZE(tests));
}
