/* Reference counts and validation of 64-bit PV guest page tables; pure, host-tested. */
#include <hv/tlbclock.h>
#include <public/errno.h>
#include <asm/pagetable.h>

static bool owned_by(const struct page_info *pg, const struct domain *d)
{
    return pg && pg->state == PGS_ALLOCATED && pg->owner == d->id;
}

int get_page(uint64_t mfn, const struct domain *d)
{
    struct page_info *pg = pfn_to_page(mfn);
    if (!owned_by(pg, d) || pg->count == UINT32_MAX)
        return -XEN_EINVAL;
    pg->count++;
    return 0;
}

void put_page(uint64_t mfn)
{
    struct page_info *pg = pfn_to_page(mfn);
    if (!pg || pg->count == 0)
        page_alloc_bug("put_page on a frame with no references", mfn);
    /*
     * A frame given back (or whose domain is gone) goes with its last
     * reference, and so do the references a paused validation of it holds.
     */
    if (--pg->count == 0 && (pg->owner == PAGE_OWNER_ORPHAN || (pg->flags & PGF_released))) {
        pt_abandon_partial(mfn);
        pv_page_unreferenced(mfn);
    }
}

/*
 * Takes the reference a present entry of a level-`level` table of d holds;
 * may adjust its flags. An L1 entry's frame must belong to pg_owner (d, or
 * a domain d controls when it maps foreign frames).
 */
static int get_entry_ref(struct domain *d, struct domain *pg_owner, unsigned int level, pte_t *e)
{
    if (!(*e & _PAGE_PRESENT))
        return 0;
    /* A link carries no cache attributes, PSE (no superpages) or G: Xen refuses them for every domain. */
    if (level > 1 && (*e & ~(PTE_ADDR_MASK | PT_LINK_FLAGS)))
        return -XEN_EINVAL;
    /* Guest kernels run in ring 3: every mapping is user; none may outlive a CR3 switch. */
    *e = (*e | _PAGE_USER) & ~_PAGE_GLOBAL;
    uint64_t mfn = pte_addr(*e) >> PAGE_SHIFT;

    if (level == 1) {
        /* Only the grant code writes grant entries (pt_grant_install). */
        if (*e & _PAGE_GNTTAB)
            return -XEN_EINVAL;
        /* Cache attributes (PWT, PCD, PAT) are for domains that drive devices, as on Xen. */
        if ((*e & (_PAGE_PWT | _PAGE_PCD | _PAGE_PSE)) && !pv_cache_control_permitted(pg_owner))
            return -XEN_EINVAL;
        if (owned_by(pfn_to_page(mfn), pg_owner))
            return *e & _PAGE_RW ? get_page_type(mfn, PGT_writable, pg_owner) : get_page(mfn, pg_owner);
        /*
         * Nothing exists beyond the machine's physical address width: no
         * domain may map it (-EPERM, as Xen's I/O permission check); an
         * address of all ones is Xen's invalid-frame pattern (-EINVAL).
         */
        if (mfn >> (pv_phys_addr_bits() - PAGE_SHIFT))
            return mfn == PTE_ADDR_MASK >> PAGE_SHIFT ? -XEN_EINVAL : -XEN_EPERM;
        /* I/O memory: both the frames' owner and the table's owner need the permission. */
        int rc = pv_iomem_check(pg_owner, mfn);
        return rc || pg_owner == d ? rc : pv_iomem_check(d, mfn);
    }
    /* Xen reports any table that cannot be linked as -EINVAL (busy only for mappings). */
    int rc = get_page_type(mfn, PGT_l1 + level - 2, d);
    return rc && rc != -XEN_ERESTART ? -XEN_EINVAL : rc;
}

/* Frames a guest entry can reference: allocated to a domain (or orphaned, still referenced). */
static bool guest_frame(const struct page_info *pg)
{
    return pg && pg->state == PGS_ALLOCATED && pg->owner != PAGE_OWNER_HYPERVISOR;
}

/*
 * Drops the reference present entry e of a level-`level` table held. With
 * `removed`, a translation through e may still be cached (a TLB entry for an
 * L1 entry's frame, a paging-structure cache entry for a lower table): the
 * frame is stamped first (hv/tlbclock.h), before the put may free it, and
 * is flushed from those CPUs before it changes type or is freed.
 */
