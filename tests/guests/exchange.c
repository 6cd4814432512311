/*
 * XENMEM_exchange, as Xen 4.17 does it: single frames traded for one
 * machine-contiguous extent and back (Linux's xen_create_contiguous_region),
 * then hostile arguments: inconsistent sizes and domains, orders above the
 * limit, frames we do not own or still map, duplicates, unreadable lists,
 * a resumed call, and a chunk that fails after another succeeded. Every
 * refused frame stays ours, untouched, and the reservation never moves.
 * Booted as dom0, on Xen 4.17 too (differential).
 */
#include "exceptions.h"
#include "guest.h"
#include "hypercall.h"
#include "mm.h"
#include <public/errno.h>
#include <public/memory.h>

const char test_title[] = "exchange: XENMEM_exchange, contiguous extents and hostile arguments";

#define ALIAS_VA    (GUEST_VIRT_BASE + 0x4000000ull)    /* 64 MiB up: free address space, 8 pages used */
#define UNMAPPED_VA (GUEST_VIRT_BASE + 0x6000000ull)    /* never mapped */

static domid_t self = DOMID_SELF;
static int64_t reservation0;

static int64_t reservation(void) { return hypercall2(__HYPERVISOR_memory_op, XENMEM_current_reservation, &self); }

static int64_t exchange(struct xen_memory_exchange *x) { return hypercall2(__HYPERVISOR_memory_op, XENMEM_exchange, x); }

static struct xen_memory_exchange make(xen_pfn_t *in, uint64_t nin, unsigned int in_order, xen_pfn_t *out,
                                       uint64_t nout, unsigned int out_order)
{
    return (struct xen_memory_exchange){
        .in = { .extent_start = (uint64_t)in, .nr_extents = nin, .extent_order = in_order, .domid = DOMID_SELF },
        .out = { .extent_start = (uint64_t)out, .nr_extents = nout, .extent_order = out_order, .domid = DOMID_SELF },
    };
}

/* n spare frames (never mapped), or false. */
static bool spares(xen_pfn_t *f, unsigned int n)
{
    for (unsigned int i = 0; i < n; i++)
        if (!(f[i] = spare_mfn()))
            return false;
    return true;
}

/* Maps mfn at ALIAS_VA + slot pages: 0 or the error. */
static int64_t map(unsigned int slot, uint64_t mfn)
{
    return hypercall3(__HYPERVISOR_update_va_mapping, ALIAS_VA + slot * PAGE_SIZE, mfn * PAGE_SIZE | PTE_DATA,
                      UVMF_INVLPG);
}

static void unmap(unsigned int slot)
{
    hypercall3(__HYPERVISOR_update_va_mapping, ALIAS_VA + slot * PAGE_SIZE, 0, UVMF_INVLPG);
}

/* A frame is still ours if it can be given to an exchange of one frame for one (it is then traded). */
static bool still_ours(uint64_t mfn, uint64_t *now)
{
    xen_pfn_t in[1] = { mfn }, out[1] = { m2p()[mfn] };
    struct xen_memory_exchange x = make(in, 1, 0, out, 1, 0);
    if (exchange(&x) || x.nr_exchanged != 1)
        return false;
    *now = out[0];
    return true;
}

static const char *test_setup(char *why, size_t len)
{
    if (exceptions_install())
        return fail(why, len, "set_trap_table failed");
    if (ensure_l1(ALIAS_VA))
        return fail(why, len, "could not build an L1 for %#llx", (unsigned long long)ALIAS_VA);
    reservation0 = reservation();
    if (reservation0 <= 0)
        return fail(why, len, "current_reservation: %lld", (long long)reservation0);
    return NULL;
}

/* Four single frames for one order-2 extent: aligned, ours, at the PFNs we named, zeroed; the old frames gone. */
static xen_pfn_t contiguous;                    /* the order-2 extent test_back trades back */

