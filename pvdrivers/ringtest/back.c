/*
 * ringtest's back end: waits in InitWait for the front end's ring-ref and
 * event-channel, maps the granted ring, binds the port, goes Connected and
 * answers <own dir>/messages requests (see ringtest.h).
 */
#include <mm.h>
#include <xen/services.h>
#include <xenbus/xenbus.h>
#include "ringtest.h"
#include "ringtest_drv.h"

#define SERVE_TIMEOUT_NS (30 * NSEC_PER_SEC)     /* the front end may reach its self-test case later */

struct back {
    struct xenbus_device *dev;
    struct ringtest_chan chan;
    struct xenpv_grant_map map;
    uint64_t n;
    bool running;
};

static void back_release(struct back *b)
{
    if (b->chan.port) {
        xenpv_evtchn_close(b->chan.port);
        b->chan.port = 0;
    }
    if (b->map.va && xenpv_grant_unmap(&b->map))
        printk("ringtest: back: unmapping the ring of domain %u failed\n", b->dev->otherend_id);
}

static void back_serve(void *arg)
{
    struct back *b = arg;
    struct ringtest_stats st;
    ringtest_wait_go();
    bool ok = ringtest_back_serve(&b->chan, b->n, SERVE_TIMEOUT_NS, &st);
    printk("ringtest: back: %llu of %llu messages from domain %u answered, %llu out of order, %llu corrupted, "
           "%llu notifications sent, %llu waits\n", (unsigned long long)st.answered, (unsigned long long)b->n,
           b->dev->otherend_id, (unsigned long long)st.lost, (unsigned long long)st.corrupted,
           (unsigned long long)st.notifications_sent, (unsigned long long)st.waits);
    ringtest_report(ok, &st);
    b->running = false;
}

static int back_connect(struct back *b)
{
    struct xenbus_device *dev = b->dev;
    char path[128];
    int ref, port, n;
    snprintf(path, sizeof(path), "%s/messages", dev->nodename);
    if (xenbus_read_int(0, path, &n) || n <= 0)
        return -EINVAL;
    if (xenbus_read_ring(dev, &ref, &port))
        return -EINVAL;
    b->n = (uint64_t)n;
    int rc = xenpv_grant_map((domid_t)dev->otherend_id, (grant_ref_t)ref, false, &b->map);
    if (rc)
        return rc;
    if (!pvd_ring_back_attach(&b->chan.ring, b->map.va, PAGE_SIZE, RINGTEST_SLOT)) {
        back_release(b);
        return -EINVAL;
    }
    sem_init(&b->chan.kick, 0);
    rc = xenpv_evtchn_bind_interdomain((domid_t)dev->otherend_id, (evtchn_port_t)port, ringtest_kick, &b->chan);
    if (rc < 0) {
        back_release(b);
        return rc;
    }
    b->chan.port = (evtchn_port_t)rc;
    b->running = true;
    if (!ringtest_run(back_serve, b)) {
        b->running = false;
        back_release(b);
        return -ENOMEM;
    }
    return xenbus_dev_switch_state(dev, XenbusStateConnected);
}

static int back_probe(struct xenbus_device *dev)
{
    struct back *b = kzalloc(sizeof(*b));
    if (!b)
        return -ENOMEM;
    b->dev = dev;
    dev->priv = b;
    return xenbus_dev_switch_state(dev, XenbusStateInitWait);
}

static void back_changed(struct xenbus_device *dev, int state)
{
    struct back *b = dev->priv;
    if (state == XenbusStateInitialised && dev->state == XenbusStateInitWait) {
        int rc = back_connect(b);
        if (rc) {
            printk("ringtest: back: connecting to domain %u failed: %d\n", dev->otherend_id, rc);
            ringtest_report(false, NULL);
        }
    } else if (state == XenbusStateClosing && dev->state == XenbusStateConnected) {
        while (b->running)
            thread_sleep_ns(NSEC_PER_MSEC);
        back_release(b);
        xenbus_dev_switch_state(dev, XenbusStateClosed);
    }
}

static void back_disconnect(struct xenbus_device *dev)
{
    struct back *b = dev->priv;
    if (!b->running)
        back_release(b);
}

static void back_remove(struct xenbus_device *dev)
{
    struct back *b = dev->priv;
    if (!b->running) {
        back_release(b);
        kfree(b);
    }
}

struct xenbus_driver ringtest_back_driver = {
    .type = "ringtest",
    .backend = true,
    .probe = back_probe,
    .otherend_changed = back_changed,
    .disconnect = back_disconnect,
    .remove = back_remove,
};
