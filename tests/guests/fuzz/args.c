/* The fuzzer's argument values: frames, PTEs, addresses and numbers aimed at boundaries. */
#include "fuzz.h"
#include "guest.h"
#include "mm.h"
#include "events.h"
#include <public/sched.h>
#include <public/xen.h>

uint64_t fuzz_state;
unsigned int fuzz_avoid;
struct fuzz_mem fm;

static uint8_t own_map[1u << 17];      /* our live kernel's frames, up to 4 GiB of RAM */

static void own_mark(uint64_t m, bool on)
{
    if (m / 8 < sizeof(own_map))
        own_map[m / 8] = (uint8_t)(on ? own_map[m / 8] | 1u << (m % 8) : own_map[m / 8] & ~(1u << (m % 8)));
}

/* Every frame of ours is protected but the ones the fuzzer may trash. */
void own_frames_note(void)
{
    for (uint64_t pfn = 0; pfn < start_info->nr_pages; pfn++)
        own_mark(pfn_to_mfn(pfn), true);
    for (unsigned int i = 0; i < fm.nr_pool; i++)
        own_mark(fm.pool[i], false);
    for (unsigned int i = 0; i < ARRAY_SIZE(fm.sac_table); i++)
        own_mark(fm.sac_table[i], false);
    for (unsigned int i = 0; i < SCR_PAGES; i++)
        own_mark(fm.scratch_mfn[i], false);
}

bool is_own(uint64_t mfn)
{
    return mfn / 8 < sizeof(own_map) && (own_map[mfn / 8] & (1u << (mfn % 8)));
}

static uint64_t own_mfn(void)
{
    return pfn_to_mfn(rnd(fm.first_free_pfn));
}

static uint64_t special_mfn(void)
{
    static const uint64_t fixed[] = { 0, 1, 0xa0, 0xb8, 0xfec00, 0xfee00, 0xfffff, 1ull << 40,
                                      (1ull << 40) - 1, (1ull << 52) - 1, 1ull << 52, ~0ull, ~0ull >> 1 };
    switch (rnd(3)) {
    case 0: return fm.max_mfn + rnd(3);
    case 1: return fm.max_mfn << rnd(30);
    default: return fixed[rnd(ARRAY_SIZE(fixed))];
    }
}

static uint64_t pick(unsigned int k)
{
    for (;;) {
        switch (k) {
        case MF_POOL: if (fm.nr_pool) return fm.pool[rnd(fm.nr_pool)]; break;
        case MF_SAC: return fm.sac_table[rnd(ARRAY_SIZE(fm.sac_table))];
        case MF_SCRATCH: return fm.scratch_mfn[rnd(SCR_PAGES)];
        case MF_OWN_PT: return virt_to_mfn((void *)(start_info->pt_base + rnd(start_info->nr_pt_frames) * PAGE_SIZE));
        case MF_OWN: return own_mfn();
        case MF_NEAR: return own_mfn() + rnd(9) - 4;
        case MF_SPECIAL: return special_mfn();
        case MF_SHINFO: return start_info->shared_info >> 12;
        default: return rnd(fm.max_mfn + 1);
        }
    }
}

static unsigned int pick_class(unsigned int classes)
{
    for (;;) {
        unsigned int k = 1u << rnd(9);
        if (classes & k)
            return k;
    }
}

uint64_t rand_mfn(unsigned int classes)
{
    return pick(pick_class(classes));
}

uint64_t rand_safe_mfn(unsigned int classes, unsigned int trusted)
{
    for (;;) {                      /* classes must hold at least one class that is not all ours */
        unsigned int k = pick_class(classes);
        uint64_t m = pick(k);
        if ((k & trusted) || !is_own(m))
            return m;
    }
}

/* PWT, PCD, PAT/PSE, G, the three software bits, bits 52-62 and NX, plus reserved address bits. */
static uint64_t rand_pte_flags(void)
{
    if (chance(2))                              /* half plain, so that many are accepted and build state */
        return PTE_P | PTE_U | PTE_A | (chance(2) ? PTE_RW | PTE_D : 0);
    uint64_t f = chance(8) ? 0 : PTE_P;
    if (chance(2)) f |= PTE_RW;
    if (!chance(8)) f |= PTE_U;
    if (chance(6)) f |= 1ull << 3;              /* PWT */
    if (chance(6)) f |= 1ull << 4;              /* PCD */
    if (chance(2)) f |= PTE_A;
    if (chance(3)) f |= PTE_D;
    if (chance(6)) f |= 1ull << 7;              /* PAT in an L1, PSE above */
    if (chance(6)) f |= 1ull << 8;              /* G */
    if (chance(4)) f |= rnd(8) << 9;
    if (chance(8)) f |= rnd(1u << 11) << 52;
    if (chance(4)) f |= 1ull << 63;             /* NX */
    if (chance(10)) f |= 1ull << (40 + rnd(12)); /* reserved address bits */
    return f;
}

