/*
 * libFuzzer target: hypervisor/arch/x86_64/pv/pagetable.c, unchanged, in
 * the unit test's world (tests/unit/pt_world.c). The input is a sequence of
 * operations: entry writes with chosen frames, flags, levels and domains;
 * pins and unpins of each level, base pointers, typed and general
 * references and their puts; preemption of validations, their continuation
 * and abandon; frames given back, new frames, a domain destroyed. The
 * harness models what mm.c, memory_op.c and domain.c do around the pure
 * code. After every operation the independent recount (pt_recount) must
 * agree with every frame's counts, and at the end, with every reference
 * given back, nothing may be left anywhere. page_alloc_bug is a finding.
 */
#include <stdarg.h>
#include <string.h>
#include "fuzz.h"
#include "pt_world.h"

#define POOL        16u     /* frames the operations name; 12 start as dom0's, 4 as dom1's */
#define POOL_D0     12u
#define MAX_HOLDS   256u
#define MAX_OPS     256u    /* each followed by a full recount */

enum op {
    OP_UPDATE, OP_PIN, OP_UNPIN, OP_GET_TYPE, OP_GET, OP_PUT, OP_BASE, OP_PREEMPT,
    OP_CONTINUE, OP_ABANDON, OP_RELEASE, OP_ALLOC, OP_DESTROY, NR_OPS
};

/* Why a reference is held outside the page tables. */
enum hold_kind { HOLD_REF, HOLD_TYPED, HOLD_PIN, HOLD_BASE };

static pfn_t pool[POOL];
static struct hold holds[MAX_HOLDS];
static struct { uint8_t kind, dom; } hmeta[MAX_HOLDS];
static size_t nholds;
/* The last validation that was preempted, for OP_CONTINUE. */
static struct { bool pending, pin; pfn_t mfn; unsigned int type; uint8_t dom; } cont;

_Noreturn void pt_world_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "FUZZ FINDING: world: ");
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort();
}

void page_alloc_bug(const char *what, pfn_t pfn)
{
    FUZZ_CHECK(0, "page_alloc_bug(\"%s\", %#llx)", what, (unsigned long long)pfn);
}

/* The frame table as the last check saw it: an operation that changed nothing needs no recount. */
static struct page_info seen[NFRAMES];
static size_t seen_nholds;
static bool entry_written;

static bool changed(void)
{
    bool c = entry_written || nholds != seen_nholds || memcmp(seen, ftable, sizeof(seen));
    entry_written = false;
    return c;
}

static void check(const char *after)
{
    memcpy(seen, ftable, sizeof(seen));
    seen_nholds = nholds;
    const char *bad = pt_recount(holds, nholds);
    FUZZ_CHECK(!bad, "after %s: %s", after, bad);
    /* the pinned flag stands for exactly one pin hold */
    static uint8_t pins[NFRAMES];
    memset(pins, 0, sizeof(pins));
    for (size_t h = 0; h < nholds; h++)
        pins[holds[h].mfn] += hmeta[h].kind == HOLD_PIN;
    for (pfn_t p = 0; p < NFRAMES; p++)
        FUZZ_CHECK(pins[p] == !!(ftable[p].type_info & PGT_pinned), "after %s: frame %#llx: %u pins, type_info %#x",
                   after, (unsigned long long)p, pins[p], ftable[p].type_info);
}

/* ---- choosing frames, entries, domains from the input ----------------------- */

static pfn_t free_or_beyond(void)
{
    for (pfn_t p = 0; p < NFRAMES; p++)
        if (ftable[p].state == PGS_FREE)
            return p;
    return NFRAMES;
}

/* Mostly a pool frame; sometimes the hypervisor's, the reserved one, a free one, one past RAM, any. */
static pfn_t pick_frame(struct fuzz_in *in)
{
    uint8_t b = fuzz_u8(in);
    if (b < 0xf0)
        return pool[b % POOL];
    switch (b) {
    case 0xf0: return hv_mfn;
    case 0xf1: return 0;
    case 0xf2: return free_or_beyond();
    case 0xf3: return NFRAMES;
    default:   return fuzz_u8(in) % NFRAMES;
    }
}

static struct domain *pick_domain(uint8_t b) { return &domains[b & 1]; }

/* The domain that owns t, for operations a domain does on its own frames. */
static struct domain *owner_of(pfn_t t)
{
    return t < NFRAMES && ftable[t].owner < 2 ? &domains[ftable[t].owner] : &domains[0];
}

/* Entries worth a try: the first few, the preemption stride, the hypervisor's L4 slots, the last, past the end. */
static unsigned int pick_index(struct fuzz_in *in)
{
    static const unsigned int odd[16] = { 31, 32, 33, 63, 64, 255, 256, 257, 270, 271, 272, 273, 510, 511, 512, 0xffff };
    uint8_t b = fuzz_u8(in);
    return b < 0xf0 ? b & 7u : odd[b & 15];
}

