/* x86-64 instruction decoder: prefixes, opcode maps, ModRM/SIB, immediates (contract in decode.h). */
#include <stddef.h>
#include "decode.h"

/*
 * One attribute word per opcode: whether a ModRM byte follows, what
 * immediate, how the operand size is chosen, and whether LOCK may apply.
 */
enum {
    A_MODRM = 1u << 0,
    A_LOCK  = 1u << 1,   /* lockable with a memory destination (groups: some members) */
    A_INV   = 1u << 2,   /* undefined in 64-bit mode: #UD */
    A_UNSUP = 1u << 3,   /* VEX / EVEX escape */
    A_CRDR  = 1u << 4,   /* MOV CR/DR: ModRM is always the register form */
};
#define A_IMM_SHIFT 8
enum imm_kind {
    I_NONE, I_B, I_UB, I_W, I_Z, I_V, I_MOFFS, I_REL8, I_REL32, I_ENTER, I_GRP3,
};
#define A_SIZE_SHIFT 12
enum size_kind {
    S_NONE,
    S_B,     /* byte */
    S_V,     /* 2 with 0x66, 8 with REX.W, else 4 */
    S_D64,   /* 2 with 0x66, else 8 (stack operations) */
    S_F64,   /* always 8 (near branches, MOV CR/DR) */
    S_Z,     /* 2 with 0x66 (unless REX.W), else 4: IN/OUT/INS/OUTS, which REX.W does not widen */
};
#define IMM(k)  ((uint16_t)((k) << A_IMM_SHIFT))
#define SZ(k)   ((uint16_t)((k) << A_SIZE_SHIFT))

/* Shorthands for the tables: M = ModRM, b/v = size, L = lockable, i = immediate. */
#define __      0
#define X       A_INV
#define U       A_UNSUP
#define M       A_MODRM
#define Mb      (A_MODRM | SZ(S_B))
#define Mv      (A_MODRM | SZ(S_V))
#define MbL     (Mb | A_LOCK)
#define MvL     (Mv | A_LOCK)
#define Mib     (A_MODRM | IMM(I_UB))
#define Bb      (IMM(I_B) | SZ(S_B))
#define Zv      (IMM(I_Z) | SZ(S_V))
#define b_      SZ(S_B)
#define v_      SZ(S_V)
#define z_      SZ(S_Z)
#define d64     SZ(S_D64)
#define f64     SZ(S_F64)
#define R8      (IMM(I_REL8) | SZ(S_F64))
#define R32     (IMM(I_REL32) | SZ(S_F64))
#define MO_b    (IMM(I_MOFFS) | SZ(S_B))
#define MO_v    (IMM(I_MOFFS) | SZ(S_V))

