/*
 * grant_table_op (hypercall 20), v1 tables as Xen 4.17 booted with
 * gnttab=max-ver:1: setup_table, query_size, set/get_version, map and unmap,
 * copy, swap_grant_ref, get_status_frames (none in v1), dump_table. Bookkeeping in grant_book.c, page tables in the arch.
 * Every operation runs under the frame lock, so counts, tables and page
 * tables agree whenever it is free.
 */
#include <hv/arch.h>
#include <hv/continuation.h>
#include <hv/frame.h>
#include <hv/grant_table.h>
#include <hv/hypercall.h>
#include <hv/printk.h>
#include <public/errno.h>

/* Xen's GNTTABOP_CONTINUATION_ARG_SHIFT: cmd bits above it are a continuation's, for cache_flush only. */
#define GNTTABOP_CMD_MASK   0xfffu

/* ---- environment of grant_book.c ------------------------------------------ */

#define GNTTAB_TABLE_ORDER  2
_Static_assert(sizeof(struct grant_table) <= (PAGE_SIZE << GNTTAB_TABLE_ORDER), "grant_table fits its block");

uint64_t gnttab_env_new_frame(struct domain *d, void **va)
{
    pfn_t pfn = alloc_frame();
    if (pfn == INVALID_PFN)
        return INVALID_PFN;
    /* As Xen's shared Xen pages: the domain's, writable for it, outside its pseudo-physical map and quota. */
    domain_adopt_page(d, pfn);
    d->xenheap_pages++;
    set_gpfn_from_mfn(pfn, ~0ull);
    if (get_page_type(pfn, PGT_writable, d))
        panic("grant table frame %#llx cannot be writable", (unsigned long long)pfn);
    *va = __va(pfn << PAGE_SHIFT);
    return pfn;
}

void *gnttab_env_alloc_page(void)
{
    pfn_t pfn = alloc_frame();
    if (pfn == INVALID_PFN)
        return NULL;
    void *p = __va(pfn << PAGE_SHIFT);
    memset(p, 0, PAGE_SIZE);
    return p;
}

void gnttab_env_free_page(void *p)
{
    free_frame(__pa(p) >> PAGE_SHIFT);
}

void gnttab_env_release_frame(struct domain *d, uint64_t mfn)
{
    (void)d;
    put_page_type(mfn);     /* the frame stays on d's list: its destruction frees it, or orphans it if mapped */
}

void gnttab_env_free_table(struct grant_table *gt)
{
    free_frames(__pa(gt) >> PAGE_SHIFT, GNTTAB_TABLE_ORDER);
}

/* ---- tables -------------------------------------------------------------- */

/*
 * d's table with at least its first frame (Xen gives every domain one at
 * creation; ours comes at the first use), or NULL without memory. d is
 * running (checked under the frame lock), so its destruction has not begun.
 */
static __noinline struct grant_table *table_first_use(struct domain *d)
{
    struct grant_table *gt = d->grant_table;
    if (!gt) {
        pfn_t pfn = alloc_frames(GNTTAB_TABLE_ORDER);
        if (pfn == INVALID_PFN)
            return NULL;
        gt = __va(pfn << PAGE_SHIFT);
        gnttab_table_init(gt, GNTTAB_MAX_FRAMES, GNTTAB_MAX_MAPTRACK_FRAMES);
        d->grant_table = gt;
    }
    if (!gt->nr_frames && gnttab_grow(gt, d, 1))
        return NULL;
    return gt;
}

/* Inline: every grant operation asks, and after the first use the answer is at hand. */
static inline struct grant_table *table_of(struct domain *d)
{
    ASSERT(frame_lock_held());
    struct grant_table *gt = d->grant_table;
    if (likely(gt && gt->nr_frames))
        return gt;
    return table_first_use(d);
}

static bool running(const struct domain *d)
{
    return __atomic_load_n(&d->state, __ATOMIC_ACQUIRE) == DOMAIN_RUNNING;
}

/* The domain a setup/query/dump names: the caller or one it controls. GNTST_* from the lookup's error. */
static int16_t lookup_controlled(struct domain *d, domid_t dom, struct domain **out)
{
    int rc = domain_lookup_held(d, dom, DOMAIN_RIGHT_CONTROL | DOMAIN_LOOKUP_SELF_ID, out);
    if (rc)
        return rc == -XEN_EPERM ? GNTST_permission_denied : GNTST_bad_domain;
    if (!running(*out)) {
        domain_put_held(d, *out);
        return GNTST_bad_domain;
    }
    return GNTST_okay;
}

