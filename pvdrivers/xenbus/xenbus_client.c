/*
 * xenbus requests (read, write, mkdir, rm, directory, perms, transactions)
 * and the XenbusState helpers, over xb_request (xenbus_comms.c).
 */
#include <sched.h>
#include <public/io/xs_wire.h>
#include "xenbus_internal.h"

int xenbus_read(xenbus_tx_t tx, const char *path, char *buf, size_t size)
{
    uint32_t len = 0;
    struct xb_seg s[1] = { XB_STR(path) };
    int rc = xb_request(XS_READ, tx, s, 1, buf, size, &len);
    return rc ? rc : (int)len;
}

int xenbus_read_int(xenbus_tx_t tx, const char *path, int *out)
{
    char v[16];
    int rc = xenbus_read(tx, path, v, sizeof(v));
    if (rc < 0)
        return rc;
    int x = 0;
    bool neg = v[0] == '-';
    const char *p = v + neg;
    if (!*p)
        return -EINVAL;
    for (; *p; p++) {
        if (*p < '0' || *p > '9')
            return -EINVAL;
        x = x * 10 + (*p - '0');
    }
    *out = neg ? -x : x;
    return 0;
}

int xenbus_write(xenbus_tx_t tx, const char *path, const char *value)
{
    struct xb_seg s[2] = { XB_STR(path), { value, strlen(value) } };
    return xb_request(XS_WRITE, tx, s, 2, NULL, 0, NULL);
}

