/*
 * Host tests of hypervisor/arch/x86_64/emul/decode.c: a table of encodings
 * whose expected lengths and fields come from GNU as and objdump
 * (decode_table.inc, written by gen_decode_table.py), then what objdump
 * cannot produce: truncated fetches, the 15-byte limit, REX before a legacy
 * prefix, the last segment override, the forced-emulation signature.
 */
#include "emul/decode.h"
#include "unit.h"

enum imm_check { IMM_NONE, IMM_EXACT, IMM_MASKED, IMM_REL };

struct decode_case {
    const char *text;        /* objdump's disassembly */
    uint32_t addr;           /* offset from DT_RIP_BASE */
    uint8_t len;
    uint8_t bytes[X86_MAX_INSN_LEN];
    uint8_t mem;             /* has a ModRM or moffs memory operand */
    uint64_t ea;             /* its linear address with dt_gpr, DT_*_BASE */
    enum imm_check imm;      /* EXACT: imm as is; MASKED: imm to opsize; REL: target */
    uint64_t immv;
    int imm2;                /* -1: none */
    uint8_t opsize;          /* 0: not checked */
    uint8_t lock_ok;
    int ctl;                 /* MOV CR/DR: the CR/DR number (ModRM.reg), else -1 */
    int gpr;                 /* and the general register (ModRM.rm) */
};

struct sweep_case {
    uint8_t len;
    const char *bytes;
};

#include "decode_table.inc"

#define FETCH_FAULT_VALUE 14  /* what the test's fetch returns on a fault */

/* The fetch callback's view: bytes, where it faults, and whether it was asked in order. */
struct stream {
    const uint8_t *bytes;
    unsigned int n;          /* bytes available: a fetch at or past it faults */
    unsigned int next;       /* offset the decoder must ask for next */
    unsigned int fetched;    /* successful fetches */
    bool out_of_order;
};

static int fetch(void *ctx, unsigned int off, uint8_t *byte)
{
    struct stream *s = ctx;
    if (off != s->next)
        s->out_of_order = true;
    s->next = off + 1;
    if (off >= s->n)
        return FETCH_FAULT_VALUE;
    *byte = s->bytes[off];
    s->fetched++;
    return 0;
}

static enum x86_decode_status decode_n(struct x86_insn *insn, const uint8_t *bytes, unsigned int n,
                                       unsigned int flags, struct stream *s)
{
    *s = (struct stream){ .bytes = bytes, .n = n };
    enum x86_decode_status st = x86_decode(insn, fetch, s, flags);
    if (s->out_of_order)
        fail_msg("the decoder fetched out of order");
    assert_int_equal(st, insn->status);
    return st;
}

static struct x86_ea_regs table_regs(uint32_t addr)
{
    struct x86_ea_regs r = { .rip = DT_RIP_BASE + addr, .fs_base = DT_FS_BASE, .gs_base = DT_GS_BASE };
    memcpy(r.gpr, dt_gpr, sizeof(r.gpr));
    return r;
}

static uint64_t size_mask(unsigned int bytes)
{
    return bytes >= 8 ? ~0ull : (1ull << (8 * bytes)) - 1;
}

/* Reports every mismatch of the table (not just the first); the test fails if there was one. */
static unsigned int mismatches;
#define mismatch(...) (print_error(__VA_ARGS__), print_error("\n"), mismatches++)