/* A frame rd owns (a grant or copy may reach nothing else). */
static bool owned_by(uint64_t mfn, const struct domain *rd)
{
    const struct page_info *pg = pfn_to_page(mfn);
    return pg && pg->state == PGS_ALLOCATED && pg->owner == rd->id;
}

int gnttab_seed_entry(struct domain *d, grant_ref_t ref, domid_t grantee, uint64_t gfn, bool readonly)
{
    frame_lock();
    struct grant_table *gt = table_of(d);
    int rc = gt ? gnttab_fill_reserved(gt, ref, grantee, gfn, readonly) : -XEN_ENOMEM;
    frame_unlock();
    return rc;
}

/* ---- setup_table, query_size, set_version, get_version, dump_table ------- */

static int64_t setup_table(struct domain *d, uint64_t uop, unsigned int count)
{
    struct gnttab_setup_table op;
    if (count != 1)
        return -XEN_EINVAL;
    if (copy_from_guest(&op, uop, sizeof(op)))
        return -XEN_EFAULT;
    if (!guest_range_ok(op.frame_list, (uint64_t)op.nr_frames * sizeof(xen_pfn_t)))
        return -XEN_EFAULT;
    struct domain *rd;
    op.status = lookup_controlled(d, op.dom, &rd);
    if (op.status == GNTST_okay) {
        struct grant_table *gt = table_of(rd);
        if (!gt || op.nr_frames > gt->max_frames || gnttab_grow(gt, rd, op.nr_frames)) {
            op.status = GNTST_general_error;
        } else {
            for (unsigned int i = 0; i < op.nr_frames; i++) {
                xen_pfn_t mfn = gt->shared_mfn[i];
                if (copy_to_guest(op.frame_list + i * sizeof(mfn), &mfn, sizeof(mfn)))
                    op.status = GNTST_bad_virt_addr;
            }
        }
        domain_put_held(d, rd);
    }
    if (copy_to_guest(uop + offsetof(struct gnttab_setup_table, status), &op.status, sizeof(op.status)))
        return -XEN_EFAULT;
    return 0;
}

static int64_t query_size(struct domain *d, uint64_t uop, unsigned int count)
{
    struct gnttab_query_size op;
    if (count != 1)
        return -XEN_EINVAL;
    if (copy_from_guest(&op, uop, sizeof(op)))
        return -XEN_EFAULT;
    struct domain *rd;
    op.status = lookup_controlled(d, op.dom, &rd);
    if (op.status == GNTST_okay) {
        struct grant_table *gt = table_of(rd);
        if (gt) {
            op.nr_frames = gt->nr_frames;
            op.max_nr_frames = gt->max_frames;
        } else {
            op.status = GNTST_general_error;
        }
        domain_put_held(d, rd);
    }
    return copy_to_guest(uop, &op, sizeof(op)) ? -XEN_EFAULT : 0;
}

/* As Xen 4.17 with gnttab=max-ver:1: version 1 stays, 2 is -ENOSYS, anything else -EINVAL; version 1 is reported. */
static int64_t set_version(uint64_t uop)
{
    struct gnttab_set_version op;
    if (copy_from_guest(&op, uop, sizeof(op)))
        return -XEN_EFAULT;
    int64_t rc = op.version == 1 ? 0 : op.version == 2 ? -XEN_ENOSYS : -XEN_EINVAL;
    op.version = 1;
    return copy_to_guest(uop, &op, sizeof(op)) ? -XEN_EFAULT : rc;
}

static int64_t get_version(struct domain *d, uint64_t uop)
{
    struct gnttab_get_version op;
    if (copy_from_guest(&op, uop, sizeof(op)))
        return -XEN_EFAULT;
    struct domain *rd;
    int rc = domain_lookup_held(d, op.dom, DOMAIN_RIGHT_CONTROL | DOMAIN_LOOKUP_SELF_ID, &rd);
    if (rc)
        return rc;
    domain_put_held(d, rd);
    op.version = 1;
    return copy_to_guest(uop + offsetof(struct gnttab_get_version, version), &op.version, sizeof(op.version))
               ? -XEN_EFAULT : 0;
}