static const char *test_to_contiguous(char *why, size_t len)
{
    xen_pfn_t in[4], out[1];
    if (!spares(in, 4))
        return fail(why, len, "no spare frames");
    /* Data in them first: the new extent must not show it. */
    for (unsigned int i = 0; i < 4; i++) {
        if (map(0, in[i]))
            return fail(why, len, "mapping spare frame %#llx", (unsigned long long)in[i]);
        *(volatile uint64_t *)ALIAS_VA = 0x5eed0000ull + i;
        unmap(0);
    }
    uint64_t gpfn = m2p()[in[0]];
    out[0] = gpfn;
    struct xen_memory_exchange x = make(in, 4, 0, out, 1, 2);
    int64_t rc = exchange(&x);
    if (rc || x.nr_exchanged != 4)
        return fail(why, len, "exchange 4 x order 0 -> 1 x order 2: %lld, nr_exchanged %llu", (long long)rc,
                    (unsigned long long)x.nr_exchanged);
    uint64_t mfn = out[0];
    if (mfn & 3)
        return fail(why, len, "the new extent %#llx is not an aligned machine frame", (unsigned long long)mfn);
    for (unsigned int k = 0; k < 4; k++) {
        if (m2p()[mfn + k] != gpfn + k)
            return fail(why, len, "M2P of %#llx is %#llx, want %#llx", (unsigned long long)(mfn + k),
                        (unsigned long long)m2p()[mfn + k], (unsigned long long)(gpfn + k));
        if ((rc = map(1 + k, mfn + k)))
            return fail(why, len, "mapping new frame %#llx: %lld", (unsigned long long)(mfn + k), (long long)rc);
        for (unsigned int w = 0; w < PAGE_SIZE / 8; w++)
            if (((volatile uint64_t *)(ALIAS_VA + (1 + k) * PAGE_SIZE))[w])
                return fail(why, len, "new frame %#llx is not zeroed", (unsigned long long)(mfn + k));
        ((volatile uint64_t *)(ALIAS_VA + (1 + k) * PAGE_SIZE))[0] = 0xc0de0000ull + k;
        unmap(1 + k);
    }
    if (reservation() != reservation0)
        return fail(why, len, "the reservation moved: %lld, was %lld", (long long)reservation(), (long long)reservation0);
    /* The old frames are no longer ours: offering one again is refused, nothing exchanged. */
    xen_pfn_t again[1] = { in[1] }, dst[1] = { gpfn };
    x = make(again, 1, 0, dst, 1, 0);
    if ((rc = exchange(&x)) != -XEN_EINVAL || x.nr_exchanged != 0)
        return fail(why, len, "a frame given away was exchanged again: %lld, nr_exchanged %llu", (long long)rc,
                    (unsigned long long)x.nr_exchanged);
    contiguous = mfn;
    return NULL;
}

/* The order-2 extent back for four single frames (xen_destroy_contiguous_region). */
static const char *test_back(char *why, size_t len)
{
    if (!contiguous)
        return fail(why, len, "no extent from the previous case");
    uint64_t gpfn = m2p()[contiguous];
    xen_pfn_t in[1] = { contiguous }, out[4] = { gpfn, gpfn + 1, gpfn + 2, gpfn + 3 };
    struct xen_memory_exchange x = make(in, 1, 2, out, 4, 0);
    int64_t rc = exchange(&x);
    if (rc || x.nr_exchanged != 1)
        return fail(why, len, "exchange 1 x order 2 -> 4 x order 0: %lld, nr_exchanged %llu", (long long)rc,
                    (unsigned long long)x.nr_exchanged);
    for (unsigned int k = 0; k < 4; k++) {
        if (m2p()[out[k]] != gpfn + k)
            return fail(why, len, "M2P of %#llx is %#llx, want %#llx", (unsigned long long)out[k],
                        (unsigned long long)m2p()[out[k]], (unsigned long long)(gpfn + k));
        if ((rc = map(0, out[k])))
            return fail(why, len, "mapping new frame %#llx: %lld", (unsigned long long)out[k], (long long)rc);
        unmap(0);
    }
    if (reservation() != reservation0)
        return fail(why, len, "the reservation moved");
    return NULL;
}

