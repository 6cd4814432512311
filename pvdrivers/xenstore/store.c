/*
 * The xenstore tree: path rules, lookup, node creation/removal with xenstored's
 * permission inheritance, per-domain node accounting and quotas, tree copies.
 */
#include "xs_internal.h"

void *xs_alloc(struct xs_server *s, size_t n)
{
    return s->env.alloc(n);
}

void xs_free(struct xs_server *s, void *p)
{
    if (p)
        s->env.free(p);
}

uint32_t xs_u32_str(char *buf, uint64_t v)
{
    char tmp[24];
    uint32_t n = 0, i;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (i = 0; i < n; i++)
        buf[i] = tmp[n - 1 - i];
    buf[n] = '\0';
    return n;
}

bool xs_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    if (!*s)
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        unsigned int d = (unsigned int)(*s - '0');
        if (v > (max - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

static bool path_char_ok(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '-' || ch == '/' || ch == '_' || ch == '@';
}

/* Bytes of a leading "/local/domain/<up to 5 digits>/", 0 if the path has none. */
static uint32_t local_prefix(const char *p)
{
    static const char pre[] = "/local/domain/";
    uint32_t i = sizeof(pre) - 1, digits = 0;
    if (strncmp(p, pre, i))
        return 0;
    while (p[i] >= '0' && p[i] <= '9' && digits < 5) {
        i++;
        digits++;
    }
    return digits && p[i] == '/' ? i + 1 : 0;
}

int xs_canonical(uint16_t domid, bool priv, const char *in, char *out, uint32_t *rel_off)
{
    uint32_t len = 0, off = 0;
    if (in[0] != '/') {
        static const char pre[] = "/local/domain/";
        memcpy(out, pre, sizeof(pre) - 1);
        off = sizeof(pre) - 1;
        off += xs_u32_str(out + off, domid);
        out[off++] = '/';
    }
    size_t inlen = strnlen(in, XENSTORE_ABS_PATH_MAX + 1);
    if (off + inlen > XENSTORE_ABS_PATH_MAX)
        return XS_EINVAL;
    memcpy(out + off, in, inlen + 1);
    len = off + (uint32_t)inlen;
    if (rel_off)
        *rel_off = off;
    if (out[0] != '/')
        return XS_EINVAL;
    for (uint32_t i = 0; i < len; i++) {
        if (!path_char_ok(out[i]))
            return XS_EINVAL;
        if (out[i] == '/' && (out[i + 1] == '/' || (out[i + 1] == '\0' && len > 1)))
            return XS_EINVAL;
    }
    if (!priv && len - local_prefix(out) > XS_QUOTA_PATH)
        return XS_EINVAL;
    return XS_OK;
}

bool xs_is_child(const char *child, const char *parent)
{
    size_t n = strlen(parent);
    if (n == 1 && parent[0] == '/')
        return true;
    return !strncmp(child, parent, n) && (child[n] == '/' || child[n] == '\0');
}

static struct xs_node *find_child(const struct xs_node *n, const char *name, size_t len)
{
    for (struct xs_node *c = n->child; c; c = c->next)
        if (c->namelen == len && !memcmp(c->name, name, len))
            return c;
    return NULL;
}

/* The deepest existing node on abs's path; *rest: the first missing component or "". */
static struct xs_node *deepest(const struct xs_tree *t, const char *abs, const char **rest)
{
    struct xs_node *n = t->root;
    const char *p = abs + 1;
    while (*p) {
        const char *e = strchr(p, '/');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        struct xs_node *c = find_child(n, p, len);
        if (!c)
            break;
        n = c;
        p += len;
        if (*p == '/')
            p++;
    }
    *rest = p;
    return n;
}

struct xs_node *xs_lookup(const struct xs_tree *t, const char *abs)
{
    const char *rest;
    struct xs_node *n = deepest(t, abs, &rest);
    return *rest ? NULL : n;
}

unsigned int xs_perm_of(const struct xs_perm *p, uint32_t n, uint16_t domid, bool priv)
{
    if (priv || p[0].domid == domid)
        return XS_PERM_BOTH;
    for (uint32_t i = 1; i < n; i++)
        if (p[i].domid == domid)
            return p[i].mode;
    return p[0].mode;
}

int xs_errno_missing(const struct xs_op *op, const char *abs)
{
    const char *rest;
    struct xs_node *n = deepest(op->tree, abs, &rest);
    return xs_perm_of(n->perms, n->nperms, op->domid, op->priv) & XS_PERM_READ ? XS_ENOENT
                                                                               : XS_EACCES;
}

/* ---- accounting ---- */

static struct xs_acct *acct_find(const struct xs_tree *t, uint16_t domid)
{
    for (struct xs_acct *a = t->acct; a; a = a->next)
        if (a->domid == domid)
            return a;
    return NULL;
}

uint32_t xs_acct_nodes(const struct xs_tree *t, uint16_t domid)
{
    struct xs_acct *a = acct_find(t, domid);
    return a ? a->nodes : 0;
}

/* Makes sure domid has an entry, so that acct_adjust cannot fail. */
static int acct_reserve(struct xs_server *s, struct xs_tree *t, uint16_t domid)
{
    if (acct_find(t, domid))
        return XS_OK;
    struct xs_acct *a = xs_alloc(s, sizeof(*a));
    if (!a)
        return XS_ENOMEM;
    a->domid = domid;
    a->nodes = 0;
    a->next = t->acct;
    t->acct = a;
    return XS_OK;
}

/* Adds delta to domid's count (reserved first); frees an entry that drops to 0. */
static void acct_adjust(struct xs_server *s, struct xs_tree *t, uint16_t domid, int32_t delta)
{
    for (struct xs_acct **pp = &t->acct; *pp; pp = &(*pp)->next) {
        struct xs_acct *a = *pp;
        if (a->domid != domid)
            continue;
        a->nodes = (uint32_t)((int64_t)a->nodes + delta);
        if (!a->nodes) {
            *pp = a->next;
            xs_free(s, a);
        }
        return;
    }
}

/* ---- nodes ---- */

/* A write to the live tree (counted for transactions whose accesses overflowed). */
static void modified(struct xs_op *op)
{
    if (op->tree == &op->s->live)
        op->s->commits++;
}

static void node_free(struct xs_server *s, struct xs_node *n)
{
    xs_free(s, n->value);
    xs_free(s, n->perms);
    xs_free(s, n);
}

static struct xs_node *node_new(struct xs_server *s, const char *name, size_t namelen,
                                const struct xs_perm *p, uint32_t np, const void *val,
                                uint32_t vlen)
{
    struct xs_node *n = xs_alloc(s, sizeof(*n) + namelen + 1);
    if (!n)
        return NULL;
    memset(n, 0, sizeof(*n));
    memcpy(n->name, name, namelen);
    n->name[namelen] = '\0';
    n->namelen = (uint32_t)namelen;
    n->perms = xs_alloc(s, np * sizeof(*p));
    n->value = vlen ? xs_alloc(s, vlen) : NULL;
    if (!n->perms || (vlen && !n->value)) {
        node_free(s, n);
        return NULL;
    }
    memcpy(n->perms, p, np * sizeof(*p));
    n->nperms = np;
    if (vlen)
        memcpy(n->value, val, vlen);
    n->vlen = vlen;
    n->gen = s->next_gen++;
    return n;
}

/* Appends c to p's children without touching p's byte count or generation. */
static void link_child(struct xs_node *p, struct xs_node *c)
{
    c->parent = p;
    c->next = NULL;
    c->prev = p->last;
    if (p->last)
        p->last->next = c;
    else
        p->child = c;
    p->last = c;
}

static void unlink_child(struct xs_node *c)
{
    struct xs_node *p = c->parent;
    if (c->prev)
        c->prev->next = c->next;
    else
        p->child = c->next;
    if (c->next)
        c->next->prev = c->prev;
    else
        p->last = c->prev;
    c->parent = c->next = c->prev = NULL;
}

/* Frees a detached subtree without recursion; counts its nodes off t (if t). */
static void subtree_free(struct xs_server *s, struct xs_tree *t, struct xs_node *top)
{
    struct xs_node *n = top;
    while (n) {
        if (n->child) {
            n = n->child;
            continue;
        }
        struct xs_node *p = n == top ? NULL : n->parent;
        if (p) {
            p->child = n->next;
            if (n->next)
                n->next->prev = NULL;
            else
                p->last = NULL;
        }
        if (t)
            acct_adjust(s, t, n->perms[0].domid, -1);
        node_free(s, n);
        n = p;
    }
}

static uint32_t record_size(uint32_t nperms, uint32_t vlen, uint32_t childlen)
{
    return 24 + 8 * nperms + vlen + childlen;
}

int xs_node_create(struct xs_op *op, const char *abs, const void *val, uint32_t vlen,
                   struct xs_node **out)
{
    struct xs_server *s = op->s;
    const char *rest;
    struct xs_node *d = deepest(op->tree, abs, &rest);
    if (!*rest) {
        *out = d;
        return XS_EEXIST;
    }
    if (op->txn) {
        /* The transaction depends on d's children and on every node it makes being absent. */
        char path[XS_PATH_BUF];
        size_t dlen = rest - abs > 1 ? (size_t)(rest - abs - 1) : 1;
        memcpy(path, abs, dlen);
        path[dlen] = '\0';
        xs_txn_note(op, path, d);
        for (const char *e = rest; *e; e++) {
            if (e[1] == '/' || !e[1]) {
                size_t len = (size_t)(e + 1 - abs);
                memcpy(path, abs, len);
                path[len] = '\0';
                xs_txn_note(op, path, NULL);
            }
        }
    }
    if (!(xs_perm_of(d->perms, d->nperms, op->domid, op->priv) & XS_PERM_WRITE))
        return XS_EACCES;
    uint32_t k = 1;
    for (const char *p = rest; *p; p++)
        k += *p == '/';
    uint32_t np = d->nperms;
    uint16_t owner = op->priv ? d->perms[0].domid : op->domid;
    if (!op->priv) {
        if (xs_acct_nodes(op->tree, owner) + k > XS_QUOTA_NODES)
            return XS_ENOSPC;
        if (record_size(np, vlen, 0) >= XS_QUOTA_NODE_SIZE)
            return XS_ENOSPC;
    }
    struct xs_perm *pp = d->perms, *tmp = NULL;
    if (!op->priv) { /* unprivileged domains own what they create */
        if (!(tmp = xs_alloc(s, np * sizeof(*tmp))))
            return XS_ENOMEM;
        memcpy(tmp, d->perms, np * sizeof(*tmp));
        tmp[0].domid = owner;
        pp = tmp;
    }
    int err = acct_reserve(s, op->tree, owner);
    if (!err && (err = xs_changed(op, abs, false, pp, np)))
        acct_adjust(s, op->tree, owner, 0);
    if (err) {
        xs_free(s, tmp);
        return err;
    }
    /* Build the missing chain detached, then link its top under d. */
    struct xs_node *top = NULL, *cur = NULL;
    const char *p = rest;
    while (*p) {
        const char *e = strchr(p, '/');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        bool last = !e;
        struct xs_node *n = node_new(s, p, len, pp, np, last ? val : NULL, last ? vlen : 0);
        if (!n) {
            if (top)
                subtree_free(s, NULL, top);
            acct_adjust(s, op->tree, owner, 0);
            xs_free(s, tmp);
            return XS_ENOMEM;
        }
        if (cur) {
            link_child(cur, n);
            cur->childlen = (uint32_t)len + 1;
        } else {
            top = n;
        }
        cur = n;
        p += len;
        if (*p == '/')
            p++;
    }
    link_child(d, top);
    d->childlen += top->namelen + 1;
    d->gen = s->next_gen++;
    acct_adjust(s, op->tree, owner, (int32_t)k);
    xs_free(s, tmp);
    modified(op);
    *out = cur;
    return XS_OK;
}

int xs_node_set_value(struct xs_op *op, struct xs_node *n, const char *abs, const void *val,
                      uint32_t vlen)
{
    struct xs_server *s = op->s;
    if (!op->priv && record_size(n->nperms, vlen, n->childlen) >= XS_QUOTA_NODE_SIZE)
        return XS_ENOSPC;
    uint8_t *v = NULL;
    if (vlen && !(v = xs_alloc(s, vlen)))
        return XS_ENOMEM;
    int err = xs_changed(op, abs, false, n->perms, n->nperms);
    if (err) {
        xs_free(s, v);
        return err;
    }
    if (vlen)
        memcpy(v, val, vlen);
    xs_free(s, n->value);
    n->value = v;
    n->vlen = vlen;
    n->gen = s->next_gen++;
    modified(op);
    return XS_OK;
}

int xs_node_set_perms(struct xs_op *op, struct xs_node *n, const char *abs,
                      const struct xs_perm *p, uint32_t np)
{
    struct xs_server *s = op->s;
    if (!op->priv && record_size(np, n->vlen, n->childlen) >= XS_QUOTA_NODE_SIZE)
        return XS_ENOSPC;
    int err = acct_reserve(s, op->tree, p[0].domid);
    if (err)
        return err;
    struct xs_perm *np_ = xs_alloc(s, np * sizeof(*p));
    if (!np_ || (err = xs_changed(op, abs, false, p, np))) {
        xs_free(s, np_);
        acct_adjust(s, op->tree, p[0].domid, 0);
        return np_ ? err : XS_ENOMEM;
    }
    memcpy(np_, p, np * sizeof(*p));
    acct_adjust(s, op->tree, p[0].domid, 1);
    acct_adjust(s, op->tree, n->perms[0].domid, -1);
    xs_free(s, n->perms);
    n->perms = np_;
    n->nperms = np;
    n->gen = s->next_gen++;
    modified(op);
    return XS_OK;
}

int xs_node_remove(struct xs_op *op, struct xs_node *n, const char *abs)
{
    struct xs_node *p = n->parent;
    if (op->txn) {
        /* It depends on the parent's children and on every node it removes. */
        char ppath[XS_PATH_BUF];
        size_t plen = strlen(abs) - n->namelen - 1;
        memcpy(ppath, abs, plen ? plen : 1);
        ppath[plen ? plen : 1] = '\0';
        xs_txn_note(op, ppath, p);
        xs_txn_note_subtree(op, abs, n);
    }
    int err = xs_changed(op, abs, true, n->perms, n->nperms);
    if (err)
        return err;
    p->childlen -= n->namelen + 1;
    p->gen = op->s->next_gen++;
    unlink_child(n);
    subtree_free(op->s, op->tree, n);
    modified(op);
    return XS_OK;
}

/* ---- whole trees ---- */

int xs_tree_init(struct xs_server *s, struct xs_tree *t)
{
    static const struct xs_perm n0 = { 0, XS_PERM_NONE };
    t->acct = NULL;
    t->root = node_new(s, "", 0, &n0, 1, NULL, 0);
    if (!t->root || acct_reserve(s, t, 0)) {
        xs_tree_free(s, t);
        return XS_ENOMEM;
    }
    acct_adjust(s, t, 0, 1);
    struct xs_op op = { .s = s, .tree = t, .domid = 0, .priv = true };
    struct xs_node *n;
    static const char *const paths[] = { "/local/domain", "/tool" };
    for (unsigned int i = 0; i < 2; i++) {
        /* No connection exists yet: xs_changed fires to nobody. */
        if (xs_node_create(&op, paths[i], NULL, 0, &n)) {
            xs_tree_free(s, t);
            return XS_ENOMEM;
        }
    }
    return XS_OK;
}

void xs_tree_free(struct xs_server *s, struct xs_tree *t)
{
    if (t->root)
        subtree_free(s, NULL, t->root);
    t->root = NULL;
    while (t->acct) {
        struct xs_acct *a = t->acct;
        t->acct = a->next;
        xs_free(s, a);
    }
}

static struct xs_node *node_dup(struct xs_server *s, const struct xs_node *o)
{
    struct xs_node *n = node_new(s, o->name, o->namelen, o->perms, o->nperms, o->value, o->vlen);
    if (n) {
        n->gen = o->gen;
        n->childlen = o->childlen;
    }
    return n;
}

int xs_tree_copy(struct xs_server *s, const struct xs_tree *from, struct xs_tree *to)
{
    to->root = NULL;
    to->acct = NULL;
    for (const struct xs_acct *a = from->acct; a; a = a->next) {
        struct xs_acct *b = xs_alloc(s, sizeof(*b));
        if (!b)
            goto fail;
        *b = *a;
        b->next = to->acct;
        to->acct = b;
    }
    const struct xs_node *src = from->root, *cs = src;
    struct xs_node *cd = to->root = node_dup(s, src);
    if (!cd)
        goto fail;
    for (;;) {
        if (cs->child) {
            struct xs_node *n = node_dup(s, cs->child);
            if (!n)
                goto fail;
            link_child(cd, n);
            cs = cs->child;
            cd = n;
            continue;
        }
        while (cs != src && !cs->next) {
            cs = cs->parent;
            cd = cd->parent;
        }
        if (cs == src)
            break;
        struct xs_node *n = node_dup(s, cs->next);
        if (!n)
            goto fail;
        link_child(cd->parent, n);
        cs = cs->next;
        cd = n;
    }
    return XS_OK;
fail:
    xs_tree_free(s, to);
    return XS_ENOMEM;
}

/* ---- a transaction's changes carried into another tree (transaction.c's commit) ---- */

/* A copy of o (not its children) for tree t: a fresh generation, its owner counted. */
static struct xs_node *node_copy_into(struct xs_server *s, struct xs_tree *t, const struct xs_node *o)
{
    uint16_t owner = o->perms[0].domid;
    if (acct_reserve(s, t, owner))
        return NULL;
    struct xs_node *n = node_new(s, o->name, o->namelen, o->perms, o->nperms, o->value, o->vlen);
    acct_adjust(s, t, owner, n ? 1 : 0);
    return n;
}

/* Links c as p's last child: p's children list, and so its generation, changes. */
static void adopt(struct xs_server *s, struct xs_node *p, struct xs_node *c)
{
    link_child(p, c);
    p->childlen += c->namelen + 1;
    p->gen = s->next_gen++;
}

/* Copies o's descendants under n (which has none), for tree t. */
static int children_copy_into(struct xs_server *s, struct xs_tree *t, struct xs_node *n, const struct xs_node *o)
{
    const struct xs_node *cs = o;
    struct xs_node *cd = n;
    for (;;) {
        const struct xs_node *next_src;
        struct xs_node *under;
        if (cs->child) {
            next_src = cs->child;
            under = cd;
        } else {
            while (cs != o && !cs->next) {
                cs = cs->parent;
                cd = cd->parent;
            }
            if (cs == o)
                return XS_OK;
            next_src = cs->next;
            under = cd->parent;
        }
        struct xs_node *c = node_copy_into(s, t, next_src);
        if (!c)
            return XS_ENOMEM;
        adopt(s, under, c);
        cs = next_src;
        cd = c;
    }
}

/*
 * Makes dst's node at abs what src's is: its value and permissions, with
 * subtree its whole subtree, or gone when src has none. Missing ancestors
 * come from src too. Every node changed gets a fresh generation, owners
 * stay counted; no watch fires and no quota applies (the caller's business).
 * On XS_ENOMEM dst is left half done: the caller works on a copy.
 */
int xs_tree_sync(struct xs_server *s, struct xs_tree *dst, const struct xs_tree *src, const char *abs, bool subtree)
{
    const struct xs_node *o = xs_lookup(src, abs);
    struct xs_node *n = xs_lookup(dst, abs);
    if (n && n->parent && (!o || subtree)) {
        struct xs_node *p = n->parent;
        p->childlen -= n->namelen + 1;
        p->gen = s->next_gen++;
        unlink_child(n);
        subtree_free(s, dst, n);
        n = NULL;
    }
    if (!o)
        return XS_OK;
    bool fresh = !n;
    if (!n) {
        /* Down from the root, each missing component a copy of src's (which has them all). */
        const struct xs_node *sn = src->root;
        n = dst->root;
        for (const char *p = abs + 1; *p;) {
            const char *e = strchr(p, '/');
            size_t len = e ? (size_t)(e - p) : strlen(p);
            sn = find_child(sn, p, len);
            struct xs_node *c = find_child(n, p, len);
            if (!c) {
                if (!(c = node_copy_into(s, dst, sn)))
                    return XS_ENOMEM;
                adopt(s, n, c);
            }
            n = c;
            p += len;
            if (*p == '/')
                p++;
        }
    }
    if (!fresh) {
        bool same_value = n->vlen == o->vlen && (!o->vlen || !memcmp(n->value, o->value, o->vlen));
        bool same_perms = n->nperms == o->nperms && !memcmp(n->perms, o->perms, o->nperms * sizeof(*o->perms));
        if (!same_value) {
            uint8_t *v = o->vlen ? xs_alloc(s, o->vlen) : NULL;
            if (o->vlen && !v)
                return XS_ENOMEM;
            if (o->vlen)
                memcpy(v, o->value, o->vlen);
            xs_free(s, n->value);
            n->value = v;
            n->vlen = o->vlen;
        }
        if (!same_perms) {
            struct xs_perm *p = xs_alloc(s, o->nperms * sizeof(*p));
            if (!p || acct_reserve(s, dst, o->perms[0].domid)) {
                xs_free(s, p);
                return XS_ENOMEM;
            }
            memcpy(p, o->perms, o->nperms * sizeof(*p));
            acct_adjust(s, dst, o->perms[0].domid, 1);
            acct_adjust(s, dst, n->perms[0].domid, -1);
            xs_free(s, n->perms);
            n->perms = p;
            n->nperms = o->nperms;
        }
        if (!same_value || !same_perms)
            n->gen = s->next_gen++;
    }
    /* A removed subtree made again in the transaction: dst's is gone (above), src's comes whole. */
    return subtree && !n->child ? children_copy_into(s, dst, n, o) : XS_OK;
}
