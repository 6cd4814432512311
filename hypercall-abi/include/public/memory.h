/*
 * memory_op: growing and shrinking a domain's memory, exchanging pages, the
 * M2P table location and the domain's memory map.
 */
#ifndef PUBLIC_MEMORY_H
#define PUBLIC_MEMORY_H

#include "xen.h"

/*
 * memory_op(cmd, arg)                                  hypercall 12
 *   rdi  XENMEM_* (bits 63:6 must be zero; the hypervisor uses them to resume
 *        a preempted call)
 *   rsi  guest VA of the command's structure (0 where none is taken)
 * Caller: any guest kernel for its own domain (domid DOMID_SELF); naming
 * another domain needs privilege over it (-EPERM) and a live domain (-ESRCH).
 * All commands: -EFAULT (structure inaccessible), -ENOSYS (unknown cmd).
 */

/*
 * increase_reservation / decrease_reservation / populate_physmap
 *   arg: struct xen_memory_reservation.
 *   increase: allocate nr_extents extents; OUT machine frames in extent_start.
 *   decrease: free the extents whose frames (PFNs for translated guests) are
 *             listed in extent_start.
 *   populate: back the PFNs listed in extent_start with new memory; OUT the
 *             machine frames (a PV guest then updates its P2M and the M2P
 *             is updated by the hypervisor).
 * Returns the number of extents done (less than nr_extents on partial
 * failure, e.g. out of memory or over the domain's limit); -EINVAL
 * (extent_order or mem_flags not allowed), -ESRCH, -EPERM.
 */
#define XENMEM_increase_reservation 0
#define XENMEM_decrease_reservation 1
#define XENMEM_populate_physmap     6

/* mem_flags: address width limit in bits 7:0 (0 = none), NUMA node + 1 in 15:8. */
#define XENMEMF_address_bits(x)     (x)
#define XENMEMF_get_address_bits(x) ((x) & 0xffu)
#define XENMEMF_node(x)             (((x) + 1) << 8)
#define XENMEMF_get_node(x)         ((((x) >> 8) - 1) & 0xffu)
#define XENMEMF_populate_on_demand  (1 << 16) /* populate_physmap: PoD entries */
#define XENMEMF_exact_node_request  (1 << 17) /* only from that node */
#define XENMEMF_exact_node(n)       (XENMEMF_node(n) | XENMEMF_exact_node_request)
#define XENMEMF_vnode               (1 << 18) /* node is a virtual node */

struct xen_memory_reservation {
    uint64_t extent_start;  /* IN/OUT: guest VA of xen_pfn_t[nr_extents] */
    xen_ulong_t nr_extents; /* IN */
    uint32_t extent_order;  /* IN: each extent is 2^order pages */
    uint32_t mem_flags;     /* IN: XENMEMF_* */
    domid_t  domid;         /* IN: DOMID_SELF unless privileged */
    uint16_t _pad0[3];
};
_Static_assert(sizeof(struct xen_memory_reservation) == 32, "xen_memory_reservation size");
_Static_assert(offsetof(struct xen_memory_reservation, nr_extents) == 8, "xen_memory_reservation.nr_extents");
_Static_assert(offsetof(struct xen_memory_reservation, extent_order) == 16, "xen_memory_reservation.extent_order");
_Static_assert(offsetof(struct xen_memory_reservation, mem_flags) == 20, "xen_memory_reservation.mem_flags");
_Static_assert(offsetof(struct xen_memory_reservation, domid) == 24, "xen_memory_reservation.domid");

/*
 * exchange: swap the extents in 'in' for new extents described by 'out'
 * (same domain, same total size), chunk by chunk: a chunk is as many input
 * extents as make one output extent, or the reverse, and is done wholly or
 * not at all. in.extent_start lists machine frames (PV) the domain owns and
 * nothing references (unmapped, unpinned, not a page table); out.extent_start
 * lists the PFNs to fill and receives the new machine frames, naturally
 * aligned to their order and below out.mem_flags' address bits (0: any).
 * The command's bits 63:6 must be zero (-EINVAL): progress rides in
 * nr_exchanged (IN: input extents already done, e.g. by a failed call;
 * OUT: written back on every return after the structure was read).
 * Returns 0 when everything was exchanged; otherwise
 *   -EPERM   an order above the caller's limit (domU 9, a domain that drives
 *            devices 12, the control domain 20) or no right over the domain
 *   -EINVAL  nr_exchanged > in.nr_extents, in.domid != out.domid, sizes that
 *            differ or overflow, a bad NUMA node, an input frame the domain
 *            does not own or still uses (listed twice, mapped, ...)
 *   -EFAULT  a list outside guest space, or unreadable when reached (an
 *            unreadable out list after a chunk's commit leaves that chunk's
 *            new frames the domain's but unknown to it, as Xen)
 *   -ESRCH   no such domain;  -ENOMEM  no memory for an output extent
 */
#define XENMEM_exchange 11

struct xen_memory_exchange {
    struct xen_memory_reservation in;   /* IN */
    struct xen_memory_reservation out;  /* IN/OUT */
    xen_ulong_t nr_exchanged;           /* OUT; must be 0 on entry */
};
_Static_assert(sizeof(struct xen_memory_exchange) == 72, "xen_memory_exchange size");
_Static_assert(offsetof(struct xen_memory_exchange, out) == 32, "xen_memory_exchange.out");
_Static_assert(offsetof(struct xen_memory_exchange, nr_exchanged) == 64, "xen_memory_exchange.nr_exchanged");

