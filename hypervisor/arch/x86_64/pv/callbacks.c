/* PV CPU-model hypercalls: trap table, callbacks, kernel stack, FPU switch, segment bases. */
#include <hv/continuation.h>
#include <hv/hypercall.h>
#include <public/callback.h>
#include <public/errno.h>
#include <asm/cpu.h>
#include <asm/guest_access.h>
#include <asm/pv.h>


/* set_trap_table: entries until one with address 0; a NULL list clears the table. */
int64_t do_set_trap_table(uint64_t list)
{
    struct arch_vcpu *a = &current->arch;

    if (!list) {
        memset(a->traps, 0, sizeof(a->traps));
        return 0;
    }
    for (unsigned int i = 0;; i++) {
        /* A table without an end must not hold the CPU: continue later. */
        if (i && i % 256 == 0 && hypercall_preempt_check())
            return hypercall_continue(__HYPERVISOR_set_trap_table, list + (uint64_t)i * sizeof(struct trap_info),
                                      0, 0, 0, 0);
        struct trap_info ti;
        if (copy_from_guest(&ti, list + (uint64_t)i * sizeof(ti), sizeof(ti)))
            return -XEN_EFAULT;
        if (!ti.address)
            return 0;
        if (!is_canonical_address(ti.address))
            return -XEN_EINVAL;         /* entries before it stay installed, as Xen */
        a->traps[ti.vector] = (struct guest_trap){ ti.address, (uint16_t)(ti.cs | 3), ti.flags };
    }
}

/* x86-64 order: event, failsafe, syscall. Like Xen it always succeeds; flags reset. */
int64_t do_set_callbacks(uint64_t event, uint64_t failsafe, uint64_t syscall)
{
    struct arch_vcpu *a = &current->arch;
    if (is_canonical_address(event))
        a->event_callback = event;
    if (is_canonical_address(failsafe))
        a->failsafe_callback = failsafe;
    if (is_canonical_address(syscall))
        a->syscall_callback = syscall;
    a->syscall_masks_events = a->failsafe_masks_events = false;
    return 0;
}

static int64_t register_callback(const struct callback_register *cb)
{
    struct arch_vcpu *a = &current->arch;
    bool mask = cb->flags & CALLBACKF_mask_events;

    if (!is_canonical_address(cb->address))
        return -XEN_EINVAL;
    switch (cb->type) {
    case CALLBACKTYPE_event:
        a->event_callback = cb->address;
        return 0;
    case CALLBACKTYPE_failsafe:
        a->failsafe_callback = cb->address;
        a->failsafe_masks_events = mask;
        return 0;
    case CALLBACKTYPE_syscall:
        a->syscall_callback = cb->address;
        a->syscall_masks_events = mask;
        return 0;
    case CALLBACKTYPE_nmi:
        a->traps[2] = (struct guest_trap){ cb->address, 0xe033, 4 };   /* NMIs always mask events */
        return 0;
    case CALLBACKTYPE_syscall32:
    case CALLBACKTYPE_sysenter:
        return 0;       /* accepted as Xen does; 32-bit user code is never entered here */
    default:
        return -XEN_ENOSYS;
    }
}

int64_t do_callback_op(unsigned int cmd, uint64_t arg)
{
    switch (cmd) {
    case CALLBACKOP_register: {
        struct callback_register cb;
        if (copy_from_guest(&cb, arg, sizeof(cb)))
            return -XEN_EFAULT;
        return register_callback(&cb);
    }
    case CALLBACKOP_unregister: {
        struct callback_unregister cb;
        if (copy_from_guest(&cb, arg, sizeof(cb)))
            return -XEN_EFAULT;
        switch (cb.type) {
        case CALLBACKTYPE_nmi:
            current->arch.traps[2].address = 0;
            return 0;
        case CALLBACKTYPE_event:
        case CALLBACKTYPE_failsafe:
        case CALLBACKTYPE_syscall:
        case CALLBACKTYPE_syscall32:
        case CALLBACKTYPE_sysenter:
            return -XEN_EINVAL;         /* these cannot be taken away, as in Xen */
        default:
            return -XEN_ENOSYS;
        }
    }
    default:
        return -XEN_ENOSYS;
    }
}

/* The stack the guest kernel is entered on from user mode; checked when used. */
int64_t do_stack_switch(uint64_t ss, uint64_t sp)
{
    (void)ss;                           /* 64-bit guests always get FLAT_KERNEL_SS */
    current->arch.kernel_sp = sp;
    return 0;
}

/* Virtual CR0.TS: set makes the next FPU use raise #NM in the guest. */
int64_t do_fpu_taskswitch(unsigned int set)
{
    current->arch.fpu_ts = set != 0;
    if (set)
        stts();
    else
        clts();
    return 0;
}

int64_t do_set_segment_base(unsigned int which, uint64_t base)
{
    struct arch_vcpu *a = &current->arch;

    switch (which) {
    case SEGBASE_FS:
        if (!is_canonical_address(base))
            return -XEN_EINVAL;
        a->fs_base = base;
        wrmsr(MSR_FS_BASE, base);
        return 0;
    case SEGBASE_GS_USER:
        if (!is_canonical_address(base))
            return -XEN_EINVAL;
        a->gs_base_user = base;
        if (!a->kernel_mode)
            wrmsr(MSR_GS_BASE, base);
        return 0;
    case SEGBASE_GS_KERNEL:
        if (!is_canonical_address(base))
            return -XEN_EINVAL;
        a->gs_base_kernel = base;
        if (a->kernel_mode)
            wrmsr(MSR_GS_BASE, base);
        return 0;
    case SEGBASE_GS_USER_SEL: {
        /* Load the user %gs selector: its base becomes the user GS base. A bad one gives null. */
        uint16_t sel = (uint16_t)base;
        if ((sel & 3) != 3 && sel > 3)
            sel |= 3;
        uint64_t kbase = rdmsr(MSR_GS_BASE);
        __asm__ volatile("1: mov %w0, %%gs\n2:\n"
                         ".pushsection .fixup, \"ax\"\n3: xor %k0, %k0\n mov %w0, %%gs\n jmp 2b\n.popsection\n"
                         ".pushsection .ex_table, \"a\"\n.balign 4\n.long 1b - .\n.long 3b - .\n.popsection\n"
                         :: "r"((uint32_t)sel) : "memory");
        a->gs = sel;
        a->gs_base_user = rdmsr(MSR_GS_BASE);
        wrmsr(MSR_GS_BASE, kbase);
        return 0;
    }
    default:
        return -XEN_EINVAL;
    }
}
