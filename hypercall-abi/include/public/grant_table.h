/*
 * Grant tables (version 1): how a domain lets another map or copy its pages,
 * the grant entry layout and grant_table_op.
 */
#ifndef PUBLIC_GRANT_TABLE_H
#define PUBLIC_GRANT_TABLE_H

#include "xen.h"

typedef uint32_t grant_ref_t;    /* index into the granter's table */
typedef uint32_t grant_handle_t; /* mapper's handle for one mapping */

/*
 * The granter's table is an array of these in frames it obtains with
 * GNTTABOP_setup_table and maps itself (512 entries per 4 KiB frame).
 * Granting: write frame and domid, then a write barrier, then flags.
 * Revoking: atomically clear flags only if GTF_reading and GTF_writing are
 * both clear (compare-and-swap on the 16-bit flags); otherwise the grantee
 * still has it mapped.
 */
struct grant_entry_v1 {
    uint16_t flags;   /* GTF_* type and permissions; reading/writing set by the hypervisor */
    domid_t  domid;   /* domain allowed to use the grant */
    uint32_t frame;   /* PFN of the granted page (transfer: filled on arrival) */
};
_Static_assert(sizeof(struct grant_entry_v1) == 8, "grant_entry_v1 size");
_Static_assert(offsetof(struct grant_entry_v1, domid) == 2, "grant_entry_v1.domid");
_Static_assert(offsetof(struct grant_entry_v1, frame) == 4, "grant_entry_v1.frame");

/* Entries 0..7 are reserved for the toolstack's use. */
#define GNTTAB_NR_RESERVED_ENTRIES 8
#define GNTTAB_RESERVED_CONSOLE    0 /* grants the console ring to the backend */
#define GNTTAB_RESERVED_XENSTORE   1 /* grants the xenstore ring to xenstored */

/* grant_entry_v1.flags: type in bits 1:0 */
#define GTF_invalid            (0u << 0) /* not in use */
#define GTF_permit_access      (1u << 0) /* domid may map or copy frame */
#define GTF_accept_transfer    (2u << 0) /* domid may transfer a page to us */
#define GTF_transitive         (3u << 0) /* v2 only */
#define GTF_type_mask          (3u << 0)
/* permit_access sub-flags */
#define _GTF_readonly          2
#define GTF_readonly           (1u << _GTF_readonly) /* read-only access only */
#define _GTF_reading           3
#define GTF_reading            (1u << _GTF_reading)  /* hypervisor: mapped/copied for reading */
#define _GTF_writing           4
#define GTF_writing            (1u << _GTF_writing)  /* hypervisor: mapped/copied for writing */
#define _GTF_PWT               5
#define GTF_PWT                (1u << _GTF_PWT)      /* cache attribute hints */
#define _GTF_PCD               6
#define GTF_PCD                (1u << _GTF_PCD)
#define _GTF_PAT               7
#define GTF_PAT                (1u << _GTF_PAT)
#define _GTF_sub_page          8
#define GTF_sub_page           (1u << _GTF_sub_page) /* v2 only */
/* accept_transfer sub-flags */
#define _GTF_transfer_committed 2
#define GTF_transfer_committed  (1u << _GTF_transfer_committed)
#define _GTF_transfer_completed 3
#define GTF_transfer_completed  (1u << _GTF_transfer_completed)

/*
 * grant_table_op(cmd, ops, count)                      hypercall 20
 *   rdi  GNTTABOP_*
 *   rsi  guest VA of an array of the command's structure
 *   rdx  number of elements
 * Caller: any guest kernel. The call returns 0 once the batch has been
 * processed; each element's status field carries that element's outcome
 * (GNTST_*). The call itself fails with -EFAULT (array inaccessible), -EINVAL
 * (count too large for the command), -ENOSYS (unknown cmd).
 */
#define GNTTABOP_map_grant_ref     0
#define GNTTABOP_unmap_grant_ref   1
#define GNTTABOP_setup_table       2
#define GNTTABOP_dump_table        3
#define GNTTABOP_transfer          4
#define GNTTABOP_copy              5
#define GNTTABOP_query_size        6
#define GNTTABOP_unmap_and_replace 7
#define GNTTABOP_set_version       8
#define GNTTABOP_get_status_frames 9  /* v2 only */
#define GNTTABOP_get_version       10
#define GNTTABOP_swap_grant_ref    11
#define GNTTABOP_cache_flush       12 /* Arm only */

/*
 * map_grant_ref: map <dom, ref> for the caller. With GNTMAP_host_map, host_addr
 * is the guest VA to map at in the current address space, or with
 * GNTMAP_contains_pte the machine address of the PTE to write. Keep handle
 * for the unmap.
 */
