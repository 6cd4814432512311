/*
 * Xenstore as a domU sees it, over its own store ring with raw messages:
 * role=good uses the store as a driver would (paths, directories, watches,
 * transactions and their conflicts, permissions); role=hostile breaks every
 * rule it can (foreign subtrees, bad types, unterminated and short payloads,
 * 10^4 watches, transactions left open, too many nodes, a message longer
 * than allowed and a producer index that jumps) and checks each refusal.
 * Both run beside each other: the good one must pass while the other tries.
 */
#include "events.h"
#include "guest.h"
#include "hypercall.h"
#include "mm.h"
#include "xs.h"
#include <public/errno.h>

const char test_title[] = "xenstore: a domU's store, used honestly or attacked";

#define CONNECT_NS  60000000000ull      /* dom0 introduces us once its store runs */

static domid_t me;
static char home[64];                   /* /local/domain/<me> */
static struct xs_msg r;                 /* the last reply */

/* Our id: the hypervisor names it as the remote end of a port we offer ourselves (as Xen does). */
static domid_t own_domid(void)
{
    struct evtchn_alloc_unbound a = { .dom = DOMID_SELF, .remote_dom = DOMID_SELF };
    if (evtchn_op(EVTCHNOP_alloc_unbound, &a))
        return DOMID_INVALID;
    struct evtchn_status st = { .dom = DOMID_SELF, .port = a.port };
    int64_t rc = evtchn_op(EVTCHNOP_status, &st);
    struct evtchn_close c = { .port = a.port };
    evtchn_op(EVTCHNOP_close, &c);
    return rc ? DOMID_INVALID : st.u.unbound.dom;
}

/* The reply is "OK" (or, with want, that exact body); otherwise why. */
static const char *expect_ok(const char *what, int64_t rc, const char *want, char *why, size_t len)
{
    if (rc)
        return fail(why, len, "%s: no reply (%lld)", what, (long long)rc);
    if (xs_error(&r))
        return fail(why, len, "%s: error %s", what, xs_error(&r));
    if (strcmp(r.body, want ? want : "OK"))
        return fail(why, len, "%s: reply \"%s\", want \"%s\"", what, r.body, want ? want : "OK");
    return NULL;
}

static const char *expect_err(const char *what, int64_t rc, const char *err, char *why, size_t len)
{
    if (rc)
        return fail(why, len, "%s: no reply (%lld)", what, (long long)rc);
    if (!xs_error(&r) || strcmp(xs_error(&r), err))
        return fail(why, len, "%s: type %u \"%s\", want error %s", what, r.hdr.type, r.body, err);
    return NULL;
}

#define CHECK(x) do { const char *e_ = (x); if (e_) return e_; } while (0)

static const char *test_connect(char *why, size_t len)
{
    int64_t rc = events_init();
    if (rc || (rc = xs_init()))
        return fail(why, len, "events or store ring: %lld", (long long)rc);
    if ((me = own_domid()) == DOMID_INVALID)
        return fail(why, len, "cannot learn our domid");
    snprintf(home, sizeof(home), "/local/domain/%u", me);
    uint64_t give_up = pvclock_now() + CONNECT_NS;
    char id[8];
    snprintf(id, sizeof(id), "%u", me);
    do
        rc = xs_request_strs(XS_GET_DOMAIN_PATH, 0, &r, 1, id);
    while (rc == -XEN_ETIMEDOUT && pvclock_now() < give_up);
    return expect_ok("GET_DOMAIN_PATH", rc, home, why, len);
}

/* ---- role=good ---- */

static const char *test_write_read(char *why, size_t len)
{
    static const char w[] = "data/x\0hello";
    CHECK(expect_ok("WRITE data/x", xs_request(XS_WRITE, 0, w, sizeof(w) - 1, &r), NULL, why, len));
    CHECK(expect_ok("READ data/x", xs_request_strs(XS_READ, 0, &r, 1, "data/x"), "hello", why, len));
    char abs[96];
    snprintf(abs, sizeof(abs), "%s/data/x", home);
    CHECK(expect_ok("READ absolute", xs_request_strs(XS_READ, 0, &r, 1, abs), "hello", why, len));
    return expect_err("READ missing", xs_request_strs(XS_READ, 0, &r, 1, "data/none"), "ENOENT", why, len);
}

