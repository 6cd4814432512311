/*
 * Attacker: an unprivileged domain that tries every way we know to reach
 * memory that is not its own. Each attempt must be refused with Xen's error
 * code; the victim (dom0, see supervisor's hash= and ready=) checks its
 * memory after. The scans start only once the victim has offered us an
 * event-channel port, which it does when its guarded memory is in place.
 * Any mapping that is not refused is a breach: the attacker writes a marker
 * through it (into pages that carry the victim's guard pattern, so that the
 * victim lives to see its hash change) and fails the case.
 */
#include "events.h"
#include "exceptions.h"
#include "guest.h"
#include "hypercall.h"
#include "mm.h"
#include <public/errno.h>
#include <public/grant_table.h>
#include <public/memory.h>

const char test_title[] = "attacker: every way into another domain's or the hypervisor's memory is shut";

#define PROBE_VA (GUEST_VIRT_BASE + 0x4000000ull)

static bool mine(uint64_t mfn)
{
    if (mfn == start_info->shared_info / PAGE_SIZE)
        return true;
    for (uint64_t pfn = 0; pfn < start_info->nr_pages; pfn++)
        if (pfn_to_mfn(pfn) == mfn)
            return true;
    return false;
}

static const char *test_setup(char *why, size_t len)
{
    if (exceptions_install() || ensure_l1(PROBE_VA))
        return fail(why, len, "setup failed");
    return NULL;
}

#define VICTIM_DOMID  0
#define READY_POLLS   100000
#define BREACH_MARKER 0x6272656163686564ull

/* Binds the port the victim offers us once its guard is ready; until then every bind is refused. */
static const char *test_victim_ready(char *why, size_t len)
{
    unsigned int port;
    unsigned long polls;
    if (evtchn_await_offer(VICTIM_DOMID, READY_POLLS, &port, &polls))
        return fail(why, len, "the victim offered no port in %u polls: its guard is not ready", READY_POLLS);
    printk("# victim ready after %lu polls (our port %u)\n", polls, port);
    return NULL;
}

/*
 * A mapping at PROBE_VA was not refused: a breach. A page holding the
 * victim's guard pattern (word k of frame m is m * 4096 + 8k) gets a marker
 * written through the mapping, which changes the victim's hash.
 */
static uint64_t breaches, markers;
static void breach(uint64_t mfn)
{
    volatile uint64_t *w = (volatile uint64_t *)PROBE_VA;
    breaches++;
    if (w[0] != mfn * PAGE_SIZE || w[1] != mfn * PAGE_SIZE + 8)
        return;
    TRY_INSN("movq %1, 8(%0)", "r"(PROBE_VA), "r"(BREACH_MARKER));
    markers += w[1] == BREACH_MARKER;
}

/* The ways a domU could ask for a mapping of frame mfn at PROBE_VA. */
enum { MAP_RO, MAP_RW, MAP_AS_DOM0, MAP_MMU_UPDATE, MAP_MMU_UPDATE_AS_DOM0, MAP_WAYS };
static const char *const map_way[MAP_WAYS] = { "read-only", "writable", "writable as dom0's",
                                              "writable by mmu_update", "writable by mmu_update as dom0's" };

static int64_t map_probe(unsigned int way, uint64_t mfn)
{
    uint64_t pte = mfn * PAGE_SIZE | PTE_P | PTE_U | PTE_A | (way == MAP_RO ? 0 : PTE_RW | PTE_D);
    struct mmu_update req = { .ptr = pte_maddr(PROBE_VA, 1), .val = pte };
    switch (way) {
    case MAP_AS_DOM0:
        return hypercall4(__HYPERVISOR_update_va_mapping_otherdomain, PROBE_VA, pte, UVMF_INVLPG, VICTIM_DOMID);
    case MAP_MMU_UPDATE:
        return hypercall4(__HYPERVISOR_mmu_update, &req, 1, NULL, DOMID_SELF);
    case MAP_MMU_UPDATE_AS_DOM0:
        return hypercall4(__HYPERVISOR_mmu_update, &req, 1, NULL, VICTIM_DOMID);
    default:
        return hypercall3(__HYPERVISOR_update_va_mapping, PROBE_VA, pte, UVMF_INVLPG);
    }
}

