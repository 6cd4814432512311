/* Host tests of the xenstore core (pvdrivers/xenstore): every request on the wire, byte-exact. */
#include <xenstore/xenstored.h>
#include <public/io/xs_wire.h>
#include "unit.h"

/* ---- environment: counted allocations, kicks, introduce/release calls ---- */
static long live_allocs;
static int kicks, introduces, releases, introduce_result;
static uint16_t last_domid;
static uint64_t last_mfn;
static uint32_t last_port;

static void *t_alloc(size_t n) { live_allocs++; return malloc(n ? n : 1); }
static void t_free(void *p) { live_allocs--; free(p); }
static void t_kick(void *o) { (void)o; kicks++; }
static int t_introduce(void *ctx, uint16_t d, uint64_t mfn, uint32_t port)
{
    (void)ctx;
    introduces++;
    last_domid = d;
    last_mfn = mfn;
    last_port = port;
    return introduce_result;
}
static void t_release(void *ctx, uint16_t d) { (void)ctx; releases++; last_domid = d; }

static const struct xs_env env = { t_alloc, t_free, t_kick, t_introduce, t_release, NULL };

static struct xs_server *srv;
static struct xs_conn *d0, *u1, *u2;

static int setup(void **state)
{
    (void)state;
    live_allocs = 0;
    kicks = introduces = releases = introduce_result = 0;
    srv = xs_server_create(&env);
    assert_non_null(srv);
    d0 = xs_conn_create(srv, 0, NULL);
    u1 = xs_conn_create(srv, 1, NULL);
    u2 = xs_conn_create(srv, 2, NULL);
    assert_true(d0 && u1 && u2);
    assert_int_equal(xs_domain_setup(srv, 1, "guest1"), XS_OK);
    assert_int_equal(xs_domain_setup(srv, 2, "guest2"), XS_OK);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    assert_int_equal(xs_server_check(srv), 0);
    xs_server_destroy(srv);
    assert_int_equal(live_allocs, 0); /* nothing leaked */
    return 0;
}

/* ---- wire helpers ---- */
#define P(lit) lit, (sizeof(lit) - 1) /* a literal payload with its embedded NULs */

static void send_msg(struct xs_conn *c, uint32_t type, uint32_t tx, const void *pl, size_t len)
{
    uint8_t buf[16 + 5000];
    struct xsd_sockmsg h = { type, 0x1234, tx, (uint32_t)len };
    memcpy(buf, &h, 16);
    memcpy(buf + 16, pl, len);
    assert_int_equal(xs_conn_input(c, buf, 16 + len), (int)(16 + len));
}

static struct xsd_sockmsg got;
static char gotp[5000];

/* Pulls one whole message; false if there is none. */
static bool recv_msg(struct xs_conn *c)
{
    if (!xs_conn_has_output(c))
        return false;
    assert_int_equal(xs_conn_output(c, &got, 16), 16);
    assert_true(got.len <= XENSTORE_PAYLOAD_MAX);
    assert_int_equal(xs_conn_output(c, gotp, got.len), got.len);
    return true;
}

static void expect_msg(struct xs_conn *c, uint32_t type, uint32_t req, uint32_t tx,
                       const void *pl, size_t len)
{
    if (!recv_msg(c))
        fail_msg("no message, expected type %u \"%.*s\"", type, (int)len, (const char *)pl);
    if (got.type != type || got.len != len || memcmp(gotp, pl, len) || got.req_id != req ||
        got.tx_id != tx)
        fail_msg("got type %u req %u tx %u \"%.*s\" (%u bytes), expected type %u \"%.*s\"",
                 got.type, got.req_id, got.tx_id, (int)got.len, gotp, got.len, type, (int)len,
                 (const char *)pl);
}

/* A request and its reply (the reply echoes req_id 0x1234 and tx). */
#define REQ(c, type, tx, ...) send_msg(c, type, tx, __VA_ARGS__)
#define OK(c, type) expect_msg(c, type, 0x1234, 0, P("OK\0"))
#define REPLY(c, type, tx, ...) expect_msg(c, type, 0x1234, tx, __VA_ARGS__)
#define ERR(c, tx, name) expect_msg(c, XS_ERROR, 0x1234, tx, name, sizeof(name))
#define EVENT(c, ...) expect_msg(c, XS_WATCH_EVENT, 0, 0, __VA_ARGS__)
#define NOTHING(c) assert_false(xs_conn_has_output(c))

static void drain(struct xs_conn *c)
{
    while (recv_msg(c))
        ;
}

/* ---- tree operations ---- */

static void test_default_tree(void **state)
{
    (void)state;
    xs_server_destroy(srv); /* a fresh one, before setup's domains */
    srv = xs_server_create(&env);
    d0 = xs_conn_create(srv, 0, NULL);
    REQ(d0, XS_DIRECTORY, 0, P("/\0"));
    REPLY(d0, XS_DIRECTORY, 0, P("local\0tool\0"));
    REQ(d0, XS_DIRECTORY, 0, P("/local\0"));
    REPLY(d0, XS_DIRECTORY, 0, P("domain\0"));
    REQ(d0, XS_DIRECTORY, 0, P("/local/domain\0"));
    REPLY(d0, XS_DIRECTORY, 0, "", 0);
    REQ(d0, XS_GET_PERMS, 0, P("/tool\0"));
    REPLY(d0, XS_GET_PERMS, 0, P("n0\0"));
    REQ(d0, XS_READ, 0, P("/\0"));
    REPLY(d0, XS_READ, 0, "", 0);
    assert_int_equal(xs_domain_nodes(srv, 0), 4);
}

static void test_tree_ops(void **state)
{
    (void)state;
    REQ(d0, XS_WRITE, 0, P("/a/b/c\0hello"));
    OK(d0, XS_WRITE);
    REQ(d0, XS_READ, 0, P("/a/b/c\0"));
    REPLY(d0, XS_READ, 0, P("hello"));
    REQ(d0, XS_READ, 0, P("/a/b\0"));
    REPLY(d0, XS_READ, 0, "", 0);
    REQ(d0, XS_WRITE, 0, P("/a/b/d\0with\0nul"));
    OK(d0, XS_WRITE);
    REQ(d0, XS_READ, 0, P("/a/b/d\0"));
    REPLY(d0, XS_READ, 0, P("with\0nul"));
    REQ(d0, XS_DIRECTORY, 0, P("/a/b\0"));
    REPLY(d0, XS_DIRECTORY, 0, P("c\0d\0"));
    REQ(d0, XS_MKDIR, 0, P("/a/b/c\0"));   /* exists: value kept */
    OK(d0, XS_MKDIR);
    REQ(d0, XS_READ, 0, P("/a/b/c\0"));
    REPLY(d0, XS_READ, 0, P("hello"));
    REQ(d0, XS_MKDIR, 0, P("/m/n\0"));
    OK(d0, XS_MKDIR);
    REQ(d0, XS_DIRECTORY, 0, P("/m\0"));
    REPLY(d0, XS_DIRECTORY, 0, P("n\0"));
    REQ(d0, XS_WRITE, 0, P("/a/b/c\0"));   /* empty value */
    OK(d0, XS_WRITE);
    REQ(d0, XS_READ, 0, P("/a/b/c\0"));
    REPLY(d0, XS_READ, 0, "", 0);
    REQ(d0, XS_RM, 0, P("/a\0"));
    OK(d0, XS_RM);
    REQ(d0, XS_READ, 0, P("/a/b/c\0"));
    ERR(d0, 0, "ENOENT");
    REQ(d0, XS_DIRECTORY, 0, P("/a\0"));
    ERR(d0, 0, "ENOENT");
    REQ(d0, XS_RM, 0, P("/a\0"));          /* gone, parent there: fine */
    OK(d0, XS_RM);
    REQ(d0, XS_RM, 0, P("/a/b\0"));        /* parent gone too */
    ERR(d0, 0, "ENOENT");
    REQ(d0, XS_RM, 0, P("/\0"));
    ERR(d0, 0, "EINVAL");
    assert_int_equal(xs_server_check(srv), 0);
}

