/*
 * x86-64 PV internals: entering and leaving guests, bounce frames, and the
 * descriptor tables. What common code may call is in hv/arch.h.
 */
#ifndef ASM_PV_H
#define ASM_PV_H

#include <hv/arch.h>
#include <hv/domain.h>
#include <hv/event.h>
#include <hv/frame.h>
#include <hv/sched.h>

/* Sets up SYSCALL entry and the other per-CPU state guests need (pv/hypercall.c). */
void pv_cpu_init(void);

/* Fills a guest's hypercall page: 128 stubs of 32 bytes that SYSCALL into pv/hypercall.c. */
void pv_write_hypercall_page(uint8_t *page);

/*
 * Enters a guest kernel's handler through a bounce frame, as Xen does
 * (pv/bounce.c). Returns false when the frame could not be written (the
 * domain was crashed).
 */
bool pv_bounce(struct vcpu *v, struct cpu_regs *regs, uint64_t handler, bool has_error, uint32_t error_code,
               bool mask_events);

/* The L4 v runs on in its present guest mode, as a CR3 value. */
uint64_t pv_current_cr3(const struct vcpu *v);
/* Flips v (the running vCPU) between guest kernel and user mode: page tables and GS base. */
void pv_toggle_guest_mode(struct vcpu *v);

/* Enters the first guest; never returns. */
__noreturn void pv_start_guests(void);

/* Runs exceptions that came from a guest (regs at the top of the stack). */
void pv_handle_exception(struct cpu_regs *regs);

/*
 * Last stop before returning to a guest: schedules, and when another vCPU
 * is chosen, swaps the register frame at the top of the stack for its own;
 * then an upcall if one is due. Inline, as every hypercall and trap ends
 * here: in the common case (the same vCPU goes on, no upcall due) its two
 * checks are all there is, and an upcall to the same vCPU goes in without
 * asking the scheduler again (pv_upcall; if its frame cannot be written, the
 * domain is gone and pv_exit_to_guest_slow picks another).
 */
void pv_exit_to_guest_slow(struct cpu_regs *regs);
bool pv_upcall(struct vcpu *v, struct cpu_regs *regs);
static inline void pv_exit_to_guest(struct cpu_regs *regs)
{
    struct vcpu *v = current;
    ASSERT(!frame_lock_held());             /* no hypercall or trap leaves it taken */
    if (likely(sched_goes_on(v))) {
        if (likely(!vcpu_events_pending(v)) || pv_upcall(v, regs))
            return;
    }
    pv_exit_to_guest_slow(regs);
}

/* Queues an exception for the running vCPU through its trap table (bounce frame). */
void pv_inject_exception(struct vcpu *v, unsigned int vector, int error_code);

/* Puts v's CR4.TSD choice and TSC_AUX into the CPU (v runs, or is about to; pv/emul_priv.c). */
void pv_load_cpu_state(const struct vcpu *v);
/* A new vCPU's debug registers as Xen resets them (pv/debugreg.c). */
void pv_debugreg_init(struct arch_vcpu *a);
/* On a switch from prev to next (either may be NULL, idle): next's breakpoints in, or prev's out. */
void pv_debugreg_switch(const struct vcpu *prev, const struct vcpu *next);
/* A vcpu_guest_context's debugreg[] into v (not running), each through set_debugreg's rules, and back. */
void pv_set_debugregs_from_context(struct vcpu *v, const uint64_t debugreg[8]);
void pv_get_debugregs_for_context(const struct vcpu *v, uint64_t debugreg[8]);
/* A #DB from the running vCPU v: the CPU's DR6 gathered into v's, as Xen; the caller delivers it. */
void pv_debug_from_guest(struct vcpu *v);
/* A #DB in the hypervisor (a guest's data breakpoint on an address we touched for it): noted, ignored. */
void pv_debug_in_hypervisor(struct cpu_regs *regs);

/* Drops the descriptor-page references of v's GDT frames (teardown). */
void pv_release_gdt(struct vcpu *v);
/* Frees v's LDT copy (teardown). */
void pv_release_ldt(struct vcpu *v);

/* set_gdt for v: validates and types the frames, then installs them (live if v is current). 0 or -XEN_EINVAL. */
int pv_set_gdt(struct vcpu *v, const uint64_t *frames, unsigned int entries);

/* Puts v's validated GDT entries into the live GDT (below the reserved page). */
void pv_load_gdt(const struct vcpu *v);

/* LDT of v (MMUEXT_SET_LDT): validated copy installed through LDT_SEL. */
int pv_set_ldt(struct vcpu *v, uint64_t base, unsigned int ents);
void pv_load_ldt(const struct vcpu *v);

#endif