uint64_t rand_pte(unsigned int level, unsigned int classes)
{
    if (chance(16))
        return chance(2) ? 0 : rnd64();
    /*
     * Our own frames appear only in L1 entries, read-only: a table entry
     * pointing at one of our live tables would alias our kernel under a
     * range the fuzzer remaps at random (update_va_mapping walks it).
     */
    if (chance(2))                              /* mostly frames we may trash: accepted, state to undo */
        classes &= MF_TRASH;
    uint64_t mfn = level == 1 ? rand_mfn(classes) : rand_safe_mfn(classes, 0);
    uint64_t pte = ((mfn << 12) & PTE_ADDR) | rand_pte_flags();
    if (level == 1 && is_own(mfn))
        pte &= ~PTE_RW;
    if (fuzz_avoid & AVOID_PTE) {
        if (level > 1)
            pte &= ~(3ull << 3);
        pte &= ~(0x7ffull << 40) | (0x7ffull << 52);
        if (mfn > fm.max_mfn)
            pte &= ~PTE_P;
    }
    return pte;
}

/* Free L4 slots: 3..255 and 272..510; slots 256..271 are the hypervisor's (refused). */
static uint64_t rand_l4_slot(void)
{
    switch (rnd(4)) {
    case 0: return 256 + rnd(16);
    case 1: return 1;
    case 2: return 272 + rnd(239);
    default: return 3 + rnd(253);
    }
}

uint64_t rand_pte_ptr(unsigned int *level)
{
    uint64_t ma;
    unsigned int t;
    *level = 0;                         /* unknown: the value obeys the rules of a table entry */
    switch (rnd(8)) {
    case 0: case 1: case 2: case 3:     /* an entry of a sacrificial table */
        t = (unsigned int)rnd(ARRAY_SIZE(fm.sac_table));
        ma = fm.sac_table[t] << 12 | rnd(512) * 8;
        *level = t >= 2 ? 1 : 0;
        break;
    case 4:                             /* a free slot of our L4 */
        ma = fm.l4_mfn << 12 | rand_l4_slot() * 8;
        break;
    case 5:                             /* pool frames (page tables once pinned) */
        ma = rand_mfn(MF_POOL) << 12 | rnd(512) * 8;
        break;
    case 6:                             /* foreign, free or bogus frames: refused */
        ma = rand_mfn(MF_BAD) << 12 | rnd(4096);
        break;
    default:
        ma = rand_word();
        break;
    }
    /* A valid update to one of our live tables could unmap us: aim at a sacrificial L1 instead. */
    if (is_own(ma >> 12)) {
        ma = fm.sac_table[2 + rnd(SAC_L1S)] << 12 | rnd(512) * 8;
        *level = 1;
    }
    return ma & ~3ull;
}

uint64_t rand_va(void)
{
    switch (rnd(10)) {
    case 0: case 1: case 2: case 3: case 4: case 5:
        return SAC_VA + rnd(SAC_BYTES / PAGE_SIZE + 16) * PAGE_SIZE;
    case 6: {
        uint64_t slot = rand_l4_slot();
        return slot << 39 | rnd(1ull << 27) << 12 | (slot >= 256 ? 0xffff000000000000ull : 0);
    }
    case 7:
        return SAC_VA + rnd(SAC_BYTES) ;       /* unaligned */
    case 8: {
        static const uint64_t refused[] = {
            0, 0x1000, HYPERVISOR_VIRT_START, 0xffff82d040200000ull, 0xffff87fffffff000ull,
            0x0000800000000000ull, 0xfffeffffffff0000ull, ~0ull & ~0xfffull,
        };
        return refused[rnd(ARRAY_SIZE(refused))];
    }
    default:                            /* random: almost always non-canonical */
        return rnd64();
    }
}

uint64_t unmapped_ptr(void)
{
    static const uint64_t fixed[] = {
        0, 1, 8, 0xfff, 0x1000,                                         /* slot 0 stays empty */
        HYPERVISOR_VIRT_START + 0x10000000000ull, 0xffff82d040000000ull, 0xffff82d040200000ull,
        0xffff830000000000ull, 0xffff830000001000ull, 0xffff87fffffff000ull,  /* its image, direct map */
        0x0000800000000000ull, 0x8000000000000000ull, 0xfffeffffffffffffull,  /* non-canonical */
        0x00007ffffffffff8ull, 0xfffffffffffffff8ull, ~0ull,
        SCR_END,                                                        /* the guard after scratch */
        SCR_VA + 0x40000000ull,                                         /* no L2 there */
        GUEST_VIRT_BASE + 0x3f000000ull,                                /* unmapped kernel range */
    };
    return fixed[rnd(ARRAY_SIZE(fixed))];
}

