/* Basics: start of day as Xen leaves it, console_io, xen_version, unknown hypercalls. */
#include "guest.h"
#include "hypercall.h"
#include "events.h"
#include "mm.h"
#include <public/elfnote.h>
#include <public/errno.h>
#include <public/features.h>
#include <public/grant_table.h>

const char test_title[] = "basics: start of day, console_io, xen_version";

/* Where this kernel asks for its P2M list (INIT_P2M note), as Linux does: L4 slot 1. */
#define INIT_P2M_VA   0x8000000000ull
#define STR_(x) #x
#define STR(x) STR_(x)
__asm__(".pushsection .note.Xen, \"a\", @note\n\t.balign 4\n\t.long 4\n\t.long 8\n\t"
        ".long " STR(XEN_ELFNOTE_INIT_P2M) "\n\t.asciz \"Xen\"\n\t.balign 4\n\t.quad " STR(INIT_P2M_VA)
        "\n\t.popsection");
#define P2M_PER_PAGE  512ull            /* 8-byte entries in a page, and L1 entries in a table */
#define MAPPING_ALIGN 0x400000ull       /* the initial mapping ends on a 4 MiB boundary */
extern char _end[];                     /* the kernel's end (guest.lds) */

static const char *test_start_info_magic(char *why, size_t len)
{
    if (memcmp(start_info->magic, "xen-3.0-x86_64", 14))
        return fail(why, len, "magic is \"%.32s\"", (const char *)start_info->magic);
    return NULL;
}

static const char *test_start_info_pages(char *why, size_t len)
{
    if (start_info->nr_pages < 256)
        return fail(why, len, "nr_pages %llu is implausibly small", (unsigned long long)start_info->nr_pages);
    if (start_info->nr_pt_frames < 2)
        return fail(why, len, "nr_pt_frames %llu", (unsigned long long)start_info->nr_pt_frames);
    /* The P2M list maps every PFN; the initial region is PFN-contiguous from the kernel base. */
    const uint64_t *p2m = (const uint64_t *)start_info->mfn_list;
    for (uint64_t i = 1; i < start_info->nr_pages; i++)
        if (p2m[i] == p2m[0])
            return fail(why, len, "P2M entry %llu repeats entry 0", (unsigned long long)i);
    return NULL;
}

/* A page of ours whose mapping is borrowed for a moment to look at another frame. */
static uint8_t peephole[4096] __attribute__((aligned(4096)));

/* Maps frame read-only where peephole is: 0 or the error. peephole_restore() puts our page back. */
static int64_t peephole_map(uint64_t frame)
{
    return hypercall3(__HYPERVISOR_update_va_mapping, (uint64_t)peephole, frame << 12 | PTE_P | PTE_U | PTE_A,
                      UVMF_INVLPG);
}

static int64_t peephole_restore(uint64_t own_mfn)
{
    return hypercall3(__HYPERVISOR_update_va_mapping, (uint64_t)peephole, own_mfn << 12 | PTE_DATA, UVMF_INVLPG);
}

/*
 * The xenstore and console rings: none for dom0 (it serves them); a domU's
 * are the two pages after start_info (Xen's builder order), each with a port
 * of ours left unbound for dom0 to connect.
 */
