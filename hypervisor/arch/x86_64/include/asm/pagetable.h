/*
 * Guest page tables, validated: reference counting of machine frames and the
 * rules a 64-bit PV guest's page-table entries must follow. Pure logic over
 * the frame table (host-tested); the hypercalls live in pv/mm.c.
 *
 * Counts (in struct page_info):
 *   count       every reference: each mapping, each page-table link to a
 *               lower table, each pin, each use as a base pointer.
 *   type_info   the frame's type (PGT_*) and, in bits 8-31, how many of
 *               those references need that type: writable mappings for
 *               PGT_writable; links, pins and base-pointer uses for PGT_lN.
 *               A frame changes type only while its type count is 0, and a
 *               page table becomes one only after every entry validates.
 * Rules for a present entry (anything not present is always accepted):
 *   L1  maps a frame of the domain (dom0 also I/O memory outside RAM, but
 *       nothing beyond the machine's physical address width: -EPERM, and
 *       -EINVAL for an address of all ones, as Xen's get_page_from_l1e);
 *       cache attributes (PWT, PCD, PAT) only for dom0;
 *       writable only if that frame can be PGT_writable (never a page table
 *       or descriptor page); bits 52-62 are the guest's (software bits and
 *       protection keys, unused here), as on Xen; no superpages above.
 *       _PAGE_USER is forced on and _PAGE_GLOBAL stripped, as Xen does.
 *   L2  points at a frame of the domain that validates as an L1.
 *   L3  points at an L2.   L4  points at an L3 (guest slots only; the
 *       hypervisor's slots are ours and are refused).
 *   L2-L4 carry only PT_LINK_FLAGS (Xen's base_disallow_mask): PWT, PCD,
 *       PSE and G are -EINVAL for every domain.
 */
#ifndef ASM_PAGETABLE_H
#define ASM_PAGETABLE_H

#include <hv/domain.h>
#include <hv/frame.h>
#include <asm/page.h>

#define PGT_COUNT_SHIFT     8
#define PGT_COUNT_ONE       (1u << PGT_COUNT_SHIFT)
#define PGT_COUNT_MASK      (~0u << PGT_COUNT_SHIFT)

/* Flags an L2-L4 entry may carry: P, RW, U, A, D, NX and the software bits 9-11 and 52-62. */
#define PTE_AVAIL           _AC(0x0000000000000e00, UL)
#define PTE_AVAIL_HIGH      _AC(0x7ff0000000000000, UL)
#define PT_LINK_FLAGS       (_PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED | _PAGE_DIRTY | PTE_AVAIL | \
                             PTE_AVAIL_HIGH | _PAGE_NX)

/*
 * A grant mapping's L1 entry carries this software bit (Xen's _PAGE_GNTTAB,
 * bit 62). Its frame references belong to the grant (the mapper's maptrack
 * entry), not to the entry: the page-table code takes and drops none for it,
 * a guest can neither write such an entry (-EINVAL) nor overwrite or clear
 * one (-EINVAL: only GNTTABOP_unmap_grant_ref removes it).
 */
#define _PAGE_GNTTAB        _AC(0x4000000000000000, UL)
static inline bool pte_is_grant(pte_t e)
{
    return (e & (_PAGE_PRESENT | _PAGE_GNTTAB)) == (_PAGE_PRESENT | _PAGE_GNTTAB);
}

static inline unsigned int page_type(const struct page_info *pg) { return pg->type_info & PGT_TYPE_MASK; }
static inline unsigned int page_type_count(const struct page_info *pg) { return pg->type_info >> PGT_COUNT_SHIFT; }

/* Supplied by the environment: the hypervisor's direct map, or a host test's fake RAM. */
void *pv_frame_ptr(uint64_t mfn);
/* The last reference of a released or orphaned frame went: free it (environment hook). */
void pv_page_unreferenced(uint64_t mfn);
/* The machine's physical address width in bits (CPUID 0x80000008; environment hook). */
unsigned int pv_phys_addr_bits(void);
/* Writes the hypervisor's own slots into a guest L4 (environment hook). */
void pv_init_l4_slots(pte_t *l4);
/*
 * For a frame d does not own: 0 if d may map it as I/O memory (dom0: frames
 * outside RAM, and the first MiB, but not the hypervisor's own devices),
 * -XEN_EPERM for I/O memory it may not map, -XEN_EINVAL for RAM.
 */
int pv_iomem_check(struct domain *d, uint64_t mfn);
/* A new domain holds no granted I/O memory (one with DOMAIN_RIGHT_IOMEM holds it all regardless). */
void pv_iomem_init(struct domain *d);
/*
 * True when d drives devices: it has the I/O-memory right or holds any I/O
 * memory or port. It may then choose cache attributes and flush caches, as
 * Xen's l1_disallow_mask and cache_flush_permitted.
 */
