/*
 * sched_op: yield, block, poll and shut down - how a vCPU gives up the CPU
 * and how a domain ends.
 */
#ifndef PUBLIC_SCHED_H
#define PUBLIC_SCHED_H

#include "xen.h"

/*
 * sched_op(cmd, arg)                                   hypercall 29
 *   rdi  SCHEDOP_*
 *   rsi  guest VA of the command's structure (0 for yield and block)
 *   rdx  SCHEDOP_shutdown with SHUTDOWN_suspend only: MFN of start_info
 * Caller: any guest kernel, acting on its own vCPU/domain unless noted.
 * Unknown cmd: -ENOSYS. Unreadable structure: -EFAULT.
 *
 * sched_op_compat(cmd, arg)                            hypercall 6
 *   Older form: yield, block and shutdown only; rsi is the SHUTDOWN_* reason
 *   itself instead of a pointer.
 */
#define SCHEDOP_yield           0 /* let other vCPUs run; returns 0 */
#define SCHEDOP_block           1 /* sleep until an event is pending; clears
                                     the upcall mask atomically so no wakeup is
                                     lost; returns 0 */
#define SCHEDOP_shutdown        2 /* struct sched_shutdown: stop the whole
                                     domain; for SHUTDOWN_suspend returns 1 if
                                     the suspend was cancelled, 0 when resumed
                                     in a new domain */
#define SCHEDOP_poll            3 /* struct sched_poll: block until one of the
                                     ports is pending or the timeout passes;
                                     -EINVAL (more than 128 ports, bad port) */
#define SCHEDOP_remote_shutdown 4 /* struct sched_remote_shutdown: privileged
                                     caller only; -ESRCH, -EPERM */
#define SCHEDOP_shutdown_code   5 /* struct sched_shutdown: record the reason
                                     reported at a later shutdown; returns 0 */
#define SCHEDOP_watchdog        6 /* struct sched_watchdog: id 0 creates a
                                     watchdog armed for timeout seconds and
                                     returns its id (1 or 2, the lowest free);
                                     an id in use with timeout 0 destroys it,
                                     else re-arms it for timeout seconds from
                                     now (0). One that runs out shuts the
                                     domain down with SHUTDOWN_watchdog (id 0
                                     with timeout 0: at once). -EINVAL (id
                                     above 2 or not in use), -ENOSPC (both in
                                     use; Xen 4.17 returns it as an unsigned
                                     int) */
#define SCHEDOP_pin_override    7 /* struct sched_pin_override: hardware domain
                                     only; -EPERM, -EINVAL, -EBUSY */

struct sched_shutdown {
    uint32_t reason;    /* IN: SHUTDOWN_* */
};
_Static_assert(sizeof(struct sched_shutdown) == 4, "sched_shutdown size");

struct sched_poll {
    uint64_t ports;     /* IN: guest VA of evtchn_port_t[nr_ports] */
    uint32_t nr_ports;  /* IN: at most 128 */
    uint32_t _pad0;
    uint64_t timeout;   /* IN: absolute system time in ns, 0 = none */
};
_Static_assert(sizeof(struct sched_poll) == 24, "sched_poll size");
_Static_assert(offsetof(struct sched_poll, nr_ports) == 8, "sched_poll.nr_ports");
_Static_assert(offsetof(struct sched_poll, timeout) == 16, "sched_poll.timeout");

struct sched_remote_shutdown {
    domid_t  domain_id; /* IN: domain to shut down */
    uint16_t _pad0;
    uint32_t reason;    /* IN: SHUTDOWN_* */
};
_Static_assert(sizeof(struct sched_remote_shutdown) == 8, "sched_remote_shutdown size");
_Static_assert(offsetof(struct sched_remote_shutdown, reason) == 4, "sched_remote_shutdown.reason");

struct sched_watchdog {
    uint32_t id;        /* IN: 0 to create, else the watchdog's id (1..2) */
    uint32_t timeout;   /* IN: seconds; 0 destroys (an id other than 0) */
};
_Static_assert(sizeof(struct sched_watchdog) == 8, "sched_watchdog size");
_Static_assert(offsetof(struct sched_watchdog, timeout) == 4, "sched_watchdog.timeout");

struct sched_pin_override {
    int32_t pcpu;       /* IN: physical CPU, negative to undo the pin */
};
_Static_assert(sizeof(struct sched_pin_override) == 4, "sched_pin_override size");

/* Shutdown reasons, reported to the toolstack. */
#define SHUTDOWN_poweroff   0 /* exited normally: destroy */
#define SHUTDOWN_reboot     1 /* destroy and restart */
#define SHUTDOWN_suspend    2 /* save state for a later resume */
#define SHUTDOWN_crash      3 /* the guest crashed */
#define SHUTDOWN_watchdog   4 /* a watchdog expired */
#define SHUTDOWN_soft_reset 5 /* reset hypervisor state, keep memory and vCPUs */
#define SHUTDOWN_MAX        5

#endif /* PUBLIC_SCHED_H */
