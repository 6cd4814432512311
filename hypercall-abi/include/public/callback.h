/*
 * callback_op: registering the guest entry points the hypervisor bounces
 * events, failsafe returns, system calls and NMIs to.
 */
#ifndef PUBLIC_CALLBACK_H
#define PUBLIC_CALLBACK_H

#include "xen.h"

/*
 * callback_op(cmd, arg)                                hypercall 30
 *   rdi  CALLBACKOP_*
 *   rsi  guest VA of struct callback_register / callback_unregister
 * Caller: PV guest kernel; callbacks belong to the calling vCPU, so each
 * vCPU registers its own.
 * Returns 0; -EINVAL (non-canonical address, or unregistering a type other
 * than nmi); -ENOSYS (unknown type or cmd); -EFAULT.
 */
#define CALLBACKOP_register   0
#define CALLBACKOP_unregister 1

/* Callback types usable by a 64-bit PV guest. */
#define CALLBACKTYPE_event                 0 /* event channel upcall */
#define CALLBACKTYPE_failsafe              1 /* hypervisor could not restore guest
                                                segment state on return */
#define CALLBACKTYPE_syscall               2 /* SYSCALL from 64-bit guest user mode */
#define CALLBACKTYPE_sysenter_deprecated   3 /* 32-bit hypervisors only */
#define CALLBACKTYPE_nmi                   4 /* NMI delivery */
#define CALLBACKTYPE_sysenter              5 /* SYSENTER from 32-bit user mode (Intel) */
#define CALLBACKTYPE_syscall32             7 /* SYSCALL from 32-bit user mode (AMD) */

/* Mask events on entry (ignored for event and NMI: those always mask). */
#define _CALLBACKF_mask_events 0
#define CALLBACKF_mask_events  (1u << _CALLBACKF_mask_events)

struct callback_register {
    uint16_t type;              /* IN: CALLBACKTYPE_* */
    uint16_t flags;             /* IN: CALLBACKF_* */
    uint32_t _pad0;
    xen_callback_t address;     /* IN: guest VA of the entry point */
};
_Static_assert(sizeof(struct callback_register) == 16, "callback_register size");
_Static_assert(offsetof(struct callback_register, flags) == 2, "callback_register.flags");
_Static_assert(offsetof(struct callback_register, address) == 8, "callback_register.address");

struct callback_unregister {
    uint16_t type;              /* IN: CALLBACKTYPE_* (only nmi can be unregistered) */
    uint16_t _pad0;
};
_Static_assert(sizeof(struct callback_unregister) == 4, "callback_unregister size");

#endif /* PUBLIC_CALLBACK_H */
