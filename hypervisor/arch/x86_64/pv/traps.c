/*
 * The x86-64 PV CPU model: hypercall entry, exceptions reflected to the guest
 * through bounce frames, HYPERVISOR_iret, guest kernel/user mode switches,
 * and vCPU context switches. Xen's behaviour is the reference
 * (docs/xen-pv-behaviour-notes.md §1-5).
 */
#include <hv/continuation.h>
#include <hv/event.h>
#include <hv/hypercall.h>
#include <hv/printk.h>
#include <hv/sched.h>
#include <public/errno.h>
#include <asm/cpu.h>
#include <asm/desc.h>
#include <asm/extable.h>
#include <asm/guest_access.h>
#include <asm/irq.h>
#include <asm/mm.h>
#include <asm/pv.h>
#include <asm/timer.h>

#define X86_PF_USER     4                   /* #PF error code: access from user mode */

extern char syscall_entry[], syscall32_entry[];
__noreturn void pv_enter_first_guest(void);

static const char *const vector_names[32] = {
    [0] = "#DE", [1] = "#DB", [2] = "NMI", [3] = "#BP", [4] = "#OF", [5] = "#BR", [6] = "#UD",
    [7] = "#NM", [8] = "#DF", [10] = "#TS", [11] = "#NP", [12] = "#SS", [13] = "#GP", [14] = "#PF",
    [16] = "#MF", [17] = "#AC", [18] = "#MC", [19] = "#XM", [21] = "#CP",
};

void arch_vcpu_fpu_init(struct arch_vcpu *a)
{
    memset(a->fpu, 0, sizeof(a->fpu));
    a->fpu[0] = 0x7f;                       /* FCW 0x037f */
    a->fpu[1] = 0x03;
    uint32_t mxcsr = 0x1f80;                /* all SIMD exceptions masked */
    memcpy(a->fpu + 24, &mxcsr, sizeof(mxcsr));
}

void pv_cpu_init(void)
{
    /* SYSCALL: CS/SS 0xe008/0xe010 in; SYSRET would give 0xe033/0xe02b out. */
    wrmsr(MSR_STAR, ((uint64_t)(RING3_CS32 - 3) << 48) | ((uint64_t)HYPERVISOR_CS << 32));
    wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
    wrmsr(MSR_CSTAR, (uint64_t)syscall32_entry);
    wrmsr(MSR_SFMASK, X86_EFLAGS_IF | X86_EFLAGS_TF | X86_EFLAGS_DF | X86_EFLAGS_NT |
                      X86_EFLAGS_AC | X86_EFLAGS_IOPL);
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
    /* SYSCALL entry finds this CPU's cpu_info through swapgs (a PV guest cannot swapgs itself). */
    wrmsr(MSR_SHADOW_GS_BASE, (uint64_t)get_cpu_info());
    /* Guests may use SSE: we save their state with FXSAVE on each switch. */
    write_cr4(read_cr4() | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT);
    /* Never run guest code in ring 0. (SMAP stays off: QEMU < 9.1 breaks a ring-3 iretq under it.) */
    uint32_t a, b, c, d;
    cpuid(7, 0, &a, &b, &c, &d);
    if (b & (1u << 7))
        write_cr4(read_cr4() | X86_CR4_SMEP);
}

/* ---- guest kernel/user mode -------------------------------------------- */

static uint64_t current_cr3(const struct vcpu *v)
{
    return v->arch.kernel_mode ? v->arch.guest_table : v->arch.guest_table_user;
}

/* Flips kernel <-> user: the other page table and the other GS base, as swapgs would. */
static void toggle_guest_mode(struct vcpu *v)
{
    struct arch_vcpu *a = &v->arch;
    a->kernel_mode = !a->kernel_mode;
    write_cr3(current_cr3(v));
    wrmsr(MSR_GS_BASE, a->kernel_mode ? a->gs_base_kernel : a->gs_base_user);
}

/* ---- bounce frames ------------------------------------------------------ */

/*
 * Delivers control to a guest handler the way Xen does: on the kernel stack
 * (switching from user mode if needed), push RCX, R11, [error code], RIP,
 * CS with the old upcall mask in bits 32-39, RFLAGS with IF = !mask, RSP,
 * SS; then enter the handler. Returns false (domain crashed) if the frame
 * cannot be written.
 */
