/*
 * xenbus devices: registered drivers, discovery by watching device/ (front
 * ends) and backend/ (back ends), each device's watch on the other end's
 * state, going back to Initialising / InitWait when the other end leaves, and
 * a front end following its back end when the toolstack moves it.
 */
#include <mm.h>
#include <sched.h>
#include "xenbus_internal.h"

static struct list_head drivers = LIST_HEAD_INIT(drivers);
static struct list_head devices = LIST_HEAD_INIT(devices);
static struct semaphore probe_lock;           /* drivers and devices */
static struct xenbus_watch front_watch, back_watch;
static char front_base[40], back_base[40];     /* /local/domain/<me>/device, .../backend */
static bool started;

static bool other_gone(int st) { return st == XenbusStateUnknown || st == XenbusStateClosing || st == XenbusStateClosed; }

/* The state a device goes back to while it waits for its other end. */
static int restart_state(const struct xenbus_device *dev)
{
    return dev->drv->backend ? XenbusStateInitWait : XenbusStateInitialising;
}

/* The other end is gone (or moved away): the driver lets go, and we wait for the next one. */
static void other_left(struct xenbus_device *dev)
{
    if (dev->drv->disconnect)
        dev->drv->disconnect(dev);
    if (!dev->gone && !dev->no_restart)
        xenbus_dev_switch_state(dev, restart_state(dev));
}

static void otherend_event(struct xenbus_watch *w, const char *path)
{
    (void)path;
    struct xenbus_device *dev = w->data;
    int st = xenbus_read_state(0, dev->otherend);
    int was = dev->otherend_state;
    if (st == was)
        return;
    dev->otherend_state = st;
    if (dev->drv->otherend_changed)
        dev->drv->otherend_changed(dev, st);
    if (other_gone(st) && !other_gone(was)) {
        printk("xenbus: %s: the other end (%s) is %s: back to %s\n", dev->nodename, dev->otherend,
               xenbus_state_name(st), xenbus_state_name(restart_state(dev)));
        other_left(dev);
    }
}

static void device_free(struct xenbus_device *dev)
{
    xenbus_unwatch(&dev->otherend_watch);
    xenbus_unwatch(&dev->own_watch);
    if (dev->drv->remove)
        dev->drv->remove(dev);
    kfree(dev);
}

/*
 * The other end's directory and domain as our directory names them (backend
 * and backend-id for a front end, frontend and frontend-id for a back end):
 * false while the toolstack is still writing them.
 */
static bool read_otherend(const struct xenbus_driver *drv, const char *nodename, char *other, size_t size, int *id)
{
    char key[XB_PATH_MAX];
    snprintf(key, sizeof(key), "%s/%s", nodename, drv->backend ? "frontend" : "backend");
    if (xenbus_read(0, key, other, size) <= 0)
        return false;
    snprintf(key, sizeof(key), "%s/%s", nodename, drv->backend ? "frontend-id" : "backend-id");
    return !xenbus_read_int(0, key, id) && *id >= 0;
}

static void watch_otherend(struct xenbus_device *dev)
{
    char key[XB_PATH_MAX];
    snprintf(key, sizeof(key), "%s/state", dev->otherend);
    /* The watch paths are copied into the watches (wpath); the initial event reads the state. */
    dev->otherend_watch = (struct xenbus_watch){ .path = key, .cb = otherend_event, .data = dev };
    if (xenbus_watch(&dev->otherend_watch))
        printk("xenbus: %s: cannot watch %s\n", dev->nodename, key);
}

/*
 * A front end's back end moved: the toolstack rewrote backend / backend-id
 * (a driver domain restarted with a new id serves it now). The old one is
 * left as if it had gone (if we had not seen it go), and the new one's state
 * is followed from Unknown, so the ordinary handshake connects to it.
 */
static void follow_otherend(struct xenbus_device *dev)
{
    char other[96];
    int id;
    if (!read_otherend(dev->drv, dev->nodename, other, sizeof(other), &id) ||
        (!strcmp(other, dev->otherend) && (unsigned int)id == dev->otherend_id))
        return;
    xenbus_unwatch(&dev->otherend_watch);
    printk("xenbus: %s: back end moved from %s (domain %u) to %s (domain %d)\n", dev->nodename, dev->otherend,
           dev->otherend_id, other, id);
    if (!other_gone(dev->otherend_state))
        other_left(dev);
    str_copy(dev->otherend, other, sizeof(dev->otherend));
    dev->otherend_id = (unsigned int)id;
    dev->otherend_state = XenbusStateUnknown;
    watch_otherend(dev);
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcmp(s + a - b, suffix);
}

static void own_event(struct xenbus_watch *w, const char *path)
{
    struct xenbus_device *dev = w->data;
    char v[8];
    if (xenbus_read(0, dev->nodename, v, sizeof(v)) != -ENOENT) {
        if (!dev->drv->backend && !dev->gone && (ends_with(path, "/backend") || ends_with(path, "/backend-id")))
            follow_otherend(dev);
        return;
    }
    sem_down(&probe_lock);
    bool listed = !dev->gone;
    if (listed) {
        dev->gone = true;
        list_del(&dev->node);
    }
    sem_up(&probe_lock);
    if (listed) {
        printk("xenbus: %s: removed\n", dev->nodename);
        device_free(dev);
    }
}

static struct xenbus_device *find_device(const char *nodename)
{
    xb_for_each(d, struct xenbus_device, &devices, node)
        if (!strcmp(d->nodename, nodename))
            return d;
    return NULL;
}

