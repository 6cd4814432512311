/*
 * xenbus self-tests of the PV image: a domU over its store ring, dom0 over its
 * local connection to the xenstored thread. Nodes, permissions, watches,
 * transactions, concurrent callers, device discovery and reconnection.
 */
#include <cmdline.h>
#include <sched.h>
#include <xen/services.h>
#include "../../pvguest/kernel/selftest/selftest.h"
#include "xenbus_internal.h"

#define NEED_XENBUS()                                                               \
    do {                                                                            \
        if (!xenbus_ready())                                                        \
            return ktap_fail(why, len, "xenbus is not running (no xenstore)");      \
    } while (0)

TEST(test_xenbus_nodes)
{
    char v[64], dir[64];
    NEED_XENBUS();
    xenbus_rm(0, "data/xbt");
    int rc = xenbus_write(0, "data/xbt/a", "hello");
    EXPECT(!rc, "write data/xbt/a: %d", rc);
    rc = xenbus_read(0, "data/xbt/a", v, sizeof(v));
    EXPECT(rc == 5 && !strcmp(v, "hello"), "read data/xbt/a: %d '%s'", rc, rc >= 0 ? v : "");
    EXPECT(!(rc = xenbus_write(0, "data/xbt/b", "")), "write data/xbt/b: %d", rc);
    EXPECT(!(rc = xenbus_mkdir(0, "data/xbt/c")), "mkdir data/xbt/c: %d", rc);
    rc = xenbus_directory(0, "data/xbt", v, sizeof(v));
    EXPECT(rc == 3 && !strcmp(v, "a") && !strcmp(v + 2, "b") && !strcmp(v + 4, "c"),
           "directory data/xbt: %d entries", rc);
    EXPECT((rc = xenbus_read(0, "data/xbt/missing", v, sizeof(v))) == -ENOENT, "read of a missing node: %d", rc);
    EXPECT((rc = xenbus_read(0, "data/xbt/a", v, 3)) == -E2BIG, "a reply bigger than the buffer: %d", rc);
    EXPECT(!(rc = xenbus_rm(0, "data/xbt")), "rm data/xbt: %d", rc);
    EXPECT((rc = xenbus_read(0, "data/xbt/a", v, sizeof(v))) == -ENOENT, "read after rm: %d", rc);
    int id = -1;
    EXPECT(!(rc = xenbus_read_int(0, "domid", &id)) && id == (int)xenbus_domid(), "domid: %d (%d), want %u", id,
           rc, xenbus_domid());
    snprintf(dir, sizeof(dir), "/local/domain/%u", xenbus_domid());
    EXPECT(!(rc = xenbus_get_domain_path(xenbus_domid(), v, sizeof(v))) && !strcmp(v, dir),
           "get_domain_path: %d '%s'", rc, v);
    return NULL;
}

TEST(test_xenbus_permissions)
{
    char v[64];
    int rc;
    NEED_XENBUS();
    if (xenbus_domid() == 0) {
        /* dom0 is privileged: every node is its to read and write. */
        rc = xenbus_read(0, "/local/domain/0/name", v, sizeof(v));
        EXPECT(rc > 0 && !strcmp(v, "Domain-0"), "dom0 reads its name: %d '%s'", rc, rc > 0 ? v : "");
        EXPECT(!(rc = xenbus_write(0, "/tool/xbtest", "1")), "dom0 writes /tool: %d", rc);
        EXPECT(!(rc = xenbus_rm(0, "/tool/xbtest")), "rm /tool/xbtest: %d", rc);
        return NULL;
    }
    /* Another domain's private node, and our own read-only one. */
    EXPECT((rc = xenbus_read(0, "/local/domain/0/name", v, sizeof(v))) == -EACCES,
           "read of dom0's name: %d, want -EACCES", rc);
    EXPECT((rc = xenbus_write(0, "/local/domain/0/data/x", "1")) == -EACCES, "write under dom0's data: %d", rc);
    EXPECT((rc = xenbus_write(0, "name", "evil")) == -EACCES, "write of our read-only name: %d", rc);
    rc = xenbus_read(0, "name", v, sizeof(v));
    EXPECT(rc > 0, "read of our own name: %d", rc);
    return NULL;
}

