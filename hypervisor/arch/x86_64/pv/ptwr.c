/*
 * Writable page tables, as Xen 4.17 (arch/x86/pv/ro-page-fault.c): a guest
 * kernel's store into one of its L1 tables, which it can map only read-only,
 * faults; the store is decoded, validated and applied exactly as an
 * mmu_update of that entry, or the guest gets the #PF it caused. Only L1
 * tables are emulated; a write to a higher level keeps its #PF, as on Xen.
 * Xen's emulator completes any instruction that writes memory; this one
 * takes the forms kernels use on entries: MOV, XCHG, CMPXCHG(8B), the
 * two-operand arithmetic and logic ops and BTS/BTR/BTC (Linux's set_bit and
 * clear_bit on a PTE). Other instructions keep their #PF.
 */
#include <hv/domain.h>
#include <hv/frame.h>
#include <public/errno.h>
#include <public/xen.h>
#include <asm/cpu.h>
#include <asm/pagetable.h>
#include <asm/pv.h>
#include "emulate.h"

/* What one step of the emulation came to, as Xen's emulator reports it. */
enum ptwr_rc {
    PTWR_DONE,          /* completed: commit the registers and step over the instruction */
    PTWR_FAULT,         /* e.fault is what the guest takes */
    PTWR_UNHANDLED,     /* not emulated: the guest gets its original #PF */
    PTWR_RETRY,         /* nothing done: the guest runs the instruction again */
    PTWR_CMPXCHG_FAILED,/* the entry no longer held the expected value */
};

struct ptwr {
    struct pv_emul e;
    struct domain *d;
    uint64_t cr2;
    uint64_t l1_mfn;            /* the L1 table mapped (read-only) at cr2 */
};

/* The arithmetic flags (CF, PF, AF, ZF, SF, OF) CMP of size bytes gives for a - b. */
#define X86_FLAGS_ARITH 0x8d5ull
#define X86_FLAGS_ZF    0x40ull

static uint64_t cmp_flags(uint64_t a, uint64_t b, unsigned int size)
{
    uint64_t f;
    switch (size) {
    case 1: __asm__("cmp %b2, %b1; pushfq; pop %0" : "=r"(f) : "r"(a), "r"(b) : "cc"); break;
    case 2: __asm__("cmp %w2, %w1; pushfq; pop %0" : "=r"(f) : "r"(a), "r"(b) : "cc"); break;
    case 4: __asm__("cmp %k2, %k1; pushfq; pop %0" : "=r"(f) : "r"(a), "r"(b) : "cc"); break;
    default: __asm__("cmp %2, %1; pushfq; pop %0" : "=r"(f) : "r"(a), "r"(b) : "cc"); break;
    }
    return f & X86_FLAGS_ARITH;
}

static uint64_t low_bytes(uint64_t v, unsigned int size)
{
    return size == 8 ? v : v & ((1ull << (size * 8)) - 1);
}

/*
 * Writes val (size bytes at addr) into the L1 entry, replacing it only if it
 * still holds *old when old is given. As Xen: naturally aligned, inside the
 * page that faulted; a narrower write is merged into the entry read through
 * the guest's mapping. The new entry is validated by the mmu_update path.
 */