/* A device directory we have not seen: probed once its other end is named (probe_lock held). */
static void add_device(struct xenbus_driver *drv, const char *nodename)
{
    if (find_device(nodename))
        return;
    char other[96];
    int other_id;
    if (!read_otherend(drv, nodename, other, sizeof(other), &other_id))
        return;                                 /* the toolstack is still writing it */
    struct xenbus_device *dev = kzalloc(sizeof(*dev));
    if (!dev)
        return;
    dev->drv = drv;
    str_copy(dev->nodename, nodename, sizeof(dev->nodename));
    str_copy(dev->otherend, other, sizeof(dev->otherend));
    dev->otherend_id = (unsigned int)other_id;
    dev->state = xenbus_read_state(0, nodename);
    dev->otherend_state = XenbusStateUnknown;
    if (drv->probe && drv->probe(dev)) {
        kfree(dev);
        return;
    }
    list_add_tail(&dev->node, &devices);
    printk("xenbus: %s: %s %s found, other end %s (domain %u)\n", nodename, drv->type,
           drv->backend ? "back end" : "front end", dev->otherend, dev->otherend_id);
    watch_otherend(dev);
    dev->own_watch = (struct xenbus_watch){ .path = dev->nodename, .cb = own_event, .data = dev };
    if (xenbus_watch(&dev->own_watch))
        printk("xenbus: %s: cannot watch it\n", nodename);
}

/* Each name in a DIRECTORY reply, in turn. */
#define for_each_name(p, buf, n) for (const char *p = (buf); (n)-- > 0; p += strlen(p) + 1)

static void scan_driver(struct xenbus_driver *drv)
{
    static char ids[1024], sub[1024];           /* probe_lock */
    char path[XB_PATH_MAX];
    snprintf(path, sizeof(path), "%s/%s", drv->backend ? back_base : front_base, drv->type);
    int n = xenbus_directory(0, path, ids, sizeof(ids));
    for_each_name(id, ids, n) {
        char node[XB_PATH_MAX];
        snprintf(node, sizeof(node), "%s/%s", path, id);
        if (!drv->backend) {
            add_device(drv, node);
            continue;
        }
        int m = xenbus_directory(0, node, sub, sizeof(sub));   /* backend/<type>/<fe-domid>/<id> */
        for_each_name(dev, sub, m) {
            char dn[XB_PATH_MAX];
            snprintf(dn, sizeof(dn), "%s/%s", node, dev);
            add_device(drv, dn);
        }
    }
}

static void rescan(bool backend)
{
    sem_down(&probe_lock);
    xb_for_each(drv, struct xenbus_driver, &drivers, node)
        if (drv->backend == backend)
            scan_driver(drv);
    sem_up(&probe_lock);
}

static void front_event(struct xenbus_watch *w, const char *path) { (void)w; (void)path; rescan(false); }
static void back_event(struct xenbus_watch *w, const char *path) { (void)w; (void)path; rescan(true); }

void xenbus_probe_start(void)
{
    sem_init(&probe_lock, 1);
    snprintf(front_base, sizeof(front_base), "/local/domain/%u/device", xenbus_domid());
    snprintf(back_base, sizeof(back_base), "/local/domain/%u/backend", xenbus_domid());
    front_watch = (struct xenbus_watch){ .path = front_base, .cb = front_event };
    back_watch = (struct xenbus_watch){ .path = back_base, .cb = back_event };
    int a = xenbus_watch(&front_watch), b = xenbus_watch(&back_watch);
    if (a || b)
        printk("xenbus: watching %s / %s failed: %d / %d\n", front_base, back_base, a, b);
    started = true;
}

unsigned int xenbus_devices(void)
{
    unsigned int n = 0;
    if (!started)
        return 0;
    sem_down(&probe_lock);
    xb_for_each(d, struct xenbus_device, &devices, node)
        n++;
    sem_up(&probe_lock);
    return n;
}

int xenbus_register_driver(struct xenbus_driver *drv)
{
    if (!started)
        return -EIO;
    sem_down(&probe_lock);
    list_add_tail(&drv->node, &drivers);
    sem_up(&probe_lock);
    rescan(drv->backend);
    return 0;
}

void xenbus_unregister_driver(struct xenbus_driver *drv)
{
    struct list_head mine = LIST_HEAD_INIT(mine);
    sem_down(&probe_lock);
    list_del(&drv->node);
    xb_for_each_safe(d, struct xenbus_device, &devices, node)
        if (d->drv == drv) {
            d->gone = true;
            list_del(&d->node);
            list_add_tail(&d->node, &mine);
        }
    sem_up(&probe_lock);
    xb_for_each_safe(d, struct xenbus_device, &mine, node)
        device_free(d);
}

struct switch_args {
    const char *dir;
    int state;
};

static int switch_if_there(xenbus_tx_t tx, void *arg)
{
    const struct switch_args *a = arg;
    char path[XB_PATH_MAX], v[8];
    snprintf(path, sizeof(path), "%s/state", a->dir);
    int rc = xenbus_read(tx, path, v, sizeof(v));
    return rc < 0 ? rc : xenbus_printf(tx, path, "%d", a->state);
}

/*
 * Only while the device's state node exists (as Linux's xenbus_switch_state):
 * the toolstack removes a device's directory when its domain goes, and a
 * state change racing with that (the other end seen gone, back to InitWait)
 * must not write the directory back, a node the store keeps for ever.
 */
int xenbus_dev_switch_state(struct xenbus_device *dev, int state)
{
    struct switch_args a = { dev->nodename, state };
    int rc = xenbus_transaction_retry(switch_if_there, &a, 8);
    if (!rc)
        dev->state = state;
    return rc;
}
