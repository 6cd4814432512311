/*
 * Grant tables v1: each domain's table (shared entries, active records,
 * maptrack of the mappings it holds), the bookkeeping of grant_book.c (pure,
 * host-tested) and the small arch interface that puts grant mappings in
 * page tables (x86-64 PV: pv/grant.c).
 */
#ifndef HV_GRANT_TABLE_H
#define HV_GRANT_TABLE_H

#include <hv/domain.h>
#include <public/grant_table.h>

#define GNTTAB_MAX_FRAMES           64u     /* Xen's default max_grant_frames */
#define GNTTAB_MAX_MAPTRACK_FRAMES  1024u   /* Xen's default max_maptrack_frames */
#define GNTTAB_PER_FRAME            (PAGE_SIZE / sizeof(struct grant_entry_v1))    /* 512 */

/*
 * Pin counts of an active entry, four 8-bit fields as Xen's: writable and
 * read-only mappings for the CPU (host) and for devices. A field at 0x80 or
 * above refuses further pins (no overflow).
 */
#define GNTPIN_HOST_RW      (1u << 0)
#define GNTPIN_HOST_RO      (1u << 8)
#define GNTPIN_DEV_RW       (1u << 16)
#define GNTPIN_DEV_RO       (1u << 24)
#define GNTPIN_WRITE_MASK   0x00ff00ffu     /* any writable pin */
#define GNTPIN_NEAR_FULL    0x80808080u

/*
 * One per grant ref of a table: what the granted frame is while pinned.
 * pin == 0: nothing uses the entry (domid and mfn are stale).
 */
struct gnttab_active {
    uint32_t pin;               /* GNTPIN_* counts */
    domid_t  domid;             /* the grantee that pinned it */
    uint16_t _pad;
    uint64_t mfn;               /* the granted frame, resolved at the first pin */
};
#define GNTTAB_ACTIVE_PER_FRAME (PAGE_SIZE / sizeof(struct gnttab_active))     /* 256 */

/*
 * One per mapping a domain holds (its handle is the index). flags == 0: free,
 * and next links the free list. A mapping of another domain's grant holds a
 * reference on that domain (so its id cannot be reused under us).
 */
struct gnttab_maptrack {
    uint16_t flags;             /* GNTMAP_* still mapped (host_map, device_map, readonly, contains_pte); 0 free */
    domid_t  dom;               /* granter */
    grant_ref_t ref;            /* its ref; free: next free handle */
    struct domain *granter;
    uint64_t host_addr;         /* VA (or PTE machine address) the host half is at */
    uint64_t mfn;               /* the granted frame */
};
#define GNTTAB_MAPTRACK_PER_FRAME (PAGE_SIZE / sizeof(struct gnttab_maptrack))  /* 128 */
#define GNTTAB_NO_HANDLE        0xffffffffu

struct grant_table {
    unsigned int version;                   /* always 1 */
    unsigned int nr_frames;                 /* shared frames allocated */
    unsigned int max_frames, max_maptrack_frames;
    unsigned int nr_maptrack_frames;
    uint32_t maptrack_free;                 /* head of the free handles, GNTTAB_NO_HANDLE if none */
    unsigned int maptrack_used;             /* handles in use */
    unsigned int relinquish_next;           /* destruction: the next handle to release */
    bool relinquish_frames_done;
    struct grant_entry_v1 *shared[GNTTAB_MAX_FRAMES];    /* the domain's frames, through the direct map */
    uint64_t shared_mfn[GNTTAB_MAX_FRAMES];
    struct gnttab_active *active[GNTTAB_MAX_FRAMES * GNTTAB_PER_FRAME / GNTTAB_ACTIVE_PER_FRAME];
    struct gnttab_maptrack *maptrack[GNTTAB_MAX_MAPTRACK_FRAMES];
};

/* ---- bookkeeping (common/grant_book.c, pure: host-tested) ----------------- */

/* Sets up an empty table (no frame yet) with the given limits. */
void gnttab_table_init(struct grant_table *gt, unsigned int max_frames, unsigned int max_maptrack_frames);
static inline unsigned int gnttab_nr_entries(const struct grant_table *gt)
{
    return gt->nr_frames * GNTTAB_PER_FRAME;
}
static inline struct grant_entry_v1 *gnttab_shared(const struct grant_table *gt, grant_ref_t ref)
{
    return &gt->shared[ref / GNTTAB_PER_FRAME][ref % GNTTAB_PER_FRAME];
}
static inline struct gnttab_active *gnttab_active(const struct grant_table *gt, grant_ref_t ref)
{
    return &gt->active[ref / GNTTAB_ACTIVE_PER_FRAME][ref % GNTTAB_ACTIVE_PER_FRAME];
}

/*
 * Grows the table to nr frames (<= max_frames): for each new one,
 * gnttab_env_new_frame gives a zeroed frame the domain owns. 0, or
 * -XEN_ENOMEM with the table as it was grown so far.
 */
int gnttab_grow(struct grant_table *gt, struct domain *d, unsigned int nr);

/*
 * Fills reserved entry ref (< GNTTAB_NR_RESERVED_ENTRIES) of a table with at
 * least one frame: gfn granted to grantee. 0, -XEN_EINVAL (not reserved, no
 * frame, gfn wider than 32 bits), -XEN_EBUSY (the entry is pinned).
 */
int gnttab_fill_reserved(struct grant_table *gt, grant_ref_t ref, domid_t grantee, uint64_t gfn, bool readonly);

