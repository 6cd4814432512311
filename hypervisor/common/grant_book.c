/*
 * Grant-table bookkeeping: table growth, maptrack handles, pin counts and the
 * v1 flag protocol on shared entries, the references mappings hold, and the
 * release of a dying domain's mappings. Pure: host-tested (test_grant.c).
 */
#include <hv/frame.h>
#include <hv/grant_table.h>

void gnttab_table_init(struct grant_table *gt, unsigned int max_frames, unsigned int max_maptrack_frames)
{
    memset(gt, 0, sizeof(*gt));
    gt->version = 1;
    gt->max_frames = max_frames < GNTTAB_MAX_FRAMES ? max_frames : GNTTAB_MAX_FRAMES;
    gt->max_maptrack_frames =
        max_maptrack_frames < GNTTAB_MAX_MAPTRACK_FRAMES ? max_maptrack_frames : GNTTAB_MAX_MAPTRACK_FRAMES;
    gt->maptrack_free = GNTTAB_NO_HANDLE;
}

int gnttab_grow(struct grant_table *gt, struct domain *d, unsigned int nr)
{
    if (nr > gt->max_frames)
        return -XEN_EINVAL;
    while (gt->nr_frames < nr) {
        unsigned int f = gt->nr_frames;
        /* Active records for the new frame's entries first: a frame is usable only with them. */
        unsigned int per = GNTTAB_PER_FRAME / GNTTAB_ACTIVE_PER_FRAME;
        for (unsigned int a = f * per; a < (f + 1) * per; a++)
            if (!gt->active[a] && !(gt->active[a] = gnttab_env_alloc_page()))
                return -XEN_ENOMEM;
        void *va;
        uint64_t mfn = gnttab_env_new_frame(d, &va);
        if (mfn == INVALID_PFN)
            return -XEN_ENOMEM;
        gt->shared[f] = va;
        gt->shared_mfn[f] = mfn;
        gt->nr_frames = f + 1;
    }
    return 0;
}

int gnttab_fill_reserved(struct grant_table *gt, grant_ref_t ref, domid_t grantee, uint64_t gfn, bool readonly)
{
    if (ref >= GNTTAB_NR_RESERVED_ENTRIES || ref >= gnttab_nr_entries(gt) || gfn > UINT32_MAX)
        return -XEN_EINVAL;
    if (gnttab_active(gt, ref)->pin)
        return -XEN_EBUSY;
    /* As a granter must: frame and domid, a barrier, then the flags. */
    struct grant_entry_v1 *e = gnttab_shared(gt, ref);
    e->domid = grantee;
    e->frame = (uint32_t)gfn;
    __atomic_store_n(&e->flags, (uint16_t)(GTF_permit_access | (readonly ? GTF_readonly : 0)), __ATOMIC_RELEASE);
    return 0;
}

/* ---- maptrack ------------------------------------------------------------ */

static struct gnttab_maptrack *mt_entry(const struct grant_table *gt, grant_handle_t h)
{
    return &gt->maptrack[h / GNTTAB_MAPTRACK_PER_FRAME][h % GNTTAB_MAPTRACK_PER_FRAME];
}

grant_handle_t gnttab_maptrack_get(struct grant_table *gt)
{
    if (gt->maptrack_free == GNTTAB_NO_HANDLE) {
        if (gt->nr_maptrack_frames >= gt->max_maptrack_frames)
            return GNTTAB_NO_HANDLE;
        struct gnttab_maptrack *page = gnttab_env_alloc_page();
        if (!page)
            return GNTTAB_NO_HANDLE;
        grant_handle_t base = gt->nr_maptrack_frames * GNTTAB_MAPTRACK_PER_FRAME;
        /* Lowest handles first: the free list runs up the new frame. */
        for (unsigned int i = 0; i < GNTTAB_MAPTRACK_PER_FRAME; i++)
            page[i].ref = i + 1 < GNTTAB_MAPTRACK_PER_FRAME ? base + i + 1 : GNTTAB_NO_HANDLE;
        gt->maptrack[gt->nr_maptrack_frames++] = page;
        gt->maptrack_free = base;
    }
    grant_handle_t h = gt->maptrack_free;
    struct gnttab_maptrack *m = mt_entry(gt, h);
    gt->maptrack_free = m->ref;
    m->ref = 0;
    gt->maptrack_used++;
    return h;
}

void gnttab_maptrack_put(struct grant_table *gt, grant_handle_t h)
{
    struct gnttab_maptrack *m = mt_entry(gt, h);
    ASSERT(gt->maptrack_used);
    memset(m, 0, sizeof(*m));
    m->ref = gt->maptrack_free;
    gt->maptrack_free = h;
    gt->maptrack_used--;
}

struct gnttab_maptrack *gnttab_maptrack_lookup(const struct grant_table *gt, grant_handle_t h)
{
    if (h >= gt->nr_maptrack_frames * GNTTAB_MAPTRACK_PER_FRAME)
        return NULL;
    struct gnttab_maptrack *m = mt_entry(gt, h);
    return m->flags ? m : NULL;
}

/* ---- pins and the shared entry's flags ----------------------------------- */

/* How often a compare-and-exchange on a guest-written entry is retried before the guest is deemed racing us. */
#define GNTTAB_CMPXCHG_RETRIES  5

/* The shared entry's flags and domid as one 32-bit word (flags low, as the layout has them). */
static uint32_t *shared_word(const struct grant_table *gt, grant_ref_t ref)
{
    return (uint32_t *)gnttab_shared(gt, ref);
}

