/*
 * Invariant checks of the whole server (CONTROL "check", the unit tests, the fuzz
 * target after every step): tree links, byte counts, accounting, queue bounds.
 * Its own file so the fuzz build can leave it out of coverage guidance.
 */
#include "xs_internal.h"

/* Next node in preorder, or NULL. */
static const struct xs_node *preorder_next(const struct xs_node *n)
{
    if (n->child)
        return n->child;
    while (n && !n->next)
        n = n->parent;
    return n ? n->next : NULL;
}

int xs_tree_check(const struct xs_server *s, const struct xs_tree *t)
{
    struct { uint16_t domid; uint32_t nodes; } owners[32];
    uint32_t nowners = 0, naccts = 0;
    bool overflow = false;
    (void)s;
    if (!t->root || t->root->parent || t->root->namelen)
        return __LINE__;
    for (const struct xs_node *n = t->root; n; n = preorder_next(n)) {
        uint32_t bytes = 0, i;
        if (!n->nperms || !n->perms || (n->vlen && !n->value))
            return __LINE__;
        if (n != t->root && (!n->namelen || n->name[n->namelen]))
            return __LINE__;
        for (i = 0; i < n->namelen; i++)
            if (!n->name[i] || n->name[i] == '/')
                return __LINE__;
        const struct xs_node *prev = NULL;
        for (const struct xs_node *c = n->child; c; c = c->next) {
            if (c->parent != n || c->prev != prev)
                return __LINE__;
            bytes += c->namelen + 1;
            prev = c;
        }
        if (n->last != prev || bytes != n->childlen)
            return __LINE__;
        for (i = 0; i < nowners && owners[i].domid != n->perms[0].domid; i++)
            ;
        if (i == nowners && nowners < 32)
            owners[nowners++] = (__typeof__(owners[0])){ n->perms[0].domid, 0 };
        if (i < nowners)
            owners[i].nodes++;
        else
            overflow = true;
    }
    /* Every owner's count agrees with a recount; no entry without nodes. */
    for (const struct xs_acct *a = t->acct; a; a = a->next) {
        uint32_t count = 0, i;
        naccts++;
        if (!a->nodes)
            return __LINE__;
        for (i = 0; i < nowners && owners[i].domid != a->domid; i++)
            ;
        if (i < nowners) {
            count = owners[i].nodes;
        } else if (overflow) {
            for (const struct xs_node *n = t->root; n; n = preorder_next(n))
                count += n->perms[0].domid == a->domid;
        }
        if (count != a->nodes)
            return __LINE__;
    }
    if (!overflow && naccts != nowners)
        return __LINE__;
    if (overflow) /* slow path: every owner has an entry */
        for (const struct xs_node *n = t->root; n; n = preorder_next(n))
            if (!xs_acct_nodes(t, n->perms[0].domid))
                return __LINE__;
    return 0;
}

int xs_server_check(const struct xs_server *s)
{
    int line = xs_tree_check(s, &s->live);
    if (line)
        return line;
    for (const struct xs_domain *d = s->domains; d; d = d->next) {
        uint32_t w = 0;
        for (const struct xs_conn *c = s->conns; c; c = c->next)
            if (c->domid == d->domid)
                w += c->nwatches;
        if (w != d->watches)
            return __LINE__;
        if (d->domid && d->watches > XS_QUOTA_WATCHES + 1)
            return __LINE__;
    }
    for (const struct xs_conn *c = s->conns; c; c = c->next) {
        uint32_t nr = 0, ne = 0, nw = 0, nt = 0;
        if (c->next && c->next->prev != c)
            return __LINE__;
        for (const struct xs_msg *m = c->out; m; m = m->next) {
            if (m->off >= m->len || m->len > sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX)
                return __LINE__;
            ne += m->event;
            nr += !m->event;
            if (!m->next && c->out_last != m)
                return __LINE__;
        }
        if (nr != c->nreplies || ne != c->nevents || nr > XS_CONN_REPLIES_MAX ||
            ne > XS_CONN_EVENTS_MAX)
            return __LINE__;
        for (const struct xs_watch *w = c->watches; w; w = w->next)
            nw++;
        if (nw != c->nwatches || (c->nwatches && !xs_domain_get((struct xs_server *)s, c->domid, false)))
            return __LINE__;
        for (const struct xs_txn *t = c->txns; t; t = t->next) {
            nt++;
            if ((line = xs_tree_check(s, &t->tree)))
                return line;
            if (!t->id || (c->domid && t->nchanges > XS_QUOTA_TXN_CHANGES))
                return __LINE__;
        }
        if (nt != c->ntxns || (c->domid && nt > XS_QUOTA_TRANSACTIONS + 1))
            return __LINE__;
    }
    return 0;
}
