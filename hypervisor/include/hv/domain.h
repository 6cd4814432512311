/*
 * Domains and their vCPUs (the seeds' VM_BLOCK): identity, rights, lifetime,
 * memory, shutdown state, and per-vCPU architectural state. A domain has
 * 1..MAX_VCPUS vCPUs, created with it; vCPU 0 starts at build time, the
 * others when the guest brings them up (VCPUOP_initialise, VCPUOP_up). The
 * lifetime fields (state, refcnt) are atomic: another CPU may take or drop a
 * reference at any time.
 */
#ifndef HV_DOMAIN_H
#define HV_DOMAIN_H

#include <hv/continuation.h>
#include <hv/lib.h>
#include <hv/page_alloc.h>
#include <hv/sched_policy.h>
#include <hv/timer.h>
#include <public/errno.h>
#include <public/xen.h>
#include <public/vcpu.h>
#include <hv/arch.h>
#include <asm/domain.h>              /* struct arch_vcpu: the architecture's half of a vCPU */

#define MAX_DOMAINS         16
#define MAX_VCPUS           8       /* per domain: vcpus= above it is refused */
#define DOMAIN_NAME_LEN     32
#define DEFAULT_DOMAIN_MEM  MiB(32)

enum vcpu_state {
    VCPU_OFFLINE,           /* not started, or its domain has stopped */
    VCPU_RUNNABLE,          /* wants the CPU (or has it) */
    VCPU_BLOCKED,           /* waits for an event */
};

struct domain;
struct evtchn;
struct grant_table;

/* vcpu.pause_flags, as Xen's: each keeps a runnable vCPU off the CPUs. */
#define VPF_paused      (1u << 0)       /* domctl pause */
#define VPF_down        (1u << 1)       /* never brought up, or VCPUOP_down */

struct vcpu {
    struct domain *domain;
    unsigned int id;
    enum vcpu_state state;
    bool initialised;                   /* has a context (builder or VCPUOP_initialise) */
    volatile bool is_running;           /* its state is live on a CPU (cleared once saved) */
    unsigned int processor;             /* CPU it runs on, or last ran on */
    unsigned int pause_flags;           /* VPF_*: not scheduled while any is set */
    struct vcpu_info *vcpu_info;        /* in the domain's shared_info, or registered by the guest */
    uint64_t vcpu_info_mfn;             /* registered frame (holds a writable reference), 0 if none */
    struct sched_unit unit;             /* what the scheduling policy sees */
    struct vcpu_runstate_info runstate;
    uint64_t runstate_guest;            /* guest VA of its registered runstate copy, 0 if none */
    struct vcpu_hypercall_state hc;     /* the hypercall it is in, if any */

    /* Events and time. */
    uint16_t virq_to_port[NR_VIRQS];
    bool polling;                       /* blocked in SCHEDOP_poll on poll_ports */
    uint32_t poll_ports[128];
    unsigned int nr_poll_ports;
    s_time_t poll_deadline;             /* this poll's timeout, 0 if none: a late timer ends only a poll that is due */
    struct timer poll_timer;            /* fires on the CPU that armed it; stopped only by the vCPU itself */
    struct timer singleshot_timer;      /* set_timer_op / VCPUOP_set_singleshot_timer */
    struct timer periodic_timer;
    s_time_t periodic_period;

    struct arch_vcpu arch;
};

/*
 * A domain's life: FREE -> CREATING -> RUNNING -> RELINQUISHING -> SHUTDOWN,
 * then domain_kill makes it dying and the last domain_put makes the slot
 * FREE again (and its id reusable). Only RUNNING domains are found by a
 * plain lookup; a stopped one keeps its record (getdomaininfo) until killed.
 */
enum domain_state {
    DOMAIN_FREE,            /* slot unused */
    DOMAIN_CREATING,        /* claimed by domain_create, not yet published: no reference can be taken */
    DOMAIN_RUNNING,
    DOMAIN_RELINQUISHING,   /* stopped with a SHUTDOWN_* reason; its memory is being returned */
    DOMAIN_SHUTDOWN,        /* stopped; every frame returned; the record stays until domain_kill */
};

