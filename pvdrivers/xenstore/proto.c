/*
 * The wire protocol: connections, message framing in both directions (any split),
 * argument parsing, dispatch of each request type, and the replies.
 */
#include "xs_internal.h"

_Static_assert(XS_ERR_COUNT == 17, "Xen's xsd_errors table has 16 names");

static const char *const err_names[XS_ERR_COUNT] = {
    [XS_EINVAL] = "EINVAL", [XS_EACCES] = "EACCES",       [XS_EEXIST] = "EEXIST",
    [XS_EISDIR] = "EISDIR", [XS_ENOENT] = "ENOENT",       [XS_ENOMEM] = "ENOMEM",
    [XS_ENOSPC] = "ENOSPC", [XS_EIO] = "EIO",             [XS_ENOTEMPTY] = "ENOTEMPTY",
    [XS_ENOSYS] = "ENOSYS", [XS_EROFS] = "EROFS",         [XS_EBUSY] = "EBUSY",
    [XS_EAGAIN] = "EAGAIN", [XS_EISCONN] = "EISCONN",     [XS_E2BIG] = "E2BIG",
    [XS_EPERM] = "EPERM",
};

const char *xs_err_name(int err)
{
    return err > 0 && err < XS_ERR_COUNT ? err_names[err] : NULL;
}

/* ---- server and connections ---- */

struct xs_server *xs_server_create(const struct xs_env *env)
{
    struct xs_server *s = env->alloc(sizeof(*s));
    if (!s)
        return NULL;
    memset(s, 0, offsetof(struct xs_server, path)); /* not the scratch buffers */
    s->env = *env;
    s->next_gen = 1;
    if (xs_tree_init(s, &s->live)) {
        env->free(s);
        return NULL;
    }
    return s;
}

void xs_server_destroy(struct xs_server *s)
{
    while (s->conns)
        xs_conn_destroy(s->conns);
    xs_tree_free(s, &s->live);
    xs_domains_free(s);
    s->env.free(s);
}

struct xs_conn *xs_conn_create(struct xs_server *s, uint16_t domid, void *opaque)
{
    for (struct xs_conn *o = s->conns; o; o = o->next)
        if (domid && o->domid == domid)
            return NULL;
    struct xs_conn *c = xs_alloc(s, sizeof(*c));
    if (!c)
        return NULL;
    memset(c, 0, offsetof(struct xs_conn, in_buf)); /* not the input buffer */
    c->s = s;
    c->domid = domid;
    c->opaque = opaque;
    c->next_txn_id = 1;
    c->next = s->conns;
    if (s->conns)
        s->conns->prev = c;
    s->conns = c;
    return c;
}

void xs_conn_destroy(struct xs_conn *c)
{
    struct xs_server *s = c->s;
    xs_watches_free(c);
    xs_txns_free(c);
    while (c->out) {
        struct xs_msg *m = c->out;
        c->out = m->next;
        xs_free(s, m);
    }
    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    xs_free(s, c);
}

uint16_t xs_conn_domid(const struct xs_conn *c)
{
    return c->domid;
}

/* ---- output ---- */

int xs_queue2(struct xs_conn *c, uint32_t type, uint32_t req_id, uint32_t tx_id,
              const void *p1, uint32_t l1, const void *p2, uint32_t l2, bool event)
{
    struct xs_server *s = c->s;
    uint32_t len = l1 + l2;
    if (event && (len > XENSTORE_PAYLOAD_MAX || c->nevents >= XS_CONN_EVENTS_MAX)) {
        c->events_dropped++; /* xenstored drops oversized events; we also drop at the cap */
        return XS_ENOSPC;
    }
    struct xs_msg *m = xs_alloc(s, sizeof(*m) + sizeof(struct xsd_sockmsg) + len);
    if (!m) {
        c->events_dropped += event;
        return XS_ENOMEM;
    }
    struct xsd_sockmsg h = { .type = type, .req_id = req_id, .tx_id = tx_id, .len = len };
    memcpy(m->data, &h, sizeof(h));
    if (l1)
        memcpy(m->data + sizeof(h), p1, l1);
    if (l2)
        memcpy(m->data + sizeof(h) + l1, p2, l2);
    m->len = (uint32_t)sizeof(h) + len;
    m->off = 0;
    m->event = event;
    m->next = NULL;
    if (c->out_last)
        c->out_last->next = m;
    else
        c->out = m;
    c->out_last = m;
    if (event)
        c->nevents++;
    else
        c->nreplies++;
    if (s->env.kick)
        s->env.kick(c->opaque);
    return XS_OK;
}

