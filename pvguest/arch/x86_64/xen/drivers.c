/*
 * The split drivers started at boot, in order (each looks at start_info to
 * see whether it has work here: back ends in dom0, front ends in domUs).
 * kernel_main calls this once threads, timers and every vCPU run.
 */
#include <xen/services.h>

typedef void (*driver_hook_t)(void);

/* xen/watchdog.c: watchdog=<seconds>. */
void xen_watchdog_start(void);

/* pvdrivers/console: front end (domUs) and back end (dom0). */
void console_front_start(void);
void console_back_start(void);
void console_back_quiesce(void);
/* pvdrivers/xenbus: the store service (dom0), then the xenbus client (every domain). */
void xenstored_dom0_start(void);
void xenstored_dom0_stop(void);
void xenbus_start(void);
bool xenbus_shutdown_requested(void);
/* pvdrivers/toolstack: dom0 writes the boot domains' devices; pvdrivers/ringtest: the demonstration device. */
void toolstack_boot_devices_start(void);
void toolstack_assign_start(void);
void toolstack_xl_start(void);
void ringtest_start(void);
/* pvdrivers/block: blkback over dom0's RAM store (blkram=), blkfront in every domU. */
void blkback_start(void);
void blkfront_start(void);
void blk_soak_finish(void);
/* pvdrivers/net: netback and its bridge (dom0), netfront in every domU. */
void netback_start(void);
void netfront_start(void);
struct netif *netfront_wait(uint64_t timeout_ns);
void netback_print_counters(void);

#define NETFRONT_WAIT_NS (30 * NSEC_PER_SEC)   /* the toolstack and the back end's handshake, at boot (a loaded host is slow) */

static const driver_hook_t starts[] = {
    xen_watchdog_start,             /* not a driver, but first: a start below that hangs is caught too */
    console_front_start,            /* first: a domU's lines leave through the ring as early as can be */
    toolstack_assign_start,         /* assign=: before anything of dom0's (and its PCI scan) sees the functions */
    console_back_start,
    xenstored_dom0_start,
    xenbus_start,
    toolstack_boot_devices_start,
    ringtest_start,
    blkback_start,
    blkfront_start,
    netback_start,
    netfront_start,
    toolstack_xl_start,             /* xl=yes: the command line on dom0's console */
    NULL,           /* the list ends with NULL; drivers are added above it */
};

/*
 * Run in order when the kernel powers off (not when it crashes): each driver
 * finishes what is in flight and lets go of other domains' pages and ports.
 * The console back end prints every domU's last lines first.
 */
static const driver_hook_t stops[] = {
    blk_soak_finish,                /* blksoak=yes: its last pass and check, once control/shutdown asked */
    console_back_quiesce,
    netback_print_counters,         /* each vif's and bridge port's counters, while the lines still show */
    xenstored_dom0_stop,
    NULL,
};

void xenpv_start_drivers(void)
{
    for (const driver_hook_t *d = starts; *d; d++)
        (*d)();
}

struct netif *xenpv_net_device(void)
{
    return netfront_wait(NETFRONT_WAIT_NS);
}

bool xenpv_shutdown_requested(void)
{
    return xenbus_shutdown_requested();
}

void xenpv_stop_drivers(void)
{
    for (const driver_hook_t *d = stops; *d; d++)
        (*d)();
}
