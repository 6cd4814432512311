/*
 * Writable page tables, as Xen 4.17 (arch/x86/pv/ro-page-fault.c): a guest
 * kernel's store into one of its L1 tables, which it can map only read-only,
 * faults; the store is decoded, validated and applied exactly as an
 * mmu_update of that entry, or the guest gets the #PF it caused. Only L1
 * tables are emulated; a write to a higher level keeps its #PF, as on Xen.
 * Xen's emulator completes any instruction that writes memory; so does
 * this one for the general-register forms: MOV (and MOVNTI), XCHG,
 * CMPXCHG(8B), the two-operand arithmetic and logic ops, BTS/BTR/BTC,
 * NOT, NEG, INC, DEC, the shifts and rotates, XADD, SETcc, and STOS and
 * MOVS (a REP one repetition a fault, as Xen's emulator without string
 * hooks). Other instructions (x87, SSE, PUSH and POP, ...) keep their #PF.
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
    bool restart;               /* a REP with repetitions left: RIP stays on it */
};

/* The arithmetic flags (CF, PF, AF, ZF, SF, OF) CMP of size bytes gives for a - b. */
#define X86_FLAGS_ARITH 0x8d5ull
#define X86_FLAGS_CF    0x001ull
#define X86_FLAGS_PF    0x004ull
#define X86_FLAGS_ZF    0x040ull
#define X86_FLAGS_SF    0x080ull
#define X86_FLAGS_OF    0x800ull

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
    int rc;
    /* A removed or narrowed mapping is not flushed, as on Xen: its frame's stamp covers it (hv/tlbclock.h). */
    if (old) {
        rc = pt_cmpxchg_entry(p->d, p->d, p->l1_mfn, idx, &expect, new_e, NULL);
        if (rc == -XEN_EAGAIN) {
            *old = low_bytes(expect >> shift, size);
            return PTWR_CMPXCHG_FAILED;
        }
    } else {
        rc = pt_update_entry(p->d, p->d, p->l1_mfn, idx, new_e, false, NULL);
    }
    if (rc)
        return PTWR_UNHANDLED;
    p->d->pt_updates++;
    return PTWR_DONE;
}

/*
 * The arithmetic, logic, unary, shift and bit ops, run on this CPU on the
 * values so that the result and flags are the CPU's own (flags a shift by
 * more than one leaves undefined included). The guest's arithmetic flags go
 * in (CF for ADC, SBB, RCL, RCR; all of them for NOT, INC, DEC and a shift
 * by 0, which keep some); the rest of RFLAGS is ours (interrupts stay off).
 */
enum alu_op {
    ALU_ADD, ALU_OR, ALU_ADC, ALU_SBB, ALU_AND, ALU_SUB, ALU_XOR,   /* 00-31 and group 1, in /r order */
    ALU_BTS, ALU_BTR, ALU_BTC,
    ALU_ROL, ALU_ROR, ALU_RCL, ALU_RCR, ALU_SHL, ALU_SHR, ALU_SAL, ALU_SAR,   /* group 2, in /r order */
    ALU_NOT, ALU_NEG, ALU_INC, ALU_DEC,
};

