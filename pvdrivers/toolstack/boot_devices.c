/*
 * dom0 as the toolstack for the boot domains' split devices: for each
 * device=<type>:<frontend>:<backend>[:<key>=<value>] option it writes the
 * front and back directories as xl does (toolstack/devices.c, the writer xl
 * create uses too), so the two domains' drivers find each other through
 * xenstore: devid 0, 1, ... per front end and type, <key>=<value> in the back
 * end's directory. A vif gets xl's extra keys too: mac (ts_vif_mac: Xen's OUI
 * 00:16:3e, the devid, the front end's domain id) and handle (its devid) in both.
 * It waits until both domains run (named as in the hypervisor's name=;
 * "dom0" names dom0 itself, for back ends that run here).
 */
#include <cmdline.h>
#include <sched.h>
#include <xen/services.h>
#include <xenbus/xenbus.h>
#include <toolstack/devices.h>

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

static void boot_devices_thread(void *arg)
{
    (void)arg;
    for (unsigned int i = 0; i < nr_devs; i++) {
        const struct boot_device *bd = &devs[i];
        int f = find_domain(bd->front), b = find_domain(bd->back);
        if (f < 0 || b < 0) {
            printk("toolstack: device %s: no running domain named %s\n", bd->type, f < 0 ? bd->front : bd->back);
            continue;
        }
        /* devid 0, 1, ... for each front end's devices of one type, in the order of the options */
        unsigned int devid = 0;
        for (unsigned int j = 0; j < i; j++)
            devid += !strcmp(devs[j].type, bd->type) && !strcmp(devs[j].front, bd->front);
        struct ts_device d = { .type = bd->type, .front = (domid_t)f, .back = (domid_t)b, .devid = devid };
        char mac[18], handle[8];
        unsigned int k = 0;
        if (!strcmp(bd->type, "vif")) {
            ts_vif_mac(d.front, devid, NULL, mac);
            snprintf(handle, sizeof(handle), "%u", devid);
            d.fkeys[0] = (struct ts_key){ "mac", mac };
            d.fkeys[1] = (struct ts_key){ "handle", handle };
            d.bkeys[k++] = (struct ts_key){ "mac", mac };
            d.bkeys[k++] = (struct ts_key){ "handle", handle };
        }
        if (bd->key[0])
            d.bkeys[k++] = (struct ts_key){ bd->key, bd->value };
        int rc = ts_device_add(&d);
        if (rc)
            printk("toolstack: device %s between %s and %s: writing the store failed: %d\n", bd->type, bd->front,
                   bd->back, rc);
        else
            printk("toolstack: device %s: front end in domain %d (%s), back end in domain %d (%s)\n", bd->type, f,
                   bd->front, b, bd->back);
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
