/*
 * libFuzzer target: the xenstore core (pvdrivers/xenstore), unchanged. The input is a
 * script for three connections (dom0, domU 1, domU 2): requests built from a word
 * list and raw bytes (sometimes with a lying length), fed in random splits; output
 * pulled in random amounts; connections reset (and replaced from inside the RELEASE
 * callback, as a transport does); domains set up and gone; allocation failures. Oracles after every step: xs_server_check (parents, children byte
 * counts, owners' node counts against a recount, watch/transaction counts, queue
 * caps); every output byte parses as messages <= 4096 bytes whose types answer the
 * requests; one reply per request consumed; and no allocation left at the end.
 */
#include <stdbool.h>
#include <string.h>
#include <xenstore/xenstored.h>
#include <public/io/xs_wire.h>
#include "fuzz.h"

static long live_allocs, alloc_count, fail_every;

/* A smaller quarantine and fill: a run allocates ~10 KB of fresh structures, and page
 * faults and fills would dominate (use-after-free is still caught within 16 MB of frees). */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "quarantine_size_mb=16:max_malloc_fill_size=256";
}

static void *f_alloc(size_t n)
{
    alloc_count++;
    if (fail_every && alloc_count % fail_every == 0)
        return NULL;
    live_allocs++;
    return malloc(n ? n : 1);
}

static void f_free(void *p)
{
    live_allocs--;
    free(p);
}

static int introduce_fail;
static struct xs_server *srv;

static int f_introduce(void *ctx, uint16_t d, uint64_t mfn, uint32_t port)
{
    (void)ctx, (void)d, (void)mfn, (void)port;
    return introduce_fail ? XS_ENOMEM : XS_OK;
}

static void f_release(void *ctx, uint16_t d);
static const struct xs_env env = { f_alloc, f_free, NULL, f_introduce, f_release, NULL };

static const char *const words[] = {
    "/", "/local", "/local/domain", "/local/domain/1", "/local/domain/2", "/local/domain/0",
    "/local/domain/1/data", "/local/domain/2/data/x", "/tool", "/tool/a", "/tool/a/b",
    "data", "data/x", "data/x/y", "name", "control/shutdown", "device", "@introduceDomain",
    "@releaseDomain", "T", "F", "0", "1", "2", "3", "7", "65535", "32752", "n0", "r1", "w2",
    "b1", "n2", "r0", "tok", "t2", "check", "value", "a", "x", "/a//b", "/a/", "",
};
#define NWORDS (sizeof(words) / sizeof(words[0]))

/* Per connection: bytes not yet accepted, and the output parser's state. */
struct peer {
    struct xs_conn *c;
    uint16_t domid;
    uint8_t pend[8192];
    size_t npend;
    uint8_t ohdr[16];
    uint32_t ohave, obody;   /* header bytes seen; payload bytes still to come */
    struct xsd_sockmsg omsg; /* the output message being read, and its payload */
    uint8_t opl[XENSTORE_PAYLOAD_MAX];
    struct xsd_sockmsg fifo[64]; /* requests taken whose replies are still to come */
    uint32_t fhead, ftail;
    uint8_t ihdr[16];
    struct xsd_sockmsg ireq;
    uint32_t ihave, ibody;   /* the same for the bytes the connection consumed */
    long requests_done, replies_seen;
};
static struct peer peers[3];

static void peer_open(struct peer *p)
{
    p->c = xs_conn_create(srv, p->domid, p);
    if (!p->c) { /* only when allocation fails: give memory back */
        FUZZ_CHECK(fail_every, "connection creation failed");
        fail_every = 0;
        p->c = xs_conn_create(srv, p->domid, p);
        FUZZ_CHECK(p->c, "connection creation failed twice");
    }
    p->npend = 0;
    p->ohave = p->obody = p->ihave = p->ibody = 0;
    p->fhead = p->ftail = 0;
    p->requests_done = p->replies_seen = 0;
}

static bool known_error(const uint8_t *pl, uint32_t len)
{
    for (int e = 1; e < XS_ERR_COUNT; e++) {
        const char *name = xs_err_name(e);
        if (len == strlen(name) + 1 && !memcmp(pl, name, len))
            return true;
    }
    return false;
}

/* One whole output message: an event, or the reply to the oldest request taken. */
static void check_output_msg(struct peer *p)
{
    const struct xsd_sockmsg *h = &p->omsg;
    if (h->type == XS_WATCH_EVENT) {
        uint32_t nuls = 0;
        for (uint32_t i = 0; i < h->len; i++)
            nuls += !p->opl[i];
        FUZZ_CHECK(h->req_id == 0 && h->tx_id == 0 && h->len >= 2 && nuls == 2 &&
                   !p->opl[h->len - 1], "bad watch event");
        return;
    }
    p->replies_seen++;
    FUZZ_CHECK(p->fhead != p->ftail, "a reply without a request");
    const struct xsd_sockmsg *rq = &p->fifo[p->fhead++ % 64];
    FUZZ_CHECK(h->req_id == rq->req_id && h->tx_id == rq->tx_id, "reply ids %u/%u for %u/%u",
               h->req_id, h->tx_id, rq->req_id, rq->tx_id);
    FUZZ_CHECK(h->type == rq->type || h->type == XS_ERROR, "reply type %u to a request of type %u",
               h->type, rq->type);
    if (h->type == XS_ERROR)
        FUZZ_CHECK(known_error(p->opl, h->len), "an ERROR reply without an errno name");
}

