/*
 * domctl: domain control for dom0's toolstack. This interface is OURS, not
 * Xen's (only our toolstack speaks it); it shares only the hypercall number.
 */
#ifndef PUBLIC_DOMCTL_H
#define PUBLIC_DOMCTL_H

#include "xen.h"

/*
 * domctl(op)                                           hypercall 36
 *   rdi  guest VA of struct pv_domctl (IN/OUT)
 * Caller: the privileged domain (dom0) only; others get -EPERM.
 * Errors: -EFAULT (op unreadable/unwritable), -EACCES (interface_version is
 * not PV_DOMCTL_INTERFACE_VERSION), -ENOSYS (unknown cmd), and per command.
 */
#define PV_DOMCTL_INTERFACE_VERSION 0x00000007

#define PV_DOMCTL_getdomaininfo 1   /* IN: domain; OUT: u.info. -ESRCH: no such domain (a shut-down
                                       domain stays until it is destroyed) */
#define PV_DOMCTL_pausedomain   2   /* IN: domain (not the caller). -ESRCH, -EINVAL (self) */
#define PV_DOMCTL_unpausedomain 3   /* IN: domain. -ESRCH */
#define PV_DOMCTL_setschedparams 4  /* IN: domain, u.sched: weight 1..65535, cap percent (0 none,
                                       at most 100). -ESRCH, -EINVAL */
#define PV_DOMCTL_ioport_permission 5 /* IN: domain, u.ioport: grants (allow 1) or takes away (allow 0)
                                       the I/O ports [first_port, first_port + nr_ports), as Xen's
                                       XEN_DOMCTL_ioport_permission, for driver domains. The caller
                                       needs the I/O-port right (dom0 has it) and must hold every port
                                       of the range itself. -EINVAL: nr_ports 0, the range passes
                                       0xFFFF, allow not 0 or 1, padding not zero; -EPERM: the caller
                                       does not hold the range, or it is a port the hypervisor keeps;
                                       -ESRCH; -ENOMEM: the domain's ranges are too fragmented */
/* Toolstack commands (version 4): a domain built at run time by dom0 (pvdrivers/toolstack). */
#define PV_DOMCTL_createdomain  6   /* IN: domain 0, u.create; OUT: domain, the new id. The domain exists
                                       paused, owns no memory but max_pages of room, has shared_info and
                                       its vCPUs without a context. -EINVAL: name empty, not NUL-terminated
                                       or not printable, max_vcpus not 1..8, max_pages 0 or above 2^36,
                                       padding not zero; -EEXIST: a domain (running or not yet destroyed)
                                       has that name; -ENOMEM: no free slot or frame */
#define PV_DOMCTL_destroydomain 7   /* IN: domain (not the caller, not dom0). A running domain is shut down
                                       (SHUTDOWN_poweroff... reason kept if already shut down) and its
                                       memory returned; -EAGAIN while that is still going on: call again.
                                       Then the record goes and the id is free. -ESRCH, -EINVAL */
#define PV_DOMCTL_max_mem       8   /* IN: domain, u.max_mem.max_pages: its reservation's new limit
                                       (1 .. 2^36; below what it owns only stops it growing). -EINVAL */
#define PV_DOMCTL_setvcpucontext 9  /* IN: domain (not the caller), u.vcpucontext: the first context of
                                       a vCPU that has none, from the caller's buffer (struct
                                       vcpu_guest_context), validated as VCPUOP_initialise does. The vCPU
                                       is up but runs only once the domain is unpaused. -EINVAL: vcpu out
                                       of range, a bad context; -EEXIST: it has one; -EFAULT */
#define PV_DOMCTL_getvcpucontext 10 /* IN: domain, u.vcpucontext; OUT: the context into the buffer.
                                       -EINVAL: vcpu out of range; -ENODATA: no context yet; -EFAULT */
