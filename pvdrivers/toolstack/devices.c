/*
 * Split devices' xenstore directories as xl writes and removes them, for the
 * boot domains' device= options (boot_devices.c) and xl create's vif= and
 * disk= (xl_create.c). The table of what was written is the toolstack's own
 * record (libxl keeps /libxl/<domid>/device for the same purpose): destroy
 * removes what it lists and never follows a path read from the front end's
 * directory, which the guest owns and may have rewritten.
 */
#include <sched.h>
#include <xenbus/xenbus.h>
#include <toolstack/devices.h>

#define KEY_LEN 48

static struct ts_device_info table[TS_MAX_DEVICES];
static bool used[TS_MAX_DEVICES];
/* Each device's back-end keys as written: a restarted back-end domain gets them again (ts_devices_move_back). */
static char bkeys[TS_MAX_DEVICES][TS_MAX_KEYS][2][KEY_LEN];
static struct semaphore table_lock = { 1, WAITQUEUE_INIT(table_lock.wq) };

struct write_args {
    const struct ts_device *d;
    unsigned int slot;                  /* its table entry (and its back-end keys) */
    char fdir[96], bdir[96];
};

/* One node with its value (NULL: a directory) and permissions (owner first). */
static int put(xenbus_tx_t tx, const char *dir, const char *key, const char *value, const char *const *perms)
{
    char path[128];
    snprintf(path, sizeof(path), "%s%s%s", dir, key ? "/" : "", key ? key : "");
    int rc = key ? xenbus_write(tx, path, value) : xenbus_mkdir(tx, path);
    return rc ? rc : xenbus_set_perms(tx, path, perms, 2);
}

static int put_keys(xenbus_tx_t tx, const char *dir, const struct ts_key *k, const char *const *perms)
{
    int rc = 0;
    for (unsigned int i = 0; i < TS_MAX_KEYS && k[i].key && !rc; i++)
        rc = put(tx, dir, k[i].key, k[i].value, perms);
    return rc;
}

/* What both directories say of the pair: the ids, each side's permissions, the first state. */
struct dev_names {
    char f[8], b[8], fown[8], frd[8], bown[8], brd[8], state[4];
    const char *fperms[2], *bperms[2];
};

static void names_of(struct dev_names *n, domid_t front, domid_t back)
{
    snprintf(n->f, sizeof(n->f), "%u", front);
    snprintf(n->b, sizeof(n->b), "%u", back);
    snprintf(n->fown, sizeof(n->fown), "n%u", front);
    snprintf(n->frd, sizeof(n->frd), "r%u", back);
    snprintf(n->bown, sizeof(n->bown), "n%u", back);
    snprintf(n->brd, sizeof(n->brd), "r%u", front);
    snprintf(n->state, sizeof(n->state), "%d", XenbusStateInitialising);
    n->fperms[0] = n->fown, n->fperms[1] = n->frd;
    n->bperms[0] = n->bown, n->bperms[1] = n->brd;
}

/* The back end's directory: frontend, frontend-id, state, and the keys the device was created with (slot's). */
static int put_back_dir(xenbus_tx_t tx, const struct dev_names *n, const char *bdir, const char *fdir,
                        unsigned int slot)
{
    int rc;
    if ((rc = put(tx, bdir, NULL, NULL, n->bperms)) || (rc = put(tx, bdir, "frontend", fdir, n->bperms)) ||
        (rc = put(tx, bdir, "frontend-id", n->f, n->bperms)) || (rc = put(tx, bdir, "state", n->state, n->bperms)))
        return rc;
    for (unsigned int k = 0; k < TS_MAX_KEYS && bkeys[slot][k][0][0]; k++)
        if ((rc = put(tx, bdir, bkeys[slot][k][0], bkeys[slot][k][1], n->bperms)))
            return rc;
    return 0;
}

static int write_both(xenbus_tx_t tx, void *arg)
{
    const struct write_args *w = arg;
    struct dev_names n;
    names_of(&n, w->d->front, w->d->back);
    int rc;
    if ((rc = put(tx, w->fdir, NULL, NULL, n.fperms)) || (rc = put(tx, w->fdir, "backend", w->bdir, n.fperms)) ||
        (rc = put(tx, w->fdir, "backend-id", n.b, n.fperms)) || (rc = put(tx, w->fdir, "state", n.state, n.fperms)) ||
        (rc = put_keys(tx, w->fdir, w->d->fkeys, n.fperms)))
        return rc;
    return put_back_dir(tx, &n, w->bdir, w->fdir, w->slot);
}