#define _GNTMAP_device_map      0
#define GNTMAP_device_map       (1 << _GNTMAP_device_map)      /* map for DMA; dev_bus_addr out */
#define _GNTMAP_host_map        1
#define GNTMAP_host_map         (1 << _GNTMAP_host_map)        /* map for the CPU at host_addr */
#define _GNTMAP_readonly        2
#define GNTMAP_readonly         (1 << _GNTMAP_readonly)        /* read-only mapping */
#define _GNTMAP_application_map 3
#define GNTMAP_application_map  (1 << _GNTMAP_application_map) /* user-accessible mapping */
#define _GNTMAP_contains_pte    4
#define GNTMAP_contains_pte     (1 << _GNTMAP_contains_pte)    /* host_addr is a PTE's machine address */
/* Bits 16 and up are the guest's own (XENFEAT_gnttab_map_avail_bits): ignored by the hypervisor. */
#define _GNTMAP_guest_avail0    16
#define GNTMAP_guest_avail_mask ((uint32_t)~0 << _GNTMAP_guest_avail0)

struct gnttab_map_grant_ref {
    uint64_t host_addr;       /* IN */
    uint32_t flags;           /* IN: GNTMAP_* */
    grant_ref_t ref;          /* IN: entry in dom's table */
    domid_t  dom;             /* IN: granting domain */
    int16_t  status;          /* OUT: GNTST_* */
    grant_handle_t handle;    /* OUT */
    uint64_t dev_bus_addr;    /* OUT: with GNTMAP_device_map */
};
_Static_assert(sizeof(struct gnttab_map_grant_ref) == 32, "gnttab_map_grant_ref size");
_Static_assert(offsetof(struct gnttab_map_grant_ref, flags) == 8, "gnttab_map_grant_ref.flags");
_Static_assert(offsetof(struct gnttab_map_grant_ref, ref) == 12, "gnttab_map_grant_ref.ref");
_Static_assert(offsetof(struct gnttab_map_grant_ref, dom) == 16, "gnttab_map_grant_ref.dom");
_Static_assert(offsetof(struct gnttab_map_grant_ref, status) == 18, "gnttab_map_grant_ref.status");
_Static_assert(offsetof(struct gnttab_map_grant_ref, handle) == 20, "gnttab_map_grant_ref.handle");
_Static_assert(offsetof(struct gnttab_map_grant_ref, dev_bus_addr) == 24, "gnttab_map_grant_ref.dev_bus_addr");

/*
 * unmap_grant_ref: tear down the mapping(s) of handle. A zero host_addr or
 * dev_bus_addr skips that half. TLBs are flushed before the call returns.
 */
struct gnttab_unmap_grant_ref {
    uint64_t host_addr;       /* IN: as given to map (VA or PTE address) */
    uint64_t dev_bus_addr;    /* IN */
    grant_handle_t handle;    /* IN */
    int16_t  status;          /* OUT: GNTST_* */
    uint16_t _pad0;
};
_Static_assert(sizeof(struct gnttab_unmap_grant_ref) == 24, "gnttab_unmap_grant_ref size");
_Static_assert(offsetof(struct gnttab_unmap_grant_ref, dev_bus_addr) == 8, "gnttab_unmap_grant_ref.dev_bus_addr");
_Static_assert(offsetof(struct gnttab_unmap_grant_ref, handle) == 16, "gnttab_unmap_grant_ref.handle");
_Static_assert(offsetof(struct gnttab_unmap_grant_ref, status) == 20, "gnttab_unmap_grant_ref.status");

/*
 * setup_table: grow dom's table to at least nr_frames frames and return their
 * machine frame numbers, which the caller then maps. dom other than
 * DOMID_SELF needs privilege. status: GNTST_general_error (nr_frames above the
 * limit), GNTST_bad_domain, GNTST_permission_denied.
 */
struct gnttab_setup_table {
    domid_t  dom;             /* IN */
    uint16_t _pad0;
    uint32_t nr_frames;       /* IN */
    int16_t  status;          /* OUT: GNTST_* */
    uint16_t _pad1;
    uint32_t _pad2;
    uint64_t frame_list;      /* IN: guest VA of xen_pfn_t[nr_frames], filled OUT */
};
_Static_assert(sizeof(struct gnttab_setup_table) == 24, "gnttab_setup_table size");
_Static_assert(offsetof(struct gnttab_setup_table, nr_frames) == 4, "gnttab_setup_table.nr_frames");
_Static_assert(offsetof(struct gnttab_setup_table, status) == 8, "gnttab_setup_table.status");
_Static_assert(offsetof(struct gnttab_setup_table, frame_list) == 16, "gnttab_setup_table.frame_list");

