/*
 * physdev_op: the subset a device-owning PV domain needs - physical IRQs
 * (map, bind through EVTCHNOP_bind_pirq, EOI, status), I/O privilege level
 * and I/O port bitmap.
 */
#ifndef PUBLIC_PHYSDEV_H
#define PUBLIC_PHYSDEV_H

#include "xen.h"

/*
 * physdev_op(cmd, arg)                                 hypercall 33
 *   rdi  PHYSDEVOP_*
 *   rsi  guest VA of the command's structure
 * Caller: a guest kernel; the IRQ and I/O commands only make sense for a
 * domain that was granted the IRQ or ports. All commands: -EFAULT, -ENOSYS
 * (unknown or unsupported cmd).
 *
 * physdev_op_compat(op)                                hypercall 19
 *   rdi  guest VA of struct physdev_op (cmd + structure).
 */
#define PHYSDEVOP_eoi              12 /* struct physdev_eoi: end of interrupt for a
                                         PIRQ; -EINVAL (pirq out of range or never
                                         mapped); 0 for a mapped pirq with nothing
                                         in flight */
#define PHYSDEVOP_irq_status_query 5  /* struct physdev_irq_status_query: as Xen
                                         for PV, always needs_eoi; -EINVAL (pirq
                                         out of range) */
#define PHYSDEVOP_set_iopl         6  /* struct physdev_set_iopl: virtual IOPL of the
                                         calling vCPU; -EINVAL (iopl > 3) */
#define PHYSDEVOP_set_iobitmap     7  /* struct physdev_set_iobitmap: per-vCPU I/O
                                         port permission bitmap; -EINVAL (more
                                         than 65536 ports) */
#define PHYSDEVOP_map_pirq         13 /* struct physdev_map_pirq (below) */
#define PHYSDEVOP_unmap_pirq       14 /* struct physdev_unmap_pirq (below) */
#define PHYSDEVOP_pirq_eoi_gmfn_v1 17 /* struct physdev_pirq_eoi_gmfn; v1 also
                                         unmasks the port on EOI (refused: -ENOSYS) */
#define PHYSDEVOP_setup_gsi        21 /* struct physdev_setup_gsi (below) */
#define PHYSDEVOP_pirq_eoi_gmfn_v2 28 /* struct physdev_pirq_eoi_gmfn (below) */

struct physdev_eoi {
    uint32_t irq;           /* IN: PIRQ number */
};
_Static_assert(sizeof(struct physdev_eoi) == 4, "physdev_eoi size");

#define _XENIRQSTAT_needs_eoi 0
#define XENIRQSTAT_needs_eoi  (1u << _XENIRQSTAT_needs_eoi) /* PHYSDEVOP_eoi required */
#define _XENIRQSTAT_shared    1
#define XENIRQSTAT_shared     (1u << _XENIRQSTAT_shared)    /* shared with another domain */

struct physdev_irq_status_query {
    uint32_t irq;           /* IN: PIRQ number */
    uint32_t flags;         /* OUT: XENIRQSTAT_* */
};
_Static_assert(sizeof(struct physdev_irq_status_query) == 8, "physdev_irq_status_query size");
_Static_assert(offsetof(struct physdev_irq_status_query, flags) == 4, "physdev_irq_status_query.flags");

struct physdev_set_iopl {
    uint32_t iopl;          /* IN: 0..3; 3 lets guest kernel and user use all ports */
};
_Static_assert(sizeof(struct physdev_set_iopl) == 4, "physdev_set_iopl size");

struct physdev_set_iobitmap {
    uint64_t bitmap;        /* IN: guest VA of the bitmap (a set bit denies the port,
                               as in the TSS); must stay mapped while in use */
    uint32_t nr_ports;      /* IN: ports covered, starting at port 0 */
    uint32_t _pad0;
};
_Static_assert(sizeof(struct physdev_set_iobitmap) == 16, "physdev_set_iobitmap size");
_Static_assert(offsetof(struct physdev_set_iobitmap, nr_ports) == 8, "physdev_set_iobitmap.nr_ports");

/*
 * PHYSDEVOP_map_pirq: gives domid a pirq for a physical interrupt source.
 * type GSI: index is the GSI; pirq is the pirq wanted, or -1 for "any" (a
 * GSI already mapped gives its pirq again). A GSI or pirq already mapped to
 * something else answers 0 and changes nothing, as Xen 4.17 does.
 * Caller: a domain holding the IRQ (dom0 holds every GSI but the
 * hypervisor's, GSI 0 among them). Errors: -ESRCH (domid), -EPERM (IRQ not
 * held, or domid is another domain and the caller lacks the control right),
 * -EBUSY (GSI mapped by another domain), -EEXIST (GSI mapped to another
 * pirq), -EINVAL (bad type, GSI beyond the I/O APIC, pirq out of range), -ENOSPC (no free
 * pirq), -EOPNOTSUPP (MSI, MSI-X: not yet).
 */
