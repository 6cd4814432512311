/*
 * Shared steps of instruction emulation for PV guests (see pv/emulate.h):
 * fetching and decoding the faulting instruction, guest memory operands
 * and the faults they give, as Xen 4.17 reports them.
 */
#include <public/errno.h>
#include <asm/guest_access.h>
#include <asm/pv.h>
#include "emulate.h"

void pv_emul_init(struct pv_emul *e, struct vcpu *v, struct cpu_regs *regs)
{
    e->v = v;
    e->regs = regs;
    e->faulted = false;
    e->bpmatch = 0;
    e->no_single_step = false;
}

int pv_emul_raise(struct pv_emul *e, unsigned int vector, int error_code, uint64_t cr2)
{
    e->faulted = true;
    e->fault.vector = (uint8_t)vector;
    e->fault.error_code = error_code;
    e->fault.cr2 = cr2;
    return -XEN_EFAULT;
}

/*
 * The bytes in the first byte's page are read in one copy (one page, one
 * permission); past it bytes come one at a time, so a fault names the exact
 * byte, as the CPU would.
 */
static int fetch_byte(void *ctx, unsigned int off, uint8_t *byte)
{
    struct pv_emul *e = ctx;
    if (off < e->nbytes) {
        *byte = e->bytes[off];
        return 0;
    }
    return pv_emul_read(e, e->regs->rip + off, byte, 1);
}

static void read_ahead(struct pv_emul *e)
{
    uint64_t rip = e->regs->rip, in_page = PAGE_SIZE - (rip & (PAGE_SIZE - 1));
    size_t n = in_page < sizeof(e->bytes) ? in_page : sizeof(e->bytes);
    e->nbytes = 0;
    if (x86_canonical(rip) && guest_range_ok(rip, n) && !copy_from_guest(e->bytes, rip, n))
        e->nbytes = (uint8_t)n;
}

/* The one instruction forced emulation serves, "ud2; .ascii \"xen\"; cpuid", known without decoding. */
static const uint8_t forced_cpuid[X86_FORCED_SIG_LEN + 2] = { 0x0f, 0x0b, 'x', 'e', 'n', 0x0f, 0xa2 };

static bool is_forced_cpuid(struct pv_emul *e)
{
    if (e->nbytes < sizeof(forced_cpuid) || memcmp(e->bytes, forced_cpuid, sizeof(forced_cpuid)))
        return false;
    e->insn = (struct x86_insn){ .len = sizeof(forced_cpuid), .forced_emul = true, .start = X86_FORCED_SIG_LEN,
                                 .seg = X86_SEG_NONE, .map = X86_MAP_0F, .opcode = 0xa2, .addrsize = 8 };
    return true;
}

enum x86_decode_status pv_emul_decode(struct pv_emul *e, unsigned int flags)
{
    read_ahead(e);
    if ((flags & X86_DECODE_FORCED) && is_forced_cpuid(e))
        return X86_DECODE_OK;
    enum x86_decode_status st = x86_decode(&e->insn, fetch_byte, e, flags);

    switch (st) {
    case X86_DECODE_OK:
    case X86_DECODE_FETCH_FAULT:        /* e->fault was set by the fetch */
        break;
    case X86_DECODE_TOO_LONG:
        pv_emul_raise(e, X86_EXC_GP, 0, 0);
        break;
    case X86_DECODE_INVALID:
    case X86_DECODE_UNSUPPORTED:
        pv_emul_raise(e, X86_EXC_UD, -1, 0);
        break;
    }
    return st;
}

/*
 * An address outside the guest's range is #GP(0); the hypervisor's own
 * range is not the guest's to touch, even though it is canonical.
 */
static int access(struct pv_emul *e, uint64_t va, void *hv, size_t len, bool write)
{
    if (len == 0)
        return 0;
    if (!x86_canonical(va) || !x86_canonical(va + len - 1) || !guest_range_ok(va, len))
        return pv_emul_raise(e, X86_EXC_GP, 0, 0);
    /* Byte by byte only on failure, to name the first byte that faults. */
    int rc = write ? copy_to_guest(va, hv, len) : copy_from_guest(hv, va, len);
    if (rc == 0)
        return 0;
    for (size_t i = 0; i < len; i++) {
        uint8_t *p = (uint8_t *)hv + i;
        rc = write ? copy_to_guest(va + i, p, 1) : copy_from_guest(p, va + i, 1);
        if (rc)
            return pv_emul_raise(e, X86_EXC_PF, write ? X86_PFEC_WRITE : 0, va + i);
    }
    return 0;       /* mapped in between: the guest changed its tables under us */
}