/* dump_table: print dom's table on the hypervisor console (debug). */
struct gnttab_dump_table {
    domid_t dom;              /* IN */
    int16_t status;           /* OUT: GNTST_* */
};
_Static_assert(sizeof(struct gnttab_dump_table) == 4, "gnttab_dump_table size");
_Static_assert(offsetof(struct gnttab_dump_table, status) == 2, "gnttab_dump_table.status");

/*
 * transfer: give page mfn away to domid, into its accept_transfer entry ref.
 * The caller loses the page.
 */
struct gnttab_transfer {
    xen_pfn_t mfn;            /* IN: machine frame to give away */
    domid_t  domid;           /* IN: receiver */
    uint16_t _pad0;
    grant_ref_t ref;          /* IN: receiver's entry */
    int16_t  status;          /* OUT: GNTST_* */
    uint16_t _pad1[3];
};
_Static_assert(sizeof(struct gnttab_transfer) == 24, "gnttab_transfer size");
_Static_assert(offsetof(struct gnttab_transfer, domid) == 8, "gnttab_transfer.domid");
_Static_assert(offsetof(struct gnttab_transfer, ref) == 12, "gnttab_transfer.ref");
_Static_assert(offsetof(struct gnttab_transfer, status) == 16, "gnttab_transfer.status");

/*
 * copy: copy len bytes between two pages, each named either by a grant
 * (GNTCOPY_*_gref: u.ref in domid's table) or by a frame of domid (u.gmfn,
 * the caller's own or one it controls). Neither side may cross its page end.
 */
#define _GNTCOPY_source_gref 0
#define GNTCOPY_source_gref  (1 << _GNTCOPY_source_gref)
#define _GNTCOPY_dest_gref   1
#define GNTCOPY_dest_gref    (1 << _GNTCOPY_dest_gref)

struct gnttab_copy_ptr {
    union {
        grant_ref_t ref;      /* IN: with GNTCOPY_*_gref */
        xen_pfn_t   gmfn;     /* IN: otherwise */
    } u;
    domid_t  domid;           /* IN */
    uint16_t offset;          /* IN: byte offset in the page */
    uint32_t _pad0;
};
_Static_assert(sizeof(struct gnttab_copy_ptr) == 16, "gnttab_copy_ptr size");
_Static_assert(offsetof(struct gnttab_copy_ptr, domid) == 8, "gnttab_copy_ptr.domid");
_Static_assert(offsetof(struct gnttab_copy_ptr, offset) == 10, "gnttab_copy_ptr.offset");

struct gnttab_copy {
    struct gnttab_copy_ptr source;
    struct gnttab_copy_ptr dest;
    uint16_t len;             /* IN: bytes */
    uint16_t flags;           /* IN: GNTCOPY_* */
    int16_t  status;          /* OUT: GNTST_* */
    uint16_t _pad0;
};
_Static_assert(sizeof(struct gnttab_copy) == 40, "gnttab_copy size");
_Static_assert(offsetof(struct gnttab_copy, dest) == 16, "gnttab_copy.dest");
_Static_assert(offsetof(struct gnttab_copy, len) == 32, "gnttab_copy.len");
_Static_assert(offsetof(struct gnttab_copy, flags) == 34, "gnttab_copy.flags");
_Static_assert(offsetof(struct gnttab_copy, status) == 36, "gnttab_copy.status");

/* query_size: current and maximum table size of dom, in frames. */
struct gnttab_query_size {
    domid_t  dom;             /* IN */
    uint16_t _pad0;
    uint32_t nr_frames;       /* OUT */
    uint32_t max_nr_frames;   /* OUT */
    int16_t  status;          /* OUT: GNTST_* */
    uint16_t _pad1;
};
_Static_assert(sizeof(struct gnttab_query_size) == 16, "gnttab_query_size size");
_Static_assert(offsetof(struct gnttab_query_size, nr_frames) == 4, "gnttab_query_size.nr_frames");
_Static_assert(offsetof(struct gnttab_query_size, max_nr_frames) == 8, "gnttab_query_size.max_nr_frames");
_Static_assert(offsetof(struct gnttab_query_size, status) == 12, "gnttab_query_size.status");

/*
 * unmap_and_replace: unmap the grant at host_addr (a VA) and put the mapping
 * that was at new_addr there instead, clearing new_addr.
 */