#define PV_DOMCTL_getdomaininfo_next 11 /* IN: domain; OUT: domain and u.info of the first domain
                                       (stopped ones too) with an id at or above it. -ESRCH: none: xl's
                                       list walks 0, then id + 1, until -ESRCH */
#define PV_DOMCTL_hypercall_init 12 /* IN: domain, u.hypercall_init.mfn: a frame the domain owns with no
                                       type (not a table), filled with its hypercall page. -EINVAL */
#define PV_DOMCTL_setrings      13  /* IN: domain, u.rings: the xenstore and console rings the dom0
                                       builder made (frames the domain owns, not typed; ports of the
                                       domain left unbound for the caller). Reported back by
                                       getdomaininfo, where xenstored and the console back end find
                                       them; grant references 0 and 1 are seeded for the caller as the
                                       boot builder does. -EINVAL: a frame or port that is not so;
                                       -EEXIST: already set */
/* Version 5: what xl info and xl vcpu-list print. */
#define PV_DOMCTL_physinfo      14  /* IN: nothing (domain is ignored); OUT: u.physinfo, the machine's
                                       CPUs and frames (Xen's XEN_SYSCTL_physinfo) */
#define PV_DOMCTL_getvcpuinfo   15  /* IN: domain, u.vcpuinfo.vcpu; OUT: u.vcpuinfo (Xen's
                                       XEN_DOMCTL_getvcpuinfo). -EINVAL: vcpu out of range or
                                       padding not zero; -ESRCH */
/* Version 6: the rest of a driver domain's permissions (ports: PV_DOMCTL_ioport_permission). */
#define PV_DOMCTL_iomem_permission 16 /* IN: domain, u.iomem: grants (allow 1) or takes away (allow 0)
                                       the machine frames [first_mfn, first_mfn + nr_mfns), as Xen's
                                       XEN_DOMCTL_iomem_permission. The domain may then map those of
                                       them that are not RAM (or lie in the first MiB) with mmu_update
                                       as its own (DOMID_SELF), choose cache attributes and flush
                                       caches. The caller needs the I/O-memory right (dom0 has it: it
                                       holds every frame but the hypervisor's APICs, by that right, so
                                       taking frames from dom0 itself changes nothing) and must hold
                                       every frame of the range itself. Taking frames away stops new
                                       mappings only: mappings made already stay until the domain
                                       removes them (as Xen). -EINVAL: nr_mfns 0, the range wraps or
                                       passes the machine's physical address width or 2^32 frames,
                                       allow not 0 or 1, padding not zero; -EPERM: the caller does not
                                       hold the range (the hypervisor's device memory: no one does);
                                       -ESRCH; -ENOMEM: the domain's ranges are too fragmented */
#define PV_DOMCTL_irq_permission 17 /* IN: domain, u.irq: grants (allow 1) or takes away (allow 0) the
                                       GSI gsi, as Xen's XEN_DOMCTL_irq_permission (whose pirq is the
                                       caller's: dom0's pirq for a GSI is the GSI). The domain may then
                                       map it (PHYSDEVOP_map_pirq, MAP_PIRQ_TYPE_GSI, DOMID_SELF) and
                                       bind it (EVTCHNOP_bind_pirq). The caller needs the IRQ right
                                       (dom0 has it) and must hold the GSI itself. Taking it away
                                       stops new maps and binds only: a pirq mapped or bound already
                                       stays (as Xen). -EINVAL: a GSI the machine does not have, allow
                                       not 0 or 1, padding not zero; -EPERM: the caller does not hold
                                       it (GSI 0 and the hypervisor's: no one does); -ESRCH; -ENOMEM */
/*
 * Version 7: passthrough of one PCI function (segment 0) to an unprivileged domain, as Xen's
 * XEN_DOMCTL_assign_device / XEN_DOMCTL_deassign_device (without an IOMMU: the function's DMA
 * still reaches all of memory, docs/differences-from-xen.md (p)). Where Xen gives the domain a
 * virtual PCI bus through pciback/pcifront, here the hypervisor emulates 0xCF8/0xCFC for it:
 * the domain sees its assigned functions at their real addresses and nothing else.
 */
#define PV_DOMCTL_assign_device 18  /* IN: domain (a running domU: not dom0, not the caller),
                                       u.assign.bdf. The function must be a PCI endpoint (header
                                       type 0, not a bridge) that is present, not assigned to any
                                       domain, with its memory BARs page-aligned in base and size.
                                       The domain is granted the function's I/O-port BARs, its
                                       memory BARs' frames and its INTx GSI (the interrupt line in
                                       configuration space), as the *_permission commands would
                                       grant them, and it reaches the function's configuration
                                       space through 0xCF8/0xCFC (its BARs cannot be moved: a write
                                       of all ones is remembered for sizing, others are dropped;
                                       the expansion ROM reads 0; the interrupt line is read-only).
                                       The caller loses all of it while the function is assigned:
                                       the function reads as absent (all ones) in its configuration
                                       space, the ports and the GSI leave its sets, and its frames
                                       can no longer be mapped (mappings made before stay, as with
                                       iomem_permission). A pirq another domain had mapped for that
                                       GSI is refused (-EBUSY): the GSI has one owner.
                                       -EINVAL: bdf above 0xFFFF, padding not zero, domain is dom0
                                       or the caller, a bridge or a header type other than 0, a
                                       memory BAR not page-aligned or beyond arch limits; -ENODEV:
                                       no function at bdf; -EBUSY: assigned already (to any domain:
                                       the hypervisor logs which), or its GSI mapped by another
                                       domain or shared with a function assigned to another
                                       domain (functions of one domain may share it); -EPERM: the caller does not hold a BAR's ports or
                                       frames or the GSI; -ENOSPC: 8 functions assigned already;
                                       -ESRCH; -ENOMEM: the domain's ranges are too fragmented */