static enum ptwr_rc ptwr_update(struct ptwr *p, uint64_t addr, unsigned int size, uint64_t val, uint64_t *old)
{
    if (((addr ^ p->cr2) & ~(PAGE_SIZE - 1)) || (addr & (size - 1)) || size > sizeof(pte_t))
        return PTWR_UNHANDLED;
    unsigned int shift = 0;
    pte_t new_e = val, expect = old ? *old : 0;
    if (size != sizeof(pte_t)) {
        pte_t full;
        shift = (addr & (sizeof(pte_t) - 1)) * 8;
        addr &= ~(uint64_t)(sizeof(pte_t) - 1);
        if (pv_emul_read(&p->e, addr, &full, sizeof(full)))
            return PTWR_FAULT;
        pte_t mask = ((1ull << (size * 8)) - 1) << shift;
        new_e = (full & ~mask) | ((val << shift) & mask);
        expect = (full & ~mask) | ((expect << shift) & mask);
    }
    unsigned int idx = (unsigned int)((addr & (PAGE_SIZE - 1)) / sizeof(pte_t));
    bool flush = false;
    int rc;
    if (old) {
        rc = pt_cmpxchg_entry(p->d, p->d, p->l1_mfn, idx, &expect, new_e, &flush);
        if (rc == -XEN_EAGAIN) {
            *old = low_bytes(expect >> shift, size);
            return PTWR_CMPXCHG_FAILED;
        }
    } else {
        rc = pt_update_entry(p->d, p->d, p->l1_mfn, idx, new_e, false, &flush);
    }
    if (rc)
        return PTWR_UNHANDLED;
    p->d->pt_updates++;
    if (flush)
        pv_flush_domain_tlbs(p->d);
    return PTWR_DONE;
}

/*
 * The arithmetic and logic ops, run on this CPU on the values so that the
 * result and flags are the CPU's own. The guest's arithmetic flags go in
 * (CF for ADC, SBB); the rest of RFLAGS is ours (interrupts stay off).
 */
enum alu_op { ALU_ADD, ALU_OR, ALU_ADC, ALU_SBB, ALU_AND, ALU_SUB, ALU_XOR, ALU_BTS, ALU_BTR, ALU_BTC };

#define ALU_RUN(insn, sfx, m)                                                                   \
    __asm__("push %[fi]; popfq; " insn sfx " %" m "[s], %" m "[d]; pushfq; pop %[fo]"            \
            : [d] "+r"(d), [fo] "=&r"(fo) : [s] "r"(s), [fi] "r"(fi) : "cc")
#define ALU_SIZES(insn)                                                                         \
    switch (size) {                                                                             \
    case 1: ALU_RUN(insn, "b", "b"); break;                                                     \
    default: BIT_SIZES(insn)                                                                    \
    }
/* The bit ops have no byte form: the decoder gives them 2, 4 or 8. */
#define BIT_SIZES(insn)                                                                         \
    switch (size) {                                                                             \
    case 2: ALU_RUN(insn, "w", "w"); break;                                                     \
    case 4: ALU_RUN(insn, "l", "k"); break;                                                     \
    default: ALU_RUN(insn, "q", "q"); break;                                                    \
    }

static uint64_t alu_run(enum alu_op op, unsigned int size, uint64_t d, uint64_t s, uint64_t *flags)
{
    uint64_t fi, fo = 0;
    __asm__ volatile("pushfq; pop %0" : "=r"(fi));
    fi = (fi & ~X86_FLAGS_ARITH) | (*flags & X86_FLAGS_ARITH);
    switch (op) {
    case ALU_ADD: ALU_SIZES("add"); break;
    case ALU_OR:  ALU_SIZES("or"); break;
    case ALU_ADC: ALU_SIZES("adc"); break;
    case ALU_SBB: ALU_SIZES("sbb"); break;
    case ALU_AND: ALU_SIZES("and"); break;
    case ALU_SUB: ALU_SIZES("sub"); break;
    case ALU_XOR: ALU_SIZES("xor"); break;
    case ALU_BTS: BIT_SIZES("bts"); break;
    case ALU_BTR: BIT_SIZES("btr"); break;
    case ALU_BTC: BIT_SIZES("btc"); break;
    }
    *flags = (*flags & ~X86_FLAGS_ARITH) | (fo & X86_FLAGS_ARITH);
    return low_bytes(d, size);
}

/*
 * An arithmetic, logic or bit-setting op on memory, as Xen's emulator: an
 * unchanged value is not written; with LOCK the write is a compare-and-
 * exchange against what was read, and run again if the entry changed.
 */