static void check_case(const struct decode_case *c)
{
    struct x86_insn insn;
    struct stream s;
    /* exactly the instruction's bytes: any read past them is a fault, so a failure */
    enum x86_decode_status st = decode_n(&insn, c->bytes, c->len, 0, &s);
    if (st != X86_DECODE_OK || insn.len != c->len)
        return (void)mismatch("%s: status %d len %u, objdump %u", c->text, st, insn.len, c->len);
    if (insn.mem != c->mem)
        mismatch("%s: mem %d, objdump %d", c->text, insn.mem, c->mem);
    struct x86_ea_regs regs = table_regs(c->addr);
    if (c->mem && x86_linear_address(&insn, &regs) != c->ea)
        mismatch("%s: address %#llx, objdump %#llx", c->text,
                 (unsigned long long)x86_linear_address(&insn, &regs), (unsigned long long)c->ea);
    uint64_t imm = (uint64_t)insn.imm;
    bool imm_ok = true;
    switch (c->imm) {
    case IMM_NONE:   break;
    case IMM_EXACT:  imm_ok = insn.imm_size && imm == c->immv; break;
    case IMM_MASKED: imm_ok = insn.imm_size && (imm & size_mask(c->opsize)) == c->immv; break;
    case IMM_REL:    imm_ok = insn.rel && c->addr + c->len + imm == c->immv; break;
    }
    if (!imm_ok)
        mismatch("%s: imm %#llx (%u bytes, rel %d), objdump %#llx", c->text, (unsigned long long)imm,
                 insn.imm_size, insn.rel, (unsigned long long)c->immv);
    if (c->imm2 >= 0 && insn.imm2 != c->imm2)
        mismatch("%s: imm2 %#x, objdump %#x", c->text, insn.imm2, c->imm2);
    if (c->opsize && insn.opsize != c->opsize)
        mismatch("%s: operand size %u, objdump %u", c->text, insn.opsize, c->opsize);
    if (insn.lock_ok != c->lock_ok)
        mismatch("%s: lock_ok %d, expected %d", c->text, insn.lock_ok, c->lock_ok);
    if (c->ctl >= 0 && (insn.reg != c->ctl || insn.rm != c->gpr || insn.mem))
        mismatch("%s: reg %u rm %u mem %d, objdump %d %d", c->text, insn.reg, insn.rm, insn.mem, c->ctl,
                 c->gpr);
}

static void test_objdump_table(void **state)
{
    (void)state;
    mismatches = 0;
    for (size_t i = 0; i < UNIT_ARRAY_SIZE(decode_cases); i++)
        check_case(&decode_cases[i]);
    assert_int_equal(mismatches, 0);
}

static void test_objdump_sweep(void **state)
{
    (void)state;
    mismatches = 0;
    for (size_t i = 0; i < UNIT_ARRAY_SIZE(sweep_cases); i++) {
        const struct sweep_case *c = &sweep_cases[i];
        struct x86_insn insn;
        struct stream s;
        enum x86_decode_status st = decode_n(&insn, (const uint8_t *)c->bytes, c->len, 0, &s);
        if (st != X86_DECODE_OK || insn.len != c->len) {
            char hex[3 * X86_MAX_INSN_LEN + 1] = "";
            for (unsigned int k = 0; k < c->len; k++)
                snprintf(hex + 3 * k, 4, "%02x ", (uint8_t)c->bytes[k]);
            mismatch("sweep %s: status %d len %u, objdump %u", hex, st, insn.len, c->len);
        }
    }
    assert_int_equal(mismatches, 0);
}

/* Every instruction of the table, cut short at each offset: the fault is at that byte. */
static void test_truncated_fetch(void **state)
{
    (void)state;
    for (size_t i = 0; i < UNIT_ARRAY_SIZE(decode_cases); i++) {
        const struct decode_case *c = &decode_cases[i];
        for (unsigned int cut = 0; cut < c->len; cut++) {
            struct x86_insn insn;
            struct stream s;
            enum x86_decode_status st = decode_n(&insn, c->bytes, cut, 0, &s);
            if (st != X86_DECODE_FETCH_FAULT || insn.len != cut || insn.fetch_err != FETCH_FAULT_VALUE ||
                s.fetched != cut || s.next != cut + 1)
                fail_msg("%s cut at %u: status %d len %u err %d fetched %u", c->text, cut, st, insn.len,
                         insn.fetch_err, s.fetched);
        }
    }
}