static pte_t pick_entry(struct fuzz_in *in)
{
    uint8_t sel = fuzz_u8(in);
    if (sel >= 0xf0)
        return fuzz_u64(in);                            /* anything at all */
    uint64_t mfn;
    if (sel < 0xc0)
        mfn = pool[sel % POOL];
    else if (sel < 0xd0)
        mfn = IO_MFN + (sel & 15u);
    else if (sel == 0xd0)
        mfn = hv_mfn;
    else if (sel == 0xd1)
        mfn = free_or_beyond();
    else if (sel == 0xd2)
        mfn = 0;
    else
        mfn = fuzz_u8(in) % NFRAMES;
    uint8_t lo = fuzz_u8(in), hi = fuzz_u8(in);
    pte_t e = (mfn << PAGE_SHIFT) | lo;                 /* P RW US PWT PCD A D PSE/PAT */
    e |= (pte_t)(hi & 0xfu) << 8;                       /* G and the available bits 9-11 */
    if (hi & 0x10)
        e |= _PAGE_NX;
    if (hi & 0x20)
        e |= 0x3ffull << 52;                            /* the guest's bits */
    if (hi & 0x80)
        e |= _PAGE_GNTTAB;                              /* bit 62: a forged grant entry in an L1 */
    if (hi & 0x40)
        e |= 1ull << 51;                                /* beyond any frame here */
    return e;
}

/* ---- references held outside the tables ------------------------------------------ */

static void hold(pfn_t mfn, enum hold_kind kind, uint8_t dom)
{
    FUZZ_CHECK(nholds < MAX_HOLDS, "holds overflow");
    holds[nholds] = (struct hold){ mfn, kind != HOLD_REF };
    hmeta[nholds].kind = (uint8_t)kind;
    hmeta[nholds].dom = dom;
    nholds++;
}

static void drop(size_t h)
{
    struct hold x = holds[h];
    uint8_t kind = hmeta[h].kind;
    holds[h] = holds[nholds - 1];
    hmeta[h] = hmeta[nholds - 1];
    nholds--;
    if (kind == HOLD_PIN)
        ftable[x.mfn].type_info &= ~PGT_pinned;
    if (x.typed)
        put_page_type(x.mfn);
    else
        put_page(x.mfn);
}

static size_t find_hold(pfn_t mfn, enum hold_kind kind, uint8_t dom)
{
    for (size_t h = 0; h < nholds; h++)
        if (holds[h].mfn == mfn && hmeta[h].kind == kind && hmeta[h].dom == dom)
            return h;
    return MAX_HOLDS;
}

/* get_page_type as its callers use it: a preempted validation is remembered for OP_CONTINUE. */
static void typed_get(pfn_t t, unsigned int type, uint8_t dom, enum hold_kind kind)
{
    struct page_info *pg = pfn_to_page(t);
    if (kind == HOLD_PIN &&
        (!pg || pg->state != PGS_ALLOCATED || pg->owner != dom || (pg->type_info & PGT_pinned)))
        return;                                         /* mm.c refuses these before any reference */
    if (nholds == MAX_HOLDS)
        return;
    int rc = get_page_type(t, type, &domains[dom]);
    FUZZ_CHECK(rc == 0 || rc == -XEN_EINVAL || rc == -XEN_EBUSY || rc == -XEN_ERESTART,
               "get_page_type(%#llx, %u): %d", (unsigned long long)t, type, rc);
    if (rc == -XEN_ERESTART) {
        FUZZ_CHECK(type >= PGT_l1 && type <= PGT_l4 && preempt_every, "-ERESTART without preemption");
        cont.pending = true;
        cont.pin = kind == HOLD_PIN;
        cont.mfn = t;
        cont.type = type;
        cont.dom = dom;
        return;
    }
    if (rc)
        return;
    if (kind == HOLD_PIN)
        pg->type_info |= PGT_pinned;
    if (kind == HOLD_BASE) {
        size_t old = MAX_HOLDS;
        for (size_t h = 0; h < nholds; h++)
            if (hmeta[h].kind == HOLD_BASE && hmeta[h].dom == dom)
                old = h;
        hold(t, kind, dom);
        if (old != MAX_HOLDS)
            drop(old);                                  /* the old base goes after the new one is held */
        return;
    }
    hold(t, kind, dom);
}

/* ---- what mm.c, memory_op.c and domain.c do around the pure code -------------------- */

