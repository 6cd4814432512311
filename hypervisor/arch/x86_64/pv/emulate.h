/*
 * The trap-and-emulate half of the PV ABI: what every emulation path shares
 * (the privileged-instruction path from #GP and #UD, and writable page tables
 * from #PF). Instruction bytes and memory operands are read through the
 * guest's own page tables, as the guest's own access would be; a step that
 * faults records the fault the guest would have taken, and the caller
 * reflects it (pv_emul_reflect) instead of completing the instruction.
 */
#ifndef PV_EMULATE_H
#define PV_EMULATE_H

#include <hv/domain.h>
#include <asm/regs.h>
#include "../emul/decode.h"

/* #PF error-code bits (Intel SDM vol. 3 §4.7). */
#define X86_PFEC_PRESENT  (1u << 0)
#define X86_PFEC_WRITE    (1u << 1)
#define X86_PFEC_USER     (1u << 2)
#define X86_PFEC_RSVD     (1u << 3)
#define X86_PFEC_FETCH    (1u << 4)

/* Exception vectors the emulator raises. */
#define X86_EXC_DB 1
#define X86_EXC_UD 6
#define X86_EXC_NM 7
#define X86_EXC_GP 13
#define X86_EXC_SS 12
#define X86_EXC_PF 14

#define X86_DR6_BS (1u << 14)   /* DR6: single step */

/* A fault for the guest: vector, error code (-1 for none) and, for #PF, the address. */
struct pv_fault {
    uint8_t vector;
    int32_t error_code;
    uint64_t cr2;
};

/* One emulation in progress on the running vCPU. */
struct pv_emul {
    struct vcpu *v;
    struct cpu_regs *regs;
    struct x86_insn insn;
    bool faulted;            /* fault holds what the guest takes */
    uint8_t bpmatch;         /* I/O breakpoints the instruction hit (B0-B3) */
    bool no_single_step;     /* no TF trap after it (a direct port access, as Xen 4.17) */
    uint8_t bytes[X86_MAX_INSN_LEN + X86_FORCED_SIG_LEN];   /* instruction bytes read ahead */
    uint8_t nbytes;          /* how many: up to 16, in the page of the first byte */
    struct pv_fault fault;
};

/* Starts e for the running vCPU v at regs->rip. */
static inline void pv_emul_init(struct pv_emul *e, struct vcpu *v, struct cpu_regs *regs)
{
    e->v = v;
    e->regs = regs;
    e->faulted = false;
    e->bpmatch = 0;
    e->no_single_step = false;
}

/*
 * Decodes the instruction at regs->rip (flags as x86_decode). On a fetch
 * fault e->fault is the #PF Xen gives for it (error code 0: Xen 4.17 does
 * not report instruction fetches as such); TOO_LONG is #GP(0), INVALID #UD.
 * Under X86_DECODE_FORCED, bytes that do not begin with the signature are
 * INVALID without being decoded: only the signature is emulated from #UD.
 */
enum x86_decode_status pv_emul_decode(struct pv_emul *e, unsigned int flags);

/*
 * Guest memory through the guest's page tables. 0 on success; otherwise
 * -XEN_EFAULT with e->fault set: #GP(0) (or #SS(0) for an SS-based operand,
 * see pv_emul_linear) for a non-canonical or hypervisor-range address, else
 * the #PF at the first byte that could not be reached, with error code 0 for
 * a read and X86_PFEC_WRITE for a write (present bit clear), as Xen 4.17.
 */
int pv_emul_read(struct pv_emul *e, uint64_t va, void *buf, size_t len);
int pv_emul_write(struct pv_emul *e, uint64_t va, const void *buf, size_t len);

/* Linear address of the decoded memory operand (FS/GS bases are the vCPU's). */
uint64_t pv_emul_linear(const struct pv_emul *e);

/* A general register of the guest by its encoding number (enum x86_gpr). */
uint64_t *pv_emul_gpr(struct cpu_regs *regs, unsigned int n);

/*
 * An operand of size bytes (1, 2, 4, 8) in general register n, as the decoded
 * instruction names it: without a REX prefix, byte registers 4-7 are AH, CH,
 * DH and BH. Writing 4 bytes zero-extends to 64 bits; 1 and 2 keep the rest.
 * reg_set writes into regs (e->regs, or a copy the caller commits later).
 */
uint64_t pv_emul_reg_get(const struct pv_emul *e, unsigned int n, unsigned int size);
void pv_emul_reg_set(const struct pv_emul *e, struct cpu_regs *regs, unsigned int n, unsigned int size, uint64_t val);

/* Records fault vector/error code in e (cr2 for #PF) and returns -XEN_EFAULT. */
int pv_emul_raise(struct pv_emul *e, unsigned int vector, int error_code, uint64_t cr2);

/* Delivers e->fault to the guest through its trap table. */
void pv_emul_reflect(struct pv_emul *e);

/*
 * A #PF for the running vCPU at address cr2: the guest's CR2 is set and the
 * user bit of error_code is set from the guest's mode (its kernel runs in
 * ring 3 too), as Xen does for every page fault it delivers.
 */
void pv_inject_page_fault(struct vcpu *v, uint32_t error_code, uint64_t cr2);

/* ---- Privileged instructions (emul_priv.c and the files it uses) ---------- */

/*
 * Emulates the instruction behind a #GP(0) (vector 13) or the forced-emulation
 * CPUID behind a #UD (vector 6) of the running vCPU v. True when handled
 * (completed, or a fault reflected); false leaves the original exception to
 * be bounced.
 */
bool pv_emulate_privileged(struct vcpu *v, struct cpu_regs *regs, unsigned int vector);

/* MSRs on Xen's PV allow-list (msr.c): 0, or nonzero for #GP(0). */
int pv_msr_read(const struct vcpu *v, uint32_t msr, uint64_t *val);
int pv_msr_write(struct vcpu *v, uint32_t msr, uint64_t val);

/* The CPUID view a PV guest gets by forced emulation (cpuid.c): r = eax, ebx, ecx, edx. */
void pv_cpuid(const struct vcpu *v, uint32_t leaf, uint32_t sub, uint32_t r[4]);

/* Debug registers (debugreg.c): set/get_debugreg's rules; 0 or -XEN_EPERM/-EINVAL/-ENODEV. */
int pv_set_debugreg(struct vcpu *v, unsigned int reg, uint64_t value);
int pv_get_debugreg(const struct vcpu *v, unsigned int reg, uint64_t *val);
/* The I/O breakpoints (B0-B3 as a mask) an access of bytes at port matches, under CR4.DE. */
unsigned int pv_io_breakpoints(const struct vcpu *v, unsigned int port, unsigned int bytes);
/* After an emulated instruction: DR6 gets bits (B0-B3, BS) and the guest its #DB, as Xen. */
void pv_debug_trap_after(struct vcpu *v, unsigned int bits);

/* MMUEXT_NEW_BASEPTR for v, the running vCPU (pv/mm.c): 0, -XEN_ERESTART, or -XEN_EINVAL. */
int pv_new_baseptr(struct vcpu *v, uint64_t mfn);
/*
 * Writable page tables (pv/ptwr.c), from the #PF path with the fault's
 * address: true when the fault was dealt with (the store emulated, another
 * fault delivered, or the instruction left to run again); false when the
 * guest gets the original #PF.
 */
bool pv_ptwr_fault(struct vcpu *v, struct cpu_regs *regs, uint64_t cr2);

#endif