/* Arguments refused before any frame moves, with Xen's codes; nr_exchanged is written back unchanged. */
static const char *test_bad_arguments(char *why, size_t len)
{
    xen_pfn_t in[2], out[2];
    if (!spares(in, 2))
        return fail(why, len, "no spare frames");
    out[0] = m2p()[in[0]], out[1] = m2p()[in[1]];
    static const struct { const char *what; int64_t want; } cases[] = {
        { "nr_exchanged past nr_extents", -XEN_EINVAL },
        { "in and out name different domains", -XEN_EINVAL },
        { "sizes differ (2 x order 0 for 1 x order 2)", -XEN_EINVAL },
        { "an out list whose size overflows", -XEN_EINVAL },
        { "order 21, above the control domain's 20", -XEN_EPERM },
        { "an in list at an unmapped address", -XEN_EFAULT },
        { "an in list inside the hypervisor", -XEN_EFAULT },
        { "an out list inside the hypervisor", -XEN_EFAULT },
        { "a node beyond any (control domain)", -XEN_EINVAL },
    };
    for (unsigned int i = 0; i < ARRAY_SIZE(cases); i++) {
        struct xen_memory_exchange x = make(in, 2, 0, out, 2, 0);
        switch (i) {
        case 0: x.nr_exchanged = 3; break;
        case 1: x.out.domid = 0; break;
        case 2: x.out.nr_extents = 1, x.out.extent_order = 2; break;
        case 3: x.out.extent_order = 1, x.out.nr_extents = 1ull << 63; break;
        case 4: x.in.extent_order = 21, x.out.extent_order = 21, x.in.nr_extents = x.out.nr_extents = 1; break;
        case 5: x.in.extent_start = UNMAPPED_VA; break;
        case 6: x.in.extent_start = 0xffff830000000000ull; break;
        case 7: x.out.extent_start = 0xffff830000000000ull; break;
        case 8: x.out.mem_flags = XENMEMF_node(200); break;
        }
        uint64_t before = x.nr_exchanged;
        int64_t rc = exchange(&x);
        if (rc != cases[i].want)
            return fail(why, len, "%s: %lld, want %lld", cases[i].what, (long long)rc, (long long)cases[i].want);
        if (x.nr_exchanged != before)
            return fail(why, len, "%s: nr_exchanged became %llu", cases[i].what, (unsigned long long)x.nr_exchanged);
    }
    /* A resume bit in the command is refused: progress rides in nr_exchanged only. */
    struct xen_memory_exchange x = make(in, 2, 0, out, 2, 0);
    int64_t rc = hypercall2(__HYPERVISOR_memory_op, XENMEM_exchange | (1ull << 6), &x);
    if (rc != -XEN_EINVAL || x.nr_exchanged)
        return fail(why, len, "XENMEM_exchange with start extent 1: %lld, want -EINVAL", (long long)rc);
    /* The structure itself unreadable. */
    if ((rc = hypercall2(__HYPERVISOR_memory_op, XENMEM_exchange, UNMAPPED_VA)) != -XEN_EFAULT)
        return fail(why, len, "an unreadable xen_memory_exchange: %lld, want -EFAULT", (long long)rc);
    /* All done already: nothing to do, success. */
    x = make(in, 2, 0, out, 2, 0);
    x.nr_exchanged = 2;
    if ((rc = exchange(&x)) || x.nr_exchanged != 2)
        return fail(why, len, "nr_exchanged == nr_extents: %lld", (long long)rc);
    /* Both frames still ours after all that. */
    uint64_t now;
    for (unsigned int i = 0; i < 2; i++)
        if (!still_ours(in[i], &now))
            return fail(why, len, "frame %#llx was lost to a refused call", (unsigned long long)in[i]);
    if (reservation() != reservation0)
        return fail(why, len, "the reservation moved");
    return NULL;
}

/*
 * An out list that cannot be read once the chunk is committed: as on Xen the
 * call fails (-EFAULT, nr_exchanged 0), the input frame is gone and the new
 * one is ours though we never learn it (the reservation stays the same).
 */
static const char *test_out_list_unmapped(char *why, size_t len)
{
    xen_pfn_t in[1];
    if (!spares(in, 1))
        return fail(why, len, "no spare frame");
    struct xen_memory_exchange x = make(in, 1, 0, (xen_pfn_t *)UNMAPPED_VA, 1, 0);
    int64_t rc = exchange(&x);
    if (rc != -XEN_EFAULT || x.nr_exchanged != 0)
        return fail(why, len, "an unmapped out list: %lld, nr_exchanged %llu; want -EFAULT, 0", (long long)rc,
                    (unsigned long long)x.nr_exchanged);
    if (reservation() != reservation0)
        return fail(why, len, "the reservation moved: %lld, was %lld", (long long)reservation(), (long long)reservation0);
    return NULL;
}