static void test_paths(void **state)
{
    (void)state;
    static const char *const bad[] = { "/a//b", "/a/", "/a b", "", "/a\x80", "//", "/a/./b" };
    for (unsigned int i = 0; i < UNIT_ARRAY_SIZE(bad); i++) {
        REQ(d0, XS_WRITE, 0, bad[i], strlen(bad[i]) + 1);
        ERR(d0, 0, "EINVAL");
        REQ(d0, XS_READ, 0, bad[i], strlen(bad[i]) + 1);
        ERR(d0, 0, "EINVAL");
    }
    /* Relative paths are under /local/domain/<domid>. */
    REQ(u1, XS_WRITE, 0, P("data/rel\0v"));
    OK(u1, XS_WRITE);
    REQ(d0, XS_READ, 0, P("/local/domain/1/data/rel\0"));
    REPLY(d0, XS_READ, 0, P("v"));
    REQ(d0, XS_WRITE, 0, P("dom0rel\0x"));
    OK(d0, XS_WRITE);
    REQ(d0, XS_READ, 0, P("/local/domain/0/dom0rel\0"));
    REPLY(d0, XS_READ, 0, P("x"));
    /* 3072 bytes absolute is the limit; a domU gets 2048 below its home. */
    static char p[3200];
    memset(p, 'a', sizeof(p));
    p[0] = '/';
    p[3072] = '\0';
    REQ(d0, XS_MKDIR, 0, p, 3073);
    OK(d0, XS_MKDIR);
    p[3072] = 'a';
    p[3073] = '\0';
    REQ(d0, XS_MKDIR, 0, p, 3074);
    ERR(d0, 0, "EINVAL");
    memset(p, 'b', sizeof(p));
    memcpy(p, "data/", 5);
    p[2048 - 11] = '\0'; /* "data/" + ... = 2037 bytes after "/local/domain/1/" */
    REQ(u1, XS_MKDIR, 0, p, 2048 - 10);
    OK(u1, XS_MKDIR);
    p[2048 - 11] = 'b';
    p[2049] = '\0';
    REQ(u1, XS_MKDIR, 0, p, 2050);
    ERR(u1, 0, "EINVAL");
    /* Malformed payloads: no NUL, two strings where one is wanted. */
    REQ(d0, XS_READ, 0, P("/tool"));
    ERR(d0, 0, "EINVAL");
    REQ(d0, XS_READ, 0, P("/tool\0/tool\0"));
    ERR(d0, 0, "EINVAL");
    REQ(d0, XS_READ, 0, "", 0);
    ERR(d0, 0, "EINVAL");
    REQ(d0, XS_WRITE, 0, P("/nonul"));
    ERR(d0, 0, "EINVAL");
}

/* ---- permissions ---- */

static void test_permissions(void **state)
{
    (void)state;
    REQ(d0, XS_GET_PERMS, 0, P("/local/domain/1\0"));
    REPLY(d0, XS_GET_PERMS, 0, P("n0\0r1\0"));
    REQ(u1, XS_READ, 0, P("/local/domain/1/name\0"));
    REPLY(u1, XS_READ, 0, P("guest1"));
    REQ(u1, XS_READ, 0, P("domid\0"));
    REPLY(u1, XS_READ, 0, P("1"));
    REQ(u1, XS_READ, 0, P("/local/domain/2/name\0"));
    ERR(u1, 0, "EACCES");
    REQ(u1, XS_READ, 0, P("/local/domain/2/nothing\0")); /* unreadable parent hides ENOENT */
    ERR(u1, 0, "EACCES");
    REQ(u1, XS_READ, 0, P("nothing\0"));
    ERR(u1, 0, "ENOENT");
    REQ(u1, XS_WRITE, 0, P("name\0evil"));               /* read-only to the domain */
    ERR(u1, 0, "EACCES");
    REQ(u1, XS_MKDIR, 0, P("newdir\0"));                 /* parent not writable */
    ERR(u1, 0, "EACCES");
    REQ(u1, XS_READ, 0, P("/tool\0"));
    ERR(u1, 0, "EACCES");
    REQ(u1, XS_DIRECTORY, 0, P("/local/domain/2\0"));
    ERR(u1, 0, "EACCES");
    REQ(u1, XS_WRITE, 0, P("/local/domain/2/data/x\0y"));
    ERR(u1, 0, "EACCES");
    /* The domain owns what it creates under data/ (inheriting data's "n1"). */
    REQ(u1, XS_WRITE, 0, P("data/x\0secret"));
    OK(u1, XS_WRITE);
    REQ(u1, XS_GET_PERMS, 0, P("data/x\0"));
    REPLY(u1, XS_GET_PERMS, 0, P("n1\0"));
    REQ(u2, XS_READ, 0, P("/local/domain/1/data/x\0"));
    ERR(u2, 0, "EACCES");
    /* Granting domain 2 read access. */
    REQ(u1, XS_SET_PERMS, 0, P("data/x\0n1\0r2\0"));
    OK(u1, XS_SET_PERMS);
    REQ(u2, XS_READ, 0, P("/local/domain/1/data/x\0"));
    REPLY(u2, XS_READ, 0, P("secret"));
    REQ(u2, XS_WRITE, 0, P("/local/domain/1/data/x\0no"));
    ERR(u2, 0, "EACCES");
    REQ(u2, XS_SET_PERMS, 0, P("/local/domain/1/data/x\0b2\0"));
    ERR(u2, 0, "EACCES");
    REQ(u1, XS_SET_PERMS, 0, P("data/x\0n2\0"));          /* cannot give it away */
    ERR(u1, 0, "EPERM");
    REQ(u1, XS_SET_PERMS, 0, P("data/x\0b1\0w2\0"));
    OK(u1, XS_SET_PERMS);
    REQ(u2, XS_WRITE, 0, P("/local/domain/1/data/x\0fromtwo"));
    OK(u2, XS_WRITE);
    REQ(u2, XS_READ, 0, P("/local/domain/1/data/x\0"));
    ERR(u2, 0, "EACCES");
    /* A child created by domain 2 under it is domain 2's, with the parent's other entries. */
    REQ(u2, XS_WRITE, 0, P("/local/domain/1/data/x/kid\0k"));
    OK(u2, XS_WRITE);
    REQ(d0, XS_GET_PERMS, 0, P("/local/domain/1/data/x/kid\0"));
    REPLY(d0, XS_GET_PERMS, 0, P("b2\0w2\0"));
    assert_int_equal(xs_domain_nodes(srv, 2), 3); /* its control/shutdown, data, and kid */
    /* dom0 may give nodes away; the count follows the owner. */
    REQ(d0, XS_SET_PERMS, 0, P("/local/domain/1/data/x/kid\0n1\0"));
    OK(d0, XS_SET_PERMS);
    assert_int_equal(xs_domain_nodes(srv, 2), 2);
    /* Malformed permission strings. */
    REQ(d0, XS_SET_PERMS, 0, P("/tool\0x1\0"));
    ERR(d0, 0, "EINVAL");
    REQ(d0, XS_SET_PERMS, 0, P("/tool\0r\0"));
    ERR(d0, 0, "EINVAL");
    REQ(d0, XS_SET_PERMS, 0, P("/tool\0r70000\0"));
    ERR(d0, 0, "EINVAL");
    REQ(d0, XS_SET_PERMS, 0, P("/tool\0"));
    ERR(d0, 0, "EINVAL");
    REQ(d0, XS_SET_PERMS, 0, P("/nope\0n0\0"));
    ERR(d0, 0, "ENOENT");
    /* RM needs write access on the node itself. */
    REQ(u2, XS_RM, 0, P("/local/domain/1/name\0"));
    ERR(u2, 0, "EACCES");
    REQ(u1, XS_RM, 0, P("data/x\0"));
    OK(u1, XS_RM);
    assert_int_equal(xs_domain_nodes(srv, 2), 2);
    NOTHING(u1);
    NOTHING(u2);
}