struct gnttab_unmap_and_replace {
    uint64_t host_addr;       /* IN */
    uint64_t new_addr;        /* IN */
    grant_handle_t handle;    /* IN */
    int16_t  status;          /* OUT: GNTST_* */
    uint16_t _pad0;
};
_Static_assert(sizeof(struct gnttab_unmap_and_replace) == 24, "gnttab_unmap_and_replace size");
_Static_assert(offsetof(struct gnttab_unmap_and_replace, new_addr) == 8, "gnttab_unmap_and_replace.new_addr");
_Static_assert(offsetof(struct gnttab_unmap_and_replace, handle) == 16, "gnttab_unmap_and_replace.handle");
_Static_assert(offsetof(struct gnttab_unmap_and_replace, status) == 20, "gnttab_unmap_and_replace.status");

/*
 * set_version: choose the table format before any grant is in use (only 1 is
 * described here); get_version: read it for dom. Errors via the call's
 * return: -EINVAL (bad version), -EBUSY (grants in use), -ESRCH, -EPERM.
 * Here, as Xen 4.17 booted with gnttab=max-ver:1: version 2 is -ENOSYS and
 * version stays 1 (written back in both cases).
 */
struct gnttab_set_version {
    uint32_t version;         /* IN: 1 (or 2); OUT: version now in force */
};
_Static_assert(sizeof(struct gnttab_set_version) == 4, "gnttab_set_version size");

struct gnttab_get_version {
    domid_t  dom;             /* IN */
    uint16_t _pad0;
    uint32_t version;         /* OUT */
};
_Static_assert(sizeof(struct gnttab_get_version) == 8, "gnttab_get_version size");
_Static_assert(offsetof(struct gnttab_get_version, version) == 4, "gnttab_get_version.version");

/*
 * get_status_frames: the status frames of a v2 table. A v1 table has none:
 * nr_frames 0 is GNTST_okay, more is GNTST_general_error (as Xen on v1).
 */
struct gnttab_get_status_frames {
    uint32_t nr_frames;       /* IN */
    domid_t  dom;             /* IN */
    int16_t  status;          /* OUT: GNTST_* */
    uint64_t frame_list;      /* IN: guest VA of uint64_t[nr_frames], filled OUT */
};
_Static_assert(sizeof(struct gnttab_get_status_frames) == 16, "gnttab_get_status_frames size");
_Static_assert(offsetof(struct gnttab_get_status_frames, dom) == 4, "gnttab_get_status_frames.dom");
_Static_assert(offsetof(struct gnttab_get_status_frames, status) == 6, "gnttab_get_status_frames.status");
_Static_assert(offsetof(struct gnttab_get_status_frames, frame_list) == 8, "gnttab_get_status_frames.frame_list");

/*
 * swap_grant_ref: exchange two unused entries of the caller's table
 * (GNTST_bad_gntref out of range, GNTST_eagain while either is pinned;
 * the same ref twice is GNTST_okay).
 */
struct gnttab_swap_grant_ref {
    grant_ref_t ref_a;        /* IN */
    grant_ref_t ref_b;        /* IN */
    int16_t  status;          /* OUT: GNTST_* */
    uint16_t _pad0;
};
_Static_assert(sizeof(struct gnttab_swap_grant_ref) == 12, "gnttab_swap_grant_ref size");
_Static_assert(offsetof(struct gnttab_swap_grant_ref, status) == 8, "gnttab_swap_grant_ref.status");

/* Per-element status values. */
#define GNTST_okay               (0)
#define GNTST_general_error      (-1)  /* unspecified failure */
#define GNTST_bad_domain         (-2)  /* no such domain */
#define GNTST_bad_gntref         (-3)  /* reference out of range or not granted */
#define GNTST_bad_handle         (-4)  /* no such mapping handle */
#define GNTST_bad_virt_addr      (-5)  /* host_addr unusable */
#define GNTST_bad_dev_addr       (-6)  /* dev_bus_addr unusable */
#define GNTST_no_device_space    (-7)  /* IOMMU out of space */
#define GNTST_permission_denied  (-8)  /* entry does not allow this access */
#define GNTST_bad_page           (-9)  /* frame not usable */
#define GNTST_bad_copy_arg       (-10) /* copy crosses a page boundary */
#define GNTST_address_too_big    (-11) /* transfer: frame address too wide */
#define GNTST_eagain             (-12) /* try again (page being paged in) */
#define GNTST_no_space           (-13) /* out of space (e.g. maptrack) */

#endif /* PUBLIC_GRANT_TABLE_H */
