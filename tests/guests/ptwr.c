/*
 * Writable page tables: a dom0 that writes its L1 entries with plain stores
 * (MOV, XCHG, CMPXCHG, CMPXCHG8B/16B, 4-, 2- and 1-byte parts) through the
 * read-only mappings of its tables, and the faults it gets where Xen 4.17
 * refuses: foreign frames, page tables mapped writable, misaligned stores,
 * higher levels. Its FEATURES note requires writable_page_tables and has no
 * terminating NUL, as Linux's. Needs vcpus=2 (racing writers).
 */
#include "events.h"
#include "exceptions.h"
#include "guest.h"
#include "hypercall.h"
#include "mm.h"
#include "user.h"
#include "smp.h"
#include <public/errno.h>
#include <public/elfnote.h>
#include <public/features.h>
#include <public/version.h>

const char test_title[] = "ptwr: page-table entries written by store, emulated as Xen 4.17";

#define STR_(x) #x
#define STR(x) STR_(x)
/* A second FEATURES note, written as Linux writes its own: .ascii, sized, no NUL. */
__asm__(".pushsection .note.Xen, \"a\", @note\n\t.balign 4\n\t.long 4\n\t.long 2f - 1f\n\t"
        ".long " STR(XEN_ELFNOTE_FEATURES) "\n\t.asciz \"Xen\"\n\t.balign 4\n"
        "1:\t.ascii \"!writable_page_tables\"\n2:\t.balign 4\n\t.popsection");

#define TEST_VA     (GUEST_VIRT_BASE + 0x8000000ull)    /* 128 MiB up: free address space */
#define PTE_NX      (1ull << 63)
#define PFEC_PW     0x3ull                              /* present, write (kernel mode) */
#define FLAGS_ARITH 0x8d5ull
#define RACE_ROUNDS 2000u
#define RACE_STEP   0x200ull

static uint64_t frame_a, frame_b;
static volatile uint64_t *pte;                          /* TEST_VA's L1 entry, mapped read-only */

static uint64_t map_a(void) { return frame_a << 12 | PTE_DATA; }
static uint64_t map_b(void) { return frame_b << 12 | PTE_DATA; }
static volatile uint64_t *entry(unsigned int i) { return pte + i; }
/*
 * An entry as the test compares it: Xen sets G on a 64-bit PV guest's user
 * mappings and we clear it (both for mmu_update too), so G is left out.
 */
static uint64_t norm(uint64_t e) { return e & ~PTE_G; }
static uint64_t cr2(void) { return shinfo->vcpu_info[0].arch.cr2; }

/* Checks the last fault was #PF(error) at addr. */
static const char *want_pf(char *why, size_t len, const char *what, uint64_t error, const volatile void *addr)
{
    if (last_exc.vector != 14 || last_exc.error_code != error || cr2() != (uint64_t)addr)
        return fail(why, len, "%s: vector %lld error %#llx cr2 %#llx, want #PF %#llx at %p", what,
                    (long long)last_exc.vector, (unsigned long long)last_exc.error_code,
                    (unsigned long long)cr2(), (unsigned long long)error, (const void *)addr);
    return NULL;
}

static const char *want_no_fault(char *why, size_t len, const char *what)
{
    if (last_exc.vector != ~0ull)
        return fail(why, len, "%s: vector %lld error %#llx cr2 %#llx", what, (long long)last_exc.vector,
                    (unsigned long long)last_exc.error_code, (unsigned long long)cr2());
    return NULL;
}

static const char *want_entry(char *why, size_t len, const char *what, unsigned int i, uint64_t val)
{
    if (norm(*entry(i)) != val)
        return fail(why, len, "%s: entry %u is %#llx, want %#llx", what, i, (unsigned long long)*entry(i),
                    (unsigned long long)val);
    return NULL;
}

#define CHECK(x) do { const char *r_ = (x); if (r_) return r_; } while (0)

static void store8(volatile uint64_t *p, uint64_t v) { TRY_INSN("movq %1, (%0)", "r"(p), "r"(v)); }

static int64_t invlpg(uint64_t va) { return mmuext(MMUEXT_INVLPG_LOCAL, va, 0); }

static const char *test_setup(char *why, size_t len)
{
    int64_t rc;
    if (guest_option_num("vcpus", 1) < 2)
        return fail(why, len, "needs vcpus=2 on the command line");
    if ((rc = exceptions_install()) || (rc = events_init()))
        return fail(why, len, "setup: %lld", (long long)rc);
    if (ensure_l1(TEST_VA) || !(pte = pte_virt(TEST_VA, 1)))
        return fail(why, len, "could not build the L1 for %#llx", (unsigned long long)TEST_VA);
    frame_a = spare_mfn();
    frame_b = spare_mfn();
    if (!frame_a || !frame_b)
        return fail(why, len, "no spare frames");
    return NULL;
}

/*
 * Without the writable_pagetables assist, only the hardware domain's stores
 * are emulated (Xen 4.17's rule): a domU's store gets its #PF until it asks.
 */
static const char *test_domu_needs_assist(char *why, size_t len)
{
    if (start_info->flags & SIF_INITDOMAIN)
        return NULL;                            /* dom0: mov_maps shows its stores work without it */
    store8(pte, map_a());
    CHECK(want_pf(why, len, "a domU's store without the assist", PFEC_PW, pte));
    CHECK(want_entry(why, len, "without the assist", 0, 0));
    int64_t rc = hypercall2(__HYPERVISOR_vm_assist, VMASST_CMD_enable, VMASST_TYPE_writable_pagetables);
    if (rc)
        return fail(why, len, "vm_assist(enable, writable_pagetables): %lld", (long long)rc);
    return NULL;
}