/*
 * Rights a domain holds over the machine and the other domains (d->rights).
 * A domain always has every right over itself where Xen allows the
 * operation on oneself (domain_lookup). dom0 is created with all of them;
 * the toolstack and driver domains will be handed single ones.
 */
#define DOMAIN_RIGHT_CONTROL    (1u << 0)   /* act on other domains: domctl, remote shutdown, their
                                               memory, page tables and event channels; host facts
                                               (command line, build id) */
#define DOMAIN_RIGHT_IOMEM      (1u << 1)   /* map I/O memory (DOMID_IO), choose cache attributes, flush caches */
#define DOMAIN_RIGHT_IOPORT     (1u << 2)   /* the hardware domain: holds every I/O port but the hypervisor's from
                                               creation, reaches PCI config space, grants ports (domctl) */
#define DOMAIN_RIGHT_IRQ        (1u << 3)   /* holds every GSI but the hypervisor's from creation (pirq.c) */
#define DOMAIN_RIGHT_CONSOLE    (1u << 4)   /* read the hypervisor console (CONSOLEIO_read) */
#define DOMAIN_RIGHTS_ALL       ((1u << 5) - 1)

/* domain_lookup flags, beside the DOMAIN_RIGHT_* bits the caller needs. */
#define DOMAIN_LOOKUP_SELF_ID       (1u << 16)  /* DOMID_SELF names the caller (Xen's rcu_lock_domain_by_any_id) */
#define DOMAIN_LOOKUP_STOPPED       (1u << 17)  /* a shut-down domain that is not yet dying is found too */
#define DOMAIN_LOOKUP_RIGHTS_ON_SELF (1u << 18) /* the rights are needed even when the target is the caller */

/* refcnt: the count of references in the low bits; set once domain_kill has run. */
#define DOMAIN_REF_DYING        (1u << 31)

struct domain {
    /* Lifetime (common/domain_ref.c); domain_create zeroes everything below state. */
    enum domain_state state;            /* atomic */
    uint32_t refcnt;                    /* atomic: references | DOMAIN_REF_DYING; the domain holds one
                                           itself from creation until domain_kill */
    unsigned int rights;                /* DOMAIN_RIGHT_* */
    domid_t id;
    char name[DOMAIN_NAME_LEN];
    unsigned int shutdown_reason;       /* SHUTDOWN_*, valid once shut down */
    int shutdown_code;                  /* SCHEDOP_shutdown_code, -1 if none */

    /* Memory: every frame the domain owns is on this list (page_info links). */
    pfn_t page_list;                    /* head, INVALID_PFN if empty; doubly linked */
    uint64_t tot_pages, max_pages;
    uint64_t nr_boot_pages;             /* pseudo-physical size given by the builder */
    uint64_t xenheap_pages;             /* of tot_pages, frames shared with it that are not its memory (its
                                           grant table): outside its reservation and quota, as Xen's xenheap
                                           pages; they go with the rest of its frames when it is destroyed */

    struct shared_info *shared_info;    /* through the direct map */
    pfn_t shared_info_mfn;
    uint64_t vm_assist;                 /* VMASST_* bits enabled */

    /* console_io output is gathered into lines and prefixed with the name. */
    char con_buf[128];
    size_t con_len;

    struct evtchn *evtchn;              /* port table, EVTCHN_PORTS entries */
    /* The xenstore and console rings the builder gave a domU (frames it owns, ports offered to dom0); 0 if none. */
    struct domain_ring { uint64_t mfn; uint32_t port; } store, console;
    unsigned int evtchn_valid;          /* ports below exist (grows by EVTCHN_BUCKET as they are taken) */
    struct grant_table *grant_table;    /* allocated at its first use; NULL again once destruction released it */

    uint64_t hypercalls[64];            /* count by hypercall number */
    uint64_t pt_updates;                /* page-table entries changed for it */
    uint64_t continuations;             /* long hypercalls it had to resume */

