/*
 * Block device split driver: request/response layout on the shared ring,
 * operation codes and the xenstore keys of the handshake.
 */
#ifndef PUBLIC_IO_BLKIF_H
#define PUBLIC_IO_BLKIF_H

#include "../grant_table.h"
#include "ring.h"

/*
 * XenStore keys (values are decimal strings unless noted).
 *   Front end (device/vbd/<id>/): ring-ref (grant of the one ring page; or
 *     ring-page-order plus ring-ref0..N), event-channel, protocol
 *     ("x86_64-abi"), feature-persistent, state.
 *   Back end (backend/vbd/<domid>/<id>/): sectors (size in 512-byte units),
 *     sector-size, physical-sector-size, info (VDISK_* bits),
 *     feature-barrier, feature-flush-cache, feature-discard,
 *     feature-persistent, feature-max-indirect-segments, max-ring-page-order,
 *     mode ("r"/"w"), params, type, state.
 * Handshake (xenbus.h states): both start Initialising; the back end publishes
 * its features and goes to InitWait; the front end grants the ring, binds an
 * event channel, writes ring-ref/event-channel and goes to Initialised; the
 * back end maps the ring, writes sectors/info and goes to Connected; the front
 * end reads the size and goes to Connected.
 */

typedef uint16_t blkif_vdev_t;     /* virtual device handle */
typedef uint64_t blkif_sector_t;   /* sector number, 512-byte units */

#define BLKIF_OP_READ            0
#define BLKIF_OP_WRITE           1
#define BLKIF_OP_WRITE_BARRIER   2 /* if feature-barrier: earlier writes complete first */
#define BLKIF_OP_FLUSH_DISKCACHE 3 /* if feature-flush-cache: make writes durable */
#define BLKIF_OP_RESERVED_1      4
#define BLKIF_OP_DISCARD         5 /* if feature-discard: struct blkif_request_discard */
#define BLKIF_OP_INDIRECT        6 /* if feature-max-indirect-segments: struct blkif_request_indirect */

#define BLKIF_MAX_SEGMENTS_PER_REQUEST       11
#define BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST 8

/*
 * One granted page of a transfer: sectors first_sect..last_sect (inclusive,
 * 512-byte units within the 4 KiB page, so 0..7).
 */
struct blkif_request_segment {
    grant_ref_t gref;
    uint8_t     first_sect;
    uint8_t     last_sect;
    uint16_t    _pad0;
};
_Static_assert(sizeof(struct blkif_request_segment) == 8, "blkif_request_segment size");
_Static_assert(offsetof(struct blkif_request_segment, first_sect) == 4, "blkif_request_segment.first_sect");
_Static_assert(offsetof(struct blkif_request_segment, last_sect) == 5, "blkif_request_segment.last_sect");

struct blkif_request {
    uint8_t  operation;         /* BLKIF_OP_* */
    uint8_t  nr_segments;       /* 1..BLKIF_MAX_SEGMENTS_PER_REQUEST (0 for flush) */
    blkif_vdev_t handle;        /* read/write only */
    uint32_t _pad0;
    uint64_t id;                /* front end's cookie, echoed in the response */
    blkif_sector_t sector_number; /* first sector on the disk */
    struct blkif_request_segment seg[BLKIF_MAX_SEGMENTS_PER_REQUEST];
};
_Static_assert(sizeof(struct blkif_request) == 112, "blkif_request size");
_Static_assert(offsetof(struct blkif_request, nr_segments) == 1, "blkif_request.nr_segments");
_Static_assert(offsetof(struct blkif_request, handle) == 2, "blkif_request.handle");
_Static_assert(offsetof(struct blkif_request, id) == 8, "blkif_request.id");
_Static_assert(offsetof(struct blkif_request, sector_number) == 16, "blkif_request.sector_number");
_Static_assert(offsetof(struct blkif_request, seg) == 24, "blkif_request.seg");

/* The same ring slot when operation == BLKIF_OP_DISCARD. */
#define BLKIF_DISCARD_SECURE (1 << 0) /* erase irrecoverably (if discard-secure) */