/* What Xen 4.17 tells a 64-bit PV dom0, whatever its kernel asked for in FEATURES. */
static const char *test_features(char *why, size_t len)
{
    struct xen_feature_info fi = { .submap_idx = 0 };
    int64_t rc = hyp_xen_version(XENVER_get_features, &fi);
    uint32_t want = (1u << XENFEAT_mmu_pt_update_preserve_ad) | (1u << XENFEAT_highmem_assist) |
                    (1u << XENFEAT_gnttab_map_avail_bits) |
                    (start_info->flags & SIF_INITDOMAIN ? 1u << XENFEAT_dom0 : 0) |
                    (1u << XENFEAT_memory_op_vnode_supported) | (1u << XENFEAT_direct_mapped) |
                    (1u << XENFEAT_pae_pgdir_above_4gb);            /* our PAE_MODE note says "yes" */
    if (rc || fi.submap != want)
        return fail(why, len, "get_features: %lld, submap %#x, want %#x", (long long)rc, fi.submap, want);
    return NULL;
}

/* A plain 8-byte MOV maps a frame: the entry reads back, and the page is there. */
static const char *test_mov_maps(char *why, size_t len)
{
    store8(pte, map_a());
    CHECK(want_no_fault(why, len, "mov"));
    CHECK(want_entry(why, len, "mov", 0, map_a()));
    volatile uint64_t *page = (volatile uint64_t *)TEST_VA;
    page[7] = 0x5157ull;
    if (page[7] != 0x5157ull || ((volatile uint64_t *)TEST_VA)[7] != 0x5157ull)
        return fail(why, len, "the new mapping does not hold what was written");
    return NULL;
}

/* A MOV of 0 unmaps: after INVLPG the page faults (not present, read) at its address. */
static const char *test_mov_clears(char *why, size_t len)
{
    store8(pte, 0);
    CHECK(want_no_fault(why, len, "mov 0"));
    CHECK(want_entry(why, len, "mov 0", 0, 0));
    /* Not asserted: whether the old translation survives the store without an INVLPG. */
    TRY_INSN("movq (%0), %%rdx", "r"(TEST_VA));
    printk("# ptwr: a read right after the store, before INVLPG, %s\n",
           last_exc.vector == 14 ? "faults (nothing cached it)" : "still hits the old mapping");
    if (invlpg(TEST_VA))
        return fail(why, len, "INVLPG_LOCAL failed");
    TRY_INSN("movq (%0), %%rdx", "r"(TEST_VA));
    return want_pf(why, len, "read after unmapping", 0, (void *)TEST_VA);
}

static uint64_t xchg(volatile uint64_t *p, uint64_t v)
{
    last_exc.vector = ~0ull;
    __asm__ volatile("lea 1f(%%rip), %%rcx\n\tmov %%rcx, exc_resume(%%rip)\n\t"
                     "xchgq %0, (%1)\n1:\tmovq $0, exc_resume(%%rip)"
                     : "+r"(v) : "r"(p) : "rcx", "memory");
    return v;
}

/* XCHG: the register gets the old entry. */
static const char *test_xchg(char *why, size_t len)
{
    uint64_t old = xchg(pte, map_b());
    CHECK(want_no_fault(why, len, "xchg"));
    if (old != 0)
        return fail(why, len, "xchg gave %#llx, want 0", (unsigned long long)old);
    CHECK(want_entry(why, len, "xchg", 0, map_b()));
    if (norm(old = xchg(pte, 0)) != map_b())
        return fail(why, len, "xchg back gave %#llx, want %#llx", (unsigned long long)old, (unsigned long long)map_b());
    return want_entry(why, len, "xchg back", 0, 0);
}

/* LOCK CMPXCHG of 8 or 4 bytes; returns the arithmetic flags. */
static uint64_t cmpxchg_q(volatile uint64_t *p, uint64_t *rax, uint64_t v)
{
    uint64_t f;
    last_exc.vector = ~0ull;
    __asm__ volatile("lea 1f(%%rip), %%rcx\n\tmov %%rcx, exc_resume(%%rip)\n\t"
                     "lock cmpxchgq %3, (%2)\n1:\tpushfq\n\tpop %1\n\tmovq $0, exc_resume(%%rip)"
                     : "+a"(*rax), "=r"(f) : "r"(p), "r"(v) : "rcx", "memory", "cc");
    return f & FLAGS_ARITH;
}

static uint64_t cmpxchg_l(volatile uint64_t *p, uint64_t *rax, uint32_t v)
{
    uint64_t f;
    last_exc.vector = ~0ull;
    __asm__ volatile("lea 1f(%%rip), %%rcx\n\tmov %%rcx, exc_resume(%%rip)\n\t"
                     "lock cmpxchgl %3, (%2)\n1:\tpushfq\n\tpop %1\n\tmovq $0, exc_resume(%%rip)"
                     : "+a"(*rax), "=r"(f) : "r"(p), "r"(v) : "rcx", "memory", "cc");
    return f & FLAGS_ARITH;
}

/* The flags CMP a, b gives, from this CPU. */
static uint64_t cmp_flags(uint64_t a, uint64_t b)
{
    uint64_t f;
    __asm__("cmpq %2, %1\n\tpushfq\n\tpop %0" : "=r"(f) : "r"(a), "r"(b) : "cc");
    return f & FLAGS_ARITH;
}