static void dirs(const struct ts_device_info *i, char *fdir, char *bdir)
{
    snprintf(fdir, 96, "/local/domain/%u/device/%s/%u", i->front, i->type, i->devid);
    snprintf(bdir, 96, "/local/domain/%u/backend/%s/%u/%u", i->back, i->type, i->front, i->devid);
}

int ts_device_add(const struct ts_device *d)
{
    if (strlen(d->type) >= sizeof(table[0].type) || (d->ident && strlen(d->ident) >= sizeof(table[0].ident)))
        return -EINVAL;
    for (unsigned int k = 0; k < TS_MAX_KEYS && d->bkeys[k].key; k++)
        if (strlen(d->bkeys[k].key) >= KEY_LEN || strlen(d->bkeys[k].value) >= KEY_LEN)
            return -EINVAL;
    struct ts_device_info info = { .front = d->front, .back = d->back, .devid = d->devid };
    str_copy(info.type, d->type, sizeof(info.type));
    if (d->ident)
        str_copy(info.ident, d->ident, sizeof(info.ident));
    unsigned int slot = 0;
    sem_down(&table_lock);
    while (slot < TS_MAX_DEVICES && used[slot])
        slot++;
    if (slot < TS_MAX_DEVICES) {
        used[slot] = true;
        table[slot] = info;
        memset(bkeys[slot], 0, sizeof(bkeys[slot]));
        for (unsigned int k = 0; k < TS_MAX_KEYS && d->bkeys[k].key; k++) {
            str_copy(bkeys[slot][k][0], d->bkeys[k].key, KEY_LEN);
            str_copy(bkeys[slot][k][1], d->bkeys[k].value, KEY_LEN);
        }
    }
    sem_up(&table_lock);
    if (slot == TS_MAX_DEVICES)
        return -ENOSPC;
    struct write_args w = { .d = d, .slot = slot };
    dirs(&info, w.fdir, w.bdir);
    int rc = xenbus_transaction_retry(write_both, &w, 5);
    if (rc) {
        sem_down(&table_lock);
        used[slot] = false;
        sem_up(&table_lock);
    }
    return rc;
}

struct rm_args {
    const char *path;
    size_t keep;                    /* the length of the ancestor that stays (/local/domain/<id>) */
};

/* path, then each parent left without children, up to (not including) the first keep bytes. */
static int rm_and_empty_parents(xenbus_tx_t tx, void *arg)
{
    const struct rm_args *a = arg;
    char p[96], names[64];
    str_copy(p, a->path, sizeof(p));
    int rc = xenbus_rm(tx, p);
    if (rc && rc != -ENOENT)
        return rc;
    for (;;) {
        char *slash = p + strlen(p);
        while (slash > p && *slash != '/')
            slash--;
        *slash = '\0';
        if ((size_t)(slash - p) <= a->keep)
            return 0;
        int n = xenbus_directory(tx, p, names, sizeof(names));
        if (n != 0)                 /* children left, or gone already */
            return n < 0 && n != -ENOENT ? n : 0;
        if ((rc = xenbus_rm(tx, p)) && rc != -ENOENT)
            return rc;
    }
}

static int rm_dir(const char *path, domid_t owner)
{
    char keep[32];
    struct rm_args a = { .path = path, .keep = (size_t)snprintf(keep, sizeof(keep), "/local/domain/%u", owner) };
    return xenbus_transaction_retry(rm_and_empty_parents, &a, 5);
}

/* Forgets and removes front's devices that match (type NULL: every type): how many; *first the first error. */
static unsigned int remove_matching(domid_t front, const char *type, unsigned int devid, int *first)
{
    struct ts_device_info mine[TS_MAX_DEVICES];
    unsigned int n = 0;
    sem_down(&table_lock);
    for (unsigned int i = 0; i < TS_MAX_DEVICES; i++)
        if (used[i] && table[i].front == front &&
            (!type || (!strcmp(table[i].type, type) && table[i].devid == devid))) {
            mine[n++] = table[i];
            used[i] = false;
        }
    sem_up(&table_lock);
    *first = 0;
    for (unsigned int i = 0; i < n; i++) {
        char fdir[96], bdir[96];
        dirs(&mine[i], fdir, bdir);
        /* The front end's first, as xl: the back end sees its other end gone, then its own directory go. */
        int rc = rm_dir(fdir, mine[i].front);
        int rc2 = rm_dir(bdir, mine[i].back);
        if (!*first)
            *first = rc ? rc : rc2;
    }
    return n;
}

