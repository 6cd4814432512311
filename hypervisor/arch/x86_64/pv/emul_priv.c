/*
 * Privileged instructions of a PV guest kernel, emulated from the #GP (and,
 * for forced-emulation CPUID, the #UD) they raise in ring 3, as Xen 4.17's
 * pv/emul-priv-op.c does (docs/xen-pv-behaviour-notes.md §"Privileged
 * instructions"). What is not emulated keeps the exception it raised.
 */
#include <public/errno.h>
#include <hv/domain.h>
#include <hv/hypercall.h>
#include <asm/cpu.h>
#include <asm/guest_access.h>
#include <asm/pagetable.h>
#include <asm/pv.h>
#include "emulate.h"
#include "ioport.h"

enum emul_result {
    EMUL_DONE,      /* completed: retire the instruction */
    EMUL_FAULT,     /* e->fault is what the guest takes */
    EMUL_BOUNCE,    /* not emulated: the guest gets the exception it raised */
    EMUL_RETRY,     /* preempted part-way (CR3 validation): run the instruction again */
};

#define CR_READ         0x20
#define DR_READ         0x21
#define CR_WRITE        0x22
#define DR_WRITE        0x23
#define MODRM_RDTSCP    0xf9    /* 0F 01 /7 rm 1 */

/*
 * CR0 as Xen shows it to a PV guest: the bits Xen runs with (PE MP ET NE WP
 * AM PG), TS being the guest's own (fpu_taskswitch). A write may change TS only.
 */
#define PV_CR0_FIXED    (X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE | X86_CR0_WP | X86_CR0_AM | X86_CR0_PG)
/* CR4: the bits the guest chooses, and those of the hypervisor's it sees. */
#define PV_CR4_GUEST_MASK   (X86_CR4_TSD | X86_CR4_DE)
#define PV_CR4_VISIBLE      (X86_CR4_PAE | X86_CR4_MCE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT)

static uint64_t guest_cr0(const struct vcpu *v)
{
    return PV_CR0_FIXED | (v->arch.fpu_ts ? X86_CR0_TS : 0);
}

static uint64_t guest_cr4(const struct vcpu *v)
{
    return v->arch.cr4 | PV_CR4_VISIBLE;
}

/* The TSC_AUX each CPU holds, so that a switch between vCPUs with the same value writes no MSR. */
static uint32_t loaded_tsc_aux[NR_CPUS];

void pv_load_cpu_state(const struct vcpu *v)
{
    uint64_t cr4 = read_cr4();
    uint64_t want = (cr4 & ~X86_CR4_TSD) | (v->arch.cr4 & X86_CR4_TSD);
    if (want != cr4)
        write_cr4(want);
    unsigned int cpu = smp_processor_id();
    if (loaded_tsc_aux[cpu] != v->arch.tsc_aux) {
        wrmsr(MSR_TSC_AUX, v->arch.tsc_aux);
        loaded_tsc_aux[cpu] = v->arch.tsc_aux;
    }
}

static uint64_t *gpr(struct pv_emul *e, unsigned int n) { return pv_emul_gpr(e->regs, n); }

/* edx:eax of a 64-bit result, upper halves cleared as the instruction does. */
static void set_edx_eax(struct pv_emul *e, uint64_t v)
{
    e->regs->rax = (uint32_t)v;
    e->regs->rdx = v >> 32;
}

static enum emul_result read_cr(struct pv_emul *e, unsigned int cr, uint64_t *val)
{
    const struct vcpu *v = e->v;
    switch (cr) {
    case 0: *val = guest_cr0(v); return EMUL_DONE;
    case 2: *val = v->vcpu_info->arch.cr2; return EMUL_DONE;
    case 3: *val = v->arch.guest_table; return EMUL_DONE;
    case 4: *val = guest_cr4(v); return EMUL_DONE;
    default: return EMUL_BOUNCE;
    }
}

static enum emul_result write_cr(struct pv_emul *e, unsigned int cr, uint64_t val)
{
    struct vcpu *v = e->v;
    switch (cr) {
    case 0:
        if ((val ^ guest_cr0(v)) & ~X86_CR0_TS)
            return EMUL_BOUNCE;
        do_fpu_taskswitch((val & X86_CR0_TS) != 0);
        return EMUL_DONE;
    case 2:
        v->vcpu_info->arch.cr2 = val;
        return EMUL_DONE;
    case 3:
        switch (pv_new_baseptr(v, val >> PAGE_SHIFT)) {
        case 0: return EMUL_DONE;
        case -XEN_ERESTART: return EMUL_RETRY;
        default: return EMUL_BOUNCE;
        }
    case 4:
        v->arch.cr4 = val & PV_CR4_GUEST_MASK;
        pv_load_cpu_state(v);
        return EMUL_DONE;
    default:
        return EMUL_BOUNCE;
    }
}

