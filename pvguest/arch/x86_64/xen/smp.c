/*
 * PV secondary vCPUs: how many the domain has (VCPUOP_is_up answers
 * -ENOENT past the last), and bringing one up with VCPUOP_initialise (the
 * kernel's page tables, the idle thread's stack, the trap table and event
 * callbacks, events masked) and VCPUOP_up. A hypervisor that refuses either
 * leaves the kernel on the vCPUs it has: the refusal is reported, not fatal.
 */
#include <pagetable.h>
#include <public/errno.h>
#include <public/vcpu.h>
#include "xen.h"

#define RFLAGS_RESERVED 0x2ull

static int64_t vcpu_op(unsigned int cmd, unsigned int vcpu, void *arg)
{
    return hypercall3(__HYPERVISOR_vcpu_op, cmd, vcpu, arg);
}

static unsigned int xen_nr_possible(void)
{
    unsigned int n = 1;
    for (; n < MAX_CPUS; n++) {
        int64_t rc = vcpu_op(VCPUOP_is_up, n, NULL);
        if (rc < 0) {
            printk("pvguest: smp: vcpu_op(VCPUOP_is_up, vcpu %u): %lld (%s): the domain has %u vCPU(s)\n", n,
                   (long long)rc, xen_errno_name(rc), n);
            break;
        }
    }
    return n;
}

/* A secondary vCPU's first instructions (VCPUOP_initialise's rip), on its idle stack. */
static __noreturn void xen_secondary_start(void (*entry)(void))
{
    entry();
    panic("xen: a secondary CPU's entry returned");
}

static int xen_start_cpu(unsigned int cpu, uintptr_t stack_top, void (*entry)(void))
{
    static struct vcpu_guest_context ctxt;      /* 5 KiB: one CPU is started at a time */
    BUG_ON(cpu >= XEN_LEGACY_MAX_VCPUS);
    struct vcpu_info *v = &xen_shared_info->vcpu_info[cpu];
    v->evtchn_upcall_mask = 1;                  /* it starts with events masked, as CPU 0 did */
    xen_vcpu_info[cpu] = v;

    memset(&ctxt, 0, sizeof(ctxt));
    ctxt.flags = VGCF_in_kernel;
    ctxt.user_regs.rip = (uint64_t)xen_secondary_start;
    ctxt.user_regs.rdi = (uint64_t)entry;
    ctxt.user_regs.rsp = stack_top - 8;         /* as after a call */
    ctxt.user_regs.cs = FLAT_KERNEL_CS;
    ctxt.user_regs.ss = FLAT_KERNEL_SS;
    ctxt.user_regs.ds = ctxt.user_regs.es = FLAT_KERNEL_DS;
    ctxt.user_regs.rflags = RFLAGS_RESERVED;
    xen_fill_trap_ctxt(ctxt.trap_ctxt);
    ctxt.kernel_ss = FLAT_KERNEL_SS;
    ctxt.kernel_sp = stack_top;
    ctxt.ctrlreg[3] = pfn_to_mfn(kernel_root_pfn) << PAGE_SHIFT;   /* xen_pfn_to_cr3 */
    ctxt.event_callback_eip = (uint64_t)xen_event_entry;
    ctxt.failsafe_callback_eip = (uint64_t)xen_failsafe_entry;

    int64_t rc = vcpu_op(VCPUOP_initialise, cpu, &ctxt);
    if (rc) {
        printk("pvguest: smp: vcpu_op(VCPUOP_initialise, vcpu %u, {rip %p, rsp %#llx, cr3 %#llx}) failed: "
               "%lld (%s)\n", cpu, (void *)xen_secondary_start, (unsigned long long)ctxt.user_regs.rsp,
               (unsigned long long)ctxt.ctrlreg[3], (long long)rc, xen_errno_name(rc));
        return (int)rc;
    }
    rc = vcpu_op(VCPUOP_up, cpu, NULL);
    if (rc) {
        printk("pvguest: smp: vcpu_op(VCPUOP_up, vcpu %u) failed: %lld (%s)\n", cpu, (long long)rc,
               xen_errno_name(rc));
        return (int)rc;
    }
    return 0;
}

/* Spinning on a lock a preempted vCPU holds only wastes our time slice: pause is all we can do cheaply. */
static void xen_relax(void) { __asm__ volatile("pause"); }

const struct pv_smp_ops xen_smp_ops = {
    .nr_possible = xen_nr_possible,
    .start_cpu = xen_start_cpu,
    .relax = xen_relax,
};