size_t xs_conn_output(struct xs_conn *c, void *buf, size_t max)
{
    size_t done = 0;
    while (c->out && done < max) {
        struct xs_msg *m = c->out;
        size_t n = m->len - m->off;
        if (n > max - done)
            n = max - done;
        memcpy((uint8_t *)buf + done, m->data + m->off, n);
        m->off += (uint32_t)n;
        done += n;
        if (m->off == m->len) {
            c->out = m->next;
            if (!c->out)
                c->out_last = NULL;
            if (m->event)
                c->nevents--;
            else
                c->nreplies--;
            xs_free(c->s, m);
        }
    }
    return done;
}

bool xs_conn_has_output(const struct xs_conn *c)
{
    return c->out != NULL;
}

void xs_conn_stats(const struct xs_conn *c, struct xs_conn_stats *st)
{
    st->replies = c->nreplies;
    st->events = c->nevents;
    st->events_dropped = c->events_dropped;
    st->watches = c->nwatches;
    st->transactions = c->ntxns;
}

uint32_t xs_domain_nodes(const struct xs_server *s, uint16_t domid)
{
    return xs_acct_nodes(&s->live, domid);
}

/* ---- arguments ---- */

/* The payload as exactly one NUL-terminated string, or NULL (xenstored's onearg). */
static const char *onearg(const char *pl, uint32_t len)
{
    if (!len || pl[len - 1] || strlen(pl) != len - 1)
        return NULL;
    return pl;
}

/* Up to n NUL-terminated strings into vec; returns how many the payload holds. */
static uint32_t get_strings(const char *pl, uint32_t len, const char **vec, uint32_t n)
{
    uint32_t count = 0, i = 0;
    while (i < len) {
        size_t l = strnlen(pl + i, len - i);
        if (l == len - i)
            break;
        const char *nul = pl + i + l;
        if (count < n)
            vec[count] = pl + i;
        count++;
        i = (uint32_t)(nul - pl) + 1;
    }
    return count;
}

static bool parse_domid(const char *str, uint16_t *domid)
{
    uint64_t v;
    if (!xs_parse_u64(str, 0xffff, &v))
        return false;
    *domid = (uint16_t)v;
    return true;
}

/* ---- requests ---- */

struct reply {
    const void *p;
    uint32_t len;
};

/* The canonical path of a one-string payload into s->path, and its node (or an error). */
static int path_node(const struct xs_op *op, struct xs_conn *c, const char *arg,
                     struct xs_node **n, unsigned int need)
{
    if (!arg)
        return XS_EINVAL;
    int err = xs_canonical(c->domid, op->priv, arg, c->s->path, NULL);
    if (err)
        return err;
    *n = xs_lookup(op->tree, c->s->path);
    xs_txn_note(op, c->s->path, *n);
    if (!*n)
        return xs_errno_missing(op, c->s->path);
    if ((xs_perm_of((*n)->perms, (*n)->nperms, op->domid, op->priv) & need) != need)
        return XS_EACCES;
    return XS_OK;
}

static int do_write(struct xs_op *op, struct xs_conn *c, const char *pl, uint32_t len)
{
    size_t plen = strnlen(pl, len);
    if (plen == len)
        return XS_EINVAL;
    const char *nul = pl + plen;
    const char *val = nul + 1;
    uint32_t vlen = len - (uint32_t)(val - pl);
    int err = xs_canonical(c->domid, op->priv, pl, c->s->path, NULL);
    if (err)
        return err;
    struct xs_node *n = xs_lookup(op->tree, c->s->path);
    xs_txn_note(op, c->s->path, n);
    if (!n)
        return xs_node_create(op, c->s->path, val, vlen, &n);
    if (!(xs_perm_of(n->perms, n->nperms, op->domid, op->priv) & XS_PERM_WRITE))
        return XS_EACCES;
    return xs_node_set_value(op, n, c->s->path, val, vlen);
}

static int do_mkdir(struct xs_op *op, struct xs_conn *c, const char *arg)
{
    struct xs_node *n;
    int err = path_node(op, c, arg, &n, XS_PERM_WRITE);
    if (err == XS_ENOENT)
        return xs_node_create(op, c->s->path, NULL, 0, &n);
    return err;
}

