/* Shared internals of the xenstore core (store.c, watch.c, transaction.c, domain.c, proto.c). */
#ifndef XENSTORE_XS_INTERNAL_H
#define XENSTORE_XS_INTERNAL_H

#include <xenstore/xenstored.h>
#include <public/io/xs_wire.h>
#include <lib/string.h>

#define XS_PATH_BUF (XENSTORE_ABS_PATH_MAX + 1)

struct xs_perm {
    uint16_t domid;
    uint8_t mode; /* XS_PERM_* */
};

/* A node: its children in a doubly linked list, in creation order (DIRECTORY's order). */
struct xs_node {
    struct xs_node *parent, *child, *last, *next, *prev;
    uint8_t *value;
    struct xs_perm *perms; /* perms[0]: owner and everyone else's mode */
    uint64_t gen;          /* changed on every write of this node or its children list */
    uint32_t vlen, nperms;
    uint32_t childlen;     /* bytes of the children's names, each with its NUL */
    uint32_t namelen;
    char name[];           /* the last path component ("" for the root) */
};

/* Nodes owned per domain in one tree (entries with no node are freed). */
struct xs_acct {
    struct xs_acct *next;
    uint16_t domid;
    uint32_t nodes;
};

struct xs_tree {
    struct xs_node *root;
    struct xs_acct *acct;
};

/* A change inside a transaction, fired as a watch event at commit. */
struct xs_change {
    struct xs_change *next;
    bool recursive;
    uint32_t nperms;
    struct xs_perm *perms; /* points into this allocation */
    char path[];
};

/* A node a transaction looked at or changed, as it was then: at commit the live tree's must match. */
struct xs_access {
    struct xs_access *next;
    uint64_t gen;         /* its generation, if present */
    bool present;
    char path[];
};

/* Accesses recorded per transaction; beyond, it commits only if the live tree never changed. */
#define XS_TXN_ACCESSES_MAX 1024

struct xs_txn {
    struct xs_txn *next;
    uint32_t id;
    uint64_t base;        /* s->commits when started */
    uint32_t start_nodes; /* nodes its connection's domain owned then */
    struct xs_tree tree;  /* a copy of the live tree */
    struct xs_change *changes, *changes_last;
    uint32_t nchanges;
    struct xs_access *accessed;
    uint32_t naccessed;
    bool overflowed;      /* more than XS_TXN_ACCESSES_MAX (or no memory to record one) */
};

struct xs_watch {
    struct xs_watch *next;
    char *token;
    char *abs;        /* canonical path, or the special name "@..." */
    uint32_t rel_off; /* bytes of "/local/domain/<id>/" stripped from events, 0 if absolute */
    char wpath[];     /* as given; token and abs follow */
};

struct xs_msg {
    struct xs_msg *next;
    uint32_t len, off; /* bytes of data, bytes already pulled */
    bool event;
    uint8_t data[];
};

struct xs_domain {
    struct xs_domain *next;
    uint16_t domid;
    bool introduced;
    uint32_t watches;
};

struct xs_conn {
    struct xs_server *s;
    struct xs_conn *next, *prev;
    void *opaque;
    uint16_t domid;
    bool broken;
    struct xs_watch *watches;
    uint32_t nwatches;
    struct xs_txn *txns;
    uint32_t ntxns, next_txn_id;
    struct xs_msg *out, *out_last;
    uint32_t nreplies, nevents, events_dropped;
    uint32_t in_have;    /* bytes of in_buf filled */
    uint8_t in_buf[sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX];
};

struct xs_server {
    struct xs_env env;
    struct xs_tree live;
    uint64_t next_gen;  /* node generations */
    uint64_t commits;   /* live-tree modifications so far (an overflowed transaction's test) */
    struct xs_conn *conns;
    struct xs_domain *domains;
    char path[XS_PATH_BUF];      /* the request's canonical path */
    uint8_t reply[XENSTORE_PAYLOAD_MAX + 1];
};

/* Where an operation works: which tree, as whom, and where its changes go. */
struct xs_op {
    struct xs_server *s;
    struct xs_tree *tree;
    struct xs_txn *txn; /* NULL: changes fire at once */
    uint16_t domid;
    bool priv;
};

/* store.c */
void *xs_alloc(struct xs_server *s, size_t n);
void xs_free(struct xs_server *s, void *p);
int xs_canonical(uint16_t domid, bool priv, const char *in, char *out, uint32_t *rel_off);
bool xs_is_child(const char *child, const char *parent);
struct xs_node *xs_lookup(const struct xs_tree *t, const char *abs);
unsigned int xs_perm_of(const struct xs_perm *p, uint32_t n, uint16_t domid, bool priv);
int xs_errno_missing(const struct xs_op *op, const char *abs);
int xs_node_create(struct xs_op *op, const char *abs, const void *val, uint32_t vlen,
                   struct xs_node **out);
int xs_node_set_value(struct xs_op *op, struct xs_node *n, const char *abs, const void *val,
                      uint32_t vlen);
int xs_node_set_perms(struct xs_op *op, struct xs_node *n, const char *abs,
                      const struct xs_perm *p, uint32_t np);
int xs_node_remove(struct xs_op *op, struct xs_node *n, const char *abs);
int xs_tree_init(struct xs_server *s, struct xs_tree *t);
int xs_tree_copy(struct xs_server *s, const struct xs_tree *from, struct xs_tree *to);
int xs_tree_sync(struct xs_server *s, struct xs_tree *dst, const struct xs_tree *src, const char *abs,
                 bool subtree);
void xs_tree_free(struct xs_server *s, struct xs_tree *t);
uint32_t xs_acct_nodes(const struct xs_tree *t, uint16_t domid);
int xs_tree_check(const struct xs_server *s, const struct xs_tree *t);
uint32_t xs_u32_str(char *buf, uint64_t v); /* decimal, NUL-terminated; returns strlen */
bool xs_parse_u64(const char *s, uint64_t max, uint64_t *out);

/* watch.c */
int xs_changed(struct xs_op *op, const char *abs, bool recursive, const struct xs_perm *p,
               uint32_t np);
void xs_fire(struct xs_server *s, const char *abs, bool recursive, const struct xs_perm *p,
             uint32_t np);
int xs_watch_add(struct xs_conn *c, const char *wpath, const char *token);
int xs_watch_remove(struct xs_conn *c, const char *wpath, const char *token);
void xs_watches_free(struct xs_conn *c);

/* transaction.c */
int xs_txn_start(struct xs_conn *c, uint32_t *id);
int xs_txn_end(struct xs_conn *c, struct xs_txn *t, bool commit);
struct xs_txn *xs_txn_find(struct xs_conn *c, uint32_t id);
void xs_txn_note(const struct xs_op *op, const char *abs, const struct xs_node *n);
void xs_txn_note_subtree(const struct xs_op *op, const char *abs, const struct xs_node *top);
void xs_txns_free(struct xs_conn *c);

/* domain.c */
struct xs_domain *xs_domain_get(struct xs_server *s, uint16_t domid, bool create);
void xs_domains_free(struct xs_server *s);
int xs_do_introduce(struct xs_server *s, uint16_t domid, uint64_t mfn, uint32_t port);
int xs_do_release(struct xs_server *s, uint16_t domid);
bool xs_domain_introduced(struct xs_server *s, uint16_t domid);

/* proto.c */
int xs_queue2(struct xs_conn *c, uint32_t type, uint32_t req_id, uint32_t tx_id,
              const void *p1, uint32_t l1, const void *p2, uint32_t l2, bool event);

#endif /* XENSTORE_XS_INTERNAL_H */
