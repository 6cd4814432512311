/*
 * vcpu_op: bringing vCPUs up and down, per-vCPU timers, runstate accounting
 * and relocating vcpu_info.
 */
#ifndef PUBLIC_VCPU_H
#define PUBLIC_VCPU_H

#include "xen.h"

/*
 * vcpu_op(cmd, vcpuid, arg)                            hypercall 24
 *   rdi  VCPUOP_*
 *   rsi  vCPU number within the calling domain
 *   rdx  guest VA of the command's structure (0 where none is taken)
 * Caller: a guest kernel, on its own domain's vCPUs.
 * All commands: -ENOENT (no such vCPU), -EFAULT (structure inaccessible),
 * -ENOSYS (unknown cmd).
 */
#define VCPUOP_initialise                     0  /* struct vcpu_guest_context: set the
                                                    first state of a vCPU that never ran;
                                                    -EEXIST (already initialised),
                                                    -EINVAL (context refused), -ENOMEM */
#define VCPUOP_up                             1  /* make it runnable; -EINVAL if not
                                                    initialised */
#define VCPUOP_down                           2  /* stop it (asynchronous unless called
                                                    on itself); returns 0 */
#define VCPUOP_is_up                          3  /* returns 1 if up, 0 if down */
#define VCPUOP_get_runstate_info              4  /* struct vcpu_runstate_info, OUT */
#define VCPUOP_register_runstate_memory_area  5  /* struct vcpu_register_runstate_memory_area:
                                                    keep a vcpu_runstate_info there
                                                    up to date */
#define VCPUOP_set_periodic_timer             6  /* struct vcpu_set_periodic_timer;
                                                    -EINVAL (period under 1 ms or
                                                    too long) */
#define VCPUOP_stop_periodic_timer            7  /* no arg; returns 0 */
#define VCPUOP_set_singleshot_timer           8  /* struct vcpu_set_singleshot_timer; only
                                                    on the calling vCPU (-EINVAL);
                                                    Xen 4.17 ignores VCPU_SSHOTTMR_future
                                                    (no -ETIME): a past time fires at once */
#define VCPUOP_stop_singleshot_timer          9  /* no arg; calling vCPU only */
#define VCPUOP_register_vcpu_info             10 /* struct vcpu_register_vcpu_info: move
                                                    vcpu_info out of shared_info; once
                                                    per vCPU, on itself or while it is
                                                    down; -ENXIO (the 64 bytes would
                                                    cross the page), -EINVAL (frame,
                                                    vCPU up, or already done) */
#define VCPUOP_send_nmi                       11 /* no arg; raise a virtual NMI */
#define VCPUOP_get_physid                     12 /* struct vcpu_get_physid, OUT;
                                                    -EINVAL unless pinned and allowed */
#define VCPUOP_register_vcpu_time_memory_area 13 /* struct vcpu_register_time_memory_area:
                                                    keep a second vcpu_time_info copy */

/*
 * Time a vCPU spent in each state. With VMASST_TYPE_runstate_update_flag the
 * hypervisor sets XEN_RUNSTATE_UPDATE in state_entry_time while it rewrites
 * a registered copy.
 */
#define RUNSTATE_running  0 /* on a physical CPU */
#define RUNSTATE_runnable 1 /* wants to run, not scheduled */
#define RUNSTATE_blocked  2 /* waiting for an event */
#define RUNSTATE_offline  3 /* neither (down, paused, preempted in the hypervisor) */

#define XEN_RUNSTATE_UPDATE (UINT64_C(1) << 63)

struct vcpu_runstate_info {
    int32_t  state;             /* OUT: RUNSTATE_* */
    uint32_t _pad0;
    uint64_t state_entry_time;  /* OUT: system time (ns) the state was entered */
    uint64_t time[4];           /* OUT: ns spent in each RUNSTATE_* */
};
_Static_assert(sizeof(struct vcpu_runstate_info) == 48, "vcpu_runstate_info size");
_Static_assert(offsetof(struct vcpu_runstate_info, state_entry_time) == 8, "vcpu_runstate_info.state_entry_time");
_Static_assert(offsetof(struct vcpu_runstate_info, time) == 16, "vcpu_runstate_info.time");

struct vcpu_register_runstate_memory_area {
    uint64_t addr;              /* IN: guest VA of a struct vcpu_runstate_info */
};
_Static_assert(sizeof(struct vcpu_register_runstate_memory_area) == 8, "vcpu_register_runstate_memory_area size");

struct vcpu_set_periodic_timer {
    uint64_t period_ns;         /* IN: VIRQ_TIMER every period_ns */
};
_Static_assert(sizeof(struct vcpu_set_periodic_timer) == 8, "vcpu_set_periodic_timer size");

#define _VCPU_SSHOTTMR_future 0
#define VCPU_SSHOTTMR_future  (1u << _VCPU_SSHOTTMR_future) /* once: -ETIME if past; ignored now */

struct vcpu_set_singleshot_timer {
    uint64_t timeout_abs_ns;    /* IN: absolute system time of VIRQ_TIMER */
    uint32_t flags;             /* IN: VCPU_SSHOTTMR_* */
    uint32_t _pad0;
};
_Static_assert(sizeof(struct vcpu_set_singleshot_timer) == 16, "vcpu_set_singleshot_timer size");
_Static_assert(offsetof(struct vcpu_set_singleshot_timer, flags) == 8, "vcpu_set_singleshot_timer.flags");

struct vcpu_register_vcpu_info {
    uint64_t mfn;               /* IN: frame to hold the vcpu_info (MFN for PV) */
    uint32_t offset;            /* IN: byte offset; the 64 bytes may not cross the page */
    uint32_t rsvd;              /* IN: must be zero */
};
_Static_assert(sizeof(struct vcpu_register_vcpu_info) == 16, "vcpu_register_vcpu_info size");
_Static_assert(offsetof(struct vcpu_register_vcpu_info, offset) == 8, "vcpu_register_vcpu_info.offset");
_Static_assert(offsetof(struct vcpu_register_vcpu_info, rsvd) == 12, "vcpu_register_vcpu_info.rsvd");

struct vcpu_get_physid {
    uint64_t phys_id;           /* OUT: x86: bits 31:0 APIC id, 63:32 ACPI id */
};
_Static_assert(sizeof(struct vcpu_get_physid) == 8, "vcpu_get_physid size");

struct vcpu_register_time_memory_area {
    uint64_t addr;              /* IN: guest VA of a struct vcpu_time_info */
};
_Static_assert(sizeof(struct vcpu_register_time_memory_area) == 8, "vcpu_register_time_memory_area size");

#endif /* PUBLIC_VCPU_H */