static enum emul_result mov_cr_dr(struct pv_emul *e)
{
    const struct x86_insn *i = &e->insn;
    uint64_t *reg = gpr(e, i->rm);

    switch (i->opcode) {
    case CR_READ:
        return read_cr(e, i->reg, reg);
    case CR_WRITE:
        return write_cr(e, i->reg, *reg);
    case DR_READ:
        if (i->reg > 7)
            return EMUL_BOUNCE;
        return pv_get_debugreg(e->v, i->reg, reg) ? EMUL_BOUNCE : EMUL_DONE;
    default:
        if (i->reg > 7)
            return EMUL_BOUNCE;
        return pv_set_debugreg(e->v, i->reg, *reg) ? EMUL_BOUNCE : EMUL_DONE;
    }
}

static enum emul_result rdmsr_insn(struct pv_emul *e)
{
    uint64_t val;
    if (pv_msr_read(e->v, (uint32_t)e->regs->rcx, &val))
        return EMUL_BOUNCE;
    set_edx_eax(e, val);
    return EMUL_DONE;
}

static enum emul_result wrmsr_insn(struct pv_emul *e)
{
    uint64_t val = (e->regs->rdx << 32) | (uint32_t)e->regs->rax;
    return pv_msr_write(e->v, (uint32_t)e->regs->rcx, val) ? EMUL_BOUNCE : EMUL_DONE;
}

/* Reached only under the guest's CR4.TSD; its kernel may still read the TSC. */
static enum emul_result rdtsc_insn(struct pv_emul *e, bool aux)
{
    set_edx_eax(e, rdtsc());
    if (aux)
        e->regs->rcx = e->v->arch.tsc_aux;
    return EMUL_DONE;
}

/* The #DB that follows an emulated instruction: I/O breakpoints it hit, and TF's single step. */
static void debug_after(struct pv_emul *e)
{
    unsigned int bits = e->bpmatch;
    if ((e->regs->rflags & X86_EFLAGS_TF) && !e->no_single_step)
        bits |= X86_DR6_BS;
    if (bits)
        pv_debug_trap_after(e->v, bits);
}

/*
 * IN, OUT, INS and OUTS (pv/ioport.c: the virtual IOPL, which also admits
 * guest user mode, and the ports the domain holds). It moves RIP itself: a
 * REP stopped part-way stays on the instruction to go on at the next trap;
 * a debug trap follows it either way, as Xen's emulator retires each part.
 */
static enum emul_result port_io(struct pv_emul *e)
{
    bool io = pv_emulate_io(e);
    ASSERT(io);
    if (e->faulted)
        return EMUL_FAULT;
    e->regs->rflags &= ~(uint64_t)X86_EFLAGS_RF;
    debug_after(e);
    return EMUL_RETRY;
}

/* CLI and STI under the virtual IOPL are skipped, as Xen does; without it the #GP stands. */
static enum emul_result cli_sti(struct pv_emul *e)
{
    return pv_iopl_ok(e->v) ? EMUL_DONE : EMUL_BOUNCE;
}

/* The two-byte-opcode instructions a PV kernel may use in ring 3. */
static enum emul_result priv_0f(struct pv_emul *e)
{
    const struct x86_insn *i = &e->insn;
    bool emulated = i->opcode == 0x06 || i->opcode == 0x09 || (i->opcode >= CR_READ && i->opcode <= DR_WRITE) ||
                    (i->opcode >= 0x30 && i->opcode <= 0x32) || (i->opcode == 0x01 && i->modrm == MODRM_RDTSCP);
    if (!emulated)
        return EMUL_BOUNCE;
    if ((i->prefixes & X86_PFX_LOCK) && !i->lock_ok) {
        pv_emul_raise(e, X86_EXC_UD, -1, 0);
        return EMUL_FAULT;
    }
    if (!e->v->arch.kernel_mode)
        return EMUL_BOUNCE;             /* guest user mode: #GP(0), as the CPU gave it */

    switch (i->opcode) {
    case 0x01: return rdtsc_insn(e, true);
    case 0x06: do_fpu_taskswitch(0); return EMUL_DONE;              /* CLTS */
    case 0x09:                                                      /* WBINVD */
        if (pv_cache_control_permitted(e->v->domain))
            __asm__ volatile("wbinvd" ::: "memory");
        return EMUL_DONE;               /* ignored for the others: Linux uses it in timing loops */
    case 0x30: return wrmsr_insn(e);
    case 0x31: return rdtsc_insn(e, false);
    case 0x32: return rdmsr_insn(e);
    default: return mov_cr_dr(e);
    }
}