static bool bounce(struct vcpu *v, struct cpu_regs *regs, uint64_t handler, bool has_error,
                   uint32_t error_code, bool mask_events)
{
    struct domain *d = v->domain;
    uint8_t saved_mask = v->vcpu_info->evtchn_upcall_mask;
    uint64_t cs = regs->cs, sp;

    if (!handler) {
        domain_crash(d, "no handler registered for the event");
        return false;
    }
    if (v->arch.kernel_mode) {
        sp = regs->rsp;
        cs &= ~3ull;                        /* kernel mode shows as RPL 0 in the frame */
    } else {
        toggle_guest_mode(v);
        sp = v->arch.kernel_sp;
    }
    sp &= ~15ull;

    uint64_t frame[8];
    unsigned int n = 0;
    frame[n++] = regs->rcx;
    frame[n++] = regs->r11;
    if (has_error)
        frame[n++] = error_code;
    frame[n++] = regs->rip;
    frame[n++] = (cs & 0xffff) | ((uint64_t)saved_mask << 32);
    frame[n++] = (regs->rflags & ~(uint64_t)(X86_EFLAGS_IF | X86_EFLAGS_IOPL)) | (saved_mask ? 0 : X86_EFLAGS_IF);
    frame[n++] = regs->rsp;
    frame[n++] = regs->ss;
    sp -= n * 8;
    if (copy_to_guest(sp, frame, n * 8)) {
        domain_crash(d, "fault writing a bounce frame at %#llx (stack unusable)", (unsigned long long)sp);
        return false;
    }
    if (mask_events)
        v->vcpu_info->evtchn_upcall_mask = 1;
    regs->rip = handler;
    regs->cs = RING3_CS64;
    regs->ss = RING3_DS;
    regs->rsp = sp;
    regs->rflags &= ~(uint64_t)(X86_EFLAGS_AC | X86_EFLAGS_VM | X86_EFLAGS_RF | X86_EFLAGS_NT | X86_EFLAGS_TF);
    /* Xen enters handlers with SYSRET: RCX and R11 hold the handler and RFLAGS. */
    regs->rcx = handler;
    regs->r11 = regs->rflags;
    return true;
}

void pv_inject_exception(struct vcpu *v, unsigned int vector, int error_code)
{
    struct cpu_regs *regs = guest_regs();
    const struct guest_trap *t = &v->arch.traps[vector];

    if (!t->address) {
        domain_crash(v->domain, "%s (vector %u) with no handler registered, error code %#x, rip %#llx",
                     vector < 32 && vector_names[vector] ? vector_names[vector] : "exception", vector,
                     error_code < 0 ? 0 : (unsigned int)error_code, (unsigned long long)regs->rip);
        return;
    }
    bounce(v, regs, t->address, error_code >= 0, (uint32_t)error_code, t->flags & TI_MASK_EVENTS);
}

/* ---- exceptions from guests --------------------------------------------- */

/* int $n in a guest raises #GP(n*8+2): deliver it as a software interrupt if the guest allows. */
static bool emulate_int_n(struct vcpu *v, struct cpu_regs *regs)
{
    uint8_t insn[2];
    /* QEMU < 8.0 reports the wrong error code for int n; read the instruction itself. */
    if (copy_from_guest(insn, regs->rip, sizeof(insn)) || insn[0] != 0xcd)
        return false;
    unsigned int n = insn[1];
    const struct guest_trap *t = &v->arch.traps[n];
    unsigned int dpl = t->flags & 3;
    /* int $0x80 takes Xen's fast path, which does not look at the DPL. */
    bool permitted = n == 0x80 || (v->arch.kernel_mode ? dpl >= 1 : dpl == 3);
    if (!t->address || !permitted) {
        pv_inject_exception(v, 13, (int)(n << 3) | 2);
        return true;
    }
    regs->rip += 2;
    bounce(v, regs, t->address, false, 0, t->flags & TI_MASK_EVENTS);
    return true;
}

void pv_handle_exception(struct cpu_regs *regs)
{
    struct vcpu *v = current;
    unsigned int vec = regs->entry_vector;
    int error = vector_has_error_code(vec) ? (int)regs->error_code : -1;

    /* Only a running domain's vCPU is ever resumed; anything else is our bug, not the guest's. */
    if (v->domain->state != DOMAIN_RUNNING)
        panic("BUG: vector %u from vCPU of domain %u (%s), which is no longer running", vec, v->domain->id,
              v->domain->name);

    switch (vec) {
    case 14:
        v->vcpu_info->arch.cr2 = read_cr2();
        /* The guest kernel runs in ring 3 too: the U bit tells guest user from kernel. */
        error = (int)((regs->error_code & ~(uint32_t)X86_PF_USER) | (v->arch.kernel_mode ? 0 : X86_PF_USER));
        break;
    case 13:
        if ((regs->error_code & 3) == 2 && emulate_int_n(v, regs))
            return;
        break;
    case 7:
        /* Lazy FPU switch in the guest: it set TS, so it gets #NM and TS is cleared. */
        if (v->arch.fpu_ts) {
            v->arch.fpu_ts = false;
            clts();
        }
        break;
    default:
        break;
    }
    pv_inject_exception(v, vec, error);
}

/* ---- hypercalls and guest SYSCALL --------------------------------------- */

void do_syscall(struct cpu_regs *regs);
void do_syscall(struct cpu_regs *regs)
{
    struct vcpu *v = current;

    /*
     * Hypercalls run with interrupts off (one CPU, no locks): an interrupt
     * handler never sees half-changed event, timer or scheduler state. Long
     * ones stop at preemption points, which look at the clock themselves.
     */
    if (v->arch.kernel_mode) {
        uint64_t args[5] = { regs->rdi, regs->rsi, regs->rdx, regs->r10, regs->r8 };
        in_hypercall = true;
        regs->rax = (uint64_t)hypercall_dispatch(regs->rax, args);
        in_hypercall = false;
    } else if (v->arch.syscall_callback) {
        /* User SYSCALL: into the guest kernel's handler, as Xen's switch_to_kernel. */
        bounce(v, regs, v->arch.syscall_callback, false, 0, v->arch.syscall_masks_events);
        regs->rflags &= ~(uint64_t)X86_EFLAGS_DF;
    } else {
        regs->rip -= 2;                     /* point at the SYSCALL, as Xen */
        pv_inject_exception(v, 6, -1);
    }
    pv_exit_to_guest(regs);
}

