/*
 * xenbus: the xenstore client every front and back end uses (over the domU's
 * store ring, or dom0's local connection), the XenbusState machine, and
 * device discovery with a probe per registered driver.
 */
#ifndef XENBUS_XENBUS_H
#define XENBUS_XENBUS_H

#include <kernel.h>
#include <list.h>
#include <public/io/xenbus.h>

/* The xenstore error names as negative errnos (Linux's values). */
#ifndef EIO
#define EIO       5
#endif
#ifndef E2BIG
#define E2BIG     7
#endif
#ifndef EAGAIN
#define EAGAIN    11
#endif
#ifndef EACCES
#define EACCES    13
#endif
#ifndef EISDIR
#define EISDIR    21
#endif
#ifndef EROFS
#define EROFS     30
#endif
#ifndef ENOTEMPTY
#define ENOTEMPTY 39
#endif
#ifndef EISCONN
#define EISCONN   106
#endif

/* Started from the driver list: dom0 after xenstored, domUs on their store ring. */
void xenbus_start(void);
/* The transport is up (a store to talk to). */
bool xenbus_ready(void);
/* Our domain id as the store knows it (0 in dom0). */
unsigned int xenbus_domid(void);

/*
 * Requests. tx is 0 or a transaction from xenbus_transaction_start. Paths may
 * be relative (to /local/domain/<our id>). Each returns 0 (or a length) or a
 * negative errno: the store's error (-ENOENT, -EACCES, -EAGAIN ...), -E2BIG if
 * the reply did not fit, -ETIMEDOUT if no reply came in XENBUS_TIMEOUT_NS.
 */
typedef uint32_t xenbus_tx_t;
#define XENBUS_TIMEOUT_NS (10 * NSEC_PER_SEC)

/* The value, NUL-terminated in buf: its length. */
int xenbus_read(xenbus_tx_t tx, const char *path, char *buf, size_t size);
int xenbus_read_int(xenbus_tx_t tx, const char *path, int *out);
int xenbus_write(xenbus_tx_t tx, const char *path, const char *value);
int xenbus_printf(xenbus_tx_t tx, const char *path, const char *fmt, ...) __printf(3, 4);
int xenbus_mkdir(xenbus_tx_t tx, const char *path);
int xenbus_rm(xenbus_tx_t tx, const char *path);
/* The children's names, each NUL-terminated, one after another in buf: how many. */
int xenbus_directory(xenbus_tx_t tx, const char *path, char *buf, size_t size);
/* perms as xenstore writes them, e.g. "n1", "r2": owner first. */
int xenbus_set_perms(xenbus_tx_t tx, const char *path, const char *const *perms, unsigned int n);
/* "/local/domain/<domid>" into buf. */
int xenbus_get_domain_path(unsigned int domid, char *buf, size_t size);

int xenbus_transaction_start(xenbus_tx_t *tx);
/* Commits (abort false) or aborts: -EAGAIN when another change came first. */
int xenbus_transaction_end(xenbus_tx_t tx, bool abort);
/*
 * Runs fn in a fresh transaction and commits it, again while the commit says
 * -EAGAIN (up to tries times). fn returning nonzero aborts and returns that.
 */
int xenbus_transaction_retry(int (*fn)(xenbus_tx_t tx, void *arg), void *arg, unsigned int tries);

/*
 * Watches. cb runs in the xenbus watch thread, one event at a time, with the
 * path that changed (the watched one itself right after xenbus_watch: the
 * initial event). The path string is copied by xenbus_watch. A callback may
 * make requests and (un)register watches, but must not wait for another watch
 * event (xenbus_wait_state): events are delivered by the thread it runs in.
 * At most 64 events wait for the thread; more are dropped (counted).
 */
struct xenbus_watch {
    const char *path;
    void (*cb)(struct xenbus_watch *w, const char *path);
    void *data;
    /* private */
    struct list_head node;
    char token[16];
    char wpath[128];
};
int xenbus_watch(struct xenbus_watch *w);
int xenbus_unwatch(struct xenbus_watch *w);

