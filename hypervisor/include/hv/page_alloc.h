/* The machine frame table and the buddy allocator of free frames. */
#ifndef HV_PAGE_ALLOC_H
#define HV_PAGE_ALLOC_H

#include <hv/lib.h>

typedef uint64_t pfn_t;
#define INVALID_PFN     (~(pfn_t)0)
#define MAX_ORDER       18              /* largest block: 2^18 frames = 1 GiB */

enum page_state {
    PGS_RESERVED = 0,   /* not RAM, or never given to the allocator */
    PGS_FREE,           /* head of a free block of 2^order frames */
    PGS_FREE_TAIL,      /* inside a free block, not its head */
    PGS_ALLOCATED,      /* head of an allocated block of 2^order frames */
    PGS_ALLOCATED_TAIL, /* inside an allocated block */
};

/*
 * One per machine frame. Reference and type counts join this with the PV
 * memory work. Free-list links are frame numbers so the table stays small
 * (32 bytes a frame); an allocated frame's links are its owner's to use (a
 * domain chains the frames it owns through next). A frame enters the heap
 * (free_frames) only once no CPU's TLB can still reach it (hv/tlbclock.h).
 */
struct page_info {
    uint32_t next, prev;        /* free list of the block's order; valid while PGS_FREE */
    uint8_t state;              /* enum page_state */
    uint8_t order;              /* PGS_FREE / PGS_ALLOCATED heads */
    uint16_t owner;             /* allocated: domain id, or PAGE_OWNER_HYPERVISOR */
    uint32_t type_info;         /* PGT_* type of a guest frame, and flags */
    uint32_t count;             /* references to the frame (with the PV memory work) */
    uint8_t flags;              /* PGF_* */
    uint8_t last_type;          /* PGT_* it last took (type count 0 -> 1): another one needs a TLB check */
    uint16_t partial;           /* PGT_partial: entries validated (and referenced) so far */
    uint64_t tlbflush_stamp;    /* hv/tlbclock.h: when a translation of it was last removed; kept while free */
};

/* The domain gave the frame back while it was still referenced: it goes with the last reference. */
#define PGF_released    (1u << 0)
_Static_assert(sizeof(struct page_info) == 32, "page_info size");

/* Frame types (type_info & PGT_TYPE_MASK): a frame has one at a time. */
#define PGT_none        0u
#define PGT_l1          1u
#define PGT_l2          2u
#define PGT_l3          3u
#define PGT_l4          4u
#define PGT_seg_desc    5u
#define PGT_writable    6u
#define PGT_TYPE_MASK   0xfu
#define PGT_pinned      (1u << 4)   /* a guest pin holds one type reference */
#define PGT_validating  (1u << 5)   /* entries being validated: the type is not yet usable */
#define PGT_partial     (1u << 6)   /* validation was preempted after `partial` entries */

static inline bool page_is_pagetable(const struct page_info *pg)
{
    unsigned int t = pg->type_info & PGT_TYPE_MASK;
    return t >= PGT_l1 && t <= PGT_l4;
}

/* Owner of frames the hypervisor keeps for itself (the value of DOMID_XEN). */
#define PAGE_OWNER_HYPERVISOR   0x7ff2u
/* Owner of a frame whose domain is gone but which others still reference. */
#define PAGE_OWNER_ORPHAN       0x7ff3u

/* Takes over table[0..nr_frames), all reserved; frames become free only via add_range. */
void page_alloc_init(struct page_info *table, pfn_t nr_frames);
/* Points the allocator at the same table through a new virtual address. */
void page_alloc_move_table(struct page_info *table);
/* Gives [start, end) to the allocator; each frame must be reserved until now. */
void page_alloc_add_range(pfn_t start, pfn_t end);

/* 2^order contiguous, naturally aligned frames, or INVALID_PFN. */
pfn_t alloc_frames(unsigned int order);
/* Turns an allocated 2^order block into 2^order order-0 allocations, freed one by one. */
void page_alloc_split(pfn_t pfn, unsigned int order);
/* Returns a block from alloc_frames; a mismatched order or double free is a bug. */
void free_frames(pfn_t pfn, unsigned int order);

static inline pfn_t alloc_frame(void) { return alloc_frames(0); }
static inline void free_frame(pfn_t pfn) { free_frames(pfn, 0); }

uint64_t page_alloc_free_count(void);
uint64_t page_alloc_total_count(void);

/* The frame table (page_alloc_init's, moved by page_alloc_move_table) and its length: use pfn_to_page. */
extern struct page_info *frame_table;
extern pfn_t frame_table_nr;

/* pfn's entry, or NULL past the table. Inline: every page-table update takes a few. */
static inline struct page_info *pfn_to_page(pfn_t pfn)
{
    return pfn < frame_table_nr ? &frame_table[pfn] : NULL;
}

/* Called on a broken allocator invariant; the hypervisor panics, host tests abort. */
__noreturn void page_alloc_bug(const char *what, pfn_t pfn);

#endif