static int64_t dump_table(struct domain *d, uint64_t uop, unsigned int count)
{
    struct gnttab_dump_table op;
    if (count != 1)
        return -XEN_EINVAL;
    if (copy_from_guest(&op, uop, sizeof(op)))
        return -XEN_EFAULT;
    struct domain *rd;
    op.status = lookup_controlled(d, op.dom, &rd);
    if (op.status == GNTST_okay) {
        struct grant_table *gt = table_of(rd);
        if (gt) {
            printk("grant table of domain %u (%s): v%u, %u of %u frames, %u mappings held (%u maptrack frames)\n",
                   rd->id, rd->name, gt->version, gt->nr_frames, gt->max_frames, gt->maptrack_used,
                   gt->nr_maptrack_frames);
            for (grant_ref_t ref = 0; ref < gnttab_nr_entries(gt); ref++) {
                const struct grant_entry_v1 *e = gnttab_shared(gt, ref);
                const struct gnttab_active *act = gnttab_active(gt, ref);
                if (!e->flags && !act->pin)
                    continue;
                printk("  [%#05x] flags %#06x domid %5u frame %#010x  pin %#010x\n", ref, e->flags, e->domid,
                       e->frame, act->pin);
            }
        } else {
            op.status = GNTST_general_error;
        }
        domain_put_held(d, rd);
    }
    return copy_to_guest(uop + offsetof(struct gnttab_dump_table, status), &op.status, sizeof(op.status))
               ? -XEN_EFAULT : 0;
}

/* v1 has no status frames: asking for none succeeds, for any fails, as Xen 4.17 answers on a v1 table. */
static int64_t get_status_frames(struct domain *d, uint64_t uop, unsigned int count)
{
    struct gnttab_get_status_frames op;
    if (count != 1)
        return -XEN_EINVAL;
    if (copy_from_guest(&op, uop, sizeof(op)))
        return -XEN_EFAULT;
    struct domain *rd;
    op.status = lookup_controlled(d, op.dom, &rd);
    if (op.status == GNTST_okay) {
        if (op.nr_frames)
            op.status = GNTST_general_error;
        domain_put_held(d, rd);
    }
    return copy_to_guest(uop + offsetof(struct gnttab_get_status_frames, status), &op.status, sizeof(op.status))
               ? -XEN_EFAULT : 0;
}

/* Exchanges two entries of the caller's table that nothing pins. */
static int16_t swap_one(struct domain *d, grant_ref_t a, grant_ref_t b)
{
    struct grant_table *gt = table_of(d);
    if (!gt)
        return GNTST_general_error;
    if (a >= gnttab_nr_entries(gt) || b >= gnttab_nr_entries(gt))
        return GNTST_bad_gntref;
    if (a == b)
        return GNTST_okay;
    if (gnttab_active(gt, a)->pin || gnttab_active(gt, b)->pin)
        return GNTST_eagain;
    uint64_t *ea = (uint64_t *)gnttab_shared(gt, a), *eb = (uint64_t *)gnttab_shared(gt, b);
    uint64_t t = __atomic_load_n(ea, __ATOMIC_RELAXED);
    __atomic_store_n(ea, __atomic_load_n(eb, __ATOMIC_RELAXED), __ATOMIC_RELAXED);
    __atomic_store_n(eb, t, __ATOMIC_RELAXED);
    return GNTST_okay;
}

/* ---- map and unmap -------------------------------------------------------- */