static int do_rm(struct xs_op *op, struct xs_conn *c, const char *arg)
{
    struct xs_node *n;
    int err = path_node(op, c, arg, &n, XS_PERM_WRITE);
    char *path = c->s->path;
    if (err == XS_ENOENT) {
        /* Not there: fine if its parent is. */
        char *slash = path;
        for (char *p = path; *p; p++)
            if (*p == '/')
                slash = p;
        if (slash == path)
            slash++;
        *slash = '\0';
        struct xs_node *parent = xs_lookup(op->tree, path);
        xs_txn_note(op, path, parent);
        return parent ? XS_OK : XS_ENOENT;
    }
    if (err)
        return err;
    if (!n->parent)
        return XS_EINVAL;
    return xs_node_remove(op, n, path);
}

static int do_directory(struct xs_op *op, struct xs_conn *c, const char *arg, struct reply *r)
{
    struct xs_node *n;
    int err = path_node(op, c, arg, &n, XS_PERM_READ);
    if (err)
        return err;
    if (n->childlen > XENSTORE_PAYLOAD_MAX)
        return XS_E2BIG;
    uint8_t *out = c->s->reply;
    for (struct xs_node *ch = n->child; ch; ch = ch->next) {
        memcpy(out, ch->name, ch->namelen + 1);
        out += ch->namelen + 1;
    }
    r->p = c->s->reply;
    r->len = n->childlen;
    return XS_OK;
}

static int do_directory_part(struct xs_op *op, struct xs_conn *c, const char *pl, uint32_t len,
                             struct reply *r)
{
    const char *vec[2];
    uint64_t off;
    struct xs_node *n;
    if (get_strings(pl, len, vec, 2) != 2 || pl[len - 1] || !xs_parse_u64(vec[1], UINT32_MAX, &off))
        return XS_EINVAL;
    int err = path_node(op, c, vec[0], &n, XS_PERM_READ);
    if (err)
        return err;
    char *out = (char *)c->s->reply;
    uint32_t used = xs_u32_str(out, n->gen) + 1;
    r->p = out;
    if (off >= n->childlen) {
        out[used++] = '\0'; /* past the end: an empty list */
        r->len = used;
        return XS_OK;
    }
    uint32_t pos = 0;
    struct xs_node *ch = n->child;
    for (; ch && pos + ch->namelen + 1 <= off; ch = ch->next)
        pos += ch->namelen + 1;
    uint32_t skip = (uint32_t)off - pos; /* inside a name: its tail, as xenstored */
    for (; ch; ch = ch->next, skip = 0) {
        uint32_t l = ch->namelen + 1 - skip;
        if (used + l > XENSTORE_PAYLOAD_MAX)
            break;
        memcpy(out + used, ch->name + skip, l);
        used += l;
    }
    if (!ch && used < XENSTORE_PAYLOAD_MAX)
        out[used++] = '\0'; /* the end of the list */
    r->len = used;
    return XS_OK;
}

static int do_get_perms(struct xs_op *op, struct xs_conn *c, const char *arg, struct reply *r)
{
    struct xs_node *n;
    int err = path_node(op, c, arg, &n, XS_PERM_READ);
    if (err)
        return err;
    static const char letters[4] = { 'n', 'r', 'w', 'b' };
    char *out = (char *)c->s->reply;
    uint32_t used = 0;
    for (uint32_t i = 0; i < n->nperms; i++) {
        if (used + 7 > XENSTORE_PAYLOAD_MAX)
            return XS_E2BIG;
        out[used++] = letters[n->perms[i].mode & 3];
        used += xs_u32_str(out + used, n->perms[i].domid) + 1;
    }
    r->p = out;
    r->len = used;
    return XS_OK;
}

static int do_set_perms(struct xs_op *op, struct xs_conn *c, const char *pl, uint32_t len)
{
    const char *path = NULL;
    uint32_t np = get_strings(pl, len, &path, 1);
    if (np < 2)
        return XS_EINVAL;
    np--;
    if (!op->priv && np > XS_QUOTA_PERMS)
        return XS_ENOSPC;
    struct xs_perm *p = xs_alloc(c->s, np * sizeof(*p));
    if (!p)
        return XS_ENOMEM;
    const char *str = path + strlen(path) + 1;
    int err = XS_OK;
    for (uint32_t i = 0; i < np && !err; i++, str += strlen(str) + 1) {
        static const char letters[] = "nrwb";
        const char *l = str[0] ? strchr(letters, str[0]) : NULL;
        if (!l || !parse_domid(str + 1, &p[i].domid))
            err = XS_EINVAL;
        else
            p[i].mode = (uint8_t)(l - letters);
    }
    struct xs_node *n;
    if (!err)
        err = path_node(op, c, path, &n, 0);
    if (!err && !op->priv && n->perms[0].domid != op->domid)
        err = XS_EACCES;
    if (!err && !op->priv && p[0].domid != n->perms[0].domid)
        err = XS_EPERM; /* unprivileged domains cannot give nodes away */
    if (!err)
        err = xs_node_set_perms(op, n, c->s->path, p, np);
    xs_free(c->s, p);
    return err;
}