/* ---- watches ---- */

static void test_watches(void **state)
{
    (void)state;
    REQ(d0, XS_WATCH, 0, P("/local/domain/1\0tok\0"));
    OK(d0, XS_WATCH);
    EVENT(d0, P("/local/domain/1\0tok\0"));              /* fired once at registration */
    REQ(d0, XS_WATCH, 0, P("/local/domain/1\0tok\0"));
    ERR(d0, 0, "EEXIST");
    REQ(u1, XS_WATCH, 0, P("data\0rel\0"));               /* relative in, relative out */
    OK(u1, XS_WATCH);
    EVENT(u1, P("data\0rel\0"));
    REQ(u2, XS_WATCH, 0, P("/local/domain/1/data\0spy\0"));
    OK(u2, XS_WATCH);
    EVENT(u2, P("/local/domain/1/data\0spy\0"));
    REQ(u1, XS_WRITE, 0, P("data/x/y\0v"));
    EVENT(u1, P("data/x/y\0rel\0"));                     /* events come before the reply */
    OK(u1, XS_WRITE);
    EVENT(d0, P("/local/domain/1/data/x/y\0tok\0"));
    NOTHING(d0);
    NOTHING(u2);                                          /* cannot read it: no event */
    /* A child's change fires the parent's watch; a sibling does not. */
    REQ(d0, XS_WATCH, 0, P("/local/domain/1/data/x/y/deep\0deep\0"));
    OK(d0, XS_WATCH);
    EVENT(d0, P("/local/domain/1/data/x/y/deep\0deep\0"));
    REQ(d0, XS_WRITE, 0, P("/local/domain/1/name\0renamed"));
    EVENT(d0, P("/local/domain/1/name\0tok\0"));
    OK(d0, XS_WRITE);
    NOTHING(u1);
    /* Removing an ancestor fires watches below it with their own path. */
    REQ(d0, XS_RM, 0, P("/local/domain/1/data/x\0"));
    EVENT(d0, P("/local/domain/1/data/x\0tok\0"));
    EVENT(d0, P("/local/domain/1/data/x/y/deep\0deep\0"));
    OK(d0, XS_RM);
    EVENT(u1, P("data/x\0rel\0"));
    NOTHING(u1);
    /* Permission changes fire too. */
    REQ(d0, XS_SET_PERMS, 0, P("/local/domain/1/data\0n1\0r2\0"));
    EVENT(d0, P("/local/domain/1/data\0tok\0"));
    OK(d0, XS_SET_PERMS);
    EVENT(u1, P("data\0rel\0"));
    EVENT(u2, P("/local/domain/1/data\0spy\0"));          /* now readable by 2 */
    /* MKDIR of an existing node fires nothing. */
    REQ(d0, XS_MKDIR, 0, P("/local/domain/1/data\0"));
    OK(d0, XS_MKDIR);
    NOTHING(d0);
    /* Unwatch. */
    REQ(u1, XS_UNWATCH, 0, P("data\0rel\0"));
    OK(u1, XS_UNWATCH);
    REQ(u1, XS_UNWATCH, 0, P("data\0rel\0"));
    ERR(u1, 0, "ENOENT");
    REQ(u1, XS_UNWATCH, 0, P("data\0"));
    ERR(u1, 0, "EINVAL");
    REQ(d0, XS_WRITE, 0, P("/local/domain/1/data/z\0"));
    EVENT(d0, P("/local/domain/1/data/z\0tok\0"));
    OK(d0, XS_WRITE);
    NOTHING(u1);
    /* Tokens tell watches apart; an unrelated path fires nothing. */
    REQ(d0, XS_WATCH, 0, P("/local/domain/1\0tok2\0"));
    OK(d0, XS_WATCH);
    EVENT(d0, P("/local/domain/1\0tok2\0"));
    REQ(d0, XS_WRITE, 0, P("/tool/x\0"));
    OK(d0, XS_WRITE);
    REQ(d0, XS_RM, 0, P("/local/domain/1/data/z\0"));
    EVENT(d0, P("/local/domain/1/data/z\0tok\0"));
    EVENT(d0, P("/local/domain/1/data/z\0tok2\0"));
    OK(d0, XS_RM);
    /* RESET_WATCHES drops them all. */
    REQ(d0, XS_RESET_WATCHES, 0, P("\0"));
    OK(d0, XS_RESET_WATCHES);
    REQ(d0, XS_WRITE, 0, P("/local/domain/1/name\0again"));
    OK(d0, XS_WRITE);
    NOTHING(d0);
    struct xs_conn_stats st;
    xs_conn_stats(d0, &st);
    assert_int_equal(st.watches, 0);
}

