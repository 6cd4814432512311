/*
 * The world pv/pagetable.c runs in on the host, shared by its unit test and
 * its fuzz target: a frame table over a fake RAM of NFRAMES frames, two
 * domains (domains[0] holding every right), the environment hooks pagetable.c calls,
 * and an independent recount of every frame's references (the oracle).
 * No cmocka here: each user supplies pt_world_fail().
 */
#ifndef UNIT_PT_WORLD_H
#define UNIT_PT_WORLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <public/errno.h>
#include <hv/tlbclock.h>
#include <asm/pagetable.h>

#define NFRAMES     256u
#define IO_MFN      0x1000u             /* from here on: I/O memory, outside RAM */
#define PHYS_BITS   40u                 /* the fake machine's physical address width */
#define BEYOND_MFN  (1ull << (PHYS_BITS - PAGE_SHIFT))  /* the first frame past it */
#define ALLONES_MFN (PTE_ADDR_MASK >> PAGE_SHIFT)       /* every address bit set */
#define NO_PAGE     0xffffffffu         /* end of a domain's page list */

/* Reports a broken invariant of the world itself; does not return. */
_Noreturn void pt_world_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

extern struct page_info *ftable;
extern uint8_t *ram;
extern pfn_t hv_mfn;                    /* a frame the hypervisor keeps */

/* What the environment hooks saw. */
extern unsigned int l4_init_calls;
extern const pte_t *l4_init_last;
extern uint64_t unref[64];
extern unsigned int nr_unref;
extern unsigned int iomem_calls;
extern void (*iomem_hook)(uint64_t mfn);
/* Preemption points: hypercall_preempt_check() is true once every preempt_every calls (0: never). */
extern unsigned int preempt_every, preempt_calls;
/* tlbclock_flush_stale calls that flushed the world's one CPU (0); world_init leaves it just flushed. */
extern unsigned int tlb_flushes;

/* A fresh world: every RAM frame free but frame 0 (reserved) and hv_mfn. */
void world_init(void);
void world_fini(void);

/* What a guest L4's hypervisor slot i holds once validated. */
pte_t l4_marker(unsigned int i);
/* domain_adopt_page without its memset through the direct map; and its undoing. */
void adopt(struct domain *d, pfn_t pfn);
void unlink_page(struct domain *d, pfn_t pfn);
/* A zeroed frame owned by d. */
pfn_t frame_of(struct domain *d);
pfn_t some_free_frame(void);

static inline pte_t *tab(pfn_t mfn) { return pv_frame_ptr(mfn); }

/* True when p is a page table with typed references (fully validated). */
bool validated(pfn_t p);

/* A reference held outside the page tables: a pin, a base pointer, a mapping by the hypervisor. */
struct hold {
    pfn_t mfn;
    bool typed;
};

/*
 * Recounts, from the entries of every validated table, the entries already
 * validated of every preempted one, and the holds, what every frame's count
 * and type count must be, and checks the rules of every present entry, the
 * type of every frame, the domains' page lists and that no given-back frame
 * outlived its last reference. NULL when all is well, else what is wrong.
 */
const char *pt_recount(const struct hold *holds, size_t nholds);

/*
 * What pt_update_entry must have done to entry idx: refused (rc != 0) it is
 * unchanged; a plain write (the frame was no table) stores e; a removed or
 * narrowed mapping asks for a flush, and nothing removed asks for none.
 * NULL when so, else what is wrong.
 */
const char *pt_update_violation(int rc, bool was_table, pte_t old, pte_t now, pte_t e, bool flush);

#endif /* UNIT_PT_WORLD_H */