/* ---- the XenbusState machine (io/xenbus.h numbers) ---- */
const char *xenbus_state_name(int state);
/* <dir>/state: the state, or XenbusStateUnknown when absent or unreadable. */
int xenbus_read_state(xenbus_tx_t tx, const char *dir);
/* Writes <dir>/state. */
int xenbus_switch_state(const char *dir, int state);
/*
 * Waits (a watch on <dir>/state) until the state is one whose bit (1 << state)
 * is in mask: that state, or -ETIMEDOUT with the last one seen in *last.
 */
int xenbus_wait_state(const char *dir, unsigned int mask, uint64_t timeout_ns, int *last);

/* ---- devices and drivers ---- */
struct xenbus_device;
struct xenbus_driver {
    const char *type;          /* "vif", "vbd", "console", ... */
    bool backend;              /* found under backend/<type>/<fe-domid>/<id>, else device/<type>/<id> */
    /* A new device: 0 to keep it. These callbacks run in the watch thread (see above). */
    int (*probe)(struct xenbus_device *dev);
    /* The other end's state changed (XenbusStateUnknown: its nodes vanished). */
    void (*otherend_changed)(struct xenbus_device *dev, int state);
    /* The other end went away (Closing, Closed or vanished): before our state goes back. */
    void (*disconnect)(struct xenbus_device *dev);
    /* Our own nodes vanished: the device is gone (freed after this). */
    void (*remove)(struct xenbus_device *dev);
    /* private */
    struct list_head node;
};
struct xenbus_device {
    const struct xenbus_driver *drv;
    char nodename[96];          /* ours: /local/domain/<me>/device/<type>/<id> or .../backend/... */
    char otherend[96];          /* the other end's directory */
    unsigned int otherend_id;
    int state;                  /* what we last wrote */
    int otherend_state;         /* what we last saw */
    void *priv;                 /* the driver's */
    bool no_restart;            /* the driver closed it for good: not back to InitWait/Initialising when the other end leaves */
    /* private */
    struct list_head node;
    struct xenbus_watch otherend_watch;
    struct xenbus_watch own_watch;
    bool gone;
};

/*
 * The ring handshake every split driver shares: the front end publishes its
 * ring-ref, event-channel and (if not NULL) protocol in one transaction
 * (retried on EAGAIN); the back end reads the first two, refusing a negative
 * ref or a port that is not positive (-EINVAL).
 */
int xenbus_publish_ring(struct xenbus_device *dev, int ref, int port, const char *protocol);
int xenbus_read_ring(struct xenbus_device *dev, int *ref, int *port);
/*
 * The front end's side of the XenbusState handshake, one for every split
 * driver: the back end in InitWait (first, or again after it closed and
 * came back before we saw it close: release first) -> connect (grant,
 * publish, go Initialised; a failure is printed with name); the back end
 * Connected while we are Initialised -> connected; the back end Closing ->
 * release, Closing; Closed -> Closed.
 */
struct xenbus_front_steps {
    const char *name;
    int (*connect)(struct xenbus_device *dev);
    void (*connected)(struct xenbus_device *dev);
    void (*release)(void);
};
void xenbus_front_changed(struct xenbus_device *dev, int state, const struct xenbus_front_steps *steps);
/* Registers a driver and looks for its devices at once. */
int xenbus_register_driver(struct xenbus_driver *drv);
void xenbus_unregister_driver(struct xenbus_driver *drv);
/* Watch events a full queue dropped since boot (each overflow fires every watch again; the leak loop reports them). */
uint64_t xenbus_watch_events_dropped(void);
/* Devices probed and not yet removed, every driver's (the toolstack's leak check). */
unsigned int xenbus_devices(void);
/* Switches dev's state (dev->state follows) while its state node exists: -ENOENT once the toolstack removed it. */
int xenbus_dev_switch_state(struct xenbus_device *dev, int state);

/*
 * control/ (xenbus/control.c, domUs): started after the probe; whether the
 * toolstack asked us to power off (control/shutdown), and the debug trigger
 * control/trigger = "fault" (true once per trigger).
 */
void xenbus_control_start(void);
bool xenbus_shutdown_requested(void);
bool xenbus_fault_trigger_take(void);

#endif /* XENBUS_XENBUS_H */