static void put_entry_ref(unsigned int level, pte_t e, bool removed)
{
    if (!(e & _PAGE_PRESENT))
        return;
    uint64_t mfn = pte_addr(e) >> PAGE_SHIFT;
    struct page_info *pg = pfn_to_page(mfn);
    if (level == 1) {
        if (!guest_frame(pg) || (e & _PAGE_GNTTAB))
            return;                         /* I/O memory holds no reference, a grant entry none of its own */
        if (removed)
            tlbclock_stamp(pg);
        if (e & _PAGE_RW)
            put_page_type(mfn);
        else
            put_page(mfn);
        return;
    }
    if (removed)
        tlbclock_stamp(pg);
    put_page_type(mfn);
}

/* The entries may have been reachable until now (the table's last link or use just went): each is stamped. */
static void release_entries(uint64_t mfn, unsigned int level, unsigned int upto)
{
    const pte_t *t = pv_frame_ptr(mfn);
    for (unsigned int i = 0; i < upto; i++) {
        if (level == 4 && l4_slot_is_hypervisor(i))
            continue;
        put_entry_ref(level, t[i], true);
    }
}

/*
 * The first present entry in [i, end), or end (a multiple of four). An entry
 * that is not present takes nothing (get_entry_ref's first test), and most of
 * a table usually is empty: four entries a step, one branch for the four.
 */
static unsigned int next_present(const pte_t *t, unsigned int i, unsigned int end)
{
    ASSERT(end % 4 == 0 && end <= PT_ENTRIES);
    for (; i % 4 && i < end; i++)
        if (t[i] & _PAGE_PRESENT)
            return i;
    for (; i < end; i += 4)
        if ((t[i] | t[i + 1] | t[i + 2] | t[i + 3]) & _PAGE_PRESENT)
            break;
    for (; i < end; i++)
        if (t[i] & _PAGE_PRESENT)
            return i;
    return end;
}

/*
 * Validates entries [*from, 512) of a table. A long validation may stop at a
 * preemption point (or when a lower table it needs stops): it returns
 * -XEN_ERESTART with *from the first entry not yet done, the references of
 * the earlier ones still held. Any other failure releases every reference.
 */
static int validate_from(struct domain *d, uint64_t mfn, unsigned int level, unsigned int *from)
{
    pte_t *t = pv_frame_ptr(mfn);
    /* In runs of 32 entries, with a preemption point between two (as Xen, an L1 validates in one go). */
    for (unsigned int i = *from, end; i < PT_ENTRIES; i = end) {
        end = (i | 31) + 1;
        if (level > 1 && i > *from && hypercall_preempt_check()) {
            *from = i;
            return -XEN_ERESTART;
        }
        for (i = next_present(t, i, end); i < end; i = next_present(t, i + 1, end)) {
            if (level == 4 && l4_slot_is_hypervisor(i))
                continue;
            pte_t e = t[i];
            int rc = get_entry_ref(d, d, level, &e);
            if (rc == -XEN_ERESTART) {
                *from = i;
                return rc;
            }
            if (rc) {
                release_entries(mfn, level, i);
                return rc;
            }
            t[i] = e;
        }
    }
    if (level == 4)
        pv_init_l4_slots(t);                /* the guest's values there are ignored */
    return 0;
}

int pt_validate_table(struct domain *d, uint64_t mfn, unsigned int level)
{
    unsigned int from = 0;
    int rc = validate_from(d, mfn, level, &from);
    if (rc == -XEN_ERESTART) {
        release_entries(mfn, level, from);  /* a direct caller cannot resume: undo */
        rc = -XEN_EINVAL;
    }
    return rc;
}

void pt_abandon_partial(uint64_t mfn)
{
    struct page_info *pg = pfn_to_page(mfn);
    if (!pg || !(pg->type_info & PGT_partial))
        return;
    /*
     * The done entries may map the frame itself: held meanwhile, so their
     * release cannot free it (and abandon it again) from inside. A frame
     * left unreferenced is the caller's to free.
     */
    pg->count++;
    release_entries(mfn, page_type(pg) - PGT_l1 + 1, pg->partial);
    pg->count--;
    pg->type_info = PGT_none;
    pg->partial = 0;
}