void do_syscall32(struct cpu_regs *regs);
void do_syscall32(struct cpu_regs *regs)
{
    domain_crash(current->domain, "SYSCALL from 32-bit code: 32-bit PV is not supported");
    pv_exit_to_guest(regs);
}

/* HYPERVISOR_iret: the guest jumped to the iret stub, which pushed rax, r11, rcx. */
int64_t do_iret(void)
{
    struct vcpu *v = current;
    struct cpu_regs *regs = guest_regs();
    struct iret_context f;

    if (copy_from_guest(&f, regs->rsp, sizeof(f))) {
        domain_crash(v->domain, "fault reading the iret frame at %#llx", (unsigned long long)regs->rsp);
        return 0;
    }
    if ((f.cs & 3) == 3 && v->arch.kernel_mode) {
        if (!v->arch.guest_table_user) {
            domain_crash(v->domain, "iret to user mode without user page tables");
            return 0;
        }
        toggle_guest_mode(v);
    }
    regs->rip = f.rip;
    regs->cs = f.cs | 3;
    regs->ss = f.ss | 3;
    regs->rsp = f.rsp;
    regs->rflags = (f.rflags & ~(uint64_t)(X86_EFLAGS_IOPL | X86_EFLAGS_VM)) | X86_EFLAGS_IF;
    if (!(f.flags & VGCF_in_syscall)) {
        regs->r11 = f.r11;
        regs->rcx = f.rcx;
    } else {
        regs->r11 = regs->rflags;
        regs->rcx = regs->rip;
    }
    v->vcpu_info->evtchn_upcall_mask = !(f.rflags & X86_EFLAGS_IF);
    return (int64_t)f.rax;
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

static void context_switch(struct vcpu *prev, struct vcpu *next, struct cpu_regs *regs)
{
    clts();
    if (prev && prev->domain->state == DOMAIN_RUNNING) {
        prev->arch.regs = *regs;
        save_segments(&prev->arch);
        __asm__ volatile("fxsave64 %0" : "=m"(prev->arch.fpu));
    }
    *regs = next->arch.regs;
    write_cr3(current_cr3(next));
    pv_load_gdt(next);
    pv_load_ldt(next);
    load_segments(&next->arch);
    __asm__ volatile("fxrstor64 %0" :: "m"(next->arch.fpu));
    if (next->arch.fpu_ts)
        stts();
    current = next;
}

void pv_exit_to_guest(struct cpu_regs *regs)
{
    for (;;) {
        struct vcpu *next = sched_pick();   /* returns with interrupts off */
        if (next != current) {
            context_switch(current, next, regs);
            arch_update_vcpu_time(next);
        }
        /* An event upcall that is due goes in now, through the event callback. */
        struct vcpu *v = current;
        if (!vcpu_events_pending(v) || !v->arch.event_callback)
            return;
        if (bounce(v, regs, v->arch.event_callback, false, 0, true))
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

void arch_domain_teardown(struct domain *d)
{
    /* Its page tables are about to be freed: stop using them first. */
    if (current && current->domain == d) {
        if (read_cr3() != idle_l4_pa)
            write_cr3(idle_l4_pa);
    }
}

void arch_show_guest_state(const struct vcpu *v)
{
    const struct cpu_regs *r = v == current ? guest_regs() : &v->arch.regs;
    printk("  %s mode, rip %04llx:%#llx rsp %04llx:%#llx rflags %#llx cr2 %#llx\n",
           v->arch.kernel_mode ? "kernel" : "user", (unsigned long long)r->cs, (unsigned long long)r->rip,
           (unsigned long long)r->ss, (unsigned long long)r->rsp, (unsigned long long)r->rflags,
           (unsigned long long)v->vcpu_info->arch.cr2);
    printk("  rax %016llx rbx %016llx rcx %016llx rdx %016llx\n", (unsigned long long)r->rax,
           (unsigned long long)r->rbx, (unsigned long long)r->rcx, (unsigned long long)r->rdx);
    printk("  rsi %016llx rdi %016llx rbp %016llx r8  %016llx\n", (unsigned long long)r->rsi,
           (unsigned long long)r->rdi, (unsigned long long)r->rbp, (unsigned long long)r->r8);
    printk("  r9  %016llx r10 %016llx r11 %016llx r12 %016llx\n", (unsigned long long)r->r9,
           (unsigned long long)r->r10, (unsigned long long)r->r11, (unsigned long long)r->r12);
    printk("  r13 %016llx r14 %016llx r15 %016llx\n", (unsigned long long)r->r13,
           (unsigned long long)r->r14, (unsigned long long)r->r15);
}
