/*
 * XenStore wire protocol: message header and types, and the shared ring page
 * a guest uses to talk to xenstored.
 */
#ifndef PUBLIC_IO_XS_WIRE_H
#define PUBLIC_IO_XS_WIRE_H

#include <stddef.h>
#include <stdint.h>

/*
 * A message is a struct xsd_sockmsg followed by len payload bytes
 * (len <= XENSTORE_PAYLOAD_MAX; more gets the connection dropped). Replies
 * repeat type, req_id and tx_id. A failed request is answered with type
 * XS_ERROR and the errno name as payload ("EINVAL\0"); the names used are
 * EINVAL EACCES EEXIST EISDIR ENOENT ENOMEM ENOSPC EIO ENOTEMPTY ENOSYS EROFS
 * EBUSY EAGAIN EISCONN E2BIG EPERM. Success without data answers "OK\0".
 * Payloads: READ "path\0" -> value (not NUL-terminated); WRITE "path\0" value;
 * WATCH / UNWATCH "path\0token\0"; WATCH_EVENT (unsolicited, req_id 0)
 * "path\0token\0"; TRANSACTION_START "\0" -> "id\0"; TRANSACTION_END "T\0"
 * (commit) or "F\0" (abort). Relative paths are under /local/domain/<domid>.
 */
#define XS_CONTROL              0
#define XS_DEBUG                XS_CONTROL
#define XS_DIRECTORY            1
#define XS_READ                 2
#define XS_GET_PERMS            3
#define XS_WATCH                4
#define XS_UNWATCH              5
#define XS_TRANSACTION_START    6
#define XS_TRANSACTION_END      7
#define XS_INTRODUCE            8
#define XS_RELEASE              9
#define XS_GET_DOMAIN_PATH      10
#define XS_WRITE                11
#define XS_MKDIR                12
#define XS_RM                   13
#define XS_SET_PERMS            14
#define XS_WATCH_EVENT          15
#define XS_ERROR                16
#define XS_IS_DOMAIN_INTRODUCED 17
#define XS_RESUME               18
#define XS_SET_TARGET           19
/* 20 was XS_RESTRICT, removed: xenstored answers EINVAL */
#define XS_RESET_WATCHES        21
#define XS_DIRECTORY_PART       22
#define XS_GET_FEATURE          23 /* absent from Xen 4.17 */
#define XS_SET_FEATURE          24 /* absent from Xen 4.17 */
#define XS_GET_QUOTA            25 /* absent from Xen 4.17 */
#define XS_SET_QUOTA            26 /* absent from Xen 4.17 */
#define XS_TYPE_COUNT           27 /* one past the last type (23 in Xen 4.17) */
#define XS_INVALID              0xffff /* never a valid type */

/* The numbers are the positions in Xen's enum xsd_sockmsg_type. */
_Static_assert(XS_DIRECTORY == 1 && XS_GET_PERMS == 3 && XS_TRANSACTION_END == 7, "xs types");
_Static_assert(XS_WRITE == 11 && XS_WATCH_EVENT == 15 && XS_ERROR == 16, "xs types");
_Static_assert(XS_SET_TARGET == 19 && XS_RESET_WATCHES == 21 && XS_DIRECTORY_PART == 22, "xs types");

/* Old libxenstore's write flags (unused on the wire). */
#define XS_WRITE_NONE        "NONE"
#define XS_WRITE_CREATE      "CREATE"
#define XS_WRITE_CREATE_EXCL "CREATE|EXCL"

/*
 * Xen's struct xsd_errors table (errno value -> name) is not part of this header
 * (no pointers or ints in shared structs here): pvdrivers/include/xenstore/xenstored.h
 * has the same 16 names in the same order as enum xs_err.
 */

/* Parts of a WATCH_EVENT payload. */
#define XS_WATCH_PATH  0
#define XS_WATCH_TOKEN 1

struct xsd_sockmsg {
    uint32_t type;    /* XS_* */
    uint32_t req_id;  /* chosen by the client, echoed in the reply */
    uint32_t tx_id;   /* transaction id, 0 for none */
    uint32_t len;     /* payload bytes that follow */
};
_Static_assert(sizeof(struct xsd_sockmsg) == 16, "xsd_sockmsg size");
_Static_assert(offsetof(struct xsd_sockmsg, req_id) == 4, "xsd_sockmsg.req_id");
_Static_assert(offsetof(struct xsd_sockmsg, tx_id) == 8, "xsd_sockmsg.tx_id");
_Static_assert(offsetof(struct xsd_sockmsg, len) == 12, "xsd_sockmsg.len");

