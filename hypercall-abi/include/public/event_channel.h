/*
 * Event channels: allocating, binding, signalling and closing ports
 * (event_channel_op), plus the FIFO-ABI control block layout.
 */
#ifndef PUBLIC_EVENT_CHANNEL_H
#define PUBLIC_EVENT_CHANNEL_H

#include "xen.h"

/*
 * event_channel_op(cmd, arg)                           hypercall 32
 *   rdi  EVTCHNOP_*
 *   rsi  guest VA of the command's structure (fields marked IN/OUT)
 * Caller: any guest kernel unless noted. Errors common to all commands:
 * -EFAULT (structure unreadable or unwritable), -ENOSYS (unknown cmd).
 * "No free port" is -ENOSPC.
 *
 * event_channel_op_compat(op)                          hypercall 16
 *   rdi  guest VA of struct evtchn_op, which carries cmd and the structure.
 *
 * Delivery (2-level ABI): sending sets the port's bit in
 * shared_info.evtchn_pending; if the port is not masked, the hypervisor sets
 * bit (port / 64) of the bound vCPU's evtchn_pending_sel and its
 * evtchn_upcall_pending, and upcalls unless evtchn_upcall_mask is set.
 * A new port is bound to vCPU 0 unless the command says otherwise.
 */
#define EVTCHNOP_bind_interdomain  0
#define EVTCHNOP_bind_virq         1
#define EVTCHNOP_bind_pirq         2
#define EVTCHNOP_close             3
#define EVTCHNOP_send              4
#define EVTCHNOP_status            5
#define EVTCHNOP_alloc_unbound     6
#define EVTCHNOP_bind_ipi          7
#define EVTCHNOP_bind_vcpu         8
#define EVTCHNOP_unmask            9
#define EVTCHNOP_reset            10
#define EVTCHNOP_init_control     11
#define EVTCHNOP_expand_array     12
#define EVTCHNOP_set_priority     13
#define EVTCHNOP_reset_cont       14 /* hypervisor-internal continuation of reset */

/*
 * alloc_unbound: make a fresh port in dom that remote_dom may later bind to.
 * dom must be DOMID_SELF unless the caller controls dom; remote_dom may be
 * DOMID_SELF. Errors: -ESRCH (no such domain), -EPERM, -ENOSPC.
 */
struct evtchn_alloc_unbound {
    domid_t dom;            /* IN */
    domid_t remote_dom;     /* IN */
    evtchn_port_t port;     /* OUT: the new port in dom */
};
_Static_assert(sizeof(struct evtchn_alloc_unbound) == 8, "evtchn_alloc_unbound size");
_Static_assert(offsetof(struct evtchn_alloc_unbound, remote_dom) == 2, "evtchn_alloc_unbound.remote_dom");
_Static_assert(offsetof(struct evtchn_alloc_unbound, port) == 4, "evtchn_alloc_unbound.port");

/*
 * bind_interdomain: connect a fresh local port to <remote_dom, remote_port>,
 * which must be unbound and offered to the caller. The local port starts
 * pending, covering signals sent before the bind.
 * Errors: -ESRCH (no remote domain), -EINVAL (remote port not offered to the
 * caller), -ENOSPC.
 */
struct evtchn_bind_interdomain {
    domid_t remote_dom;         /* IN: may be DOMID_SELF (loopback) */
    uint16_t _pad0;
    evtchn_port_t remote_port;  /* IN */
    evtchn_port_t local_port;   /* OUT */
};
_Static_assert(sizeof(struct evtchn_bind_interdomain) == 12, "evtchn_bind_interdomain size");
_Static_assert(offsetof(struct evtchn_bind_interdomain, remote_port) == 4, "evtchn_bind_interdomain.remote_port");
_Static_assert(offsetof(struct evtchn_bind_interdomain, local_port) == 8, "evtchn_bind_interdomain.local_port");

/*
 * bind_virq: bind a VIRQ_* to a fresh port notifying vcpu. Global VIRQs are
 * bound on vCPU 0 (bind_vcpu can move them); per-vCPU ones stay on vcpu.
 * Errors: -EINVAL (bad virq, global virq with vcpu != 0), -ENOENT (no such
 * vCPU), -EEXIST (already bound on that vCPU), -ENOSPC.
 */
struct evtchn_bind_virq {
    uint32_t virq;          /* IN: VIRQ_* */
    uint32_t vcpu;          /* IN */
    evtchn_port_t port;     /* OUT */
};
_Static_assert(sizeof(struct evtchn_bind_virq) == 12, "evtchn_bind_virq size");
_Static_assert(offsetof(struct evtchn_bind_virq, vcpu) == 4, "evtchn_bind_virq.vcpu");
_Static_assert(offsetof(struct evtchn_bind_virq, port) == 8, "evtchn_bind_virq.port");

