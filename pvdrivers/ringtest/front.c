/*
 * ringtest's front end: it grants a ring page and offers a port to the back
 * end named in xenstore, publishes ring-ref and event-channel, and once the
 * back end is Connected sends <backend>/messages requests (see ringtest.h).
 */
#include <mm.h>
#include <xen/services.h>
#include <xenbus/xenbus.h>
#include "ringtest.h"
#include "ringtest_drv.h"

#define RUN_TIMEOUT_NS (10 * NSEC_PER_SEC)    /* the back end silent this long: give up */

struct front {
    struct xenbus_device *dev;
    struct ringtest_chan chan;
    void *page;
    int ref;
    uint64_t n;
    bool running;
    bool finished;                  /* one exchange a boot: no reconnection after it */
};

static void front_release(struct front *f)
{
    if (f->chan.port) {
        xenpv_evtchn_close(f->chan.port);
        f->chan.port = 0;
    }
    if (f->ref > 0 && xenpv_grant_end_access((grant_ref_t)f->ref) == 0)
        f->ref = 0;
    f->page = NULL;                     /* the boot-time page stays for a later connection */
}

static void front_run(void *arg)
{
    struct front *f = arg;
    struct ringtest_stats st;
    ringtest_wait_go();
    bool ok = ringtest_front_run(&f->chan, f->n, RUN_TIMEOUT_NS, &st);
    printk("ringtest: front: %llu of %llu messages answered by domain %u, %llu lost, %llu corrupted, "
           "%llu notifications sent, %llu waits, %llu ns a message\n", (unsigned long long)st.answered,
           (unsigned long long)f->n, f->dev->otherend_id, (unsigned long long)st.lost,
           (unsigned long long)st.corrupted, (unsigned long long)st.notifications_sent,
           (unsigned long long)st.waits, (unsigned long long)(st.answered ? st.ns / st.answered : 0));
    ringtest_report(ok, &st);
    f->finished = true;
    xenbus_dev_switch_state(f->dev, XenbusStateClosing);
    f->running = false;
}

/* The back end waits for us (InitWait): ring, grant, port, then Initialised. */
static int front_connect(struct front *f)
{
    struct xenbus_device *dev = f->dev;
    char path[128];
    int n;
    snprintf(path, sizeof(path), "%s/messages", dev->otherend);
    if (xenbus_read_int(0, path, &n) || n <= 0)
        return -EINVAL;
    f->n = (uint64_t)n;
    f->page = ringtest_front_page;
    if (!f->page)
        return -ENOMEM;
    memset(f->page, 0, PAGE_SIZE);
    pvd_ring_front_init(&f->chan.ring, f->page, PAGE_SIZE, RINGTEST_SLOT);
    sem_init(&f->chan.kick, 0);
    f->ref = xenpv_grant_access((domid_t)dev->otherend_id, virt_to_pfn(f->page), false);
    int port = f->ref < 0 ? f->ref : xenpv_evtchn_alloc_unbound((domid_t)dev->otherend_id);
    if (port < 0 || (port = xenpv_evtchn_bind((evtchn_port_t)port, ringtest_kick, &f->chan)) < 0) {
        front_release(f);
        return port;
    }
    f->chan.port = (evtchn_port_t)port;
    int rc = xenbus_publish_ring(dev, f->ref, port, NULL);
    return rc ? rc : xenbus_dev_switch_state(dev, XenbusStateInitialised);
}

static int front_probe(struct xenbus_device *dev)
{
    struct front *f = kzalloc(sizeof(*f));
    if (!f)
        return -ENOMEM;
    f->dev = dev;
    dev->priv = f;
    return 0;
}

static void front_changed(struct xenbus_device *dev, int state)
{
    struct front *f = dev->priv;
    if (state == XenbusStateInitWait && dev->state == XenbusStateInitialising && !f->finished) {
        int rc = front_connect(f);
        if (rc) {
            printk("ringtest: front: connecting to domain %u failed: %d\n", dev->otherend_id, rc);
            ringtest_report(false, NULL);
        }
    } else if (state == XenbusStateConnected && dev->state == XenbusStateInitialised && !f->running) {
        f->running = true;
        xenbus_dev_switch_state(dev, XenbusStateConnected);
        if (!ringtest_run(front_run, f)) {
            f->running = false;
            ringtest_report(false, NULL);
        }
    } else if (state == XenbusStateClosed && dev->state == XenbusStateClosing) {
        front_release(f);
        xenbus_dev_switch_state(dev, XenbusStateClosed);
    }
}

static void front_disconnect(struct xenbus_device *dev)
{
    struct front *f = dev->priv;
    if (!f->running)
        front_release(f);
}

static void front_remove(struct xenbus_device *dev)
{
    struct front *f = dev->priv;
    if (!f->running) {
        front_release(f);
        kfree(f);
    }
}

struct xenbus_driver ringtest_front_driver = {
    .type = "ringtest",
    .backend = false,
    .probe = front_probe,
    .otherend_changed = front_changed,
    .disconnect = front_disconnect,
    .remove = front_remove,
};