#define PV_DOMCTL_deassign_device 19 /* IN: domain, u.assign.bdf: hands the function back to dom0.
                                       Its command register loses bus mastering, memory and I/O
                                       decoding and gets INTx disabled; the domain's pirq for the
                                       GSI is unbound, masked and unmapped, and the domain loses the
                                       ports, frames and GSI, which dom0 holds again (the domain's
                                       mappings of the BARs stay until it removes them, as with
                                       iomem_permission: deassign from a domain that is trusted or
                                       stopped). The device's own reset (virtio: device_status 0)
                                       is left to the next driver. Destroying the domain does the
                                       same for each of its functions. -EINVAL: bdf above 0xFFFF,
                                       padding not zero; -ENODEV: the function is not assigned to
                                       that domain; -ESRCH */

/* pv_domctl_info.flags */
#define PV_DOMINF_running   (1u << 0)  /* not shut down */
#define PV_DOMINF_shutdown  (1u << 1)  /* shut down, every frame returned; shutdown_reason says why */
#define PV_DOMINF_privileged (1u << 2) /* may control other domains */
#define PV_DOMINF_stopping  (1u << 3)  /* shut down, its memory still being returned (shutdown_reason
                                          is valid); PV_DOMINF_shutdown follows */
#define PV_DOMINF_paused    (1u << 4)  /* pausedomain (or created and not yet unpaused) */
#define PV_DOMINF_blocked   (1u << 5)  /* running, and every vCPU that is up waits for an event */

