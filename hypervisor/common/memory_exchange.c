/*
 * XENMEM_exchange (Xen 4.17's memory_exchange): a PV domain swaps frames it
 * owns for new ones of another extent order (Linux's
 * xen_create_contiguous_region: single frames for one machine-contiguous,
 * aligned extent, and back). Chunk by chunk, each all or nothing: the input
 * frames are taken off the domain, the output allocated, and only then is
 * the chunk committed; a failure puts the input back untouched and frees
 * the output. nr_exchanged (input extents) records progress for the caller
 * and for continuations.
 */
#include <hv/continuation.h>
#include <hv/hypercall.h>
#include <hv/arch.h>
#include <hv/frame.h>
#include <hv/memory.h>
#include <public/errno.h>
#include <public/memory.h>
#include "memory_exchange.h"

#define CHAIN_END           0xffffffffu    /* end of a chunk's private frame chain (page_info.next) */
/*
 * Xen 4.17's x86 defaults (max_order()): a domU 9; one that drives devices
 * (passthrough) or the hardware domain 12; the control domain
 * CONFIG_PAGEALLOC_MAX_ORDER, 20. Orders our allocator cannot give (above
 * MAX_ORDER) pass this check and fail as Xen's would, -ENOMEM.
 */
#define DOMU_MAX_ORDER      9
#define HWDOM_MAX_ORDER     12
#define CTLDOM_MAX_ORDER    20
#define MAX_NUMNODES        64             /* x86's NODES_SHIFT 6 */

static unsigned int max_order(const struct domain *d)
{
    if (domain_has_rights(d, DOMAIN_RIGHT_CONTROL))
        return CTLDOM_MAX_ORDER;
    if (domain_has_rights(d, DOMAIN_RIGHT_IOPORT) || domain_has_rights(d, DOMAIN_RIGHT_IOMEM))
        return HWDOM_MAX_ORDER;
    return DOMU_MAX_ORDER;
}

/* Xen's propagate_node: one node here, so a node is only checked, never used. */
static bool node_ok(const struct domain *caller, uint32_t flags)
{
    if (XENMEMF_get_node(flags) == 0xffu)            /* no node */
        return true;
    if (domain_has_rights(caller, DOMAIN_RIGHT_CONTROL) || domain_has_rights(caller, DOMAIN_RIGHT_IOPORT))
        return XENMEMF_get_node(flags) < MAX_NUMNODES;
    return !(flags & XENMEMF_exact_node_request);
}

/* The extents' list [from, from + count) must lie in guest space (Xen: guest_handle_subrange_okay). */
static bool list_ok(uint64_t base, uint64_t from, uint64_t last)
{
    if (from > last)
        return true;
    return guest_range_ok(base + from * sizeof(xen_pfn_t), (last - from + 1) * sizeof(xen_pfn_t));
}

/*
 * A frame d may give away (Xen's steal_page): allocated, d's, on no one's
 * list but d's, with no reference at all (mapped, pinned, a page table, a
 * grant table frame, shared_info, or another domain's mapping each hold one).
 */
static bool stealable(const struct domain *d, uint64_t mfn)
{
    const struct page_info *pg = pfn_to_page(mfn);
    return pg && pg->state == PGS_ALLOCATED && pg->owner == d->id && mfn != d->shared_info_mfn &&
           !(pg->flags & PGF_released) && pg->count == 0 &&
           !(pg->type_info & (PGT_pinned | PGT_validating | PGT_partial));
}

struct chunk {
    uint32_t in;                /* chain through page_info.next: the stolen frames */
    uint32_t out, out_tail;     /* chain through page_info.next: the output blocks, in allocation order */
};

/* Puts every stolen frame back as d's (contents kept) and frees the output blocks. */
static void chunk_undo(struct domain *d, struct chunk *c, unsigned int out_order)
{
    while (c->in != CHAIN_END) {
        uint32_t mfn = c->in;
        c->in = pfn_to_page(mfn)->next;
        domain_relink_page(d, mfn);
    }
    while (c->out != CHAIN_END) {
        uint32_t mfn = c->out;
        c->out = pfn_to_page(mfn)->next;
        free_frames(mfn, out_order);
    }
}