/* Map every machine frame that is not ours, every way: nothing may succeed. */
static const char *test_map_every_frame(char *why, size_t len)
{
    static uint8_t own[1u << 18];           /* bitmap of our frames, up to 8 GiB of RAM */
    int64_t max = hypercall2(__HYPERVISOR_memory_op, XENMEM_maximum_ram_page, 0);
    if (max <= 0 || (uint64_t)max >= sizeof(own) * 8)
        return fail(why, len, "maximum_ram_page %lld", (long long)max);
    for (uint64_t pfn = 0; pfn < start_info->nr_pages; pfn++) {
        uint64_t m = pfn_to_mfn(pfn);
        own[m / 8] |= (uint8_t)(1u << (m % 8));
    }
    uint64_t si = start_info->shared_info / PAGE_SIZE;   /* ours to map too */
    own[si / 8] |= (uint8_t)(1u << (si % 8));
    /* So are our grant table's frames (the builder made the first to seed refs 0 and 1). */
    struct gnttab_query_size q = { .dom = DOMID_SELF };
    xen_pfn_t gframes[8];
    if (hypercall3(__HYPERVISOR_grant_table_op, GNTTABOP_query_size, &q, 1) || q.status || q.nr_frames > 8)
        return fail(why, len, "query_size: status %d, %u frames", q.status, q.nr_frames);
    struct gnttab_setup_table st = { .dom = DOMID_SELF, .nr_frames = q.nr_frames, .frame_list = (uint64_t)gframes };
    if (q.nr_frames && (hypercall3(__HYPERVISOR_grant_table_op, GNTTABOP_setup_table, &st, 1) || st.status))
        return fail(why, len, "setup_table: status %d", st.status);
    for (uint32_t i = 0; i < q.nr_frames; i++)
        own[gframes[i] / 8] |= (uint8_t)(1u << (gframes[i] % 8));
    uint64_t tried = 0, first = 0;
    int64_t first_rc = 0;
    unsigned int first_way = 0;
    for (uint64_t mfn = 0; mfn <= (uint64_t)max; mfn++) {
        if (own[mfn / 8] & (1u << (mfn % 8)))
            continue;
        for (unsigned int way = 0; way < MAP_WAYS; way++) {
            int64_t rc = map_probe(way, mfn);
            tried++;
            if (rc == -XEN_EINVAL || rc == -XEN_EPERM)
                continue;
            if (!breaches && !first_rc)
                first = mfn, first_way = way, first_rc = rc ? rc : 1;
            if (!rc) {
                breach(mfn);
                hypercall3(__HYPERVISOR_update_va_mapping, PROBE_VA, 0, UVMF_INVLPG);
            }
        }
    }
    if (first_rc)
        return fail(why, len, "%llu mappings not refused (%llu markers written), first: frame %#llx %s: %lld",
                    (unsigned long long)breaches, (unsigned long long)markers, (unsigned long long)first,
                    map_way[first_way], (long long)(first_rc == 1 ? 0 : first_rc));
    printk("# tried %llu foreign mappings, all refused\n", (unsigned long long)tried);
    return NULL;
}

static const char *test_own_page_tables_writable(char *why, size_t len)
{
    for (uint64_t i = 0; i < start_info->nr_pt_frames; i++) {
        uint64_t mfn = virt_to_mfn((void *)(start_info->pt_base + i * PAGE_SIZE));
        int64_t rc = hypercall3(__HYPERVISOR_update_va_mapping, PROBE_VA, mfn * PAGE_SIZE | PTE_DATA, UVMF_INVLPG);
        if (rc != -XEN_EBUSY)
            return fail(why, len, "page-table frame %llu writable: %lld, want -EBUSY", (unsigned long long)i,
                        (long long)rc);
    }
    return NULL;
}