/* maximum_ram_page: arg 0; returns the highest machine frame of RAM. Never fails. */
#define XENMEM_maximum_ram_page 2

/*
 * current_reservation / maximum_reservation: arg is a domid_t (or struct
 * xen_memory_domain); returns the domain's pages now / its limit in pages.
 * maximum_gpfn: same argument; returns the highest PFN in use.
 */
#define XENMEM_current_reservation 3
#define XENMEM_maximum_reservation 4
#define XENMEM_maximum_gpfn        14

struct xen_memory_domain {
    domid_t domid;          /* IN */
};
_Static_assert(sizeof(struct xen_memory_domain) == 2, "xen_memory_domain size");

/*
 * machphys_mfn_list: list the machine frames (2 MiB extents) backing the
 * M2P table, for mapping it elsewhere; 0 entries mark holes. Returns 0.
 */
#define XENMEM_machphys_mfn_list 5

struct xen_machphys_mfn_list {
    uint32_t max_extents;   /* IN: size of the array */
    uint32_t _pad0;
    uint64_t extent_start;  /* IN: guest VA of xen_pfn_t[max_extents], filled OUT */
    uint32_t nr_extents;    /* OUT: entries written */
    uint32_t _pad1;
};
_Static_assert(sizeof(struct xen_machphys_mfn_list) == 24, "xen_machphys_mfn_list size");
_Static_assert(offsetof(struct xen_machphys_mfn_list, extent_start) == 8, "xen_machphys_mfn_list.extent_start");
_Static_assert(offsetof(struct xen_machphys_mfn_list, nr_extents) == 16, "xen_machphys_mfn_list.nr_extents");

/* machphys_mapping: where the read-only M2P is mapped. Returns 0. */
#define XENMEM_machphys_mapping 12

struct xen_machphys_mapping {
    xen_ulong_t v_start;    /* OUT: MACH2PHYS_VIRT_START */
    xen_ulong_t v_end;      /* OUT */
    xen_ulong_t max_mfn;    /* OUT: highest MFN with an entry */
};
_Static_assert(sizeof(struct xen_machphys_mapping) == 24, "xen_machphys_mapping size");
_Static_assert(offsetof(struct xen_machphys_mapping, v_end) == 8, "xen_machphys_mapping.v_end");
_Static_assert(offsetof(struct xen_machphys_mapping, max_mfn) == 16, "xen_machphys_mapping.max_mfn");

/*
 * add_to_physmap (7) / remove_from_physmap (15): translated guests only;
 * numbers listed so they are not reused.
 */
#define XENMEM_add_to_physmap      7
#define XENMEM_remove_from_physmap 15

/*
 * memory_map: the domain's pseudo-physical memory map (struct xen_memory_map
 * with xen_e820_entry entries), as set by the builder with set_memory_map.
 * Returns 0 with nr_entries updated; -ENOSYS when no map was set (the guest
 * then assumes RAM from PFN 0 to start_info.nr_pages).
 * machine_memory_map: the host's map; privileged callers only (-EPERM).
 * set_memory_map: toolstack; struct xen_foreign_memory_map.
 */
#define XENMEM_memory_map         9
#define XENMEM_machine_memory_map 10
#define XENMEM_set_memory_map     13

struct xen_memory_map {
    uint32_t nr_entries;    /* IN: capacity of buffer; OUT: entries written */
    uint32_t _pad0;
    uint64_t buffer;        /* IN: guest VA of struct xen_e820_entry[nr_entries] */
};
_Static_assert(sizeof(struct xen_memory_map) == 16, "xen_memory_map size");
_Static_assert(offsetof(struct xen_memory_map, buffer) == 8, "xen_memory_map.buffer");

struct xen_foreign_memory_map {
    domid_t  domid;         /* IN: domain whose map is set */
    uint16_t _pad0[3];
    struct xen_memory_map map;
};
_Static_assert(sizeof(struct xen_foreign_memory_map) == 24, "xen_foreign_memory_map size");
_Static_assert(offsetof(struct xen_foreign_memory_map, map) == 8, "xen_foreign_memory_map.map");

/*
 * One memory map entry, in the BIOS INT 15h/E820 format: 20 bytes, packed,
 * so the 64-bit fields are split into 32-bit halves (low half first).
 */
#define XEN_E820_RAM      1
#define XEN_E820_RESERVED 2
#define XEN_E820_ACPI     3
#define XEN_E820_NVS      4
#define XEN_E820_UNUSABLE 5

struct xen_e820_entry {
    uint32_t addr_lo;       /* start address */
    uint32_t addr_hi;
    uint32_t size_lo;       /* length in bytes */
    uint32_t size_hi;
    uint32_t type;          /* XEN_E820_* */
};
_Static_assert(sizeof(struct xen_e820_entry) == 20, "xen_e820_entry size");
_Static_assert(offsetof(struct xen_e820_entry, size_lo) == 8, "xen_e820_entry.size_lo");
_Static_assert(offsetof(struct xen_e820_entry, type) == 16, "xen_e820_entry.type");

static inline uint64_t xen_e820_addr(const struct xen_e820_entry *e)
{
    return ((uint64_t)e->addr_hi << 32) | e->addr_lo;
}

static inline uint64_t xen_e820_size(const struct xen_e820_entry *e)
{
    return ((uint64_t)e->size_hi << 32) | e->size_lo;
}

#endif /* PUBLIC_MEMORY_H */
