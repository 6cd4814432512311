/*
 * Transactions: a private copy of the tree taken at TRANSACTION_START; at commit
 * it replaces the live tree unless another write was committed meanwhile (EAGAIN).
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
    xs_free(s, t);
}

struct xs_txn *xs_txn_find(struct xs_conn *c, uint32_t id)
{
    for (struct xs_txn *t = c->txns; t; t = t->next)
        if (t->id == id)
            return t;
    return NULL;
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
    t->next = c->txns;
    c->txns = t;
    c->ntxns++;
    *id = t->id;
    return XS_OK;
}

int xs_txn_end(struct xs_conn *c, struct xs_txn *t, bool commit)
{
    struct xs_server *s = c->s;
    struct xs_txn **pp = &c->txns;
    while (*pp != t)
        pp = &(*pp)->next;
    *pp = t->next;
    c->ntxns--;
    int err = XS_OK;
    if (commit && t->nchanges) {
        if (s->commits != t->base) {
            err = XS_EAGAIN;
        } else {
            struct xs_tree old = s->live;
            s->live = t->tree;
            t->tree = old;
            s->commits++;
            for (struct xs_change *ch = t->changes; ch; ch = ch->next)
                xs_fire(s, ch->path, ch->recursive, ch->perms, ch->nperms);
        }
    }
    txn_free(s, t);
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