/*
 * bind_pirq: bind a physical IRQ the caller has been granted to a fresh port.
 * Errors: -EINVAL (pirq out of range), -EPERM (not granted), -EEXIST
 * (already bound), -EBUSY (shared with a domain that did not allow sharing),
 * -ENOSPC, -ENOMEM.
 */
#define BIND_PIRQ__WILL_SHARE 1  /* the caller accepts sharing this IRQ */

struct evtchn_bind_pirq {
    uint32_t pirq;          /* IN */
    uint32_t flags;         /* IN: BIND_PIRQ__* */
    evtchn_port_t port;     /* OUT */
};
_Static_assert(sizeof(struct evtchn_bind_pirq) == 12, "evtchn_bind_pirq size");
_Static_assert(offsetof(struct evtchn_bind_pirq, flags) == 4, "evtchn_bind_pirq.flags");
_Static_assert(offsetof(struct evtchn_bind_pirq, port) == 8, "evtchn_bind_pirq.port");

/*
 * bind_ipi: a fresh port that, when sent, notifies vcpu of the caller.
 * Errors: -ENOENT (no such vCPU), -ENOSPC.
 */
struct evtchn_bind_ipi {
    uint32_t vcpu;          /* IN */
    evtchn_port_t port;     /* OUT */
};
_Static_assert(sizeof(struct evtchn_bind_ipi) == 8, "evtchn_bind_ipi size");
_Static_assert(offsetof(struct evtchn_bind_ipi, port) == 4, "evtchn_bind_ipi.port");

/*
 * close: free a local port; an interdomain peer's port goes back to unbound.
 * Errors: -EINVAL (port invalid, already closed, or owned by the hypervisor).
 */
struct evtchn_close {
    evtchn_port_t port;     /* IN */
};
_Static_assert(sizeof(struct evtchn_close) == 4, "evtchn_close size");

/*
 * send: signal the other end of port (interdomain peer, or the vCPU of an
 * IPI port); sending on an unbound port is silently dropped.
 * Errors: -EINVAL (port invalid or of a kind that cannot be sent on).
 */
struct evtchn_send {
    evtchn_port_t port;     /* IN */
};
_Static_assert(sizeof(struct evtchn_send) == 4, "evtchn_send size");

/*
 * status: describe <dom, port>. dom other than DOMID_SELF needs privilege.
 * Errors: -ESRCH, -EINVAL (port out of range), -EPERM.
 */
#define EVTCHNSTAT_closed      0 /* free */
#define EVTCHNSTAT_unbound     1 /* waiting for u.unbound.dom to bind */
#define EVTCHNSTAT_interdomain 2 /* connected to u.interdomain */
#define EVTCHNSTAT_pirq        3 /* bound to physical IRQ u.pirq */
#define EVTCHNSTAT_virq        4 /* bound to u.virq */
#define EVTCHNSTAT_ipi         5 /* IPI port */

struct evtchn_status {
    domid_t dom;            /* IN */
    uint16_t _pad0;
    evtchn_port_t port;     /* IN */
    uint32_t status;        /* OUT: EVTCHNSTAT_* */
    uint32_t vcpu;          /* OUT: vCPU notified */
    union {
        struct {
            domid_t dom;
        } unbound;
        struct {
            domid_t dom;
            uint16_t _pad0;
            evtchn_port_t port;
        } interdomain;
        uint32_t pirq;
        uint32_t virq;
    } u;                    /* OUT, by status */
};
_Static_assert(sizeof(struct evtchn_status) == 24, "evtchn_status size");
_Static_assert(offsetof(struct evtchn_status, port) == 4, "evtchn_status.port");
_Static_assert(offsetof(struct evtchn_status, status) == 8, "evtchn_status.status");
_Static_assert(offsetof(struct evtchn_status, vcpu) == 12, "evtchn_status.vcpu");
_Static_assert(offsetof(struct evtchn_status, u) == 16, "evtchn_status.u");
_Static_assert(offsetof(struct evtchn_status, u.interdomain.port) == 20, "evtchn_status.u.interdomain.port");

/*
 * bind_vcpu: notify vcpu instead for port. Only interdomain, unbound, pirq
 * and global-VIRQ ports can move. Errors: -ENOENT (no such vCPU), -EINVAL.
 */
struct evtchn_bind_vcpu {
    evtchn_port_t port;     /* IN */
    uint32_t vcpu;          /* IN */
};
_Static_assert(sizeof(struct evtchn_bind_vcpu) == 8, "evtchn_bind_vcpu size");
_Static_assert(offsetof(struct evtchn_bind_vcpu, vcpu) == 4, "evtchn_bind_vcpu.vcpu");

/*
 * unmask: clear port's mask bit and, if it is pending, deliver it as if it
 * had just been sent. Errors: -EINVAL (port invalid).
 */