static void map_one(struct domain *d, struct gnttab_map_grant_ref *op)
{
    unsigned int flags = op->flags & (GNTMAP_device_map | GNTMAP_host_map | GNTMAP_readonly |
                                      GNTMAP_application_map | GNTMAP_contains_pte | GNTMAP_guest_avail_mask);
    bool ro = flags & GNTMAP_readonly;
    if (!(flags & (GNTMAP_device_map | GNTMAP_host_map))) {
        op->status = GNTST_bad_gntref;          /* as Xen reports a map that maps nothing */
        return;
    }
    struct domain *rd;
    if (domain_lookup_held(d, op->dom, 0, &rd)) {
        op->status = GNTST_bad_domain;
        return;
    }
    struct grant_table *lgt = table_of(d), *rgt = table_of(rd);
    if (!lgt || !rgt) {
        op->status = GNTST_general_error;       /* no memory for a table */
        domain_put_held(d, rd);
        return;
    }
    grant_handle_t h = gnttab_maptrack_get(lgt);
    if (h == GNTTAB_NO_HANDLE) {
        op->status = GNTST_no_device_space;     /* Xen's answer to a full maptrack */
        domain_put_held(d, rd);
        return;
    }
    uint32_t kinds = gnttab_pin_kinds(flags);
    uint64_t mfn;
    bool first;
    int16_t rc = (int16_t)gnttab_pin(rgt, op->ref, d->id, kinds, &mfn, &first);
    if (rc != GNTST_okay)
        goto put_handle;
    if (first) {
        /* PV: the entry's frame is a machine frame, which the granter must own. */
        if (!owned_by(mfn, rd)) {
            rc = GNTST_bad_page;
            goto unpin;
        }
        gnttab_pin_set_mfn(rgt, op->ref, mfn);
    }
    unsigned int got = 0;
    if ((flags & GNTMAP_device_map) && (rc = (int16_t)gnttab_get_frame(mfn, rd, ro)) == GNTST_okay)
        got |= GNTMAP_device_map;
    if (rc == GNTST_okay && (flags & GNTMAP_host_map)) {
        rc = (int16_t)gnttab_get_frame(mfn, rd, ro);
        if (rc == GNTST_okay) {
            got |= GNTMAP_host_map;
            rc = (int16_t)arch_gnttab_map(d, op->host_addr, mfn, flags);
        }
    }
    if (rc != GNTST_okay) {
        if (got & GNTMAP_device_map)
            gnttab_put_frame(mfn, ro);
        if (got & GNTMAP_host_map)
            gnttab_put_frame(mfn, ro);
        goto unpin;
    }
    struct gnttab_maptrack *m = &lgt->maptrack[h / GNTTAB_MAPTRACK_PER_FRAME][h % GNTTAB_MAPTRACK_PER_FRAME];
    m->dom = rd->id;
    m->ref = op->ref;
    m->granter = rd;                            /* keeps the reference the lookup took */
    m->host_addr = op->host_addr;
    m->mfn = mfn;
    m->flags = (uint16_t)(flags & (GNTMAP_device_map | GNTMAP_host_map | GNTMAP_readonly | GNTMAP_contains_pte));
    op->dev_bus_addr = mfn << PAGE_SHIFT;
    op->handle = h;
    op->status = GNTST_okay;
    return;
unpin:
    gnttab_unpin(rgt, op->ref, kinds);
put_handle:
    gnttab_maptrack_put(lgt, h);
    domain_put_held(d, rd);
    op->status = rc;
}

/* Drops one half (host or device) of mapping m: its frame references and pins. */
static void drop_half(struct gnttab_maptrack *m, unsigned int half)
{
    struct grant_table *rgt = m->granter->grant_table;
    bool ro = m->flags & GNTMAP_readonly;
    gnttab_put_frame(m->mfn, ro);
    if (rgt)
        gnttab_unpin(rgt, m->ref, gnttab_pin_kinds(half | (m->flags & GNTMAP_readonly)));
    m->flags &= (uint16_t)~half;
}

static int16_t unmap_one(struct domain *d, const struct gnttab_unmap_grant_ref *op)
{
    struct grant_table *lgt = d->grant_table;
    struct gnttab_maptrack *m = lgt ? gnttab_maptrack_lookup(lgt, op->handle) : NULL;
    if (!m)
        return GNTST_bad_handle;
    if (op->dev_bus_addr && op->dev_bus_addr != m->mfn << PAGE_SHIFT)
        return GNTST_bad_dev_addr;              /* Xen 4.17's answer (later Xen says general_error) */
    if (op->host_addr && (m->flags & GNTMAP_host_map)) {
        /* The entry must be where this mapping put it, and still be that grant mapping. */
        if (op->host_addr != m->host_addr || arch_gnttab_unmap(d, op->host_addr, m->mfn, m->flags) != GNTST_okay)
            return GNTST_general_error;
        drop_half(m, GNTMAP_host_map);
    }
    if (op->dev_bus_addr && (m->flags & GNTMAP_device_map))
        drop_half(m, GNTMAP_device_map);
    if (!(m->flags & (GNTMAP_host_map | GNTMAP_device_map))) {
        struct domain *rd = m->granter;
        gnttab_maptrack_put(lgt, op->handle);
        domain_put_held(d, rd);
    }
    return GNTST_okay;
}

/* ---- copy ------------------------------------------------------------------ */

/* One side of a copy, claimed: a frame with the references it needs (and a pin if named by grant). */
struct copy_side {
    struct domain *rd;
    struct grant_table *rgt;    /* set when pinned through a grant */
    grant_ref_t ref;
    uint64_t mfn;
    bool ro, held;
};