static void test_special_watches(void **state)
{
    (void)state;
    REQ(d0, XS_WATCH, 0, P("@introduceDomain\0i\0"));
    OK(d0, XS_WATCH);
    EVENT(d0, P("@introduceDomain\0i\0"));
    REQ(d0, XS_WATCH, 0, P("@releaseDomain\0r\0"));
    OK(d0, XS_WATCH);
    EVENT(d0, P("@releaseDomain\0r\0"));
    REQ(u1, XS_WATCH, 0, P("@releaseDomain\0r1\0"));
    OK(u1, XS_WATCH);
    EVENT(u1, P("@releaseDomain\0r1\0"));
    REQ(d0, XS_INTRODUCE, 0, P("5\0" "1234\0" "7\0"));
    EVENT(d0, P("@introduceDomain\0i\0"));
    OK(d0, XS_INTRODUCE);
    assert_int_equal(introduces, 1);
    assert_int_equal(last_domid, 5);
    assert_int_equal(last_mfn, 1234);
    assert_int_equal(last_port, 7);
    REQ(d0, XS_IS_DOMAIN_INTRODUCED, 0, P("5\0"));
    REPLY(d0, XS_IS_DOMAIN_INTRODUCED, 0, P("T\0"));
    REQ(d0, XS_IS_DOMAIN_INTRODUCED, 0, P("6\0"));
    REPLY(d0, XS_IS_DOMAIN_INTRODUCED, 0, P("F\0"));
    REQ(d0, XS_INTRODUCE, 0, P("5\0" "1234\0" "7\0"));     /* again: nothing new */
    OK(d0, XS_INTRODUCE);
    assert_int_equal(introduces, 1);
    introduce_result = XS_ENOMEM;                           /* the transport cannot map it */
    REQ(d0, XS_INTRODUCE, 0, P("6\0" "1\0" "2\0"));
    ERR(d0, 0, "ENOMEM");
    REQ(d0, XS_INTRODUCE, 0, P("0\0" "1\0" "2\0"));
    ERR(d0, 0, "EINVAL");
    REQ(d0, XS_INTRODUCE, 0, P("32752\0" "1\0" "2\0"));    /* DOMID_SELF */
    ERR(d0, 0, "EINVAL");
    REQ(d0, XS_INTRODUCE, 0, P("6\0" "1\0"));
    ERR(d0, 0, "EINVAL");
    REQ(u1, XS_INTRODUCE, 0, P("6\0" "1\0" "2\0"));
    ERR(u1, 0, "EACCES");
    REQ(d0, XS_RESUME, 0, P("5\0"));
    OK(d0, XS_RESUME);
    REQ(d0, XS_RESUME, 0, P("6\0"));
    ERR(d0, 0, "ENOENT");
    REQ(u1, XS_RELEASE, 0, P("5\0"));
    ERR(u1, 0, "EACCES");
    REQ(d0, XS_RELEASE, 0, P("5\0"));
    EVENT(d0, P("@releaseDomain\0r\0"));
    OK(d0, XS_RELEASE);
    assert_int_equal(releases, 1);
    NOTHING(u1);                                            /* domUs see only the first event */
    REQ(d0, XS_RELEASE, 0, P("5\0"));
    ERR(d0, 0, "ENOENT");
    REQ(d0, XS_RELEASE, 0, P("0\0"));
    ERR(d0, 0, "EINVAL");
    REQ(d0, XS_IS_DOMAIN_INTRODUCED, 0, P("5\0"));
    REPLY(d0, XS_IS_DOMAIN_INTRODUCED, 0, P("F\0"));
    REQ(u1, XS_IS_DOMAIN_INTRODUCED, 0, P("32752\0"));     /* DOMID_SELF */
    REPLY(u1, XS_IS_DOMAIN_INTRODUCED, 0, P("F\0"));
    REQ(d0, XS_IS_DOMAIN_INTRODUCED, 0, P("0\0"));
    REPLY(d0, XS_IS_DOMAIN_INTRODUCED, 0, P("T\0"));
    xs_domain_gone(srv, 9);
    EVENT(d0, P("@releaseDomain\0r\0"));
    NOTHING(d0);
}

/* ---- transactions ---- */

