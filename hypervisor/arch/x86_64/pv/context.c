/*
 * The vCPU on the CPU: guest kernel/user mode, the switch from one vCPU to
 * another (registers, page tables, descriptor tables, segments, FPU), and
 * the last stop before returning to a guest, where the switch and pending
 * event upcalls happen.
 */
#include <hv/cpumask.h>
#include <hv/event.h>
#include <hv/hypercall.h>
#include <hv/sched.h>
#include <asm/cpu.h>
#include <asm/extable.h>
#include <asm/mm.h>
#include <asm/pv.h>
#include <asm/timer.h>

__noreturn void pv_enter_first_guest(void);

void arch_vcpu_fpu_init(struct arch_vcpu *a)
{
    memset(a->fpu, 0, sizeof(a->fpu));
    a->fpu[0] = 0x7f;                       /* FCW 0x037f */
    a->fpu[1] = 0x03;
    uint32_t mxcsr = 0x1f80;                /* all SIMD exceptions masked */
    memcpy(a->fpu + 24, &mxcsr, sizeof(mxcsr));
}

/* ---- guest kernel/user mode -------------------------------------------- */

uint64_t pv_current_cr3(const struct vcpu *v)
{
    return v->arch.kernel_mode ? v->arch.guest_table : v->arch.guest_table_user;
}

/*
 * v's registered runstate copy, written through the tables loaded now. As Xen: one
 * that faults in guest user mode (the kernel's address unmapped there) is written
 * again when v next enters its kernel.
 */
static void runstate_area_update(struct vcpu *v)
{
    if (!vcpu_runstate_update_guest(v) && !v->arch.kernel_mode)
        v->arch.runstate_pending = true;
}

/* Flips kernel <-> user: the other page table and the other GS base, as swapgs would. */
void pv_toggle_guest_mode(struct vcpu *v)
{
    struct arch_vcpu *a = &v->arch;
    a->kernel_mode = !a->kernel_mode;
    write_cr3(pv_current_cr3(v));          /* not on the TLB-flush clock: asm/smp.h switch_cr3 */
    wrmsr(MSR_GS_BASE, a->kernel_mode ? a->gs_base_kernel : a->gs_base_user);
    if (unlikely(a->runstate_pending) && a->kernel_mode)
        a->runstate_pending = !vcpu_runstate_update_guest(v);
}

/* ---- context switch and the way back to a guest ------------------------- */

static void save_segments(struct arch_vcpu *a)
{
    __asm__ volatile("mov %%ds, %0; mov %%es, %1; mov %%fs, %2; mov %%gs, %3"
                     : "=m"(a->ds), "=m"(a->es), "=m"(a->fs), "=m"(a->gs));
    /* A non-null selector loaded its descriptor's base: keep that, not the last one set by hypercall. */
    if (a->fs)
        a->fs_base = rdmsr(MSR_FS_BASE);
    if (a->gs)
        *(a->kernel_mode ? &a->gs_base_kernel : &a->gs_base_user) = rdmsr(MSR_GS_BASE);
}

/* Loads a selector the guest chose; one the CPU refuses becomes the null selector. */
#define LOAD_SEG(seg, val)                                                          \
    __asm__ volatile("1: mov %w0, %%" seg "\n2:\n"                                  \
                     ".pushsection .fixup, \"ax\"\n"                                \
                     "3: xor %k0, %k0\n mov %w0, %%" seg "\n jmp 2b\n"              \
                     ".popsection\n" _ASM_EXTABLE(1b, 3b) :: "r"((uint32_t)(val)) : "memory")

static void load_segments(const struct arch_vcpu *a)
{
    LOAD_SEG("ds", a->ds);
    LOAD_SEG("es", a->es);
    LOAD_SEG("fs", a->fs);
    LOAD_SEG("gs", a->gs);
    wrmsr(MSR_FS_BASE, a->fs_base);
    wrmsr(MSR_GS_BASE, a->kernel_mode ? a->gs_base_kernel : a->gs_base_user);
    /* The shadow GS base stays ours (SYSCALL entry): the inactive guest base lives in arch_vcpu. */
}

void arch_context_switch(struct vcpu *prev, struct vcpu *next)
{
    struct cpu_regs *regs = guest_regs();
    unsigned int cpu = smp_processor_id();

    ASSERT(prev == current && prev != next);
    clts();
    if (prev) {
        ASSERT(prev->is_running);          /* (another CPU may already have been given it: processor moved) */
        if (prev->domain->state == DOMAIN_RUNNING) {
            if (unlikely(prev->runstate_guest))
                runstate_area_update(prev);         /* on its own tables, still loaded */
            prev->arch.regs = *regs;
            save_segments(&prev->arch);
            __asm__ volatile("fxsave64 %0" : "=m"(prev->arch.fpu));
        }
    }
    if (next) {
        ASSERT(!next->is_running && next->processor == cpu);
        next->is_running = true;
        *regs = next->arch.regs;
        /* This CPU's TLB may now hold next's domain's entries: shootdowns for it must reach us. */
        cpumask_set_atomic(&next->domain->arch.dirty_cpus, cpu);
        switch_cr3(pv_current_cr3(next));
        if (prev && prev->domain != next->domain)
            cpumask_clear_atomic(&prev->domain->arch.dirty_cpus, cpu);
        pv_load_gdt(next);
        pv_load_ldt(next);
        load_segments(&next->arch);
        __asm__ volatile("fxrstor64 %0" :: "m"(next->arch.fpu));
        if (next->arch.fpu_ts)
            stts();
        pv_load_cpu_state(next);
        if (unlikely(next->runstate_guest))
            runstate_area_update(next);
    } else {
        /* Idle: the hypervisor's own tables; no guest entry stays in this TLB. */
        switch_cr3(idle_l4_pa);
        cpumask_clear_atomic(&prev->domain->arch.dirty_cpus, cpu);
    }
    pv_debugreg_switch(prev, next);
    current = next;
    /* Saved: another CPU may now load prev's registers. */
    if (prev)
        __atomic_store_n(&prev->is_running, false, __ATOMIC_RELEASE);
}

/* An event upcall that is due goes in now, through the event callback; false if v's domain is gone. */
static bool upcall_if_due(struct vcpu *v, struct cpu_regs *regs)
{
    if (!vcpu_events_pending(v))
        return true;
    return pv_upcall(v, regs);
}

bool pv_upcall(struct vcpu *v, struct cpu_regs *regs)
{
    if (!v->arch.event_callback)
        return true;                        /* none registered yet: it stays pending */
    return pv_bounce(v, regs, v->arch.event_callback, false, 0, true);
}

/* pv_exit_to_guest's work when the scheduler has some, or an upcall failed: pick, switch, upcall; again if need be. */
void pv_exit_to_guest_slow(struct cpu_regs *regs)
{
    for (;;) {
        struct vcpu *next = sched_pick();   /* returns with interrupts off */
        if (next != current) {
            arch_context_switch(current, next);
            arch_update_vcpu_time(next);
        }
        if (upcall_if_due(current, regs))
            return;
        /* Its frame could not be written, so its domain is gone: pick again rather than resume it. */
    }
}

void pv_bad_iret(struct cpu_regs *regs);
void pv_bad_iret(struct cpu_regs *regs)
{
    domain_crash(current->domain, "the CPU refused the guest's return frame (rip %#llx cs %#llx ss %#llx)",
                 (unsigned long long)regs->rip, (unsigned long long)regs->cs, (unsigned long long)regs->ss);
    pv_exit_to_guest(regs);
}

__noreturn void pv_start_guests(void)
{
    local_irq_disable();
    pv_enter_first_guest();
}