static int16_t copy_claim(struct domain *d, const struct gnttab_copy_ptr *p, bool by_gref, bool ro,
                          struct copy_side *s)
{
    s->ro = ro;
    /* As Xen: only DOMID_SELF itself may name a frame directly. */
    if (!by_gref && p->domid != DOMID_SELF)
        return GNTST_permission_denied;
    if (domain_lookup_held(d, p->domid, DOMAIN_LOOKUP_SELF_ID, &s->rd)) {
        s->rd = NULL;
        return GNTST_bad_domain;
    }
    if (!running(s->rd))
        return GNTST_bad_domain;
    if (by_gref) {
        struct grant_table *rgt = table_of(s->rd);
        bool first;
        if (!rgt)
            return GNTST_general_error;
        int16_t rc = (int16_t)gnttab_pin(rgt, p->u.ref, d->id, ro ? GNTPIN_HOST_RO : GNTPIN_HOST_RW, &s->mfn, &first);
        if (rc != GNTST_okay)
            return rc;
        s->rgt = rgt;
        s->ref = p->u.ref;
        if (first) {
            if (!owned_by(s->mfn, s->rd))
                return GNTST_bad_page;
            gnttab_pin_set_mfn(rgt, p->u.ref, s->mfn);
        }
    } else {
        s->mfn = p->u.gmfn;
        if (!owned_by(s->mfn, s->rd))
            return GNTST_bad_page;
    }
    if (gnttab_get_frame(s->mfn, s->rd, ro) != GNTST_okay)
        return GNTST_general_error;
    s->held = true;
    return GNTST_okay;
}

static void copy_release(struct domain *d, struct copy_side *s)
{
    if (s->held)
        gnttab_put_frame(s->mfn, s->ro);
    if (s->rgt)
        gnttab_unpin(s->rgt, s->ref, s->ro ? GNTPIN_HOST_RO : GNTPIN_HOST_RW);
    if (s->rd)
        domain_put_held(d, s->rd);
}

static int16_t copy_one(struct domain *d, const struct gnttab_copy *op)
{
    /* Only what copy_release looks at first (a whole-struct initializer is ten stores). */
    struct copy_side src, dst;
    src.rd = dst.rd = NULL;
    src.rgt = dst.rgt = NULL;
    src.held = dst.held = false;
    int16_t rc = copy_claim(d, &op->source, op->flags & GNTCOPY_source_gref, true, &src);
    if (rc == GNTST_okay)
        rc = copy_claim(d, &op->dest, op->flags & GNTCOPY_dest_gref, false, &dst);
    if (rc == GNTST_okay) {
        if ((unsigned int)op->source.offset + op->len > PAGE_SIZE ||
            (unsigned int)op->dest.offset + op->len > PAGE_SIZE)
            rc = GNTST_bad_copy_arg;
        else
            memmove((char *)__va(dst.mfn << PAGE_SHIFT) + op->dest.offset,
                    (const char *)__va(src.mfn << PAGE_SHIFT) + op->source.offset, op->len);
    }
    copy_release(d, &dst);
    copy_release(d, &src);
    return rc;
}

/* ---- the hypercall ---------------------------------------------------------- */

/* Batches: element i onward again later (a continuation), the guest's array advanced. */
static int64_t batch_continue(unsigned int cmd, uint64_t uop, size_t size, unsigned int i, unsigned int count)
{
    return hypercall_continue(__HYPERVISOR_grant_table_op, cmd, uop + i * size, count - i, 0, 0);
}

/* The batched ops: each element is the guest's struct, read, acted on, and its answer written back. */
static void map_elem(struct domain *d, void *op) { map_one(d, op); }
static void unmap_elem(struct domain *d, void *op)
{
    struct gnttab_unmap_grant_ref *u = op;
    u->status = unmap_one(d, u);
}
static void copy_elem(struct domain *d, void *op)
{
    struct gnttab_copy *c = op;
    c->status = copy_one(d, c);
}
static void swap_elem(struct domain *d, void *op)
{
    struct gnttab_swap_grant_ref *w = op;
    w->status = swap_one(d, w->ref_a, w->ref_b);
}