static void test_transactions(void **state)
{
    (void)state;
    REQ(d0, XS_WATCH, 0, P("/t\0w\0"));
    OK(d0, XS_WATCH);
    EVENT(d0, P("/t\0w\0"));
    REQ(d0, XS_TRANSACTION_START, 0, P("\0"));
    REPLY(d0, XS_TRANSACTION_START, 0, P("1\0"));
    REQ(d0, XS_WRITE, 1, P("/t/a\0in-tx"));
    REPLY(d0, XS_WRITE, 1, P("OK\0"));
    NOTHING(d0);                                            /* events wait for the commit */
    REQ(d0, XS_READ, 1, P("/t/a\0"));
    REPLY(d0, XS_READ, 1, P("in-tx"));                     /* sees its own write */
    REQ(d0, XS_READ, 0, P("/t/a\0"));
    ERR(d0, 0, "ENOENT");                                   /* nobody else does */
    REQ(d0, XS_DIRECTORY, 1, P("/t\0"));
    REPLY(d0, XS_DIRECTORY, 1, P("a\0"));
    REQ(d0, XS_TRANSACTION_END, 1, P("T\0"));
    EVENT(d0, P("/t/a\0w\0"));
    REPLY(d0, XS_TRANSACTION_END, 1, P("OK\0"));
    REQ(d0, XS_READ, 0, P("/t/a\0"));
    REPLY(d0, XS_READ, 0, P("in-tx"));
    REQ(d0, XS_READ, 1, P("/t/a\0"));                      /* ended */
    ERR(d0, 1, "ENOENT");
    /*
     * Conflicts are per node, as C xenstored's generations: a write elsewhere does
     * not stop a commit, one to a node the transaction read or changed does.
     */
    REQ(u1, XS_TRANSACTION_START, 0, P("\0"));
    REPLY(u1, XS_TRANSACTION_START, 0, P("1\0"));
    REQ(u1, XS_WRITE, 1, P("data/tx\0mine"));
    REPLY(u1, XS_WRITE, 1, P("OK\0"));
    REQ(d0, XS_WRITE, 0, P("/t/a\0outside"));
    EVENT(d0, P("/t/a\0w\0"));
    OK(d0, XS_WRITE);
    REQ(u1, XS_TRANSACTION_END, 1, P("T\0"));
    REPLY(u1, XS_TRANSACTION_END, 1, P("OK\0"));
    REQ(u1, XS_READ, 0, P("data/tx\0"));
    REPLY(u1, XS_READ, 0, P("mine"));
    REQ(d0, XS_READ, 0, P("/t/a\0"));
    REPLY(d0, XS_READ, 0, P("outside"));                   /* both writes stand */
    /* A node it read, written meanwhile: EAGAIN, nothing of the transaction stays. */
    REQ(u1, XS_TRANSACTION_START, 0, P("\0"));
    REPLY(u1, XS_TRANSACTION_START, 0, P("2\0"));
    REQ(u1, XS_READ, 2, P("data/tx\0"));
    REPLY(u1, XS_READ, 2, P("mine"));
    REQ(u1, XS_WRITE, 2, P("data/other\0x"));
    REPLY(u1, XS_WRITE, 2, P("OK\0"));
    REQ(d0, XS_WRITE, 0, P("/local/domain/1/data/tx\0changed"));
    OK(d0, XS_WRITE);
    REQ(u1, XS_TRANSACTION_END, 2, P("T\0"));
    ERR(u1, 2, "EAGAIN");
    REQ(u1, XS_READ, 0, P("data/other\0"));
    ERR(u1, 0, "ENOENT");
    /* A parent it adds a child to, given another child meanwhile: EAGAIN. */
    REQ(u1, XS_TRANSACTION_START, 0, P("\0"));
    REPLY(u1, XS_TRANSACTION_START, 0, P("3\0"));
    REQ(u1, XS_WRITE, 3, P("data/new1/deep\0a"));
    REPLY(u1, XS_WRITE, 3, P("OK\0"));
    REQ(u1, XS_WRITE, 0, P("data/new2\0b"));
    OK(u1, XS_WRITE);
    REQ(u1, XS_TRANSACTION_END, 3, P("T\0"));
    ERR(u1, 3, "EAGAIN");
    REQ(u1, XS_READ, 0, P("data/new1\0"));
    ERR(u1, 0, "ENOENT");
    /* A subtree it removes, a node made under it meanwhile: EAGAIN, the subtree stays. */
    REQ(u1, XS_TRANSACTION_START, 0, P("\0"));
    REPLY(u1, XS_TRANSACTION_START, 0, P("4\0"));
    REQ(u1, XS_RM, 4, P("data/tx\0"));
    REPLY(u1, XS_RM, 4, P("OK\0"));
    REQ(d0, XS_WRITE, 0, P("/local/domain/1/data/tx/under\0u"));
    OK(d0, XS_WRITE);
    REQ(u1, XS_TRANSACTION_END, 4, P("T\0"));
    ERR(u1, 4, "EAGAIN");
    REQ(u1, XS_READ, 0, P("data/tx/under\0"));
    REPLY(u1, XS_READ, 0, P("u"));
    /* The same removal with nothing in its way commits; a sibling written meanwhile stays. */
    REQ(u1, XS_TRANSACTION_START, 0, P("\0"));
    REPLY(u1, XS_TRANSACTION_START, 0, P("5\0"));
    REQ(u1, XS_RM, 5, P("data/tx\0"));
    REPLY(u1, XS_RM, 5, P("OK\0"));
    REQ(u1, XS_WRITE, 5, P("data/tx\0again"));
    REPLY(u1, XS_WRITE, 5, P("OK\0"));
    REQ(u1, XS_WRITE, 0, P("data/new2\0c"));
    OK(u1, XS_WRITE);
    REQ(u1, XS_TRANSACTION_END, 5, P("T\0"));
    REPLY(u1, XS_TRANSACTION_END, 5, P("OK\0"));
    REQ(u1, XS_READ, 0, P("data/tx\0"));
    REPLY(u1, XS_READ, 0, P("again"));
    REQ(u1, XS_READ, 0, P("data/tx/under\0"));
    ERR(u1, 0, "ENOENT");                                   /* went with the old data/tx */
    REQ(u1, XS_READ, 0, P("data/new2\0"));
    REPLY(u1, XS_READ, 0, P("c"));
    assert_int_equal(xs_domain_nodes(srv, 1), 4);          /* domain dir, data, data/tx, data/new2 */
    REQ(u1, XS_RM, 0, P("data/tx\0"));
    OK(u1, XS_RM);
    REQ(u1, XS_RM, 0, P("data/new2\0"));
    OK(u1, XS_RM);
    /* Abort. */
    REQ(u1, XS_TRANSACTION_START, 0, P("\0"));
    REPLY(u1, XS_TRANSACTION_START, 0, P("6\0"));
    REQ(u1, XS_WRITE, 6, P("data/tx\0gone"));
    REPLY(u1, XS_WRITE, 6, P("OK\0"));
    REQ(u1, XS_TRANSACTION_END, 6, P("F\0"));
    REPLY(u1, XS_TRANSACTION_END, 6, P("OK\0"));
    REQ(u1, XS_READ, 0, P("data/tx\0"));
    ERR(u1, 0, "ENOENT");
    assert_int_equal(xs_domain_nodes(srv, 1), 2);
    /* A read-only transaction commits whatever happened meanwhile. */
    REQ(u1, XS_TRANSACTION_START, 0, P("\0"));
    REPLY(u1, XS_TRANSACTION_START, 0, P("7\0"));
    REQ(u1, XS_READ, 7, P("name\0"));
    REPLY(u1, XS_READ, 7, P("guest1"));
    REQ(d0, XS_WRITE, 0, P("/local/domain/1/name\0new"));
    OK(d0, XS_WRITE);
    REQ(u1, XS_READ, 7, P("name\0"));
    REPLY(u1, XS_READ, 7, P("guest1"));                    /* its snapshot */
    REQ(u1, XS_TRANSACTION_END, 7, P("T\0"));
    REPLY(u1, XS_TRANSACTION_END, 7, P("OK\0"));
    /* Errors. */
    REQ(u1, XS_READ, 99, P("name\0"));
    ERR(u1, 99, "ENOENT");
    REQ(u1, XS_TRANSACTION_END, 0, P("T\0"));
    ERR(u1, 0, "ENOENT");
    REQ(u1, XS_TRANSACTION_START, 0, P("\0"));
    REPLY(u1, XS_TRANSACTION_START, 0, P("8\0"));
    REQ(u1, XS_TRANSACTION_START, 8, P("\0"));
    ERR(u1, 8, "EBUSY");
    REQ(u1, XS_TRANSACTION_END, 8, P("X\0"));
    ERR(u1, 8, "EINVAL");
    REQ(u1, XS_TRANSACTION_END, 8, P("T"));
    ERR(u1, 8, "EINVAL");
    REQ(u1, XS_RM, 8, P("data\0"));                        /* owned by 1: removable */
    REPLY(u1, XS_RM, 8, P("OK\0"));
    REQ(u1, XS_TRANSACTION_END, 8, P("T\0"));
    REPLY(u1, XS_TRANSACTION_END, 8, P("OK\0"));
    REQ(u1, XS_READ, 0, P("data\0"));
    ERR(u1, 0, "ENOENT");
    assert_int_equal(xs_domain_nodes(srv, 1), 1);
    /* Transactions die with RESET_WATCHES. */
    REQ(u1, XS_TRANSACTION_START, 0, P("\0"));
    REPLY(u1, XS_TRANSACTION_START, 0, P("9\0"));
    REQ(u1, XS_RESET_WATCHES, 0, P("\0"));
    OK(u1, XS_RESET_WATCHES);
    REQ(u1, XS_READ, 9, P("name\0"));
    ERR(u1, 9, "ENOENT");
}

/* A transaction that looked at more nodes than are recorded commits only if nothing changed at all. */
static void test_transaction_accesses_overflow(void **state)
{
    (void)state;
    char pl[64];
    for (uint32_t tx = 1; tx <= 2; tx++) {
        REQ(u1, XS_TRANSACTION_START, 0, P("\0"));
        REPLY(u1, XS_TRANSACTION_START, 0, tx == 1 ? "1" : "2", 2);
        for (uint32_t i = 0; i <= 1024; i++) {              /* XS_TXN_ACCESSES_MAX + 1 */
            int n = snprintf(pl, sizeof(pl), "data/absent%u", i) + 1;
            REQ(u1, XS_READ, tx, pl, (size_t)n);
            ERR(u1, tx, "ENOENT");
        }
        REQ(u1, XS_WRITE, tx, P("data/w\0v"));
        REPLY(u1, XS_WRITE, tx, P("OK\0"));
        if (tx == 2) {                                      /* a write anywhere */
            REQ(d0, XS_WRITE, 0, P("/elsewhere\0x"));
            OK(d0, XS_WRITE);
        }
        REQ(u1, XS_TRANSACTION_END, tx, P("T\0"));
        if (tx == 1)
            REPLY(u1, XS_TRANSACTION_END, tx, P("OK\0"));
        else
            ERR(u1, tx, "EAGAIN");
    }
}

/* ---- quotas ---- */

