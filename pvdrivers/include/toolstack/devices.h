/*
 * Split devices' xenstore directories as xl writes them (toolstack/devices.c):
 * one implementation for the boot domains' device= options (boot_devices.c)
 * and for xl create's vif= and disk= (xl_create.c). The toolstack remembers
 * what it wrote, as libxl does, so destroy removes exactly that.
 */
#ifndef TOOLSTACK_DEVICES_H
#define TOOLSTACK_DEVICES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <public/xen.h>

#define TS_MAX_DEVICES  32          /* written and not yet removed, every domain's */
#define TS_MAX_KEYS     6           /* extra keys in each directory */

struct ts_key {
    const char *key, *value;
};

/*
 *   /local/domain/<front>/device/<type>/<devid>          owner front, read for back:
 *       backend, backend-id, state (Initialising), fkeys
 *   /local/domain/<back>/backend/<type>/<front>/<devid>  owner back, read for front:
 *       frontend, frontend-id, state (Initialising), bkeys
 */
struct ts_device {
    const char *type;               /* "vif", "vbd", ... (at most 15 characters) */
    domid_t front, back;
    unsigned int devid;
    const char *ident;              /* what xl names it by besides its devid: a vif's mac, a disk's vdev; NULL none */
    struct ts_key fkeys[TS_MAX_KEYS], bkeys[TS_MAX_KEYS];   /* up to the first NULL key */
};

/* Writes both directories in one transaction and remembers the device: 0, or a negative error (-ENOSPC: table full). */
int ts_device_add(const struct ts_device *d);
/*
 * Every remembered device of front, as xl destroys them: the front end's
 * directory first, then the back end's, then their parents left empty (up to
 * /local/domain/<id>). 0, or the first error (the rest are still removed).
 */
int ts_devices_remove(domid_t front);
/*
 * One remembered device, the same way (xl network-detach, block-detach):
 * 0, -ENOENT (the toolstack wrote no such device), or the first error of the
 * removal (the device is forgotten all the same: what is left is not ours).
 */
int ts_device_remove(domid_t front, const char *type, unsigned int devid);

/*
 * Every remembered device whose back end is old now has it in back (a
 * driver domain restarted with a new id): the back end's directory written
 * again there with the keys it was created with, the front end's backend and
 * backend-id rewritten and its nodes made readable by back (the front end
 * follows and reconnects). How many moved; *first the first error.
 */
unsigned int ts_devices_move_back(domid_t old, domid_t back, int *first);

/* What a remembered device is (network-list, block-list). */
struct ts_device_info {
    char type[16];
    domid_t front, back;
    unsigned int devid;
    char ident[18];                 /* ts_device's ident ("" none) */
};
/* The remembered devices of front of type, in devid order, at most max: how many. */
unsigned int ts_devices_of(domid_t front, const char *type, struct ts_device_info *out, unsigned int max);
/* How many devices are remembered (the leak loop's count). */
unsigned int ts_devices_count(void);

/*
 * A vif's MAC as text: given (xl.cfg's mac=) or, as xl, Xen's OUI 00:16:3e
 * and three bytes; xl draws them at random, we take <devid>:<front's id, two
 * bytes> so they are unique among running domains and the same each run.
 */
void ts_vif_mac(domid_t front, unsigned int devid, const uint8_t *given, char out[18]);

#endif
