/*
 * Shared steps of instruction emulation for PV guests (see pv/emulate.h):
 * fetching and decoding the faulting instruction, guest memory operands
 * and the faults they give, as Xen 4.17 reports them.
 */
#include <public/errno.h>
#include <asm/extable.h>
#include <asm/guest_access.h>
#include <asm/pv.h>
#include "emulate.h"

int pv_emul_raise(struct pv_emul *e, unsigned int vector, int error_code, uint64_t cr2)
{
    e->faulted = true;
    e->fault.vector = (uint8_t)vector;
    e->fault.error_code = error_code;
    e->fault.cr2 = cr2;
    return -XEN_EFAULT;
}

/* Past the bytes read ahead, one at a time, so that a fault names the exact byte, as the CPU would. */
static int fetch_byte(void *ctx, unsigned int off, uint8_t *byte)
{
    struct pv_emul *e = ctx;
    return pv_emul_read(e, e->regs->rip + off, byte, 1);
}

/*
 * The instruction's first bytes, as far as its page goes (one page, one
 * permission), in 8-byte loads: a rep movsb would cost an instruction a byte
 * under icount. Two words hold every instruction a kernel traps on but the
 * longest; the decoder fetches the rest byte by byte.
 */
static void read_ahead(struct pv_emul *e)
{
    uint64_t rip = e->regs->rip, in_page = PAGE_SIZE - (rip & (PAGE_SIZE - 1)), w[2];
    _Static_assert(sizeof(e->bytes) >= sizeof(w), "read-ahead buffer");
    e->nbytes = 0;
    if (!x86_canonical(rip) || !guest_range_ok(rip, 1))
        return;
    if (in_page >= sizeof(w)) {
        guest_get_u64(w[0], rip, unreadable);
        guest_get_u64(w[1], rip + 8, unreadable);
        __builtin_memcpy(e->bytes, w, sizeof(w));      /* two stores, not our rep movsb */
        e->nbytes = sizeof(w);
    } else if (!copy_from_guest(e->bytes, rip, in_page)) {
        e->nbytes = (uint8_t)in_page;
    }
unreadable:
    return;
}

enum x86_decode_status pv_emul_decode(struct pv_emul *e, unsigned int flags)
{
    read_ahead(e);
    enum x86_decode_status st = x86_decode_prefetched(&e->insn, e->bytes, e->nbytes, fetch_byte, e, flags);

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

/* Where each general register sits in the frame, by encoding number: one load, no switch. */
static const uint8_t gpr_offset[X86_NR_GPRS] = {
    [X86_RAX] = offsetof(struct cpu_regs, rax), [X86_RCX] = offsetof(struct cpu_regs, rcx),
    [X86_RDX] = offsetof(struct cpu_regs, rdx), [X86_RBX] = offsetof(struct cpu_regs, rbx),
    [X86_RSP] = offsetof(struct cpu_regs, rsp), [X86_RBP] = offsetof(struct cpu_regs, rbp),
    [X86_RSI] = offsetof(struct cpu_regs, rsi), [X86_RDI] = offsetof(struct cpu_regs, rdi),
    [X86_R8] = offsetof(struct cpu_regs, r8),   [X86_R9] = offsetof(struct cpu_regs, r9),
    [X86_R10] = offsetof(struct cpu_regs, r10), [X86_R11] = offsetof(struct cpu_regs, r11),
    [X86_R12] = offsetof(struct cpu_regs, r12), [X86_R13] = offsetof(struct cpu_regs, r13),
    [X86_R14] = offsetof(struct cpu_regs, r14), [X86_R15] = offsetof(struct cpu_regs, r15),
};
_Static_assert(sizeof(struct cpu_regs) <= 256, "gpr_offset holds byte offsets");

uint64_t *pv_emul_gpr(struct cpu_regs *regs, unsigned int n)
{
    ASSERT(n < X86_NR_GPRS);
    return (uint64_t *)((char *)regs + gpr_offset[n]);
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
    /* Only the registers the address names are read. */
    uint64_t base = i->ea_base >= 0 ? *pv_emul_gpr(e->regs, (unsigned int)i->ea_base) : 0;
    uint64_t index = i->ea_index >= 0 ? *pv_emul_gpr(e->regs, (unsigned int)i->ea_index) : 0;
    uint64_t seg_base = i->ea_seg == X86_SEG_FS ? a->fs_base : a->kernel_mode ? a->gs_base_kernel : a->gs_base_user;
    return x86_linear_address_of(i, base, index, e->regs->rip, seg_base);
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