/* memory_op.c's release_frame: a pin goes with it; still referenced, it goes with its last reference. */
static void release(pfn_t t, uint8_t dom)
{
    struct page_info *pg = pfn_to_page(t);
    if (!pg || pg->state != PGS_ALLOCATED || pg->owner != dom || (pg->flags & PGF_released))
        return;
    pt_abandon_partial(t);
    size_t pin = find_hold(t, HOLD_PIN, dom);
    if (pin != MAX_HOLDS) {
        drop(pin);
        if (pg->state != PGS_ALLOCATED || pg->owner != dom)
            return;
    }
    if (pg->count) {
        pg->flags |= PGF_released;
    } else {
        unlink_page(&domains[dom], t);
        pg->owner = PAGE_OWNER_HYPERVISOR;
        pg->type_info = PGT_none;
        free_frame(t);
    }
}

/* What the callers of pt_abandon_partial do after it: free a given-back frame it left unreferenced. */
static void abandon(pfn_t t)
{
    pt_abandon_partial(t);
    struct page_info *pg = pfn_to_page(t);
    if (!pg || pg->state != PGS_ALLOCATED || pg->count || pg->owner == PAGE_OWNER_HYPERVISOR)
        return;
    if (pg->owner == PAGE_OWNER_ORPHAN || (pg->flags & PGF_released)) {
        if (pg->owner != PAGE_OWNER_ORPHAN)
            unlink_page(&domains[pg->owner], t);
        pg->owner = PAGE_OWNER_HYPERVISOR;
        pg->type_info = PGT_none;
        free_frame(t);
    }
}

/* domain.c's domain_free_pages for dom1: its references go, then its frames (orphans if still referenced). */
static void destroy_dom1(void)
{
    for (size_t h = nholds; h-- > 0;)
        if (hmeta[h].dom == 1)
            drop(h);                                    /* what moves into h was kept already */
    for (pfn_t p = 0; p < NFRAMES; p++)
        if (ftable[p].state == PGS_ALLOCATED && ftable[p].owner == 1)
            pt_abandon_partial(p);
    struct domain *d = &domains[1];
    while (d->page_list != INVALID_PFN) {
        pfn_t p = d->page_list;
        struct page_info *pg = pfn_to_page(p);
        unlink_page(d, p);
        if (pg->count) {
            pg->owner = PAGE_OWNER_ORPHAN;
            continue;
        }
        pg->owner = PAGE_OWNER_HYPERVISOR;
        pg->type_info = PGT_none;
        free_frame(p);
    }
    FUZZ_CHECK(d->tot_pages == 0, "dom1 destroyed with tot_pages %llu", (unsigned long long)d->tot_pages);
    if (cont.dom == 1)
        cont.pending = false;
}

/* ---- the operations ------------------------------------------------------------------ */

static void op_update(struct fuzz_in *in)
{
    pfn_t t = pick_frame(in);
    unsigned int idx = pick_index(in);
    pte_t e = pick_entry(in);
    uint8_t how = fuzz_u8(in);
    struct domain *d = owner_of(t);
    if (how & 1)
        d = &domains[!d->id];
    struct domain *pg_owner = how & 2 ? &domains[!d->id] : d;
    bool in_ram = t < NFRAMES && idx < PT_ENTRIES;
    bool was_table = t < NFRAMES && validated(t) && !(ftable[t].type_info & PGT_validating);
    pte_t old = in_ram ? tab(t)[idx] : 0;
    bool flush = false;
    int rc;
    if (how & 8) {
        /* compare-and-exchange (writable page tables): against the entry, or a value it may not hold */
        pte_t expect = how & 16 ? old : pick_entry(in), asked = expect;
        rc = pt_cmpxchg_entry(d, pg_owner, t, idx, &expect, e, &flush);
        FUZZ_CHECK(rc != -XEN_EAGAIN || (in_ram && was_table && asked != old && expect == old && !flush),
                   "pt_cmpxchg_entry: -EAGAIN expecting %#llx over %#llx, told %#llx", (unsigned long long)asked,
                   (unsigned long long)old, (unsigned long long)expect);
        FUZZ_CHECK(rc != 0 || asked == old, "pt_cmpxchg_entry replaced %#llx expecting %#llx", (unsigned long long)old,
                   (unsigned long long)asked);
        FUZZ_CHECK(rc != 0 || was_table, "pt_cmpxchg_entry wrote a frame that is no page table");
    } else {
        rc = pt_update_entry(d, pg_owner, t, idx, e, how & 4, &flush);
    }
    /* -ERESTART: a table being linked stopped validating halfway (mm.c retries the entry later) */
    FUZZ_CHECK(rc == 0 || rc == -XEN_EINVAL || rc == -XEN_EPERM || rc == -XEN_EBUSY || rc == -XEN_EAGAIN ||
                   (rc == -XEN_ERESTART && preempt_every && was_table && page_type(&ftable[t]) > PGT_l1),
               "pt_update_entry: %d", rc);
    entry_written |= rc == 0;
    if (in_ram) {
        const char *bad = pt_update_violation(rc, was_table, old, tab(t)[idx], e, flush);
        FUZZ_CHECK(!bad, "update of %#llx[%u] with %#llx: %s", (unsigned long long)t, idx, (unsigned long long)e, bad);
    }
}