struct blkif_request_discard {
    uint8_t  operation;         /* BLKIF_OP_DISCARD */
    uint8_t  flag;              /* BLKIF_DISCARD_* */
    blkif_vdev_t handle;
    uint32_t _pad0;
    uint64_t id;
    blkif_sector_t sector_number;
    uint64_t nr_sectors;        /* sectors to discard */
};
_Static_assert(sizeof(struct blkif_request_discard) == 32, "blkif_request_discard size");
_Static_assert(offsetof(struct blkif_request_discard, flag) == 1, "blkif_request_discard.flag");
_Static_assert(offsetof(struct blkif_request_discard, id) == 8, "blkif_request_discard.id");
_Static_assert(offsetof(struct blkif_request_discard, nr_sectors) == 24, "blkif_request_discard.nr_sectors");

/*
 * The same ring slot when operation == BLKIF_OP_INDIRECT: the segments are
 * in granted pages of struct blkif_request_segment (512 per page).
 */
struct blkif_request_indirect {
    uint8_t  operation;         /* BLKIF_OP_INDIRECT */
    uint8_t  indirect_op;       /* BLKIF_OP_READ or BLKIF_OP_WRITE */
    uint16_t nr_segments;       /* up to the back end's limit */
    uint32_t _pad0;
    uint64_t id;
    blkif_sector_t sector_number;
    blkif_vdev_t handle;
    uint16_t _pad1;
    grant_ref_t indirect_grefs[BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST];
    uint32_t _pad2;
};
_Static_assert(sizeof(struct blkif_request_indirect) == 64, "blkif_request_indirect size");
_Static_assert(offsetof(struct blkif_request_indirect, nr_segments) == 2, "blkif_request_indirect.nr_segments");
_Static_assert(offsetof(struct blkif_request_indirect, id) == 8, "blkif_request_indirect.id");
_Static_assert(offsetof(struct blkif_request_indirect, handle) == 24, "blkif_request_indirect.handle");
_Static_assert(offsetof(struct blkif_request_indirect, indirect_grefs) == 28, "blkif_request_indirect.indirect_grefs");

struct blkif_response {
    uint64_t id;                /* from the request */
    uint8_t  operation;         /* from the request */
    uint8_t  _pad0;
    int16_t  status;            /* BLKIF_RSP_* */
    uint32_t _pad1;
};
_Static_assert(sizeof(struct blkif_response) == 16, "blkif_response size");
_Static_assert(offsetof(struct blkif_response, operation) == 8, "blkif_response.operation");
_Static_assert(offsetof(struct blkif_response, status) == 10, "blkif_response.status");

#define BLKIF_RSP_EOPNOTSUPP (-2) /* operation not supported */
#define BLKIF_RSP_ERROR      (-1) /* I/O error */
#define BLKIF_RSP_OKAY       0

/* The ring: header, then BLKIF_RING_SIZE slots in a one-page ring. */
union blkif_sring_entry {
    struct blkif_request  req;
    struct blkif_response rsp;
};
_Static_assert(sizeof(union blkif_sring_entry) == 112, "blkif_sring_entry size");

struct blkif_sring {
    struct xen_sring_header hdr;
    union blkif_sring_entry ring[];
};
_Static_assert(sizeof(struct blkif_sring) == 64, "blkif_sring size");
_Static_assert(offsetof(struct blkif_sring, ring) == 64, "blkif_sring.ring");

#define BLKIF_RING_SIZE 32
_Static_assert(BLKIF_RING_SIZE * sizeof(union blkif_sring_entry) <= 4096 - 64 &&
               2 * BLKIF_RING_SIZE * sizeof(union blkif_sring_entry) > 4096 - 64,
               "BLKIF_RING_SIZE is the largest power of two fitting one page");

/* backend "info" bits */
#define VDISK_CDROM     0x1
#define VDISK_REMOVABLE 0x2
#define VDISK_READONLY  0x4

#endif /* PUBLIC_IO_BLKIF_H */