int pv_emul_read(struct pv_emul *e, uint64_t va, void *buf, size_t len)
{
    return access(e, va, buf, len, false);
}

int pv_emul_write(struct pv_emul *e, uint64_t va, const void *buf, size_t len)
{
    return access(e, va, (void *)buf, len, true);
}

uint64_t *pv_emul_gpr(struct cpu_regs *regs, unsigned int n)
{
    switch (n) {
    case X86_RAX: return &regs->rax;
    case X86_RCX: return &regs->rcx;
    case X86_RDX: return &regs->rdx;
    case X86_RBX: return &regs->rbx;
    case X86_RSP: return &regs->rsp;
    case X86_RBP: return &regs->rbp;
    case X86_RSI: return &regs->rsi;
    case X86_RDI: return &regs->rdi;
    case X86_R8:  return &regs->r8;
    case X86_R9:  return &regs->r9;
    case X86_R10: return &regs->r10;
    case X86_R11: return &regs->r11;
    case X86_R12: return &regs->r12;
    case X86_R13: return &regs->r13;
    case X86_R14: return &regs->r14;
    default:
        ASSERT(n == X86_R15);
        return &regs->r15;
    }
}

/* Where a byte operand lives: the low byte of n, or AH-BH (bits 8-15 of n - 4) without REX. */
static uint64_t *byte_reg(const struct pv_emul *e, struct cpu_regs *regs, unsigned int n, unsigned int *shift)
{
    *shift = 0;
    if (!e->insn.rex && n >= 4 && n < 8) {
        n -= 4;
        *shift = 8;
    }
    return pv_emul_gpr(regs, n);
}

uint64_t pv_emul_reg_get(const struct pv_emul *e, unsigned int n, unsigned int size)
{
    unsigned int shift = 0;
    uint64_t v = size == 1 ? *byte_reg(e, e->regs, n, &shift) : *pv_emul_gpr(e->regs, n);
    return size == 8 ? v : (v >> shift) & ((1ull << (size * 8)) - 1);
}

void pv_emul_reg_set(const struct pv_emul *e, struct cpu_regs *regs, unsigned int n, unsigned int size, uint64_t val)
{
    unsigned int shift = 0;
    uint64_t *r = size == 1 ? byte_reg(e, regs, n, &shift) : pv_emul_gpr(regs, n);
    if (size >= 4) {
        *r = size == 8 ? val : (uint32_t)val;
        return;
    }
    uint64_t mask = ((1ull << (size * 8)) - 1) << shift;
    *r = (*r & ~mask) | ((val << shift) & mask);
}

uint64_t pv_emul_linear(const struct pv_emul *e)
{
    const struct x86_insn *i = &e->insn;
    const struct arch_vcpu *a = &e->v->arch;
    /* Only the registers the address names are read: the rest stay unset. */
    struct x86_ea_regs ea;
    if (i->ea_base >= 0)
        ea.gpr[i->ea_base] = *pv_emul_gpr(e->regs, (unsigned int)i->ea_base);
    if (i->ea_index >= 0)
        ea.gpr[i->ea_index] = *pv_emul_gpr(e->regs, (unsigned int)i->ea_index);
    ea.rip = e->regs->rip;
    ea.fs_base = a->fs_base;
    ea.gs_base = a->kernel_mode ? a->gs_base_kernel : a->gs_base_user;
    return x86_linear_address(i, &ea);
}

void pv_inject_page_fault(struct vcpu *v, uint32_t error_code, uint64_t cr2)
{
    v->vcpu_info->arch.cr2 = cr2;
    error_code &= ~X86_PFEC_USER;
    if (!v->arch.kernel_mode)
        error_code |= X86_PFEC_USER;
    pv_inject_exception(v, X86_EXC_PF, (int)error_code);
}

void pv_emul_reflect(struct pv_emul *e)
{
    ASSERT(e->faulted);
    if (e->fault.vector == X86_EXC_PF)
        pv_inject_page_fault(e->v, (uint32_t)e->fault.error_code, e->fault.cr2);
    else
        pv_inject_exception(e->v, e->fault.vector, e->fault.error_code);
}