/* Prefix bytes (handled before the table) and the 0F escape are __ here. */
static const uint16_t map1[256] = {
/*        0      1      2      3      4      5      6      7      8      9      a      b      c      d      e      f */
/* 0 */  MbL,   MvL,   Mb,    Mv,    Bb,    Zv,    X,     X,     MbL,   MvL,   Mb,    Mv,    Bb,    Zv,    X,     __,
/* 1 */  MbL,   MvL,   Mb,    Mv,    Bb,    Zv,    X,     X,     MbL,   MvL,   Mb,    Mv,    Bb,    Zv,    X,     X,
/* 2 */  MbL,   MvL,   Mb,    Mv,    Bb,    Zv,    __,    X,     MbL,   MvL,   Mb,    Mv,    Bb,    Zv,    __,    X,
/* 3 */  MbL,   MvL,   Mb,    Mv,    Bb,    Zv,    __,    X,     Mb,    Mv,    Mb,    Mv,    Bb,    Zv,    __,    X,
/* 4 */  __,    __,    __,    __,    __,    __,    __,    __,    __,    __,    __,    __,    __,    __,    __,    __,
/* 5 */  d64,   d64,   d64,   d64,   d64,   d64,   d64,   d64,   d64,   d64,   d64,   d64,   d64,   d64,   d64,   d64,
/* 6 */  X,     X,     U,     Mv,    __,    __,    __,    __,    IMM(I_Z) | d64, A_MODRM | IMM(I_Z) | v_,
                                                                               IMM(I_B) | d64, A_MODRM | IMM(I_B) | v_,
                                                                                             b_,    z_,    b_,    z_,
/* 7 */  R8,    R8,    R8,    R8,    R8,    R8,    R8,    R8,    R8,    R8,    R8,    R8,    R8,    R8,    R8,    R8,
/* 8 */  A_MODRM | IMM(I_B) | b_ | A_LOCK, A_MODRM | IMM(I_Z) | v_ | A_LOCK, X, A_MODRM | IMM(I_B) | v_ | A_LOCK,
                                       Mb,    Mv,    MbL,   MvL,   Mb,    Mv,    Mb,    Mv,    M,     Mv,    M,     M | d64,
/* 9 */  v_,    v_,    v_,    v_,    v_,    v_,    v_,    v_,    v_,    v_,    X,     __,    d64,   d64,   __,    __,
/* a */  MO_b,  MO_v,  MO_b,  MO_v,  b_,    v_,    b_,    v_,    Bb,    Zv,    b_,    v_,    b_,    v_,    b_,    v_,
/* b */  Bb,    Bb,    Bb,    Bb,    Bb,    Bb,    Bb,    Bb,
         IMM(I_V) | v_, IMM(I_V) | v_, IMM(I_V) | v_, IMM(I_V) | v_, IMM(I_V) | v_, IMM(I_V) | v_, IMM(I_V) | v_, IMM(I_V) | v_,
/* c */  A_MODRM | IMM(I_UB) | b_, A_MODRM | IMM(I_UB) | v_, IMM(I_W) | f64, f64, U, U,
                                                    A_MODRM | IMM(I_B) | b_, A_MODRM | IMM(I_Z) | v_,
                                                                  IMM(I_ENTER) | d64, d64, IMM(I_W), __, __, IMM(I_UB), X, v_,
/* d */  Mb,    Mv,    Mb,    Mv,    X,     X,     X,     __,    M,     M,     M,     M,     M,     M,     M,     M,
/* e */  R8,    R8,    R8,    R8,    IMM(I_UB) | b_, IMM(I_UB) | z_, IMM(I_UB) | b_, IMM(I_UB) | z_,
                                                                 R32,   R32,   X,     R8,    b_,    z_,    b_,    z_,
/* f */  __,    __,    __,    __,    __,    __,    A_MODRM | IMM(I_GRP3) | b_ | A_LOCK, A_MODRM | IMM(I_GRP3) | v_ | A_LOCK,
                                                                 __,    __,    __,    __,    __,    __,    MbL,   MvL,
};

