/*
 * Domains as xenstored knows them: introduced or not, their watch counts, the
 * INTRODUCE / RELEASE requests with their special watches, and xl's standard keys.
 */
#include "xs_internal.h"

#define DOMID_FIRST_RESERVED 0x7ff0u

static const struct xs_perm special_perms = { 0, XS_PERM_NONE }; /* only dom0 sees them */

struct xs_domain *xs_domain_get(struct xs_server *s, uint16_t domid, bool create)
{
    for (struct xs_domain *d = s->domains; d; d = d->next)
        if (d->domid == domid)
            return d;
    if (!create)
        return NULL;
    struct xs_domain *d = xs_alloc(s, sizeof(*d));
    if (!d)
        return NULL;
    memset(d, 0, sizeof(*d));
    d->domid = domid;
    d->next = s->domains;
    s->domains = d;
    return d;
}

void xs_domains_free(struct xs_server *s)
{
    while (s->domains) {
        struct xs_domain *d = s->domains;
        s->domains = d->next;
        xs_free(s, d);
    }
}

bool xs_domain_introduced(struct xs_server *s, uint16_t domid)
{
    struct xs_domain *d = xs_domain_get(s, domid, false);
    return domid == 0 || (d && d->introduced);
}

int xs_do_introduce(struct xs_server *s, uint16_t domid, uint64_t mfn, uint32_t port)
{
    if (domid == 0 || domid >= DOMID_FIRST_RESERVED)
        return XS_EINVAL;
    struct xs_domain *d = xs_domain_get(s, domid, true);
    if (!d)
        return XS_ENOMEM;
    if (d->introduced)
        return XS_OK;
    if (s->env.introduce) {
        int err = s->env.introduce(s->env.ctx, domid, mfn, port);
        if (err)
            return err > 0 && err < XS_ERR_COUNT ? err : XS_EINVAL;
    }
    d->introduced = true;
    xs_fire(s, "@introduceDomain", false, &special_perms, 1);
    return XS_OK;
}

int xs_do_release(struct xs_server *s, uint16_t domid)
{
    if (domid == 0 || domid >= DOMID_FIRST_RESERVED)
        return XS_EINVAL;
    struct xs_domain *d = xs_domain_get(s, domid, false);
    if (!d || !d->introduced)
        return XS_ENOENT;
    d->introduced = false;
    xs_fire(s, "@releaseDomain", false, &special_perms, 1);
    if (s->env.release)
        s->env.release(s->env.ctx, domid);
    return XS_OK;
}

void xs_domain_gone(struct xs_server *s, uint16_t domid)
{
    struct xs_domain *d = xs_domain_get(s, domid, false);
    if (d)
        d->introduced = false;
    xs_fire(s, "@releaseDomain", false, &special_perms, 1);
}

/* Creates or overwrites path (under base) with value and perms, as dom0. */
static int setup_key(struct xs_op *op, const char *base, const char *key, const char *value,
                     const struct xs_perm *p, uint32_t np)
{
    char *path = op->s->path;
    size_t bl = strlen(base), kl = strlen(key);
    memcpy(path, base, bl);
    memcpy(path + bl, key, kl + 1);
    uint32_t vlen = (uint32_t)strlen(value);
    struct xs_node *n = xs_lookup(op->tree, path);
    int err;
    if (n)
        err = xs_node_set_value(op, n, path, value, vlen);
    else
        err = xs_node_create(op, path, value, vlen, &n);
    if (err)
        return err;
    bool same = n->nperms == np;
    for (uint32_t i = 0; same && i < np; i++) /* field by field: the struct has padding */
        same = n->perms[i].domid == p[i].domid && n->perms[i].mode == p[i].mode;
    return same ? XS_OK : xs_node_set_perms(op, n, path, p, np); /* often inherited already */
}

int xs_domain_setup(struct xs_server *s, uint16_t domid, const char *name)
{
    char base[32], id[8];
    struct xs_op op = { .s = s, .tree = &s->live, .domid = 0, .priv = true };
    if (strnlen(name, XENSTORE_PAYLOAD_MAX) >= XENSTORE_PAYLOAD_MAX)
        return XS_EINVAL;
    memcpy(base, "/local/domain/", 14);
    xs_u32_str(base + 14, domid);
    xs_u32_str(id, domid);
    const struct xs_perm ro[2] = { { 0, XS_PERM_NONE }, { domid, XS_PERM_READ } };
    const struct xs_perm rw[1] = { { domid, XS_PERM_NONE } };
    static const struct {
        const char *key;
        bool rw;
    } keys[] = {
        { "", false },        { "/name", false },    { "/domid", false },
        { "/device", false }, { "/control", false }, { "/control/shutdown", true },
        { "/data", true },    { "/memory", false },  { "/console", false },
    };
    for (unsigned int i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        const char *v = i == 1 ? name : i == 2 ? id : "";
        int err = setup_key(&op, base, keys[i].key, v, keys[i].rw ? rw : ro, keys[i].rw ? 1 : 2);
        if (err)
            return err;
    }
    return XS_OK;
}