/* As a transport does: RELEASE (from dom0's request) drops the domain's connection;
 * here a fresh one replaces it, as if the domain were introduced again. */
static void f_release(void *ctx, uint16_t d)
{
    (void)ctx;
    if (d == 1 || d == 2) {
        xs_conn_destroy(peers[d].c);
        peer_open(&peers[d]);
    }
}

/* Output must be a sequence of well-formed messages. */
static void parse_output(struct peer *p, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n;) {
        if (p->obody) {
            size_t k = n - i < p->obody ? n - i : p->obody;
            memcpy(p->opl + p->omsg.len - p->obody, b + i, k);
            p->obody -= (uint32_t)k;
            i += k;
            if (!p->obody)
                check_output_msg(p);
            continue;
        }
        p->ohdr[p->ohave++] = b[i++];
        if (p->ohave < 16)
            continue;
        memcpy(&p->omsg, p->ohdr, 16);
        p->ohave = 0;
        FUZZ_CHECK(p->omsg.len <= XENSTORE_PAYLOAD_MAX, "output message of %u bytes", p->omsg.len);
        FUZZ_CHECK(p->omsg.type < XS_TYPE_COUNT || p->omsg.type == XS_ERROR ||
                   p->omsg.type == XS_INVALID || p->omsg.type >= 0xf0, "output type %u",
                   p->omsg.type);
        p->obody = p->omsg.len;
        if (!p->obody)
            check_output_msg(p);
    }
}

static void pull(struct peer *p, size_t max)
{
    uint8_t buf[512];
    while (max) {
        size_t want = max < sizeof(buf) ? max : sizeof(buf);
        size_t got = xs_conn_output(p->c, buf, want);
        FUZZ_CHECK(got <= want, "output overran");
        if (!got)
            break;
        parse_output(p, buf, got);
        max -= got;
    }
}

/* Counts the complete messages in bytes (to know how many replies are owed). */
static long count_msgs(const uint8_t *b, size_t n, size_t *consumed_whole)
{
    long count = 0;
    size_t i = 0;
    while (n - i >= 16) {
        struct xsd_sockmsg h;
        memcpy(&h, b + i, 16);
        if (h.len > XENSTORE_PAYLOAD_MAX || n - i - 16 < h.len)
            break;
        i += 16 + h.len;
        count++;
    }
    *consumed_whole = i;
    return count;
}

static void request_taken(struct peer *p)
{
    p->requests_done++;
    FUZZ_CHECK(p->ftail - p->fhead < 64, "more than 64 requests without a reply");
    p->fifo[p->ftail++ % 64] = p->ireq;
}

/* Counts the requests the connection has taken whole. */
static void track_input(struct peer *p, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n;) {
        if (p->ibody) {
            size_t k = n - i < p->ibody ? n - i : p->ibody;
            p->ibody -= (uint32_t)k;
            i += k;
            if (!p->ibody)
                request_taken(p);
            continue;
        }
        p->ihdr[p->ihave++] = b[i++];
        if (p->ihave < 16)
            continue;
        memcpy(&p->ireq, p->ihdr, 16);
        p->ihave = 0;
        p->ibody = p->ireq.len;
        if (!p->ibody)
            request_taken(p);
    }
}

static void feed(struct peer *p, size_t max)
{
    if (max > p->npend)
        max = p->npend;
    int r = xs_conn_input(p->c, p->pend, max);
    if (r == XS_CONN_BROKEN) { /* the transport resets it */
        xs_conn_destroy(p->c);
        peer_open(p);
        return;
    }
    FUZZ_CHECK(r >= 0 && (size_t)r <= max, "input consumed %d of %zu", r, max);
    track_input(p, p->pend, (size_t)r);
    memmove(p->pend, p->pend + r, p->npend - (size_t)r);
    p->npend -= (size_t)r;
}