#define MAP_PIRQ_TYPE_MSI       0x0
#define MAP_PIRQ_TYPE_GSI       0x1
#define MAP_PIRQ_TYPE_UNKNOWN   0x2
#define MAP_PIRQ_TYPE_MSI_SEG   0x3
#define MAP_PIRQ_TYPE_MULTI_MSI 0x4

struct physdev_map_pirq {
    domid_t domid;          /* IN: DOMID_SELF or a domain id */
    uint16_t _pad0;
    int32_t type;           /* IN: MAP_PIRQ_TYPE_* */
    int32_t index;          /* IN: the GSI (type GSI); MSI-X: the table entry */
    int32_t pirq;           /* IN: wanted pirq or -1; OUT: the pirq */
    int32_t bus;            /* IN: MSI: PCI bus (segment in bits 16-31 for MSI_SEG) */
    int32_t devfn;          /* IN: MSI: device << 3 | function */
    int32_t entry_nr;       /* IN: MSI: vectors wanted; MSI-X: entry */
    uint32_t _pad1;
    uint64_t table_base;    /* IN: MSI-X: machine address of the table's BAR */
};
_Static_assert(sizeof(struct physdev_map_pirq) == 40, "physdev_map_pirq size");
_Static_assert(offsetof(struct physdev_map_pirq, type) == 4, "physdev_map_pirq.type");
_Static_assert(offsetof(struct physdev_map_pirq, index) == 8, "physdev_map_pirq.index");
_Static_assert(offsetof(struct physdev_map_pirq, pirq) == 12, "physdev_map_pirq.pirq");
_Static_assert(offsetof(struct physdev_map_pirq, bus) == 16, "physdev_map_pirq.bus");
_Static_assert(offsetof(struct physdev_map_pirq, devfn) == 20, "physdev_map_pirq.devfn");
_Static_assert(offsetof(struct physdev_map_pirq, entry_nr) == 24, "physdev_map_pirq.entry_nr");
_Static_assert(offsetof(struct physdev_map_pirq, table_base) == 32, "physdev_map_pirq.table_base");

/*
 * PHYSDEVOP_unmap_pirq: takes pirq back from domid; a port still bound to it
 * is unbound (it stays open and never fires again). Errors: -ESRCH, -EPERM
 * (as map_pirq), -EINVAL (pirq out of range or not mapped).
 */
struct physdev_unmap_pirq {
    domid_t domid;          /* IN */
    uint16_t _pad0;
    int32_t pirq;           /* IN */
};
_Static_assert(sizeof(struct physdev_unmap_pirq) == 8, "physdev_unmap_pirq size");
_Static_assert(offsetof(struct physdev_unmap_pirq, pirq) == 4, "physdev_unmap_pirq.pirq");

/*
 * PHYSDEVOP_setup_gsi: the trigger mode and polarity of a GSI, from the
 * caller's ACPI tables, before it is mapped. Caller: the hardware domain
 * (-EPERM otherwise). Errors: -EINVAL (GSI beyond the I/O APIC), -EEXIST
 * (already set up, or the hypervisor's own).
 */
struct physdev_setup_gsi {
    int32_t gsi;            /* IN */
    uint8_t triggering;     /* IN: 0 edge, 1 level */
    uint8_t polarity;       /* IN: 0 active high, 1 active low */
    uint16_t _pad0;
};
_Static_assert(sizeof(struct physdev_setup_gsi) == 8, "physdev_setup_gsi size");
_Static_assert(offsetof(struct physdev_setup_gsi, triggering) == 4, "physdev_setup_gsi.triggering");
_Static_assert(offsetof(struct physdev_setup_gsi, polarity) == 5, "physdev_setup_gsi.polarity");

/*
 * PHYSDEVOP_pirq_eoi_gmfn_v2: registers a page of the caller's (gmfn: a
 * machine frame for a PV domain) as its EOI bitmap. Bit n set: pirq n is
 * bound and needs PHYSDEVOP_eoi after each event (a level-triggered line);
 * clear: no EOI needed (edge). Set at bind, cleared at unbind, as Xen's
 * pirq_guest_bind does; the guest only reads it. Held writable until the
 * domain dies. Errors: -EINVAL (not a frame of the caller's that
 * can be writable), -EBUSY (one is registered already).
 */
struct physdev_pirq_eoi_gmfn {
    xen_pfn_t gmfn;         /* IN */
};
_Static_assert(sizeof(struct physdev_pirq_eoi_gmfn) == 8, "physdev_pirq_eoi_gmfn size");

/* Argument of physdev_op_compat (the commands above only). */
struct physdev_op {
    uint32_t cmd;           /* IN: PHYSDEVOP_* */
    uint32_t _pad0;
    union {
        struct physdev_irq_status_query irq_status_query;
        struct physdev_set_iopl         set_iopl;
        struct physdev_set_iobitmap     set_iobitmap;
    } u;
};
_Static_assert(sizeof(struct physdev_op) == 24, "physdev_op size");
_Static_assert(offsetof(struct physdev_op, u) == 8, "physdev_op.u");

#endif /* PUBLIC_PHYSDEV_H */