static enum ptwr_rc emulate_alu(struct ptwr *p, uint64_t addr, enum alu_op op, uint64_t src)
{
    const struct x86_insn *i = &p->e.insn;
    unsigned int size = i->opsize;
    uint64_t dst = 0, flags = p->e.regs->rflags;
    if (pv_emul_read(&p->e, addr, &dst, size))
        return PTWR_FAULT;
    uint64_t res = alu_run(op, size, dst, low_bytes(src, size), &flags), old = dst;
    enum ptwr_rc rc = PTWR_DONE;
    if (res != dst)
        rc = ptwr_update(p, addr, size, res, (i->prefixes & X86_PFX_LOCK) ? &old : NULL);
    if (rc == PTWR_DONE)
        p->e.regs->rflags = flags;
    return rc == PTWR_CMPXCHG_FAILED ? PTWR_RETRY : rc;
}

/*
 * BTS/BTR/BTC with a register bit offset reach any bit from the operand:
 * the signed offset picks the operand-sized word, as the CPU does.
 */
static enum ptwr_rc emulate_bit_reg(struct ptwr *p, uint64_t addr, enum alu_op op)
{
    unsigned int size = p->e.insn.opsize, bits = size * 8, shift = size == 2 ? 4 : size == 4 ? 5 : 6;
    uint64_t raw = pv_emul_reg_get(&p->e, p->e.insn.reg, size);
    int64_t off = size == 8 ? (int64_t)raw : size == 4 ? (int32_t)raw : (int16_t)raw;
    addr += (uint64_t)((off >> shift) * (int64_t)size);
    return emulate_alu(p, addr, op, (uint64_t)off & (bits - 1));
}

/* MOV to memory: from a register, an immediate, or rAX (moffs). */
static enum ptwr_rc emulate_mov(struct ptwr *p, uint64_t addr, uint64_t src)
{
    return ptwr_update(p, addr, p->e.insn.opsize, src, NULL);
}

/*
 * XCHG with memory: the register gets the old value; the memory write is a
 * locked one, so an entry that changed since it was read means run again,
 * and an unchanged value is not written at all (as Xen's emulator).
 */
static enum ptwr_rc emulate_xchg(struct ptwr *p, uint64_t addr)
{
    unsigned int size = p->e.insn.opsize;
    uint64_t dst = 0;
    if (pv_emul_read(&p->e, addr, &dst, size))
        return PTWR_FAULT;
    uint64_t src = pv_emul_reg_get(&p->e, p->e.insn.reg, size), old = dst;
    enum ptwr_rc rc = dst == src ? PTWR_DONE : ptwr_update(p, addr, size, src, &old);
    if (rc == PTWR_DONE)
        pv_emul_reg_set(&p->e, p->e.regs, p->e.insn.reg, size, dst);
    return rc == PTWR_CMPXCHG_FAILED ? PTWR_RETRY : rc;
}

/* CMPXCHG: rAX against memory; on a mismatch rAX gets what memory held. */
static enum ptwr_rc emulate_cmpxchg(struct ptwr *p, uint64_t addr)
{
    struct cpu_regs *regs = p->e.regs;
    unsigned int size = p->e.insn.opsize;
    uint64_t dst = 0;
    if (pv_emul_read(&p->e, addr, &dst, size))
        return PTWR_FAULT;
    uint64_t acc = pv_emul_reg_get(&p->e, X86_RAX, size);
    if (dst == acc) {
        uint64_t seen = acc;
        enum ptwr_rc rc = ptwr_update(p, addr, size, pv_emul_reg_get(&p->e, p->e.insn.reg, size), &seen);
        if (rc != PTWR_DONE && rc != PTWR_CMPXCHG_FAILED)
            return rc;
        dst = seen;
    }
    if (dst != acc)
        pv_emul_reg_set(&p->e, regs, X86_RAX, size, dst);
    regs->rflags = (regs->rflags & ~X86_FLAGS_ARITH) | cmp_flags(acc, dst, size);
    return PTWR_DONE;
}