struct pv_domctl_info {
    uint32_t flags;            /* OUT: PV_DOMINF_* */
    uint32_t shutdown_reason;  /* OUT: SHUTDOWN_* (sched.h) once shut down */
    int32_t  shutdown_code;    /* OUT: SCHEDOP_shutdown_code value, -1 if none */
    uint32_t _pad0;
    uint64_t tot_pages;        /* OUT: frames the domain owns now */
    uint64_t max_pages;        /* OUT: its limit */
    uint8_t  name[32];         /* OUT: NUL-terminated */
    uint64_t cpu_time;         /* OUT: ns its vCPU has run */
    uint32_t weight;           /* OUT: scheduling weight */
    uint32_t cap;              /* OUT: cap in percent, 0 none */
    /*
     * OUT: the xenstore and console rings the builder gave the domain
     * (start_info.store_mfn/store_evtchn, console.domU): machine frames and
     * the domain's unbound ports offered to dom0, for dom0 to introduce the
     * domain to xenstored and serve its console. All 0 for dom0.
     */
    uint64_t store_mfn;
    uint64_t console_mfn;
    uint32_t store_port;
    uint32_t console_port;
    uint64_t shared_info_mfn;  /* OUT: its shared_info frame (start_info.shared_info for a builder) */
    uint32_t nr_vcpus;         /* OUT: vCPUs it was created with */
    uint32_t _pad1;
    uint64_t free_pages;       /* OUT: frames free in the hypervisor now (Xen's physinfo free_pages) */
};
_Static_assert(sizeof(struct pv_domctl_info) == 128, "pv_domctl_info size");
_Static_assert(offsetof(struct pv_domctl_info, tot_pages) == 16, "pv_domctl_info.tot_pages");
_Static_assert(offsetof(struct pv_domctl_info, name) == 32, "pv_domctl_info.name");
_Static_assert(offsetof(struct pv_domctl_info, cpu_time) == 64, "pv_domctl_info.cpu_time");
_Static_assert(offsetof(struct pv_domctl_info, store_mfn) == 80, "pv_domctl_info.store_mfn");
_Static_assert(offsetof(struct pv_domctl_info, store_port) == 96, "pv_domctl_info.store_port");

struct pv_domctl_sched {
    uint32_t weight;           /* IN */
    uint32_t cap;              /* IN */
};
_Static_assert(sizeof(struct pv_domctl_sched) == 8, "pv_domctl_sched size");

struct pv_domctl_ioport {
    uint32_t first_port;       /* IN: 0..0xFFFF */
    uint32_t nr_ports;         /* IN: at least 1; first_port + nr_ports <= 0x10000 */
    uint8_t  allow;            /* IN: 1 grant, 0 take away */
    uint8_t  _pad[7];          /* must be zero */
};
_Static_assert(sizeof(struct pv_domctl_ioport) == 16, "pv_domctl_ioport size");

struct pv_domctl_iomem {
    uint64_t first_mfn;        /* IN: first machine frame */
    uint64_t nr_mfns;          /* IN: at least 1 */
    uint8_t  allow;            /* IN: 1 grant, 0 take away */
    uint8_t  _pad[7];          /* must be zero */
};
_Static_assert(sizeof(struct pv_domctl_iomem) == 24, "pv_domctl_iomem size");
_Static_assert(offsetof(struct pv_domctl_iomem, allow) == 16, "pv_domctl_iomem.allow");

struct pv_domctl_irq {
    uint32_t gsi;              /* IN: the GSI (dom0's pirq for it) */
    uint8_t  allow;            /* IN: 1 grant, 0 take away */
    uint8_t  _pad[3];          /* must be zero */
};
_Static_assert(sizeof(struct pv_domctl_irq) == 8, "pv_domctl_irq size");
_Static_assert(offsetof(struct pv_domctl_irq, allow) == 4, "pv_domctl_irq.allow");

struct pv_domctl_assign {
    uint32_t bdf;               /* IN: bus << 8 | device << 3 | function (Xen's PCI_BDF), at most 0xFFFF */
    uint32_t _pad;              /* must be zero */
};
_Static_assert(sizeof(struct pv_domctl_assign) == 8, "pv_domctl_assign size");