static const char *test_cmpxchg_success(char *why, size_t len)
{
    uint64_t rax = 0;
    uint64_t f = cmpxchg_q(pte, &rax, map_a());
    CHECK(want_no_fault(why, len, "cmpxchg"));
    if (rax != 0 || f != cmp_flags(0, 0))
        return fail(why, len, "rax %#llx flags %#llx, want 0 and %#llx", (unsigned long long)rax,
                    (unsigned long long)f, (unsigned long long)cmp_flags(0, 0));
    CHECK(want_entry(why, len, "cmpxchg", 0, map_a()));
    if (((volatile uint64_t *)TEST_VA)[7] != 0x5157ull)
        return fail(why, len, "frame A is not mapped back with its contents");
    return NULL;
}

/* A wrong expected value: nothing written, rAX gets the entry, flags as CMP. */
static const char *test_cmpxchg_failure(char *why, size_t len)
{
    uint64_t rax = 5, now = *pte;
    uint64_t f = cmpxchg_q(pte, &rax, map_b());
    CHECK(want_no_fault(why, len, "cmpxchg"));
    if (rax != now || norm(rax) != map_a() || f != cmp_flags(5, now))
        return fail(why, len, "rax %#llx flags %#llx, want %#llx and %#llx", (unsigned long long)rax,
                    (unsigned long long)f, (unsigned long long)now, (unsigned long long)cmp_flags(5, now));
    return want_entry(why, len, "failed cmpxchg", 0, map_a());
}

/* 4-byte CMPXCHG on the low half: success keeps rAX whole, failure zero-extends into it. */
static const char *test_cmpxchg_half(char *why, size_t len)
{
    const uint64_t before = 0xdead000000000000ull | (uint32_t)*pte;
    uint64_t rax = before;
    uint64_t f = cmpxchg_l(pte, &rax, (uint32_t)map_b());
    CHECK(want_no_fault(why, len, "cmpxchgl"));
    if (rax != before || norm((uint32_t)rax) != (uint32_t)map_a() || !(f & 0x40))
        return fail(why, len, "success: rax %#llx flags %#llx", (unsigned long long)rax, (unsigned long long)f);
    CHECK(want_entry(why, len, "cmpxchgl", 0, map_b()));
    rax = 0xdead000000000007ull;
    f = cmpxchg_l(pte, &rax, 0);
    CHECK(want_no_fault(why, len, "failed cmpxchgl"));
    if (rax != (uint32_t)*pte || norm(rax) != (uint32_t)map_b() || (f & 0x40))
        return fail(why, len, "failure: rax %#llx flags %#llx", (unsigned long long)rax, (unsigned long long)f);
    return want_entry(why, len, "failed cmpxchgl", 0, map_b());
}

/* CMPXCHG8B: EDX:EAX against the entry, ECX:EBX the new one; only ZF changes. */
static bool cmpxchg8b(volatile uint64_t *p, uint64_t *expect, uint64_t v)
{
    uint32_t lo = (uint32_t)*expect, hi = (uint32_t)(*expect >> 32);
    bool zf;
    last_exc.vector = ~0ull;
    __asm__ volatile("lea 1f(%%rip), %%rsi\n\tmov %%rsi, exc_resume(%%rip)\n\t"
                     "lock cmpxchg8b (%3)\n1:\tsetz %2\n\tmovq $0, exc_resume(%%rip)"
                     : "+a"(lo), "+d"(hi), "=q"(zf)
                     : "r"(p), "b"((uint32_t)v), "c"((uint32_t)(v >> 32)) : "rsi", "memory", "cc");
    *expect = (uint64_t)hi << 32 | lo;
    return zf;
}

static const char *test_cmpxchg8b(char *why, size_t len)
{
    uint64_t expect = *pte;
    if (!cmpxchg8b(pte, &expect, map_a() | PTE_NX))
        return fail(why, len, "cmpxchg8b with the right value failed: vector %lld, saw %#llx",
                    (long long)last_exc.vector, (unsigned long long)expect);
    CHECK(want_entry(why, len, "cmpxchg8b", 0, map_a() | PTE_NX));
    expect = map_b();
    if (cmpxchg8b(pte, &expect, 0) || expect != *pte || norm(expect) != (map_a() | PTE_NX))
        return fail(why, len, "cmpxchg8b with a wrong value: saw %#llx", (unsigned long long)expect);
    CHECK(want_no_fault(why, len, "cmpxchg8b"));
    return want_entry(why, len, "failed cmpxchg8b", 0, map_a() | PTE_NX);
}

