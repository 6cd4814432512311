/* x86-64 PV domains: building, entering, leaving, and the hypercalls of the PV CPU model. */
#ifndef ASM_PV_H
#define ASM_PV_H

#include <hv/domain.h>

struct pv_build_args {
    const void *kernel;                 /* the ELF image, through the direct map */
    size_t kernel_size;
    const void *initrd;                 /* optional ramdisk */
    size_t initrd_size;
    const char *cmdline;                /* for start_info.cmd_line */
    uint64_t nr_pages;                  /* memory of the domain */
    uint64_t max_pages;                 /* how far its reservation may grow (>= nr_pages) */
};

/*
 * Loads the kernel, lays out the Xen PV start of day and prepares vCPU 0.
 * Returns 0, or -1 with err naming the problem (the domain keeps whatever
 * memory it got; shut it down to return it).
 */
int pv_build_domain(struct domain *d, const struct pv_build_args *a, char *err, size_t errlen);

/* Sets up SYSCALL entry and the other per-CPU state guests need. */
void pv_cpu_init(void);

/* Enters the first guest; never returns. */
__noreturn void pv_start_guests(void);

/* Drops the CPU's use of d's page tables before its memory is freed. */
void arch_domain_teardown(struct domain *d);

/*
 * Recounts every guest frame's references from the page tables and the
 * vCPUs and compares them with the frame table; logs "AUDIT FAILED" on any
 * difference. when names the moment, for the log.
 */
void pv_audit_frames(const char *when);

/*
 * Drops a stopped domain's own references to its frames: empties its page
 * tables level by level, drops pins, base pointers, GDT and vcpu_info
 * frames, and returns its shared_info frame. Does a bounded amount of work
 * per call and resumes where it stopped (d->arch): -XEN_ERESTART while
 * there is more, 0 when done (then again 0). The frame audit holds between
 * any two calls.
 */
int arch_domain_relinquish(struct domain *d);

/* Logs v's registers and guest mode for a crash report. */
void arch_show_guest_state(const struct vcpu *v);

/* Runs exceptions that came from a guest (regs at the top of the stack). */
void pv_handle_exception(struct cpu_regs *regs);

/*
 * Last stop before returning to a guest: schedules, and when another vCPU
 * is chosen, swaps the register frame at the top of the stack for its own.
 */
void pv_exit_to_guest(struct cpu_regs *regs);

/* Queues an exception for the running vCPU through its trap table (bounce frame). */
void pv_inject_exception(struct vcpu *v, unsigned int vector, int error_code);

/* Drops the descriptor-page references of v's GDT frames (teardown). */
void pv_release_gdt(struct vcpu *v);

/* Puts v's validated GDT entries into the live GDT (below the reserved page). */
void pv_load_gdt(const struct vcpu *v);

/* LDT of v (MMUEXT_SET_LDT): validated copy installed through LDT_SEL. */
int pv_set_ldt(struct vcpu *v, uint64_t base, unsigned int ents);
void pv_load_ldt(const struct vcpu *v);

/* The frame at the top of the hypervisor stack: the running guest's registers. */
struct cpu_regs *guest_regs(void);

#endif