/* Takes input frames [gmfn, gmfn + 2^order) off d: 0 or -XEN_EINVAL (chunk_undo gives back what was taken). */
static int steal_extent(struct domain *d, struct chunk *c, uint64_t gmfn, unsigned int order)
{
    for (uint64_t k = 0; k < (1ull << order); k++) {
        uint64_t mfn = gmfn + k;
        if (mfn < gmfn || mfn > 0xfffffffeu || !stealable(d, mfn))
            return -XEN_EINVAL;
        domain_unlink_page(d, mfn);
        struct page_info *pg = pfn_to_page(mfn);
        pg->owner = PAGE_OWNER_HYPERVISOR;          /* a repeat of it in the list is no longer d's */
        pg->next = c->in;
        c->in = (uint32_t)mfn;
    }
    return 0;
}

/* A block of 2^order frames below 2^bits bytes (0: anywhere), or INVALID_PFN. */
static pfn_t alloc_below(unsigned int order, unsigned int bits)
{
    pfn_t first = alloc_frames(order);
    if (first == INVALID_PFN || bits == 0 || bits >= 64)
        return first;
    if (bits <= PAGE_SHIFT || ((first + (1ull << order)) << PAGE_SHIFT) > (1ull << bits) ||
        first + (1ull << order) < first) {
        free_frames(first, order);
        return INVALID_PFN;
    }
    return first;
}

/* nr_exchanged back to the guest (Xen copies it on every way out after the structure was read). */
static int64_t report(uint64_t arg, uint64_t nr_exchanged, int64_t rc)
{
    if (copy_to_guest(arg + offsetof(struct xen_memory_exchange, nr_exchanged), &nr_exchanged,
                      sizeof(nr_exchanged)))
        return -XEN_EFAULT;
    return rc;
}

/* Chunks from exch.nr_exchanged on, for d (held). */
static int64_t exchange_chunks(struct domain *d, uint64_t arg, const struct xen_memory_exchange *x,
                               unsigned int in_chunk_order, unsigned int out_chunk_order)
{
    const unsigned int in_order = x->in.extent_order, out_order = x->out.extent_order;
    const unsigned int bits = XENMEMF_get_address_bits(x->out.mem_flags);
    uint64_t first = x->nr_exchanged >> in_chunk_order, last = x->in.nr_extents >> in_chunk_order;

    for (uint64_t i = first; i < last; i++) {
        if (i != first && hypercall_preempt_check()) {
            int64_t rc = report(arg, i << in_chunk_order, 0);
            return rc ? rc : hypercall_continue(__HYPERVISOR_memory_op, XENMEM_exchange, arg, 0, 0, 0);
        }
        struct chunk c = { CHAIN_END, CHAIN_END, CHAIN_END };
        int rc = 0;
        /* Decode: the chunk's input frames taken off d, its output allocated; either may fail. */
        for (uint64_t j = 0; j < (1ull << in_chunk_order) && !rc; j++) {
            xen_pfn_t gmfn;
            if (copy_from_guest(&gmfn, x->in.extent_start + ((i << in_chunk_order) + j) * sizeof(gmfn), sizeof(gmfn)))
                rc = -XEN_EFAULT;
            else
                rc = steal_extent(d, &c, gmfn, in_order);
        }
        for (uint64_t j = 0; j < (1ull << out_chunk_order) && !rc; j++) {
            pfn_t mfn = alloc_below(out_order, bits);
            if (mfn == INVALID_PFN) {
                rc = -XEN_ENOMEM;
                break;
            }
            pfn_to_page(mfn)->next = CHAIN_END;
            if (c.out == CHAIN_END)
                c.out = (uint32_t)mfn;
            else
                pfn_to_page(c.out_tail)->next = (uint32_t)mfn;
            c.out_tail = (uint32_t)mfn;
        }
        if (rc) {
            chunk_undo(d, &c, out_order);
            return report(arg, i << in_chunk_order, rc);
        }
        /* Commit, which cannot fail: the input frames freed, the output made d's at the PFNs it names. */
        while (c.in != CHAIN_END) {
            uint32_t mfn = c.in;
            struct page_info *pg = pfn_to_page(mfn);
            c.in = pg->next;
            set_gpfn_from_mfn(mfn, ~0ull);
            pg->type_info = PGT_none;
            free_frame(mfn);
        }
        for (uint64_t j = 0; c.out != CHAIN_END; j++) {
            pfn_t mfn = c.out;
            c.out = pfn_to_page(mfn)->next;
            page_alloc_split(mfn, out_order);
            for (uint64_t k = 0; k < (1ull << out_order); k++)
                domain_adopt_page(d, mfn + k);
            uint64_t slot = x->out.extent_start + ((i << out_chunk_order) + j) * sizeof(xen_pfn_t);
            xen_pfn_t gpfn, frame = mfn;
            /* As Xen: a list the guest made unreadable leaves the frames d's, without an M2P entry, and fails. */
            if (copy_from_guest(&gpfn, slot, sizeof(gpfn))) {
                rc = -XEN_EFAULT;
                continue;
            }
            for (uint64_t k = 0; k < (1ull << out_order); k++)
                set_gpfn_from_mfn(mfn + k, gpfn + k);
            if (copy_to_guest(slot, &frame, sizeof(frame)))
                rc = -XEN_EFAULT;
        }
        if (rc)
            return report(arg, i << in_chunk_order, rc);
    }
    return report(arg, x->in.nr_extents, 0);
}

