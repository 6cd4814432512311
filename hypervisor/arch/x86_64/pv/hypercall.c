/*
 * The PV hypercall entry, in one place: the hypercall page that guests call
 * through, SYSCALL from a guest (kernel mode: a hypercall; user mode: a
 * bounce to its kernel's syscall callback), and continuations, which
 * rewind the guest onto the SYSCALL of its hypercall-page stub so that a
 * long hypercall resumes where it stopped. The table of handlers is
 * common/hypercall.c; the assembly entry is entry.S (SYSCALL_FRAME).
 */
#include <hv/continuation.h>
#include <hv/hypercall.h>
#include <hv/sched.h>
#include <asm/cpu.h>
#include <asm/desc.h>
#include <asm/page.h>
#include <asm/pv.h>

extern char syscall_entry[], syscall32_entry[];

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

/* 128 stubs of 32 bytes: push rcx; push r11; mov $nr,%eax; syscall; pop r11; pop rcx; ret. */
void pv_write_hypercall_page(uint8_t *p)
{
    memset(p, 0xcc, PAGE_SIZE);
    for (unsigned int i = 0; i < 128; i++) {
        uint8_t *s = p + i * 32;
        if (i == __HYPERVISOR_iret) {
            /* iret is jumped to and never returns: push rcx, r11, rax; mov $23,%eax; syscall. */
            const uint8_t stub[] = { 0x51, 0x41, 0x53, 0x50, 0xb8, (uint8_t)i, 0, 0, 0, 0x0f, 0x05 };
            memcpy(s, stub, sizeof(stub));
            continue;
        }
        const uint8_t stub[] = { 0x51, 0x41, 0x53, 0xb8, (uint8_t)i, 0, 0, 0, 0x0f, 0x05, 0x41, 0x5b, 0x59, 0xc3 };
        memcpy(s, stub, sizeof(stub));
    }
}

void do_syscall(struct cpu_regs *regs);
void do_syscall(struct cpu_regs *regs)
{
    struct vcpu *v = current;

    /*
     * Hypercalls run with interrupts off: an interrupt handler on this CPU
     * never sees half-changed state (other CPUs are kept out by locks). Long
     * ones stop at preemption points, which look at the clock themselves.
     */
    if (v->arch.kernel_mode) {
        v->hc.in_hypercall = true;
        regs->rax = (uint64_t)hypercall_dispatch(v->domain, regs->rdi, regs->rsi, regs->rdx, regs->r10, regs->r8, regs->rax);
        v->hc.in_hypercall = false;
    } else if (v->arch.syscall_callback) {
        /* User SYSCALL: into the guest kernel's handler, as Xen's switch_to_kernel. */
        pv_bounce(v, regs, v->arch.syscall_callback, false, 0, v->arch.syscall_masks_events);
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

/* ---- continuations ------------------------------------------------------ */

/* Only a guest's hypercall can be continued; the builder and boot code run to the end. */
bool hypercall_preempt_check(void)
{
    const struct vcpu *v = current;
    return v && v->hc.in_hypercall && sched_should_preempt();
}

int64_t hypercall_continue(uint64_t nr, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5)
{
    if (current->hc.in_multicall) {
        /* A call inside a multicall: the multicall rewrites its entry and continues from there. */
        current->hc.mc = (struct multicall_continuation){ true, nr, { a1, a2, a3, a4, a5 } };
        return 0;
    }
    struct cpu_regs *regs = guest_regs();
    regs->rdi = a1;
    regs->rsi = a2;
    regs->rdx = a3;
    regs->r10 = a4;
    regs->r8 = a5;
    regs->rip -= 2;                         /* back onto the syscall instruction of the stub */
    current->domain->continuations++;
    return (int64_t)nr;                     /* becomes rax: the hypercall number again */
}