static const char *test_directory(char *why, size_t len)
{
    CHECK(expect_ok("MKDIR", xs_request_strs(XS_MKDIR, 0, &r, 1, "data/d"), NULL, why, len));
    static const char a[] = "data/d/a\0" "1", b[] = "data/d/b\0" "2";
    CHECK(expect_ok("WRITE a", xs_request(XS_WRITE, 0, a, sizeof(a) - 1, &r), NULL, why, len));
    CHECK(expect_ok("WRITE b", xs_request(XS_WRITE, 0, b, sizeof(b) - 1, &r), NULL, why, len));
    if (xs_request_strs(XS_DIRECTORY, 0, &r, 1, "data/d") || xs_error(&r) || r.hdr.len != 4 ||
        memcmp(r.body, "a\0b\0", 4))
        return fail(why, len, "DIRECTORY data/d: type %u, %u bytes", r.hdr.type, r.hdr.len);
    CHECK(expect_ok("RM", xs_request_strs(XS_RM, 0, &r, 1, "data/d"), NULL, why, len));
    return expect_err("READ removed child", xs_request_strs(XS_READ, 0, &r, 1, "data/d/a"), "ENOENT", why, len);
}

static const char *test_others_refused(char *why, size_t len)
{
    static const char w[] = "/tool/mine\0x";
    CHECK(expect_err("WRITE /tool/mine", xs_request(XS_WRITE, 0, w, sizeof(w) - 1, &r), "EACCES", why, len));
    return expect_err("READ dom0's home", xs_request_strs(XS_DIRECTORY, 0, &r, 1, "/local/domain/0"), "EACCES",
                      why, len);
}

static const char *test_watch(char *why, size_t len)
{
    CHECK(expect_ok("WATCH", xs_request_strs(XS_WATCH, 0, &r, 2, "data/w", "tok1"), NULL, why, len));
    struct xs_msg ev;
    int64_t rc = xs_watch_event(&ev, XS_TIMEOUT_NS);
    if (rc || strcmp(ev.body, "data/w") || strcmp(ev.body + strlen(ev.body) + 1, "tok1"))
        return fail(why, len, "initial watch event: %lld \"%s\"", (long long)rc, rc ? "" : ev.body);
    static const char w[] = "data/w/c\0v";
    CHECK(expect_ok("WRITE under the watch", xs_request(XS_WRITE, 0, w, sizeof(w) - 1, &r), NULL, why, len));
    rc = xs_watch_event(&ev, XS_TIMEOUT_NS);
    if (rc || strcmp(ev.body, "data/w/c") || strcmp(ev.body + strlen(ev.body) + 1, "tok1"))
        return fail(why, len, "watch event for the write: %lld \"%s\"", (long long)rc, rc ? "" : ev.body);
    return expect_ok("UNWATCH", xs_request_strs(XS_UNWATCH, 0, &r, 2, "data/w", "tok1"), NULL, why, len);
}