static void step(enum op op, struct fuzz_in *in)
{
    static const unsigned int types[] = { PGT_l1, PGT_l2, PGT_l3, PGT_l4, PGT_seg_desc, PGT_writable };
    pfn_t t;
    uint8_t b;

    switch (op) {
    case OP_UPDATE:
        op_update(in);
        break;
    case OP_PIN:
        t = pick_frame(in);
        b = fuzz_u8(in);
        typed_get(t, PGT_l1 + (b >> 1) % 4, b & 1, HOLD_PIN);
        break;
    case OP_UNPIN: {
        t = pick_frame(in);
        size_t h = find_hold(t, HOLD_PIN, fuzz_u8(in) & 1);
        if (h != MAX_HOLDS)
            drop(h);
        break;
    }
    case OP_GET_TYPE:
        t = pick_frame(in);
        b = fuzz_u8(in);
        typed_get(t, types[(b >> 1) % 6], b & 1, HOLD_TYPED);
        break;
    case OP_GET:
        t = pick_frame(in);
        b = fuzz_u8(in);
        if (nholds < MAX_HOLDS && get_page(t, pick_domain(b)) == 0)
            hold(t, HOLD_REF, b & 1);
        break;
    case OP_PUT:
        b = fuzz_u8(in);
        if (nholds)
            drop(b % nholds);
        break;
    case OP_BASE:
        t = pick_frame(in);
        typed_get(t, PGT_l4, fuzz_u8(in) & 1, HOLD_BASE);
        break;
    case OP_PREEMPT:
        preempt_every = fuzz_u8(in) % 48;
        preempt_calls = 0;
        break;
    case OP_CONTINUE:
        if (cont.pending) {
            cont.pending = false;
            typed_get(cont.mfn, cont.type, cont.dom, cont.pin ? HOLD_PIN : HOLD_TYPED);
        }
        break;
    case OP_ABANDON:
        abandon(pick_frame(in));
        break;
    case OP_RELEASE:
        t = pick_frame(in);
        release(t, fuzz_u8(in) & 1);
        break;
    case OP_ALLOC: {
        b = fuzz_u8(in);
        if (free_or_beyond() < NFRAMES)
            pool[b % POOL] = frame_of(pick_domain(b >> 4));
        break;
    }
    case OP_DESTROY:
        destroy_dom1();
        break;
    case NR_OPS:
        break;
    }
}

/* The pool's frames after an operation: count, type, type count, flags. */
static void trace_step(const char *op)
{
    fprintf(stderr, "%-9s", op);
    for (unsigned int i = 0; i < POOL; i++) {
        const struct page_info *pg = &ftable[pool[i]];
        fprintf(stderr, " %u:%u/%u/%u%s%s%s", i, pg->count, page_type(pg), pg->type_info >> PGT_COUNT_SHIFT,
                pg->type_info & PGT_pinned ? "p" : "", pg->type_info & PGT_partial ? "~" : "",
                pg->state != PGS_ALLOCATED ? "f" : pg->owner == PAGE_OWNER_ORPHAN ? "o" : "");
    }
    fprintf(stderr, " holds %zu\n", nholds);
}

static const char *const op_names[NR_OPS] = {
    "update", "pin", "unpin", "get_type", "get", "put", "base", "preempt",
    "continue", "abandon", "release", "alloc", "destroy",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = { data, size };
    world_init();
    nholds = 0;
    cont.pending = false;
    for (unsigned int i = 0; i < POOL; i++)
        pool[i] = frame_of(&domains[i >= POOL_D0]);
    check("the start");

    static int trace = -1;                              /* FUZZ_TRACE=1: one line per operation */
    if (trace < 0)
        trace = getenv("FUZZ_TRACE") != NULL;
    for (unsigned int n = 0; in.n && n < MAX_OPS; n++) {
        enum op op = (enum op)(fuzz_u8(&in) % NR_OPS);
        step(op, &in);
        if (trace)
            trace_step(op_names[op]);
        if (changed())
            check(op_names[op]);
    }

    /* every reference given back, every paused validation abandoned: nothing may be left */
    preempt_every = 0;
    while (nholds)
        drop(nholds - 1);
    for (pfn_t p = 0; p < NFRAMES; p++)
        abandon(p);
    check("the end");
    for (pfn_t p = 0; p < NFRAMES; p++)
        FUZZ_CHECK(ftable[p].count == 0 && ftable[p].type_info == PGT_none,
                   "frame %#llx left with count %u type_info %#x", (unsigned long long)p, ftable[p].count,
                   ftable[p].type_info);
    return 0;
}
