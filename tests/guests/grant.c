/*
 * Grant tables v1 from inside a domain, with self-grants (a domain may grant
 * to itself): setup_table, query_size, versions, map and unmap (host, read-only,
 * device, contains_pte), copy, dump_table, and each refusal with its GNTST_*
 * code, as Xen 4.17 (gnttab=max-ver:1) answers them. domid=<n> is our id (0).
 * Between domUs (scenarios/grant-domu.scn), role=granter peer=<mapper> grants
 * pages to role=mapper peer=<granter>, which maps, reads, writes and copies
 * them, step by step over an event channel; role=hostile peer=<granter> beside
 * them tries what it may not, overflows its maptrack and dies holding it full.
 */
#include "events.h"
#include "exceptions.h"
#include "guest.h"
#include "hypercall.h"
#include "mm.h"
#include "smp.h"
#include <public/errno.h>
#include <public/grant_table.h>
#include <public/memory.h>

const char test_title[] = "grant: grant tables v1 with self-grants";

#define GT_VA       (GUEST_VIRT_BASE + 0x8000000ull)    /* our table's frames, mapped writable */
#define MAP_VA      (GUEST_VIRT_BASE + 0x8400000ull)    /* where grants get mapped */
#define NO_L1_VA    (GUEST_VIRT_BASE + 0x40000000000ull) /* 4 TiB up: no L1 there */
#define GT_FRAMES   2u
#define REF         10u         /* a writable grant of page[0] */
#define REF_RO      11u         /* a read-only grant of page[1] */
#define REF_NONE    12u         /* never granted */
#define REF_OTHER   13u         /* granted to another domain */
#define REF_BADPAGE 14u         /* grants a frame that is not ours */
#define PIN_MAX     128u        /* one pin field of an active entry (Xen's 8 bits, stops at 0x80) */

static volatile uint8_t page[3][PAGE_SIZE] __attribute__((aligned(4096)));
static struct grant_entry_v1 *gt = (struct grant_entry_v1 *)GT_VA;
static domid_t self;

static int64_t gnttab_op(unsigned int cmd, void *op, unsigned int count)
{
    return hypercall3(__HYPERVISOR_grant_table_op, cmd, op, count);
}

static void grant(grant_ref_t ref, domid_t to, uint64_t frame, uint16_t flags)
{
    gt[ref].frame = (uint32_t)frame;
    gt[ref].domid = to;
    __atomic_store_n(&gt[ref].flags, flags, __ATOMIC_RELEASE);
}

