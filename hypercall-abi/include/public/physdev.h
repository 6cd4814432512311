/*
 * physdev_op: the subset a device-owning PV domain needs - IRQ
 * acknowledgement and status, I/O privilege level and I/O port bitmap.
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
                                         PIRQ; -EINVAL (bad pirq) */
#define PHYSDEVOP_irq_status_query 5  /* struct physdev_irq_status_query;
                                         -EINVAL (bad irq) */
#define PHYSDEVOP_set_iopl         6  /* struct physdev_set_iopl: virtual IOPL of the
                                         calling vCPU; -EINVAL (iopl > 3) */
#define PHYSDEVOP_set_iobitmap     7  /* struct physdev_set_iobitmap: per-vCPU I/O
                                         port permission bitmap; -EINVAL (more
                                         than 65536 ports) */
#define PHYSDEVOP_map_pirq         13 /* not described here */
#define PHYSDEVOP_unmap_pirq       14 /* not described here */
#define PHYSDEVOP_pirq_eoi_gmfn_v2 28 /* not described here */

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