/* CMPXCHG16B over entries 2-3: a mismatch loads RDX:RAX; a match would write 16 bytes: #PF. */
static const char *test_cmpxchg16b(char *why, size_t len)
{
    uint64_t lo = 1, hi = 2;
    bool zf;
    volatile uint64_t *p = entry(2);
    store8(p, map_b());
    CHECK(want_no_fault(why, len, "setting entry 2"));
    last_exc.vector = ~0ull;
    __asm__ volatile("lea 1f(%%rip), %%rsi\n\tmov %%rsi, exc_resume(%%rip)\n\t"
                     "lock cmpxchg16b (%3)\n1:\tsetz %2\n\tmovq $0, exc_resume(%%rip)"
                     : "+a"(lo), "+d"(hi), "=q"(zf) : "r"(p), "b"(0ull), "c"(0ull) : "rsi", "memory", "cc");
    CHECK(want_no_fault(why, len, "mismatched cmpxchg16b"));
    if (zf || lo != *p || norm(lo) != map_b() || hi != 0)
        return fail(why, len, "mismatch: zf %d rdx:rax %#llx:%#llx", zf, (unsigned long long)hi, (unsigned long long)lo);
    __asm__ volatile("lea 1f(%%rip), %%rsi\n\tmov %%rsi, exc_resume(%%rip)\n\t"
                     "lock cmpxchg16b (%3)\n1:\tsetz %2\n\tmovq $0, exc_resume(%%rip)"
                     : "+a"(lo), "+d"(hi), "=q"(zf) : "r"(p), "b"(0ull), "c"(0ull) : "rsi", "memory", "cc");
    CHECK(want_pf(why, len, "matching cmpxchg16b", PFEC_PW, p));
    CHECK(want_entry(why, len, "after cmpxchg16b", 2, map_b()));
    store8(p, 0);
    return want_no_fault(why, len, "clearing entry 2");
}

/* Narrower stores are merged into the entry: 4-byte halves, 2 and 1 bytes. */
static const char *test_partial_writes(char *why, size_t len)
{
    volatile uint32_t *half = (volatile uint32_t *)pte;
    TRY_INSN("movl %1, (%0)", "r"(half), "r"((uint32_t)map_b()));
    CHECK(want_no_fault(why, len, "low half"));
    CHECK(want_entry(why, len, "low half", 0, map_b() | PTE_NX));
    TRY_INSN("movl %1, (%0)", "r"(half + 1), "r"(0u));
    CHECK(want_no_fault(why, len, "high half"));
    CHECK(want_entry(why, len, "high half", 0, map_b()));
    TRY_INSN("movb %1, (%0)", "r"(pte), "q"((uint8_t)(PTE_DATA & ~PTE_RW)));
    CHECK(want_no_fault(why, len, "byte"));
    CHECK(want_entry(why, len, "byte", 0, map_b() & ~PTE_RW));
    TRY_INSN("movw %1, (%0)", "r"((volatile uint8_t *)pte + 6), "r"((uint16_t)0x8000));
    CHECK(want_no_fault(why, len, "word"));
    return want_entry(why, len, "word", 0, (map_b() & ~PTE_RW) | PTE_NX);
}

/* An 8-byte store across two entries is not emulated: the guest gets its #PF. */
static const char *test_misaligned(char *why, size_t len)
{
    volatile uint64_t *p = (volatile uint64_t *)((volatile uint8_t *)pte + 4);
    store8(p, 0);
    CHECK(want_pf(why, len, "misaligned store", PFEC_PW, p));
    return want_entry(why, len, "misaligned store", 0, (map_b() & ~PTE_RW) | PTE_NX);
}

/* A frame in the hypervisor's own L4 slots: not ours, so the store faults. */
static const char *test_foreign_frame(char *why, size_t len)
{
    const volatile uint64_t *l4 = (const volatile uint64_t *)start_info->pt_base;
    uint64_t mfn = 0;
    for (unsigned int i = 256; i < 272 && !mfn; i++) {
        uint64_t m = (l4[i] & PTE_ADDR) >> 12, pfn = m2p()[m];
        if ((l4[i] & PTE_P) && !(pfn < start_info->nr_pages && pfn_to_mfn(pfn) == m))
            mfn = m;
    }
    if (!mfn)
        return fail(why, len, "no hypervisor frame in L4 slots 256-271");
    store8(entry(1), mfn << 12 | PTE_P | PTE_U | PTE_A);
    CHECK(want_pf(why, len, "mapping a hypervisor frame", PFEC_PW, entry(1)));
    return want_entry(why, len, "hypervisor frame", 1, 0);
}

/* A page table may be mapped read-only, never writable. */
static const char *test_table_writable(char *why, size_t len)
{
    uint64_t l1 = pte_maddr(TEST_VA, 1) >> 12;
    store8(entry(1), l1 << 12 | PTE_DATA);
    CHECK(want_pf(why, len, "mapping the L1 writable", PFEC_PW, entry(1)));
    CHECK(want_entry(why, len, "L1 writable", 1, 0));
    store8(entry(1), l1 << 12 | PTE_P | PTE_U | PTE_A);
    CHECK(want_no_fault(why, len, "mapping the L1 read-only"));
    CHECK(want_entry(why, len, "L1 read-only", 1, l1 << 12 | PTE_P | PTE_U | PTE_A));
    store8(entry(1), 0);
    return want_no_fault(why, len, "unmapping the L1");
}

/* Xen 4.17 emulates L1 writes only: a store to an L2 entry, even of 0, keeps its #PF. */
static const char *test_l2_write(char *why, size_t len)
{
    volatile uint64_t *l2e = pte_virt(TEST_VA, 2) + 1;
    if (*l2e != 0)
        return fail(why, len, "L2 entry after TEST_VA's is in use");
    store8(l2e, 0);
    return want_pf(why, len, "L2 store", PFEC_PW, l2e);
}

/*
 * Read-modify-write ops on an entry (Linux's clear_bit and set_bit on PTEs):
 * each runs once on a copy in ordinary memory and once on the entry; the
 * flags and the value must be the CPU's own.
 */
