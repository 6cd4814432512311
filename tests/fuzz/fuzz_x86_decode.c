/*
 * libFuzzer target: hypervisor/arch/x86_64/emul/decode.c, unchanged. The
 * input is a flags byte (forced-emulation flag, where the fetch faults), a
 * register file for the address helper, then the instruction bytes. Oracles:
 * bytes are fetched in order, each once, never past what the result reports
 * (a successful decode read exactly len bytes; a fault is at len; nothing at
 * or past the 15-byte limit); the fields agree with each other; decoding the
 * same bytes again gives the same result; a fetch cut at any offset inside a
 * decoded instruction faults at exactly that offset; the address helper runs
 * under UBSan on every memory operand; with some bytes read ahead
 * (x86_decode_prefetched, its short path included) the result is the same.
 */
#include <stdbool.h>
#include <string.h>
#include "emul/decode.h"
#include "fuzz.h"

#define FAULT_ERR 0x5a

struct stream {
    const uint8_t *bytes;
    unsigned int n;          /* a fetch at or past n faults */
    unsigned int next;       /* the offset the decoder must ask for next */
    int highest;             /* highest offset asked for, -1 for none */
};

static int fetch(void *ctx, unsigned int off, uint8_t *byte)
{
    struct stream *s = ctx;
    FUZZ_CHECK(off == s->next, "fetch at %u, expected %u (out of order or twice)", off, s->next);
    s->next = off + 1;
    s->highest = (int)off;
    if (off >= s->n)
        return FAULT_ERR;
    *byte = s->bytes[off];
    return 0;
}

static enum x86_decode_status decode(struct x86_insn *insn, const uint8_t *bytes, unsigned int n,
                                     unsigned int flags, struct stream *s)
{
    *s = (struct stream){ .bytes = bytes, .n = n, .highest = -1 };
    enum x86_decode_status st = x86_decode(insn, fetch, s, flags);
    FUZZ_CHECK(st == insn->status, "returned %d, status field %d", st, insn->status);
    return st;
}

static bool fits(int64_t v, unsigned int bytes)
{
    if (bytes >= 8)
        return true;
    int64_t lim = (int64_t)1 << (8 * bytes);
    return v >= -lim / 2 && v < lim;
}

static void check_fields(const struct x86_insn *in)
{
    unsigned int limit = in->start + X86_MAX_INSN_LEN;
    FUZZ_CHECK(in->start == (in->forced_emul ? X86_FORCED_SIG_LEN : 0), "start %u", in->start);
    FUZZ_CHECK(in->len >= in->start + 1 && in->len <= limit, "length %u from %u", in->len, in->start);
    FUZZ_CHECK(in->map <= X86_MAP_0F3A, "map %u", in->map);
    FUZZ_CHECK(in->seg <= X86_SEG_NONE && in->ea_seg < X86_SEG_NONE, "segments %u %u", in->seg, in->ea_seg);
    FUZZ_CHECK(!in->rex || (in->rex & 0xf0) == 0x40, "rex %#x", in->rex);
    FUZZ_CHECK(in->rep == 0 || in->rep == 0xf2 || in->rep == 0xf3, "rep %#x", in->rep);
    FUZZ_CHECK(in->addrsize == ((in->prefixes & X86_PFX_ADSIZE) ? 4 : 8), "address size %u", in->addrsize);
    FUZZ_CHECK(in->reg < 16 && in->rm < 16, "reg %u rm %u", in->reg, in->rm);
    FUZZ_CHECK(!in->has_sib || (in->has_modrm && in->mod != 3 && (in->modrm & 7) == 4), "SIB without ModRM rm=100");
    FUZZ_CHECK(!in->mem || (in->has_modrm && in->mod != 3) || in->disp_size == 4 || in->disp_size == 8,
               "memory operand without ModRM or moffs");
    FUZZ_CHECK(in->mem || (in->ea_base == X86_EA_NONE && in->ea_index == X86_EA_NONE), "address without memory");
    FUZZ_CHECK(in->ea_base >= X86_EA_RIP && in->ea_base < X86_NR_GPRS, "base %d", in->ea_base);
    FUZZ_CHECK(in->ea_index >= X86_EA_NONE && in->ea_index < X86_NR_GPRS && in->ea_index != X86_RSP,
               "index %d", in->ea_index);
    FUZZ_CHECK(in->ea_scale == 1 || in->ea_scale == 2 || in->ea_scale == 4 || in->ea_scale == 8, "scale %u",
               in->ea_scale);
    FUZZ_CHECK(in->disp_size == 0 || in->disp_size == 1 || in->disp_size == 4 || in->disp_size == 8,
               "displacement size %u", in->disp_size);
    FUZZ_CHECK(in->disp_size || !in->disp, "displacement without bytes");
    FUZZ_CHECK(in->disp_size == 8 || fits(in->disp, in->disp_size), "displacement %lld in %u bytes",
               (long long)in->disp, in->disp_size);
    FUZZ_CHECK(in->imm_size <= 8 && in->imm_size != 3 && (in->imm_size < 5 || in->imm_size == 8),
               "immediate size %u", in->imm_size);
    FUZZ_CHECK(in->imm_size || (!in->imm && !in->rel), "immediate without bytes");
    FUZZ_CHECK(fits(in->imm, in->imm_size), "immediate %lld in %u bytes", (long long)in->imm, in->imm_size);
    FUZZ_CHECK(in->opsize <= 2 || in->opsize == 4 || in->opsize == 8 || in->opsize == 16, "operand size %u",
               in->opsize);
    FUZZ_CHECK(!in->lock_ok || in->mem, "LOCK legal without a memory operand");
    unsigned int fields = in->start + (in->has_modrm ? 1u : 0) + (in->has_sib ? 1u : 0) + in->disp_size +
                          in->imm_size + 1;
    FUZZ_CHECK(fields <= in->len, "fields need %u bytes, length %u", fields, in->len);
}