#define EVENT_NS (10 * NSEC_PER_SEC)   /* generous: TCG on a loaded host stalls for seconds */

struct watch_log {
    struct semaphore events;
    char last[XB_PATH_MAX];
    unsigned int n;
};

static void log_event(struct xenbus_watch *w, const char *path)
{
    struct watch_log *l = w->data;
    str_copy(l->last, path, sizeof(l->last));
    l->n++;
    sem_up(&l->events);
}

/* The event's path is the node's (relative or absolute, as xenstore writes it back). */
static bool ends_with(const char *s, const char *tail)
{
    size_t a = strlen(s), b = strlen(tail);
    return a >= b && !strcmp(s + a - b, tail);
}

TEST(test_xenbus_watch)
{
    static struct watch_log l;
    NEED_XENBUS();
    sem_init(&l.events, 0);
    l.n = 0;
    xenbus_rm(0, "data/xbw");
    struct xenbus_watch w = { .path = "data/xbw", .cb = log_event, .data = &l };
    int rc = xenbus_watch(&w);
    EXPECT(!rc, "watch: %d", rc);
    const char *res = NULL;
    if (sem_down_timeout(&l.events, EVENT_NS) || !ends_with(l.last, "data/xbw"))
        res = ktap_fail(why, len, "no initial event (%u events, last '%s')", l.n, l.last);
    if (!res && (rc = xenbus_write(0, "data/xbw", "1")))
        res = ktap_fail(why, len, "write: %d", rc);
    if (!res && (sem_down_timeout(&l.events, EVENT_NS) || !ends_with(l.last, "data/xbw")))
        res = ktap_fail(why, len, "no event for the write (%u events, last '%s')", l.n, l.last);
    if (!res && (rc = xenbus_write(0, "data/xbw/child", "2")))
        res = ktap_fail(why, len, "write child: %d", rc);
    if (!res && (sem_down_timeout(&l.events, EVENT_NS) || !ends_with(l.last, "data/xbw/child")))
        res = ktap_fail(why, len, "no event for the child (%u events, last '%s')", l.n, l.last);
    rc = xenbus_unwatch(&w);
    if (!res && rc)
        res = ktap_fail(why, len, "unwatch: %d", rc);
    unsigned int before = l.n;
    xenbus_write(0, "data/xbw", "3");
    thread_sleep_ns(200 * NSEC_PER_MSEC);
    if (!res && l.n != before)
        res = ktap_fail(why, len, "an event after unwatch: '%s'", l.last);
    xenbus_rm(0, "data/xbw");
    return res;
}

struct retry_arg {
    unsigned int attempts;
};

static int conflicting_update(xenbus_tx_t tx, void *arg)
{
    struct retry_arg *a = arg;
    char v[16];
    a->attempts++;
    int rc = xenbus_read(tx, "data/xbtx", v, sizeof(v));
    if (rc < 0)
        return rc;
    if (a->attempts == 1 && (rc = xenbus_write(0, "data/xbtx", "outside")))   /* someone else came first */
        return rc;
    return xenbus_write(tx, "data/xbtx", "done");
}