static const uint16_t map0f[256] = {
/*        0      1      2      3      4      5      6      7      8      9      a      b      c      d      e      f */
/* 0 */  M,     M,     Mv,    Mv,    X,     __,    __,    __,    __,    __,    X,     __,    X,     M,     __,    Mib,
/* 1 */  M,     M,     M,     M,     M,     M,     M,     M,     M,     M,     M,     M,     M,     M,     M,     Mv,
/* 2 */  A_CRDR | M | f64, A_CRDR | M | f64, A_CRDR | M | f64, A_CRDR | M | f64,
                                       X,     X,     X,     X,     M,     M,     M,     M,     M,     M,     M,     M,
/* 3 */  __,    __,    __,    __,    __,    __,    X,     __,    __,    X,     __,    X,     X,     X,     X,     X,
/* 4 */  Mv,    Mv,    Mv,    Mv,    Mv,    Mv,    Mv,    Mv,    Mv,    Mv,    Mv,    Mv,    Mv,    Mv,    Mv,    Mv,
/* 5 */  M,     M,     M,     M,     M,     M,     M,     M,     M,     M,     M,     M,     M,     M,     M,     M,
/* 6 */  M,     M,     M,     M,     M,     M,     M,     M,     M,     M,     M,     M,     M,     M,     M,     M,
/* 7 */  Mib,   Mib,   Mib,   Mib,   M,     M,     M,     __,    M,     M,     X,     X,     M,     M,     M,     M,
/* 8 */  R32,   R32,   R32,   R32,   R32,   R32,   R32,   R32,   R32,   R32,   R32,   R32,   R32,   R32,   R32,   R32,
/* 9 */  Mb,    Mb,    Mb,    Mb,    Mb,    Mb,    Mb,    Mb,    Mb,    Mb,    Mb,    Mb,    Mb,    Mb,    Mb,    Mb,
/* a */  d64,   d64,   __,    Mv,    Mib | v_, Mv,   X,     X,     d64,   d64,   __,    MvL,   Mib | v_, Mv,   M,     Mv,
/* b */  MbL,   MvL,   Mv,    MvL,   Mv,    Mv,    Mv,    Mv,    Mv,    M,     Mib | v_ | A_LOCK, MvL, Mv,  Mv,    Mv,    Mv,
/* c */  MbL,   MvL,   Mib,   Mv,    Mib,   Mib,   Mib,   M | A_LOCK,
                                                                 v_,    v_,    v_,    v_,    v_,    v_,    v_,    v_,
/* d */  M,     M,     M,     M,     M,     M,     M,     M,     M,     M,     M,     M,     M,     M,     M,     M,
/* e */  M,     M,     M,     M,     M,     M,     M,     M,     M,     M,     M,     M,     M,     M,     M,     M,
/* f */  M,     M,     M,     M,     M,     M,     M,     M,     M,     M,     M,     M,     M,     M,     M,     M,
};

/* Every legacy-encoded 0F 38 opcode has a ModRM; every 0F 3A one a ModRM and an imm8. */
#define MAP0F38_ATTR M
#define MAP0F3A_ATTR Mib

/* The forced-emulation signature: ud2; .ascii "xen". */
static const uint8_t forced_sig[X86_FORCED_SIG_LEN] = { 0x0f, 0x0b, 'x', 'e', 'n' };

struct decoder {
    struct x86_insn *insn;
    const uint8_t *buf;   /* bytes 0..nbuf-1, read before decoding began */
    unsigned int nbuf;
    x86_fetch_fn fetch;   /* the bytes after them */
    void *ctx;
    unsigned int off;     /* next byte to fetch */
    unsigned int limit;   /* first offset past the 15-byte window */
};

/* The next instruction byte; false (insn->status set) on a fault or past 15 bytes. */
static bool next(struct decoder *d, uint8_t *b)
{
    if (d->off >= d->limit) {
        d->insn->status = X86_DECODE_TOO_LONG;
        return false;
    }
    if (d->off < d->nbuf) {
        *b = d->buf[d->off++];
        return true;
    }
    int err = d->fetch(d->ctx, d->off, b);
    if (err) {
        d->insn->fetch_err = err;
        d->insn->status = X86_DECODE_FETCH_FAULT;
        return false;
    }
    d->off++;
    return true;
}

/* n (1, 2, 4 or 8) little-endian bytes, sign- or zero-extended to 64 bits. */
static bool next_le(struct decoder *d, unsigned int n, bool sign, int64_t *out)
{
    uint64_t v = 0;
    if (d->off + n <= d->nbuf && d->off + n <= d->limit) {
        /* All read ahead (the common case): one load, not a fetch a byte. */
        const uint8_t *p = d->buf + d->off;
        switch (n) {
        case 1: v = p[0]; break;
        case 2: { uint16_t x; __builtin_memcpy(&x, p, 2); v = x; break; }
        case 4: { uint32_t x; __builtin_memcpy(&x, p, 4); v = x; break; }
        default: __builtin_memcpy(&v, p, 8); break;
        }
        d->off += n;
    } else {
        for (unsigned int i = 0; i < n; i++) {
            uint8_t b;
            if (!next(d, &b))
                return false;
            v |= (uint64_t)b << (8 * i);
        }
    }
    if (sign && n < 8) {
        uint64_t sign_bit = 1ull << (8 * n - 1);
        v = (v ^ sign_bit) - sign_bit;
    }
    *out = (int64_t)v;
    return true;
}