void pt_relinquish_table(uint64_t mfn, unsigned int level)
{
    struct page_info *pg = pfn_to_page(mfn);
    if (!pg || page_type(pg) != PGT_l1 + level - 1)
        return;
    if (pg->type_info & PGT_partial) {
        pt_abandon_partial(mfn);
        return;
    }
    if (!page_type_count(pg))
        return;
    /* The frame keeps its type (and so a general reference): releasing its own entries cannot free it. */
    pte_t *t = pv_frame_ptr(mfn);
    for (unsigned int i = 0; i < PT_ENTRIES; i++) {
        if (level == 4 && l4_slot_is_hypervisor(i))
            continue;
        pte_t e = t[i];
        __atomic_store_n(&t[i], 0, __ATOMIC_RELEASE);
        put_entry_ref(level, e, true);
    }
}

int get_page_type(uint64_t mfn, unsigned int type, struct domain *d)
{
    int rc = get_page(mfn, d);
    if (rc)
        return rc;
    struct page_info *pg = pfn_to_page(mfn);

    if (page_type_count(pg) == 0) {
        /* A frame caught mid-validation (a table reaching itself) is refused. */
        if (pg->type_info & PGT_validating)
            goto refuse;
        unsigned int from = 0;
        if (pg->type_info & PGT_partial) {
            /* A preempted validation: only the same type may take it up again. */
            if (page_type(pg) != type)
                goto refuse;
            from = pg->partial;
        }
        /*
         * A new type: no CPU may still cache a removed translation of the
         * frame (a writable one would bypass the validation below; one
         * through it as a table would walk what becomes data). Taking the
         * same type again needs none, as on Xen: nothing could change the
         * frame's contents in between without taking another type.
         */
        if (type != pg->last_type) {
            if (pg->tlbflush_stamp)
                tlbclock_flush_stale(pg->tlbflush_stamp);
            pg->last_type = (uint8_t)type;
        }
        if (type >= PGT_l1 && type <= PGT_l4) {
            pg->type_info = type | PGT_validating;
            int rc = validate_from(d, mfn, type - PGT_l1 + 1, &from);
            if (rc == -XEN_ERESTART) {
                pg->type_info = type | PGT_partial;
                pg->partial = from;
                put_page(mfn);
                return rc;
            }
            if (rc) {
                pg->type_info = PGT_none;
                pg->partial = 0;
                goto refuse;
            }
        }
        pg->type_info = type | PGT_COUNT_ONE;
        pg->partial = 0;
        return 0;
    }
    if (page_type(pg) != type) {
        put_page(mfn);
        return -XEN_EBUSY;                  /* in use as something else, as Xen reports it */
    }
    if (page_type_count(pg) == (PGT_COUNT_MASK >> PGT_COUNT_SHIFT))
        goto refuse;
    pg->type_info += PGT_COUNT_ONE;
    return 0;
refuse:
    put_page(mfn);
    return -XEN_EINVAL;
}

void put_page_type(uint64_t mfn)
{
    struct page_info *pg = pfn_to_page(mfn);
    if (!pg || page_type_count(pg) == 0)
        page_alloc_bug("put_page_type on a frame with no typed references", mfn);
    pg->type_info -= PGT_COUNT_ONE;
    if (page_type_count(pg) == 0) {
        unsigned int type = page_type(pg);
        /* The last reference to a page table releases everything it referenced. */
        if (type >= PGT_l1 && type <= PGT_l4)
            release_entries(mfn, type - PGT_l1 + 1, PT_ENTRIES);
        pg->type_info = PGT_none;
    }
    put_page(mfn);
}

/*
 * pt_update_entry and pt_cmpxchg_entry: with expect, the entry is replaced
 * only if it still holds *expect (else *expect becomes what it holds and the
 * new entry's references are dropped again: -XEN_EAGAIN). Inlined into both:
 * mmu_update's path (expect NULL) folds the compare-and-exchange away.
 */
