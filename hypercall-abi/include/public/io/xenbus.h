/*
 * XenBus device states, written as decimal strings to the "state" key of each
 * end of a split device in xenstore.
 */
#ifndef PUBLIC_IO_XENBUS_H
#define PUBLIC_IO_XENBUS_H

#define XenbusStateUnknown       0 /* key absent or unreadable */
#define XenbusStateInitialising  1 /* starting up */
#define XenbusStateInitWait      2 /* early setup done, waiting for the peer's details */
#define XenbusStateInitialised   3 /* own details published, waiting for the peer to connect */
#define XenbusStateConnected     4 /* running */
#define XenbusStateClosing       5 /* shutting down (error or unplug) */
#define XenbusStateClosed        6 /* shut down; may restart from Initialising */
#define XenbusStateReconfiguring 7 /* being reconfigured */
#define XenbusStateReconfigured  8 /* reconfiguration done */

#endif /* PUBLIC_IO_XENBUS_H */
