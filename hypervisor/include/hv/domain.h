/*
 * Domains and their vCPUs (the seeds' VM_BLOCK): identity, privilege, memory,
 * shutdown state, and per-vCPU architectural state. A domain has 1..MAX_VCPUS
 * vCPUs, created with it; vCPU 0 starts at build time, the others when the
 * guest brings them up (VCPUOP_initialise, VCPUOP_up).
 */
#ifndef HV_DOMAIN_H
#define HV_DOMAIN_H

#include <hv/continuation.h>
#include <hv/lib.h>
#include <hv/page_alloc.h>
#include <hv/sched_policy.h>
#include <hv/timer.h>
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
    struct vcpu_hypercall_state hc;     /* the hypercall it is in, if any */

    /* Events and time. */
    uint16_t virq_to_port[NR_VIRQS];
    bool polling;                       /* blocked in SCHEDOP_poll on poll_ports */
    uint32_t poll_ports[128];
    unsigned int nr_poll_ports;
    struct timer poll_timer;
    struct timer singleshot_timer;      /* set_timer_op / VCPUOP_set_singleshot_timer */
    struct timer periodic_timer;
    s_time_t periodic_period;

    struct arch_vcpu arch;
};

enum domain_state {
    DOMAIN_FREE,            /* slot unused */
    DOMAIN_RUNNING,
    DOMAIN_DYING,           /* stopped with a SHUTDOWN_* reason; memory being returned */
    DOMAIN_SHUTDOWN,        /* stopped with a SHUTDOWN_* reason; memory returned */
};

struct domain {
    domid_t id;
    char name[DOMAIN_NAME_LEN];
    bool privileged;                    /* dom0: console read, control of others */
    enum domain_state state;
    unsigned int shutdown_reason;       /* SHUTDOWN_*, valid once shut down */
    int shutdown_code;                  /* SCHEDOP_shutdown_code, -1 if none */

    /* Memory: every frame the domain owns is on this list (page_info links). */
    pfn_t page_list;                    /* head, INVALID_PFN if empty; doubly linked */
    uint64_t tot_pages, max_pages;
    uint64_t nr_boot_pages;             /* pseudo-physical size given by the builder */

    struct shared_info *shared_info;    /* through the direct map */
    pfn_t shared_info_mfn;
    uint64_t vm_assist;                 /* VMASST_* bits enabled */

    /* console_io output is gathered into lines and prefixed with the name. */
    char con_buf[128];
    size_t con_len;

    struct evtchn *evtchn;              /* port table, EVTCHN_PORTS entries */
    unsigned int evtchn_valid;          /* ports below exist (grows by EVTCHN_BUCKET as they are taken) */

    uint64_t hypercalls[64];            /* count by hypercall number */
    uint64_t pt_updates;                /* page-table entries changed for it */
    uint64_t continuations;             /* long hypercalls it had to resume */
    struct arch_domain arch;
    unsigned int max_vcpus;             /* vcpu[0..max_vcpus) exist (allocated at creation) */
    struct vcpu *vcpu[MAX_VCPUS];
};

#define for_each_vcpu(d, v) \
    for (unsigned int _i = 0; _i < (d)->max_vcpus && ((v) = (d)->vcpu[_i]) != NULL; _i++)

extern struct domain domains[MAX_DOMAINS];
extern struct domain *dom0;
extern uint64_t frames_free_before_domains;    /* for the leak check at power-off */

static inline bool is_dom0(const struct domain *d) { return d == dom0; }

/*
 * A fresh domain with no memory and max_vcpus offline vCPUs (1..MAX_VCPUS);
 * NULL if every slot is taken or memory runs out.
 */
struct domain *domain_create(const char *name, bool privileged, unsigned int max_vcpus);

/* Gives d one zeroed frame it owns; INVALID_PFN when memory or the quota runs out. */
pfn_t domain_alloc_page(struct domain *d);
/* Makes an allocated order-0 frame d's (zeroing it); the caller checked the quota. */
void domain_adopt_page(struct domain *d, pfn_t pfn);
/* Takes an unreferenced frame away from d and frees it. */
void domain_release_page(struct domain *d, pfn_t pfn);

/*
 * Stops d for good with a SHUTDOWN_* reason: its vCPUs go offline, its
 * memory returns to the allocator (every frame, counted), and dom0's reason
 * ends the machine. Safe to call for the running domain.
 */
void domain_shutdown(struct domain *d, unsigned int reason);

/* Guest broke the rules: log why with its registers, then shut it down as crashed. */
void domain_crash(struct domain *d, const char *fmt, ...) __printf(2, 3);

/* Number of domains not yet shut down. */
unsigned int domains_alive(void);

#endif