TEST(test_xenbus_transaction)
{
    char v[16];
    xenbus_tx_t tx;
    NEED_XENBUS();
    int rc = xenbus_write(0, "data/xbtx", "0");
    EXPECT(!rc, "write: %d", rc);
    EXPECT(!(rc = xenbus_transaction_start(&tx)), "transaction_start: %d", rc);
    rc = xenbus_read(tx, "data/xbtx", v, sizeof(v));
    EXPECT(rc == 1 && v[0] == '0', "read in the transaction: %d", rc);
    EXPECT(!(rc = xenbus_write(0, "data/xbtx", "1")), "write outside: %d", rc);
    EXPECT(!(rc = xenbus_write(tx, "data/xbtx", "2")), "write inside: %d", rc);
    rc = xenbus_read(0, "data/xbtx", v, sizeof(v));
    EXPECT(rc == 1 && v[0] == '1', "outside sees the transaction's write: '%s'", v);
    EXPECT((rc = xenbus_transaction_end(tx, false)) == -EAGAIN, "commit after a conflict: %d, want -EAGAIN", rc);
    rc = xenbus_read(0, "data/xbtx", v, sizeof(v));
    EXPECT(rc == 1 && v[0] == '1', "after the failed commit: '%s'", v);
    /* An aborted transaction leaves nothing. */
    EXPECT(!(rc = xenbus_transaction_start(&tx)), "transaction_start: %d", rc);
    xenbus_write(tx, "data/xbtx", "aborted");
    EXPECT(!(rc = xenbus_transaction_end(tx, true)), "abort: %d", rc);
    rc = xenbus_read(0, "data/xbtx", v, sizeof(v));
    EXPECT(rc == 1 && v[0] == '1', "after the abort: '%s'", v);
    /*
     * The retry helper: the first attempt meets a conflict, the second commits.
     * Exactly two: conflicts are per node, so other domains' writes elsewhere in
     * the store meanwhile (their own self-tests run beside this one) cost nothing.
     */
    struct retry_arg a = { 0 };
    rc = xenbus_transaction_retry(conflicting_update, &a, 20);
    EXPECT(!rc && a.attempts == 2, "retry: %d after %u attempts, want 0 after 2", rc, a.attempts);
    rc = xenbus_read(0, "data/xbtx", v, sizeof(v));
    EXPECT(rc == 4 && !strcmp(v, "done"), "after the retry: '%s'", v);
    xenbus_rm(0, "data/xbtx");
    return NULL;
}

#define CC_THREADS 4
#define CC_ROUNDS  25
static unsigned int cc_bad[CC_THREADS];

static void cc_worker(void *arg)
{
    unsigned int t = (unsigned int)(uintptr_t)arg;
    char path[32], v[16], want[16];
    snprintf(path, sizeof(path), "data/xbc/%u", t);
    for (unsigned int i = 0; i < CC_ROUNDS; i++) {
        snprintf(want, sizeof(want), "%u-%u", t, i);
        if (xenbus_write(0, path, want) || xenbus_read(0, path, v, sizeof(v)) < 0 || strcmp(v, want))
            cc_bad[t]++;
    }
}

TEST(test_xenbus_concurrent)
{
    struct thread *th[CC_THREADS];
    NEED_XENBUS();
    for (unsigned int t = 0; t < CC_THREADS; t++) {
        cc_bad[t] = 0;
        th[t] = thread_create("xb-cc", cc_worker, (void *)(uintptr_t)t);
        EXPECT(th[t], "thread_create");
    }
    unsigned int bad = 0;
    for (unsigned int t = 0; t < CC_THREADS; t++) {
        thread_join(th[t]);
        bad += cc_bad[t];
    }
    char v[64];
    int n = xenbus_directory(0, "data/xbc", v, sizeof(v));
    xenbus_rm(0, "data/xbc");
    EXPECT(!bad, "%u of %u write-read rounds went wrong", bad, CC_THREADS * CC_ROUNDS);
    EXPECT(n == CC_THREADS, "data/xbc has %d entries, want %d", n, CC_THREADS);
    return NULL;
}

/* ---- discovery, the handshake and reconnection (dom0: both ends are ours) ---- */
static struct {
    struct semaphore probed;
    struct xenbus_device *front, *back;
    unsigned int front_disconnects, removed;
} pt;

static int pt_probe(struct xenbus_device *dev)
{
    if (dev->drv->backend)
        pt.back = dev;
    else
        pt.front = dev;
    sem_up(&pt.probed);
    return 0;
}

static void pt_disconnect(struct xenbus_device *dev)
{
    if (!dev->drv->backend)
        pt.front_disconnects++;
}

static void pt_remove(struct xenbus_device *dev)
{
    if (dev == pt.front)
        pt.front = NULL;
    if (dev == pt.back)
        pt.back = NULL;
    pt.removed++;
    sem_up(&pt.probed);
}

static struct xenbus_driver pt_front = { .type = "xbtest", .probe = pt_probe, .disconnect = pt_disconnect,
                                         .remove = pt_remove };
static struct xenbus_driver pt_back = { .type = "xbtest", .backend = true, .probe = pt_probe,
                                        .disconnect = pt_disconnect, .remove = pt_remove };

