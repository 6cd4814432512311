/*
 * PV CPU ops: "interrupts off" is the upcall mask in vcpu_info (never cli:
 * we run in ring 3); halting is SCHEDOP_block; the trap table, kernel stack
 * and segment bases are hypercalls. Exceptions and upcalls arrive in
 * xen_trap() from entry.S.
 */
#include <sched.h>
#include <public/arch-x86_64.h>
#include <public/sched.h>
#include <public/version.h>
#include "xen.h"

/* Until shared_info is mapped, a masked stand-in (events start masked anyway). */
static struct vcpu_info boot_vcpu = { .evtchn_upcall_mask = 1 };
struct vcpu_info *xen_vcpu_info[MAX_CPUS] = { &boot_vcpu };
static struct trap_info trap_table[33];
static unsigned int nr_traps;

extern char xen_trap_stubs[];   /* entry.S: vector v's stub at xen_trap_stubs + 16 v */

/* An upcall is pending while we were masked: any hypercall delivers it on the way back. */
void xen_force_upcall(void) { hypercall2(__HYPERVISOR_xen_version, XENVER_version, 0); }

/*
 * The mask is the calling vCPU's: preemption stays off from finding our
 * vcpu_info to writing it, or a switch to another CPU in between would mask
 * (or unmask) the wrong vCPU. Masking needs no preempt_enable(): once
 * masked, nothing preempts us.
 */
static unsigned long xen_irq_save(void)
{
    struct thread *t = current;
    t->preempt_cnt++;
    barrier();
    struct vcpu_info *v = xen_vcpu();
    uint8_t was = v->evtchn_upcall_mask;
    v->evtchn_upcall_mask = 1;
    barrier();
    t->preempt_cnt--;
    return !was;
}

static void xen_irq_disable(void) { (void)xen_irq_save(); }

static void xen_irq_enable(void)
{
    preempt_disable();
    struct vcpu_info *v = xen_vcpu();
    v->evtchn_upcall_mask = 0;
    barrier();
    if (READ_ONCE(v->evtchn_upcall_pending))
        xen_force_upcall();
    preempt_enable();                   /* a reschedule the upcall asked for happens here */
}

static void xen_irq_restore(unsigned long f)
{
    if (f)
        xen_irq_enable();
}

/* Only meaningful about the caller's own state, so a switch in between does not matter. */
static bool xen_irqs_enabled(void)
{
    struct thread *t = current;
    t->preempt_cnt++;
    barrier();
    bool on = !READ_ONCE(xen_vcpu()->evtchn_upcall_mask);
    barrier();
    t->preempt_cnt--;
    return on;
}

/* SCHEDOP_block clears the mask itself and returns at once if an event is pending. */
static void xen_safe_halt(void) { hypercall2(__HYPERVISOR_sched_op, SCHEDOP_block, 0); }

static void xen_set_trap_table(const uint8_t *vectors, unsigned int n)
{
    struct trap_info *table = trap_table;
    BUG_ON(n >= ARRAY_SIZE(trap_table));
    nr_traps = n;
    for (unsigned int i = 0; i < n; i++)
        table[i] = (struct trap_info){
            .vector = vectors[i],
            .flags = TI_MASK_EVENTS,            /* handlers run with events masked, as native gates */
            .cs = FLAT_KERNEL_CS,
            .address = (uint64_t)xen_trap_stubs + vectors[i] * 16u,
        };
    table[n] = (struct trap_info){ 0 };
    int64_t rc = hypercall1(__HYPERVISOR_set_trap_table, table);
    if (rc)
        xen_hypercall_failed(__HYPERVISOR_set_trap_table, rc, "%p (%u entries)", (void *)table, n);
}

static void xen_load_kernel_stack(uintptr_t top)
{
    int64_t rc = hypercall2(__HYPERVISOR_stack_switch, FLAT_KERNEL_SS, top);
    if (rc)
        xen_hypercall_failed(__HYPERVISOR_stack_switch, rc, "%#x, %#llx", FLAT_KERNEL_SS, (unsigned long long)top);
}

static void set_segment_base(unsigned int which, uint64_t base)
{
    int64_t rc = hypercall2(__HYPERVISOR_set_segment_base, which, base);
    if (rc)
        xen_hypercall_failed(__HYPERVISOR_set_segment_base, rc, "%u, %#llx", which, (unsigned long long)base);
}

static void xen_set_fs_base(uint64_t base) { set_segment_base(SEGBASE_FS, base); }
static void xen_set_gs_base(uint64_t base) { set_segment_base(SEGBASE_GS_KERNEL, base); }
static uint64_t xen_fault_address(void) { return xen_vcpu()->arch.cr2; }

void xen_fill_trap_ctxt(struct trap_info *ctxt)
{
    for (unsigned int i = 0; i < nr_traps; i++)
        ctxt[trap_table[i].vector] = trap_table[i];
}

const struct pv_cpu_ops xen_cpu_ops = {
    .irq_save = xen_irq_save,
    .irq_restore = xen_irq_restore,
    .irq_disable = xen_irq_disable,
    .irq_enable = xen_irq_enable,
    .irqs_enabled = xen_irqs_enabled,
    .safe_halt = xen_safe_halt,
    .set_trap_table = xen_set_trap_table,
    .load_kernel_stack = xen_load_kernel_stack,
    .set_fs_base = xen_set_fs_base,
    .set_gs_base = xen_set_gs_base,
    .fault_address = xen_fault_address,
};

void xen_trap(struct trap_frame *f);
void xen_trap(struct trap_frame *f)
{
    counter_entry(__HYPERVISOR_iret);       /* how entry.S returns, on this CPU */
    if (f->vector < 32) {
        trap_exception(f);
        return;
    }
    if (f->vector == TRAP_UPCALL) {
        xen_evtchn_do_upcall();
        irq_exit(f->rflags & RFLAGS_IF);    /* the bounce frame's IF is the mask it interrupted, inverted */
        return;
    }
    trap_fatal(f, "failsafe callback (reloading a segment register failed)");
}
