/*
 * Domain watchdogs (SCHEDOP_watchdog): timers a guest must keep re-arming;
 * one that runs out shuts its domain down with SHUTDOWN_watchdog, so the
 * toolstack can restart a domain that hangs instead of dying.
 */
#ifndef HV_WATCHDOG_H
#define HV_WATCHDOG_H

#include <hv/domain.h>

/* Per domain, as Xen's NR_DOMAIN_WATCHDOG_TIMERS; ids are 1..NR_DOMAIN_WATCHDOGS. */
#define NR_DOMAIN_WATCHDOGS     2

/*
 * SCHEDOP_watchdog for d (the caller's own domain), with Xen 4.17's results:
 *   id 0              creates a watchdog armed for `timeout` seconds (0: it
 *                     fires at once, as on Xen); returns its id, the lowest free
 *   id in use         re-arms it for `timeout` seconds from now, or destroys it
 *                     if timeout is 0; returns 0
 *   -EINVAL           id above NR_DOMAIN_WATCHDOGS, or an id not in use
 *   -ENOSPC           id 0 with every watchdog in use
 */
int64_t watchdog_op(struct domain *d, uint32_t id, uint32_t timeout);

/*
 * domain_create, before the domain can run: its slot's watchdogs, none in
 * use. Panics if one of them is still armed (the last domain in the slot
 * went without watchdog_kill: our bug).
 */
void watchdog_init(struct domain *d);

/*
 * domain_shutdown: d's watchdogs stop for good, so none fires for a dead
 * domain or for the next one in its slot; a SCHEDOP_watchdog that d's vCPU
 * is still finishing on another CPU cannot arm one again (kill_timer).
 */
void watchdog_kill(struct domain *d);

#endif