/* Two transactions each within the node quota of their own copy: together they are not. */
static void test_transaction_quota_at_commit(void **state)
{
    (void)state;
    char pl[64];
    REQ(u1, XS_MKDIR, 0, P("data/p1\0"));                 /* a parent each: no conflict */
    OK(u1, XS_MKDIR);
    REQ(u1, XS_MKDIR, 0, P("data/p2\0"));
    OK(u1, XS_MKDIR);
    uint32_t have = xs_domain_nodes(srv, 1);
    uint32_t half = (XS_QUOTA_NODES - have) / 2 + 1;        /* two halves: one node too many */
    for (uint32_t tx = 1; tx <= 2; tx++) {
        REQ(u1, XS_TRANSACTION_START, 0, P("\0"));
        REPLY(u1, XS_TRANSACTION_START, 0, tx == 1 ? "1" : "2", 2);
        for (uint32_t i = 0; i < half; i++) {
            int n = snprintf(pl, sizeof(pl), "data/p%u/n%u", tx, i) + 1;
            REQ(u1, XS_MKDIR, tx, pl, (size_t)n);
            REPLY(u1, XS_MKDIR, tx, P("OK\0"));
        }
    }
    REQ(u1, XS_TRANSACTION_END, 1, P("T\0"));
    REPLY(u1, XS_TRANSACTION_END, 1, P("OK\0"));
    assert_int_equal(xs_domain_nodes(srv, 1), have + half);
    REQ(u1, XS_TRANSACTION_END, 2, P("T\0"));
    ERR(u1, 2, "ENOSPC");
    assert_int_equal(xs_domain_nodes(srv, 1), have + half);
}


static void test_quotas(void **state)
{
    (void)state;
    char pl[4200];
    /* Nodes: 1000 per domain; setup gave domain 1 two. */
    uint32_t have = xs_domain_nodes(srv, 1), made = 0;
    for (;; made++) {
        int n = snprintf(pl, sizeof(pl), "data/n%u", made) + 1;
        REQ(u1, XS_MKDIR, 0, pl, (size_t)n);
        if (!recv_msg(u1))
            fail();
        if (got.type == XS_ERROR)
            break;
    }
    assert_string_equal(gotp, "ENOSPC");
    assert_int_equal(have + made, XS_QUOTA_NODES);
    assert_int_equal(xs_domain_nodes(srv, 1), XS_QUOTA_NODES);
    REQ(d0, XS_MKDIR, 0, P("/local/domain/1/data/bydom0\0"));  /* dom0 has no quota... */
    OK(d0, XS_MKDIR);
    assert_int_equal(xs_domain_nodes(srv, 1), XS_QUOTA_NODES + 1); /* ...and it inherits owner 1 */
    REQ(u1, XS_RM, 0, P("data/n0\0"));
    OK(u1, XS_RM);
    REQ(u1, XS_MKDIR, 0, P("data/again\0"));
    ERR(u1, 0, "ENOSPC");
    REQ(u1, XS_RM, 0, P("data/n1\0"));
    OK(u1, XS_RM);
    REQ(u1, XS_MKDIR, 0, P("data/again\0"));
    OK(u1, XS_MKDIR);
    REQ(d0, XS_RM, 0, P("/local/domain/1/data\0"));
    OK(d0, XS_RM);
    assert_int_equal(xs_domain_nodes(srv, 1), 1);
    REQ(d0, XS_MKDIR, 0, P("/local/domain/1/data\0"));
    OK(d0, XS_MKDIR);
    REQ(d0, XS_SET_PERMS, 0, P("/local/domain/1/data\0n1\0"));
    OK(d0, XS_SET_PERMS);
    /* Node size: 24 + 8 * perms + value < 2048 for a domU. */
    memcpy(pl, "data/big\0", 9);
    memset(pl + 9, 'v', 2048);
    REQ(u1, XS_WRITE, 0, pl, 9 + 2048 - 32);                /* 24 + 8 + 2016 = 2048 */
    ERR(u1, 0, "ENOSPC");
    REQ(u1, XS_WRITE, 0, pl, 9 + 2048 - 33);
    OK(u1, XS_WRITE);
    REQ(u1, XS_WRITE, 0, pl, 9 + 2048 - 32);                /* rewriting it bigger */
    ERR(u1, 0, "ENOSPC");
    memcpy(pl, "/local/domain/1/data/big\0", 25);
    memset(pl + 25, 'w', 4000);
    REQ(d0, XS_WRITE, 0, pl, 25 + 4000);
    OK(d0, XS_WRITE);
    REQ(d0, XS_READ, 0, P("/local/domain/1/data/big\0"));
    REPLY(d0, XS_READ, 0, pl + 25, 4000);
    /* Permissions: 5 per node for a domU. */
    REQ(u1, XS_SET_PERMS, 0, P("data\0n1\0r2\0r3\0r4\0r5\0r6\0"));
    ERR(u1, 0, "ENOSPC");
    REQ(u1, XS_SET_PERMS, 0, P("data\0n1\0r2\0r3\0r4\0r5\0"));
    OK(u1, XS_SET_PERMS);
    REQ(d0, XS_SET_PERMS, 0, P("/tool\0n0\0r2\0r3\0r4\0r5\0r6\0r7\0"));
    OK(d0, XS_SET_PERMS);
    /* Watches: 128 per domain, then E2BIG; xenstored checks "count > 128" before adding one. */
    for (unsigned int i = 0; i < XS_QUOTA_WATCHES + 1; i++) {
        int n = snprintf(pl, sizeof(pl), "data") + 1;
        n += snprintf(pl + n, sizeof(pl) - n, "t%u", i) + 1;
        REQ(u1, XS_WATCH, 0, pl, (size_t)n);
        OK(u1, XS_WATCH);
        drain(u1);
    }
    REQ(u1, XS_WATCH, 0, P("data\0one-more\0"));
    ERR(u1, 0, "E2BIG");
    for (unsigned int i = 0; i < 200; i++) {                 /* dom0: no such quota */
        int n = snprintf(pl, sizeof(pl), "/tool") + 1;
        n += snprintf(pl + n, sizeof(pl) - n, "t%u", i) + 1;
        REQ(d0, XS_WATCH, 0, pl, (size_t)n);
        OK(d0, XS_WATCH);
        drain(d0);
    }
    /* Transactions: 10 open per connection, checked as "count > 10" before adding one. */
    for (unsigned int i = 0; i < XS_QUOTA_TRANSACTIONS + 1; i++) {
        REQ(u2, XS_TRANSACTION_START, 0, P("\0"));
        assert_true(recv_msg(u2));
        assert_int_equal(got.type, XS_TRANSACTION_START);
    }
    REQ(u2, XS_TRANSACTION_START, 0, P("\0"));
    ERR(u2, 0, "ENOSPC");
    REQ(u2, XS_TRANSACTION_END, 3, P("F\0"));
    REPLY(u2, XS_TRANSACTION_END, 3, P("OK\0"));
    REQ(u2, XS_TRANSACTION_START, 0, P("\0"));
    REPLY(u2, XS_TRANSACTION_START, 0, P("12\0"));
}

/* ---- the other requests ---- */