/* Frames that are not ours to give: -EINVAL, nothing exchanged, ours untouched. */
static const char *test_foreign_frames(char *why, size_t len)
{
    static volatile uint64_t mapped_data = 0xfeedface;
    int64_t max_mfn = hypercall2(__HYPERVISOR_memory_op, XENMEM_maximum_ram_page, 0);
    const struct { const char *what; uint64_t mfn; } cases[] = {
        { "a frame past the end of RAM", (uint64_t)max_mfn + 16 },
        { "an absurd frame number", 0x000fffffffffffffull },
        { "our shared_info frame", start_info->shared_info >> 12 },
        { "a frame we still map (our own data)", virt_to_mfn((const void *)&mapped_data) },
        { "a page-table frame of ours", virt_to_mfn((const void *)start_info->pt_base) },
        { "frame 0 (firmware)", 0 },
    };
    for (unsigned int i = 0; i < ARRAY_SIZE(cases); i++) {
        xen_pfn_t in[1] = { cases[i].mfn }, out[1] = { 0 };
        struct xen_memory_exchange x = make(in, 1, 0, out, 1, 0);
        int64_t rc = exchange(&x);
        if (rc != -XEN_EINVAL || x.nr_exchanged != 0)
            return fail(why, len, "%s (%#llx): %lld, nr_exchanged %llu; want -EINVAL, 0", cases[i].what,
                        (unsigned long long)cases[i].mfn, (long long)rc, (unsigned long long)x.nr_exchanged);
    }
    if (mapped_data != 0xfeedface)
        return fail(why, len, "our mapped data changed");
    /* The same frame twice in one chunk. */
    xen_pfn_t dup[2], out[1];
    if (!spares(dup, 1))
        return fail(why, len, "no spare frame");
    dup[1] = dup[0];
    out[0] = m2p()[dup[0]];
    struct xen_memory_exchange x = make(dup, 2, 0, out, 1, 1);
    int64_t rc = exchange(&x);
    if (rc != -XEN_EINVAL || x.nr_exchanged != 0)
        return fail(why, len, "one frame twice: %lld, nr_exchanged %llu; want -EINVAL, 0", (long long)rc,
                    (unsigned long long)x.nr_exchanged);
    uint64_t now;
    if (!still_ours(dup[0], &now))
        return fail(why, len, "the duplicated frame was lost");
    if (reservation() != reservation0)
        return fail(why, len, "the reservation moved");
    return NULL;
}

/*
 * Progress: three chunks of two frames for order-1 extents; the third holds
 * a frame we do not own. The first two are exchanged, the call fails with
 * nr_exchanged 4, the third chunk's good frame stays ours (no leak). Then a
 * call resumed at nr_exchanged 2 skips extents 0 and 1 (bad on purpose).
 */
static const char *test_partial_and_resume(char *why, size_t len)
{
    xen_pfn_t in[6], out[3];
    if (!spares(in, 5))
        return fail(why, len, "no spare frames");
    in[5] = virt_to_mfn((const void *)start_info->pt_base);     /* not exchangeable */
    for (unsigned int c = 0; c < 3; c++)
        out[c] = m2p()[in[2 * c]];
    struct xen_memory_exchange x = make(in, 6, 0, out, 3, 1);
    int64_t rc = exchange(&x);
    if (rc != -XEN_EINVAL || x.nr_exchanged != 4)
        return fail(why, len, "third chunk bad: %lld, nr_exchanged %llu; want -EINVAL, 4", (long long)rc,
                    (unsigned long long)x.nr_exchanged);
    for (unsigned int c = 0; c < 2; c++)
        if ((out[c] & 1) || map(0, out[c]) || map(1, out[c] + 1))
            return fail(why, len, "chunk %u's extent %#llx is not ours and aligned", c, (unsigned long long)out[c]);
    unmap(0), unmap(1);
    uint64_t now;
    if (!still_ours(in[4], &now))
        return fail(why, len, "the good frame of the failed chunk was lost");
    if (reservation() != reservation0)
        return fail(why, len, "the reservation moved: %lld, was %lld", (long long)reservation(), (long long)reservation0);
    /* Resume: extents 0 and 1 are frames we gave away above; starting at 2 only 2 and 3 are traded. */
    xen_pfn_t rin[4] = { in[0], in[1] }, rout[4];
    if (!spares(rin + 2, 2))
        return fail(why, len, "no spare frames");
    for (unsigned int i = 0; i < 4; i++)
        rout[i] = m2p()[rin[i]];
    xen_pfn_t kept0 = rout[0], gpfn2 = rout[2];
    x = make(rin, 4, 0, rout, 4, 0);
    x.nr_exchanged = 2;
    rc = exchange(&x);
    if (rc || x.nr_exchanged != 4)
        return fail(why, len, "resumed at 2: %lld, nr_exchanged %llu", (long long)rc, (unsigned long long)x.nr_exchanged);
    if (rout[0] != kept0 || m2p()[rout[2]] != gpfn2)
        return fail(why, len, "the resumed call touched the wrong extents");
    if (reservation() != reservation0)
        return fail(why, len, "the reservation moved");
    return NULL;
}

DEFINE_TESTS({ "setup", test_setup }, { "exchange_to_contiguous", test_to_contiguous },
             { "exchange_back_to_frames", test_back }, { "exchange_bad_arguments", test_bad_arguments },
             { "exchange_out_list_unmapped", test_out_list_unmapped }, { "exchange_foreign_frames", test_foreign_frames },
             { "exchange_partial_and_resume", test_partial_and_resume });
