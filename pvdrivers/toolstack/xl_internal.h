/*
 * What xl's files share: xl.c's command line calls the commands of the
 * others (xl_cmd_*), and they use each other's helpers, grouped here by the
 * file that defines them.
 */
#ifndef TOOLSTACK_XL_INTERNAL_H
#define TOOLSTACK_XL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <public/xen.h>
#include <xen/toolstack.h>
#include <toolstack/cpio.h>
#include <toolstack/xl_cfg.h>

/* xl.c: the command line, its thread, dom0's archive and console <dom> */
/* name (or xl/name) in dom0's archive into f: true, or false when there is no such file. */
bool xl_archive_file(const char *name, struct cpio_file *f);

/* xl_info.c: domains found and listed, the hypervisor's figures */
/* A domain named by id or name: its id, or -1 after saying why. */
int xl_find_domain(const char *what);
/* The domain after from (inclusive) in id order: 0 and its id and info, or an error when none is left. */
int xl_info_next(domid_t from, domid_t *id, struct pv_domctl_info *info);
/* list: every domain in xl's columns Name ID Mem VCPUs State Time(s). */
int xl_cmd_list(void);
/* info: xl info's key : value lines (version, CPUs, memory). */
int xl_cmd_info(void);
/* dmesg: says there is no hypervisor console ring to read. */
int xl_cmd_dmesg(void);
/* vcpu-list [<dom>] */
int xl_cmd_vcpu_list(int argc, char **argv);
/* sched-credit [-d <dom> [-w N] [-c N]] */
int xl_cmd_sched_credit(int argc, char **argv);

/* xl_create.c: create and create --dry-run */
/* How long xl waits for xenstored to introduce a domain it created. */
#define XL_INTRODUCE_WAIT_NS    (10 * NSEC_PER_SEC)
/* One vif (v) or disk (k) of domain id with devid, written as xl writes it: 0, or -1 with err saying why. */
int xl_write_device(domid_t id, unsigned int devid, const struct xl_vif *v, const struct xl_disk *k, char *err,
                    size_t errlen);
/* Builds and unpauses the domain c describes (quiet: no "created" line): its id, or -1 after saying why. */
int xl_create_from(const struct xl_cfg *c, bool quiet);
/* c from config argv[0] in dom0's archive and the key=value words after it: 0, or -1 after saying why. */
int xl_load_cfg(struct xl_cfg *c, int argc, char **argv);
/* xl create <cfg> [key=value...]: 0, or -1 after saying why. */
int xl_cmd_create(int argc, char **argv);

/* xl_devcmd.c: a running domain's devices */
/* network-list <dom> / block-list <dom> (net: the vifs, else the disks) */
int xl_cmd_dev_list(const char *what, bool net);
/* network-attach / block-attach <dom> <spec>...: argv[0] is the command */
int xl_cmd_attach(int argc, char **argv, bool net);
/* network-detach / block-detach <dom> <devid|mac|vdev>: argv[0] is the command */
int xl_cmd_detach(int argc, char **argv, bool net);

/* xl_life.c: the domains xl made, from destroy to restart */
/* Remembers that xl created id from c, started now: for its on_* actions and its quick restarts. */
void xl_remember(domid_t id, const struct xl_cfg *c);
/* The config xl created id from, or NULL when xl did not create it. */
const struct xl_cfg *xl_cfg_of(domid_t id);
/* Destroys dom and removes its devices and its /local/domain/<id>, as xl destroy. */
int xl_destroy_domain(domid_t dom);
/* destroy / pause / unpause <dom>: cmd is the domctl, verb the command. */
int xl_cmd_simple(uint32_t cmd, const char *what, const char *verb);
/* shutdown / reboot <dom> (verb): asked of the domain through its control/shutdown. */
int xl_cmd_shutdown(const char *what, const char *verb);
/*
 * Destroys id and builds it again from cfg (a copy is taken), then moves the
 * back ends it served to the new domain: the new id, or -1 after saying why.
 */
int xl_relaunch(domid_t id, const struct xl_cfg *cfg);
/* The second half of xl_relaunch, once id is destroyed: build from cfg, move id's back ends to it. */
int xl_rebuild(domid_t id, const struct xl_cfg *cfg);
/* Applies on_poweroff / on_reboot / on_crash to xl's domains that shut down. */
void xl_reap(void);
/* trigger <dom> fault|hang */
int xl_cmd_trigger(int argc, char **argv);

/* xl_loop.c: the leak loop, its counts and its waits on a new domain */
/* What the leak checks count: the hypervisor's free frames and dom0's share of every resource. */
struct xl_counts {
    uint64_t free_pages;
    int ports;
    unsigned int grants, maps;
    uint32_t nodes, watches;
    unsigned int devices, xbdevs, vifs, bports, vbds;
};
/* The cheap counts; dom0's event channels too with all (a hypercall per port). */
void xl_count(struct xl_counts *c, bool all);
/* Whether every count of a equals b's. */
bool xl_same_counts(const struct xl_counts *a, const struct xl_counts *b);
/* One line "who: when: <every count>". */
void xl_print_counts(const char *who, const char *when, const struct xl_counts *c);
/* Counts into c until they equal want (true) or timeout passes (false). */
bool xl_settle(struct xl_counts *c, const struct xl_counts *want, bool all, uint64_t timeout);
/* Waits (at most timeout) until /local/domain/<id> exists (want) or not. */
bool xl_wait_store(int id, bool want, uint64_t timeout);
/* Waits (at most timeout) until the back end of each of dom's devices says Connected. */
bool xl_wait_connected(domid_t dom, uint64_t timeout);
/* leak-loop [--connected] <cfg> <n> [key=value...] */
int xl_cmd_loop(int argc, char **argv);

/* xl_soak.c: soak-driver <driver domain> <restarts> <guest>[,<guest>...] */
int xl_cmd_soak(int argc, char **argv);

#endif
