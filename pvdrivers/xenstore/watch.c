/*
 * Watches: registration per connection (with the per-domain quota) and firing
 * WATCH_EVENTs for a changed path, at once or at a transaction's commit.
 */
#include "xs_internal.h"

static bool conn_priv(const struct xs_conn *c)
{
    return c->domid == 0;
}

int xs_changed(struct xs_op *op, const char *abs, bool recursive, const struct xs_perm *p,
               uint32_t np)
{
    struct xs_txn *t = op->txn;
    if (!t) {
        xs_fire(op->s, abs, recursive, p, np);
        return XS_OK;
    }
    if (!op->priv && t->nchanges >= XS_QUOTA_TXN_CHANGES)
        return XS_ENOSPC;
    size_t plen = strlen(abs), off = (sizeof(struct xs_change) + plen + 2) & ~(size_t)1;
    struct xs_change *ch = xs_alloc(op->s, off + np * sizeof(*p));
    if (!ch)
        return XS_ENOMEM;
    memcpy(ch->path, abs, plen + 1);
    ch->recursive = recursive;
    ch->nperms = np;
    ch->perms = (struct xs_perm *)((char *)ch + off);
    memcpy(ch->perms, p, np * sizeof(*p));
    ch->next = NULL;
    if (t->changes_last)
        t->changes_last->next = ch;
    else
        t->changes = ch;
    t->changes_last = ch;
    t->nchanges++;
    return XS_OK;
}

void xs_fire(struct xs_server *s, const char *abs, bool recursive, const struct xs_perm *p,
             uint32_t np)
{
    for (struct xs_conn *c = s->conns; c; c = c->next) {
        if (!(xs_perm_of(p, np, c->domid, conn_priv(c)) & XS_PERM_READ))
            continue;
        for (struct xs_watch *w = c->watches; w; w = w->next) {
            const char *ev;
            if (w->abs[0] == '@' || abs[0] == '@') {
                if (strcmp(w->abs, abs))
                    continue;
                ev = abs;
            } else if (xs_is_child(abs, w->abs)) {
                ev = abs;
            } else if (recursive && xs_is_child(w->abs, abs)) {
                ev = w->abs;
            } else {
                continue;
            }
            ev += w->rel_off;
            xs_queue2(c, XS_WATCH_EVENT, 0, 0, ev, (uint32_t)strlen(ev) + 1, w->token,
                      (uint32_t)strlen(w->token) + 1, true);
        }
    }
}

/* The canonical form of a watch path into s->path (or the special name itself). */
static int watch_path(struct xs_conn *c, const char *wpath, const char **abs, uint32_t *rel_off)
{
    *rel_off = 0;
    if (wpath[0] == '@') {
        if (strnlen(wpath, XS_QUOTA_PATH + 1) > XS_QUOTA_PATH)
            return XS_EINVAL;
        *abs = wpath;
        return XS_OK;
    }
    *abs = c->s->path;
    return xs_canonical(c->domid, conn_priv(c), wpath, c->s->path, rel_off);
}

int xs_watch_add(struct xs_conn *c, const char *wpath, const char *token)
{
    struct xs_server *s = c->s;
    const char *abs;
    uint32_t rel_off;
    int err = watch_path(c, wpath, &abs, &rel_off);
    if (err)
        return err;
    struct xs_watch **pp = &c->watches;
    for (; *pp; pp = &(*pp)->next)
        if (!strcmp((*pp)->abs, abs) && !strcmp((*pp)->token, token))
            return XS_EEXIST;
    struct xs_domain *d = xs_domain_get(s, c->domid, true);
    if (!d)
        return XS_ENOMEM;
    if (!conn_priv(c) && d->watches > XS_QUOTA_WATCHES) /* xenstored's ">": one more fits */
        return XS_E2BIG;
    size_t lw = strlen(wpath) + 1, lt = strlen(token) + 1, la = strlen(abs) + 1;
    struct xs_watch *w = xs_alloc(s, sizeof(*w) + lw + lt + la);
    if (!w)
        return XS_ENOMEM;
    memcpy(w->wpath, wpath, lw);
    w->token = w->wpath + lw;
    memcpy(w->token, token, lt);
    w->abs = w->token + lt;
    memcpy(w->abs, abs, la);
    w->rel_off = rel_off;
    w->next = NULL;
    *pp = w;
    c->nwatches++;
    d->watches++;
    return XS_OK;
}

int xs_watch_remove(struct xs_conn *c, const char *wpath, const char *token)
{
    const char *abs;
    uint32_t rel_off;
    int err = watch_path(c, wpath, &abs, &rel_off);
    if (err)
        return err;
    for (struct xs_watch **pp = &c->watches; *pp; pp = &(*pp)->next) {
        struct xs_watch *w = *pp;
        if (strcmp(w->abs, abs) || strcmp(w->token, token))
            continue;
        *pp = w->next;
        xs_free(c->s, w);
        c->nwatches--;
        xs_domain_get(c->s, c->domid, false)->watches--;
        return XS_OK;
    }
    return XS_ENOENT;
}

void xs_watches_free(struct xs_conn *c)
{
    struct xs_domain *d = xs_domain_get(c->s, c->domid, false);
    while (c->watches) {
        struct xs_watch *w = c->watches;
        c->watches = w->next;
        xs_free(c->s, w);
    }
    if (d)
        d->watches -= c->nwatches;
    c->nwatches = 0;
}