static const struct batch_kind {
    size_t size;                        /* the element's struct */
    size_t out_off, out_len;            /* what goes back: the status, or (map) the whole struct */
    void (*elem)(struct domain *d, void *op);
} batch_kinds[] = {
    /* A mapping whose answer cannot be written back stays: its handle is lost, as on Xen. */
    [GNTTABOP_map_grant_ref] = { sizeof(struct gnttab_map_grant_ref), 0, sizeof(struct gnttab_map_grant_ref), map_elem },
    [GNTTABOP_unmap_grant_ref] = { sizeof(struct gnttab_unmap_grant_ref), offsetof(struct gnttab_unmap_grant_ref, status),
                                   sizeof(int16_t), unmap_elem },
    [GNTTABOP_copy] = { sizeof(struct gnttab_copy), offsetof(struct gnttab_copy, status), sizeof(int16_t), copy_elem },
    [GNTTABOP_swap_grant_ref] = { sizeof(struct gnttab_swap_grant_ref), offsetof(struct gnttab_swap_grant_ref, status),
                                  sizeof(int16_t), swap_elem },
};

static int64_t run_batch(struct domain *d, unsigned int cmd, uint64_t uop, unsigned int count)
{
    const struct batch_kind *k = &batch_kinds[cmd];
    union {
        struct gnttab_map_grant_ref map;
        struct gnttab_unmap_grant_ref unmap;
        struct gnttab_copy copy;
        struct gnttab_swap_grant_ref swap;
    } op;
    ASSERT(k->elem && k->size <= sizeof(op));
    for (unsigned int i = 0; i < count; i++) {
        if (i && hypercall_preempt_check())
            return batch_continue(cmd, uop, k->size, i, count);
        uint64_t at = uop + i * k->size;
        if (copy_from_guest(&op, at, k->size))
            return -XEN_EFAULT;
        k->elem(d, &op);
        /* Most answers are a status alone: a copy of a size known here is one move. */
        const uint8_t *out = (const uint8_t *)&op + k->out_off;
        if (k->out_len == sizeof(int16_t) ? copy_to_guest(at + k->out_off, out, sizeof(int16_t))
                                          : copy_to_guest(at + k->out_off, out, k->out_len))
            return -XEN_EFAULT;
    }
    return 0;
}

int64_t do_grant_table_op(unsigned int cmd, uint64_t uop, unsigned int count)
{
    struct domain *d = current->domain;
    if ((int)count < 0)
        return -XEN_EINVAL;
    if (cmd & ~GNTTABOP_CMD_MASK)
        return -XEN_EINVAL;                     /* continuation bits belong to cache_flush, which x86 lacks */
    size_t size = cmd < ARRAY_SIZE(batch_kinds) ? batch_kinds[cmd].size : 0;
    /* A batch's whole array must be guest memory before any element is done (Xen's guest_handle_okay). */
    if (size && !guest_range_ok(uop, (uint64_t)count * size))
        return -XEN_EFAULT;

    int64_t rc;
    frame_lock_hypercall();                 /* (only ever a hypercall: interrupts are off) */
    switch (cmd) {
    case GNTTABOP_map_grant_ref:
    case GNTTABOP_unmap_grant_ref:
    case GNTTABOP_copy:
    case GNTTABOP_swap_grant_ref:
        rc = run_batch(d, cmd, uop, count);
        break;
    case GNTTABOP_setup_table:
        rc = setup_table(d, uop, count);
        break;
    case GNTTABOP_query_size:
        rc = query_size(d, uop, count);
        break;
    case GNTTABOP_set_version:
        rc = set_version(uop);
        break;
    case GNTTABOP_get_version:
        rc = get_version(d, uop);
        break;
    case GNTTABOP_dump_table:
        rc = dump_table(d, uop, count);
        break;
    case GNTTABOP_get_status_frames:
        rc = get_status_frames(d, uop, count);
        break;
    default:
        /* transfer and unmap_and_replace: not implemented. */
        rc = -XEN_ENOSYS;
        break;
    }
    frame_unlock_hypercall();
    return rc;
}

/* ---- the audit ---------------------------------------------------------- */

void gnttab_for_each_ref(const struct domain *d, void (*fn)(void *arg, uint64_t mfn, bool typed), void *arg)
{
    const struct grant_table *gt = d->grant_table;
    if (!gt)
        return;
    for (unsigned int f = 0; f < gt->nr_frames; f++)
        fn(arg, gt->shared_mfn[f], true);
    for (grant_handle_t h = 0; h < gt->nr_maptrack_frames * GNTTAB_MAPTRACK_PER_FRAME; h++) {
        const struct gnttab_maptrack *m = gnttab_maptrack_lookup(gt, h);
        if (!m)
            continue;
        bool typed = !(m->flags & GNTMAP_readonly);
        if (m->flags & GNTMAP_host_map)
            fn(arg, m->mfn, typed);
        if (m->flags & GNTMAP_device_map)
            fn(arg, m->mfn, typed);
    }
}
