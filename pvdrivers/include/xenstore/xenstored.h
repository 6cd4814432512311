/*
 * The xenstore daemon's core as a freestanding library: the tree, permissions,
 * quotas, watches and transactions behind a byte-stream connection API.
 */
#ifndef XENSTORE_XENSTORED_H
#define XENSTORE_XENSTORED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The errors of Xen's xsd_errors table, sent on the wire by name ("EINVAL\0"). */
enum xs_err {
    XS_OK = 0,
    XS_EINVAL, XS_EACCES, XS_EEXIST, XS_EISDIR, XS_ENOENT, XS_ENOMEM, XS_ENOSPC, XS_EIO,
    XS_ENOTEMPTY, XS_ENOSYS, XS_EROFS, XS_EBUSY, XS_EAGAIN, XS_EISCONN, XS_E2BIG, XS_EPERM,
    XS_ERR_COUNT
};
/* "EINVAL" for XS_EINVAL; NULL for XS_OK or out of range. */
const char *xs_err_name(int err);

/* What the host gives the library. Callbacks must not destroy the connection being served. */
struct xs_env {
    void *(*alloc)(size_t);   /* pvguest: kmalloc/kfree (<= 2048 B) or pages; host: malloc */
    void (*free)(void *);
    void (*kick)(void *conn_opaque);   /* a connection has output to send (may be NULL) */
    /* INTRODUCE from dom0: the transport maps the ring, binds the port, then calls
     * xs_conn_create. Returns XS_OK or an enum xs_err (sent back to dom0). May be NULL. */
    int (*introduce)(void *ctx, uint16_t domid, uint64_t mfn, uint32_t port);
    /* RELEASE from dom0: the transport unmaps the ring and calls xs_conn_destroy. May be NULL. */
    void (*release)(void *ctx, uint16_t domid);
    void *ctx;
};

/* Quotas of unprivileged domains: C xenstored's defaults (xenstored_core.c). */
#define XS_QUOTA_NODES         1000 /* nodes owned per domain: ENOSPC */
#define XS_QUOTA_NODE_SIZE     2048 /* node record (24 + 8*perms + value + children names): ENOSPC */
#define XS_QUOTA_WATCHES       128  /* watches per domain: E2BIG beyond 129 (xenstored's ">") */
#define XS_QUOTA_TRANSACTIONS  10   /* open transactions per connection: ENOSPC beyond 11 (same) */
#define XS_QUOTA_PERMS         5    /* permissions per node: ENOSPC */
#define XS_QUOTA_PATH          2048 /* path below /local/domain/<id>/: EINVAL */
#define XS_QUOTA_TXN_CHANGES   1024 /* changes recorded per transaction: ENOSPC */
/* Per-connection output bounds (every connection, dom0 included). */
#define XS_CONN_REPLIES_MAX    20   /* unread replies: input stops being consumed */
#define XS_CONN_EVENTS_MAX     256  /* unread watch events: further events are dropped */

/* Permission letters' bits. */
#define XS_PERM_NONE  0
#define XS_PERM_READ  1
#define XS_PERM_WRITE 2
#define XS_PERM_BOTH  3

#define XS_DOMID_SELF 0x7ff0u /* DOMID_SELF in IS_DOMAIN_INTRODUCED */

struct xs_server;
struct xs_conn;

/* A server with the default tree /, /local, /local/domain, /tool (all "n0"). NULL on ENOMEM. */
struct xs_server *xs_server_create(const struct xs_env *env);
/* Frees everything, connections included. */
void xs_server_destroy(struct xs_server *s);

/*
 * A connection of domain domid (0: dom0's local connection, privileged). opaque is
 * what kick() gets. NULL on ENOMEM or if a domU with that domid is connected already.
 */
struct xs_conn *xs_conn_create(struct xs_server *s, uint16_t domid, void *opaque);
/* Drops the connection's watches, transactions and queued output. */
void xs_conn_destroy(struct xs_conn *c);

/*
 * Feeds bytes of the request stream, in any split. Complete messages are answered at
 * once. Returns the number of bytes consumed: fewer than len when XS_CONN_REPLIES_MAX
 * replies are unread (drain output, then feed the rest again, as xenstored stops
 * reading the ring); or XS_CONN_BROKEN when the peer broke the protocol (payload
 * longer than XENSTORE_PAYLOAD_MAX): drop or reset the connection, it takes no more.
 */
#define XS_CONN_BROKEN (-1)
int xs_conn_input(struct xs_conn *c, const void *bytes, size_t len);
/* Pulls up to max bytes of queued replies and watch events, in any split. */
size_t xs_conn_output(struct xs_conn *c, void *buf, size_t max);
bool xs_conn_has_output(const struct xs_conn *c);
uint16_t xs_conn_domid(const struct xs_conn *c);

/*
 * What xl writes for a new domain, owned as xl does (domid 0 owns, the domain reads;
 * the domain owns data/ and control/shutdown): /local/domain/<id>/{name, domid,
 * device/, control/, control/shutdown, data/, memory/, console/}. Fires watches.
 * Returns XS_OK or an enum xs_err.
 */
int xs_domain_setup(struct xs_server *s, uint16_t domid, const char *name);
/* The domain died: it is no longer introduced and @releaseDomain fires. */
void xs_domain_gone(struct xs_server *s, uint16_t domid);

/* ---- introspection for tests and fuzzing ---- */
struct xs_conn_stats {
    uint32_t replies;        /* unread replies queued */
    uint32_t events;         /* unread watch events queued */
    uint32_t events_dropped; /* watch events dropped at XS_CONN_EVENTS_MAX */
    uint32_t watches;
    uint32_t transactions;
};
void xs_conn_stats(const struct xs_conn *c, struct xs_conn_stats *st);
/* Nodes owned by domid in the live tree (the quota's count). */
uint32_t xs_domain_nodes(const struct xs_server *s, uint16_t domid);
/*
 * Walks every tree (live and each transaction's) checking the invariants: parent
 * links, children byte counts, owners' node counts against a recount, watch and
 * transaction counts, queue bounds. Returns 0, or a line number of the failed check.
 */
int xs_server_check(const struct xs_server *s);

#endif /* XENSTORE_XENSTORED_H */
