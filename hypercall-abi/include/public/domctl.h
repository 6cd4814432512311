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
#define PV_DOMCTL_INTERFACE_VERSION 0x00000002

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

/* pv_domctl_info.flags */
#define PV_DOMINF_running   (1u << 0)  /* not shut down */
#define PV_DOMINF_shutdown  (1u << 1)  /* shut down, every frame returned; shutdown_reason says why */
#define PV_DOMINF_privileged (1u << 2) /* may control other domains */
#define PV_DOMINF_stopping  (1u << 3)  /* shut down, its memory still being returned (shutdown_reason
                                          is valid); PV_DOMINF_shutdown follows */

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
};
_Static_assert(sizeof(struct pv_domctl_info) == 80, "pv_domctl_info size");
_Static_assert(offsetof(struct pv_domctl_info, tot_pages) == 16, "pv_domctl_info.tot_pages");
_Static_assert(offsetof(struct pv_domctl_info, name) == 32, "pv_domctl_info.name");
_Static_assert(offsetof(struct pv_domctl_info, cpu_time) == 64, "pv_domctl_info.cpu_time");

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

struct pv_domctl {
    uint32_t cmd;               /* IN: PV_DOMCTL_* */
    uint32_t interface_version; /* IN: PV_DOMCTL_INTERFACE_VERSION */
    domid_t  domain;            /* IN: the domain acted on */
    uint16_t _pad0[3];          /* must be zero */
    union {
        struct pv_domctl_info info;
        struct pv_domctl_sched sched;
        struct pv_domctl_ioport ioport;
        uint8_t _size[128];
    } u;
};
_Static_assert(sizeof(struct pv_domctl) == 144, "pv_domctl size");
_Static_assert(offsetof(struct pv_domctl, domain) == 8, "pv_domctl.domain");
_Static_assert(offsetof(struct pv_domctl, u) == 16, "pv_domctl.u");

#endif /* PUBLIC_DOMCTL_H */