    /* Destruction's progress (domain.c), for its log line and its final check. */
    uint64_t frames_at_shutdown, frames_freed, frames_orphaned;
    bool destruction_started;           /* its vCPUs were off every CPU; its event channels are closed */
    struct arch_domain arch;            /* TLB dirty mask; where arch_domain_relinquish stopped */
    unsigned int max_vcpus;             /* vcpu[0..max_vcpus) exist (allocated at creation) */
    struct vcpu *vcpu[MAX_VCPUS];
    volatile uint64_t poll_mask;        /* bit n: vcpu[n]->polling (vcpu_set_polling); senders look only there */
};
_Static_assert(MAX_VCPUS <= 64, "poll_mask has a bit per vCPU");

#define for_each_vcpu(d, v) \
    for (unsigned int _i = 0; _i < (d)->max_vcpus && ((v) = (d)->vcpu[_i]) != NULL; _i++)

/*
 * Marks v as polling (SCHEDOP_poll) or not. Setting is a full barrier
 * before v looks for pending ports, and a sender sets its port before it
 * reads poll_mask: one of the two sees the other.
 */
static inline void vcpu_set_polling(struct vcpu *v, bool on)
{
    v->polling = on;
    if (on)
        __atomic_fetch_or(&v->domain->poll_mask, 1ull << v->id, __ATOMIC_SEQ_CST);
    else
        __atomic_fetch_and(&v->domain->poll_mask, ~(1ull << v->id), __ATOMIC_RELAXED);
}

extern struct domain domains[MAX_DOMAINS];
extern struct domain *dom0;
extern uint64_t frames_free_before_domains;    /* for the leak check at power-off */

static inline bool is_dom0(const struct domain *d) { return d == dom0; }

/* Frames of d's own memory (XENMEM_current_reservation, the quota against max_pages). */
static inline uint64_t domain_reservation(const struct domain *d)
{
    return d->tot_pages > d->xenheap_pages ? d->tot_pages - d->xenheap_pages : 0;
}

/* True when d holds every right in `rights` (DOMAIN_RIGHT_*). */
static inline bool domain_has_rights(const struct domain *d, unsigned int rights)
{
    return (d->rights & rights) == rights;
}

/* ---- references and lookup (common/domain_ref.c, pure: host-tested) ---- */

/*
 * Takes a reference on d: its struct stays allocated (and its slot taken)
 * until the matching domain_put. Fails (false) on a dying domain, a free or
 * half-built slot, and when the count would overflow.
 */
bool domain_get(struct domain *d);

/* Drops a reference; the last one of a dying domain frees it (domain_free) and its slot. */
void domain_put(struct domain *d);

/* Whether a lookup with `need` may return d in its present state (running, or stopped if wanted). */
static inline bool domain_lookup_state_ok(const struct domain *d, unsigned int need)
{
    enum domain_state s = __atomic_load_n(&d->state, __ATOMIC_RELAXED);
    bool stopped = s == DOMAIN_RELINQUISHING || s == DOMAIN_SHUTDOWN;
    return s == DOMAIN_RUNNING || (stopped && (need & DOMAIN_LOOKUP_STOPPED));
}

/*
 * Finds domain `id` for `caller` and returns it in *out with a reference
 * held (the caller puts it on every path). `need` holds the DOMAIN_RIGHT_*
 * bits the caller must have and DOMAIN_LOOKUP_* flags. Unless
 * DOMAIN_LOOKUP_RIGHTS_ON_SELF, a domain needs no right over itself. The
 * rights are checked first: a domain without them learns nothing about
 * which ids exist (a deliberate difference from Xen: docs/differences-from-xen.md (j)).
 *   -EPERM  the caller lacks a right it needs
 *   -ESRCH  no such id (DOMID_SELF too unless DOMAIN_LOOKUP_SELF_ID), a
 *           free, half-built or dying slot, or a stopped domain without
 *           DOMAIN_LOOKUP_STOPPED
 */
int domain_lookup(struct domain *caller, domid_t id, unsigned int need, struct domain **out);