static uint16_t attributes(uint8_t map, uint8_t op)
{
    switch (map) {
    case X86_MAP_1BYTE: return map1[op];
    case X86_MAP_0F:    return map0f[op];
    case X86_MAP_0F38:  return MAP0F38_ATTR;
    default:            return MAP0F3A_ATTR;
    }
}

static void prefix(struct x86_insn *insn, uint8_t b, unsigned int bit)
{
    insn->prefixes |= bit;
    insn->rex = 0;              /* a REX before a legacy prefix is dropped */
    if (b == 0xf2 || b == 0xf3)
        insn->rep = b;
}

/* Legacy prefixes and REX; leaves the first opcode byte in *op. */
static bool read_prefixes(struct decoder *d, uint8_t *op)
{
    struct x86_insn *insn = d->insn;
    for (;;) {
        uint8_t b;
        if (!next(d, &b))
            return false;
        switch (b) {
        case 0xf0: prefix(insn, b, X86_PFX_LOCK); break;
        case 0xf2: prefix(insn, b, X86_PFX_REPNE); break;
        case 0xf3: prefix(insn, b, X86_PFX_REP); break;
        case 0x66: prefix(insn, b, X86_PFX_OPSIZE); break;
        case 0x67: prefix(insn, b, X86_PFX_ADSIZE); break;
        case 0x26: prefix(insn, b, X86_PFX_ES); insn->seg = X86_SEG_ES; break;
        case 0x2e: prefix(insn, b, X86_PFX_CS); insn->seg = X86_SEG_CS; break;
        case 0x36: prefix(insn, b, X86_PFX_SS); insn->seg = X86_SEG_SS; break;
        case 0x3e: prefix(insn, b, X86_PFX_DS); insn->seg = X86_SEG_DS; break;
        case 0x64: prefix(insn, b, X86_PFX_FS); insn->seg = X86_SEG_FS; break;
        case 0x65: prefix(insn, b, X86_PFX_GS); insn->seg = X86_SEG_GS; break;
        default:
            if ((b & 0xf0) == 0x40) {
                insn->rex = b;      /* only the last one before the opcode counts */
                break;
            }
            *op = b;
            return true;
        }
    }
}

static uint8_t operand_size(const struct x86_insn *insn, enum size_kind kind)
{
    bool o16 = insn->prefixes & X86_PFX_OPSIZE, w = insn->rex & X86_REX_W;
    switch (kind) {
    case S_B:   return 1;
    case S_V:   return w ? 8 : o16 ? 2 : 4;
    case S_D64: return o16 && !w ? 2 : 8;
    case S_F64: return 8;
    case S_Z:   return o16 && !w ? 2 : 4;
    default:    return 0;
    }
}

static uint16_t with_size(uint16_t attr, enum size_kind kind)
{
    return (uint16_t)((attr & ~(0xfu << A_SIZE_SHIFT)) | SZ(kind));
}

/* The opcodes group() looks at beyond the table's LOCK bit. */
static bool is_group(uint8_t map, uint8_t op)
{
    if (map == X86_MAP_0F)
        return op == 0xba || op == 0xc7;
    switch (op) {
    case 0x80: case 0x81: case 0x83: case 0x8f: case 0xc6: case 0xc7: case 0xf6: case 0xf7: case 0xfe: case 0xff:
        return true;
    default:
        return false;
    }
}

/*
 * Group members (ModRM.reg, without REX.R) that change what the opcode
 * byte alone says: undefined members, operand sizes, LOCK.
 */
static enum x86_decode_status group(struct x86_insn *insn, uint16_t *attr)
{
    unsigned int r = (insn->modrm >> 3) & 7;
    bool lock = false;