#define XENSTORE_PAYLOAD_MAX  4096
#define XENSTORE_ABS_PATH_MAX 3072
#define XENSTORE_REL_PATH_MAX 2048

/*
 * The ring page (start_info.store_mfn, port start_info.store_evtchn): two byte
 * rings with free-running indices masked by XENSTORE_RING_SIZE - 1. The guest
 * produces into req and consumes rsp; xenstored the reverse. Check free space
 * and barrier before writing data, barrier before publishing an index, and
 * signal the event channel after every index update.
 */
#define XENSTORE_RING_SIZE 1024
typedef uint32_t XENSTORE_RING_IDX;
#define MASK_XENSTORE_IDX(idx) ((idx) & (XENSTORE_RING_SIZE - 1))

struct xenstore_domain_interface {
    uint8_t req[XENSTORE_RING_SIZE];  /* guest -> xenstored */
    uint8_t rsp[XENSTORE_RING_SIZE];  /* xenstored -> guest (replies and watch events) */
    XENSTORE_RING_IDX req_cons;       /* xenstored */
    XENSTORE_RING_IDX req_prod;       /* guest */
    XENSTORE_RING_IDX rsp_cons;       /* guest */
    XENSTORE_RING_IDX rsp_prod;       /* xenstored */
    uint32_t server_features;         /* xenstored: XENSTORE_SERVER_FEATURE_* */
    uint32_t connection;              /* XENSTORE_CONNECTED / XENSTORE_RECONNECT */
    uint32_t error;                   /* xenstored: XENSTORE_ERROR_* */
    uint32_t evtchn_port;             /* builder: port to signal, if nonzero
                                         (absent from Xen 4.17) */
};
_Static_assert(sizeof(struct xenstore_domain_interface) == 2080, "xenstore_domain_interface size");
_Static_assert(offsetof(struct xenstore_domain_interface, rsp) == 1024, "xenstore_domain_interface.rsp");
_Static_assert(offsetof(struct xenstore_domain_interface, req_cons) == 2048, "xenstore_domain_interface.req_cons");
_Static_assert(offsetof(struct xenstore_domain_interface, req_prod) == 2052, "xenstore_domain_interface.req_prod");
_Static_assert(offsetof(struct xenstore_domain_interface, rsp_cons) == 2056, "xenstore_domain_interface.rsp_cons");
_Static_assert(offsetof(struct xenstore_domain_interface, rsp_prod) == 2060, "xenstore_domain_interface.rsp_prod");
_Static_assert(offsetof(struct xenstore_domain_interface, server_features) == 2064, "xenstore_domain_interface.server_features");
_Static_assert(offsetof(struct xenstore_domain_interface, connection) == 2068, "xenstore_domain_interface.connection");
_Static_assert(offsetof(struct xenstore_domain_interface, error) == 2072, "xenstore_domain_interface.error");
_Static_assert(offsetof(struct xenstore_domain_interface, evtchn_port) == 2076, "xenstore_domain_interface.evtchn_port");

#define XENSTORE_SERVER_FEATURE_RECONNECTION 1 /* connection field is honoured */
#define XENSTORE_SERVER_FEATURE_ERROR        2 /* error field is filled in */
#define XENSTORE_SERVER_FEATURE_WATCHDEPTH   4 /* WATCH takes a depth (absent from Xen 4.17) */
#define XENSTORE_SERVER_FEATURE_DOMID_ANY    8 /* DOMID_ANY in permissions (absent from Xen 4.17) */

#define XENSTORE_CONNECTED 0 /* normal operation */
#define XENSTORE_RECONNECT 1 /* guest asks xenstored to reset the ring */

#define XENSTORE_ERROR_NONE    0
#define XENSTORE_ERROR_COMM    1 /* communication problem */
#define XENSTORE_ERROR_RINGIDX 2 /* invalid ring index */
#define XENSTORE_ERROR_PROTO   3 /* protocol violation (e.g. payload too long) */

#endif /* PUBLIC_IO_XS_WIRE_H */