int ts_devices_remove(domid_t front)
{
    int first;
    remove_matching(front, NULL, 0, &first);
    return first;
}

int ts_device_remove(domid_t front, const char *type, unsigned int devid)
{
    int first;
    return remove_matching(front, type, devid, &first) ? first : -ENOENT;
}

/* Sets perms on path and every node under it (the front end's own nodes inherited the old back end's read). */
static int perms_tree(xenbus_tx_t tx, const char *path, const char *const *perms, unsigned int depth)
{
    char names[256];
    int rc = xenbus_set_perms(tx, path, perms, 2);
    int n = rc ? rc : xenbus_directory(tx, path, names, sizeof(names));
    if (n < 0 || depth == 0)
        return n < 0 ? n : 0;
    for (const char *p = names; n-- > 0 && !rc; p += strlen(p) + 1) {
        char child[128];
        snprintf(child, sizeof(child), "%s/%s", path, p);
        rc = perms_tree(tx, child, perms, depth - 1);
    }
    return rc;
}

struct move_args {
    const struct ts_device_info *i;
    unsigned int slot;
    char fdir[96], bdir[96];
};

/*
 * The back end's directory written under its new domain, and the front
 * end's backend / backend-id pointed at it (the front end follows: xenbus
 * reconnects it), its nodes readable by the new back end only: one transaction.
 */
static int move_one(xenbus_tx_t tx, void *arg)
{
    const struct move_args *m = arg;
    struct dev_names n;
    names_of(&n, m->i->front, m->i->back);
    int rc = put_back_dir(tx, &n, m->bdir, m->fdir, m->slot);
    if (rc)
        return rc;
    char path[128], v[8];
    snprintf(path, sizeof(path), "%s/state", m->fdir);
    if ((rc = xenbus_read(tx, path, v, sizeof(v))) < 0)     /* -ENOENT: the guest went meanwhile */
        return rc;
    if ((rc = perms_tree(tx, m->fdir, n.fperms, 2)))
        return rc;
    snprintf(path, sizeof(path), "%s/backend-id", m->fdir);
    if ((rc = xenbus_write(tx, path, n.b)))
        return rc;
    snprintf(path, sizeof(path), "%s/backend", m->fdir);
    return xenbus_write(tx, path, m->bdir);
}

unsigned int ts_devices_move_back(domid_t old, domid_t back, int *first)
{
    unsigned int n = 0;
    *first = 0;
    for (unsigned int slot = 0; slot < TS_MAX_DEVICES; slot++) {
        sem_down(&table_lock);
        bool mine = used[slot] && table[slot].back == old;
        struct ts_device_info i = table[slot];
        if (mine)
            table[slot].back = back;
        sem_up(&table_lock);
        if (!mine)
            continue;
        char oldf[96], oldb[96];
        dirs(&i, oldf, oldb);
        int rc = rm_dir(oldb, old);          /* gone with its domain, or left by a back end that lives on */
        i.back = back;
        struct move_args m = { .i = &i, .slot = slot };
        dirs(&i, m.fdir, m.bdir);
        if (!rc || rc == -ENOENT)
            rc = xenbus_transaction_retry(move_one, &m, 5);
        if (rc && !*first)
            *first = rc;
        n += !rc;
    }
    return n;
}

unsigned int ts_devices_of(domid_t front, const char *type, struct ts_device_info *out, unsigned int max)
{
    unsigned int n = 0;
    sem_down(&table_lock);
    for (unsigned int devid = 0; devid < TS_MAX_DEVICES && n < max; devid++)
        for (unsigned int i = 0; i < TS_MAX_DEVICES && n < max; i++)
            if (used[i] && table[i].front == front && table[i].devid == devid && !strcmp(table[i].type, type))
                out[n++] = table[i];
    sem_up(&table_lock);
    return n;
}

unsigned int ts_devices_count(void)
{
    unsigned int n = 0;
    sem_down(&table_lock);
    for (unsigned int i = 0; i < TS_MAX_DEVICES; i++)
        n += used[i];
    sem_up(&table_lock);
    return n;
}

void ts_vif_mac(domid_t front, unsigned int devid, const uint8_t *given, char out[18])
{
    uint8_t m[6] = { 0x00, 0x16, 0x3e, (uint8_t)devid, (uint8_t)(front >> 8), (uint8_t)front };
    if (given)
        memcpy(m, given, sizeof(m));
    snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}