static const char *test_transaction_conflict(char *why, size_t len)
{
    static const char v0[] = "data/t\0" "0", v1[] = "data/t\0" "1", v2[] = "data/t\0" "2";
    CHECK(expect_ok("WRITE data/t", xs_request(XS_WRITE, 0, v0, sizeof(v0) - 1, &r), NULL, why, len));
    for (int attempt = 0; attempt < 2; attempt++) {
        if (xs_request(XS_TRANSACTION_START, 0, "", 1, &r) || xs_error(&r))
            return fail(why, len, "TRANSACTION_START: %s", r.body);
        uint32_t tx = 0;
        for (const char *p = r.body; *p >= '0' && *p <= '9'; p++)
            tx = tx * 10 + (uint32_t)(*p - '0');
        CHECK(expect_ok("READ in the transaction", xs_request_strs(XS_READ, tx, &r, 1, "data/t"),
                        attempt ? "1" : "0", why, len));
        if (!attempt)   /* someone else changes the node meanwhile */
            CHECK(expect_ok("WRITE outside", xs_request(XS_WRITE, 0, v1, sizeof(v1) - 1, &r), NULL, why, len));
        CHECK(expect_ok("WRITE in the transaction", xs_request(XS_WRITE, tx, v2, sizeof(v2) - 1, &r), NULL, why, len));
        int64_t rc = xs_request_strs(XS_TRANSACTION_END, tx, &r, 1, "T");
        if (!attempt)
            CHECK(expect_err("commit after a conflict", rc, "EAGAIN", why, len));
        else
            CHECK(expect_ok("commit of the retry", rc, NULL, why, len));
    }
    return expect_ok("READ after commit", xs_request_strs(XS_READ, 0, &r, 1, "data/t"), "2", why, len);
}

/* ---- role=hostile ---- */

static const char *test_bad_requests(char *why, size_t len)
{
    CHECK(expect_err("unknown type", xs_request(200, 0, "x", 2, &r), "EINVAL", why, len));
    CHECK(expect_err("unterminated READ", xs_request(XS_READ, 0, "data/x", 6, &r), "EINVAL", why, len));
    CHECK(expect_err("WATCH without a token", xs_request(XS_WATCH, 0, "data/x", 7, &r), "EINVAL", why, len));
    CHECK(expect_err("INTRODUCE from a domU", xs_request_strs(XS_INTRODUCE, 0, &r, 3, "5", "1234", "3"), "EACCES",
                     why, len));
    CHECK(expect_err("bad transaction id", xs_request_strs(XS_READ, 0x7777, &r, 1, "data"), "ENOENT", why, len));
    static const char w[] = "/local/domain/0/evil\0x";
    return expect_err("WRITE into dom0's home", xs_request(XS_WRITE, 0, w, sizeof(w) - 1, &r), "EACCES", why, len);
}

static const char *test_ten_thousand_watches(char *why, size_t len)
{
    unsigned int accepted = 0, refused = 0;
    char tok[16];
    struct xs_msg ev;
    for (unsigned int i = 0; i < 10000; i++) {
        snprintf(tok, sizeof(tok), "w%u", i);
        if (xs_request_strs(XS_WATCH, 0, &r, 2, "data", tok))
            return fail(why, len, "WATCH %u: no reply", i);
        if (!xs_error(&r)) {
            accepted++;
            xs_watch_event(&ev, XS_TIMEOUT_NS);         /* the initial event */
        } else if (!strcmp(xs_error(&r), "E2BIG")) {
            refused++;
        } else {
            return fail(why, len, "WATCH %u: %s", i, xs_error(&r));
        }
    }
    printk("# %u watches accepted, %u refused\n", accepted, refused);
    if (accepted == 0 || accepted > 1000 || refused == 0)
        return fail(why, len, "%u watches accepted, %u refused: no quota", accepted, refused);
    CHECK(expect_ok("RESET_WATCHES", xs_request(XS_RESET_WATCHES, 0, NULL, 0, &r), NULL, why, len));
    return expect_ok("WATCH after the reset", xs_request_strs(XS_WATCH, 0, &r, 2, "data", "again"), NULL, why, len);
}

static const char *test_transactions_left_open(char *why, size_t len)
{
    unsigned int open = 0;
    for (unsigned int i = 0; i < 50; i++) {
        if (xs_request(XS_TRANSACTION_START, 0, "", 1, &r))
            return fail(why, len, "TRANSACTION_START %u: no reply", i);
        if (xs_error(&r)) {
            if (strcmp(xs_error(&r), "ENOSPC"))
                return fail(why, len, "TRANSACTION_START %u: %s", i, xs_error(&r));
            break;
        }
        open++;
    }
    if (open == 0 || open >= 50)
        return fail(why, len, "%u transactions opened: no quota", open);
    printk("# %u transactions left open\n", open);
    /* They stay open; plain requests still work. */
    static const char w[] = "data/still\0ok";
    return expect_ok("WRITE with transactions open", xs_request(XS_WRITE, 0, w, sizeof(w) - 1, &r), NULL, why, len);
}