struct pv_domctl_create {
    uint8_t  name[32];          /* IN: NUL-terminated, printable, not empty */
    uint32_t max_vcpus;         /* IN: 1 .. 8 */
    uint32_t _pad;              /* must be zero */
    uint64_t max_pages;         /* IN: reservation limit, 1 .. 2^36 */
};
_Static_assert(sizeof(struct pv_domctl_create) == 48, "pv_domctl_create size");

struct pv_domctl_max_mem {
    uint64_t max_pages;         /* IN */
};

struct pv_domctl_vcpucontext {
    uint32_t vcpu;              /* IN: vCPU id */
    uint32_t _pad;              /* must be zero */
    uint64_t ctxt;              /* IN: guest VA of a struct vcpu_guest_context */
};
_Static_assert(sizeof(struct pv_domctl_vcpucontext) == 16, "pv_domctl_vcpucontext size");

struct pv_domctl_hypercall_init {
    uint64_t mfn;               /* IN */
};

struct pv_domctl_rings {
    uint64_t store_mfn;         /* IN */
    uint64_t console_mfn;       /* IN */
    uint32_t store_port;        /* IN */
    uint32_t console_port;      /* IN */
};
_Static_assert(sizeof(struct pv_domctl_rings) == 24, "pv_domctl_rings size");

struct pv_domctl_physinfo {
    uint32_t nr_cpus;           /* OUT: CPUs the hypervisor runs vCPUs on */
    uint32_t _pad;
    uint64_t total_pages;       /* OUT: frames the page allocator manages */
    uint64_t free_pages;        /* OUT: of those, free now */
};
_Static_assert(sizeof(struct pv_domctl_physinfo) == 24, "pv_domctl_physinfo size");

struct pv_domctl_vcpuinfo {
    uint32_t vcpu;              /* IN: vCPU id, below the domain's nr_vcpus */
    uint8_t  online;            /* OUT: 1 if up (has a context, not VCPUOP_down) */
    uint8_t  blocked;           /* OUT: 1 if it waits for an event */
    uint8_t  running;           /* OUT: 1 if its state is live on a CPU now */
    uint8_t  _pad;              /* IN: must be zero */
    uint64_t cpu_time;          /* OUT: ns it has run */
    uint32_t cpu;               /* OUT: CPU it runs on or last ran on */
    uint32_t _pad1;             /* IN: must be zero */
};
_Static_assert(sizeof(struct pv_domctl_vcpuinfo) == 24, "pv_domctl_vcpuinfo size");
_Static_assert(offsetof(struct pv_domctl_vcpuinfo, cpu_time) == 8, "pv_domctl_vcpuinfo.cpu_time");

struct pv_domctl {
    uint32_t cmd;               /* IN: PV_DOMCTL_* */
    uint32_t interface_version; /* IN: PV_DOMCTL_INTERFACE_VERSION */
    domid_t  domain;            /* IN: the domain acted on */
    uint16_t _pad0[3];          /* must be zero */
    union {
        struct pv_domctl_info info;
        struct pv_domctl_sched sched;
        struct pv_domctl_ioport ioport;
        struct pv_domctl_create create;
        struct pv_domctl_max_mem max_mem;
        struct pv_domctl_vcpucontext vcpucontext;
        struct pv_domctl_hypercall_init hypercall_init;
        struct pv_domctl_rings rings;
        struct pv_domctl_physinfo physinfo;
        struct pv_domctl_vcpuinfo vcpuinfo;
        struct pv_domctl_iomem iomem;
        struct pv_domctl_irq irq;
        struct pv_domctl_assign assign;
        uint8_t _size[128];
    } u;
};
_Static_assert(sizeof(struct pv_domctl) == 144, "pv_domctl size");
_Static_assert(offsetof(struct pv_domctl, domain) == 8, "pv_domctl.domain");
_Static_assert(offsetof(struct pv_domctl, u) == 16, "pv_domctl.u");

#endif /* PUBLIC_DOMCTL_H */