    if (insn->map == X86_MAP_1BYTE) {
        switch (insn->opcode) {
        case 0x80: case 0x81: case 0x83:
            lock = r != 7;                          /* not CMP */
            break;
        case 0x8f:
            if (r != 0)
                return X86_DECODE_UNSUPPORTED;      /* AMD XOP */
            break;
        case 0xc6: case 0xc7:
            if (r == 7 && insn->modrm == 0xf8) {
                if (insn->opcode == 0xc7) {         /* XBEGIN rel16/32 */
                    insn->rel = true;
                    *attr = with_size(*attr, S_F64);
                }
            } else if (r != 0) {
                return X86_DECODE_INVALID;
            }
            break;
        case 0xf6: case 0xf7:
            lock = r == 2 || r == 3;                /* NOT, NEG */
            break;
        case 0xfe:
            if (r > 1)
                return X86_DECODE_INVALID;
            lock = true;                            /* INC, DEC */
            break;
        case 0xff:
            if (r == 7)
                return X86_DECODE_INVALID;
            lock = r <= 1;
            if (r == 2 || r == 4)                   /* near CALL/JMP: 64-bit on Intel */
                *attr = with_size(*attr, S_F64);
            else if (r == 6)                        /* PUSH */
                *attr = with_size(*attr, S_D64);
            break;
        default:
            lock = *attr & A_LOCK;
        }
    } else if (insn->map == X86_MAP_0F) {
        switch (insn->opcode) {
        case 0xba:
            lock = r >= 5;                          /* BTS, BTR, BTC; not BT */
            break;
        case 0xc7:
            lock = r == 1;                          /* CMPXCHG8B/16B */
            if (r == 1)
                insn->opsize = insn->rex & X86_REX_W ? 16 : 8;
            break;
        default:
            lock = *attr & A_LOCK;
        }
    }
    insn->lock_ok = lock;
    return X86_DECODE_OK;
}

/* SIB and displacement of a memory operand (mod != 3). */
static bool memory_operand(struct decoder *d)
{
    struct x86_insn *insn = d->insn;
    unsigned int rm = insn->modrm & 7;
    bool disp32 = insn->mod == 2;

    insn->mem = true;
    if (rm == 4) {
        if (!next(d, &insn->sib))
            return false;
        insn->has_sib = true;
        unsigned int index = ((insn->sib >> 3) & 7) | (insn->rex & X86_REX_X ? 8 : 0);
        unsigned int base = insn->sib & 7;
        insn->ea_scale = (uint8_t)(1u << (insn->sib >> 6));
        if (index != X86_RSP)                       /* index 100 without REX.X: none */
            insn->ea_index = (int8_t)(index);
        if (base == 5 && insn->mod == 0)            /* disp32, no base */
            disp32 = true;
        else
            insn->ea_base = (int8_t)(base | (insn->rex & X86_REX_B ? 8 : 0));
    } else if (rm == 5 && insn->mod == 0) {
        insn->ea_base = X86_EA_RIP;
        disp32 = true;
    } else {
        insn->ea_base = (int8_t)(rm | (insn->rex & X86_REX_B ? 8 : 0));
    }
    insn->disp_size = disp32 ? 4 : insn->mod == 1 ? 1 : 0;
    if (insn->disp_size && !next_le(d, insn->disp_size, true, &insn->disp))
        return false;

    if (insn->seg != X86_SEG_NONE)
        insn->ea_seg = insn->seg;
    else if (insn->ea_base == X86_RSP || insn->ea_base == X86_RBP)
        insn->ea_seg = X86_SEG_SS;
    return true;
}

