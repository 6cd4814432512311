/*
 * The xenstore daemon as a service of dom0's kernel (xenbus/xenstored_dom0.c):
 * it serves every boot domU's store ring and dom0's own in-kernel connection.
 */
#ifndef XENBUS_XENSTORED_DOM0_H
#define XENBUS_XENSTORED_DOM0_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Started from the driver list (dom0 only; elsewhere it does nothing). */
void xenstored_dom0_start(void);
/* dom0 powers off: every introduced domain is released (ring unmapped, port closed). */
void xenstored_dom0_stop(void);
bool xenstored_dom0_running(void);
/*
 * A domain was built (its rings are published) or went: look at the domain
 * list now rather than at the next poll. Any context, events masked too.
 */
void xenstored_dom0_kick(void);
/* Nodes in the store, by every owner (the toolstack's leak check); 0 when not running. */
uint32_t xenstored_dom0_nodes(void);
/* Watches registered on every connection (dom0's and the domUs'); 0 when not running. */
uint32_t xenstored_dom0_watches(void);

/*
 * dom0's local, privileged connection (the xenbus client's transport in dom0).
 * xsd_local_write feeds request bytes (any split; waits while replies are
 * unread): 0, or -EIO when the store refused the stream. xsd_local_read pulls
 * reply and watch-event bytes: how many (0: none now). kick is called (from
 * any thread, the store's lock held: it must only wake someone) when output
 * is waiting.
 */
int xsd_local_write(const void *bytes, size_t len);
size_t xsd_local_read(void *buf, size_t max);
void xsd_local_set_kick(void (*kick)(void));

#endif /* XENBUS_XENSTORED_DOM0_H */