#define RMW(insn, ...)                                                                  \
    ({                                                                                  \
        uint64_t f_;                                                                    \
        last_exc.vector = ~0ull;                                                        \
        __asm__ volatile("lea 1f(%%rip), %%rcx\n\tmov %%rcx, exc_resume(%%rip)\n\t"     \
                         insn "\n1:\tpushfq\n\tpop %0\n\tmovq $0, exc_resume(%%rip)"     \
                         : "=r"(f_) : __VA_ARGS__ : "rcx", "memory", "cc");              \
        f_ & FLAGS_ARITH;                                                               \
    })

static uint64_t rmw_lock_and(volatile uint64_t *p) { return RMW("lock andq %2, (%1)", "r"(p), "r"(~PTE_RW)); }
static uint64_t rmw_lock_bts(volatile uint64_t *p) { return RMW("lock btsq $1, (%1)", "r"(p)); }
static uint64_t rmw_btr_reg(volatile uint64_t *p) { return RMW("btrq %2, (%1)", "r"(p), "r"(1ull)); }
static uint64_t rmw_lock_or(volatile uint64_t *p) { return RMW("lock orq $2, (%1)", "r"(p)); }
static uint64_t rmw_xor(volatile uint64_t *p) { return RMW("xorq %2, (%1)", "r"(p), "r"(PTE_RW)); }
static uint64_t rmw_add0(volatile uint64_t *p) { return RMW("addq $0, (%1)", "r"(p)); }
static uint64_t rmw_lock_btc_l(volatile uint64_t *p) { return RMW("lock btcl $1, (%1)", "r"(p)); }
static uint64_t rmw_andb(volatile uint64_t *p) { return RMW("andb $0xfd, (%1)", "r"(p)); }

#define FLAGS_CF 0x1ull                         /* the bit ops define only CF */

static const struct {
    const char *name;
    uint64_t (*fn)(volatile uint64_t *p);
    uint64_t flags;                             /* the flags the op defines */
} rmw_ops[] = {
    { "lock and (RW off)", rmw_lock_and, FLAGS_ARITH & ~0x10ull }, { "lock bts (RW on)", rmw_lock_bts, FLAGS_CF },
    { "btr reg (RW off)", rmw_btr_reg, FLAGS_CF }, { "btr reg again (no change)", rmw_btr_reg, FLAGS_CF },
    { "lock or (RW on)", rmw_lock_or, FLAGS_ARITH & ~0x10ull }, { "xor (RW off)", rmw_xor, FLAGS_ARITH & ~0x10ull },
    { "add 0 (no change)", rmw_add0, FLAGS_ARITH }, { "lock btcl (RW on)", rmw_lock_btc_l, FLAGS_CF },
    { "andb (RW off)", rmw_andb, FLAGS_ARITH & ~0x10ull },     /* AF is undefined after AND */
};

static const char *test_rmw_ops(char *why, size_t len)
{
    volatile uint64_t *e = entry(4);
    store8(e, map_a());
    CHECK(want_no_fault(why, len, "mapping entry 4"));
    for (unsigned int i = 0; i < ARRAY_SIZE(rmw_ops); i++) {
        volatile uint64_t copy = *e;
        uint64_t want_flags = rmw_ops[i].fn(&copy) & rmw_ops[i].flags;
        uint64_t flags = rmw_ops[i].fn(e) & rmw_ops[i].flags;
        CHECK(want_no_fault(why, len, rmw_ops[i].name));
        if (flags != want_flags || *e != copy)
            return fail(why, len, "%s: entry %#llx flags %#llx, want %#llx and %#llx", rmw_ops[i].name,
                        (unsigned long long)*e, (unsigned long long)flags, (unsigned long long)copy,
                        (unsigned long long)want_flags);
    }
    if (norm(*e) != (map_a() & ~PTE_RW))
        return fail(why, len, "entry 4 ends %#llx", (unsigned long long)*e);
    /* A register bit offset of 64 + 9 reaches bit 9 of the next entry. */
    uint64_t f = RMW("btsq %2, (%1)", "r"(e), "r"(64ull + 9));
    CHECK(want_no_fault(why, len, "bts into the next entry"));
    if ((f & 1) || *entry(5) != 0x200)
        return fail(why, len, "bts 73: CF %llu, entry 5 %#llx", (unsigned long long)(f & 1), (unsigned long long)*entry(5));
    f = RMW("btrq %2, (%1)", "r"(entry(6)), "r"(-64ll + 9));
    CHECK(want_no_fault(why, len, "btr back from the entry after"));
    if (!(f & 1) || *entry(5) != 0)
        return fail(why, len, "btr -55: CF %llu, entry 5 %#llx", (unsigned long long)(f & 1), (unsigned long long)*entry(5));
    /* An offset that reaches into the hypervisor's range: the CPU faults there itself, before any emulation. */
    const uint64_t hv = 0xffff800000001000ull;
    RMW("btsq %2, (%1)", "r"(e), "r"((int64_t)(hv - (uint64_t)e) * 8));
    CHECK(want_pf(why, len, "bts reaching the hypervisor's range", PFEC_PW, (void *)hv));
    store8(e, 0);
    return want_no_fault(why, len, "clearing entry 4");
}

/*
 * The other instructions that write memory, which Xen's emulator completes
 * too: NOT, NEG, INC, DEC, shifts and rotates, SETcc, on a not-present entry
 * (any value without P is accepted) so that every step is one Xen takes.
 * Each starts from flags it sets itself, so both runs see the same ones.
 */