static int do_transaction_start(struct xs_conn *c, const struct xsd_sockmsg *h, struct reply *r)
{
    uint32_t id;
    if (h->tx_id)
        return xs_txn_find(c, h->tx_id) ? XS_EBUSY : XS_ENOENT;
    int err = xs_txn_start(c, &id);
    if (err)
        return err;
    r->p = c->s->reply;
    r->len = xs_u32_str((char *)c->s->reply, id) + 1;
    return XS_OK;
}

static int do_transaction_end(struct xs_conn *c, const struct xsd_sockmsg *h, const char *arg)
{
    struct xs_txn *t = h->tx_id ? xs_txn_find(c, h->tx_id) : NULL;
    if (h->tx_id && !t)
        return XS_ENOENT;
    if (!arg || (strcmp(arg, "T") && strcmp(arg, "F")))
        return XS_EINVAL;
    if (!t)
        return XS_ENOENT;
    return xs_txn_end(c, t, arg[0] == 'T');
}

static int do_introduce(struct xs_conn *c, const char *pl, uint32_t len)
{
    const char *vec[3];
    uint16_t domid;
    uint64_t mfn, port;
    if (get_strings(pl, len, vec, 3) < 3 || !parse_domid(vec[0], &domid) ||
        !xs_parse_u64(vec[1], UINT64_MAX, &mfn) || !xs_parse_u64(vec[2], UINT32_MAX, &port))
        return XS_EINVAL;
    return xs_do_introduce(c->s, domid, mfn, (uint32_t)port);
}

/* Handles one request; on success *r is the reply payload. */
static int handle(struct xs_conn *c, const struct xsd_sockmsg *h, const char *pl,
                  struct reply *r, bool *watch_added)
{
    struct xs_server *s = c->s;
    uint32_t len = h->len;
    bool priv = c->domid == 0;
    struct xs_op op = { .s = s, .tree = &s->live, .txn = NULL, .domid = c->domid, .priv = priv };
    const char *arg = onearg(pl, len), *vec[2];
    uint16_t domid;

    switch (h->type) {
    case XS_READ: case XS_WRITE: case XS_MKDIR: case XS_RM: case XS_DIRECTORY:
    case XS_DIRECTORY_PART: case XS_GET_PERMS: case XS_SET_PERMS:
        if (h->tx_id) {
            op.txn = xs_txn_find(c, h->tx_id);
            if (!op.txn)
                return XS_ENOENT;
            op.tree = &op.txn->tree;
        }
        break;
    case XS_CONTROL: case XS_INTRODUCE: case XS_RELEASE: case XS_RESUME: case XS_SET_TARGET:
        if (!priv)
            return XS_EACCES;
        break;
    default:
        break;
    }