static const char *test_start_info_rings(char *why, size_t len)
{
    if (start_info->flags & SIF_INITDOMAIN) {
        if (start_info->store_mfn || start_info->store_evtchn)
            return fail(why, len, "dom0 got store_mfn %#llx port %u", (unsigned long long)start_info->store_mfn,
                        start_info->store_evtchn);
        return NULL;
    }
    uint64_t si_pfn = m2p()[virt_to_mfn(start_info)];
    const struct { const char *what; uint64_t mfn; uint32_t port; uint64_t pfn; } ring[] = {
        { "xenstore", start_info->store_mfn, start_info->store_evtchn, si_pfn + 1 },
        { "console", start_info->console.domU.mfn, start_info->console.domU.evtchn, si_pfn + 2 },
    };
    for (unsigned int i = 0; i < ARRAY_SIZE(ring); i++) {
        if (!ring[i].mfn || m2p()[ring[i].mfn] != ring[i].pfn)
            return fail(why, len, "%s ring mfn %#llx is pfn %#llx, want pfn %#llx", ring[i].what,
                        (unsigned long long)ring[i].mfn, (unsigned long long)(ring[i].mfn ? m2p()[ring[i].mfn] : 0),
                        (unsigned long long)ring[i].pfn);
        struct evtchn_status st = { .dom = DOMID_SELF, .port = ring[i].port };
        int64_t rc = evtchn_op(EVTCHNOP_status, &st);
        if (rc || st.status != EVTCHNSTAT_unbound || st.u.unbound.dom != 0)
            return fail(why, len, "%s port %u: status rc %lld, status %u, remote %u; want unbound for dom0",
                        ring[i].what, ring[i].port, (long long)rc, st.status, st.u.unbound.dom);
    }
    if (start_info->store_evtchn == start_info->console.domU.evtchn)
        return fail(why, len, "one port %u for both rings", start_info->store_evtchn);
    /* As Xen's toolstack seeds them: grant references 0 (console) and 1 (xenstore) for dom0. */
    xen_pfn_t frame;
    struct gnttab_setup_table st = { .dom = DOMID_SELF, .nr_frames = 1, .frame_list = (uint64_t)&frame };
    int64_t rc = hypercall3(__HYPERVISOR_grant_table_op, GNTTABOP_setup_table, &st, 1);
    if (rc || st.status)
        return fail(why, len, "setup_table: %lld, status %d", (long long)rc, st.status);
    uint64_t own = virt_to_mfn(peephole);
    if ((rc = peephole_map(frame)))
        return fail(why, len, "mapping our grant table frame %#llx: %lld", (unsigned long long)frame, (long long)rc);
    struct grant_entry_v1 seen[2];
    memcpy(seen, peephole, sizeof(seen));
    if ((rc = peephole_restore(own)))
        return fail(why, len, "putting our page back: %lld", (long long)rc);
    for (unsigned int i = 0; i < ARRAY_SIZE(ring); i++) {
        grant_ref_t ref = i == 0 ? GNTTAB_RESERVED_XENSTORE : GNTTAB_RESERVED_CONSOLE;
        if (seen[ref].flags != GTF_permit_access || seen[ref].domid != 0 || seen[ref].frame != ring[i].mfn)
            return fail(why, len, "grant %u: flags %#x domid %u frame %#x; want the %s ring for dom0", ref,
                        seen[ref].flags, seen[ref].domid, seen[ref].frame, ring[i].what);
    }
    return NULL;
}

static const char *test_console_write(char *why, size_t len)
{
    static const char msg[] = "# console_io write reached the console\n";
    int64_t rc = hyp_console_write(msg, sizeof(msg) - 1);
    if (rc != 0)
        return fail(why, len, "console_io write returned %lld, want 0", (long long)rc);
    return NULL;
}

static const char *test_console_bad_pointers(char *why, size_t len)
{
    static const struct { const char *what; uint64_t va; } bad[] = {
        { "NULL", 0 },
        { "non-canonical", 0x8000000000000000ull },
        { "hypervisor range", 0xffff830000000000ull },
    };
    for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
        int64_t rc = hyp_console_write((const char *)bad[i].va, 16);
        if (rc != -XEN_EFAULT)
            return fail(why, len, "%s buffer: got %lld, want -EFAULT", bad[i].what, (long long)rc);
    }
    return NULL;
}

static const char *test_console_crossing(char *why, size_t len)
{
    /* A buffer running off the end of the initial mapping into unmapped space. */
    uint64_t end = GUEST_VIRT_BASE + start_info->first_p2m_pfn * 4096;
    int64_t rc = hyp_console_write((const char *)(end - 8), 16);
    if (rc != -XEN_EFAULT)
        return fail(why, len, "buffer crossing into an unmapped page: got %lld, want -EFAULT", (long long)rc);
    return NULL;
}

static const char *test_version_subops(char *why, size_t len)
{
    static char extra[16];
    struct xen_platform_parameters pp = { 0 };
    struct xen_feature_info fi = { .submap_idx = 0 };
    int64_t rc;
    if ((rc = hyp_xen_version(XENVER_extraversion, extra)) || !extra[0])
        return fail(why, len, "extraversion: %lld \"%.16s\"", (long long)rc, extra);
    if ((rc = hyp_xen_version(XENVER_platform_parameters, &pp)) || pp.virt_start != HYPERVISOR_VIRT_START)
        return fail(why, len, "platform_parameters: %lld, virt_start %#llx", (long long)rc,
                    (unsigned long long)pp.virt_start);
    if ((rc = hyp_xen_version(XENVER_get_features, &fi)))
        return fail(why, len, "get_features: %lld", (long long)rc);
    bool dom0 = start_info->flags & SIF_INITDOMAIN;
    if (!!(fi.submap & (1u << XENFEAT_dom0)) != dom0)
        return fail(why, len, "feature bitmap %#x: dom0 bit does not match our role", fi.submap);
    fi.submap_idx = 1;
    if ((rc = hyp_xen_version(XENVER_get_features, &fi)) != -XEN_EINVAL)
        return fail(why, len, "get_features submap 1: %lld, want -EINVAL", (long long)rc);
    if ((rc = hyp_xen_version(XENVER_pagesize, &fi)) != -XEN_EINVAL)
        return fail(why, len, "pagesize with an argument: %lld, want -EINVAL", (long long)rc);
    if ((rc = hyp_xen_version(XENVER_get_features, (void *)0xffff830000000000ull)) != -XEN_EFAULT)
        return fail(why, len, "get_features into the hypervisor: %lld, want -EFAULT", (long long)rc);
    if ((rc = hyp_xen_version(99, NULL)) != -XEN_ENOSYS)
        return fail(why, len, "unknown sub-op: %lld, want -ENOSYS", (long long)rc);
    return NULL;
}