static const char *test_hypervisor_range(char *why, size_t len)
{
    static const uint64_t addrs[] = { 0xffff800000000000ull, 0xffff82d040200000ull, 0xffff830000001000ull,
                                      0xffff87fffffff000ull };
    for (unsigned int i = 0; i < ARRAY_SIZE(addrs); i++) {
        TRY_INSN("movq %%rdx, (%0)", "r"(addrs[i]));
        if (last_exc.vector != 14)
            return fail(why, len, "writing %#llx did not fault", (unsigned long long)addrs[i]);
        /* A PTE for a VA in the hypervisor's range cannot even be named. */
        int64_t rc = hypercall3(__HYPERVISOR_update_va_mapping, addrs[i], 0, 0);
        if (rc != -XEN_EINVAL)
            return fail(why, len, "update_va_mapping at %#llx: %lld", (unsigned long long)addrs[i], (long long)rc);
    }
    return NULL;
}

static const char *test_foreign_control(char *why, size_t len)
{
    struct mmu_update req = { .ptr = 0x200000, .val = 0 };
    int64_t rc;
    /* Editing dom0's page tables, or mapping dom0's frames, needs privilege. */
    if ((rc = hypercall4(__HYPERVISOR_mmu_update, &req, 1, NULL, 0)) != -XEN_EPERM)
        return fail(why, len, "mmu_update with foreigndom 0: %lld, want -EPERM", (long long)rc);
    if ((rc = hypercall4(__HYPERVISOR_mmu_update, &req, 1, NULL, 1u << 16)) != -XEN_EPERM)
        return fail(why, len, "mmu_update on dom0's tables: %lld, want -EPERM", (long long)rc);
    if ((rc = hypercall4(__HYPERVISOR_update_va_mapping_otherdomain, PROBE_VA, 0, 0, 0)) != -XEN_EPERM)
        return fail(why, len, "update_va_mapping_otherdomain: %lld, want -EPERM", (long long)rc);
    struct mmuext_op op = { .cmd = MMUEXT_PIN_L1_TABLE };
    op.arg1.mfn = 0x200;
    if ((rc = hypercall4(__HYPERVISOR_mmuext_op, &op, 1, NULL, 0)) != -XEN_EPERM)
        return fail(why, len, "mmuext_op for dom0: %lld, want -EPERM", (long long)rc);
    domid_t dom0 = 0;
    if ((rc = hypercall2(__HYPERVISOR_memory_op, XENMEM_current_reservation, &dom0)) != -XEN_EPERM)
        return fail(why, len, "dom0's reservation: %lld, want -EPERM", (long long)rc);
    return NULL;
}

static const char *test_foreign_frames_ops(char *why, size_t len)
{
    /* Frames that are not ours: pin, clear, copy, give back, GDT: all refused. */
    static xen_pfn_t frame[1];
    int64_t max = hypercall2(__HYPERVISOR_memory_op, XENMEM_maximum_ram_page, 0);
    for (uint64_t mfn = 0x100; mfn <= (uint64_t)max; mfn += 97) {
        if (mine(mfn))
            continue;
        int64_t a = mmuext(MMUEXT_PIN_L1_TABLE, mfn, 0), b = mmuext(MMUEXT_CLEAR_PAGE, mfn, 0);
        int64_t c = mmuext(MMUEXT_COPY_PAGE, pfn_to_mfn(start_info->first_p2m_pfn), mfn);
        frame[0] = mfn;
        struct xen_memory_reservation r = { .extent_start = (uint64_t)frame, .nr_extents = 1, .domid = DOMID_SELF };
        int64_t d = hypercall2(__HYPERVISOR_memory_op, XENMEM_decrease_reservation, &r);
        int64_t e = hypercall2(__HYPERVISOR_set_gdt, frame, 512);
        if (a != -XEN_EINVAL || b != -XEN_EINVAL || c != -XEN_EINVAL || d != 0 || e != -XEN_EINVAL)
            return fail(why, len, "frame %#llx: pin %lld clear %lld copy %lld give-back %lld gdt %lld",
                        (unsigned long long)mfn, (long long)a, (long long)b, (long long)c, (long long)d, (long long)e);
    }
    return NULL;
}

DEFINE_TESTS(
    { "setup", test_setup },
    { "victim_guard_ready", test_victim_ready },
    { "map_every_foreign_frame_refused", test_map_every_frame },
    { "own_page_tables_never_writable", test_own_page_tables_writable },
    { "hypervisor_range_unreachable", test_hypervisor_range },
    { "foreign_control_needs_privilege", test_foreign_control },
    { "foreign_frame_operations_refused", test_foreign_frames_ops }
)