/* The immediate(s) an opcode carries, by kind. */
static bool immediate(struct decoder *d, enum imm_kind kind)
{
    struct x86_insn *insn = d->insn;
    bool o16 = (insn->prefixes & X86_PFX_OPSIZE) && !(insn->rex & X86_REX_W);
    unsigned int n = 0;
    bool sign = true;

    switch (kind) {
    case I_NONE:  return true;
    case I_B:     n = 1; break;
    case I_UB:    n = 1; sign = false; break;
    case I_W:     n = 2; sign = false; break;
    case I_Z:     n = o16 ? 2 : 4; break;
    case I_V:     n = insn->rex & X86_REX_W ? 8 : o16 ? 2 : 4; break;
    case I_REL8:  n = 1; insn->rel = true; break;
    case I_REL32: n = 4; insn->rel = true; break;
    case I_GRP3:
        if (((insn->modrm >> 3) & 7) > 1)
            return true;                            /* only TEST has one */
        n = insn->opcode == 0xf6 ? 1 : o16 ? 2 : 4;
        break;
    case I_ENTER:
        n = 2;
        sign = false;
        break;
    case I_MOFFS: {
        /* an absolute address, in the displacement's place */
        insn->mem = true;
        insn->disp_size = insn->prefixes & X86_PFX_ADSIZE ? 4 : 8;
        if (insn->seg != X86_SEG_NONE)
            insn->ea_seg = insn->seg;
        return next_le(d, insn->disp_size, false, &insn->disp);
    }
    }
    insn->imm_size = (uint8_t)n;
    if (!next_le(d, n, sign, &insn->imm))
        return false;
    if (kind == I_ENTER)
        return next(d, &insn->imm2);
    return true;
}

/* A legacy prefix byte (read_prefixes' list). */
static bool is_prefix(uint8_t b)
{
    switch (b) {
    case 0xf0: case 0xf2: case 0xf3: case 0x66: case 0x67:
    case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65:
        return true;
    default:
        return false;
    }
}

/* The longest instruction decode_common takes from the bytes read: REX, 0F, opcode, ModRM, SIB, disp32. */
#define COMMON_MAX_LEN 9

/*
 * The shape trapped most often, decoded without the general walk over
 * prefixes: at most one REX and no legacy prefix, a one-byte or 0F opcode
 * with or without a ModRM byte (MOV to a page-table entry, with a register
 * or an immediate; MOV to and from CR and DR; IN and OUT with DX, ...), its
 * immediate if it has a ModRM (never ENTER's or a moffs), all of it in bytes
 * already read. Not under X86_DECODE_FORCED (UD2 may start the signature).
 * False for anything else, which decode_at then takes; what it decodes is
 * exactly decode_at's result (host-tested over every REX, opcode and ModRM).
 */