static enum emul_result dispatch(struct pv_emul *e)
{
    const struct x86_insn *i = &e->insn;
    if (i->map == X86_MAP_0F)
        return priv_0f(e);
    if (i->map != X86_MAP_1BYTE)
        return EMUL_BOUNCE;
    switch (i->opcode) {
    case 0x6c: case 0x6d: case 0x6e: case 0x6f:     /* INS, OUTS */
    case 0xe4: case 0xe5: case 0xe6: case 0xe7:     /* IN, OUT imm8 */
    case 0xec: case 0xed: case 0xee: case 0xef:     /* IN, OUT dx */
        return port_io(e);
    case 0xfa: case 0xfb:                           /* CLI, STI */
        return cli_sti(e);
    default:
        return EMUL_BOUNCE;                         /* HLT, INVD, LMSW, ...: as Xen, not emulated */
    }
}

/* CPUID behind "ud2; .ascii \"xen\"", written exactly 0F A2. */
/* CPUID as the guest sees it, into its registers. */
static void emulate_cpuid(struct pv_emul *e)
{
    uint32_t r[4];
    pv_cpuid(e->v, (uint32_t)e->regs->rax, (uint32_t)e->regs->rcx, r);
    e->regs->rax = r[0];
    e->regs->rbx = r[1];
    e->regs->rcx = r[2];
    e->regs->rdx = r[3];
}

/* Forced emulation, decoded: only CPUID with no prefix, as Xen 4.17. */
static enum emul_result forced(struct pv_emul *e)
{
    const struct x86_insn *i = &e->insn;
    if (!i->forced_emul || i->map != X86_MAP_0F || i->opcode != 0xa2 || i->len != X86_FORCED_SIG_LEN + 2)
        return EMUL_BOUNCE;
    emulate_cpuid(e);
    return EMUL_DONE;
}

/* Past the instruction; a single-step trap follows it as it would on the CPU. */
static void retire(struct pv_emul *e)
{
    struct cpu_regs *regs = e->regs;
    regs->rip += e->insn.len;
    regs->rflags &= ~(uint64_t)X86_EFLAGS_RF;
    debug_after(e);
}

/*
 * Most #UDs are not Xen's to emulate: only behind the forced-emulation
 * signature ("ud2; .ascii \"xen\"", little-endian in the low 5 bytes). One
 * 8-byte read settles the common cases without the decoder: no signature (the
 * guest's own #UD) and the one instruction forced emulation serves, CPUID with
 * no prefix (7 bytes; forced() would accept exactly that). Anything else (a read
 * that faults, as near a page's end; the signature before another instruction)
 * takes the full decode, which has the last word.
 */
#define FORCED_SIG_LE       0x6e65780b0full
#define FORCED_CPUID_LE     0xa20f6e65780b0full
#define FORCED_CPUID_LEN    (X86_FORCED_SIG_LEN + 2)
_Static_assert(FORCED_CPUID_LEN == 7, "ud2, 'xen', 0f a2");

enum ud_kind { UD_PLAIN, UD_FORCED_CPUID, UD_DECODE };

static enum ud_kind classify_ud(const struct cpu_regs *regs)
{
    uint64_t w;
    if (!guest_range_ok(regs->rip, sizeof(w)))
        return UD_DECODE;
    guest_get_u64(w, regs->rip, unreadable);
    if ((w & ((1ull << (8 * X86_FORCED_SIG_LEN)) - 1)) != FORCED_SIG_LE)
        return UD_PLAIN;
    if ((w & ((1ull << (8 * FORCED_CPUID_LEN)) - 1)) == FORCED_CPUID_LE)
        return UD_FORCED_CPUID;
unreadable:
    return UD_DECODE;
}

/* The emulation proper, for a #GP(0) or a #UD that classify_ud could not settle (kind). */
static __noinline bool emulate(struct vcpu *v, struct cpu_regs *regs, bool ud, enum ud_kind kind)
{
    struct pv_emul e;

    pv_emul_init(&e, v, regs);
    if (kind == UD_FORCED_CPUID) {
        e.insn.len = FORCED_CPUID_LEN;
        emulate_cpuid(&e);
        retire(&e);
        return true;
    }
    switch (pv_emul_decode(&e, ud ? X86_DECODE_FORCED : 0)) {
    case X86_DECODE_OK:
        break;
    case X86_DECODE_FETCH_FAULT:
        pv_emul_reflect(&e);
        return true;
    default:
        return false;                   /* the CPU's own fault stands */
    }

    switch (ud ? forced(&e) : dispatch(&e)) {
    case EMUL_DONE:
        retire(&e);
        return true;
    case EMUL_FAULT:
        pv_emul_reflect(&e);
        return true;
    case EMUL_RETRY:
        return true;
    default:
        return false;
    }
}

/* No frame of its own: a guest's own #UD (no signature) is settled before the emulator's is set up. */
bool pv_emulate_privileged(struct vcpu *v, struct cpu_regs *regs, unsigned int vector)
{
    if (vector == X86_EXC_UD) {
        enum ud_kind kind = classify_ud(regs);
        return kind != UD_PLAIN && emulate(v, regs, true, kind);
    }
    if (vector != X86_EXC_GP || regs->error_code != 0)
        return false;
    return emulate(v, regs, false, UD_DECODE);
}