/*
 * domain_lookup for a caller that cannot go away meanwhile (its own vCPU
 * runs the call: the hypercall paths): the same checks and errors, but the
 * caller itself comes back without a reference, saving two atomics on the
 * common DOMID_SELF case. Put what it returns with domain_put_held.
 */
static inline int domain_lookup_held(struct domain *caller, domid_t id, unsigned int need, struct domain **out)
{
    ASSERT(__atomic_load_n(&caller->refcnt, __ATOMIC_RELAXED) & ~DOMAIN_REF_DYING);     /* a live caller */
    if (id == DOMID_SELF && (need & DOMAIN_LOOKUP_SELF_ID))
        id = caller->id;
    if (id != caller->id)
        return domain_lookup(caller, id, need, out);
    if ((need & DOMAIN_LOOKUP_RIGHTS_ON_SELF) && !domain_has_rights(caller, need & DOMAIN_RIGHTS_ALL))
        return -XEN_EPERM;
    if (!domain_lookup_state_ok(caller, need))
        return -XEN_ESRCH;
    *out = caller;
    return 0;
}

static inline void domain_put_held(const struct domain *caller, struct domain *d)
{
    if (d != caller)
        domain_put(d);
}

/*
 * Claims a free slot: state CREATING, every field below state zeroed, id
 * set, no reference yet. NULL if every slot is taken. domain_publish makes
 * it findable with the domain's own reference; domain_unclaim gives it back.
 */
struct domain *domain_claim_slot(void);
void domain_publish(struct domain *d);
void domain_unclaim(struct domain *d);

/*
 * Makes a stopped domain dying and drops its own reference: no new
 * reference can be taken, and the last domain_put frees it. False if it
 * was already dying.
 */
bool domain_kill(struct domain *d);

/* Environment of domain_ref.c: */
/* Called by the last domain_put of a dying domain, before its slot is freed. */
void domain_free(struct domain *d);
/* A broken reference-count invariant (a put without a get): does not return. */
__noreturn void domain_ref_bug(const struct domain *d, const char *what);

/* ---- lifecycle (common/domain.c) ---------------------------------------- */

/*
 * A fresh domain with no memory holding `rights` (DOMAIN_RIGHT_*) and
 * max_vcpus offline vCPUs (1..MAX_VCPUS); NULL if every slot is taken.
 */
struct domain *domain_create(const char *name, unsigned int rights, unsigned int max_vcpus);

/* Gives d one zeroed frame it owns; INVALID_PFN when memory or the quota runs out. */
pfn_t domain_alloc_page(struct domain *d);
/*
 * Gives d 2^order contiguous zeroed frames, each an order-0 allocation it
 * owns (freed one by one); the first, or INVALID_PFN when memory or the quota
 * runs out. One arch_clear_frames for the lot.
 */
pfn_t domain_alloc_extent(struct domain *d, unsigned int order);
/* Makes an allocated order-0 frame d's (zeroing it); the caller checked the quota. */
void domain_adopt_page(struct domain *d, pfn_t pfn);
/* Takes an unreferenced frame away from d and frees it. */
void domain_release_page(struct domain *d, pfn_t pfn);
/*
 * XENMEM_exchange's steps (memory_exchange.c): unlink takes an allocated
 * frame of d's off its page list (tot_pages too) without freeing it; relink
 * puts one back as d's, contents kept (adopt zeroes, then relinks).
 */
void domain_unlink_page(struct domain *d, pfn_t pfn);
void domain_relink_page(struct domain *d, pfn_t pfn);

/*
 * Stops d for good with a SHUTDOWN_* reason: its vCPUs go offline at once;
 * its memory returns to the allocator (every frame, counted) in steps that
 * other domains' time runs between, then VIRQ_DOM_EXC tells dom0. dom0's
 * reason ends the machine, after every domain's memory came back and every
 * domain was freed. Safe to call for the running domain.
 */
void domain_shutdown(struct domain *d, unsigned int reason);

/* Guest broke the rules: log why with its registers, then shut it down as crashed. */
void domain_crash(struct domain *d, const char *fmt, ...) __printf(2, 3);


#endif