static bool decode_common(struct decoder *d)
{
    const uint8_t *b = d->buf;
    struct x86_insn *insn = d->insn;
    unsigned int p = 0;
    if (d->nbuf < COMMON_MAX_LEN)
        return false;
    uint8_t rex = (b[0] & 0xf0) == 0x40 ? b[p++] : 0;
    uint8_t map = X86_MAP_1BYTE, op = b[p++];
    if (op == 0x0f) {
        map = X86_MAP_0F;
        op = b[p++];
        if (op == 0x38 || op == 0x3a)
            return false;
    }
    uint16_t attr = attributes(map, op);
    if (attr & (A_INV | A_UNSUP))
        return false;

    *insn = (struct x86_insn){
        .seg = X86_SEG_NONE, .ea_base = X86_EA_NONE, .ea_index = X86_EA_NONE, .ea_scale = 1,
        .ea_seg = X86_SEG_DS, .addrsize = 8, .rex = rex, .map = map, .opcode = op,
    };
    if (!(attr & A_MODRM)) {
        /* IN, OUT, CLI, RDMSR ...; the table has no ModRM for prefixes and REX either: those are not here */
        if (map == X86_MAP_1BYTE && (is_prefix(op) || (op & 0xf0) == 0x40))
            return false;
        if (((attr >> A_IMM_SHIFT) & 0xf) != I_NONE)
            return false;
        insn->opsize = operand_size(insn, (enum size_kind)(attr >> A_SIZE_SHIFT));
        insn->len = (uint8_t)p;
        insn->status = X86_DECODE_OK;
        return true;
    }
    insn->has_modrm = true;
    insn->modrm = b[p++];
    insn->mod = insn->modrm >> 6;
    insn->reg = (uint8_t)(((insn->modrm >> 3) & 7) | (rex & X86_REX_R ? 8 : 0));
    insn->rm = (uint8_t)((insn->modrm & 7) | (rex & X86_REX_B ? 8 : 0));
    /* Opcodes whose group members differ go through group(); for the rest the table says all. */
    if (is_group(map, op)) {
        if (group(insn, &attr) != X86_DECODE_OK)
            return false;
    } else {
        insn->lock_ok = attr & A_LOCK;
    }
    d->off = p;
    /* Only the bytes read: a fetch here could come out of order, after decode_at's. */
    d->limit = d->nbuf < X86_MAX_INSN_LEN ? d->nbuf : X86_MAX_INSN_LEN;
    unsigned int rm = insn->modrm & 7;
    if (attr & A_CRDR) {
        insn->mod = 3;
    } else if (insn->mod != 3 && (rm == 4 || (rm == 5 && insn->mod == 0))) {
        memory_operand(d);                          /* SIB or RIP-relative: within the bytes read, cannot fail */
    } else if (insn->mod != 3) {
        /* [base], [base + disp8], [base + disp32] */
        insn->mem = true;
        insn->ea_base = (int8_t)insn->rm;
        if (insn->mod == 1) {
            insn->disp_size = 1;
            insn->disp = (int8_t)b[p];
        } else if (insn->mod == 2) {
            uint32_t disp = (uint32_t)b[p] | (uint32_t)b[p + 1] << 8 | (uint32_t)b[p + 2] << 16 |
                            (uint32_t)b[p + 3] << 24;
            insn->disp_size = 4;
            insn->disp = (int32_t)disp;
        }
        d->off = p + insn->disp_size;
        if (insn->ea_base == X86_RBP)
            insn->ea_seg = X86_SEG_SS;              /* rSP as a base needs a SIB: not here */
    }
    insn->lock_ok = insn->lock_ok && insn->mem;
    if (!insn->opsize)
        insn->opsize = operand_size(insn, (enum size_kind)(attr >> A_SIZE_SHIFT));
    enum imm_kind imm = (enum imm_kind)((attr >> A_IMM_SHIFT) & 0xf);
    if (imm == I_ENTER || imm == I_MOFFS || !immediate(d, imm))
        return false;                               /* (past the bytes read: decode_at fetches the rest) */
    insn->len = (uint8_t)d->off;
    insn->status = X86_DECODE_OK;
    return true;
}

/* One instruction from offset start, with at most 15 bytes. */
static enum x86_decode_status decode_at(struct decoder *d, unsigned int start)
{
    struct x86_insn *insn = d->insn;
    uint8_t op;

    *insn = (struct x86_insn){
        .start = (uint8_t)start, .seg = X86_SEG_NONE, .ea_base = X86_EA_NONE,
        .ea_index = X86_EA_NONE, .ea_scale = 1, .ea_seg = X86_SEG_DS, .addrsize = 8,
    };
    d->off = start;
    d->limit = start + X86_MAX_INSN_LEN;
    if (!read_prefixes(d, &op))
        return insn->status;
    if (insn->prefixes & X86_PFX_ADSIZE)
        insn->addrsize = 4;

    insn->map = X86_MAP_1BYTE;
    if (op == 0x0f) {
        insn->map = X86_MAP_0F;
        if (!next(d, &op))
            return insn->status;
        if (op == 0x38 || op == 0x3a) {
            insn->map = op == 0x38 ? X86_MAP_0F38 : X86_MAP_0F3A;
            if (!next(d, &op))
                return insn->status;
        }
    }
    insn->opcode = op;

