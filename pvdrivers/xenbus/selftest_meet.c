/*
 * Two domUs meet through xenstore alone (boot option xbmeet=back:<peer> or
 * xbmeet=front:<peer>): the back end publishes a device-like directory, the
 * front end finds it by a watch, both run the XenbusState handshake and
 * exchange a message in xenstore values. Skipped without the option. And
 * xbjump=yes: our ring's producer index jumps; xenstored drops only us.
 */
#include <cmdline.h>
#include <sched.h>
#include "../../pvguest/kernel/selftest/selftest.h"
#include <xen/services.h>
#include <public/io/xs_wire.h>
#include "xenbus_internal.h"

#define MEET_NS (30 * NSEC_PER_SEC)

static int meet_role;                   /* 0: none, 1: back, 2: front */
static unsigned int meet_peer;

static bool set_meet(const char *v)
{
    if (!v)
        return false;
    if (!strncmp(v, "back:", 5))
        meet_role = 1;
    else if (!strncmp(v, "front:", 6))
        meet_role = 2;
    else
        return false;
    unsigned int id = 0;
    const char *p = v + (meet_role == 1 ? 5 : 6);
    if (!*p)
        return false;
    for (; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        id = id * 10 + (unsigned int)(*p - '0');
    }
    meet_peer = id;
    return true;
}
KERNEL_OPTION("xbmeet", set_meet);

static void poke(struct xenbus_watch *w, const char *path)
{
    (void)path;
    sem_up(w->data);
}

/* Makes dir ours with read access for peer; its children inherit that. */
static int make_shared_dir(const char *dir, unsigned int me, unsigned int peer)
{
    char own[12], rd[12];
    snprintf(own, sizeof(own), "n%u", me);
    snprintf(rd, sizeof(rd), "r%u", peer);
    const char *perms[2] = { own, rd };
    xenbus_rm(0, dir);
    int rc = xenbus_mkdir(0, dir);
    return rc ? rc : xenbus_set_perms(0, dir, perms, 2);
}

static const char *meet_back(char *why, size_t len, unsigned int me, const char *mine, const char *peer)
{
    char v[128], want[128];
    int rc, st;
    EXPECT(!(rc = make_shared_dir(mine, me, meet_peer)), "making %s: %d", mine, rc);
    snprintf(v, sizeof(v), "%s/frontend", mine);
    EXPECT(!(rc = xenbus_write(0, v, peer)), "writing %s: %d", v, rc);
    EXPECT(!(rc = xenbus_switch_state(mine, XenbusStateInitialising)), "Initialising: %d", rc);
    EXPECT(!(rc = xenbus_switch_state(mine, XenbusStateInitWait)), "InitWait: %d", rc);
    printk("# meet: back end %s in InitWait, waiting for %s\n", mine, peer);
    rc = xenbus_wait_state(peer, 1u << XenbusStateInitialised, MEET_NS, &st);
    EXPECT(rc == XenbusStateInitialised, "the front end never got Initialised (last %s)", xenbus_state_name(st));
    snprintf(v, sizeof(v), "%s/message", peer);
    char msg[64];
    rc = xenbus_read(0, v, msg, sizeof(msg));
    EXPECT(rc > 0, "reading the front end's message: %d", rc);
    snprintf(want, sizeof(want), "hello from domain %u", meet_peer);
    EXPECT(!strcmp(msg, want), "the message is '%s', want '%s'", msg, want);
    snprintf(v, sizeof(v), "%s/reply", mine);
    EXPECT(!(rc = xenbus_printf(0, v, "domain %u got: %s", me, msg)), "writing the reply: %d", rc);
    EXPECT(!(rc = xenbus_switch_state(mine, XenbusStateConnected)), "Connected: %d", rc);
    rc = xenbus_wait_state(peer, 1u << XenbusStateConnected, MEET_NS, &st);
    EXPECT(rc == XenbusStateConnected, "the front end never connected (last %s)", xenbus_state_name(st));
    printk("# meet: back end connected with domain %u, which said '%s'\n", meet_peer, msg);
    return NULL;
}