#define FLAGS_KNOWN "cmp %%rcx, %%rcx\n\t"              /* ZF PF set, CF SF OF AF clear */
#define FLAGS_NOT_OF (FLAGS_ARITH & ~0x800ull)          /* OF is undefined after a shift by more than 1 */
#define FLAGS_NOT_AF (FLAGS_ARITH & ~0x10ull)
static uint64_t op_not(volatile uint64_t *p) { return RMW(FLAGS_KNOWN "lock notb 1(%1)", "r"(p)); }
static uint64_t op_neg(volatile uint64_t *p) { return RMW(FLAGS_KNOWN "negq (%1)", "r"(p)); }
static uint64_t op_inc(volatile uint64_t *p) { return RMW(FLAGS_KNOWN "stc\n\tlock incb 1(%1)", "r"(p)); }
static uint64_t op_dec(volatile uint64_t *p) { return RMW(FLAGS_KNOWN "decw 2(%1)", "r"(p)); }
static uint64_t op_shl(volatile uint64_t *p) { return RMW(FLAGS_KNOWN "shlq $4, (%1)", "r"(p)); }
static uint64_t op_shr_cl(volatile uint64_t *p) { return RMW(FLAGS_KNOWN "mov $3, %%cl\n\tshrq %%cl, (%1)", "r"(p)); }
static uint64_t op_sar1(volatile uint64_t *p) { return RMW(FLAGS_KNOWN "sarw 4(%1)", "r"(p)); }
static uint64_t op_rol(volatile uint64_t *p) { return RMW(FLAGS_KNOWN "rolw $8, 2(%1)", "r"(p)); }
static uint64_t op_rcr(volatile uint64_t *p) { return RMW(FLAGS_KNOWN "stc\n\trcrw $1, 2(%1)", "r"(p)); }
static uint64_t op_rcl(volatile uint64_t *p) { return RMW(FLAGS_KNOWN "stc\n\trclb $3, 3(%1)", "r"(p)); }
static uint64_t op_shl0(volatile uint64_t *p) { return RMW(FLAGS_KNOWN "xor %%ecx, %%ecx\n\tshlq %%cl, (%1)", "r"(p)); }
static uint64_t op_setc(volatile uint64_t *p) { return RMW(FLAGS_KNOWN "stc\n\tsetc 5(%1)", "r"(p)); }
static uint64_t op_setnz(volatile uint64_t *p) { return RMW(FLAGS_KNOWN "setnz 6(%1)", "r"(p)); }

static const struct {
    const char *name;
    uint64_t (*fn)(volatile uint64_t *p);
    uint64_t flags;                             /* the flags the op defines */
} more_ops[] = {
    { "lock notb", op_not, FLAGS_ARITH }, { "negq", op_neg, FLAGS_ARITH }, { "lock incb", op_inc, FLAGS_ARITH },
    { "decw", op_dec, FLAGS_ARITH }, { "shlq 4", op_shl, FLAGS_NOT_OF & FLAGS_NOT_AF },
    { "shrq cl=3", op_shr_cl, FLAGS_NOT_OF & FLAGS_NOT_AF }, { "sarw 1", op_sar1, FLAGS_NOT_AF },
    { "rolw 8", op_rol, 0x1ull }, { "rcrw 1 (CF in)", op_rcr, 0x801ull }, { "rclb 3 (CF in)", op_rcl, 0x1ull },
    { "shlq cl=0 (no change)", op_shl0, FLAGS_ARITH }, { "setc", op_setc, FLAGS_ARITH },
    { "setnz", op_setnz, FLAGS_ARITH },
};

static const char *test_more_ops(char *why, size_t len)
{
    volatile uint64_t *e = entry(7);
    store8(e, 0x5000);                          /* not present: a frame number, no P */
    CHECK(want_no_fault(why, len, "entry 7"));
    for (unsigned int i = 0; i < ARRAY_SIZE(more_ops); i++) {
        volatile uint64_t copy = *e;
        uint64_t want_flags = more_ops[i].fn(&copy) & more_ops[i].flags;
        if (copy & PTE_P)
            return fail(why, len, "%s would make entry 7 present (%#llx): the test is wrong", more_ops[i].name,
                        (unsigned long long)copy);
        uint64_t flags = more_ops[i].fn(e) & more_ops[i].flags;
        CHECK(want_no_fault(why, len, more_ops[i].name));
        if (flags != want_flags || *e != copy)
            return fail(why, len, "%s: entry %#llx flags %#llx, want %#llx and %#llx", more_ops[i].name,
                        (unsigned long long)*e, (unsigned long long)flags, (unsigned long long)copy,
                        (unsigned long long)want_flags);
    }
    store8(e, 0);
    return want_no_fault(why, len, "clearing entry 7");
}

/* XADD: the entry gets the sum (here RW added to a read-only mapping), the register the old entry. */
static const char *test_xadd(char *why, size_t len)
{
    volatile uint64_t *e = entry(8);
    uint64_t ro = map_a() & ~PTE_RW;
    store8(e, ro);
    CHECK(want_no_fault(why, len, "entry 8"));
    uint64_t v = PTE_RW;
    last_exc.vector = ~0ull;
    __asm__ volatile("lea 1f(%%rip), %%rcx\n\tmov %%rcx, exc_resume(%%rip)\n\t"
                     "lock xaddq %0, (%1)\n1:\tmovq $0, exc_resume(%%rip)"
                     : "+r"(v) : "r"(e) : "rcx", "memory", "cc");
    CHECK(want_no_fault(why, len, "lock xadd"));
    if (norm(v) != ro)
        return fail(why, len, "xadd gave the register %#llx, want %#llx", (unsigned long long)v, (unsigned long long)ro);
    CHECK(want_entry(why, len, "xadd", 8, map_a()));
    /* The mapping it made is writable now. */
    if (invlpg(TEST_VA + 8 * 4096))
        return fail(why, len, "INVLPG_LOCAL failed");
    ((volatile uint64_t *)(TEST_VA + 8 * 4096))[1] = 0x8badf00d;
    store8(e, 0);
    return want_no_fault(why, len, "clearing entry 8");
}