static void test_misc_requests(void **state)
{
    (void)state;
    REQ(u1, XS_GET_DOMAIN_PATH, 0, P("5\0"));
    REPLY(u1, XS_GET_DOMAIN_PATH, 0, P("/local/domain/5\0"));
    REQ(u1, XS_GET_DOMAIN_PATH, 0, P("x\0"));
    ERR(u1, 0, "EINVAL");
    REQ(d0, XS_CONTROL, 0, P("check\0"));
    OK(d0, XS_CONTROL);
    REQ(d0, XS_CONTROL, 0, P("frob\0"));
    ERR(d0, 0, "EINVAL");
    REQ(u1, XS_CONTROL, 0, P("check\0"));
    ERR(u1, 0, "EACCES");
    REQ(d0, XS_SET_TARGET, 0, P("3\0" "4\0"));
    ERR(d0, 0, "ENOSYS");
    static const uint32_t bad_types[] = { XS_WATCH_EVENT, XS_ERROR, 20, XS_GET_FEATURE,
                                          XS_SET_QUOTA, 27, 1000, XS_INVALID };
    for (unsigned int i = 0; i < UNIT_ARRAY_SIZE(bad_types); i++) {
        REQ(u1, bad_types[i], 0, P("/x\0"));
        ERR(u1, 0, "EINVAL");
    }
    /* DIRECTORY_PART: generation, names from an offset, an empty string at the end. */
    REQ(d0, XS_MKDIR, 0, P("/dp/alpha\0"));
    OK(d0, XS_MKDIR);
    REQ(d0, XS_MKDIR, 0, P("/dp/beta\0"));
    OK(d0, XS_MKDIR);
    REQ(d0, XS_DIRECTORY_PART, 0, P("/dp\0" "0\0"));
    assert_true(recv_msg(d0));
    assert_int_equal(got.type, XS_DIRECTORY_PART);
    size_t gl = strlen(gotp) + 1;
    assert_true(gl > 1 && gotp[0] >= '1' && gotp[0] <= '9');
    assert_int_equal(got.len, gl + 12);
    assert_memory_equal(gotp + gl, "alpha\0beta\0\0", 12);
    char gen[24];
    memcpy(gen, gotp, gl);
    REQ(d0, XS_DIRECTORY_PART, 0, P("/dp\0" "6\0"));
    assert_true(recv_msg(d0));
    assert_memory_equal(gotp, gen, gl);
    assert_int_equal(got.len, gl + 6);
    assert_memory_equal(gotp + gl, "beta\0\0", 6);
    REQ(d0, XS_DIRECTORY_PART, 0, P("/dp\0" "11\0"));
    assert_true(recv_msg(d0));
    assert_int_equal(got.len, gl + 1);
    REQ(d0, XS_MKDIR, 0, P("/dp/gamma\0"));
    OK(d0, XS_MKDIR);
    REQ(d0, XS_DIRECTORY_PART, 0, P("/dp\0" "0\0"));
    assert_true(recv_msg(d0));
    assert_true(strcmp(gotp, gen) != 0);                    /* the generation moved on */
    REQ(d0, XS_DIRECTORY_PART, 0, P("/dp\0"));
    ERR(d0, 0, "EINVAL");
    REQ(d0, XS_DIRECTORY_PART, 0, P("/dp\0" "x\0"));
    ERR(d0, 0, "EINVAL");
    /* A directory listing over 4096 bytes: E2BIG, but DIRECTORY_PART pages through it. */
    char pl[300];
    for (unsigned int i = 0; i < 40; i++) {
        int n = snprintf(pl, sizeof(pl), "/big/%0120u", i) + 1;
        REQ(d0, XS_MKDIR, 0, pl, (size_t)n);
        OK(d0, XS_MKDIR);
    }
    REQ(d0, XS_DIRECTORY, 0, P("/big\0"));
    ERR(d0, 0, "E2BIG");
    unsigned int off = 0, names = 0;
    for (int rounds = 0; rounds < 5; rounds++) {
        int n = snprintf(pl, sizeof(pl), "/big") + 1;
        n += snprintf(pl + n, sizeof(pl) - n, "%u", off) + 1;
        REQ(d0, XS_DIRECTORY_PART, 0, pl, (size_t)n);
        assert_true(recv_msg(d0));
        assert_int_equal(got.type, XS_DIRECTORY_PART);
        size_t p = strlen(gotp) + 1;
        bool end = false;
        while (p < got.len) {
            size_t l = strlen(gotp + p);
            if (!l) {
                end = true;
                break;
            }
            names++;
            off += (unsigned int)l + 1;
            p += l + 1;
        }
        if (end)
            break;
    }
    assert_int_equal(names, 40);
}

/* ---- xl's keys ---- */

static void test_domain_setup(void **state)
{
    (void)state;
    REQ(d0, XS_DIRECTORY, 0, P("/local/domain/1\0"));
    REPLY(d0, XS_DIRECTORY, 0, P("name\0domid\0device\0control\0data\0memory\0console\0"));
    REQ(d0, XS_DIRECTORY, 0, P("/local/domain/1/control\0"));
    REPLY(d0, XS_DIRECTORY, 0, P("shutdown\0"));
    static const struct { const char *path; const char *perms; size_t len; } want[] = {
        { "/local/domain/1", P("n0\0r1\0") },
        { "/local/domain/1/name", P("n0\0r1\0") },
        { "/local/domain/1/device", P("n0\0r1\0") },
        { "/local/domain/1/control", P("n0\0r1\0") },
        { "/local/domain/1/control/shutdown", P("n1\0") },
        { "/local/domain/1/data", P("n1\0") },
        { "/local/domain/2/console", P("n0\0r2\0") },
    };
    for (unsigned int i = 0; i < UNIT_ARRAY_SIZE(want); i++) {
        REQ(d0, XS_GET_PERMS, 0, want[i].path, strlen(want[i].path) + 1);
        REPLY(d0, XS_GET_PERMS, 0, want[i].perms, want[i].len);
    }
    assert_int_equal(xs_domain_nodes(srv, 1), 2);
    /* The domain may write control/shutdown (a toolstack's request goes the other way). */
    REQ(u1, XS_WRITE, 0, P("control/shutdown\0"));
    OK(u1, XS_WRITE);
    /* Setting up again rewrites values and fires watches, keeping the node count. */
    REQ(d0, XS_WATCH, 0, P("/local/domain/1/name\0n\0"));
    OK(d0, XS_WATCH);
    EVENT(d0, P("/local/domain/1/name\0n\0"));
    assert_int_equal(xs_domain_setup(srv, 1, "renamed"), XS_OK);
    EVENT(d0, P("/local/domain/1/name\0n\0"));
    NOTHING(d0);
    REQ(u1, XS_READ, 0, P("name\0"));
    REPLY(u1, XS_READ, 0, P("renamed"));
    assert_int_equal(xs_domain_nodes(srv, 1), 2);
    assert_int_equal(xs_domain_nodes(srv, 0), 4 + 2 * 7);
}

/* ---- framing ---- */

static void test_oversize_breaks(void **state)
{
    (void)state;
    struct xsd_sockmsg h = { XS_READ, 1, 0, XENSTORE_PAYLOAD_MAX + 1 };
    assert_int_equal(xs_conn_input(u1, &h, 8), 8);
    assert_int_equal(xs_conn_input(u1, (uint8_t *)&h + 8, 8), XS_CONN_BROKEN);
    assert_int_equal(xs_conn_input(u1, "x", 1), XS_CONN_BROKEN);
    NOTHING(u1);
    /* 4096 exactly is fine. */
    static uint8_t buf[16 + XENSTORE_PAYLOAD_MAX];
    struct xsd_sockmsg h2 = { XS_WRITE, 2, 0, XENSTORE_PAYLOAD_MAX };
    memcpy(buf, &h2, 16);
    memset(buf + 16, 'a', sizeof(buf) - 16);
    memcpy(buf + 16, "/max\0", 5);
    assert_int_equal(xs_conn_input(d0, buf, sizeof(buf)), (int)sizeof(buf));
    expect_msg(d0, XS_WRITE, 2, 0, P("OK\0"));
}