#define ALU_ASM(body, ...)                                                                      \
    __asm__("push %[fi]; popfq; " body "; pushfq; pop %[fo]"                                    \
            : [d] "+r"(d), [fo] "=&r"(fo) : [fi] "r"(fi), ##__VA_ARGS__ : "cc")
#define ALU_RUN(insn, sfx, m)   ALU_ASM(insn sfx " %" m "[s], %" m "[d]", [s] "r"(s))
#define SHIFT_RUN(insn, sfx, m) ALU_ASM(insn sfx " %%cl, %" m "[d]", "c"(s))
#define UNARY_RUN(insn, sfx, m) ALU_ASM(insn sfx " %" m "[d]")
#define ALU_SIZES(run, insn)                                                                    \
    switch (size) {                                                                             \
    case 1: run(insn, "b", "b"); break;                                                         \
    default: WIDE_SIZES(run, insn)                                                              \
    }
/* The bit ops have no byte form: the decoder gives them 2, 4 or 8. */
#define WIDE_SIZES(run, insn)                                                                   \
    switch (size) {                                                                             \
    case 2: run(insn, "w", "w"); break;                                                         \
    case 4: run(insn, "l", "k"); break;                                                         \
    default: run(insn, "q", "q"); break;                                                        \
    }

static uint64_t alu_run(enum alu_op op, unsigned int size, uint64_t d, uint64_t s, uint64_t *flags)
{
    uint64_t fi, fo = 0;
    __asm__ volatile("pushfq; pop %0" : "=r"(fi));
    fi = (fi & ~X86_FLAGS_ARITH) | (*flags & X86_FLAGS_ARITH);
    switch (op) {
    case ALU_ADD: ALU_SIZES(ALU_RUN, "add"); break;
    case ALU_OR:  ALU_SIZES(ALU_RUN, "or"); break;
    case ALU_ADC: ALU_SIZES(ALU_RUN, "adc"); break;
    case ALU_SBB: ALU_SIZES(ALU_RUN, "sbb"); break;
    case ALU_AND: ALU_SIZES(ALU_RUN, "and"); break;
    case ALU_SUB: ALU_SIZES(ALU_RUN, "sub"); break;
    case ALU_XOR: ALU_SIZES(ALU_RUN, "xor"); break;
    case ALU_BTS: WIDE_SIZES(ALU_RUN, "bts"); break;
    case ALU_BTR: WIDE_SIZES(ALU_RUN, "btr"); break;
    case ALU_BTC: WIDE_SIZES(ALU_RUN, "btc"); break;
    case ALU_ROL: ALU_SIZES(SHIFT_RUN, "rol"); break;
    case ALU_ROR: ALU_SIZES(SHIFT_RUN, "ror"); break;
    case ALU_RCL: ALU_SIZES(SHIFT_RUN, "rcl"); break;
    case ALU_RCR: ALU_SIZES(SHIFT_RUN, "rcr"); break;
    case ALU_SHL: case ALU_SAL: ALU_SIZES(SHIFT_RUN, "shl"); break;
    case ALU_SHR: ALU_SIZES(SHIFT_RUN, "shr"); break;
    case ALU_SAR: ALU_SIZES(SHIFT_RUN, "sar"); break;
    case ALU_NOT: ALU_SIZES(UNARY_RUN, "not"); break;
    case ALU_NEG: ALU_SIZES(UNARY_RUN, "neg"); break;
    case ALU_INC: ALU_SIZES(UNARY_RUN, "inc"); break;
    case ALU_DEC: ALU_SIZES(UNARY_RUN, "dec"); break;
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

/* XADD: memory gets the sum, the register what memory held; written as the ALU ops are. */
static enum ptwr_rc emulate_xadd(struct ptwr *p, uint64_t addr)
{
    const struct x86_insn *i = &p->e.insn;
    unsigned int size = i->opsize;
    uint64_t dst = 0, flags = p->e.regs->rflags;
    if (pv_emul_read(&p->e, addr, &dst, size))
        return PTWR_FAULT;
    uint64_t res = alu_run(ALU_ADD, size, dst, pv_emul_reg_get(&p->e, i->reg, size), &flags), old = dst;
    enum ptwr_rc rc = PTWR_DONE;
    if (res != dst)
        rc = ptwr_update(p, addr, size, res, (i->prefixes & X86_PFX_LOCK) ? &old : NULL);
    if (rc == PTWR_DONE) {
        p->e.regs->rflags = flags;
        pv_emul_reg_set(&p->e, p->e.regs, i->reg, size, dst);
    }
    return rc == PTWR_CMPXCHG_FAILED ? PTWR_RETRY : rc;
}

/* Condition code cc (the low nibble of Jcc/SETcc) under flags. */
static bool cond(unsigned int cc, uint64_t f)
{
    bool sf_ne_of = !(f & X86_FLAGS_SF) != !(f & X86_FLAGS_OF), r;
    switch (cc >> 1) {
    case 0: r = f & X86_FLAGS_OF; break;
    case 1: r = f & X86_FLAGS_CF; break;
    case 2: r = f & X86_FLAGS_ZF; break;
    case 3: r = f & (X86_FLAGS_CF | X86_FLAGS_ZF); break;
    case 4: r = f & X86_FLAGS_SF; break;
    case 5: r = f & X86_FLAGS_PF; break;
    case 6: r = sf_ne_of; break;
    default: r = sf_ne_of || (f & X86_FLAGS_ZF); break;
    }
    return (cc & 1) ? !r : r;
}

/*
 * STOS and MOVS: one repetition at ES:rDI (rAX, or what seg:rSI holds),
 * the index registers stepped by DF, rCX counted down under REP; with
 * repetitions left the instruction runs again and faults for the next one.
 */
static enum ptwr_rc emulate_string(struct ptwr *p)
{
    const struct x86_insn *i = &p->e.insn;
    struct cpu_regs *r = p->e.regs;
    unsigned int size = i->opsize;
    uint64_t mask = i->addrsize == 4 ? 0xffffffffull : ~0ull, val = 0;
    bool movs = i->opcode <= 0xa5;
    if (i->rep && !(r->rcx & mask))
        return PTWR_UNHANDLED;              /* nothing is written: it cannot have faulted */
    if (movs) {
        const struct arch_vcpu *a = &p->e.v->arch;
        uint64_t base = i->seg == X86_SEG_FS ? a->fs_base
                        : i->seg == X86_SEG_GS ? (a->kernel_mode ? a->gs_base_kernel : a->gs_base_user) : 0;
        if (pv_emul_read(&p->e, base + (r->rsi & mask), &val, size))
            return PTWR_FAULT;
    } else {
        val = pv_emul_reg_get(&p->e, X86_RAX, size);
    }
    enum ptwr_rc rc = ptwr_update(p, r->rdi & mask, size, val, NULL);
    if (rc != PTWR_DONE)
        return rc;
    uint64_t step = (r->rflags & X86_EFLAGS_DF) ? -(uint64_t)size : size;
    r->rdi = (r->rdi + step) & mask;
    if (movs)
        r->rsi = (r->rsi + step) & mask;
    if (i->rep) {
        r->rcx = (r->rcx - 1) & mask;
        p->restart = r->rcx != 0;
    }
    return PTWR_DONE;
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
    if (i->map == X86_MAP_1BYTE && ((i->opcode & ~1) == 0xa4 || (i->opcode & ~1) == 0xaa))
        return emulate_string(p);                       /* MOVS, STOS */
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
        case 0xf6: case 0xf7:                           /* group 3: NOT, NEG write; TEST, MUL, DIV do not */
            if (modrm_reg == 2 || modrm_reg == 3)
                return emulate_alu(p, addr, modrm_reg == 2 ? ALU_NOT : ALU_NEG, 0);
            return PTWR_UNHANDLED;
        case 0xfe: case 0xff:                           /* INC, DEC (the rest of group 5 writes no r/m) */
            if (modrm_reg <= 1)
                return emulate_alu(p, addr, modrm_reg == 0 ? ALU_INC : ALU_DEC, 0);
            return PTWR_UNHANDLED;
        case 0xc0: case 0xc1:                           /* group 2 by imm8, 1 or CL */
            return emulate_alu(p, addr, (enum alu_op)(ALU_ROL + modrm_reg), (uint64_t)i->imm);
        case 0xd0: case 0xd1:
            return emulate_alu(p, addr, (enum alu_op)(ALU_ROL + modrm_reg), 1);
        case 0xd2: case 0xd3:
            return emulate_alu(p, addr, (enum alu_op)(ALU_ROL + modrm_reg), (uint8_t)p->e.regs->rcx);
        }
    } else if (i->map == X86_MAP_0F) {
        switch (i->opcode) {
        case 0xb0: case 0xb1:                           /* CMPXCHG */
            return emulate_cmpxchg(p, addr);
        case 0xc7:                                      /* CMPXCHG8B/16B */
            return modrm_reg == 1 ? emulate_cmpxchg8b(p, addr) : PTWR_UNHANDLED;
        case 0xc0: case 0xc1:                           /* XADD */
            return emulate_xadd(p, addr);
        case 0xc3:                                      /* MOVNTI */
            return emulate_mov(p, addr, pv_emul_reg_get(&p->e, i->reg, i->opsize));
        case 0x90: case 0x91: case 0x92: case 0x93: case 0x94: case 0x95: case 0x96: case 0x97:
        case 0x98: case 0x99: case 0x9a: case 0x9b: case 0x9c: case 0x9d: case 0x9e: case 0x9f:
            return ptwr_update(p, addr, 1, cond(i->opcode & 0xf, p->e.regs->rflags), NULL);     /* SETcc */
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
    pte_t pte = ((const pte_t *)__va(l1 << PAGE_SHIFT))[idx];
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
    p.restart = false;
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
        if (!p.restart)
            regs->rip += p.e.insn.len;
        regs->rflags &= ~(uint64_t)X86_EFLAGS_RF;
        /* Single-stepped over it (each repetition of a REP): #DB, as Xen 4.17, which leaves DR6 alone here. */
        if (regs->rflags & X86_EFLAGS_TF)
            pv_inject_exception(v, X86_EXC_DB, -1);
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