static const char *test_node_quota(char *why, size_t len)
{
    char path[48];
    unsigned int made = 0;
    for (unsigned int i = 0; i < 3000; i++) {
        snprintf(path, sizeof(path), "data/q/n%u", i);
        if (xs_request_strs(XS_MKDIR, 0, &r, 1, path))
            return fail(why, len, "MKDIR %u: no reply", i);
        if (xs_error(&r)) {
            if (strcmp(xs_error(&r), "ENOSPC"))
                return fail(why, len, "MKDIR %u: %s", i, xs_error(&r));
            break;
        }
        made++;
    }
    printk("# %u nodes made before the quota\n", made);
    if (made == 0 || made >= 3000)
        return fail(why, len, "%u nodes made: no quota", made);
    /* data itself stays: /local/domain/<id> is dom0's, as xl makes it, so we could not make it again. */
    CHECK(expect_ok("RM data/q", xs_request_strs(XS_RM, 0, &r, 1, "data/q"), NULL, why, len));
    return expect_ok("MKDIR after freeing", xs_request_strs(XS_MKDIR, 0, &r, 1, "data/again"), NULL, why, len);
}

/* A header claiming more than XENSTORE_PAYLOAD_MAX: the store stops serving this ring (and only it). */
static const char *test_oversized_message(char *why, size_t len)
{
    struct xsd_sockmsg h = { .type = XS_WRITE, .req_id = 0xbad, .len = XENSTORE_PAYLOAD_MAX + 1 };
    if (xs_send_raw(&h, sizeof(h)))
        return fail(why, len, "could not send the header");
    static char junk[256];
    xs_send_raw(junk, sizeof(junk));
    int64_t rc = xs_recv(&r, 2000000000ull);
    if (rc == 0 && !(r.hdr.type == XS_ERROR && r.hdr.req_id == 0xbad))
        return fail(why, len, "an oversized message got a reply of type %u", r.hdr.type);
    struct xenstore_domain_interface *ring = xs_ring();
    if ((ring->server_features & XENSTORE_SERVER_FEATURE_ERROR) && ring->error == XENSTORE_ERROR_NONE)
        return fail(why, len, "the store offers an error field but left it at none");
    printk("# oversized message: %s, ring error %u\n", rc ? "no reply" : "an error reply", ring->error);
    /* Then the request producer jumps far ahead: nothing may come of it either. */
    ring->req_prod += 100000;
    evtchn_send(start_info->store_evtchn);
    rc = xs_recv(&r, 1000000000ull);
    return rc ? NULL : fail(why, len, "a reply after the producer jumped: type %u", r.hdr.type);
}

static const struct test_case good_cases[] = {
    { "connect", test_connect },
    { "write_read", test_write_read },
    { "directory", test_directory },
    { "others_refused", test_others_refused },
    { "watch_initial_and_change", test_watch },
    { "transaction_conflict_eagain", test_transaction_conflict },
};

static const struct test_case hostile_cases[] = {
    { "connect", test_connect },
    { "bad_requests_refused", test_bad_requests },
    { "ten_thousand_watches", test_ten_thousand_watches },
    { "transactions_left_open", test_transactions_left_open },
    { "node_quota", test_node_quota },
    { "oversized_message_and_jumping_producer", test_oversized_message },
};

const struct test_case *guest_cases(unsigned int *n)
{
    if (guest_option_is("role", "hostile")) {
        *n = ARRAY_SIZE(hostile_cases);
        return hostile_cases;
    }
    *n = ARRAY_SIZE(good_cases);
    return good_cases;
}