/* A free handle (the maptrack grows a frame at a time up to its limit), or GNTTAB_NO_HANDLE. */
grant_handle_t gnttab_maptrack_get(struct grant_table *gt);
void gnttab_maptrack_put(struct grant_table *gt, grant_handle_t h);
/* The mapping of handle h, or NULL if h is out of range or free. */
struct gnttab_maptrack *gnttab_maptrack_lookup(const struct grant_table *gt, grant_handle_t h);

/*
 * Pins ref of granter table gt for domain `mapper` with the GNTPIN_* kinds
 * in `kinds` (all read-only or all writable), following the v1 protocol:
 * the first pin (and the first writable one) checks the shared entry
 * (GTF_permit_access, domid == mapper, not GTF_readonly for a writable pin)
 * and sets GTF_reading (and GTF_writing) by compare-and-exchange, retried a
 * few times against a guest racing us. *frame is the entry's frame at the
 * first pin (the caller resolves it and calls gnttab_pin_set_mfn), else the
 * mfn already pinned, and *first says which. GNTST_okay, GNTST_bad_gntref
 * (out of range) or GNTST_general_error (not granted so, unstable, counts
 * full).
 */
int gnttab_pin(struct grant_table *gt, grant_ref_t ref, domid_t mapper, uint32_t kinds, uint64_t *frame,
               bool *first);
void gnttab_pin_set_mfn(struct grant_table *gt, grant_ref_t ref, uint64_t mfn);
/* Drops pins taken by gnttab_pin; clears GTF_writing / GTF_reading in the shared entry as they end. */
void gnttab_unpin(struct grant_table *gt, grant_ref_t ref, uint32_t kinds);

/* The pin kinds of a mapping with GNTMAP_* flags (its host and device halves). */
static inline uint32_t gnttab_pin_kinds(unsigned int flags)
{
    bool ro = flags & GNTMAP_readonly;
    uint32_t k = 0;
    if (flags & GNTMAP_host_map)
        k += ro ? GNTPIN_HOST_RO : GNTPIN_HOST_RW;
    if (flags & GNTMAP_device_map)
        k += ro ? GNTPIN_DEV_RO : GNTPIN_DEV_RW;
    return k;
}

/*
 * Takes the frame references one half of a mapping holds (a general one,
 * and a writable type one unless read-only) on granter rd's frame mfn: 0 or
 * a GNTST_* error. gnttab_put_frame drops them.
 */
int gnttab_get_frame(uint64_t mfn, struct domain *rd, bool readonly);
void gnttab_put_frame(uint64_t mfn, bool readonly);

/*
 * Releases what mapping h of mapper `d` still holds (its PTE already gone or
 * abandoned): the granter's pins (if the granter's table still exists), the
 * frame references of each half, the reference on the granter, the handle.
 */
void gnttab_release_map(struct domain *d, struct grant_table *gt, grant_handle_t h);

/*
 * Destruction of d (its vCPUs are off every CPU): releases its mappings,
 * then the table's frames and memory, in bounded steps. -XEN_ERESTART while
 * work remains; afterwards d->grant_table is NULL.
 */
int gnttab_relinquish(struct domain *d);

/* Environment of grant_book.c: */
/* A zeroed frame owned by d for its table (shared writable with it), or INVALID_PFN. */
uint64_t gnttab_env_new_frame(struct domain *d, void **va);
/* A zeroed hypervisor page for active records or maptrack, or NULL; and its freeing. */
void *gnttab_env_alloc_page(void);
void gnttab_env_free_page(void *p);
/* Drops the table's hold on shared frame mfn (it goes with its last reference). */
void gnttab_env_release_frame(struct domain *d, uint64_t mfn);
/* Frees the grant_table itself. */
void gnttab_env_free_table(struct grant_table *gt);

/* ---- the hypercall and the domain's life (common/grant_table.c) ----------- */

int64_t do_grant_table_op(unsigned int cmd, uint64_t uop, unsigned int count);
/*
 * For the domain builder, as Xen's toolstack seeds refs 0 (console) and 1
 * (xenstore): gnttab_fill_reserved on d's table, grown to its first frame.
 * 0, -XEN_EINVAL, -XEN_EBUSY, -XEN_ENOMEM.
 */
int gnttab_seed_entry(struct domain *d, grant_ref_t ref, domid_t grantee, uint64_t gfn, bool readonly);
/* Calls fn for every frame reference d's table and mappings hold (the audit). Under the frame lock. */
void gnttab_for_each_ref(const struct domain *d, void (*fn)(void *arg, uint64_t mfn, bool typed), void *arg);

/* ---- arch: grant mappings in page tables (x86-64 PV: pv/grant.c) --------- */

/*
 * Installs a grant mapping of mfn for d, under the frame lock: at VA
 * host_addr of its current page tables (whose L1 must exist), or with
 * GNTMAP_contains_pte at the L1 entry whose machine address is host_addr
 * (an entry of one of d's validated L1 tables). Read-only with
 * GNTMAP_readonly. What the entry mapped before is released. GNTST_okay or
 * GNTST_general_error.
 */
int arch_gnttab_map(struct domain *d, uint64_t host_addr, uint64_t mfn, unsigned int flags);
/*
 * Removes it: the entry must be a grant mapping of mfn. Flushes d's TLBs
 * before it returns. GNTST_okay or GNTST_general_error.
 */
int arch_gnttab_unmap(struct domain *d, uint64_t host_addr, uint64_t mfn, unsigned int flags);

#endif