    switch (h->type) {
    case XS_READ: {
        struct xs_node *n;
        int err = path_node(&op, c, arg, &n, XS_PERM_READ);
        if (!err) {
            r->p = n->value;
            r->len = n->vlen;
        }
        return err;
    }
    case XS_WRITE:
        return do_write(&op, c, pl, len);
    case XS_MKDIR:
        return do_mkdir(&op, c, arg);
    case XS_RM:
        return do_rm(&op, c, arg);
    case XS_DIRECTORY:
        return do_directory(&op, c, arg, r);
    case XS_DIRECTORY_PART:
        return do_directory_part(&op, c, pl, len, r);
    case XS_GET_PERMS:
        return do_get_perms(&op, c, arg, r);
    case XS_SET_PERMS:
        return do_set_perms(&op, c, pl, len);
    case XS_WATCH:
    case XS_UNWATCH: {
        if (get_strings(pl, len, vec, 2) < 2)
            return XS_EINVAL;
        if (h->type == XS_UNWATCH)
            return xs_watch_remove(c, vec[0], vec[1]);
        int err = xs_watch_add(c, vec[0], vec[1]);
        *watch_added = !err;
        return err;
    }
    case XS_TRANSACTION_START:
        return do_transaction_start(c, h, r);
    case XS_TRANSACTION_END:
        return do_transaction_end(c, h, arg);
    case XS_INTRODUCE:
        return do_introduce(c, pl, len);
    case XS_RELEASE:
        if (!arg || !parse_domid(arg, &domid))
            return XS_EINVAL;
        return xs_do_release(s, domid);
    case XS_RESUME:
        if (!arg || !parse_domid(arg, &domid))
            return XS_EINVAL;
        return domid && xs_domain_introduced(s, domid) ? XS_OK : XS_ENOENT;
    case XS_SET_TARGET:
        if (get_strings(pl, len, vec, 2) < 2 || !parse_domid(vec[0], &domid) ||
            !parse_domid(vec[1], &domid))
            return XS_EINVAL;
        return XS_ENOSYS; /* not implemented: no device models with targets here */
    case XS_GET_DOMAIN_PATH: {
        if (!arg || !parse_domid(arg, &domid))
            return XS_EINVAL;
        char *out = (char *)s->reply;
        memcpy(out, "/local/domain/", 14);
        r->p = out;
        r->len = 14 + xs_u32_str(out + 14, domid) + 1;
        return XS_OK;
    }
    case XS_IS_DOMAIN_INTRODUCED:
        if (!arg || !parse_domid(arg, &domid))
            return XS_EINVAL;
        if (domid == XS_DOMID_SELF)
            domid = c->domid;
        r->p = xs_domain_introduced(s, domid) ? "T" : "F";
        r->len = 2;
        return XS_OK;
    case XS_RESET_WATCHES:
        xs_watches_free(c);
        xs_txns_free(c);
        return XS_OK;
    case XS_CONTROL:
        if (get_strings(pl, len, vec, 1) < 1)
            return XS_EINVAL;
        if (!strcmp(vec[0], "check"))
            return xs_server_check(s) ? XS_EIO : XS_OK;
        if (!strcmp(vec[0], "help")) {
            r->p = "check\nhelp\n";
            r->len = 12;
            return XS_OK;
        }
        return XS_EINVAL;
    default: /* WATCH_EVENT, ERROR, RESTRICT, the 4.18 quota/feature types, unknown */
        return XS_EINVAL;
    }
}

static void process(struct xs_conn *c)
{
    struct xsd_sockmsg h;
    memcpy(&h, c->in_buf, sizeof(h));
    const char *pl = (const char *)c->in_buf + sizeof(h);
    struct reply r = { "OK", 3 };
    bool watch_added = false;
    int err = handle(c, &h, pl, &r, &watch_added);
    if (!err && r.len > XENSTORE_PAYLOAD_MAX)
        err = XS_E2BIG;
    if (!err)
        err = xs_queue2(c, h.type, h.req_id, h.tx_id, r.p, r.len, NULL, 0, false);
    if (err) {
        const char *name = xs_err_name(err);
        if (xs_queue2(c, XS_ERROR, h.req_id, h.tx_id, name, (uint32_t)strlen(name) + 1, NULL, 0,
                      false))
            c->broken = true; /* cannot even say ENOMEM: the peer would wait forever */
    }
    if (watch_added) { /* fired once at registration, after the reply */
        const char *vec[2];
        get_strings(pl, h.len, vec, 2);
        xs_queue2(c, XS_WATCH_EVENT, 0, 0, vec[0], (uint32_t)strlen(vec[0]) + 1, vec[1],
                  (uint32_t)strlen(vec[1]) + 1, true);
    }
}

int xs_conn_input(struct xs_conn *c, const void *bytes, size_t len)
{
    const uint8_t *in = bytes;
    size_t used = 0;
    const size_t hdr = sizeof(struct xsd_sockmsg);
    if (len > 0x7fffffff)
        len = 0x7fffffff;
    while (used < len && !c->broken && c->nreplies < XS_CONN_REPLIES_MAX) {
        size_t want;
        if (c->in_have < hdr) {
            want = hdr - c->in_have;
        } else {
            struct xsd_sockmsg h;
            memcpy(&h, c->in_buf, hdr);
            want = hdr + h.len - c->in_have;
        }
        if (want > len - used)
            want = len - used;
        memcpy(c->in_buf + c->in_have, in + used, want);
        c->in_have += (uint32_t)want;
        used += want;
        if (c->in_have < hdr)
            continue;
        struct xsd_sockmsg h;
        memcpy(&h, c->in_buf, hdr);
        if (h.len > XENSTORE_PAYLOAD_MAX) {
            c->broken = true;
            break;
        }
        if (c->in_have == hdr + h.len) {
            process(c);
            c->in_have = 0;
        }
    }
    return c->broken ? XS_CONN_BROKEN : (int)used;
}