#define FE "/local/domain/0/device/xbtest/0"
#define BE "/local/domain/0/backend/xbtest/0/0"
#define WAIT_NS (10 * NSEC_PER_SEC)     /* generous: TCG on a loaded host stalls for seconds */

static const char *probe_steps(char *why, size_t len)
{
    int rc, st;
    /* As a toolstack: the back end's directory, then the front end's. */
    EXPECT(!xenbus_write(0, BE "/frontend", FE) && !xenbus_write(0, BE "/frontend-id", "0") &&
           !xenbus_printf(0, BE "/state", "%d", XenbusStateInitialising), "writing the back end's nodes");
    EXPECT(!xenbus_write(0, FE "/backend", BE) && !xenbus_write(0, FE "/backend-id", "0") &&
           !xenbus_printf(0, FE "/state", "%d", XenbusStateInitialising), "writing the front end's nodes");
    for (unsigned int i = 0; i < 2; i++)
        EXPECT(!sem_down_timeout(&pt.probed, WAIT_NS), "probe %u of 2 did not come", i + 1);
    EXPECT(pt.front && pt.back, "front %p back %p probed", (void *)pt.front, (void *)pt.back);
    EXPECT(!strcmp(pt.front->otherend, BE) && !strcmp(pt.back->otherend, FE), "other ends: %s, %s",
           pt.front->otherend, pt.back->otherend);
    /* The handshake: back InitWait, front Initialised, back Connected, front Connected. */
    EXPECT(!xenbus_dev_switch_state(pt.back, XenbusStateInitWait), "back: InitWait");
    rc = xenbus_wait_state(BE, 1u << XenbusStateInitWait, WAIT_NS, &st);
    EXPECT(rc == XenbusStateInitWait, "front waiting for InitWait: %d (last %s)", rc, xenbus_state_name(st));
    EXPECT(!xenbus_dev_switch_state(pt.front, XenbusStateInitialised), "front: Initialised");
    rc = xenbus_wait_state(FE, 1u << XenbusStateInitialised, WAIT_NS, &st);
    EXPECT(rc == XenbusStateInitialised, "back waiting for Initialised: %d", rc);
    EXPECT(!xenbus_dev_switch_state(pt.back, XenbusStateConnected), "back: Connected");
    rc = xenbus_wait_state(BE, 1u << XenbusStateConnected, WAIT_NS, &st);
    EXPECT(rc == XenbusStateConnected, "front waiting for Connected: %d", rc);
    EXPECT(!xenbus_dev_switch_state(pt.front, XenbusStateConnected), "front: Connected");
    /* The back end closes: the front end is told and goes back to Initialising. */
    EXPECT(!xenbus_dev_switch_state(pt.back, XenbusStateClosed), "back: Closed");
    rc = xenbus_wait_state(FE, 1u << XenbusStateInitialising, WAIT_NS, &st);
    EXPECT(rc == XenbusStateInitialising, "front after the back end closed: %s", xenbus_state_name(st));
    EXPECT(pt.front_disconnects == 1, "front told %u times of the disconnect", pt.front_disconnects);
    /* Both directories vanish: both devices are removed. */
    xenbus_rm(0, BE);
    xenbus_rm(0, FE);
    for (unsigned int i = 0; i < 2; i++)
        EXPECT(!sem_down_timeout(&pt.probed, WAIT_NS), "removal %u of 2 did not come", i + 1);
    EXPECT(pt.removed == 2 && !pt.front && !pt.back, "%u removed", pt.removed);
    return NULL;
}

TEST(test_xenbus_probe_reconnect)
{
    NEED_XENBUS();
    if (xenbus_domid() != 0)
        return ktap_skip(why, len, "devices are made by dom0's toolstack");
    sem_init(&pt.probed, 0);
    pt.front = pt.back = NULL;
    pt.front_disconnects = pt.removed = 0;
    int rc = xenbus_register_driver(&pt_front);
    EXPECT(!rc, "register: %d", rc);
    xenbus_register_driver(&pt_back);
    const char *res = probe_steps(why, len);
    xenbus_unregister_driver(&pt_front);
    xenbus_unregister_driver(&pt_back);
    xenbus_rm(0, "/local/domain/0/device/xbtest");
    xenbus_rm(0, "/local/domain/0/backend/xbtest");
    return res;
}