/* Ends a grant as a granter must: only if the hypervisor is not using it. */
static bool end_grant(grant_ref_t ref)
{
    uint16_t flags = gt[ref].flags;
    if (flags & (GTF_reading | GTF_writing))
        return false;
    return __atomic_compare_exchange_n(&gt[ref].flags, &flags, 0, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

static struct gnttab_map_grant_ref map_op(uint64_t addr, uint32_t flags, grant_ref_t ref, domid_t dom)
{
    return (struct gnttab_map_grant_ref){ .host_addr = addr, .flags = flags, .ref = ref, .dom = dom };
}

static int16_t map1(struct gnttab_map_grant_ref *op)
{
    int64_t rc = gnttab_op(GNTTABOP_map_grant_ref, op, 1);
    return rc ? (int16_t)-1000 : op->status;
}

static int16_t unmap1(uint64_t addr, uint64_t dev, grant_handle_t h)
{
    struct gnttab_unmap_grant_ref op = { .host_addr = addr, .dev_bus_addr = dev, .handle = h };
    int64_t rc = gnttab_op(GNTTABOP_unmap_grant_ref, &op, 1);
    return rc ? (int16_t)-1000 : op.status;
}

static bool readable(uint64_t va)
{
    TRY_INSN("movq (%0), %%rdx", "r"(va));
    return last_exc.vector == ~0ull;
}

static bool writable(uint64_t va)
{
    TRY_INSN("movq (%0), %%rdx; movq %%rdx, (%0)", "r"(va));
    return last_exc.vector == ~0ull;
}

static const char *test_query_size(char *why, size_t len)
{
    struct gnttab_query_size q = { .dom = DOMID_SELF };
    int64_t rc = gnttab_op(GNTTABOP_query_size, &q, 1);
    if (rc || q.status != GNTST_okay || q.nr_frames < 1 || q.max_nr_frames != 64)
        return fail(why, len, "rc %lld status %d frames %u max %u", (long long)rc, q.status, q.nr_frames,
                    q.max_nr_frames);
    q.dom = 9;
    if ((rc = gnttab_op(GNTTABOP_query_size, &q, 1)) || q.status != GNTST_bad_domain)
        return fail(why, len, "domain 9: rc %lld status %d", (long long)rc, q.status);
    if ((rc = gnttab_op(GNTTABOP_query_size, &q, 2)) != -XEN_EINVAL)
        return fail(why, len, "count 2: %lld", (long long)rc);
    return NULL;
}

static const char *test_setup_table(char *why, size_t len)
{
    xen_pfn_t frames[GT_FRAMES + 1];
    struct gnttab_setup_table op = { .dom = DOMID_SELF, .nr_frames = 65, .frame_list = (uint64_t)frames };
    int64_t rc = gnttab_op(GNTTABOP_setup_table, &op, 1);
    if (rc || op.status != GNTST_general_error)
        return fail(why, len, "65 frames: rc %lld status %d", (long long)rc, op.status);
    op = (struct gnttab_setup_table){ .dom = 9, .nr_frames = 1, .frame_list = (uint64_t)frames };
    if ((rc = gnttab_op(GNTTABOP_setup_table, &op, 1)) || op.status != GNTST_bad_domain)
        return fail(why, len, "domain 9: rc %lld status %d", (long long)rc, op.status);
    op = (struct gnttab_setup_table){ .dom = DOMID_SELF, .nr_frames = 1, .frame_list = 0xffff800000000000ull };
    if ((rc = gnttab_op(GNTTABOP_setup_table, &op, 1)) != -XEN_EFAULT)
        return fail(why, len, "frame list in the hypervisor: %lld", (long long)rc);
    if ((rc = gnttab_op(GNTTABOP_setup_table, &op, 0)) != -XEN_EINVAL)
        return fail(why, len, "count 0: %lld", (long long)rc);
    op = (struct gnttab_setup_table){ .dom = DOMID_SELF, .nr_frames = GT_FRAMES, .frame_list = (uint64_t)frames };
    if ((rc = gnttab_op(GNTTABOP_setup_table, &op, 1)) || op.status != GNTST_okay)
        return fail(why, len, "%u frames: rc %lld status %d", GT_FRAMES, (long long)rc, op.status);
    for (unsigned int i = 0; i < GT_FRAMES; i++) {
        if (ensure_l1(GT_VA + i * PAGE_SIZE))
            return fail(why, len, "no L1 for the table");
        rc = hypercall3(__HYPERVISOR_update_va_mapping, GT_VA + i * PAGE_SIZE, frames[i] << 12 | PTE_DATA,
                        UVMF_INVLPG);
        if (rc)
            return fail(why, len, "mapping table frame %u (%#llx) writable: %lld", i, (unsigned long long)frames[i],
                        (long long)rc);
    }
    struct gnttab_query_size q = { .dom = DOMID_SELF };
    if (gnttab_op(GNTTABOP_query_size, &q, 1) || q.nr_frames != GT_FRAMES)
        return fail(why, len, "query_size says %u frames after setup", q.nr_frames);
    for (unsigned int i = 0; i < GT_FRAMES * 512; i++)
        if (gt[i].flags)
            return fail(why, len, "entry %u not empty: flags %#x", i, gt[i].flags);
    if (ensure_l1(MAP_VA))
        return fail(why, len, "no L1 at MAP_VA");
    grant(REF, self, virt_to_mfn((const void *)page[0]), GTF_permit_access);
    grant(REF_RO, self, virt_to_mfn((const void *)page[1]), GTF_permit_access | GTF_readonly);
    grant(REF_OTHER, 5, virt_to_mfn((const void *)page[0]), GTF_permit_access);
    grant(REF_BADPAGE, self, 0x7fffff, GTF_permit_access);
    return NULL;
}

static const char *test_versions(char *why, size_t len)
{
    struct gnttab_set_version sv = { .version = 1 };
    int64_t rc = gnttab_op(GNTTABOP_set_version, &sv, 1);
    if (rc || sv.version != 1)
        return fail(why, len, "set 1: rc %lld version %u", (long long)rc, sv.version);
    sv.version = 2;
    if ((rc = gnttab_op(GNTTABOP_set_version, &sv, 1)) != -XEN_ENOSYS || sv.version != 1)
        return fail(why, len, "set 2: rc %lld version %u", (long long)rc, sv.version);
    sv.version = 3;
    if ((rc = gnttab_op(GNTTABOP_set_version, &sv, 1)) != -XEN_EINVAL || sv.version != 1)
        return fail(why, len, "set 3: rc %lld version %u", (long long)rc, sv.version);
    struct gnttab_get_version gv = { .dom = DOMID_SELF };
    if ((rc = gnttab_op(GNTTABOP_get_version, &gv, 1)) || gv.version != 1)
        return fail(why, len, "get: rc %lld version %u", (long long)rc, gv.version);
    gv.dom = 9;
    if ((rc = gnttab_op(GNTTABOP_get_version, &gv, 1)) != -XEN_ESRCH)
        return fail(why, len, "get for domain 9: %lld", (long long)rc);
    return NULL;
}

static const char *test_map_host(char *why, size_t len)
{
    page[0][0] = 0x5a;
    struct gnttab_map_grant_ref op = map_op(MAP_VA, GNTMAP_host_map, REF, self);
    int16_t st = map1(&op);
    if (st != GNTST_okay)
        return fail(why, len, "map: status %d", st);
    if ((gt[REF].flags & (GTF_reading | GTF_writing)) != (GTF_reading | GTF_writing))
        return fail(why, len, "flags %#x while mapped writable", gt[REF].flags);
    if (*(volatile uint8_t *)MAP_VA != 0x5a)
        return fail(why, len, "the mapping does not show the granted page");
    *(volatile uint8_t *)(MAP_VA + 1) = 0xa5;
    if (page[0][1] != 0xa5)
        return fail(why, len, "a write through the mapping does not reach the page");
    if (end_grant(REF))
        return fail(why, len, "the grant could be ended while mapped");
    if ((st = unmap1(MAP_VA, 0, op.handle)) != GNTST_okay)
        return fail(why, len, "unmap: status %d", st);
    if (gt[REF].flags != GTF_permit_access)
        return fail(why, len, "flags %#x after the unmap", gt[REF].flags);
    if (readable(MAP_VA))
        return fail(why, len, "still readable after the unmap");
    if ((st = unmap1(MAP_VA, 0, op.handle)) != GNTST_bad_handle)
        return fail(why, len, "unmapping twice: status %d", st);
    return NULL;
}

/* XENFEAT_gnttab_map_avail_bits: the map's guest-available flags land in the entry's bits 9-11. */
static const char *test_map_avail_bits(char *why, size_t len)
{
    for (uint32_t avail = 0; avail < 8; avail += 5) {
        struct gnttab_map_grant_ref op = map_op(MAP_VA, GNTMAP_host_map | avail << _GNTMAP_guest_avail0, REF, self);
        int16_t st = map1(&op);
        if (st != GNTST_okay)
            return fail(why, len, "map with available bits %u: status %d", avail, st);
        uint64_t pte = read_pte(MAP_VA, 1);
        if ((st = unmap1(MAP_VA, 0, op.handle)) != GNTST_okay)
            return fail(why, len, "unmap: status %d", st);
        if (((pte >> 9) & 7) != avail)
            return fail(why, len, "available bits %u gave the entry %#llx", avail, (unsigned long long)pte);
        if (!(pte & PTE_P) || !(pte & PTE_RW) || !(pte >> 63))
            return fail(why, len, "entry %#llx: want present, writable, never executable", (unsigned long long)pte);
    }
    return NULL;
}

static const char *test_map_readonly(char *why, size_t len)
{
    struct gnttab_map_grant_ref op = map_op(MAP_VA, GNTMAP_host_map, REF_RO, self);
    int16_t st = map1(&op);
    if (st != GNTST_general_error)
        return fail(why, len, "writable map of a read-only grant: status %d", st);
    if (gt[REF_RO].flags != (GTF_permit_access | GTF_readonly))
        return fail(why, len, "flags %#x after the refused map", gt[REF_RO].flags);
    op = map_op(MAP_VA, GNTMAP_host_map | GNTMAP_readonly, REF_RO, self);
    if ((st = map1(&op)) != GNTST_okay)
        return fail(why, len, "read-only map: status %d", st);
    if ((gt[REF_RO].flags & (GTF_reading | GTF_writing)) != GTF_reading)
        return fail(why, len, "flags %#x while mapped read-only", gt[REF_RO].flags);
    if (!readable(MAP_VA))
        return fail(why, len, "read-only mapping not readable");
    if (writable(MAP_VA))
        return fail(why, len, "a read-only mapping took a write");
    if (last_exc.vector != 14)
        return fail(why, len, "the write gave vector %lld, want #PF", (long long)last_exc.vector);
    if ((st = unmap1(MAP_VA, 0, op.handle)) != GNTST_okay)
        return fail(why, len, "unmap: status %d", st);
    if (gt[REF_RO].flags != (GTF_permit_access | GTF_readonly))
        return fail(why, len, "flags %#x after the unmap", gt[REF_RO].flags);
    return NULL;
}

static const char *test_map_device(char *why, size_t len)
{
    struct gnttab_map_grant_ref op = map_op(0, GNTMAP_device_map, REF, self);
    int16_t st = map1(&op);
    uint64_t want = virt_to_mfn((const void *)page[0]) << 12;
    if (st != GNTST_okay || op.dev_bus_addr != want)
        return fail(why, len, "status %d bus address %#llx, want %#llx", st, (unsigned long long)op.dev_bus_addr,
                    (unsigned long long)want);
    if ((st = unmap1(0, want + PAGE_SIZE, op.handle)) != GNTST_bad_dev_addr)
        return fail(why, len, "unmap with another bus address: status %d", st);
    if ((st = unmap1(0, 0, op.handle)) != GNTST_okay)
        return fail(why, len, "unmap of nothing: status %d", st);
    if (!(gt[REF].flags & GTF_writing))
        return fail(why, len, "an unmap of nothing ended the mapping (flags %#x)", gt[REF].flags);
    if ((st = unmap1(0, want, op.handle)) != GNTST_okay)
        return fail(why, len, "unmap: status %d", st);
    if (gt[REF].flags != GTF_permit_access || (st = unmap1(0, want, op.handle)) != GNTST_bad_handle)
        return fail(why, len, "flags %#x after the unmap, unmap again %d", gt[REF].flags, st);
    return NULL;
}

static const char *test_contains_pte(char *why, size_t len)
{
    uint64_t pte = pte_maddr(MAP_VA, 1);
    struct gnttab_map_grant_ref op = map_op(pte, GNTMAP_host_map | GNTMAP_contains_pte, REF, self);
    int16_t st = map1(&op);
    if (st != GNTST_okay)
        return fail(why, len, "map at PTE %#llx: status %d", (unsigned long long)pte, st);
    if (!readable(MAP_VA) || *(volatile uint8_t *)MAP_VA != page[0][0])
        return fail(why, len, "the PTE mapping does not show the page");
    if ((st = unmap1(pte, 0, op.handle)) != GNTST_okay)
        return fail(why, len, "unmap: status %d", st);
    if (readable(MAP_VA))
        return fail(why, len, "still mapped");
    op = map_op(virt_to_mfn((const void *)page[2]) << 12, GNTMAP_host_map | GNTMAP_contains_pte, REF, self);
    if ((st = map1(&op)) != GNTST_general_error)
        return fail(why, len, "a PTE address in a data page: status %d", st);
    return NULL;
}

static const char *test_map_refusals(char *why, size_t len)
{
    static const struct {
        const char *what;
        uint64_t addr;
        uint32_t flags;
        grant_ref_t ref;
        domid_t dom;
        int16_t status;
    } cases[] = {
        { "no host_map or device_map", MAP_VA, 0, REF, 0, GNTST_bad_gntref },
        { "only readonly", MAP_VA, GNTMAP_readonly, REF, 0, GNTST_bad_gntref },
        { "ref beyond the table", MAP_VA, GNTMAP_host_map, GT_FRAMES * 512, 0, GNTST_bad_gntref },
        { "ref 0xffffffff", MAP_VA, GNTMAP_host_map, 0xffffffffu, 0, GNTST_bad_gntref },
        { "DOMID_SELF", MAP_VA, GNTMAP_host_map, REF, DOMID_SELF, GNTST_bad_domain },
        { "no such domain", MAP_VA, GNTMAP_host_map, REF, 9, GNTST_bad_domain },
        { "DOMID_XEN", MAP_VA, GNTMAP_host_map, REF, DOMID_XEN, GNTST_bad_domain },
        { "never granted", MAP_VA, GNTMAP_host_map, REF_NONE, 0, GNTST_general_error },
        { "granted to another domain", MAP_VA, GNTMAP_host_map, REF_OTHER, 0, GNTST_general_error },
        { "a frame not ours", MAP_VA, GNTMAP_host_map, REF_BADPAGE, 0, GNTST_bad_page },
        { "no L1 at host_addr", NO_L1_VA, GNTMAP_host_map, REF, 0, GNTST_general_error },
        { "host_addr in the hypervisor", 0xffff830000000000ull, GNTMAP_host_map, REF, 0, GNTST_general_error },
        { "non-canonical host_addr", 0x0000900000000000ull, GNTMAP_host_map, REF, 0, GNTST_general_error },
    };
    for (unsigned int i = 0; i < ARRAY_SIZE(cases); i++) {
        domid_t dom = cases[i].dom ? cases[i].dom : self;
        struct gnttab_map_grant_ref op = map_op(cases[i].addr, cases[i].flags, cases[i].ref, dom);
        int16_t st = map1(&op);
        if (st != cases[i].status)
            return fail(why, len, "%s: status %d, want %d", cases[i].what, st, cases[i].status);
    }
    if (gt[REF].flags != GTF_permit_access || gt[REF_BADPAGE].flags != GTF_permit_access ||
        gt[REF_OTHER].flags != GTF_permit_access)
        return fail(why, len, "a refused map left flags %#x %#x %#x", gt[REF].flags, gt[REF_BADPAGE].flags,
                    gt[REF_OTHER].flags);
    static const grant_handle_t bad[] = { 0x7fff, 0xffffffffu, 1000000 };
    for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
        int16_t st = unmap1(MAP_VA, 0, bad[i]);
        if (st != GNTST_bad_handle)
            return fail(why, len, "unmap of handle %#x: status %d", bad[i], st);
    }
    int64_t rc = gnttab_op(GNTTABOP_map_grant_ref, (void *)0xffff830000000000ull, 1);
    if (rc != -XEN_EFAULT)
        return fail(why, len, "map array in the hypervisor: %lld", (long long)rc);
    if ((rc = gnttab_op(64, NULL, 0)) != -XEN_ENOSYS)
        return fail(why, len, "unknown command: %lld", (long long)rc);
    if ((rc = gnttab_op(GNTTABOP_map_grant_ref | 0x1000, NULL, 0)) != -XEN_EINVAL)
        return fail(why, len, "command with continuation bits: %lld", (long long)rc);
    return NULL;
}

/* A pin field takes PIN_MAX mappings; one more is refused. */
static const char *test_pin_limit(char *why, size_t len)
{
    static struct gnttab_map_grant_ref ops[PIN_MAX + 1];
    for (unsigned int i = 0; i <= PIN_MAX; i++)
        ops[i] = map_op(0, GNTMAP_device_map | GNTMAP_readonly, REF, self);
    int64_t rc = gnttab_op(GNTTABOP_map_grant_ref, ops, PIN_MAX + 1);
    if (rc)
        return fail(why, len, "batch: %lld", (long long)rc);
    unsigned int ok = 0;
    for (unsigned int i = 0; i <= PIN_MAX; i++)
        ok += ops[i].status == GNTST_okay;
    if (ok != PIN_MAX || ops[PIN_MAX].status != GNTST_general_error)
        return fail(why, len, "%u mapped, the last says %d", ok, ops[PIN_MAX].status);
    static struct gnttab_unmap_grant_ref un[PIN_MAX];
    for (unsigned int i = 0; i < PIN_MAX; i++)
        un[i] = (struct gnttab_unmap_grant_ref){ .dev_bus_addr = ops[i].dev_bus_addr, .handle = ops[i].handle };
    if ((rc = gnttab_op(GNTTABOP_unmap_grant_ref, un, PIN_MAX)))
        return fail(why, len, "unmap batch: %lld", (long long)rc);
    for (unsigned int i = 0; i < PIN_MAX; i++)
        if (un[i].status != GNTST_okay)
            return fail(why, len, "unmap %u: status %d", i, un[i].status);
    if (gt[REF].flags != GTF_permit_access)
        return fail(why, len, "flags %#x after every unmap", gt[REF].flags);
    return NULL;
}

/* A frame mapped writable through a grant cannot become a page table. */
static const char *test_mapped_frame_pinned(char *why, size_t len)
{
    struct gnttab_map_grant_ref op = map_op(MAP_VA, GNTMAP_host_map, REF, self);
    int16_t st = map1(&op);
    if (st != GNTST_okay)
        return fail(why, len, "map: %d", st);
    int64_t rc = mmuext(MMUEXT_PIN_L1_TABLE, virt_to_mfn((const void *)page[0]), 0);
    if ((st = unmap1(MAP_VA, 0, op.handle)) != GNTST_okay)
        return fail(why, len, "unmap: %d", st);
    if (rc != -XEN_EINVAL)
        return fail(why, len, "pinning the mapped frame as an L1: %lld", (long long)rc);
    return NULL;
}

static struct gnttab_copy copy_op(uint16_t flags, uint64_t src, domid_t sdom, uint16_t soff, uint64_t dst,
                                  domid_t ddom, uint16_t doff, uint16_t n)
{
    struct gnttab_copy c = { .len = n, .flags = flags };
    c.source.domid = sdom;
    c.source.offset = soff;
    c.dest.domid = ddom;
    c.dest.offset = doff;
    if (flags & GNTCOPY_source_gref)
        c.source.u.ref = (grant_ref_t)src;
    else
        c.source.u.gmfn = src;
    if (flags & GNTCOPY_dest_gref)
        c.dest.u.ref = (grant_ref_t)dst;
    else
        c.dest.u.gmfn = dst;
    return c;
}

static const char *test_copy(char *why, size_t len)
{
    for (unsigned int i = 0; i < PAGE_SIZE; i++)
        page[0][i] = (uint8_t)(i * 7 + 1);
    for (unsigned int i = 0; i < PAGE_SIZE; i++)
        page[2][i] = 0;
    uint64_t p2 = virt_to_mfn((const void *)page[2]);
    struct gnttab_copy c[6] = {
        copy_op(GNTCOPY_source_gref, REF, self, 8, p2, DOMID_SELF, 100, 200),
        copy_op(GNTCOPY_dest_gref, p2, DOMID_SELF, 100, REF_RO, self, 0, 16),
        copy_op(GNTCOPY_source_gref, REF, self, 4000, p2, DOMID_SELF, 0, 200),
        copy_op(0, p2, self, 0, p2, DOMID_SELF, 0, 16),
        copy_op(GNTCOPY_source_gref, REF_NONE, self, 0, p2, DOMID_SELF, 0, 16),
        copy_op(0, 0x7fffff, DOMID_SELF, 0, p2, DOMID_SELF, 0, 16),
    };
    static const int16_t want[6] = { GNTST_okay, GNTST_general_error, GNTST_bad_copy_arg,
                                     GNTST_permission_denied, GNTST_general_error, GNTST_bad_page };
    int64_t rc = gnttab_op(GNTTABOP_copy, c, 6);
    if (rc)
        return fail(why, len, "batch: %lld", (long long)rc);
    for (unsigned int i = 0; i < 6; i++)
        if (c[i].status != want[i])
            return fail(why, len, "element %u: status %d, want %d", i, c[i].status, want[i]);
    for (unsigned int i = 0; i < PAGE_SIZE; i++) {
        uint8_t w = i >= 100 && i < 300 ? page[0][i - 100 + 8] : 0;
        if (page[2][i] != w)
            return fail(why, len, "byte %u is %#x, want %#x", i, page[2][i], w);
    }
    /* Into a grant, by grant on both sides (the same entry: read and written). */
    struct gnttab_copy d = copy_op(GNTCOPY_source_gref | GNTCOPY_dest_gref, REF, self, 0, REF, self, 2048, 64);
    if ((rc = gnttab_op(GNTTABOP_copy, &d, 1)) || d.status != GNTST_okay)
        return fail(why, len, "gref to gref: rc %lld status %d", (long long)rc, d.status);
    for (unsigned int i = 0; i < 64; i++)
        if (page[0][2048 + i] != (uint8_t)(i * 7 + 1))
            return fail(why, len, "gref copy byte %u wrong", i);
    if (gt[REF].flags != GTF_permit_access || gt[REF_RO].flags != (GTF_permit_access | GTF_readonly))
        return fail(why, len, "flags %#x %#x after the copies", gt[REF].flags, gt[REF_RO].flags);
    return NULL;
}

static const char *test_swap_and_status(char *why, size_t len)
{
    grant(20, 7, 0x1234, GTF_permit_access);
    grant(21, 8, 0x5678, GTF_permit_access | GTF_readonly);
    struct gnttab_map_grant_ref m = map_op(0, GNTMAP_device_map, REF, self);
    int16_t st = map1(&m);
    if (st)
        return fail(why, len, "map: %d", st);
    struct gnttab_swap_grant_ref sw[5] = {
        { .ref_a = 20, .ref_b = 21 }, { .ref_a = 20, .ref_b = 20 }, { .ref_a = 20, .ref_b = GT_FRAMES * 512 },
        { .ref_a = 0xffffffffu, .ref_b = 20 }, { .ref_a = 21, .ref_b = REF },
    };
    static const int16_t want[5] = { GNTST_okay, GNTST_okay, GNTST_bad_gntref, GNTST_bad_gntref, GNTST_eagain };
    int64_t rc = gnttab_op(GNTTABOP_swap_grant_ref, sw, 5);
    st = unmap1(0, m.dev_bus_addr, m.handle);
    if (rc || st)
        return fail(why, len, "swap batch: %lld, unmap %d", (long long)rc, st);
    for (unsigned int i = 0; i < 5; i++)
        if (sw[i].status != want[i])
            return fail(why, len, "swap %u: status %d, want %d", i, sw[i].status, want[i]);
    if (gt[20].domid != 8 || gt[20].frame != 0x5678 || gt[20].flags != (GTF_permit_access | GTF_readonly) ||
        gt[21].domid != 7 || gt[21].frame != 0x1234 || gt[21].flags != GTF_permit_access)
        return fail(why, len, "entries not exchanged: %u/%#x/%#x %u/%#x/%#x", gt[20].domid, gt[20].frame,
                    gt[20].flags, gt[21].domid, gt[21].frame, gt[21].flags);
    gt[20].flags = gt[21].flags = 0;
    uint64_t list[1];
    struct gnttab_get_status_frames gs = { .nr_frames = 0, .dom = DOMID_SELF, .frame_list = (uint64_t)list, .status = 1 };
    if ((rc = gnttab_op(GNTTABOP_get_status_frames, &gs, 1)) || gs.status != GNTST_okay)
        return fail(why, len, "no status frames of a v1 table: rc %lld status %d", (long long)rc, gs.status);
    gs.nr_frames = 1;
    if ((rc = gnttab_op(GNTTABOP_get_status_frames, &gs, 1)) || gs.status != GNTST_general_error)
        return fail(why, len, "a status frame of a v1 table: rc %lld status %d", (long long)rc, gs.status);
    gs.dom = 9;
    if ((rc = gnttab_op(GNTTABOP_get_status_frames, &gs, 1)) || gs.status != GNTST_bad_domain)
        return fail(why, len, "status frames of domain 9: rc %lld status %d", (long long)rc, gs.status);
    return NULL;
}

/*
 * The granter races the mapper (vCPU 1 ends and re-grants an entry as fast as it
 * can while vCPU 0 maps and unmaps it): a map that succeeded holds GTF_reading, and
 * the granter's end never succeeds while a mapping is live.
 */
#define REF_RACE    30u
#define RACE_MAPS   500u        /* successful maps wanted */
#define RACE_TRIES  30000u      /* attempts at most (Xen refuses most while the granter races) */

static volatile uint32_t race_stop, race_live, race_ends, race_bad;

static void race_granter(void *arg)
{
    (void)arg;
    uint64_t frame = virt_to_mfn((const void *)page[1]);
    while (!__atomic_load_n(&race_stop, __ATOMIC_ACQUIRE)) {
        if (!end_grant(REF_RACE))
            continue;
        if (__atomic_load_n(&race_live, __ATOMIC_ACQUIRE))
            race_bad++;                     /* ended under a live mapping */
        race_ends++;
        grant(REF_RACE, self, frame, GTF_permit_access | GTF_readonly);
    }
}

static const char *test_flag_race(char *why, size_t len)
{
    if (smp_nr_vcpus() < 2) {
        printk("# one vCPU: no race to run\n");
        return NULL;
    }
    if (!shinfo && events_init())           /* the waits read the clock in shared_info */
        return fail(why, len, "events_init failed");
    grant(REF_RACE, self, virt_to_mfn((const void *)page[1]), GTF_permit_access | GTF_readonly);
    int64_t rc = smp_run(1, race_granter, NULL);
    if (rc)
        return fail(why, len, "starting vCPU 1: %lld", (long long)rc);
    if (!smp_wait_ge(&race_ends, 10))
        return fail(why, len, "vCPU 1 never ended the grant");
    unsigned int maps = 0, refused = 0, ends0 = race_ends;
    const char *err = NULL;
    for (unsigned int i = 0; i < RACE_TRIES && (maps < RACE_MAPS || race_ends - ends0 < 10) && !err; i++) {
        struct gnttab_map_grant_ref op = map_op(0, GNTMAP_device_map | GNTMAP_readonly, REF_RACE, self);
        int16_t st = map1(&op);
        if (st == GNTST_general_error) {
            refused++;                      /* ended at that moment (or too unstable to pin) */
            continue;
        }
        if (st != GNTST_okay) {
            err = "map";
            break;
        }
        __atomic_store_n(&race_live, 1, __ATOMIC_RELEASE);
        maps++;
        if (!(gt[REF_RACE].flags & GTF_reading) || (gt[REF_RACE].flags & GTF_type_mask) != GTF_permit_access)
            err = "a live mapping's entry lost GTF_reading or its grant";
        __atomic_store_n(&race_live, 0, __ATOMIC_RELEASE);
        if (unmap1(0, op.dev_bus_addr, op.handle) != GNTST_okay)
            err = "unmap";
    }
    __atomic_store_n(&race_stop, 1, __ATOMIC_RELEASE);
    if (!smp_join(1))
        return fail(why, len, "vCPU 1 did not stop");
    unsigned int raced = race_ends - ends0;
    printk("# %u maps, %u refused, %u ends by the racing granter meanwhile\n", maps, refused, raced);
    if (err)
        return fail(why, len, "%s", err);
    if (race_bad)
        return fail(why, len, "the granter ended the grant %u times under a live mapping", race_bad);
    if (!maps || !raced)
        return fail(why, len, "no race: %u maps while the granter ended it %u times", maps, raced);
    gt[REF_RACE].flags = 0;
    return NULL;
}

static const char *test_dump_table(char *why, size_t len)
{
    struct gnttab_dump_table op = { .dom = DOMID_SELF, .status = 1 };
    int64_t rc = gnttab_op(GNTTABOP_dump_table, &op, 1);
    if (rc || op.status != GNTST_okay)
        return fail(why, len, "rc %lld status %d", (long long)rc, op.status);
    return NULL;
}

static const char *test_setup(char *why, size_t len)
{
    if (exceptions_install())
        return fail(why, len, "set_trap_table failed");
    self = (domid_t)guest_option_num("domid", 0);
    return NULL;
}

/* ---- between domains: granter, mapper, hostile ------------------------------ */

/* Refs the granter gives the mapper. */
#define PEER_RW     8u          /* page[0], writable */
#define PEER_RO     9u          /* page[1], read-only */
#define PEER_DEST   10u         /* page[2], the mapper copies into it */
#define PEER_KEEP   11u         /* keep[], the mapper still maps it after the granter died */
#define STEP_NS     5000000000ull
#define MARK(i)     ((uint8_t)((i) * 13 + 7))

static volatile uint8_t keep[PAGE_SIZE] __attribute__((aligned(4096)));
static domid_t peer;
static unsigned int port;

/* Waits up to STEP_NS for the peer's next event; true if it came. */
static bool wait_peer(void)
{
    uint64_t end = pvclock_now() + STEP_NS;
    while (!port_pending(port)) {
        if (pvclock_now() >= end)
            return false;
        poll_port(port, end);
    }
    port_clear(port);
    return true;
}

static const char *setup_own_table(char *why, size_t len, unsigned int frames)
{
    xen_pfn_t list[4];
    struct gnttab_setup_table op = { .dom = DOMID_SELF, .nr_frames = frames, .frame_list = (uint64_t)list };
    int64_t rc = gnttab_op(GNTTABOP_setup_table, &op, 1);
    if (rc || op.status != GNTST_okay)
        return fail(why, len, "setup_table: rc %lld status %d", (long long)rc, op.status);
    for (unsigned int i = 0; i < frames; i++) {
        if (ensure_l1(GT_VA + i * PAGE_SIZE) ||
            hypercall3(__HYPERVISOR_update_va_mapping, GT_VA + i * PAGE_SIZE, list[i] << 12 | PTE_DATA, UVMF_INVLPG))
            return fail(why, len, "mapping table frame %u", i);
    }
    if (ensure_l1(MAP_VA))
        return fail(why, len, "no L1 at MAP_VA");
    return NULL;
}

static const char *test_peer_setup(char *why, size_t len)
{
    if (exceptions_install())
        return fail(why, len, "set_trap_table failed");
    self = (domid_t)guest_option_num("domid", DOMID_INVALID);
    if (self == DOMID_INVALID)
        return fail(why, len, "no domid=<our id> on the command line");
    if ((peer = events_init_for_peer(why, len)) == DOMID_INVALID)
        return why;
    return setup_own_table(why, len, 1);
}

static const char *test_granter(char *why, size_t len)
{
    int64_t rc = evtchn_offer(peer, &port);
    if (rc)
        return fail(why, len, "alloc_unbound: %lld", (long long)rc);
    for (unsigned int i = 0; i < PAGE_SIZE; i++) {
        page[0][i] = MARK(i);
        page[1][i] = MARK(i + 1);
        page[2][i] = 0;
        keep[i] = MARK(i + 2);
    }
    grant(PEER_RW, peer, virt_to_mfn((const void *)page[0]), GTF_permit_access);
    grant(PEER_RO, peer, virt_to_mfn((const void *)page[1]), GTF_permit_access | GTF_readonly);
    grant(PEER_DEST, peer, virt_to_mfn((const void *)page[2]), GTF_permit_access);
    grant(PEER_KEEP, peer, virt_to_mfn((const void *)keep), GTF_permit_access);
    if (!wait_peer())
        return fail(why, len, "the mapper never connected");
    evtchn_send(port);                                  /* granted */
    if (!wait_peer())
        return fail(why, len, "the mapper never said it mapped");
    if ((gt[PEER_RW].flags & (GTF_reading | GTF_writing)) != (GTF_reading | GTF_writing) ||
        (gt[PEER_RO].flags & (GTF_reading | GTF_writing)) != GTF_reading)
        return fail(why, len, "flags %#x %#x while mapped", gt[PEER_RW].flags, gt[PEER_RO].flags);
    if (end_grant(PEER_RW) || end_grant(PEER_RO))
        return fail(why, len, "a grant still mapped could be ended");
    /* Ending it by force: the compare-and-exchange from the bare grant fails while the hypervisor uses it. */
    uint16_t bare = GTF_permit_access;
    if (__atomic_compare_exchange_n(&gt[PEER_RW].flags, &bare, 0, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
        return fail(why, len, "the flags of a mapped grant changed under a compare-and-exchange");
    for (unsigned int i = 0; i < 64; i++)
        if (page[0][i] != (uint8_t)~MARK(i))
            return fail(why, len, "byte %u of the page the mapper wrote is %#x", i, page[0][i]);
    for (unsigned int i = 0; i < PAGE_SIZE; i++)
        if (page[2][i] != page[1][i])
            return fail(why, len, "byte %u of the copy is %#x, want %#x", i, page[2][i], page[1][i]);
    evtchn_send(port);                                  /* checked */
    if (!wait_peer())
        return fail(why, len, "the mapper never said it unmapped");
    if (!end_grant(PEER_RW) || !end_grant(PEER_RO) || !end_grant(PEER_DEST))
        return fail(why, len, "grants could not be ended after the unmaps (flags %#x %#x %#x)", gt[PEER_RW].flags,
                    gt[PEER_RO].flags, gt[PEER_DEST].flags);
    if (end_grant(PEER_KEEP))
        return fail(why, len, "the grant the mapper keeps could be ended");
    printk("# leaving with grant %u still mapped by domain %u\n", PEER_KEEP, peer);
    evtchn_send(port);                                  /* bye: we die with it mapped */
    return NULL;
}

static const char *test_mapper(char *why, size_t len)
{
    int64_t rc = evtchn_connect(peer, &port);
    if (rc)
        return fail(why, len, "binding to a port of %u: %lld", peer, (long long)rc);
    evtchn_send(port);                                  /* connected */
    if (!wait_peer())
        return fail(why, len, "never granted");
    struct gnttab_map_grant_ref m[2] = {
        map_op(MAP_VA, GNTMAP_host_map, PEER_RW, peer),
        map_op(MAP_VA + PAGE_SIZE, GNTMAP_host_map | GNTMAP_readonly, PEER_RO, peer),
    };
    if (ensure_l1(MAP_VA + PAGE_SIZE) || (rc = gnttab_op(GNTTABOP_map_grant_ref, m, 2)) || m[0].status ||
        m[1].status)
        return fail(why, len, "map: rc %lld status %d %d", (long long)rc, m[0].status, m[1].status);
    volatile uint8_t *rw = (volatile uint8_t *)MAP_VA, *ro = (volatile uint8_t *)(MAP_VA + PAGE_SIZE);
    for (unsigned int i = 0; i < PAGE_SIZE; i++)
        if (rw[i] != MARK(i) || ro[i] != MARK(i + 1))
            return fail(why, len, "byte %u reads %#x %#x through the mappings", i, rw[i], ro[i]);
    for (unsigned int i = 0; i < 64; i++)
        rw[i] = (uint8_t)~MARK(i);
    if (writable(MAP_VA + PAGE_SIZE) || last_exc.vector != 14)
        return fail(why, len, "the read-only mapping took a write (vector %lld)", (long long)last_exc.vector);
    struct gnttab_copy c = copy_op(GNTCOPY_source_gref | GNTCOPY_dest_gref, PEER_RO, peer, 0, PEER_DEST, peer, 0,
                                   PAGE_SIZE);
    if ((rc = gnttab_op(GNTTABOP_copy, &c, 1)) || c.status)
        return fail(why, len, "copy between the peer's grants: rc %lld status %d", (long long)rc, c.status);
    /* Not ours to name by frame, and not granted to be written. */
    struct gnttab_copy bad[2] = {
        copy_op(0, virt_to_mfn((const void *)page[0]), peer, 0, PEER_DEST, peer, 0, 8),
        copy_op(GNTCOPY_dest_gref, virt_to_mfn((const void *)page[0]), DOMID_SELF, 0, PEER_RO, peer, 0, 8),
    };
    if ((rc = gnttab_op(GNTTABOP_copy, bad, 2)) || bad[0].status != GNTST_permission_denied ||
        bad[1].status != GNTST_general_error)
        return fail(why, len, "refused copies: rc %lld status %d %d", (long long)rc, bad[0].status, bad[1].status);
    evtchn_send(port);                                  /* mapped */
    if (!wait_peer())
        return fail(why, len, "the granter never checked");
    int16_t st;
    if ((st = unmap1(MAP_VA, 0, m[0].handle)) || (st = unmap1(MAP_VA + PAGE_SIZE, 0, m[1].handle)))
        return fail(why, len, "unmap: status %d", st);
    struct gnttab_map_grant_ref k = map_op(MAP_VA, GNTMAP_host_map, PEER_KEEP, peer);
    if ((st = map1(&k)))
        return fail(why, len, "mapping the grant to keep: %d", st);
    evtchn_send(port);                                  /* unmapped */
    if (!wait_peer())
        return fail(why, len, "the granter never said goodbye");
    /* Wait until the granter is gone: then nothing of it can be mapped any more. */
    uint64_t end = pvclock_now() + STEP_NS;
    for (;;) {
        struct gnttab_map_grant_ref again = map_op(MAP_VA + PAGE_SIZE, GNTMAP_host_map, PEER_KEEP, peer);
        if ((st = map1(&again)) == GNTST_bad_domain)
            break;
        if (st == GNTST_okay)
            unmap1(MAP_VA + PAGE_SIZE, 0, again.handle);
        if (pvclock_now() > end)
            return fail(why, len, "the granter still answers maps (%d)", st);
        hyp_sched_op(SCHEDOP_yield, NULL);
    }
    /* Its destruction (in steps, some 15 ms) meanwhile reaches its page list: our frame stays, orphaned. */
    for (uint64_t until = pvclock_now() + 1000000000ull; pvclock_now() < until;) {
        port_clear(port);                   /* the granter's end of the channel may have closed */
        poll_port(port, until);
    }
    volatile uint8_t *kept = (volatile uint8_t *)MAP_VA;
    for (unsigned int i = 0; i < PAGE_SIZE; i++)
        if (kept[i] != MARK(i + 2))
            return fail(why, len, "byte %u of the dead granter's page reads %#x", i, kept[i]);
    kept[0] = 1;
    if ((st = unmap1(MAP_VA, 0, k.handle)))
        return fail(why, len, "unmapping the dead granter's page: %d", st);
    if (readable(MAP_VA))
        return fail(why, len, "still mapped");
    return NULL;
}

/* ---- the hostile domU --------------------------------------------------------- */

#define HOSTILE_REFS 1030u      /* self-grants of one page, each pinned 128 times (a pin field's most): past the limit */

static const char *test_hostile_foreign(char *why, size_t len)
{
    struct { grant_ref_t ref; uint32_t flags; int16_t status; } cases[] = {
        { PEER_RW, GNTMAP_host_map, GNTST_general_error },          /* granted to someone else */
        { PEER_RO, GNTMAP_device_map | GNTMAP_readonly, GNTST_general_error },
        { 3, GNTMAP_device_map, GNTST_general_error },              /* never granted */
        { 5000, GNTMAP_device_map, GNTST_bad_gntref },
    };
    for (unsigned int i = 0; i < ARRAY_SIZE(cases); i++) {
        struct gnttab_map_grant_ref op = map_op(MAP_VA, cases[i].flags, cases[i].ref, peer);
        int16_t st = map1(&op);
        if (st != cases[i].status && st != GNTST_bad_domain)    /* the granter may be gone already */
            return fail(why, len, "ref %u of domain %u: status %d, want %d", cases[i].ref, peer, st, cases[i].status);
    }
    struct gnttab_copy c = copy_op(GNTCOPY_source_gref, PEER_RW, peer, 0, virt_to_mfn((const void *)page[0]),
                                   DOMID_SELF, 0, 8);
    if (gnttab_op(GNTTABOP_copy, &c, 1) || (c.status != GNTST_general_error && c.status != GNTST_bad_domain))
        return fail(why, len, "copy from another's grant: %d", c.status);
    xen_pfn_t frames[1];
    struct gnttab_setup_table st = { .dom = peer, .nr_frames = 1, .frame_list = (uint64_t)frames };
    if (gnttab_op(GNTTABOP_setup_table, &st, 1) || st.status != GNTST_permission_denied)
        return fail(why, len, "setup_table of domain %u: %d", peer, st.status);
    struct gnttab_query_size q = { .dom = 0 };
    if (gnttab_op(GNTTABOP_query_size, &q, 1) || q.status != GNTST_permission_denied)
        return fail(why, len, "query_size of dom0: %d", q.status);
    struct gnttab_dump_table dt = { .dom = 0 };
    if (gnttab_op(GNTTABOP_dump_table, &dt, 1) || dt.status != GNTST_permission_denied)
        return fail(why, len, "dump_table of dom0: %d", dt.status);
    /* Frames that are not ours (beyond RAM; 64 MiB away: free or another domain's), self-granted. */
    uint64_t not_ours[2] = { 0x7fffff, virt_to_mfn((const void *)page[0]) ^ 0x4000 };
    for (unsigned int i = 0; i < 2; i++) {
        grant(REF_BADPAGE, self, not_ours[i], GTF_permit_access);
        struct gnttab_map_grant_ref op = map_op(MAP_VA, GNTMAP_host_map, REF_BADPAGE, self);
        int16_t s2 = map1(&op);
        if (s2 != GNTST_bad_page)
            return fail(why, len, "self-grant of frame %#llx, not ours: %d", (unsigned long long)not_ours[i], s2);
    }
    return NULL;
}

static const char *test_hostile_ptes(char *why, size_t len)
{
    grant(REF, self, virt_to_mfn((const void *)page[0]), GTF_permit_access);
    grant(REF_RO, self, virt_to_mfn((const void *)page[1]), GTF_permit_access | GTF_readonly);
    struct gnttab_map_grant_ref op = map_op(MAP_VA, GNTMAP_host_map, REF, self);
    int16_t st = map1(&op);
    if (st)
        return fail(why, len, "map: %d", st);
    uint64_t pte = pte_maddr(MAP_VA, 1);
    int64_t rc;
    if ((rc = mmu_update_one(pte, 0)) != -XEN_EINVAL)
        return fail(why, len, "clearing the grant entry by mmu_update: %lld", (long long)rc);
    if ((rc = hypercall3(__HYPERVISOR_update_va_mapping, MAP_VA, virt_to_mfn((const void *)page[2]) << 12 | PTE_DATA,
                         UVMF_INVLPG)) != -XEN_EINVAL)
        return fail(why, len, "overwriting the grant entry: %lld", (long long)rc);
    if ((rc = hypercall3(__HYPERVISOR_update_va_mapping, MAP_VA + PAGE_SIZE,
                         virt_to_mfn((const void *)page[2]) << 12 | PTE_DATA | (1ull << 62), UVMF_INVLPG)) !=
        -XEN_EINVAL)
        return fail(why, len, "forging a grant entry (bit 62): %lld", (long long)rc);
    if (!writable(MAP_VA))
        return fail(why, len, "the mapping is gone after the refused updates");
    if ((st = unmap1(MAP_VA + PAGE_SIZE, 0, op.handle)) != GNTST_general_error)
        return fail(why, len, "unmap at another address: %d", st);
    if ((st = unmap1(MAP_VA, 0, op.handle + 1)) != GNTST_bad_handle)
        return fail(why, len, "unmap with a garbage handle: %d", st);
    if ((st = unmap1(MAP_VA, 0, op.handle)) || (st = unmap1(MAP_VA, 0, op.handle)) != GNTST_bad_handle)
        return fail(why, len, "unmap, then unmap again: %d", st);
    /* Read-only: a write faults and nothing else happens. */
    op = map_op(MAP_VA, GNTMAP_host_map | GNTMAP_readonly, REF_RO, self);
    if ((st = map1(&op)))
        return fail(why, len, "read-only map: %d", st);
    if (writable(MAP_VA) || last_exc.vector != 14)
        return fail(why, len, "a read-only grant mapping took a write");
    if ((st = unmap1(MAP_VA, 0, op.handle)))
        return fail(why, len, "unmap: %d", st);
    /* Garbage flags and addresses. */
    static const struct { uint64_t addr; uint32_t flags; } junk[] = {
        { 0xffff830000000000ull, GNTMAP_host_map },
        { 0xffff830000000000ull, GNTMAP_host_map | GNTMAP_contains_pte },
        { 0x1003, GNTMAP_host_map | GNTMAP_contains_pte },
        { MAP_VA, 0xffffffe0u },
        { MAP_VA, 0xffffffffu },
    };
    for (unsigned int i = 0; i < ARRAY_SIZE(junk); i++) {
        op = map_op(junk[i].addr, junk[i].flags, REF, self);
        st = map1(&op);
        if (st == GNTST_okay && !(junk[i].flags & GNTMAP_device_map))
            return fail(why, len, "junk map %u succeeded", i);
        if (st == GNTST_okay)
            unmap1(junk[i].addr, op.dev_bus_addr, op.handle);
    }
    if (gt[REF].flags != GTF_permit_access || gt[REF_RO].flags != (GTF_permit_access | GTF_readonly))
        return fail(why, len, "flags %#x %#x after it all", gt[REF].flags, gt[REF_RO].flags);
    return NULL;
}

/* A frame mapped through a grant and given back stays until the mapping goes, then it is freed. */
static const char *test_hostile_balloon(char *why, size_t len)
{
    static xen_pfn_t frame;
    frame = spare_mfn();
    if (!frame)
        return fail(why, len, "no spare frame");
    grant(REF_NONE, self, frame, GTF_permit_access);
    struct gnttab_map_grant_ref op = map_op(MAP_VA, GNTMAP_host_map, REF_NONE, self);
    int16_t st = map1(&op);
    if (st)
        return fail(why, len, "map: %d", st);
    volatile uint64_t *p = (volatile uint64_t *)MAP_VA;
    p[7] = 0x5eed;
    struct xen_memory_reservation r = { .extent_start = (uint64_t)&frame, .nr_extents = 1, .domid = DOMID_SELF };
    int64_t rc = hypercall2(__HYPERVISOR_memory_op, XENMEM_decrease_reservation, &r);
    if (rc != 1)
        return fail(why, len, "giving the mapped frame back: %lld", (long long)rc);
    if (p[7] != 0x5eed || !writable(MAP_VA))
        return fail(why, len, "the frame went while still mapped");
    if ((st = unmap1(MAP_VA, 0, op.handle)))
        return fail(why, len, "unmap: %d", st);
    op = map_op(MAP_VA, GNTMAP_host_map, REF_NONE, self);
    if ((st = map1(&op)) != GNTST_bad_page)
        return fail(why, len, "mapping the given-back frame again: %d", st);
    gt[REF_NONE].flags = 0;
    return NULL;
}

/* Fills the maptrack to its limit, then dies holding every mapping: its destruction releases them. */
static const char *test_hostile_maptrack(char *why, size_t len)
{
    static struct gnttab_map_grant_ref ops[128];
    uint64_t frame = virt_to_mfn((const void *)page[0]);
    for (unsigned int r = 0; r < HOSTILE_REFS; r++)
        grant(16 + r, self, frame, GTF_permit_access);
    unsigned int mapped = 0;
    int16_t last = GNTST_okay;
    for (unsigned int r = 0; r < HOSTILE_REFS && last == GNTST_okay; r++) {
        for (unsigned int i = 0; i < 128; i++)
            ops[i] = map_op(0, GNTMAP_device_map | GNTMAP_readonly, 16 + r, self);
        int64_t rc = gnttab_op(GNTTABOP_map_grant_ref, ops, 128);
        if (rc)
            return fail(why, len, "batch %u: %lld", r, (long long)rc);
        for (unsigned int i = 0; i < 128; i++) {
            if (ops[i].status == GNTST_okay)
                mapped++;
            else
                last = ops[i].status;
        }
    }
    printk("# %u mappings held, then status %d\n", mapped, last);
    /* Xen's maptrack holds 256 a frame (16-byte entries), ours 128: the limits differ, the answer does not. */
    if (last != GNTST_no_device_space || mapped < 1024u * 128u)
        return fail(why, len, "maptrack full after %u mappings with status %d", mapped, last);
    struct gnttab_unmap_grant_ref un = { .dev_bus_addr = frame << 12, .handle = ops[0].handle };
    if (gnttab_op(GNTTABOP_unmap_grant_ref, &un, 1) || un.status)
        return fail(why, len, "unmap one: %d", un.status);
    struct gnttab_map_grant_ref one = map_op(0, GNTMAP_device_map | GNTMAP_readonly, 16, self);
    if (map1(&one))
        return fail(why, len, "the freed handle cannot be used again: %d", one.status);
    if (end_grant(16))
        return fail(why, len, "a pinned grant could be ended");
    printk("# dying with the maptrack full\n");
    return NULL;
}

static const char *test_hostile_setup(char *why, size_t len)
{
    if (exceptions_install())
        return fail(why, len, "set_trap_table failed");
    self = (domid_t)guest_option_num("domid", DOMID_INVALID);
    peer = (domid_t)guest_option_num("peer", DOMID_INVALID);
    if (self == DOMID_INVALID || peer == DOMID_INVALID)
        return fail(why, len, "needs domid=<ours> peer=<granter>");
    return setup_own_table(why, len, 3);
}

static const struct test_case dom0_cases[] = {
    { "setup", test_setup }, { "query_size", test_query_size }, { "setup_table", test_setup_table },
    { "versions", test_versions }, { "map_host", test_map_host },
    { "map_avail_bits", test_map_avail_bits }, { "map_readonly", test_map_readonly },
    { "map_device", test_map_device }, { "contains_pte", test_contains_pte },
    { "map_refusals", test_map_refusals }, { "pin_limit", test_pin_limit },
    { "mapped_frame_pinned", test_mapped_frame_pinned }, { "copy", test_copy },
    { "swap_and_status_frames", test_swap_and_status }, { "flag_race", test_flag_race },
    { "dump_table", test_dump_table },
};
static const struct test_case granter_cases[] = { { "setup", test_peer_setup }, { "granter", test_granter } };
static const struct test_case mapper_cases[] = { { "setup", test_peer_setup }, { "mapper", test_mapper } };
static const struct test_case hostile_cases[] = {
    { "setup", test_hostile_setup }, { "foreign", test_hostile_foreign }, { "ptes", test_hostile_ptes },
    { "balloon", test_hostile_balloon }, { "maptrack", test_hostile_maptrack },
};

const struct test_case *guest_cases(unsigned int *n)
{
#define PICK(a) (*n = ARRAY_SIZE(a), a)
    if (guest_option_is("role", "granter"))
        return PICK(granter_cases);
    if (guest_option_is("role", "mapper"))
        return PICK(mapper_cases);
    if (guest_option_is("role", "hostile"))
        return PICK(hostile_cases);
    return PICK(dom0_cases);
#undef PICK
}