static __force_inline int update_entry(struct domain *d, struct domain *pg_owner, uint64_t mfn, unsigned int idx,
                                       pte_t new_e, bool preserve_ad, pte_t *expect, bool *flush)
{
    struct page_info *pg = pfn_to_page(mfn);
    if (!owned_by(pg, d) || idx >= PT_ENTRIES)
        return -XEN_EINVAL;
    unsigned int type = page_type(pg);
    if (type < PGT_l1 || type > PGT_l4 || page_type_count(pg) == 0 || (pg->type_info & PGT_validating)) {
        /* Not a page table: as on Xen, a plain write, if the frame may be writable. */
        if (expect)
            return -XEN_EINVAL;
        if (get_page_type(mfn, PGT_writable, d))
            return -XEN_EINVAL;
        ((uint64_t *)pv_frame_ptr(mfn))[idx] = new_e;
        put_page_type(mfn);
        return 0;
    }
    unsigned int level = type - PGT_l1 + 1;
    if (level == 4 && l4_slot_is_hypervisor(idx))
        return -XEN_EINVAL;

    pte_t *t = pv_frame_ptr(mfn);
    pte_t old = t[idx];
    if (level == 1 && pte_is_grant(old))
        return -XEN_EINVAL;                 /* no implicit unmap of a grant */
    if (preserve_ad)
        new_e |= old & (_PAGE_ACCESSED | _PAGE_DIRTY);      /* as Xen: the old bits are kept, not the new dropped */
    int rc = get_entry_ref(d, level == 1 ? pg_owner : d, level, &new_e);
    if (rc)
        return rc;
    if (expect) {
        /* The CPU may set A or D in the entry meanwhile: a real compare-and-exchange. */
        old = *expect;
        if (!__atomic_compare_exchange_n(&t[idx], &old, new_e, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
            put_entry_ref(level, new_e, false);     /* never stored: never cached */
            *expect = old;
            return -XEN_EAGAIN;
        }
    } else {
        __atomic_store_n(&t[idx], new_e, __ATOMIC_RELEASE);
    }
    /* Removed or narrowed (NX and cache changes do not count): the old frame is stamped. */
    bool removed = (old & _PAGE_PRESENT) && (!(new_e & _PAGE_PRESENT) || pte_addr(new_e) != pte_addr(old) ||
                                             ((old & _PAGE_RW) && !(new_e & _PAGE_RW)));
    put_entry_ref(level, old, removed);
    if (removed && flush)
        *flush = true;
    return 0;
}

int pt_update_entry(struct domain *d, struct domain *pg_owner, uint64_t mfn, unsigned int idx, pte_t new_e,
                    bool preserve_ad, bool *flush)
{
    return update_entry(d, pg_owner, mfn, idx, new_e, preserve_ad, NULL, flush);
}

int pt_cmpxchg_entry(struct domain *d, struct domain *pg_owner, uint64_t mfn, unsigned int idx, pte_t *expect,
                     pte_t new_e, bool *flush)
{
    return update_entry(d, pg_owner, mfn, idx, new_e, false, expect, flush);
}

/* The entry array of d's validated L1 table l1_mfn, or NULL. */
static pte_t *grant_l1(struct domain *d, uint64_t l1_mfn, unsigned int idx)
{
    struct page_info *pg = pfn_to_page(l1_mfn);
    if (!owned_by(pg, d) || idx >= PT_ENTRIES || page_type(pg) != PGT_l1 || !page_type_count(pg) ||
        (pg->type_info & PGT_validating))
        return NULL;
    return pv_frame_ptr(l1_mfn);
}

int pt_grant_install(struct domain *d, uint64_t l1_mfn, unsigned int idx, pte_t e, bool *flush)
{
    pte_t *t = grant_l1(d, l1_mfn, idx);
    if (!t)
        return -XEN_EINVAL;
    pte_t old = t[idx];
    if (pte_is_grant(old))
        return -XEN_EBUSY;
    __atomic_store_n(&t[idx], e | _PAGE_GNTTAB | _PAGE_PRESENT | _PAGE_USER, __ATOMIC_RELEASE);
    put_entry_ref(1, old, true);
    if ((old & _PAGE_PRESENT) && flush)
        *flush = true;
    return 0;
}

int pt_grant_remove(struct domain *d, uint64_t l1_mfn, unsigned int idx, uint64_t mfn, bool *flush)
{
    pte_t *t = grant_l1(d, l1_mfn, idx);
    if (!t)
        return -XEN_EINVAL;
    pte_t old = t[idx];
    if (!pte_is_grant(old) || pte_addr(old) >> PAGE_SHIFT != mfn)
        return -XEN_EINVAL;
    __atomic_store_n(&t[idx], 0, __ATOMIC_RELEASE);
    if (flush)
        *flush = true;
    return 0;
}