/* Every field of two decodings, named on a mismatch. */
static void same_insn(const char *what, unsigned int k, const struct x86_insn *a, const struct x86_insn *b)
{
#define SAME(f)                                                                                 \
    if (a->f != b->f)                                                                           \
        fail_msg("%s prefetched %u: %s %lld, x86_decode %lld", what, k, #f, (long long)a->f, (long long)b->f)
    SAME(len); SAME(status); SAME(fetch_err); SAME(forced_emul); SAME(start); SAME(prefixes); SAME(seg);
    SAME(rep); SAME(rex); SAME(map); SAME(opcode); SAME(has_modrm); SAME(modrm); SAME(mod); SAME(reg);
    SAME(rm); SAME(has_sib); SAME(sib); SAME(mem); SAME(ea_base); SAME(ea_index); SAME(ea_scale);
    SAME(disp_size); SAME(disp); SAME(ea_seg); SAME(imm_size); SAME(imm); SAME(imm2); SAME(rel);
    SAME(opsize); SAME(addrsize); SAME(lock_ok);
#undef SAME
}

/*
 * x86_decode_prefetched with any number of the bytes given up front decodes
 * as x86_decode does, every instruction whole and cut short, forced or not;
 * the fetch callback is asked only past the given bytes, in order.
 */
static void test_prefetched(void **state)
{
    (void)state;
    static const uint8_t forced_cpuid[] = { 0x0f, 0x0b, 'x', 'e', 'n', 0x0f, 0xa2 };
    for (size_t i = 0; i <= UNIT_ARRAY_SIZE(decode_cases); i++) {
        const uint8_t *bytes = i < UNIT_ARRAY_SIZE(decode_cases) ? (const uint8_t *)decode_cases[i].bytes : forced_cpuid;
        unsigned int len = i < UNIT_ARRAY_SIZE(decode_cases) ? decode_cases[i].len : sizeof(forced_cpuid);
        const char *text = i < UNIT_ARRAY_SIZE(decode_cases) ? decode_cases[i].text : "forced cpuid";
        for (unsigned int flags = 0; flags <= X86_DECODE_FORCED; flags++)
            for (unsigned int cut = 0; cut <= len; cut++) {
                struct x86_insn want, got;
                struct stream s;
                decode_n(&want, bytes, cut, flags, &s);
                for (unsigned int k = 0; k <= cut; k++) {
                    s = (struct stream){ .bytes = bytes, .n = cut, .next = k };
                    enum x86_decode_status st = x86_decode_prefetched(&got, bytes, k, fetch, &s, flags);
                    if (s.out_of_order || st != got.status)
                        fail_msg("%s prefetched %u: fetched out of order, or status %d", text, k, st);
                    same_insn(text, k, &got, &want);
                }
            }
    }
}

/* One byte string decoded both ways, with 16 bytes read ahead and with none. */
static void same_both_ways(const uint8_t *bytes)
{
    for (unsigned int flags = 0; flags <= X86_DECODE_FORCED; flags++) {
        struct x86_insn want, got;
        struct stream s;
        decode_n(&want, bytes, 16, flags, &s);
        s = (struct stream){ .bytes = bytes, .n = 16, .next = 16 };
        x86_decode_prefetched(&got, bytes, 16, fetch, &s, flags);
        same_insn("fast path", 16, &got, &want);
    }
}

/*
 * The short path x86_decode_prefetched takes for the common shape (REX,
 * opcode, ModRM or none, no prefix; the immediate of a ModRM form) decodes
 * every REX, opcode of both maps and ModRM as the general walk does, forced
 * or not; SIB bytes in full for MOV.
 */
static void test_prefetched_every_modrm(void **state)
{
    (void)state;
    uint8_t b[16];
    for (unsigned int rex = 0x3f; rex <= 0x4f; rex++)
        for (unsigned int map = 0; map < 2; map++)
            for (unsigned int op = 0; op < 256; op++)
                for (unsigned int modrm = 0; modrm < 256; modrm++) {
                    unsigned int n = 0;
                    if (rex != 0x3f)
                        b[n++] = (uint8_t)rex;
                    if (map)
                        b[n++] = 0x0f;
                    b[n++] = (uint8_t)op;
                    b[n++] = (uint8_t)modrm;
                    for (unsigned int i = n; i < sizeof(b); i++)
                        b[i] = (uint8_t)(0x85 + 0x31 * i);      /* SIB, displacement, what follows */
                    same_both_ways(b);
                    if (op == 0x89 && !map && (modrm & 7) == 4 && modrm < 0xc0)
                        for (unsigned int sib = 0; sib < 256; sib++) {
                            b[n] = (uint8_t)sib;
                            same_both_ways(b);
                        }
                }
}

#define DECODE(insn, s, ...)                                                                   \
    ({                                                                                         \
        static const uint8_t b_[] = { __VA_ARGS__ };                                           \
        decode_n((insn), b_, sizeof(b_), 0, (s));                                              \
    })

/* 15 bytes decode; a 16th is #GP(0), and the byte at offset 15 is never fetched. */
static void test_length_limit(void **state)
{
    (void)state;
    uint8_t soup[32];
    struct x86_insn insn;
    struct stream s;
    for (unsigned int n = 0; n < 20; n++) {
        memset(soup, 0x66, n);
        soup[n] = 0x90;
        enum x86_decode_status st = decode_n(&insn, soup, sizeof(soup), 0, &s);
        if (n < X86_MAX_INSN_LEN) {
            assert_int_equal(st, X86_DECODE_OK);
            assert_int_equal(insn.len, n + 1);
        } else {
            assert_int_equal(st, X86_DECODE_TOO_LONG);
            assert_int_equal(insn.len, X86_MAX_INSN_LEN);
            assert_int_equal(s.fetched, X86_MAX_INSN_LEN);
        }
    }
    /* the same with only 15 bytes mapped: still too long, not a fault */
    memset(soup, 0x2e, 16);
    assert_int_equal(decode_n(&insn, soup, X86_MAX_INSN_LEN, 0, &s), X86_DECODE_TOO_LONG);
    assert_int_equal(s.next, X86_MAX_INSN_LEN);
    /* a mixed soup of every prefix, REX last: 14 prefixes + mov imm64 is 24 bytes */
    static const uint8_t mixed[] = { 0xf0, 0xf2, 0xf3, 0x2e, 0x36, 0x3e, 0x26, 0x64, 0x65, 0x66, 0x67,
                                     0xf0, 0x66, 0x48, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8 };
    assert_int_equal(decode_n(&insn, mixed, sizeof(mixed), 0, &s), X86_DECODE_TOO_LONG);
    /* an immediate that ends at byte 15 fits, one that ends at 16 does not */
    static const uint8_t fits[] = { 0x66, 0x66, 0x66, 0x66, 0x66, 0x48, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8 };
    assert_int_equal(decode_n(&insn, fits, sizeof(fits), 0, &s), X86_DECODE_OK);
    assert_int_equal(insn.len, 15);
    assert_int_equal(insn.imm, 0x0807060504030201ll);
    static const uint8_t over[] = { 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x48, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8 };
    assert_int_equal(decode_n(&insn, over, sizeof(over), 0, &s), X86_DECODE_TOO_LONG);
    assert_int_equal(s.fetched, X86_MAX_INSN_LEN);
}

/* A REX counts only directly before the opcode; the last of several wins. */
static void test_rex_placement(void **state)
{
    (void)state;
    struct x86_insn insn;
    struct stream s;
    /* 48 66 b8 iw: the REX.W is dropped, so 16-bit operand and immediate */
    assert_int_equal(DECODE(&insn, &s, 0x48, 0x66, 0xb8, 0x34, 0x12), X86_DECODE_OK);
    assert_int_equal(insn.len, 5);
    assert_int_equal(insn.rex, 0);
    assert_int_equal(insn.opsize, 2);
    assert_int_equal(insn.imm, 0x1234);
    /* 48 f0 01 08: lock add; the REX before LOCK is gone, 32-bit operand */
    assert_int_equal(DECODE(&insn, &s, 0x48, 0xf0, 0x01, 0x08), X86_DECODE_OK);
    assert_int_equal(insn.opsize, 4);
    assert_true(insn.lock_ok);
    /* 48 41 01 c8: only 0x41 counts: REX.B on, REX.W off */
    assert_int_equal(DECODE(&insn, &s, 0x48, 0x41, 0x01, 0xc8), X86_DECODE_OK);
    assert_int_equal(insn.len, 4);
    assert_int_equal(insn.rex, 0x41);
    assert_int_equal(insn.opsize, 4);
    assert_int_equal(insn.mod, 3);
    assert_int_equal(insn.reg, X86_RCX);
    assert_int_equal(insn.rm, X86_R8);
    /* 4e 8b 54 a5 f8: mov -0x8(%rbp,%r12,4),%r10 (REX.W, R and X) */
    assert_int_equal(DECODE(&insn, &s, 0x4e, 0x8b, 0x54, 0xa5, 0xf8), X86_DECODE_OK);
    assert_int_equal(insn.reg, X86_R10);
    assert_int_equal(insn.ea_base, X86_RBP);
    assert_int_equal(insn.ea_index, X86_R12);
    assert_int_equal(insn.ea_scale, 4);
    assert_int_equal(insn.disp, -8);
    assert_int_equal(insn.ea_seg, X86_SEG_SS);
    assert_int_equal(insn.opsize, 8);
    /* 41 8b 45 00 needs the disp8: r13 as a base has no mod-0 form; 41 8b 04 24: r12 needs a SIB */
    assert_int_equal(DECODE(&insn, &s, 0x41, 0x8b, 0x45, 0x00), X86_DECODE_OK);
    assert_int_equal(insn.ea_base, X86_R13);
    assert_int_equal(DECODE(&insn, &s, 0x41, 0x8b, 0x04, 0x24), X86_DECODE_OK);
    assert_true(insn.has_sib);
    assert_int_equal(insn.ea_base, X86_R12);
    assert_int_equal(insn.ea_index, X86_EA_NONE);
    /* 41 8b 05 disp32: mod 0 rm 101 is RIP-relative whatever REX.B says */
    assert_int_equal(DECODE(&insn, &s, 0x41, 0x8b, 0x05, 1, 0, 0, 0), X86_DECODE_OK);
    assert_int_equal(insn.ea_base, X86_EA_RIP);
    /* 42 8b 04 25 disp32: index 100 with REX.X is r12; SIB base 101 at mod 0 is no base */
    assert_int_equal(DECODE(&insn, &s, 0x42, 0x8b, 0x04, 0x25, 0x10, 0, 0, 0), X86_DECODE_OK);
    assert_int_equal(insn.ea_base, X86_EA_NONE);
    assert_int_equal(insn.ea_index, X86_R12);
    assert_int_equal(insn.disp, 0x10);
}

/* The last segment override wins; only FS and GS add a base. */
static void test_segment_overrides(void **state)
{
    (void)state;
    struct x86_insn insn;
    struct stream s;
    struct x86_ea_regs regs = { .fs_base = 0x1000, .gs_base = 0x2000 };
    regs.gpr[X86_RAX] = 0x10;
    assert_int_equal(DECODE(&insn, &s, 0x64, 0x3e, 0x8b, 0x00), X86_DECODE_OK);  /* fs ds */
    assert_int_equal(insn.seg, X86_SEG_DS);
    assert_int_equal(insn.ea_seg, X86_SEG_DS);
    assert_int_equal(insn.prefixes & (X86_PFX_FS | X86_PFX_DS), X86_PFX_FS | X86_PFX_DS);
    assert_int_equal(x86_linear_address(&insn, &regs), 0x10);
    assert_int_equal(DECODE(&insn, &s, 0x3e, 0x64, 0x8b, 0x00), X86_DECODE_OK);  /* ds fs */
    assert_int_equal(x86_linear_address(&insn, &regs), 0x1010);
    assert_int_equal(DECODE(&insn, &s, 0x65, 0x64, 0x8b, 0x00), X86_DECODE_OK);  /* gs fs */
    assert_int_equal(x86_linear_address(&insn, &regs), 0x1010);
    assert_int_equal(DECODE(&insn, &s, 0x64, 0x65, 0x8b, 0x00), X86_DECODE_OK);  /* fs gs */
    assert_int_equal(x86_linear_address(&insn, &regs), 0x2010);
    assert_int_equal(insn.ea_seg, X86_SEG_GS);
    /* SS, by override or by an rSP/rBP base, is what makes a non-canonical address #SS; no base */
    assert_int_equal(DECODE(&insn, &s, 0x36, 0x8b, 0x00), X86_DECODE_OK);
    assert_int_equal(insn.seg, X86_SEG_SS);
    assert_int_equal(insn.ea_seg, X86_SEG_SS);
    assert_int_equal(x86_linear_address(&insn, &regs), 0x10);
    assert_int_equal(DECODE(&insn, &s, 0x8b, 0x04, 0x24), X86_DECODE_OK);  /* (%rsp) */
    assert_int_equal(insn.ea_seg, X86_SEG_SS);
    assert_int_equal(DECODE(&insn, &s, 0x3e, 0x8b, 0x45, 0x00), X86_DECODE_OK);  /* %ds:0(%rbp) */
    assert_int_equal(insn.ea_seg, X86_SEG_DS);
    assert_int_equal(DECODE(&insn, &s, 0x8b, 0x45, 0x00), X86_DECODE_OK);  /* 0(%rbp) */
    assert_int_equal(insn.ea_seg, X86_SEG_SS);
    /* rep prefixes: both recorded, the last is the one in effect */
    assert_int_equal(DECODE(&insn, &s, 0xf3, 0xf2, 0xa6), X86_DECODE_OK);
    assert_int_equal(insn.rep, 0xf2);
    assert_int_equal(insn.prefixes & (X86_PFX_REP | X86_PFX_REPNE), X86_PFX_REP | X86_PFX_REPNE);
}

/* Wrapping: 64-bit sums wrap at 2^64, 32-bit addressing (0x67, EIP) at 2^32 before the FS/GS base. */
static void test_address_wrap(void **state)
{
    (void)state;
    struct x86_insn insn;
    struct stream s;
    struct x86_ea_regs regs = { .rip = 0x1fffffff0ull, .gs_base = 0xffffffff00000000ull };
    regs.gpr[X86_RAX] = ~0ull;
    regs.gpr[X86_RBX] = 0x8000000000000001ull;
    assert_int_equal(DECODE(&insn, &s, 0x8b, 0x4c, 0x58, 0x10), X86_DECODE_OK);  /* 0x10(%rax,%rbx,2) */
    assert_int_equal(x86_linear_address(&insn, &regs), 0x11);
    assert_int_equal(DECODE(&insn, &s, 0x67, 0x8b, 0x4c, 0x58, 0x10), X86_DECODE_OK);
    assert_int_equal(insn.addrsize, 4);
    assert_int_equal(x86_linear_address(&insn, &regs), 0x11);
    assert_int_equal(DECODE(&insn, &s, 0x65, 0x67, 0x8b, 0x40, 0x20), X86_DECODE_OK);  /* %gs:0x20(%eax) */
    assert_int_equal(x86_linear_address(&insn, &regs), 0xffffffff0000001full);
    /* RIP-relative from the next instruction; with 0x67, EIP wraps */
    assert_int_equal(DECODE(&insn, &s, 0x8b, 0x05, 0x10, 0, 0, 0), X86_DECODE_OK);
    assert_int_equal(x86_linear_address(&insn, &regs), 0x1fffffff0ull + 6 + 0x10);
    assert_int_equal(DECODE(&insn, &s, 0x67, 0x8b, 0x05, 0x10, 0, 0, 0), X86_DECODE_OK);
    assert_int_equal(x86_linear_address(&insn, &regs), (0xfffffff0ull + 7 + 0x10) & 0xffffffffull);
    assert_true(x86_canonical(0x00007fffffffffffull));
    assert_true(x86_canonical(0xffff800000000000ull));
    assert_false(x86_canonical(0x0000800000000000ull));
    assert_false(x86_canonical(0xffff7fffffffffffull));
}

/* ud2; .ascii "xen"; cpuid, only when asked for; a plain UD2 when the signature differs. */
static void test_forced_emulation(void **state)
{
    (void)state;
    static const uint8_t forced[] = { 0x0f, 0x0b, 'x', 'e', 'n', 0x0f, 0xa2 };
    struct x86_insn insn;
    struct stream s;

    assert_int_equal(decode_n(&insn, forced, sizeof(forced), X86_DECODE_FORCED, &s), X86_DECODE_OK);
    assert_true(insn.forced_emul);
    assert_int_equal(insn.start, X86_FORCED_SIG_LEN);
    assert_int_equal(insn.len, 7);
    assert_int_equal(insn.map, X86_MAP_0F);
    assert_int_equal(insn.opcode, 0xa2);

    /* without the flag: UD2, and nothing after it is read */
    assert_int_equal(decode_n(&insn, forced, sizeof(forced), 0, &s), X86_DECODE_OK);
    assert_false(insn.forced_emul);
    assert_int_equal(insn.len, 2);
    assert_int_equal(s.next, 2);

    /* the signature's bytes unreadable: that fault (Xen's #PF), at the byte */
    for (unsigned int cut = 2; cut < X86_FORCED_SIG_LEN; cut++) {
        assert_int_equal(decode_n(&insn, forced, cut, X86_DECODE_FORCED, &s), X86_DECODE_FETCH_FAULT);
        assert_false(insn.forced_emul);
        assert_int_equal(insn.len, cut);
        assert_int_equal(insn.fetch_err, FETCH_FAULT_VALUE);
    }
    /* without the flag the same cut UD2 decodes: nothing past it is read */
    assert_int_equal(decode_n(&insn, forced, 2, 0, &s), X86_DECODE_OK);
    assert_int_equal(insn.len, 2);
    /* different bytes: a plain UD2, read no further than the first that differs */
    static const uint8_t wrong[] = { 0x0f, 0x0b, 'x', 'E', 'n', 0x0f, 0xa2 };
    assert_int_equal(decode_n(&insn, wrong, sizeof(wrong), X86_DECODE_FORCED, &s), X86_DECODE_OK);
    assert_false(insn.forced_emul);
    assert_int_equal(insn.len, 2);
    assert_int_equal(s.next, 4);
    static const uint8_t prefixed[] = { 0x66, 0x0f, 0x0b, 'x', 'e', 'n', 0x0f, 0xa2 };
    assert_int_equal(decode_n(&insn, prefixed, sizeof(prefixed), X86_DECODE_FORCED, &s), X86_DECODE_OK);
    assert_false(insn.forced_emul);
    assert_int_equal(insn.len, 3);

    /* the instruction after it faults at its own offsets */
    assert_int_equal(decode_n(&insn, forced, 6, X86_DECODE_FORCED, &s), X86_DECODE_FETCH_FAULT);
    assert_int_equal(insn.len, 6);
    /* and has its own 15 bytes */
    uint8_t soup[24] = { 0x0f, 0x0b, 'x', 'e', 'n' };
    memset(soup + 5, 0x66, 14);
    soup[19] = 0x90;
    assert_int_equal(decode_n(&insn, soup, sizeof(soup), X86_DECODE_FORCED, &s), X86_DECODE_OK);
    assert_int_equal(insn.len, 20);
    soup[19] = 0x66;
    soup[20] = 0x90;
    assert_int_equal(decode_n(&insn, soup, sizeof(soup), X86_DECODE_FORCED, &s), X86_DECODE_TOO_LONG);
    assert_int_equal(insn.len, 20);
    assert_int_equal(s.next, 20);
}

/* Undefined in 64-bit mode, and VEX/EVEX/XOP: stopped as soon as known. */
static void test_invalid_and_unsupported(void **state)
{
    (void)state;
    static const struct {
        uint8_t bytes[4];
        enum x86_decode_status status;
        uint8_t len;
    } cases[] = {
        { { 0x06 }, X86_DECODE_INVALID, 1 },              /* push %es */
        { { 0x66, 0x1f }, X86_DECODE_INVALID, 2 },        /* pop %ds */
        { { 0x27 }, X86_DECODE_INVALID, 1 },              /* daa */
        { { 0x60 }, X86_DECODE_INVALID, 1 },              /* pusha */
        { { 0x82, 0xc0, 0x01 }, X86_DECODE_INVALID, 1 },
        { { 0x9a }, X86_DECODE_INVALID, 1 },              /* far call ptr16:32 */
        { { 0xd4, 0x0a }, X86_DECODE_INVALID, 1 },        /* aam */
        { { 0xea }, X86_DECODE_INVALID, 1 },
        { { 0xfe, 0x10 }, X86_DECODE_INVALID, 2 },        /* FE /2 */
        { { 0xff, 0x38 }, X86_DECODE_INVALID, 2 },        /* FF /7 */
        { { 0xc6, 0x08, 0x01 }, X86_DECODE_INVALID, 2 },  /* C6 /1 */
        { { 0xc7, 0xf9, 0, 0 }, X86_DECODE_INVALID, 2 },  /* C7 /7 but not F8 */
        { { 0x0f, 0x04 }, X86_DECODE_INVALID, 2 },
        { { 0x0f, 0x24, 0xc0 }, X86_DECODE_INVALID, 2 },  /* mov from TR */
        { { 0xc4, 0xe2, 0x79, 0x00 }, X86_DECODE_UNSUPPORTED, 1 },
        { { 0xc5, 0xf8, 0x77 }, X86_DECODE_UNSUPPORTED, 1 },
        { { 0x62, 0xf1, 0x7c, 0x48 }, X86_DECODE_UNSUPPORTED, 1 },
        { { 0x8f, 0xe8, 0x78, 0xc0 }, X86_DECODE_UNSUPPORTED, 2 },  /* XOP */
    };
    for (size_t i = 0; i < UNIT_ARRAY_SIZE(cases); i++) {
        struct x86_insn insn;
        struct stream s;
        /* only len bytes readable: reading further would show as a fault */
        enum x86_decode_status st = decode_n(&insn, cases[i].bytes, cases[i].len, 0, &s);
        if (st != cases[i].status || insn.len != cases[i].len)
            fail_msg("case %zu (%02x): status %d len %u", i, cases[i].bytes[0], st, insn.len);
    }
}

/* The fields an emulator reads for the privileged instructions and ptwr writes. */
static void test_emulator_fields(void **state)
{
    (void)state;
    struct x86_insn insn;
    struct stream s;
    /* 44 0f 20 c0: mov %cr8,%rax */
    assert_int_equal(DECODE(&insn, &s, 0x44, 0x0f, 0x20, 0xc0), X86_DECODE_OK);
    assert_int_equal(insn.map, X86_MAP_0F);
    assert_int_equal(insn.opcode, 0x20);
    assert_int_equal(insn.reg, 8);
    assert_int_equal(insn.rm, X86_RAX);
    /* 0f 22 1d: mov %rbp,%cr3 with mod 0: still the register form, no displacement */
    assert_int_equal(DECODE(&insn, &s, 0x0f, 0x22, 0x1d), X86_DECODE_OK);
    assert_int_equal(insn.len, 3);
    assert_false(insn.mem);
    assert_int_equal(insn.reg, 3);
    assert_int_equal(insn.rm, X86_RBP);
    assert_int_equal(insn.opsize, 8);
    /* f0 48 0f c7 0f: lock cmpxchg16b (%rdi): 16 bytes; f0 0f c7 c8 (register form) is not lockable */
    assert_int_equal(DECODE(&insn, &s, 0xf0, 0x48, 0x0f, 0xc7, 0x0f), X86_DECODE_OK);
    assert_int_equal(insn.opsize, 16);
    assert_true(insn.lock_ok);
    assert_true(insn.prefixes & X86_PFX_LOCK);
    assert_int_equal(DECODE(&insn, &s, 0xf0, 0x0f, 0xc7, 0xc8), X86_DECODE_OK);
    assert_false(insn.lock_ok);
    /* immediates: 83 /0 ib sign-extends, IN's port does not, PUSH ib sign-extends */
    assert_int_equal(DECODE(&insn, &s, 0x48, 0x83, 0xc0, 0xff), X86_DECODE_OK);
    assert_int_equal(insn.imm, -1);
    assert_int_equal(DECODE(&insn, &s, 0xe4, 0xff), X86_DECODE_OK);
    assert_int_equal(insn.imm, 0xff);
    assert_int_equal(insn.opsize, 1);
    assert_int_equal(DECODE(&insn, &s, 0x48, 0xed), X86_DECODE_OK);   /* rex.W in (%dx),%eax */
    assert_int_equal(insn.opsize, 4);
    assert_int_equal(DECODE(&insn, &s, 0x6a, 0x80), X86_DECODE_OK);
    assert_int_equal(insn.imm, -128);
    assert_int_equal(insn.opsize, 8);
    /* 66 e8 rel32 (Intel): 6 bytes */
    assert_int_equal(DECODE(&insn, &s, 0x66, 0xe8, 0xfa, 0xff, 0xff, 0xff), X86_DECODE_OK);
    assert_int_equal(insn.len, 6);
    assert_true(insn.rel);
    assert_int_equal(insn.imm, -6);
    /* a0 moffs64 and 67 a0 moffs32, zero-extended */
    assert_int_equal(DECODE(&insn, &s, 0x67, 0xa0, 0xf0, 0xff, 0xff, 0xff), X86_DECODE_OK);
    assert_true(insn.mem);
    assert_int_equal(insn.disp_size, 4);
    assert_int_equal(insn.disp, 0xfffffff0ll);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_objdump_table),
        cmocka_unit_test(test_objdump_sweep),
        cmocka_unit_test(test_truncated_fetch),
        cmocka_unit_test(test_prefetched),
        cmocka_unit_test(test_prefetched_every_modrm),
        cmocka_unit_test(test_length_limit),
        cmocka_unit_test(test_rex_placement),
        cmocka_unit_test(test_segment_overrides),
        cmocka_unit_test(test_address_wrap),
        cmocka_unit_test(test_forced_emulation),
        cmocka_unit_test(test_invalid_and_unsupported),
        cmocka_unit_test(test_emulator_fields),
    };
    return unit_run(argc, argv, "decode", tests, UNIT_ARRAY_SIZE(tests));
}