static const char *test_version(char *why, size_t len)
{
    int64_t v = hyp_xen_version(XENVER_version, NULL);
    if (v < (3 << 16))
        return fail(why, len, "XENVER_version %#llx is below 3.0", (long long)v);
    int64_t ps = hyp_xen_version(XENVER_pagesize, NULL);
    if (ps != 4096)
        return fail(why, len, "XENVER_pagesize %lld", (long long)ps);
    return NULL;
}

static const char *test_capabilities(char *why, size_t len)
{
    static char caps[1024];
    int64_t rc = hyp_xen_version(XENVER_capabilities, caps);
    if (rc != 0)
        return fail(why, len, "XENVER_capabilities returned %lld", (long long)rc);
    if (memcmp(caps, "xen-3.0-x86_64", 14))
        return fail(why, len, "capabilities \"%.40s\"", caps);
    return NULL;
}

static const char *test_unknown_hypercall(char *why, size_t len)
{
    /* 11 has never been a hypercall; 60 lies beyond every defined one. */
    int64_t a = hypercall0(11), b = hypercall0(60);
    if (a != -XEN_ENOSYS || b != -XEN_ENOSYS)
        return fail(why, len, "got %lld and %lld, want -ENOSYS", (long long)a, (long long)b);
    return NULL;
}

/*
 * The INIT_P2M note, as Xen's builder takes it: the P2M list at the address asked,
 * outside the initial mapping (start_info right after the kernel), mapped read-write;
 * its pages and the tables that map it (an L3, an L2 and one L1 per 512 pages) are
 * the PFNs right after the initial mapping (first_p2m_pfn, nr_p2m_frames).
 */
static const char *test_init_p2m(char *why, size_t len)
{
    const struct start_info *si = start_info;
    uint64_t data = (si->nr_pages + P2M_PER_PAGE - 1) / P2M_PER_PAGE;
    uint64_t tables = 2 + (data + P2M_PER_PAGE - 1) / P2M_PER_PAGE;
    if (si->mfn_list != INIT_P2M_VA)
        return fail(why, len, "mfn_list %#llx, want the INIT_P2M address %#llx", (unsigned long long)si->mfn_list,
                    INIT_P2M_VA);
    if ((si->first_p2m_pfn * PAGE_SIZE) % MAPPING_ALIGN ||
        GUEST_VIRT_BASE + si->first_p2m_pfn * PAGE_SIZE < si->pt_base + (si->nr_pt_frames + 1) * PAGE_SIZE)
        return fail(why, len, "first_p2m_pfn %#llx is not the end of the initial mapping",
                    (unsigned long long)si->first_p2m_pfn);
    if (si->nr_p2m_frames != data + tables)
        return fail(why, len, "nr_p2m_frames %llu, want %llu pages and %llu tables",
                    (unsigned long long)si->nr_p2m_frames, (unsigned long long)data, (unsigned long long)tables);
    if ((uint64_t)si != ((uint64_t)_end + PAGE_SIZE - 1) / PAGE_SIZE * PAGE_SIZE)
        return fail(why, len, "start_info at %p, not right after the kernel (%p): the P2M took room",
                    (const void *)si, (const void *)_end);
    volatile uint64_t *p2m = (volatile uint64_t *)si->mfn_list;
    for (uint64_t pfn = 0; pfn < si->nr_pages; pfn++)
        if (m2p()[p2m[pfn]] != pfn)
            return fail(why, len, "P2M[%#llx] = %#llx, whose M2P entry is %#llx", (unsigned long long)pfn,
                        (unsigned long long)p2m[pfn], (unsigned long long)m2p()[p2m[pfn]]);
    p2m[0] = p2m[0];                    /* mapped writable: no fault */
    return NULL;
}

DEFINE_TESTS(
    { "start_info_magic", test_start_info_magic },
    { "start_info_pages", test_start_info_pages },
    { "start_info_rings", test_start_info_rings },
    { "init_p2m", test_init_p2m },
    { "console_io_write", test_console_write },
    { "console_io_bad_pointers", test_console_bad_pointers },
    { "console_io_crossing_unmapped", test_console_crossing },
    { "xen_version", test_version },
    { "xen_version_subops", test_version_subops },
    { "xen_version_capabilities", test_capabilities },
    { "unknown_hypercall", test_unknown_hypercall }
)