int gnttab_pin(struct grant_table *gt, grant_ref_t ref, domid_t mapper, uint32_t kinds, uint64_t *frame,
               bool *first)
{
    if (ref >= gnttab_nr_entries(gt))
        return GNTST_bad_gntref;
    struct gnttab_active *act = gnttab_active(gt, ref);
    bool writable = kinds & GNTPIN_WRITE_MASK;
    if (act->pin && (act->domid != mapper || (act->pin & GNTPIN_NEAR_FULL)))
        return GNTST_general_error;
    if (!act->pin || (writable && !(act->pin & GNTPIN_WRITE_MASK))) {
        uint32_t *w = shared_word(gt, ref);
        uint32_t old = __atomic_load_n(w, __ATOMIC_ACQUIRE);
        for (unsigned int tries = 0;; tries++) {
            uint16_t flags = (uint16_t)old, domid = (uint16_t)(old >> 16);
            /* A first pin checks whom the entry grants, and how (sub-page grants are v2: never mappable here). */
            if (!act->pin && ((flags & (GTF_type_mask | GTF_sub_page)) != GTF_permit_access || domid != mapper))
                return GNTST_general_error;
            uint32_t want = old | GTF_reading;
            if (writable) {
                if (flags & GTF_readonly)
                    return GNTST_general_error;
                want |= GTF_writing;
            }
            if (__atomic_compare_exchange_n(w, &old, want, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
                break;
            if (tries + 1 == GNTTAB_CMPXCHG_RETRIES)
                return GNTST_general_error;     /* the guest keeps changing it */
        }
    }
    *first = !act->pin;
    if (*first) {
        *frame = __atomic_load_n(&gnttab_shared(gt, ref)->frame, __ATOMIC_RELAXED);
        act->domid = mapper;
        act->mfn = INVALID_PFN;
    } else {
        *frame = act->mfn;
    }
    act->pin += kinds;
    return GNTST_okay;
}

void gnttab_pin_set_mfn(struct grant_table *gt, grant_ref_t ref, uint64_t mfn)
{
    gnttab_active(gt, ref)->mfn = mfn;
}

void gnttab_unpin(struct grant_table *gt, grant_ref_t ref, uint32_t kinds)
{
    struct gnttab_active *act = gnttab_active(gt, ref);
    ASSERT(ref < gnttab_nr_entries(gt) && act->pin >= kinds);
    act->pin -= kinds;
    uint16_t clear = 0;
    if ((kinds & GNTPIN_WRITE_MASK) && !(act->pin & GNTPIN_WRITE_MASK))
        clear |= GTF_writing;
    if (!act->pin)
        clear |= GTF_reading;
    if (clear)
        __atomic_fetch_and(&gnttab_shared(gt, ref)->flags, (uint16_t)~clear, __ATOMIC_RELEASE);
}

/* ---- frame references ---------------------------------------------------- */

int gnttab_get_frame(uint64_t mfn, struct domain *rd, bool readonly)
{
    int rc = readonly ? get_page(mfn, rd) : get_page_type(mfn, PGT_writable, rd);
    return rc ? GNTST_general_error : GNTST_okay;
}

void gnttab_put_frame(uint64_t mfn, bool readonly)
{
    if (readonly)
        put_page(mfn);
    else
        put_page_type(mfn);
}

void gnttab_release_map(struct domain *d, struct grant_table *gt, grant_handle_t h)
{
    struct gnttab_maptrack *m = gnttab_maptrack_lookup(gt, h);
    ASSERT(m);
    struct domain *rd = m->granter;
    bool ro = m->flags & GNTMAP_readonly;
    /* A granter being destroyed may have let its table go already: then only the frames matter. */
    if (rd->grant_table)
        gnttab_unpin(rd->grant_table, m->ref, gnttab_pin_kinds(m->flags));
    if (m->flags & GNTMAP_host_map)
        gnttab_put_frame(m->mfn, ro);
    if (m->flags & GNTMAP_device_map)
        gnttab_put_frame(m->mfn, ro);
    gnttab_maptrack_put(gt, h);
    if (rd != d)
        domain_put(rd);
}

/* Mappings released per destruction step. */
#define GNTTAB_RELEASE_BATCH    2048

int gnttab_relinquish(struct domain *d)
{
    struct grant_table *gt = d->grant_table;
    if (!gt)
        return 0;
    unsigned int limit = gt->nr_maptrack_frames * GNTTAB_MAPTRACK_PER_FRAME;
    for (unsigned int n = 0; gt->relinquish_next < limit; gt->relinquish_next++) {
        if (!gnttab_maptrack_lookup(gt, gt->relinquish_next))
            continue;
        if (n++ == GNTTAB_RELEASE_BATCH)
            return -XEN_ERESTART;
        /* Its page tables are going: the PTE is left to them (a grant PTE holds nothing of its own). */
        gnttab_release_map(d, gt, gt->relinquish_next);
    }
    /* Nobody pins d's entries any more but mappings other domains still hold: they keep just the frames. */
    for (unsigned int f = 0; f < gt->nr_frames; f++)
        gnttab_env_release_frame(d, gt->shared_mfn[f]);
    for (unsigned int a = 0; a < ARRAY_SIZE(gt->active) && gt->active[a]; a++)
        gnttab_env_free_page(gt->active[a]);
    for (unsigned int f = 0; f < gt->nr_maptrack_frames; f++)
        gnttab_env_free_page(gt->maptrack[f]);
    d->grant_table = NULL;
    gnttab_env_free_table(gt);
    return 0;
}