int64_t memory_exchange(uint64_t arg)
{
    struct xen_memory_exchange x;
    if (copy_from_guest(&x, arg, sizeof(x)))
        return -XEN_EFAULT;
    struct domain *caller = current->domain;
    unsigned int in_order = x.in.extent_order, out_order = x.out.extent_order;
    if (MAX(in_order, out_order) > max_order(caller))
        return report(arg, x.nr_exchanged, -XEN_EPERM);
    /* Orders are at most 20 from here: the shifts below are defined. */
    if (x.nr_exchanged > x.in.nr_extents || x.in.domid != x.out.domid ||
        (~0ull >> in_order) < x.in.nr_extents || (~0ull >> out_order) < x.out.nr_extents ||
        (x.in.nr_extents << in_order) != (x.out.nr_extents << out_order))
        return report(arg, x.nr_exchanged, -XEN_EINVAL);
    if (x.nr_exchanged == x.in.nr_extents)
        return 0;
    if (!list_ok(x.in.extent_start, x.nr_exchanged, x.in.nr_extents - 1))
        return report(arg, x.nr_exchanged, -XEN_EFAULT);
    unsigned int in_chunk_order = 0, out_chunk_order = 0;
    uint64_t out_done;
    if (in_order <= out_order) {
        in_chunk_order = out_order - in_order;
        out_done = x.nr_exchanged >> in_chunk_order;
    } else {
        out_chunk_order = in_order - out_order;
        out_done = x.nr_exchanged << out_chunk_order;
    }
    if (!list_ok(x.out.extent_start, out_done, x.out.nr_extents - 1))
        return report(arg, x.nr_exchanged, -XEN_EFAULT);
    if (!node_ok(caller, x.out.mem_flags))
        return report(arg, x.nr_exchanged, -XEN_EINVAL);
    struct domain *d;
    int err = domain_lookup_held(caller, x.in.domid, DOMAIN_RIGHT_CONTROL | DOMAIN_LOOKUP_SELF_ID, &d);
    if (err)
        return report(arg, x.nr_exchanged, err);
    frame_lock();
    int64_t rc = exchange_chunks(d, arg, &x, in_chunk_order, out_chunk_order);
    frame_unlock();
    domain_put_held(caller, d);
    return rc;
}
