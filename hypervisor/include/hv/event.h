/*
 * Event channels, 2-level ABI (public/event_channel.h): per-domain ports,
 * pending and mask bitmaps in shared_info, the pending selector and the
 * upcall flags in vcpu_info. Each port notifies one vCPU of its domain
 * (notify_vcpu); a port polled by several vCPUs wakes each of them.
 */
#ifndef HV_EVENT_H
#define HV_EVENT_H

#include <hv/domain.h>

#define EVTCHN_PORTS    4096    /* the 2-level ABI's limit for 64-bit guests */
/*
 * As Xen, ports come into existence a bucket at a time, when every existing one
 * is taken: ops on a port beyond the last bucket fail -EINVAL even where a
 * closed port in a bucket is accepted (unmask, status).
 */
#define EVTCHN_BUCKET   64

enum evtchn_state {
    ECS_FREE = 0,
    ECS_RESERVED,               /* port 0, never handed out */
    ECS_UNBOUND,                /* waiting for remote_dom to bind */
    ECS_INTERDOMAIN,
    ECS_VIRQ,
    ECS_IPI,
    ECS_PIRQ,                   /* a physical IRQ's (EVTCHNOP_bind_pirq; arch_pirq_*) */
};

struct evtchn {
    uint8_t state;              /* enum evtchn_state */
    uint8_t virq;               /* ECS_VIRQ */
    domid_t remote_dom;         /* ECS_UNBOUND: who may bind; ECS_INTERDOMAIN: peer */
    union {
        uint16_t remote_port;   /* ECS_INTERDOMAIN */
        uint16_t pirq;          /* ECS_PIRQ */
    };
    uint8_t notify_vcpu;        /* the vCPU its upcall goes to (bind_virq/bind_ipi, EVTCHNOP_bind_vcpu) */
    uint8_t _pad;
};
_Static_assert(EVTCHN_PORTS <= 65536 && MAX_VCPUS <= 256, "port and vCPU numbers fit struct evtchn");
_Static_assert(sizeof(struct evtchn) == 8, "evtchn size");

/* Sets up / tears down d's port table (a 32 KiB allocation). */
int evtchn_init(struct domain *d);
void evtchn_destroy(struct domain *d);

/* A new unbound port of d offered to domain remote (the builder's store and console ports): the port, or -ENOSPC. */
int evtchn_alloc_unbound_port(struct domain *d, domid_t remote);

/* Marks port pending in d and notifies its vCPU as the 2-level ABI says. */
void evtchn_set_pending(struct domain *d, unsigned int port);

/* A physical IRQ arrived for d's pirq: its bound port, if any, is set pending (from interrupt context). */
void evtchn_send_pirq(struct domain *d, unsigned int pirq);

/* Per-vCPU and global virtual IRQs (global ones go to dom0). */
void send_guest_vcpu_virq(struct vcpu *v, unsigned int virq);
void send_global_virq(unsigned int virq);

/* The vCPU has an upcall to take now (pending and not masked). Inline: every exit to a guest asks. */
static inline bool vcpu_events_pending(const struct vcpu *v)
{
    ASSERT(v->vcpu_info);       /* from its domain's build (shared_info) to its vCPUs' release */
    return v->vcpu_info->evtchn_upcall_pending && !v->vcpu_info->evtchn_upcall_mask;
}
/*
 * A vCPU about to block must not: an upcall is due, or it polls a port that
 * is pending. The scheduler asks after marking it blocked, under its lock, so
 * an event sent meanwhile either is seen here or finds it blocked and wakes it.
 */
bool vcpu_should_wake(const struct vcpu *v);

/* True if any of the ports v polls on is pending (for SCHEDOP_poll). */
bool evtchn_port_pending(const struct domain *d, unsigned int port);
bool evtchn_port_valid(const struct domain *d, unsigned int port);

#endif
