/* The xl.cfg subset dom0's xl understands (toolstack/xl_cfg.c); pure, host-tested. */
#ifndef TOOLSTACK_XL_CFG_H
#define TOOLSTACK_XL_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What xl does when the domain shuts down (on_poweroff, on_reboot, on_watchdog, on_crash). */
enum xl_action {
    XL_ACTION_DESTROY,              /* destroy it */
    XL_ACTION_PRESERVE,             /* leave it shut down, listed, until destroyed */
    XL_ACTION_RESTART,              /* destroy it and build it again from the same config (new id) */
};

/*
 * vif = [ '<spec>', ... ]: xl's keys mac=, bridge= (dom0's one bridge is
 * "xenbr0", xl's default name), backend= and type=vif; devid is the index.
 */
#define XL_MAX_VIFS     4
#define XL_MAX_DISKS    4
#define XL_MAX_PCI      4           /* pvguest takes up to 4 pci= options */
#define XL_BRIDGE       "xenbr0"

struct xl_vif {
    uint8_t mac[6];
    bool mac_set;                   /* else the toolstack picks 00:16:3e:<devid>:<domid> (README) */
    char backend[32];               /* a domain's name or id; "" dom0 */
};

/*
 * disk = [ '<spec>', ... ]: xl's disk syntax (xl-disk-configuration),
 * positional target, format, vdev, access or the same as keys, plus
 * devtype=, backendtype=, backend=. The target names an extent of the back
 * end's blkback store: extent:<start>+<count> (sectors). Only what blkback
 * serves: format raw, access rw, devtype disk, backendtype phy.
 */
struct xl_disk {
    char vdev[8];                   /* xvda .. xvdp */
    uint32_t vdev_number;           /* xenstore's virtual-device: 202 << 8 | letter << 4 */
    uint64_t start, count;          /* the extent, in sectors */
    char backend[32];               /* a domain's name or id; "" dom0 */
};

struct xl_cfg {
    char name[32];
    char kernel[64];                /* a file of dom0's archive */
    char ramdisk[64];               /* a file of dom0's archive, the domain's module; "" none */
    char cmdline[512];              /* cmdline= or extra= */
    uint64_t memory_mib;            /* default 32 */
    uint64_t maxmem_mib;            /* default memory */
    unsigned int vcpus;             /* default 1 */
    unsigned int weight, cap;       /* default 256, 0 */
    enum xl_action on_poweroff, on_reboot, on_crash;   /* default destroy, destroy, preserve */
    enum xl_action on_watchdog;     /* SHUTDOWN_watchdog (its SCHEDOP_watchdog ran out): default destroy, as libxl */
    struct xl_vif vif[XL_MAX_VIFS];
    struct xl_disk disk[XL_MAX_DISKS];
    uint16_t pci[XL_MAX_PCI];       /* pci = [ 'bb:dd.f', ... ]: bus << 8 | dev << 3 | fn, each once */
    unsigned int nr_vifs, nr_disks, nr_pci;     /* a later vif= / disk= / pci= line replaces the list */
};

void xl_cfg_defaults(struct xl_cfg *c);
/*
 * One "key = value" line (comments with '#', blank lines and a trailing ';'
 * allowed; strings in "" or ''). 0, or -1 with err naming the problem:
 * unknown key, bad value, a key this subset does not support yet
 * (on_*: rename-restart and the coredump-* actions), a vif, disk or pci
 * spec it cannot serve ("vif 1: ...", "disk 0: ...", "pci 0: ...").
 */
int xl_cfg_line(struct xl_cfg *c, const char *line, size_t len, char *err, size_t errlen);
/* Every line of text; the first error is named "<file>:<line>: ...". */
int xl_cfg_parse(struct xl_cfg *c, const char *text, size_t len, const char *file, char *err, size_t errlen);
/*
 * Every line of text, carrying on past a bad one (create --dry-run): each
 * error goes to report as "<file>:<line>: ..."; how many there were.
 */
unsigned int xl_cfg_parse_each(struct xl_cfg *c, const char *text, size_t len, const char *file,
                               void (*report)(void *ctx, const char *msg), void *ctx);
/* After the file and the command line's key=value: name and kernel are required, maxmem >= memory. */
int xl_cfg_check(const struct xl_cfg *c, char *err, size_t errlen);
/* One vif spec (what goes between the quotes): 0, or -1 with err saying why. */
int xl_vif_parse(struct xl_vif *v, const char *spec, char *err, size_t errlen);
/* One disk spec: 0, or -1 with err saying why. */
int xl_disk_parse(struct xl_disk *d, const char *spec, char *err, size_t errlen);
/*
 * xl network-attach / block-attach: the words after the domain as one spec,
 * as xl joins its arguments: with a comma between words unless one is there
 * already ("extent:0+8 raw xvdb" is 'extent:0+8,raw,xvdb'; "'vdev=xvdb,"
 * "target=extent:0+8'" keeps its one comma). Quotes are dropped (the
 * shell's job under xl; a spec has none). 0, or -1 if it does not fit.
 */
int xl_spec_join(char *out, size_t size, const char *const *words, unsigned int n);

#endif