/*
 * CMPXCHG8B (and CMPXCHG16B, REX.W): rDX:rAX against memory, rCX:rBX the new
 * value; only ZF changes. Sixteen bytes are read and compared, but an equal
 * value is never written: Xen 4.17 updates at most one 8-byte entry.
 */
static enum ptwr_rc emulate_cmpxchg8b(struct ptwr *p, uint64_t addr)
{
    bool wide = p->e.insn.rex & X86_REX_W;
    unsigned int half = wide ? 8 : 4;
    struct cpu_regs *r = p->e.regs;
    uint64_t mem[2] = { 0, 0 };
    if (pv_emul_read(&p->e, addr, mem, 2 * half))
        return PTWR_FAULT;
    uint64_t lo = low_bytes(mem[0], half), hi = wide ? mem[1] : mem[0] >> 32;
    uint64_t want_lo = low_bytes(r->rax, half), want_hi = low_bytes(r->rdx, half);
    if (lo == want_lo && hi == want_hi) {
        if (wide)
            return PTWR_UNHANDLED;
        uint64_t seen = want_lo | want_hi << 32;
        enum ptwr_rc rc = ptwr_update(p, addr, 8, (uint32_t)r->rbx | (uint64_t)(uint32_t)r->rcx << 32, &seen);
        if (rc == PTWR_DONE) {
            r->rflags |= X86_FLAGS_ZF;
            return rc;
        }
        if (rc != PTWR_CMPXCHG_FAILED)
            return rc;
        lo = (uint32_t)seen;
        hi = seen >> 32;
    }
    r->rax = lo;
    r->rdx = hi;
    r->rflags &= ~X86_FLAGS_ZF;
    return PTWR_DONE;
}

/*
 * The decoded instruction, if it is one of the stores Xen's ptwr completes;
 * else PTWR_UNHANDLED. The guest's registers change only when it is done.
 */
static enum ptwr_rc emulate(struct ptwr *p)
{
    const struct x86_insn *i = &p->e.insn;
    if (!i->mem || ((i->prefixes & X86_PFX_LOCK) && !i->lock_ok))
        return PTWR_UNHANDLED;
    uint64_t addr = pv_emul_linear(&p->e);
    unsigned int modrm_reg = (i->modrm >> 3) & 7;

    if (i->map == X86_MAP_1BYTE) {
        /* ADD, OR, ADC, SBB, AND, SUB, XOR r/m, reg (00-31, not CMP) */
        if (i->opcode < 0x38 && (i->opcode & 7) <= 1)
            return emulate_alu(p, addr, (enum alu_op)(i->opcode >> 3), pv_emul_reg_get(&p->e, i->reg, i->opsize));
        switch (i->opcode) {
        case 0x80: case 0x81: case 0x83:                /* group 1 r/m, imm; CMP does not write */
            return modrm_reg != 7 ? emulate_alu(p, addr, (enum alu_op)modrm_reg, (uint64_t)i->imm) : PTWR_UNHANDLED;
        case 0x88: case 0x89:                           /* MOV r/m, reg */
            return emulate_mov(p, addr, pv_emul_reg_get(&p->e, i->reg, i->opsize));
        case 0xa2: case 0xa3:                           /* MOV moffs, rAX */
            return emulate_mov(p, addr, pv_emul_reg_get(&p->e, X86_RAX, i->opsize));
        case 0xc6: case 0xc7:                           /* MOV r/m, imm */
            return modrm_reg == 0 ? emulate_mov(p, addr, (uint64_t)i->imm) : PTWR_UNHANDLED;
        case 0x86: case 0x87:                           /* XCHG */
            return emulate_xchg(p, addr);
        }
    } else if (i->map == X86_MAP_0F) {
        switch (i->opcode) {
        case 0xb0: case 0xb1:                           /* CMPXCHG */
            return emulate_cmpxchg(p, addr);
        case 0xc7:                                      /* CMPXCHG8B/16B */
            return modrm_reg == 1 ? emulate_cmpxchg8b(p, addr) : PTWR_UNHANDLED;
        case 0xab: return emulate_bit_reg(p, addr, ALU_BTS);
        case 0xb3: return emulate_bit_reg(p, addr, ALU_BTR);
        case 0xbb: return emulate_bit_reg(p, addr, ALU_BTC);
        case 0xba:                                      /* BT* r/m, imm8: the offset wraps in the operand */
            if (modrm_reg < 5)
                return PTWR_UNHANDLED;                  /* BT does not write */
            return emulate_alu(p, addr, (enum alu_op)(ALU_BTS + modrm_reg - 5),
                               (uint64_t)i->imm & (i->opsize * 8u - 1));
        }
    }
    return PTWR_UNHANDLED;
}