int xenbus_printf(xenbus_tx_t tx, const char *path, const char *fmt, ...)
{
    char v[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(v, sizeof(v), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(v))
        return -E2BIG;
    return xenbus_write(tx, path, v);
}

int xenbus_mkdir(xenbus_tx_t tx, const char *path)
{
    struct xb_seg s[1] = { XB_STR(path) };
    return xb_request(XS_MKDIR, tx, s, 1, NULL, 0, NULL);
}

int xenbus_rm(xenbus_tx_t tx, const char *path)
{
    struct xb_seg s[1] = { XB_STR(path) };
    return xb_request(XS_RM, tx, s, 1, NULL, 0, NULL);
}

int xenbus_directory(xenbus_tx_t tx, const char *path, char *buf, size_t size)
{
    uint32_t len = 0;
    struct xb_seg s[1] = { XB_STR(path) };
    int rc = xb_request(XS_DIRECTORY, tx, s, 1, buf, size, &len);
    if (rc)
        return rc;
    int n = 0;
    for (uint32_t i = 0; i < len; i++)
        n += buf[i] == '\0';
    return n;
}

int xenbus_set_perms(xenbus_tx_t tx, const char *path, const char *const *perms, unsigned int n)
{
    struct xb_seg s[1 + 8];
    if (n > 8)
        return -E2BIG;
    s[0] = XB_STR(path);
    for (unsigned int i = 0; i < n; i++)
        s[1 + i] = XB_STR(perms[i]);
    return xb_request(XS_SET_PERMS, tx, s, 1 + n, NULL, 0, NULL);
}

int xenbus_get_domain_path(unsigned int domid, char *buf, size_t size)
{
    char id[12];
    snprintf(id, sizeof(id), "%u", domid);
    struct xb_seg s[1] = { XB_STR(id) };
    return xb_request(XS_GET_DOMAIN_PATH, 0, s, 1, buf, size, NULL);
}

/* ---- transactions ---- */
int xenbus_transaction_start(xenbus_tx_t *tx)
{
    char id[16];
    struct xb_seg s[1] = { { "", 1 } };
    int rc = xb_request(XS_TRANSACTION_START, 0, s, 1, id, sizeof(id), NULL);
    if (rc)
        return rc;
    uint32_t v = 0;
    for (const char *p = id; *p; p++) {
        if (*p < '0' || *p > '9')
            return -EIO;
        v = v * 10 + (uint32_t)(*p - '0');
    }
    if (!v)
        return -EIO;
    *tx = v;
    return 0;
}

int xenbus_transaction_end(xenbus_tx_t tx, bool abort)
{
    struct xb_seg s[1] = { { abort ? "F" : "T", 2 } };
    return xb_request(XS_TRANSACTION_END, tx, s, 1, NULL, 0, NULL);
}

int xenbus_transaction_retry(int (*fn)(xenbus_tx_t tx, void *arg), void *arg, unsigned int tries)
{
    int rc = -EAGAIN;
    for (unsigned int i = 0; i < tries && rc == -EAGAIN; i++) {
        xenbus_tx_t tx;
        rc = xenbus_transaction_start(&tx);
        if (rc)
            return rc;
        int r = fn(tx, arg);
        if (r) {
            xenbus_transaction_end(tx, true);
            return r;
        }
        rc = xenbus_transaction_end(tx, false);
    }
    return rc;
}

/* ---- the ring handshake ---- */
struct ring_keys {
    struct xenbus_device *dev;
    int ref, port;
    const char *protocol;
};

static int write_ring_keys(xenbus_tx_t tx, void *arg)
{
    const struct ring_keys *k = arg;
    char path[XB_PATH_MAX];
    snprintf(path, sizeof(path), "%s/ring-ref", k->dev->nodename);
    int rc = xenbus_printf(tx, path, "%d", k->ref);
    snprintf(path, sizeof(path), "%s/event-channel", k->dev->nodename);
    if (!rc)
        rc = xenbus_printf(tx, path, "%d", k->port);
    snprintf(path, sizeof(path), "%s/protocol", k->dev->nodename);
    if (!rc && k->protocol)
        rc = xenbus_write(tx, path, k->protocol);
    return rc;
}

/* Conflicts are per node: only someone writing these very keys makes a retry needed. */
#define RING_PUBLISH_TRIES 16

int xenbus_publish_ring(struct xenbus_device *dev, int ref, int port, const char *protocol)
{
    struct ring_keys k = { dev, ref, port, protocol };
    return xenbus_transaction_retry(write_ring_keys, &k, RING_PUBLISH_TRIES);
}

int xenbus_read_ring(struct xenbus_device *dev, int *ref, int *port)
{
    char path[XB_PATH_MAX];
    snprintf(path, sizeof(path), "%s/ring-ref", dev->otherend);
    if (xenbus_read_int(0, path, ref) || *ref < 0)
        return -EINVAL;
    snprintf(path, sizeof(path), "%s/event-channel", dev->otherend);
    if (xenbus_read_int(0, path, port) || *port <= 0)
        return -EINVAL;
    return 0;
}

/* ---- XenbusState ---- */
const char *xenbus_state_name(int state)
{
    static const char *const names[] = { "Unknown", "Initialising", "InitWait", "Initialised", "Connected",
                                         "Closing", "Closed", "Reconfiguring", "Reconfigured" };
    return state >= 0 && (unsigned int)state < ARRAY_SIZE(names) ? names[state] : "Invalid";
}

int xenbus_read_state(xenbus_tx_t tx, const char *dir)
{
    char path[XB_PATH_MAX];
    int st;
    if ((size_t)snprintf(path, sizeof(path), "%s/state", dir) >= sizeof(path))
        return XenbusStateUnknown;
    if (xenbus_read_int(tx, path, &st) || st < XenbusStateUnknown || st > XenbusStateReconfigured)
        return XenbusStateUnknown;
    return st;
}

int xenbus_switch_state(const char *dir, int state)
{
    char path[XB_PATH_MAX];
    if ((size_t)snprintf(path, sizeof(path), "%s/state", dir) >= sizeof(path))
        return -E2BIG;
    /* One write is atomic: no transaction (a commit fails whenever anything else changed). */
    return xenbus_printf(0, path, "%d", state);
}

static void state_changed(struct xenbus_watch *w, const char *path)
{
    (void)path;
    sem_up(w->data);
}

int xenbus_wait_state(const char *dir, unsigned int mask, uint64_t timeout_ns, int *last)
{
    struct semaphore changed;
    char path[XB_PATH_MAX];
    sem_init(&changed, 0);
    if ((size_t)snprintf(path, sizeof(path), "%s/state", dir) >= sizeof(path))
        return -E2BIG;
    struct xenbus_watch w = { .path = path, .cb = state_changed, .data = &changed };
    int rc = xenbus_watch(&w);
    if (rc)
        return rc;
    uint64_t deadline = clock_ns() + timeout_ns;
    int st = XenbusStateUnknown;
    for (;;) {
        st = xenbus_read_state(0, dir);
        if (mask & (1u << st)) {
            rc = st;
            break;
        }
        uint64_t now = clock_ns();
        if (now >= deadline || sem_down_timeout(&changed, deadline - now)) {
            st = xenbus_read_state(0, dir);
            rc = mask & (1u << st) ? st : -ETIMEDOUT;
            break;
        }
    }
    xenbus_unwatch(&w);
    if (last)
        *last = st;
    return rc;
}

void xenbus_front_changed(struct xenbus_device *dev, int state, const struct xenbus_front_steps *steps)
{
    if (state == XenbusStateInitWait && (dev->state == XenbusStateInitialising || dev->state == XenbusStateConnected)) {
        if (dev->state == XenbusStateConnected)
            steps->release();       /* it closed and came back before we saw it close */
        int rc = steps->connect(dev);
        if (rc)
            printk("%s: connecting to domain %u failed: %d\n", steps->name, dev->otherend_id, rc);
    } else if (state == XenbusStateConnected && dev->state == XenbusStateInitialised) {
        steps->connected(dev);
    } else if (state == XenbusStateClosing && dev->state == XenbusStateConnected) {
        steps->release();
        xenbus_dev_switch_state(dev, XenbusStateClosing);
    } else if (state == XenbusStateClosed && dev->state == XenbusStateClosing) {
        xenbus_dev_switch_state(dev, XenbusStateClosed);
    }
}