/* STOS and MOVS: a REP one repetition a fault (Xen's emulator has no string hooks here), DF backwards. */
static const char *test_string_stores(char *why, size_t len)
{
    struct { uint64_t rcx, rdi, rsi; } r = { 3, (uint64_t)entry(9), 0 };
    last_exc.vector = ~0ull;
    __asm__ volatile("lea 1f(%%rip), %%r11\n\tmov %%r11, exc_resume(%%rip)\n\t"
                     "rep stosq\n1:\tmovq $0, exc_resume(%%rip)"
                     : "+c"(r.rcx), "+D"(r.rdi) : "a"(0x7000ull) : "r11", "memory");
    CHECK(want_no_fault(why, len, "rep stosq"));
    for (unsigned int i = 9; i < 12; i++)
        CHECK(want_entry(why, len, "rep stosq", i, 0x7000));
    if (r.rcx != 0 || r.rdi != (uint64_t)entry(12))
        return fail(why, len, "rep stosq left rcx %llu rdi %#llx", (unsigned long long)r.rcx, (unsigned long long)r.rdi);
    /* Backwards under DF, a byte at a time. */
    r.rdi = (uint64_t)entry(11) + 1;
    last_exc.vector = ~0ull;
    __asm__ volatile("lea 1f(%%rip), %%r11\n\tmov %%r11, exc_resume(%%rip)\n\t"
                     "std\n\tstosb\n1:\tcld\n\tmovq $0, exc_resume(%%rip)"
                     : "+D"(r.rdi) : "a"(0x80ull) : "r11", "memory");
    CHECK(want_no_fault(why, len, "std; stosb"));
    CHECK(want_entry(why, len, "stosb", 11, 0x8000));
    if (r.rdi != (uint64_t)entry(11))
        return fail(why, len, "stosb under DF left rdi %#llx", (unsigned long long)r.rdi);
    /* MOVS of a mapping from ordinary memory. */
    static volatile uint64_t src[2];
    src[0] = map_b();
    r.rsi = (uint64_t)src, r.rdi = (uint64_t)entry(12);
    last_exc.vector = ~0ull;
    __asm__ volatile("lea 1f(%%rip), %%r11\n\tmov %%r11, exc_resume(%%rip)\n\t"
                     "movsq\n1:\tmovq $0, exc_resume(%%rip)"
                     : "+S"(r.rsi), "+D"(r.rdi) :: "r11", "memory");
    CHECK(want_no_fault(why, len, "movsq"));
    CHECK(want_entry(why, len, "movsq", 12, map_b()));
    if (r.rsi != (uint64_t)&src[1] || r.rdi != (uint64_t)entry(13))
        return fail(why, len, "movsq left rsi %#llx rdi %#llx", (unsigned long long)r.rsi, (unsigned long long)r.rdi);
    for (unsigned int i = 9; i < 13; i++)
        store8(entry(i), 0);
    return want_no_fault(why, len, "clearing entries 9-12");
}

/*
 * A store single-stepped (TF) is followed by #DB after it, as the CPU would
 * give; Xen 4.17 injects it without touching DR6. A stepped REP STOS traps
 * after its first repetition, on the instruction.
 */
static const char *test_single_step(char *why, size_t len)
{
    hypercall2(__HYPERVISOR_set_debugreg, 6, 0);
    uint64_t after = 0;
    last_exc.vector = ~0ull;
    __asm__ volatile("lea 1f(%%rip), %%r11\n\tmov %%r11, exc_resume(%%rip)\n\t"
                     "lea 2f(%%rip), %0\n\t"
                     "pushfq\n\torq $0x100, (%%rsp)\n\tpopfq\n\t"
                     "movq %2, (%1)\n"
                     "2:\tnop\n1:\tmovq $0, exc_resume(%%rip)"
                     : "=&r"(after) : "r"(entry(13)), "r"(0x9000ull) : "r11", "memory", "cc");
    uint64_t vec = last_exc.vector, rip = last_exc.rip;
    uint64_t dr6 = (uint64_t)hypercall1(__HYPERVISOR_get_debugreg, 6);
    if (vec != 1 || rip != after)
        return fail(why, len, "stepped store: vector %lld at %#llx, want #DB at %#llx", (long long)vec,
                    (unsigned long long)rip, (unsigned long long)after);
    CHECK(want_entry(why, len, "stepped store", 13, 0x9000));
    if (dr6 != 0xffff0ff0ull)
        return fail(why, len, "dr6 after the stepped store %#llx, want 0xffff0ff0", (unsigned long long)dr6);
    struct { uint64_t rcx, rdi; } r = { 2, (uint64_t)entry(14) };
    uint64_t at = 0;
    last_exc.vector = ~0ull;
    __asm__ volatile("lea 1f(%%rip), %%r11\n\tmov %%r11, exc_resume(%%rip)\n\t"
                     "lea 2f(%%rip), %2\n\t"
                     "pushfq\n\torq $0x100, (%%rsp)\n\tpopfq\n"
                     "2:\trep stosq\n1:\tmovq $0, exc_resume(%%rip)"
                     : "+c"(r.rcx), "+D"(r.rdi), "=&r"(at) : "a"(0xa000ull) : "r11", "memory", "cc");
    if (last_exc.vector != 1 || last_exc.rip != at || r.rcx != 1)
        return fail(why, len, "stepped rep stosq: vector %lld at %#llx rcx %llu, want #DB at %#llx, rcx 1",
                    (long long)last_exc.vector, (unsigned long long)last_exc.rip, (unsigned long long)r.rcx,
                    (unsigned long long)at);
    CHECK(want_entry(why, len, "stepped rep stosq", 14, 0xa000));
    CHECK(want_entry(why, len, "stepped rep stosq, second", 15, 0));
    store8(entry(13), 0);
    store8(entry(14), 0);
    return want_no_fault(why, len, "clearing entries 13-14");
}

