/*
 * The frame-count audit: recounts, from every validated page table, pin,
 * base pointer, GDT and vcpu_info page, the references each frame should
 * hold, and compares them with its count and type count. It also checks the
 * rules those counts stand for: a page table is never mapped writable, and
 * a link always points at a table of the level below. Run when a domain
 * stops and when dom0 powers the machine off (audit=off turns it off).
 */
#include <hv/cmdline.h>
#include <hv/grant_table.h>
#include <hv/printk.h>
#include <asm/mm.h>
#include <asm/pagetable.h>
#include <asm/pv.h>

static bool opt_audit = true;
boot_param_bool("audit", opt_audit);

struct expect {
    uint32_t count, type_count;
};

static bool guest_frame(const struct page_info *pg)
{
    return pg && pg->state == PGS_ALLOCATED && pg->owner != PAGE_OWNER_HYPERVISOR;
}

static unsigned int problems;

static void problem(const char *what, uint64_t mfn, uint64_t detail)
{
    if (problems++ < 8)
        printk(LOG_ERR "AUDIT: %s: frame %#llx (%#llx)\n", what, (unsigned long long)mfn,
               (unsigned long long)detail);
}

/* One typed reference (and its general one) on mfn, which must have type `type`. */
static void expect_typed(struct expect *e, uint64_t mfn, unsigned int type, const char *what)
{
    struct page_info *pg = pfn_to_page(mfn);
    if (!guest_frame(pg)) {
        problem(what, mfn, 0);
        return;
    }
    if (page_type(pg) != type)
        problem("frame referenced with the wrong type", mfn, page_type(pg));
    e[mfn].count++;
    e[mfn].type_count++;
}

/* A reference a grant table or a grant mapping holds (gnttab_for_each_ref). */
static void expect_grant_ref(void *arg, uint64_t mfn, bool typed)
{
    struct expect *e = arg;
    if (typed) {
        expect_typed(e, mfn, PGT_writable, "grant frame or writable grant mapping");
    } else if (!guest_frame(pfn_to_page(mfn))) {
        problem("read-only grant mapping of a frame no domain owns", mfn, 0);
    } else {
        e[mfn].count++;
    }
}

/*
 * The frame after mfn that may be a guest's: a free block is passed over
 * whole (most of the machine is free: the audit runs at every domain's end).
 * Frames become a guest's or stop being one only under the frame lock we
 * hold, so a block head read as free while another CPU splits it holds at
 * most hypervisor frames, which the audit skips anyway.
 */
static uint64_t next_frame(uint64_t mfn)
{
    const struct page_info *pg = pfn_to_page(mfn);
    uint8_t state = __atomic_load_n(&pg->state, __ATOMIC_RELAXED), order = __atomic_load_n(&pg->order, __ATOMIC_RELAXED);
    if (state == PGS_FREE && order <= MAX_ORDER && !(mfn & ((1ull << order) - 1)))
        return mfn + (1ull << order);
    return mfn + 1;
}

static void scan_table(struct expect *e, uint64_t mfn, unsigned int level, unsigned int upto)
{
    const pte_t *t = pv_frame_ptr(mfn);
    for (unsigned int i = 0; i < upto; i++) {
        if (level == 4 && l4_slot_is_hypervisor(i))
            continue;
        pte_t x = t[i];
        if (!(x & _PAGE_PRESENT))
            continue;
        uint64_t target = pte_addr(x) >> PAGE_SHIFT;
        if (level > 1) {
            expect_typed(e, target, PGT_l1 + level - 2, "table link to a frame no domain owns");
            continue;
        }
        struct page_info *pg = pfn_to_page(target);
        if (!guest_frame(pg) || (x & _PAGE_GNTTAB))
            continue;                       /* I/O memory holds no reference, a grant entry none of its own */
        if (x & _PAGE_RW)
            expect_typed(e, target, PGT_writable, "writable mapping");
        else
            e[target].count++;
    }
}

void arch_audit_frames(const char *when)
{
    ASSERT(frame_lock_held());
    if (!opt_audit)
        return;
    uint64_t nframes = m2p_max_mfn() + 1;
    unsigned int order = 0;
    while ((PAGE_SIZE << order) < nframes * sizeof(struct expect))
        order++;
    pfn_t block = alloc_frames(order);
    if (block == INVALID_PFN) {
        printk(LOG_WARN "audit skipped (%s): no memory for it\n", when);
        return;
    }
    struct expect *e = __va(block << PAGE_SHIFT);
    memset(e, 0, PAGE_SIZE << order);
    problems = 0;

    for (uint64_t mfn = 0; mfn < nframes; mfn = next_frame(mfn)) {
        struct page_info *pg = pfn_to_page(mfn);
        if (!guest_frame(pg) || (pg->type_info & PGT_validating))
            continue;
        unsigned int type = page_type(pg);
        if (type >= PGT_l1 && type <= PGT_l4 && page_type_count(pg))
            scan_table(e, mfn, type - PGT_l1 + 1, PT_ENTRIES);
        else if (pg->type_info & PGT_partial)
            scan_table(e, mfn, type - PGT_l1 + 1, pg->partial);    /* a preempted validation's share */
        if (pg->type_info & PGT_pinned)
            expect_typed(e, mfn, type, "pinned frame");
    }
    for (unsigned int i = 0; i < MAX_DOMAINS; i++) {
        const struct domain *d = &domains[i];
        /* A stopped domain's references are counted until its destruction drops them (and clears the field). */
        if (d->state == DOMAIN_FREE || d->state == DOMAIN_CREATING)
            continue;
        const struct vcpu *v;
        for_each_vcpu(d, v) {
            const struct arch_vcpu *a = &v->arch;
            if (a->guest_table)
                expect_typed(e, a->guest_table >> PAGE_SHIFT, PGT_l4, "kernel base pointer");
            if (a->guest_table_user)
                expect_typed(e, a->guest_table_user >> PAGE_SHIFT, PGT_l4, "user base pointer");
            for (unsigned int f = 0; f * 512 < a->gdt_ents; f++)
                expect_typed(e, a->gdt_frames[f], PGT_seg_desc, "GDT frame");
            if (v->vcpu_info_mfn)
                expect_typed(e, v->vcpu_info_mfn, PGT_writable, "vcpu_info frame");
        }
        if (pirq_eoi_frame(d))
            expect_typed(e, pirq_eoi_frame(d), PGT_writable, "pirq EOI bitmap frame");
        if (d->shared_info_mfn != INVALID_PFN)
            expect_typed(e, d->shared_info_mfn, PGT_writable, "shared_info frame");
        gnttab_for_each_ref(d, expect_grant_ref, e);
    }
    for (uint64_t mfn = 0; mfn < nframes; mfn = next_frame(mfn)) {
        struct page_info *pg = pfn_to_page(mfn);
        if (!guest_frame(pg))
            continue;
        if (pg->count != e[mfn].count)
            problem("reference count differs from the references found", mfn,
                    ((uint64_t)pg->count << 32) | e[mfn].count);
        if (page_type_count(pg) != e[mfn].type_count)
            problem("type count differs from the typed references found", mfn,
                    ((uint64_t)page_type_count(pg) << 32) | e[mfn].type_count);
    }
    free_frames(block, order);
    if (problems)
        printk(LOG_ERR "AUDIT FAILED (%s): %u problem(s)\n", when, problems);
    else
        printk(LOG_DEBUG "audit (%s): every frame's counts match its references\n", when);
}