static void build_request(struct peer *p, struct fuzz_in *in)
{
    uint8_t payload[XENSTORE_PAYLOAD_MAX + 64];
    size_t len = 0;
    uint8_t tb = fuzz_u8(in);
    uint32_t type = tb < 0xf0 ? tb % XS_TYPE_COUNT : (tb == 0xff ? XS_INVALID : tb);
    uint32_t tx = fuzz_u8(in) % 4;
    unsigned int pieces = fuzz_u8(in) % 8;
    for (unsigned int i = 0; i < pieces; i++) {
        uint8_t b = fuzz_u8(in);
        if (b < 2 * NWORDS) {
            const char *w = words[b / 2];
            size_t wl = strlen(w);
            memcpy(payload + len, w, wl);
            len += wl;
            if (!(b & 1))
                payload[len++] = '\0';
        } else if (b < 0xf0) {
            payload[len++] = fuzz_u8(in); /* a raw byte */
        } else { /* a run of one byte: long values, long paths */
            unsigned int n = (unsigned int)(b - 0xf0 + 1) * 256;
            uint8_t ch = fuzz_u8(in);
            if (n > XENSTORE_PAYLOAD_MAX - len)
                n = (unsigned int)(XENSTORE_PAYLOAD_MAX - len);
            memset(payload + len, ch, n);
            len += n;
        }
        if (len > XENSTORE_PAYLOAD_MAX - 64)
            break;
    }
    uint32_t hlen = (uint32_t)len;
    uint8_t lie = fuzz_u8(in);
    if (lie == 0xfe)
        hlen = XENSTORE_PAYLOAD_MAX + 1 + fuzz_u8(in); /* breaks the connection */
    struct xsd_sockmsg h = { type, (uint32_t)p->npend, tx, hlen };
    if (p->npend + 16 + len > sizeof(p->pend))
        return;
    memcpy(p->pend + p->npend, &h, 16);
    memcpy(p->pend + p->npend + 16, payload, len);
    p->npend += 16 + len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = { data, size };
    uint8_t flags = fuzz_u8(&in);
    live_allocs = alloc_count = fail_every = 0;
    introduce_fail = 0;
    srv = xs_server_create(&env);
    FUZZ_CHECK(srv, "server creation failed");
    for (int i = 0; i < 3; i++) {
        peers[i].domid = (uint16_t)i;
        peer_open(&peers[i]);
    }
    if (flags & 1) {
        FUZZ_CHECK(xs_domain_setup(srv, 1, "one") == XS_OK, "setup 1");
        FUZZ_CHECK(xs_domain_setup(srv, 2, "two") == XS_OK, "setup 2");
    }
    if (flags & 2) /* allocation failures from now on */
        fail_every = 3 + (flags >> 2);

    unsigned int steps = 0;
    while (in.n && steps++ < 2000) {
        uint8_t op = fuzz_u8(&in);
        struct peer *p = &peers[op % 3];
        switch ((op >> 2) % 8) {
        case 0: case 1: case 2:
            build_request(p, &in);
            if (!(op & 0x80))
                break;
            /* fall through: and send all of it */
        case 3:
            feed(p, (op & 0x80) ? p->npend : fuzz_u8(&in) + 1u);
            break;
        case 4:
            pull(p, fuzz_u8(&in) + 1u);
            break;
        case 5:
            pull(p, SIZE_MAX);
            feed(p, p->npend);
            break;
        case 6:
            switch (fuzz_u8(&in) % 5) {
            case 0: /* reset the connection */
                xs_conn_destroy(p->c);
                peer_open(p);
                break;
            case 1:
                xs_domain_setup(srv, (uint16_t)(1 + fuzz_u8(&in) % 3), "again");
                break;
            case 2:
                xs_domain_gone(srv, (uint16_t)(fuzz_u8(&in) % 4));
                break;
            case 3:
                introduce_fail = !introduce_fail;
                break;
            default:
                fail_every = 0;
                break;
            }
            break;
        default: /* drain everything everywhere */
            for (int i = 0; i < 3; i++) {
                pull(&peers[i], SIZE_MAX);
                feed(&peers[i], peers[i].npend);
                pull(&peers[i], SIZE_MAX);
            }
            break;
        }
        int line = xs_server_check(srv);
        FUZZ_CHECK(!line, "xs_server_check failed at store/proto line %d", line);
        for (int i = 0; i < 3; i++) {
            struct xs_conn_stats st;
            xs_conn_stats(peers[i].c, &st);
            FUZZ_CHECK(st.replies <= XS_CONN_REPLIES_MAX && st.events <= XS_CONN_EVENTS_MAX,
                       "queue over its cap");
        }
    }
    /* With memory back, everything sent gets exactly one reply. */
    fail_every = 0;
    for (int i = 0; i < 3; i++) {
        struct peer *p = &peers[i];
        size_t whole;
        for (int round = 0; round < 1000 && p->npend; round++) {
            size_t before = p->npend;
            pull(p, SIZE_MAX);
            feed(p, p->npend);
            if (p->npend == before && !xs_conn_has_output(p->c))
                break;
        }
        pull(p, SIZE_MAX);
        /* Whatever is left is a partial message the connection holds or we hold. */
        FUZZ_CHECK(count_msgs(p->pend, p->npend, &whole) == 0, "complete request never taken");
        FUZZ_CHECK(p->ohave == 0 && p->obody == 0, "output ended inside a message");
        FUZZ_CHECK(p->replies_seen == p->requests_done, "conn %d: %ld requests, %ld replies", i,
                   p->requests_done, p->replies_seen);
    }
    xs_server_destroy(srv);
    FUZZ_CHECK(live_allocs == 0, "%ld allocations leaked", live_allocs);
    return 0;
}