/* Guest user mode storing to a page table: no emulation (Xen's is for the guest kernel), its #PF with U. */
void user_pte_store(void);
volatile uint64_t user_store_target;
__asm__(".text\n"
        "user_pte_store:\n\t"
        "lea 1f(%rip), %r11\n\tmov %r11, exc_resume(%rip)\n\t"
        "mov user_store_target(%rip), %r11\n\t"
        "movq $0x3000, (%r11)\n"
        "1:\tmovq $0, exc_resume(%rip)\n\t"
        "syscall\n\tud2\n");

static const char *test_user_store(char *why, size_t len)
{
    const char *what;
    int64_t rc = user_mode_setup(&what);
    if (rc)
        return fail(why, len, "user mode setup: %s: %lld", what, (long long)rc);
    user_store_target = (uint64_t)entry(15);
    last_exc.vector = ~0ull;
    enter_user(user_pte_store, user_stack_top());
    CHECK(want_pf(why, len, "user-mode store to an L1 entry", PFEC_PW | 0x4, entry(15)));
    if ((last_exc.cs & 3) != 3)
        return fail(why, len, "the #PF frame's cs %#llx is not user mode", (unsigned long long)last_exc.cs);
    return want_entry(why, len, "after the user store", 15, 0);
}

/* Racing writers: both vCPUs count up in one (non-present) entry by CMPXCHG, and swap frames in another. */
static volatile uint32_t race_go;

static void race_round(uint64_t mine)
{
    volatile uint64_t *counter = entry(5), *swap = entry(6);
    for (unsigned int i = 0; i < RACE_ROUNDS; i++) {
        uint64_t seen = *counter, next;
        do {
            next = seen + RACE_STEP;            /* stays not present, G never set */
        } while (!__atomic_compare_exchange_n(counter, &seen, next, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
        __atomic_exchange_n(swap, mine, __ATOMIC_SEQ_CST);
    }
}

static void race_job(void *arg)
{
    (void)arg;
    while (!atomic_read(&race_go))
        ;
    race_round(map_b());
}

static const char *test_racing_writers(char *why, size_t len)
{
    int64_t rc = smp_run(1, race_job, NULL);
    if (rc)
        return fail(why, len, "starting vCPU 1: %lld", (long long)rc);
    atomic_set(&race_go, 1);
    race_round(map_a());
    if (!smp_join(1))
        return fail(why, len, "vCPU 1 did not finish");
    CHECK(want_entry(why, len, "counter", 5, 2 * RACE_ROUNDS * RACE_STEP));
    if (norm(*entry(6)) != map_a() && norm(*entry(6)) != map_b())
        return fail(why, len, "swapped entry is %#llx", (unsigned long long)*entry(6));
    store8(entry(5), 0);
    store8(entry(6), 0);
    return want_no_fault(why, len, "clearing");
}

/* The assist is accepted; stores keep working with it. */
static const char *test_vm_assist(char *why, size_t len)
{
    int64_t rc = hypercall2(__HYPERVISOR_vm_assist, VMASST_CMD_enable, VMASST_TYPE_writable_pagetables);
    if (rc)
        return fail(why, len, "vm_assist(enable, writable_pagetables): %lld", (long long)rc);
    store8(pte, 0);
    CHECK(want_no_fault(why, len, "store with the assist"));
    return want_entry(why, len, "store with the assist", 0, 0);
}

DEFINE_TESTS(
    { "setup", test_setup },
    { "domu_needs_assist", test_domu_needs_assist },
    { "features", test_features },
    { "mov_maps", test_mov_maps },
    { "mov_clears", test_mov_clears },
    { "xchg", test_xchg },
    { "cmpxchg_success", test_cmpxchg_success },
    { "cmpxchg_failure", test_cmpxchg_failure },
    { "cmpxchg_half", test_cmpxchg_half },
    { "cmpxchg8b", test_cmpxchg8b },
    { "cmpxchg16b", test_cmpxchg16b },
    { "partial_writes", test_partial_writes },
    { "misaligned", test_misaligned },
    { "foreign_frame", test_foreign_frame },
    { "table_writable", test_table_writable },
    { "l2_write", test_l2_write },
    { "rmw_ops", test_rmw_ops },
    { "more_write_ops", test_more_ops },
    { "xadd", test_xadd },
    { "string_stores", test_string_stores },
    { "single_step", test_single_step },
    { "user_mode_store", test_user_store },
    { "racing_writers", test_racing_writers },
    { "vm_assist", test_vm_assist },
)