static const char *meet_front(char *why, size_t len, unsigned int me, const char *mine, const char *peer)
{
    char v[128], want[128];
    int rc;
    /* Find the back end's directory by a watch on its state. */
    struct semaphore changed;
    sem_init(&changed, 0);
    snprintf(v, sizeof(v), "%s/state", peer);
    struct xenbus_watch w = { .path = v, .cb = poke, .data = &changed };
    EXPECT(!(rc = xenbus_watch(&w)), "watching %s: %d", v, rc);
    uint64_t deadline = clock_ns() + MEET_NS;
    int st;
    while ((st = xenbus_read_state(0, peer)) != XenbusStateInitWait && clock_ns() < deadline)
        sem_down_timeout(&changed, 500 * NSEC_PER_MSEC);
    xenbus_unwatch(&w);
    EXPECT(st == XenbusStateInitWait, "the back end %s never got to InitWait (%s)", peer, xenbus_state_name(st));
    printk("# meet: front end found %s in InitWait\n", peer);
    EXPECT(!(rc = make_shared_dir(mine, me, meet_peer)), "making %s: %d", mine, rc);
    EXPECT(!(rc = xenbus_switch_state(mine, XenbusStateInitialising)), "Initialising: %d", rc);
    snprintf(v, sizeof(v), "%s/backend", mine);
    EXPECT(!(rc = xenbus_write(0, v, peer)), "writing %s: %d", v, rc);
    snprintf(v, sizeof(v), "%s/message", mine);
    EXPECT(!(rc = xenbus_printf(0, v, "hello from domain %u", me)), "writing the message: %d", rc);
    EXPECT(!(rc = xenbus_switch_state(mine, XenbusStateInitialised)), "Initialised: %d", rc);
    rc = xenbus_wait_state(peer, 1u << XenbusStateConnected, MEET_NS, &st);
    EXPECT(rc == XenbusStateConnected, "the back end never connected (last %s)", xenbus_state_name(st));
    char reply[128];
    snprintf(v, sizeof(v), "%s/reply", peer);
    EXPECT((rc = xenbus_read(0, v, reply, sizeof(reply))) > 0, "reading the reply: %d", rc);
    snprintf(want, sizeof(want), "domain %u got: hello from domain %u", meet_peer, me);
    EXPECT(!strcmp(reply, want), "the reply is '%s', want '%s'", reply, want);
    EXPECT(!(rc = xenbus_switch_state(mine, XenbusStateConnected)), "Connected: %d", rc);
    printk("# meet: front end connected with domain %u, which replied '%s'\n", meet_peer, reply);
    return NULL;
}

TEST(test_xenbus_meet)
{
    if (!meet_role)
        return ktap_skip(why, len, "no xbmeet= option");
    if (!xenbus_ready())
        return ktap_fail(why, len, "xenbus is not running (no xenstore)");
    unsigned int me = xenbus_domid();
    char mine[64], peer[64];
    snprintf(mine, sizeof(mine), "/local/domain/%u/data/meet", me);
    snprintf(peer, sizeof(peer), "/local/domain/%u/data/meet", meet_peer);
    return meet_role == 1 ? meet_back(why, len, me, mine, peer) : meet_front(why, len, me, mine, peer);
}

/* ---- xbjump=yes: our request producer jumps past the ring; xenstored drops only us ---- */
static bool jump_opt;
static bool set_jump(const char *v)
{
    jump_opt = v && !strcmp(v, "yes");
    return v && (!strcmp(v, "yes") || !strcmp(v, "no"));
}
KERNEL_OPTION("xbjump", set_jump);

TEST(test_xenbus_ring_jump)
{
    if (!jump_opt)
        return ktap_skip(why, len, "no xbjump=yes option");
    if (!xenbus_ready())
        return ktap_fail(why, len, "xenbus is not running (no xenstore)");
    uint32_t port;
    struct xenstore_domain_interface *r = xb_test_take_ring(&port);
    EXPECT(r, "no store ring of ours (dom0?)");
    uint32_t rsp = READ_ONCE(r->rsp_prod);
    WRITE_ONCE(r->req_prod, READ_ONCE(r->req_prod) + 100000);
    xenpv_evtchn_notify(port);
    uint64_t deadline = clock_ns() + 10 * NSEC_PER_SEC;
    while (READ_ONCE(r->error) != XENSTORE_ERROR_RINGIDX && clock_ns() < deadline)
        thread_sleep_ns(10 * NSEC_PER_MSEC);
    EXPECT(READ_ONCE(r->error) == XENSTORE_ERROR_RINGIDX, "ring error %u, want %u (RINGIDX)", READ_ONCE(r->error),
           XENSTORE_ERROR_RINGIDX);
    thread_sleep_ns(100 * NSEC_PER_MSEC);
    EXPECT(READ_ONCE(r->rsp_prod) == rsp, "xenstore answered after the jump");
    char v[8];
    int rc = xenbus_read(0, "domid", v, sizeof(v));
    EXPECT(rc == -EIO, "a request after the jump: %d, want -EIO", rc);
    printk("# ring jump: xenstore set RINGIDX and stopped serving us\n");
    return NULL;
}