/*
 * The L1 table read-only at cr2, if a store there is Xen's to emulate: the
 * entry mapping cr2 is present and read-only, and its frame is one of d's
 * validated L1 tables. Under the frame lock.
 */
static bool ptwr_target(struct ptwr *p)
{
    uint64_t l1;
    unsigned int idx;
    if (pv_find_l1(p->cr2, &l1, &idx))
        return false;
    pte_t pte = ((const pte_t *)pv_frame_ptr(l1))[idx];
    if ((pte & (_PAGE_PRESENT | _PAGE_RW)) != _PAGE_PRESENT)
        return false;
    p->l1_mfn = pte_addr(pte) >> PAGE_SHIFT;
    const struct page_info *pg = pfn_to_page(p->l1_mfn);
    return pg && pg->state == PGS_ALLOCATED && pg->owner == p->d->id && page_type(pg) == PGT_l1 &&
           page_type_count(pg) && !(pg->type_info & (PGT_validating | PGT_partial));
}

bool pv_ptwr_fault(struct vcpu *v, struct cpu_regs *regs, uint64_t cr2)
{
    struct domain *d = v->domain;
    uint32_t ec = (uint32_t)regs->error_code;
    /*
     * As Xen's fixup_page_fault: a write by the guest kernel to a present
     * page; the writable_pagetables assist, or the hardware domain (whose
     * writes Xen 4.17 takes through the same path whether it asked or not).
     */
    if (!v->arch.kernel_mode || (ec & (X86_PFEC_RSVD | X86_PFEC_FETCH)) ||
        (ec & (X86_PFEC_WRITE | X86_PFEC_PRESENT)) != (X86_PFEC_WRITE | X86_PFEC_PRESENT) ||
        !(is_dom0(d) || (d->vm_assist & (1ull << VMASST_TYPE_writable_pagetables))))
        return false;

    struct ptwr p;                      /* not zeroed: every field is set before it is read */
    p.d = d;
    p.cr2 = cr2;
    enum ptwr_rc rc = PTWR_UNHANDLED;
    pv_emul_init(&p.e, v, regs);
    frame_lock();
    if (ptwr_target(&p)) {
        enum x86_decode_status st = pv_emul_decode(&p.e, 0);
        if (st == X86_DECODE_OK)
            rc = emulate(&p);
        else if (st == X86_DECODE_FETCH_FAULT)
            rc = PTWR_FAULT;
    }
    frame_unlock();

    switch (rc) {
    case PTWR_DONE:
        regs->rip += p.e.insn.len;
        if (regs->rflags & X86_EFLAGS_TF)
            pv_inject_exception(v, X86_EXC_DB, -1);     /* single-stepped over it, as Xen */
        return true;
    case PTWR_FAULT:
        pv_emul_reflect(&p.e);
        return true;
    case PTWR_RETRY:
        return true;
    default:
        return false;
    }
}
