/*
 * Transactions: a private copy of the tree taken at TRANSACTION_START. Each
 * node the transaction reads or changes is noted with its generation (or its
 * absence) the first time; at commit the transaction fails with EAGAIN only
 * if one of those nodes changed in the live tree meanwhile, as C xenstored's
 * per-node generations decide, so other domains' writes elsewhere cannot
 * starve it. Otherwise its changes are carried into a copy of the live tree
 * (xs_tree_sync), which then becomes the live tree: a commit applies whole or
 * not at all.
 */
#include "xs_internal.h"

static void txn_free(struct xs_server *s, struct xs_txn *t)
{
    xs_tree_free(s, &t->tree);
    while (t->changes) {
        struct xs_change *ch = t->changes;
        t->changes = ch->next;
        xs_free(s, ch);
    }
    while (t->accessed) {
        struct xs_access *a = t->accessed;
        t->accessed = a->next;
        xs_free(s, a);
    }
    xs_free(s, t);
}

struct xs_txn *xs_txn_find(struct xs_conn *c, uint32_t id)
{
    for (struct xs_txn *t = c->txns; t; t = t->next)
        if (t->id == id)
            return t;
    return NULL;
}

/* Called before the transaction changes anything at abs: n is abs's node in its tree then, or NULL. */
void xs_txn_note(const struct xs_op *op, const char *abs, const struct xs_node *n)
{
    struct xs_txn *t = op->txn;
    if (!t || t->overflowed)
        return;
    for (const struct xs_access *a = t->accessed; a; a = a->next)
        if (!strcmp(a->path, abs))
            return;                 /* the first look is the one that counts */
    size_t len = strlen(abs);
    struct xs_access *a = t->naccessed < XS_TXN_ACCESSES_MAX ? xs_alloc(op->s, sizeof(*a) + len + 1) : NULL;
    if (!a) {
        t->overflowed = true;
        return;
    }
    a->present = n != NULL;
    a->gen = n ? n->gen : 0;
    memcpy(a->path, abs, len + 1);
    a->next = t->accessed;
    t->accessed = a;
    t->naccessed++;
}

/* Drops path's last component ("/a/b" -> "/a", "/a" -> "/"); returns the new length. */
static size_t strip_last(char *path)
{
    size_t len = 0;
    for (size_t i = 0; path[i]; i++)
        if (path[i] == '/')
            len = i;
    len = len ? len : 1;
    path[len] = '\0';
    return len;
}

/* Notes top (at abs) and every node under it, in preorder. */
void xs_txn_note_subtree(const struct xs_op *op, const char *abs, const struct xs_node *top)
{
    char path[XS_PATH_BUF];
    size_t len = strlen(abs);
    if (!op->txn || len >= sizeof(path))
        return;
    memcpy(path, abs, len + 1);
    xs_txn_note(op, path, top);
    const struct xs_node *n = top;
    for (;;) {
        const struct xs_node *next = n->child;
        if (!next) {
            while (n != top && !n->next) {
                n = n->parent;
                len = strip_last(path);
            }
            if (n == top)
                return;
            len = strip_last(path);             /* n's sibling takes n's place */
            next = n->next;
        }
        size_t sep = len > 1;                   /* no second '/' after the root */
        if (len + sep + next->namelen >= sizeof(path)) {
            op->txn->overflowed = true;
            return;
        }
        if (sep)
            path[len] = '/';
        memcpy(path + len + sep, next->name, next->namelen + 1);
        len += sep + next->namelen;
        xs_txn_note(op, path, next);
        n = next;
    }
}

int xs_txn_start(struct xs_conn *c, uint32_t *id)
{
    struct xs_server *s = c->s;
    if (c->domid != 0 && c->ntxns > XS_QUOTA_TRANSACTIONS) /* xenstored's ">": one more fits */
        return XS_ENOSPC;
    struct xs_txn *t = xs_alloc(s, sizeof(*t));
    if (!t)
        return XS_ENOMEM;
    memset(t, 0, sizeof(*t));
    if (xs_tree_copy(s, &s->live, &t->tree)) {
        xs_free(s, t);
        return XS_ENOMEM;
    }
    do { /* ids are never 0 and unique on the connection */
        t->id = c->next_txn_id++;
    } while (!t->id || xs_txn_find(c, t->id));
    t->base = s->commits;
    t->start_nodes = xs_acct_nodes(&s->live, c->domid);
    t->next = c->txns;
    c->txns = t;
    c->ntxns++;
    *id = t->id;
    return XS_OK;
}

/* Did anything the transaction depends on change in the live tree? */
static bool conflicts(const struct xs_server *s, const struct xs_txn *t)
{
    if (t->overflowed)
        return s->commits != t->base;
    for (const struct xs_access *a = t->accessed; a; a = a->next) {
        const struct xs_node *n = xs_lookup(&s->live, a->path);
        if (a->present ? !n || n->gen != a->gen : n != NULL)
            return true;
    }
    return false;
}

static int commit(struct xs_conn *c, struct xs_txn *t)
{
    struct xs_server *s = c->s;
    if (conflicts(s, t))
        return XS_EAGAIN;
    /* Its quota held against its own copy; what others made meanwhile counts too. */
    uint32_t now_owned = xs_acct_nodes(&t->tree, c->domid);
    if (c->domid != 0 && now_owned > t->start_nodes &&
        xs_acct_nodes(&s->live, c->domid) + (now_owned - t->start_nodes) > XS_QUOTA_NODES)
        return XS_ENOSPC;
    struct xs_tree next;
    if (xs_tree_copy(s, &s->live, &next))
        return XS_ENOMEM;
    for (const struct xs_change *ch = t->changes; ch; ch = ch->next) {
        if (xs_tree_sync(s, &next, &t->tree, ch->path, ch->recursive)) {
            xs_tree_free(s, &next);
            return XS_ENOMEM;
        }
    }
    struct xs_tree old = s->live;
    s->live = next;
    xs_tree_free(s, &old);
    s->commits++;
    for (struct xs_change *ch = t->changes; ch; ch = ch->next)
        xs_fire(s, ch->path, ch->recursive, ch->perms, ch->nperms);
    return XS_OK;
}

int xs_txn_end(struct xs_conn *c, struct xs_txn *t, bool do_commit)
{
    struct xs_txn **pp = &c->txns;
    while (*pp != t)
        pp = &(*pp)->next;
    *pp = t->next;
    c->ntxns--;
    int err = do_commit && t->nchanges ? commit(c, t) : XS_OK;
    txn_free(c->s, t);
    return err;
}

void xs_txns_free(struct xs_conn *c)
{
    while (c->txns) {
        struct xs_txn *t = c->txns;
        c->txns = t->next;
        txn_free(c->s, t);
    }
    c->ntxns = 0;
}
