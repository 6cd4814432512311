/* The Xen PV backend's ops table, shutdown, and the names of hypercalls and errors for reports. */
#include <public/errno.h>
#include <public/sched.h>
#include <xen/services.h>
#include "xen.h"

_Static_assert(__HYPERVISOR_iret == 23, "entry.S jumps to hypercall stub 23");

static const char *const hypercall_names[] = {
    [__HYPERVISOR_set_trap_table] = "set_trap_table", [__HYPERVISOR_mmu_update] = "mmu_update",
    [__HYPERVISOR_set_gdt] = "set_gdt", [__HYPERVISOR_stack_switch] = "stack_switch",
    [__HYPERVISOR_set_callbacks] = "set_callbacks", [__HYPERVISOR_fpu_taskswitch] = "fpu_taskswitch",
    [__HYPERVISOR_sched_op_compat] = "sched_op_compat", [__HYPERVISOR_memory_op] = "memory_op",
    [__HYPERVISOR_multicall] = "multicall", [__HYPERVISOR_update_va_mapping] = "update_va_mapping",
    [__HYPERVISOR_set_timer_op] = "set_timer_op", [__HYPERVISOR_xen_version] = "xen_version",
    [__HYPERVISOR_console_io] = "console_io", [__HYPERVISOR_grant_table_op] = "grant_table_op",
    [__HYPERVISOR_vm_assist] = "vm_assist", [__HYPERVISOR_iret] = "iret", [__HYPERVISOR_vcpu_op] = "vcpu_op",
    [__HYPERVISOR_set_segment_base] = "set_segment_base", [__HYPERVISOR_mmuext_op] = "mmuext_op",
    [__HYPERVISOR_sched_op] = "sched_op", [__HYPERVISOR_callback_op] = "callback_op",
    [__HYPERVISOR_event_channel_op] = "event_channel_op", [__HYPERVISOR_physdev_op] = "physdev_op",
    [__HYPERVISOR_domctl] = "domctl", [COUNTER_ENTRY_PT_STORE] = "pt_store",
};

const char *xen_hypercall_name(unsigned int nr)
{
    return nr < ARRAY_SIZE(hypercall_names) && hypercall_names[nr] ? hypercall_names[nr] : "unknown";
}

const char *xen_errno_name(int64_t rc)
{
    switch (-rc) {
    case 0: return "OK";
    case XEN_EPERM: return "EPERM";
    case XEN_ENOENT: return "ENOENT";
    case XEN_ESRCH: return "ESRCH";
    case XEN_EAGAIN: return "EAGAIN";
    case XEN_ENOMEM: return "ENOMEM";
    case XEN_EACCES: return "EACCES";
    case XEN_EFAULT: return "EFAULT";
    case XEN_EBUSY: return "EBUSY";
    case XEN_EEXIST: return "EEXIST";
    case XEN_EINVAL: return "EINVAL";
    case XEN_ENOSPC: return "ENOSPC";
    case XEN_ENOSYS: return "ENOSYS";
    default: return "?";
    }
}

__noreturn void xen_hypercall_failed(unsigned int nr, int64_t rc, const char *args_fmt, ...)
{
    char args[192];
    va_list ap;
    va_start(ap, args_fmt);
    vsnprintf(args, sizeof(args), args_fmt, ap);
    va_end(ap);
    panic("hypercall %s(%s) failed: %lld (%s)", xen_hypercall_name(nr), args, (long long)rc, xen_errno_name(rc));
}

void toolstack_xl_wait(void);
void toolstack_xl_after_domains(void);

/* A failed self-test, like a domain we waited for that did not end well, ends dom0 with crash. */
static __noreturn void xen_shutdown(int reason)
{
    if (reason != PV_SHUTDOWN_CRASH) {
        toolstack_xl_wait();            /* xl=yes: dom0 stays until its command line is told to quit */
        bool all_ok = xen_wait_domains();
        toolstack_xl_after_domains();   /* xl=after (make run): a prompt until quit, then the power-off */
        xenpv_stop_drivers();           /* e.g. the domUs' last console lines, however they ended */
        if (!all_ok)
            reason = PV_SHUTDOWN_CRASH;
    }
    struct sched_shutdown sd = { .reason = reason == PV_SHUTDOWN_POWEROFF ? SHUTDOWN_poweroff : SHUTDOWN_crash };
    for (;;)
        hypercall2(__HYPERVISOR_sched_op, SCHEDOP_shutdown, &sd);
}

static const struct pv_machine_ops xen_machine_ops = {
    .name = "xen-pv",
    .mm_init = xen_mm_init,
    .entry_name = xen_hypercall_name,
    .shutdown = xen_shutdown,
    .start_drivers = xenpv_start_drivers,
    .net_device = xenpv_net_device,
    .shutdown_requested = xenpv_shutdown_requested,
};

const struct paravirt_ops pv_ops = {
    .cpu = &xen_cpu_ops,
    .mmu = &xen_mmu_ops,
    .time = &xen_time_ops,
    .console = &xen_console_ops,
    .irq = &xen_irq_ops,
    .machine = &xen_machine_ops,
    .smp = &xen_smp_ops,
};