bool pv_cache_control_permitted(struct domain *d);

/*
 * get_page/put_page and get_page_type/put_page_type (hv/frame.h): the first typed reference of a page-table
 * type validates every entry, taking their references; it fails with
 * -XEN_EINVAL if any entry breaks a rule and -XEN_EBUSY if the frame is in
 * use with another type. A long validation can be preempted: -XEN_ERESTART,
 * the frame keeps its progress (PGT_partial) and the next get_page_type of
 * the same type goes on from there (the caller arranges a continuation).
 */

/* Guest L4 slots the hypervisor keeps for itself (256..271). */
static inline bool l4_slot_is_hypervisor(unsigned int i) { return i >= 256 && i < 272; }

/*
 * Replaces entry idx of page-table frame mfn (level 1-4, already validated
 * and owned by d) with new_e (a frame of d that is no page table, and can be
 * writable, just gets the 8 bytes written, as on Xen): validates and references the new entry, then
 * releases the old. Returns 0 or
 * a negative Xen errno. New L1 entries map frames of pg_owner (d itself, or
 * the foreign domain dom0 works on; its I/O permission counts). With
 * preserve_ad the old A and D bits are ORed in. A mapping removed or
 * narrowed (RW to RO; NX or cache changes do not count) stamps the old
 * frame on the TLB-flush clock (hv/tlbclock.h): CPUs that may still cache
 * it are flushed before it changes type or is freed, not now. *flush (flush
 * may be NULL) is set when that happened.
 */
int pt_update_entry(struct domain *d, struct domain *pg_owner, uint64_t mfn, unsigned int idx, pte_t new_e,
                    bool preserve_ad, bool *flush);

/*
 * pt_update_entry as a compare-and-exchange, for a page-table frame: entry
 * idx becomes new_e only if it still holds *expect. Otherwise -XEN_EAGAIN,
 * *expect is what the entry holds, and nothing changed. -XEN_EINVAL for a
 * frame that is no page table.
 */
int pt_cmpxchg_entry(struct domain *d, struct domain *pg_owner, uint64_t mfn, unsigned int idx, pte_t *expect,
                     pte_t new_e, bool *flush);

/*
 * The L1 table (frame, entry index) that maps va in the running address
 * space (pv/mm.c): -XEN_EINVAL outside the guest range or where an upper
 * level is not present. Under the frame lock.
 */
int pv_find_l1(uint64_t va, uint64_t *l1_mfn, unsigned int *idx);

/*
 * Every TLB that may hold d's entries (pv/mm.c), for a removal that must be
 * gone when the call returns (a grant unmap). Under the frame lock.
 */
void pv_flush_domain_tlbs(const struct domain *d);

/*
 * A vCPU's base table (CR3 form) that it no longer uses is put (pv/mm.c):
 * stamped on the TLB-flush clock first, as an unlinked table, since a CPU
 * may walk it until its next CR3 write. Under the frame lock.
 */
void pv_put_base_table(uint64_t table);

/*
 * Grant mappings (pv/grant.c): entry idx of d's validated L1 table l1_mfn
 * becomes the grant entry e (present, _PAGE_GNTTAB set; its frame already
 * referenced by the grant); what it held before is released (and stamped,
 * as pt_update_entry; *flush, if flush is not NULL). -XEN_EINVAL (no
 * validated L1 of d, bad index), -XEN_EBUSY (it holds a grant already).
 */
int pt_grant_install(struct domain *d, uint64_t l1_mfn, unsigned int idx, pte_t e, bool *flush);
/* Clears entry idx if it is a grant mapping of mfn, else -XEN_EINVAL. Sets *flush (flush may be NULL): the caller flushes at once. */
int pt_grant_remove(struct domain *d, uint64_t l1_mfn, unsigned int idx, uint64_t mfn, bool *flush);

/* Validates a whole table as `level`, not preemptible (used by tests). */
int pt_validate_table(struct domain *d, uint64_t mfn, unsigned int level);

/*
 * Drops the references a preempted validation of mfn holds (its domain is
 * going, or the frame is given back). Never frees mfn itself: the caller
 * frees it if that left it unreferenced.
 */
void pt_abandon_partial(uint64_t mfn);

/*
 * Destruction: if mfn is a page table of `level` (1-4), drops the references
 * its entries hold and clears them (a preempted validation is abandoned).
 * Its own type and references stay: its domain is dying and nothing walks
 * it again. Done for every level from 1 up, no release cascades further
 * than one table, so destruction can stop between tables.
 */
void pt_relinquish_table(uint64_t mfn, unsigned int level);

/* Environment: true when the running hypercall should stop at its next safe point. */
bool hypercall_preempt_check(void);

#endif