/* A fixed script of requests from dom0 and a domU, as one byte stream per connection. */
static size_t build_script(uint8_t *out, bool dom0)
{
    static const struct { uint32_t type, tx; const char *pl; size_t len; } d0s[] = {
        { XS_WATCH, 0, P("/local\0w\0") },
        { XS_WRITE, 0, P("/local/a\0value") },
        { XS_TRANSACTION_START, 0, P("\0") },
        { XS_WRITE, 1, P("/local/b\0tx") },
        { XS_READ, 1, P("/local/b\0") },
        { XS_TRANSACTION_END, 1, P("T\0") },
        { XS_DIRECTORY, 0, P("/local\0") },
        { XS_READ, 0, P("/nope\0") },
        { 99, 0, P("junk") },
        { XS_GET_PERMS, 0, P("/local/a\0") },
        { XS_RM, 0, P("/local/a\0") },
    }, u1s[] = {
        { XS_WATCH, 0, P("data\0mine\0") },
        { XS_WRITE, 0, P("data/k\0v") },
        { XS_READ, 0, P("/local/a\0") },
        { XS_SET_PERMS, 0, P("data/k\0n1\0r0\0") },
        { XS_GET_DOMAIN_PATH, 0, P("1\0") },
        { XS_RM, 0, P("data/k\0") },
    };
    size_t n = 0, count = dom0 ? UNIT_ARRAY_SIZE(d0s) : UNIT_ARRAY_SIZE(u1s);
    for (size_t i = 0; i < count; i++) {
        const __typeof__(d0s[0]) *m = dom0 ? &d0s[i] : &u1s[i];
        struct xsd_sockmsg h = { m->type, (uint32_t)i + 7, m->tx, (uint32_t)m->len };
        memcpy(out + n, &h, 16);
        memcpy(out + n + 16, m->pl, m->len);
        n += 16 + m->len;
    }
    return n;
}

/* Runs both scripts split at [k, k2) and returns both outputs concatenated. */
static size_t run_split(uint8_t *out, size_t k, size_t step)
{
    static uint8_t s0[2048], s1[2048];
    size_t n0 = build_script(s0, true), n1 = build_script(s1, false), o = 0;
    struct xs_server *s = xs_server_create(&env);
    struct xs_conn *a = xs_conn_create(s, 0, NULL), *b = xs_conn_create(s, 1, NULL);
    assert_int_equal(xs_domain_setup(s, 1, "g"), XS_OK);
    const uint8_t *ins[2] = { s0, s1 };
    size_t lens[2] = { n0, n1 };
    struct xs_conn *cs[2] = { a, b };
    for (int which = 0; which < 2; which++) {
        size_t pos = 0, cut = k < lens[which] ? k : lens[which];
        while (pos < lens[which]) {
            size_t end = pos < cut ? cut : lens[which];
            if (step && end - pos > step)
                end = pos + step;
            int r = xs_conn_input(cs[which], ins[which] + pos, end - pos);
            assert_true(r > 0);
            pos += (size_t)r;
        }
    }
    for (int which = 0; which < 2; which++) {
        uint8_t tmp[7];
        size_t got_n;
        while ((got_n = xs_conn_output(cs[which], tmp, sizeof(tmp))) > 0) {
            memcpy(out + o, tmp, got_n);
            o += got_n;
        }
    }
    assert_int_equal(xs_server_check(s), 0);
    xs_server_destroy(s);
    return o;
}

static void test_split_every_byte(void **state)
{
    (void)state;
    static uint8_t ref[8192], alt[8192], tmp[2048];
    size_t n = run_split(ref, 0, 0);
    assert_true(n > 300);
    size_t longest = build_script(tmp, true);
    for (size_t k = 1; k <= longest; k++) {
        size_t m = run_split(alt, k, 0);
        assert_int_equal(m, n);
        assert_memory_equal(alt, ref, n);
    }
    size_t m = run_split(alt, 0, 1); /* byte by byte */
    assert_int_equal(m, n);
    assert_memory_equal(alt, ref, n);
}

/* ---- output bounds ---- */

static void test_reply_backpressure(void **state)
{
    (void)state;
    static uint8_t buf[30 * 32];
    size_t n = 0;
    for (unsigned int i = 0; i < 30; i++) {
        struct xsd_sockmsg h = { XS_READ, i, 0, 6 };
        memcpy(buf + n, &h, 16);
        memcpy(buf + n + 16, "/tool\0", 6);
        n += 22;
    }
    int r = xs_conn_input(d0, buf, n);
    assert_int_equal(r, 20 * 22); /* stops at XS_CONN_REPLIES_MAX unread replies */
    assert_int_equal(xs_conn_input(d0, buf + r, n - (size_t)r), 0);
    struct xs_conn_stats st;
    xs_conn_stats(d0, &st);
    assert_int_equal(st.replies, 20);
    for (unsigned int i = 0; i < 5; i++)
        expect_msg(d0, XS_READ, i, 0, "", 0);
    assert_int_equal(xs_conn_input(d0, buf + r, n - (size_t)r), 5 * 22);
    drain(d0);
    r += 5 * 22;
    assert_int_equal(xs_conn_input(d0, buf + r, n - (size_t)r), 5 * 22);
    for (unsigned int i = 25; i < 30; i++)
        expect_msg(d0, XS_READ, i, 0, "", 0);
}

static void test_event_cap(void **state)
{
    (void)state;
    struct xs_conn *lazy = xs_conn_create(srv, 0, NULL); /* a second dom0 client that never reads */
    assert_non_null(lazy);
    assert_null(xs_conn_create(srv, 1, NULL));              /* one connection per domU */
    send_msg(lazy, XS_WATCH, 0, P("/spam\0s\0"));
    char pl[64];
    for (unsigned int i = 0; i < 400; i++) {
        int n = snprintf(pl, sizeof(pl), "/spam/%u", i) + 1;
        REQ(d0, XS_MKDIR, 0, pl, (size_t)n);
        OK(d0, XS_MKDIR);
    }
    struct xs_conn_stats st;
    xs_conn_stats(lazy, &st);
    assert_int_equal(st.replies, 1);
    assert_int_equal(st.events, XS_CONN_EVENTS_MAX);
    assert_int_equal(st.events_dropped, 401 - XS_CONN_EVENTS_MAX);
    assert_int_equal(xs_server_check(srv), 0);
    expect_msg(lazy, XS_WATCH, 0x1234, 0, P("OK\0"));
    EVENT(lazy, P("/spam\0s\0"));
    EVENT(lazy, P("/spam/0\0s\0"));
    xs_conn_destroy(lazy);                                   /* frees its queue */
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_default_tree, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tree_ops, setup, teardown),
        cmocka_unit_test_setup_teardown(test_paths, setup, teardown),
        cmocka_unit_test_setup_teardown(test_permissions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_watches, setup, teardown),
        cmocka_unit_test_setup_teardown(test_special_watches, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transactions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transaction_quota_at_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transaction_accesses_overflow, setup, teardown),
        cmocka_unit_test_setup_teardown(test_quotas, setup, teardown),
        cmocka_unit_test_setup_teardown(test_misc_requests, setup, teardown),
        cmocka_unit_test_setup_teardown(test_domain_setup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_oversize_breaks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_split_every_byte, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reply_backpressure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_event_cap, setup, teardown),
    };
    return unit_run(argc, argv, "xenstore", tests, UNIT_ARRAY_SIZE(tests));
}
