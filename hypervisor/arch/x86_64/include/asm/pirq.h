/*
 * Physical IRQs of PV domains (pirq.c): which GSIs a domain holds, its pirq
 * table, and the routing of an I/O APIC pin to the owner's event channel
 * with the EOI handshake a level-triggered line needs.
 */
#ifndef ASM_PIRQ_H
#define ASM_PIRQ_H

#include <stdbool.h>
#include <stdint.h>

struct domain;

#define NR_PIRQS        256     /* per domain: pirq numbers 0..255 */
#define NR_GSIS         64      /* at most this many pins of the (first) I/O APIC are routed */
#define GSI_VECTOR_BASE 0x30    /* GSI n arrives on vector 0x30 + n: fixed, one vector per pin */

/*
 * One pirq of a domain (d->arch.pirqs[n]). Written under pirq_lock; port
 * also under the event-channel lock (so evtchn code may read it under
 * that one alone).
 */
struct pirq {
    bool mapped;                /* PHYSDEVOP_map_pirq gave it a GSI */
    uint8_t gsi;                /* valid while mapped */
    uint16_t port;              /* bound event channel, 0 if none (may outlive the mapping: unmap_pirq) */
};

/* Routes every pin's vector to the pirq handler; after apic_init and the serial console took theirs. */
void pirq_init(void);

/* A new domain's IRQ permissions: none, or with DOMAIN_RIGHT_IRQ every GSI but the hypervisor's. */
void pirq_domain_init(struct domain *d);

/* At shutdown: every pin d owns masked and given back, its pirqs unmapped and unbound. */
void pirq_domain_release(struct domain *d);

/* The domain that has gsi mapped now (the answer may change once it returns), NULL if none. */
struct domain *pirq_gsi_owner(uint32_t gsi);

/*
 * PCI deassignment: if d has gsi mapped, its pirq is unbound (the pin
 * masked) and unmapped, as unmap_pirq would do. True when it was.
 */
bool pirq_gsi_revoke(struct domain *d, uint32_t gsi);

/* The EOI bitmap frame d registered (PHYSDEVOP_pirq_eoi_gmfn_v2), 0 if none; released with its vCPUs' frames. */
uint64_t pirq_eoi_frame(const struct domain *d);
void pirq_eoi_frame_release(struct domain *d);

/* PHYSDEVOP_* on behalf of the current domain (pv/physdev.c decodes them); Xen's error codes. */
int pirq_setup_gsi(struct domain *caller, int32_t gsi, bool level, bool active_low);
int pirq_map_gsi(struct domain *caller, struct domain *d, int32_t gsi, int32_t *pirq);
int pirq_unmap(struct domain *caller, struct domain *d, int32_t pirq);
int pirq_eoi(struct domain *d, uint32_t pirq);
int pirq_status(struct domain *d, uint32_t pirq, uint32_t *flags);
int pirq_set_eoi_frame(struct domain *d, uint64_t mfn);

#endif