static bool same(const struct x86_insn *a, const struct x86_insn *b)
{
    return a->len == b->len && a->status == b->status && a->fetch_err == b->fetch_err &&
           a->forced_emul == b->forced_emul && a->start == b->start && a->prefixes == b->prefixes &&
           a->seg == b->seg && a->rep == b->rep && a->rex == b->rex && a->map == b->map &&
           a->opcode == b->opcode && a->has_modrm == b->has_modrm && a->modrm == b->modrm &&
           a->mod == b->mod && a->reg == b->reg && a->rm == b->rm && a->has_sib == b->has_sib &&
           a->sib == b->sib && a->mem == b->mem && a->ea_base == b->ea_base && a->ea_index == b->ea_index &&
           a->ea_scale == b->ea_scale && a->disp_size == b->disp_size && a->disp == b->disp &&
           a->ea_seg == b->ea_seg && a->imm_size == b->imm_size && a->imm == b->imm && a->imm2 == b->imm2 &&
           a->rel == b->rel && a->opsize == b->opsize && a->addrsize == b->addrsize && a->lock_ok == b->lock_ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = { data, size };
    uint8_t flags_byte = fuzz_u8(&in);
    unsigned int flags = flags_byte & 1 ? X86_DECODE_FORCED : 0;
    struct x86_ea_regs regs;
    for (unsigned int i = 0; i < X86_NR_GPRS; i++)
        regs.gpr[i] = fuzz_u64(&in);
    regs.rip = fuzz_u64(&in);
    regs.fs_base = fuzz_u64(&in);
    regs.gs_base = fuzz_u64(&in);
    /* the rest is the instruction; the flags byte may cut it short (a fault part-way) */
    unsigned int n = in.n > 32 ? 32 : (unsigned int)in.n;
    if (flags_byte & 0x80)
        n = n < ((flags_byte >> 1) & 0x1f) ? n : (flags_byte >> 1) & 0x1f;
    uint8_t bytes[32];
    memcpy(bytes, in.p, n);

    struct x86_insn insn, again;
    struct stream s;
    enum x86_decode_status st = decode(&insn, bytes, n, flags, &s);
    unsigned int limit = insn.start + X86_MAX_INSN_LEN;
    FUZZ_CHECK(s.highest < (int)limit, "fetched offset %d past the limit %u", s.highest, limit);
    switch (st) {
    case X86_DECODE_OK:
        check_fields(&insn);
        /* exactly the bytes it reports, except a UD2 whose signature check read on */
        FUZZ_CHECK(s.highest + 1 == insn.len ||
                   (flags && insn.len == 2 && insn.opcode == 0x0b && s.highest < X86_FORCED_SIG_LEN),
                   "length %u, fetched up to %d", insn.len, s.highest);
        if (insn.mem) {
            uint64_t la = x86_linear_address(&insn, &regs);
            uint64_t base = insn.ea_seg == X86_SEG_FS ? regs.fs_base
                          : insn.ea_seg == X86_SEG_GS ? regs.gs_base : 0;
            FUZZ_CHECK(insn.addrsize == 8 || la - base <= 0xffffffffull, "32-bit address %#llx past 4G",
                       (unsigned long long)(la - base));
        }
        /* a fetch cut at any offset inside it faults there */
        for (unsigned int cut = 0; cut < insn.len; cut++) {
            enum x86_decode_status cst = decode(&again, bytes, cut, flags, &s);
            FUZZ_CHECK(cst == X86_DECODE_FETCH_FAULT && again.len == cut && again.fetch_err == FAULT_ERR,
                       "cut at %u of %u: status %d len %u", cut, insn.len, cst, again.len);
        }
        break;
    case X86_DECODE_FETCH_FAULT:
        FUZZ_CHECK(insn.len == n && s.highest == (int)n && insn.fetch_err == FAULT_ERR,
                   "fault reported at %u, the bytes end at %u, fetched up to %d", insn.len, n, s.highest);
        break;
    case X86_DECODE_TOO_LONG:
        FUZZ_CHECK(insn.len == limit && s.highest == (int)limit - 1, "too long at %u, fetched up to %d",
                   insn.len, s.highest);
        break;
    case X86_DECODE_INVALID:
    case X86_DECODE_UNSUPPORTED:
        FUZZ_CHECK(insn.len >= 1 && s.highest + 1 == insn.len, "stopped at %u, fetched up to %d", insn.len,
                   s.highest);
        break;
    default:
        FUZZ_CHECK(0, "status %d", st);
    }

    FUZZ_CHECK(decode(&again, bytes, n, flags, &s) == st && same(&insn, &again),
               "the same bytes decoded twice differ");
    /* With some of them read ahead (as the hypervisor does) the result is the same. */
    unsigned int ahead = (flags_byte >> 1) & 0xf;
    ahead = ahead > 13 ? 16 : ahead;
    ahead = ahead < n ? ahead : n;
    s = (struct stream){ .bytes = bytes, .n = n, .next = ahead, .highest = -1 };
    FUZZ_CHECK(x86_decode_prefetched(&again, bytes, ahead, fetch, &s, flags) == st && same(&insn, &again),
               "decoded with %u bytes read ahead, the result differs", ahead);
    return 0;
}
