/*
 * dom0 as the toolstack for the boot domains' split devices: for each
 * device=<type>:<frontend>:<backend>[:<key>=<value>] option it writes the
 * front and back directories as xl does, so the two domains' drivers find
 * each other through xenstore:
 *   /local/domain/<F>/device/<type>/0          owner F, read for B: backend, backend-id, state
 *   /local/domain/<B>/backend/<type>/<F>/0     owner B, read for F: frontend, frontend-id, state, <key>
 * A vif gets xl's extra keys too: mac (Xen's OUI 00:16:3e, then the front
 * end's domain id) in both directories, and handle (its number) in the back.
 * It waits until both domains run (named as in the hypervisor's name=;
 * "dom0" names dom0 itself, for back ends that run here).
 */
#include <cmdline.h>
#include <sched.h>
#include <xen/services.h>
#include <xenbus/xenbus.h>

#define MAX_DEVICES 8
#define FIND_NS     (30 * NSEC_PER_SEC)

static struct boot_device {
    char type[16], front[32], back[32], key[32], value[32];
} devs[MAX_DEVICES];
static unsigned int nr_devs;

/* Copies the text up to sep (or the end) into out; returns what follows sep, or NULL. */
static const char *field(const char *s, char sep, char *out, size_t size)
{
    size_t n = 0;
    while (s[n] && s[n] != sep && s[n] != ',')
        n++;
    str_copy(out, s, MIN(n + 1, size));
    return s[n] == sep ? s + n + 1 : NULL;
}

static bool set_device(const char *v)
{
    if (!v || nr_devs == MAX_DEVICES)
        return false;
    struct boot_device *d = &devs[nr_devs];
    const char *p = field(v, ':', d->type, sizeof(d->type));
    p = p ? field(p, ':', d->front, sizeof(d->front)) : NULL;
    if (!p)
        return false;
    p = field(p, ':', d->back, sizeof(d->back));
    if (p) {
        p = field(p, '=', d->key, sizeof(d->key));
        if (!p)
            return false;
        field(p, ':', d->value, sizeof(d->value));
    }
    if (!d->type[0] || !d->front[0] || !d->back[0])
        return false;
    nr_devs++;
    return true;
}
KERNEL_OPTION("device", set_device);

/*
 * The running domain named name, once xenstored has introduced it (its
 * /local/domain/<id> keys written, so what we add below inherits them): its
 * id, or -1 after FIND_NS.
 */
static int find_domain(const char *name)
{
    if (!strcmp(name, "dom0"))
        return 0;                   /* a back end in dom0 itself (blkback) */
    uint64_t give_up = clock_ns() + FIND_NS;
    struct pv_domctl_info info;
    char path[48], v[8];
    do {
        for (domid_t id = 1; id < 64; id++) {
            if (xenpv_domain_info(id, &info) || strcmp((const char *)info.name, name) ||
                !(info.flags & PV_DOMINF_running))
                continue;
            snprintf(path, sizeof(path), "/local/domain/%u/domid", id);
            if (xenbus_read(0, path, v, sizeof(v)) > 0)
                return id;
        }
        thread_sleep_ns(10 * NSEC_PER_MSEC);
    } while (clock_ns() < give_up);
    return -1;
}

struct pair {
    const struct boot_device *d;
    int f, b;
    char fdir[96], bdir[96];
};

/* One node with its value and permissions (owner first). */
static int put(xenbus_tx_t tx, const char *dir, const char *key, const char *value, const char *const *perms)
{
    char path[128];
    snprintf(path, sizeof(path), "%s%s%s", dir, key ? "/" : "", key ? key : "");
    int rc = key ? xenbus_write(tx, path, value) : xenbus_mkdir(tx, path);
    return rc ? rc : xenbus_set_perms(tx, path, perms, 2);
}

static int write_pair(xenbus_tx_t tx, void *arg)
{
    struct pair *p = arg;
    char f[8], b[8], fperm_own[8], fperm_rd[8], bperm_own[8], bperm_rd[8], state[4];
    snprintf(f, sizeof(f), "%d", p->f);
    snprintf(b, sizeof(b), "%d", p->b);
    snprintf(fperm_own, sizeof(fperm_own), "n%d", p->f);
    snprintf(fperm_rd, sizeof(fperm_rd), "r%d", p->b);
    snprintf(bperm_own, sizeof(bperm_own), "n%d", p->b);
    snprintf(bperm_rd, sizeof(bperm_rd), "r%d", p->f);
    snprintf(state, sizeof(state), "%d", XenbusStateInitialising);
    const char *const fperms[] = { fperm_own, fperm_rd }, *const bperms[] = { bperm_own, bperm_rd };
    int rc;
    if ((rc = put(tx, p->fdir, NULL, NULL, fperms)) || (rc = put(tx, p->fdir, "backend", p->bdir, fperms)) ||
        (rc = put(tx, p->fdir, "backend-id", b, fperms)) || (rc = put(tx, p->fdir, "state", state, fperms)) ||
        (rc = put(tx, p->bdir, NULL, NULL, bperms)) || (rc = put(tx, p->bdir, "frontend", p->fdir, bperms)) ||
        (rc = put(tx, p->bdir, "frontend-id", f, bperms)) || (rc = put(tx, p->bdir, "state", state, bperms)))
        return rc;
    if (!strcmp(p->d->type, "vif")) {
        char mac[18];
        snprintf(mac, sizeof(mac), "00:16:3e:%02x:%02x:%02x", (p->f >> 16) & 0xff, (p->f >> 8) & 0xff, p->f & 0xff);
        if ((rc = put(tx, p->fdir, "mac", mac, fperms)) || (rc = put(tx, p->fdir, "handle", "0", fperms)) ||
            (rc = put(tx, p->bdir, "mac", mac, bperms)) || (rc = put(tx, p->bdir, "handle", "0", bperms)))
            return rc;
    }
    if (p->d->key[0])
        rc = put(tx, p->bdir, p->d->key, p->d->value, bperms);
    return rc;
}

static void boot_devices_thread(void *arg)
{
    (void)arg;
    for (unsigned int i = 0; i < nr_devs; i++) {
        struct pair p = { .d = &devs[i], .f = find_domain(devs[i].front), .b = find_domain(devs[i].back) };
        if (p.f < 0 || p.b < 0) {
            printk("toolstack: device %s: no running domain named %s\n", p.d->type,
                   p.f < 0 ? p.d->front : p.d->back);
            continue;
        }
        snprintf(p.fdir, sizeof(p.fdir), "/local/domain/%d/device/%s/0", p.f, p.d->type);
        snprintf(p.bdir, sizeof(p.bdir), "/local/domain/%d/backend/%s/%d/0", p.b, p.d->type, p.f);
        int rc = xenbus_transaction_retry(write_pair, &p, 5);
        if (rc)
            printk("toolstack: device %s between %s and %s: writing the store failed: %d\n", p.d->type,
                   p.d->front, p.d->back, rc);
        else
            printk("toolstack: device %s: front end in domain %d (%s), back end in domain %d (%s)\n", p.d->type,
                   p.f, p.d->front, p.b, p.d->back);
    }
}

void toolstack_boot_devices_start(void)
{
    if (!nr_devs || !xenpv_is_dom0())
        return;
    if (!xenbus_ready()) {
        printk("toolstack: no store: the boot devices are not set up\n");
        return;
    }
    thread_create("bootdevs", boot_devices_thread, NULL);
}