    uint16_t attr = attributes(insn->map, op);
    if (attr & A_INV)
        return insn->status = X86_DECODE_INVALID;
    if (attr & A_UNSUP)
        return insn->status = X86_DECODE_UNSUPPORTED;

    if (attr & A_MODRM) {
        if (!next(d, &insn->modrm))
            return insn->status;
        insn->has_modrm = true;
        insn->mod = insn->modrm >> 6;
        insn->reg = (uint8_t)(((insn->modrm >> 3) & 7) | (insn->rex & X86_REX_R ? 8 : 0));
        insn->rm = (uint8_t)((insn->modrm & 7) | (insn->rex & X86_REX_B ? 8 : 0));
        enum x86_decode_status st = group(insn, &attr);
        if (st != X86_DECODE_OK)
            return insn->status = (uint8_t)st;
        if (attr & A_CRDR)
            insn->mod = 3;                          /* the register form, whatever mod says */
        else if (insn->mod != 3 && !memory_operand(d))
            return insn->status;
        insn->lock_ok = insn->lock_ok && insn->mem;
    }
    if (!insn->opsize)
        insn->opsize = operand_size(insn, (enum size_kind)(attr >> A_SIZE_SHIFT));

    if (!immediate(d, (enum imm_kind)((attr >> A_IMM_SHIFT) & 0xf)))
        return insn->status;
    /* SSE4a EXTRQ/INSERTQ (66/F2 0F 78): two byte immediates */
    if (insn->map == X86_MAP_0F && op == 0x78 && (insn->prefixes & (X86_PFX_OPSIZE | X86_PFX_REPNE))) {
        insn->imm_size = 1;
        if (!next_le(d, 1, false, &insn->imm) || !next(d, &insn->imm2))
            return insn->status;
    }
    return insn->status = X86_DECODE_OK;
}

enum x86_decode_status x86_decode(struct x86_insn *insn, x86_fetch_fn fetch, void *ctx,
                                  unsigned int flags)
{
    return x86_decode_prefetched(insn, NULL, 0, fetch, ctx, flags);
}

enum x86_decode_status x86_decode_prefetched(struct x86_insn *insn, const uint8_t *bytes, unsigned int nbytes,
                                             x86_fetch_fn fetch, void *ctx, unsigned int flags)
{
    struct decoder d = { .insn = insn, .buf = bytes, .nbuf = nbytes, .fetch = fetch, .ctx = ctx };
    if (!(flags & X86_DECODE_FORCED) && decode_common(&d))
        return X86_DECODE_OK;
    enum x86_decode_status st = decode_at(&d, 0);
    insn->len = (uint8_t)d.off;
    bool plain_ud2 = st == X86_DECODE_OK && insn->len == 2 && insn->map == X86_MAP_0F && insn->opcode == 0x0b;
    if (!plain_ud2 || !(flags & X86_DECODE_FORCED))
        return st;

    for (unsigned int off = 2; off < X86_FORCED_SIG_LEN; off++) {
        uint8_t b;
        if (!next(&d, &b)) {                /* Xen reflects this fault, not the #UD */
            insn->len = (uint8_t)d.off;
            return insn->status;
        }
        if (b != forced_sig[off])
            return st;                      /* a plain UD2, len 2 */
    }
    st = decode_at(&d, X86_FORCED_SIG_LEN);
    insn->len = (uint8_t)d.off;
    insn->forced_emul = true;
    return st;
}

uint64_t x86_linear_address(const struct x86_insn *insn, const struct x86_ea_regs *regs)
{
    bool has_base = insn->ea_base >= 0 && insn->ea_base < X86_NR_GPRS;
    bool has_index = insn->ea_index >= 0 && insn->ea_index < X86_NR_GPRS;
    return x86_linear_address_of(insn, has_base ? regs->gpr[insn->ea_base] : 0,
                                 has_index ? regs->gpr[insn->ea_index] : 0, regs->rip,
                                 insn->ea_seg == X86_SEG_FS ? regs->fs_base : regs->gs_base);
}
