/*
 * Exceptions from guests, reflected through their trap tables (Xen's
 * behaviour is the reference: docs/xen-pv-behaviour-notes.md §1-5): #PF
 * with the guest's CR2 and user bit, int $n as a software interrupt, lazy
 * FPU switches, and a crash report for an exception with no handler.
 */
#include <hv/domain.h>
#include <hv/printk.h>
#include <asm/cpu.h>
#include <asm/guest_access.h>
#include <asm/pv.h>
#include "emulate.h"

static const char *const vector_names[32] = {
    [0] = "#DE", [1] = "#DB", [2] = "NMI", [3] = "#BP", [4] = "#OF", [5] = "#BR", [6] = "#UD",
    [7] = "#NM", [8] = "#DF", [10] = "#TS", [11] = "#NP", [12] = "#SS", [13] = "#GP", [14] = "#PF",
    [16] = "#MF", [17] = "#AC", [18] = "#MC", [19] = "#XM", [21] = "#CP",
};

static __noinline void crash_no_handler(struct vcpu *v, unsigned int vector, int error_code)
{
    domain_crash(v->domain, "%s (vector %u) with no handler registered, error code %#x, rip %#llx",
                 vector < 32 && vector_names[vector] ? vector_names[vector] : "exception", vector,
                 error_code < 0 ? 0 : (unsigned int)error_code, (unsigned long long)guest_regs()->rip);
}

/* Through v's trap table entry for vector (regs: v's frame, guest_regs()). */
static inline void inject(struct vcpu *v, struct cpu_regs *regs, unsigned int vector, int error_code)
{
    const struct guest_trap *t = &v->arch.traps[vector];

    if (unlikely(!t->address)) {
        crash_no_handler(v, vector, error_code);
        return;
    }
    pv_bounce(v, regs, t->address, error_code >= 0, (uint32_t)error_code, t->flags & TI_MASK_EVENTS);
}

void pv_inject_exception(struct vcpu *v, unsigned int vector, int error_code)
{
    inject(v, guest_regs(), vector, error_code);
}

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
    pv_bounce(v, regs, t->address, false, 0, t->flags & TI_MASK_EVENTS);
    return true;
}

/* A vector the hypervisor looks at before (or instead of) reflecting it: see handle_special. */
#define SPECIAL_VECTORS ((1u << X86_EXC_DB) | (1u << X86_EXC_UD) | (1u << X86_EXC_NM) | (1u << X86_EXC_GP) | \
                         (1u << X86_EXC_PF))

static __noinline void handle_special(struct vcpu *v, struct cpu_regs *regs, unsigned int vec)
{
    switch (vec) {
    case X86_EXC_UD:
        /* The forced-emulation prefix. */
        if (pv_emulate_privileged(v, regs, vec))
            return;
        break;
    case X86_EXC_GP:
        /* #GP(0): a privileged instruction; #GP(n*8+2): int $n. */
        if (pv_emulate_privileged(v, regs, vec))
            return;
        if ((regs->error_code & 3) == 2 && emulate_int_n(v, regs))
            return;
        break;
    case X86_EXC_PF: {
        uint64_t cr2 = read_cr2();      /* before anything can fault again */
        if (!pv_ptwr_fault(v, regs, cr2))
            pv_inject_page_fault(v, regs->error_code, cr2);
        return;
    }
    case X86_EXC_DB:
        pv_debug_from_guest(v);
        break;
    case X86_EXC_NM:
        /* Lazy FPU switch in the guest: it set TS, so it gets #NM and TS is cleared. */
        if (v->arch.fpu_ts) {
            v->arch.fpu_ts = false;
            clts();
        }
        break;
    default:
        break;
    }
    inject(v, regs, vec, vector_has_error_code(vec) ? (int)regs->error_code : -1);
}

static __noinline void exception_from_stopped(const struct vcpu *v, unsigned int vec)
{
    /*
     * Another CPU may have stopped the domain while this vCPU ran: it is
     * switched away on the way out. A vCPU of a domain whose memory is gone
     * never runs; that would be our bug, not the guest's.
     */
    if (__atomic_load_n(&v->domain->state, __ATOMIC_RELAXED) != DOMAIN_RELINQUISHING)
        panic("BUG: vector %u from vCPU of domain %u (%s), which is no longer running", vec, v->domain->id,
              v->domain->name);
}

/* Tail calls only, so that the plain reflection (int3, a #DE, ...) saves no register on its way. */
void pv_handle_exception(struct cpu_regs *regs)
{
    struct vcpu *v = current;
    unsigned int vec = regs->entry_vector;

    ASSERT(vec < 32);
    if (unlikely(__atomic_load_n(&v->domain->state, __ATOMIC_RELAXED) != DOMAIN_RUNNING)) {
        exception_from_stopped(v, vec);
        return;
    }
    if ((SPECIAL_VECTORS >> vec) & 1) {
        handle_special(v, regs, vec);
        return;
    }
    inject(v, regs, vec, vector_has_error_code(vec) ? (int)regs->error_code : -1);
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
