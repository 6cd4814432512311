/*
 * x86-64 instruction decoder for the trap-and-emulate path: pure code (no
 * hypervisor state), compiled unchanged into the host unit tests and a fuzz
 * target. It finds an instruction's length and fields; it executes nothing.
 *
 * Contract:
 * - 64-bit mode only (a PV guest runs in long mode; compatibility mode is not
 *   supported). 0x67 gives 32-bit addressing, 0x66 16-bit operands.
 * - Bytes come one at a time from the caller's fetch callback, at offsets
 *   0, 1, 2, ... from the first byte, in order, each at most once, and never
 *   one the instruction does not need: a fault part-way is the fault the
 *   guest would take at that byte. No byte 15 or more past the instruction's
 *   first (offset 15, or 20 after a forced-emulation signature) is ever
 *   asked for: an instruction that needs one is X86_DECODE_TOO_LONG (#GP(0)).
 * - Legacy prefixes of all four groups may repeat, in any order. The last
 *   segment override wins, as on hardware; ES, CS, SS and DS overrides are
 *   recorded but contribute no base in 64-bit mode. The last of F2/F3 is the
 *   repeat prefix. A REX counts only directly before the opcode: a legacy
 *   prefix after it drops it (the byte still counts towards the length), and
 *   of several REX bytes in a row only the last counts.
 * - Maps: one-byte, 0F, 0F 38, 0F 3A, all length-correct (ModRM, SIB,
 *   displacement, immediate). X86_DECODE_INVALID (#UD), decoded no further
 *   than needed to know it: one-byte opcodes gone in 64-bit mode (PUSH/POP
 *   ES/CS/SS/DS, DAA, DAS, AAA, AAS, PUSHA, POPA, 82, far CALL/JMP ptr, INTO,
 *   AAM, AAD, SALC), undefined 0F opcodes (04, 0A, 0C, 24-27, 36, 39, 3B-3F,
 *   7A, 7B, A6, A7), and the undefined members of groups FE, FF, C6 and C7.
 *   Elsewhere (0F 38 and 0F 3A rows, SSE mandatory prefixes, 0F group
 *   members) an encoding is decoded for its length without telling defined from
 *   undefined: the emulator handles a known list and bounces everything else.
 * - VEX (C4, C5), EVEX (62) and AMD XOP (8F with ModRM.reg != 0) are
 *   X86_DECODE_UNSUPPORTED after their first byte (and ModRM for 8F): the
 *   emulator reflects the original fault. No instruction it emulates has them.
 * - Where Intel and AMD differ, Intel: E8, E9 and Jcc rel32 keep a 4-byte
 *   displacement under 0x66, and near branches have 64-bit operands. 3DNow!
 *   (0F 0F, ModRM and a suffix byte) and SSE4a EXTRQ/INSERTQ (66/F2 0F 78 with
 *   two byte immediates) are decoded for their length.
 * - MOV to and from CR/DR (0F 20-23) take the register form whatever ModRM.mod
 *   says (so mem is false and no displacement follows), with 64-bit operands.
 *   LOCK is never legal on them (AMD's LOCK MOV CR0 alias for CR8 is not decoded).
 * - LOCK is legal (lock_ok) only with a memory operand on ADD, ADC, AND, BTC,
 *   BTR, BTS, CMPXCHG, CMPXCHG8B/16B, DEC, INC, NEG, NOT, OR, SBB, SUB, XOR,
 *   XADD and XCHG in their read-modify-write forms; the emulator raises #UD
 *   when LOCK is present and lock_ok is false.
 */
#ifndef EMUL_DECODE_H
#define EMUL_DECODE_H

#include <stdbool.h>
#include <stdint.h>

/* Longest instruction the CPU executes; one more byte is #GP(0). */
#define X86_MAX_INSN_LEN 15

/*
 * Reads the instruction byte at offset off into *byte: 0 on success, anything
 * else is a fault (kept in insn->fetch_err; the caller's ctx may hold more).
 */
typedef int (*x86_fetch_fn)(void *ctx, unsigned int off, uint8_t *byte);

enum x86_decode_status {
    X86_DECODE_OK = 0,
    X86_DECODE_FETCH_FAULT,  /* the fetch at offset insn->len failed */
    X86_DECODE_TOO_LONG,     /* would need a 16th byte: #GP(0); insn->len is start + 15 */
    X86_DECODE_INVALID,      /* undefined in 64-bit mode: #UD */
    X86_DECODE_UNSUPPORTED,  /* VEX, EVEX, XOP: not decoded (see above) */
};