struct evtchn_unmask {
    evtchn_port_t port;     /* IN */
};
_Static_assert(sizeof(struct evtchn_unmask) == 4, "evtchn_unmask size");

/*
 * reset: close every port of dom (DOMID_SELF unless the caller controls dom)
 * and return to the 2-level ABI. Errors: -ESRCH, -EPERM.
 */
struct evtchn_reset {
    domid_t dom;            /* IN */
};
_Static_assert(sizeof(struct evtchn_reset) == 2, "evtchn_reset size");

/*
 * init_control (FIFO ABI): register the calling domain's control block for
 * vcpu in frame control_gfn at offset. Errors: -ENOENT (no such vCPU),
 * -EINVAL (bad offset or frame, or already set up), -ENOMEM.
 */
struct evtchn_init_control {
    uint64_t control_gfn;   /* IN */
    uint32_t offset;        /* IN: byte offset of the control block */
    uint32_t vcpu;          /* IN */
    uint8_t  link_bits;     /* OUT: EVTCHN_FIFO_LINK_BITS */
    uint8_t  _pad[7];
};
_Static_assert(sizeof(struct evtchn_init_control) == 24, "evtchn_init_control size");
_Static_assert(offsetof(struct evtchn_init_control, offset) == 8, "evtchn_init_control.offset");
_Static_assert(offsetof(struct evtchn_init_control, vcpu) == 12, "evtchn_init_control.vcpu");
_Static_assert(offsetof(struct evtchn_init_control, link_bits) == 16, "evtchn_init_control.link_bits");

/* expand_array (FIFO ABI): add one page of event words. -EOPNOTSUPP (FIFO ABI
 * not set up), -EINVAL, -ENOMEM. */
struct evtchn_expand_array {
    uint64_t array_gfn;     /* IN */
};
_Static_assert(sizeof(struct evtchn_expand_array) == 8, "evtchn_expand_array size");

/* set_priority (FIFO ABI): -EINVAL (port or priority), -ENOSYS (2-level ABI). */
struct evtchn_set_priority {
    evtchn_port_t port;     /* IN */
    uint32_t priority;      /* IN: EVTCHN_FIFO_PRIORITY_MAX..MIN */
};
_Static_assert(sizeof(struct evtchn_set_priority) == 8, "evtchn_set_priority size");
_Static_assert(offsetof(struct evtchn_set_priority, priority) == 4, "evtchn_set_priority.priority");

/* Argument of event_channel_op_compat: the command and its structure. */
struct evtchn_op {
    uint32_t cmd;           /* IN: EVTCHNOP_* (bind_interdomain .. unmask) */
    union {
        struct evtchn_alloc_unbound    alloc_unbound;
        struct evtchn_bind_interdomain bind_interdomain;
        struct evtchn_bind_virq        bind_virq;
        struct evtchn_bind_pirq        bind_pirq;
        struct evtchn_bind_ipi         bind_ipi;
        struct evtchn_close            close;
        struct evtchn_send             send;
        struct evtchn_status           status;
        struct evtchn_bind_vcpu        bind_vcpu;
        struct evtchn_unmask           unmask;
    } u;
};
_Static_assert(sizeof(struct evtchn_op) == 28, "evtchn_op size");
_Static_assert(offsetof(struct evtchn_op, u) == 4, "evtchn_op.u");

/* FIFO ABI: a 32-bit word per port; ports chain into per-priority queues. */
typedef uint32_t event_word_t;

#define EVTCHN_FIFO_PRIORITY_MAX     0
#define EVTCHN_FIFO_PRIORITY_DEFAULT 7
#define EVTCHN_FIFO_PRIORITY_MIN     15
#define EVTCHN_FIFO_MAX_QUEUES       (EVTCHN_FIFO_PRIORITY_MIN + 1)

#define EVTCHN_FIFO_PENDING   31 /* bit numbers in an event word */
#define EVTCHN_FIFO_MASKED    30
#define EVTCHN_FIFO_LINKED    29
#define EVTCHN_FIFO_BUSY      28
#define EVTCHN_FIFO_LINK_BITS 17 /* low bits: next port in the queue */
#define EVTCHN_FIFO_LINK_MASK ((1 << EVTCHN_FIFO_LINK_BITS) - 1)
#define EVTCHN_FIFO_NR_CHANNELS (1 << EVTCHN_FIFO_LINK_BITS)

struct evtchn_fifo_control_block {
    uint32_t ready;                          /* bit q: queue q has events */
    uint32_t _rsvd;
    uint32_t head[EVTCHN_FIFO_MAX_QUEUES];   /* first port of each queue */
};
_Static_assert(sizeof(struct evtchn_fifo_control_block) == 72, "evtchn_fifo_control_block size");
_Static_assert(offsetof(struct evtchn_fifo_control_block, head) == 8, "evtchn_fifo_control_block.head");

#endif /* PUBLIC_EVENT_CHANNEL_H */