uint64_t bad_ptr(void)
{
    switch (rnd(5)) {
    case 0: return start_info->pt_base + rnd(start_info->nr_pt_frames * PAGE_SIZE);   /* read-only */
    case 1: return MACH2PHYS_VIRT_START + rnd(fm.max_mfn * 8);         /* read-only M2P */
    case 2: return SCR_END - rnd(64);                                   /* runs into the guard */
    default: return unmapped_ptr();
    }
}

uint64_t maybe_bad(void *p)
{
    return chance(10) ? unmapped_ptr() : (uint64_t)p;
}

uint64_t rand_domid(void)
{
    switch (rnd(6)) {
    case 0: case 1: return DOMID_SELF;
    case 2: return rnd(4);
    case 3: return 0x7ff0 + rnd(16);
    case 4: return rnd(1u << 16);
    default: return rnd64();
    }
}

uint64_t rand_port(void)
{
    static const uint64_t fixed[] = { 0, 1, 63, 64, 1023, 4095, 4096, 1u << 17, 0xffffffffull, ~0ull };
    return chance(2) ? rnd(16) : chance(2) ? rnd(4096) : fixed[rnd(ARRAY_SIZE(fixed))];
}

uint64_t rand_vcpu(void)
{
    static const uint64_t fixed[] = { 0, 0, 0, 1, 31, 32, 127, 128, 0xffffffffull, ~0ull };
    return fixed[rnd(ARRAY_SIZE(fixed))];
}

uint64_t rand_count(void)
{
    static const uint64_t fixed[] = { 0, 1, 2, 3, 7, 8, 127, 128, 255, 256, 511, 512, 513, 4096,
                                      0x7fffffff, 0x80000000ull, 0xffffffffull, 1ull << 32, ~0ull };
    return chance(2) ? rnd(9) : fixed[rnd(ARRAY_SIZE(fixed))];
}

uint64_t rand_deadline(void)
{
    uint64_t now = pvclock_now(), t;
    switch (rnd(8)) {
    case 0: t = 0; break;
    case 1: t = now - rnd(now + 1); break;
    case 2: t = now; break;
    case 3: t = now + rnd(1000000); break;
    case 4: t = now + (1ull << rnd(64)); break;
    case 5: t = 1ull << (50 + rnd(14)); break;
    case 6: t = ~0ull - rnd(4); break;
    default: t = rnd64(); break;
    }
    if (fuzz_avoid & AVOID_TIMER)
        t &= ~(1ull << 63);
    return t;
}

uint64_t rand_word(void)
{
    switch (rnd(6)) {
    case 0: return rnd(16);
    case 1: return 1ull << rnd(64);
    case 2: return (1ull << rnd(64)) - 1;
    case 3: return -(uint64_t)rnd(16);
    case 4: return unmapped_ptr();
    default: return rnd64();
    }
}

/* ---- scratch arena ---- */
static uint64_t arena_used, arena_high;

void *arena_alloc(uint64_t bytes)
{
    bytes = (bytes + 15) & ~15ull;
    if (arena_used + bytes > SCR_ARENA) {
        /* gen_multicall keeps ARENA_PER_CALL free per entry: this is a fuzzer bug. */
        printk("# fuzz: scratch arena overflow (%llu + %llu bytes)\n", (unsigned long long)arena_used,
               (unsigned long long)bytes);
        guest_shutdown(SHUTDOWN_crash);
    }
    void *p = (void *)(SCR_ARENA_VA + arena_used);
    arena_used += bytes;
    if (arena_used > arena_high)
        arena_high = arena_used;
    return p;
}

uint64_t arena_room(void)
{
    return SCR_ARENA - arena_used;
}

/* Zeroes what the last call used, and a page beyond for what the hypervisor wrote past it. */
void arena_reset(void)
{
    uint64_t n = arena_high + PAGE_SIZE;
    memset((void *)SCR_ARENA_VA, 0, n < SCR_ARENA ? n : SCR_ARENA);
    arena_used = arena_high = 0;
}

void *arena_tail(const void *p, uint64_t bytes)
{
    if (arena_used + bytes > SCR_ARENA)
        return NULL;
    void *t = (void *)(SCR_END - bytes);
    memcpy(t, p, bytes);
    arena_high = SCR_ARENA;             /* zeroed with the rest */
    return t;
}