/* Legacy prefixes seen (insn->prefixes), whatever their order or count. */
#define X86_PFX_LOCK    (1u << 0)
#define X86_PFX_REPNE   (1u << 1)   /* F2 */
#define X86_PFX_REP     (1u << 2)   /* F3 */
#define X86_PFX_OPSIZE  (1u << 3)   /* 66 */
#define X86_PFX_ADSIZE  (1u << 4)   /* 67 */
#define X86_PFX_ES      (1u << 5)
#define X86_PFX_CS      (1u << 6)
#define X86_PFX_SS      (1u << 7)
#define X86_PFX_DS      (1u << 8)
#define X86_PFX_FS      (1u << 9)
#define X86_PFX_GS      (1u << 10)

/* Segment registers in their encoding order (ModRM.reg of MOV Sreg). */
enum x86_seg { X86_SEG_ES, X86_SEG_CS, X86_SEG_SS, X86_SEG_DS, X86_SEG_FS, X86_SEG_GS, X86_SEG_NONE };

enum x86_map { X86_MAP_1BYTE, X86_MAP_0F, X86_MAP_0F38, X86_MAP_0F3A };

#define X86_REX_B 0x1
#define X86_REX_X 0x2
#define X86_REX_R 0x4
#define X86_REX_W 0x8

/* General registers in their encoding order (ModRM, SIB, opcode low bits). */
enum x86_gpr {
    X86_RAX, X86_RCX, X86_RDX, X86_RBX, X86_RSP, X86_RBP, X86_RSI, X86_RDI,
    X86_R8, X86_R9, X86_R10, X86_R11, X86_R12, X86_R13, X86_R14, X86_R15,
    X86_NR_GPRS,
};
/* ea_base values beside a general register. */
#define X86_EA_NONE (-1)
#define X86_EA_RIP  (-2)

struct x86_insn {
    uint8_t len;             /* bytes, prefixes to immediate; on failure where it stopped */
    uint8_t status;          /* enum x86_decode_status, as returned */
    int fetch_err;           /* the fetch callback's return value on X86_DECODE_FETCH_FAULT */
    bool forced_emul;        /* began with the forced-emulation signature (X86_DECODE_FORCED) */
    uint8_t start;           /* offset of the first prefix: X86_FORCED_SIG_LEN if forced_emul, else 0 */

    uint16_t prefixes;       /* X86_PFX_* */
    uint8_t seg;             /* enum x86_seg: the last segment override, or X86_SEG_NONE */
    uint8_t rep;             /* 0, 0xF2 or 0xF3: the last of the two */
    uint8_t rex;             /* the REX byte in effect (0x40-0x4F), or 0 */

    uint8_t map;             /* enum x86_map */
    uint8_t opcode;          /* the byte after the map's escape bytes */

    bool has_modrm;
    uint8_t modrm, mod;      /* raw byte; mod 0-3 */
    uint8_t reg, rm;         /* ModRM.reg and .rm with REX.R and REX.B folded in (0-15) */
    bool has_sib;
    uint8_t sib;             /* raw byte */

    bool mem;                /* a ModRM memory operand, or a moffs (A0-A3) */
    int8_t ea_base;          /* enum x86_gpr, X86_EA_NONE or X86_EA_RIP; when mem */
    int8_t ea_index;         /* enum x86_gpr or X86_EA_NONE; when mem */
    uint8_t ea_scale;        /* 1, 2, 4, 8 */
    uint8_t disp_size;       /* 0, 1, 4, or 8 (moffs) */
    int64_t disp;            /* sign-extended; a moffs zero-extended */
    uint8_t ea_seg;          /* enum x86_seg of the memory operand: the last override
                                if any, else SS for an rSP/rBP base, else DS. Only FS
                                and GS add a base; SS decides #SS over #GP */

    uint8_t imm_size;        /* bytes of the first immediate (or branch displacement) */
    int64_t imm;             /* sign-extended to 64 bits where the opcode does so
                                (arithmetic, MOV, PUSH, TEST, branches); zero-
                                extended where it is a port, vector, count, shift
                                or selector (IN/OUT, INT, RET iw, ENTER, shifts,
                                0F BA, SHLD/SHRD, SSE imm8) */
    uint8_t imm2;            /* ENTER's nesting level; EXTRQ/INSERTQ's second byte */
    bool rel;                /* imm is a branch displacement from the next instruction */

    uint8_t opsize;          /* 1, 2, 4, 8 where the opcode defines a general
                                operand size (16 for CMPXCHG16B); 0 where it does
                                not (SSE, x87, system groups, MOV Sreg, ...) */
    uint8_t addrsize;        /* 8, or 4 under 0x67 */
    bool lock_ok;            /* LOCK would be legal: a lockable opcode with a
                                memory destination (#UD when LOCK is present and not) */
};

/* Flags for x86_decode(). */
/*
 * Recognise Xen's forced-emulation signature, "ud2; .ascii \"xen\"" (0F 0B 78
 * 65 6E), at offset 0 and decode the instruction after it: forced_emul is set,
 * start is 5, len counts the signature too, and the 15-byte limit applies to
 * the instruction after it. Bytes that differ leave a plain UD2 (len 2); a
 * fetch fault on offsets 2-4 is X86_DECODE_FETCH_FAULT there, since Xen 4.17
 * reflects that #PF rather than the #UD. Xen then emulates only CPUID written
 * exactly 0F A2 (len 7, no prefixes) and gives #UD otherwise, so a fault
 * past offset 6 (the bytes at 5 and 6 were read and are not 0F A2) is #UD too.
 */
#define X86_DECODE_FORCED 0x1u
#define X86_FORCED_SIG_LEN 5

/* Decodes one instruction; returns insn->status. insn is filled on every status. */
enum x86_decode_status x86_decode(struct x86_insn *insn, x86_fetch_fn fetch, void *ctx,
                                  unsigned int flags);

/*
 * The same, with the bytes at offsets 0..nbytes-1 already read (bytes);
 * fetch is called only for offsets from nbytes on. The result is exactly
 * x86_decode's for the same byte stream (host-tested).
 */
enum x86_decode_status x86_decode_prefetched(struct x86_insn *insn, const uint8_t *bytes, unsigned int nbytes,
                                             x86_fetch_fn fetch, void *ctx, unsigned int flags);

/* The register state an effective address reads. */
struct x86_ea_regs {
    uint64_t gpr[X86_NR_GPRS];   /* enum x86_gpr order */
    uint64_t rip;                /* address of the instruction's first byte (the
                                    signature's under forced emulation) */
    uint64_t fs_base, gs_base;
};

/*
 * Linear address of insn's memory operand (insn->mem after X86_DECODE_OK):
 * base + index * scale + disp, RIP-relative from the next instruction,
 * wrapped to 32 bits under 0x67 (EIP for RIP), plus the FS or GS base when
 * overridden, wrapped to 64 bits. The caller checks it is canonical
 * (x86_canonical), giving #SS(0) when ea_seg is SS and #GP(0) otherwise.
 */
uint64_t x86_linear_address(const struct x86_insn *insn, const struct x86_ea_regs *regs);

/*
 * The same from the values it reads: base and index are those of the
 * registers ea_base and ea_index name (ignored where they name none, or
 * RIP), seg_base that of FS or GS when ea_seg is one of them.
 */
static inline uint64_t x86_linear_address_of(const struct x86_insn *insn, uint64_t base, uint64_t index,
                                             uint64_t rip, uint64_t seg_base)
{
    uint64_t ea = (uint64_t)insn->disp;
    if (insn->ea_base == X86_EA_RIP)
        ea += rip + insn->len;
    else if (insn->ea_base >= 0 && insn->ea_base < X86_NR_GPRS)
        ea += base;
    if (insn->ea_index >= 0 && insn->ea_index < X86_NR_GPRS)
        ea += index * insn->ea_scale;
    if (insn->addrsize == 4)
        ea = (uint32_t)ea;
    if (insn->ea_seg == X86_SEG_FS || insn->ea_seg == X86_SEG_GS)
        ea += seg_base;
    return ea;
}

/* True for a 48-bit canonical address. */
static inline bool x86_canonical(uint64_t va)
{
    uint64_t top = va >> 47;
    return top == 0 || top == 0x1ffff;
}

#endif /* EMUL_DECODE_H */
