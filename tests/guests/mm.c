/* PV memory: validated page-table updates, batching, pins, base pointers, multicall, memory_op. */
#include "exceptions.h"
#include "guest.h"
#include "hypercall.h"
#include "mm.h"
#include "user.h"
#include <public/errno.h>
#include <public/memory.h>
#include <public/vcpu.h>

const char test_title[] = "mm: page-table updates, batches, pins, multicall, reservations";

#define ALIAS_BASE  (GUEST_VIRT_BASE + 0x4000000ull)    /* 64 MiB up: free address space */
#define ALIAS_PAGES 4096
#define SI_VA       (GUEST_VIRT_BASE + 0x3ff000ull + 0x4000000ull * 2)

static struct mmu_update batch[ALIAS_PAGES];
extern char _sdata[];
static uint64_t initial_pages;

static uint64_t l4_mfn(void) { return virt_to_mfn((void *)start_info->pt_base); }

/* Entry i of the alias range maps initial page i % initial_pages read-only. */
static void fill_alias_batch(unsigned int n)
{
    for (unsigned int i = 0; i < n; i++) {
        batch[i].ptr = pte_maddr(ALIAS_BASE + i * PAGE_SIZE, 1) | MMU_NORMAL_PT_UPDATE;
        batch[i].val = pfn_to_mfn(i % initial_pages) * PAGE_SIZE | PTE_P | PTE_U | PTE_A;
    }
}

static int64_t unmap_alias(unsigned int n)
{
    for (unsigned int i = 0; i < n; i++)
        batch[i].val = 0;
    uint32_t done = 0;
    int64_t rc = mmu_update_batch(batch, n, &done);
    return rc ? rc : (int64_t)(n - done);
}

static const char *test_setup(char *why, size_t len)
{
    initial_pages = start_info->first_p2m_pfn;
    if (exceptions_install())
        return fail(why, len, "set_trap_table failed");
    for (uint64_t va = ALIAS_BASE; va < ALIAS_BASE + ALIAS_PAGES * PAGE_SIZE; va += 0x200000)
        if (ensure_l1(va))
            return fail(why, len, "could not build an L1 for %#llx", (unsigned long long)va);
    if (ensure_l1(SI_VA))
        return fail(why, len, "could not build an L1 for the shared_info mapping");
    return NULL;
}

static const char *test_m2p(char *why, size_t len)
{
    for (uint64_t pfn = 0; pfn < start_info->nr_pages; pfn++) {
        uint64_t mfn = pfn_to_mfn(pfn);
        if (m2p()[mfn] != pfn)
            return fail(why, len, "M2P[%#llx] = %#llx, expected PFN %#llx", (unsigned long long)mfn,
                        (unsigned long long)m2p()[mfn], (unsigned long long)pfn);
    }
    TRY_INSN("movq %%rdx, (%0)", "r"(MACH2PHYS_VIRT_START));
    if (last_exc.vector != 14 || last_exc.error_code != 3)
        return fail(why, len, "writing the M2P gave vector %lld error %#llx, want a protection #PF",
                    (long long)last_exc.vector, (unsigned long long)last_exc.error_code);
    return NULL;
}

static const char *test_shared_info(char *why, size_t len)
{
    int64_t rc = hypercall3(__HYPERVISOR_update_va_mapping, SI_VA, start_info->shared_info | PTE_DATA, UVMF_INVLPG);
    if (rc)
        return fail(why, len, "mapping shared_info: %lld", (long long)rc);
    const struct shared_info *si = (const struct shared_info *)SI_VA;
    if (si->vcpu_info[0].evtchn_upcall_mask != 1)
        return fail(why, len, "vcpu 0 upcall mask %u, want 1 at start of day", si->vcpu_info[0].evtchn_upcall_mask);
    return NULL;
}

static const char *test_cr2(char *why, size_t len)
{
    const struct shared_info *si = (const struct shared_info *)SI_VA;
    uint64_t addr = ALIAS_BASE + 123 * PAGE_SIZE + 0x45;
    TRY_INSN("movq (%0), %%rdx", "r"(addr));
    if (last_exc.vector != 14 || last_exc.error_code != 0)
        return fail(why, len, "vector %lld error %#llx", (long long)last_exc.vector, (unsigned long long)last_exc.error_code);
    if (si->vcpu_info[0].arch.cr2 != addr)
        return fail(why, len, "vcpu_info cr2 %#llx, want %#llx", (unsigned long long)si->vcpu_info[0].arch.cr2,
                    (unsigned long long)addr);
    return NULL;
}

static const char *test_map_1024(char *why, size_t len)
{
    uint32_t done = 0;
    fill_alias_batch(1024);
    int64_t rc = mmu_update_batch(batch, 1024, &done);
    if (rc || done != 1024)
        return fail(why, len, "mapping 1024 pages: rc %lld, done %u", (long long)rc, done);
    /* Compare what does not change while we look: code and constants, P2M to page tables. */
    uint64_t text = (uint64_t)_sdata - GUEST_VIRT_BASE;
    uint64_t p2m = start_info->mfn_list - GUEST_VIRT_BASE, pt_end = start_info->pt_base +
                   start_info->nr_pt_frames * PAGE_SIZE - GUEST_VIRT_BASE;
    uint64_t a = hash_memory((void *)ALIAS_BASE, text) ^ hash_memory((void *)(ALIAS_BASE + p2m), pt_end - p2m);
    uint64_t b = hash_memory((void *)GUEST_VIRT_BASE, text) ^
                 hash_memory((void *)(GUEST_VIRT_BASE + p2m), pt_end - p2m);
    if (a != b)
        return fail(why, len, "alias hash %#llx differs from the original %#llx", (unsigned long long)a,
                    (unsigned long long)b);
    if ((rc = unmap_alias(1024)))
        return fail(why, len, "unmapping: %lld", (long long)rc);
    TRY_INSN("movq (%0), %%rdx", "r"(ALIAS_BASE + 512 * PAGE_SIZE));
    if (last_exc.vector != 14)
        return fail(why, len, "an unmapped alias page still reads");
    return NULL;
}

static const char *test_batch_counts(char *why, size_t len)
{
    static const unsigned int sizes[] = { 1, 2, 7, 64, 511, 512, 1000, 4096 };
    for (unsigned int s = 0; s < ARRAY_SIZE(sizes); s++) {
        unsigned int n = sizes[s], bad = n / 2;
        fill_alias_batch(n);
        batch[bad].val = l4_mfn() * PAGE_SIZE | PTE_DATA;     /* writable page table: refused */
        uint32_t done = 0xdead;
        int64_t rc = mmu_update_batch(batch, n, &done);
        if (rc != -XEN_EBUSY || done != bad)
            return fail(why, len, "batch of %u, bad entry %u: rc %lld done %u", n, bad, (long long)rc, done);
        if (bad && !(read_pte(ALIAS_BASE + (bad - 1) * PAGE_SIZE, 1) & PTE_P))
            return fail(why, len, "batch of %u: entry %u before the bad one was not applied", n, bad - 1);
        if (read_pte(ALIAS_BASE + bad * PAGE_SIZE, 1) & PTE_P)
            return fail(why, len, "batch of %u: the bad entry was applied", n);
        unmap_alias(bad);
    }
    return NULL;
}

static const char *test_refusals(char *why, size_t len)
{
    uint64_t alias_pte = pte_maddr(ALIAS_BASE, 1);
    uint64_t l2_entry = pte_maddr(ALIAS_BASE, 2);
    /* A frame in use as a page table cannot also be writable: -EBUSY; other rule breaks: -EINVAL. */
    static const struct { const char *what; int kind; int64_t want; } cases[] = {
        { "writable mapping of the L4", 0, -XEN_EBUSY }, { "writable mapping of an L1", 1, -XEN_EBUSY },
        { "hypervisor frame", 2, 0 }, { "frame 0 (domU)", 3, -XEN_EPERM }, { "local APIC", 4, -XEN_EPERM },
        { "sub-command 4 (an unaligned PTE address)", 6, -XEN_ENOSYS },
 { "superpage in an L2", 8, -XEN_EINVAL },
        { "hypervisor L4 slot", 9, -XEN_EINVAL }, { "L2 entry to a writable data frame", 10, -XEN_EINVAL },
    };
    for (unsigned int i = 0; i < ARRAY_SIZE(cases); i++) {
        uint64_t ptr = alias_pte, val = 0;
        switch (cases[i].kind) {
        case 0: val = l4_mfn() * PAGE_SIZE | PTE_DATA; break;
        case 1: val = (alias_pte & ~0xfffull) | PTE_DATA; break;
        case 2: val = 0x200000ull | PTE_P | PTE_U; break;           /* where the hypervisor is loaded */
        case 3: val = PTE_P | PTE_U; break;
        case 4: val = 0xfee00000ull | PTE_P | PTE_RW | PTE_U; break;
        case 6: ptr = alias_pte + 4; val = 0; break;
        case 8: ptr = l2_entry; val = 0x200000ull | PTE_P | PTE_RW | PTE_U | PTE_PSE; break;
        case 9: ptr = l4_mfn() * PAGE_SIZE + 256 * 8; val = 0; break;
        case 10: ptr = l2_entry + 8 * 64; val = virt_to_mfn(batch) * PAGE_SIZE | PTE_P | PTE_RW | PTE_U; break;
        }
        if (cases[i].kind == 3 && (start_info->flags & SIF_INITDOMAIN))
            continue;                   /* dom0 may map the first MiB, as on Xen: tested below */
        int64_t rc = mmu_update_one(ptr, val);
        /* The frame at 2 MiB is ours (-EINVAL: not the guest's) or, on Xen, some typed Xen page (-EBUSY). */
        if (cases[i].want == 0 ? rc != -XEN_EINVAL && rc != -XEN_EBUSY : rc != cases[i].want)
            return fail(why, len, "%s: got %lld, want %lld", cases[i].what, (long long)rc, (long long)cases[i].want);
    }
    /* An "update" of a frame that is no page table is a plain write, as on Xen. */
    static uint64_t scratch[512] __attribute__((aligned(4096)));
    if (mmu_update_one(virt_to_mfn(scratch) * PAGE_SIZE + 3 * 8, 0x42) || scratch[3] != 0x42)
        return fail(why, len, "mmu_update into a data frame did not write it");
    if (start_info->flags & SIF_INITDOMAIN) {
        int64_t rc = mmu_update_one(alias_pte, PTE_P | PTE_U);
        if (rc)
            return fail(why, len, "dom0 mapping frame 0 (BIOS data): %lld, want 0", (long long)rc);
        mmu_update_one(alias_pte, 0);
    }
    /* For an untranslated (PV) guest NO_TRANSLATE is a normal update. */
    int64_t rc = mmu_update_one(alias_pte | MMU_PT_UPDATE_NO_TRANSLATE, 0);
    if (rc)
        return fail(why, len, "MMU_PT_UPDATE_NO_TRANSLATE: %lld, want 0", (long long)rc);
    return NULL;
}

static const char *test_pins(char *why, size_t len)
{
    uint64_t mfn = spare_mfn();
    int64_t rc;
    if ((rc = mmuext(MMUEXT_PIN_L1_TABLE, mfn, 0)))
        return fail(why, len, "pin L1: %lld", (long long)rc);
    if ((rc = mmuext(MMUEXT_PIN_L1_TABLE, mfn, 0)) != -XEN_EINVAL)
        return fail(why, len, "second pin: %lld, want -EINVAL", (long long)rc);
    if ((rc = mmuext(MMUEXT_PIN_L2_TABLE, mfn, 0)) != -XEN_EINVAL)
        return fail(why, len, "pin as L2 while an L1: %lld, want -EINVAL", (long long)rc);
    if ((rc = mmuext(MMUEXT_UNPIN_TABLE, mfn, 0)))
        return fail(why, len, "unpin: %lld", (long long)rc);
    if ((rc = mmuext(MMUEXT_UNPIN_TABLE, mfn, 0)) != -XEN_EINVAL)
        return fail(why, len, "second unpin: %lld, want -EINVAL", (long long)rc);
    if ((rc = mmuext(MMUEXT_PIN_L4_TABLE, virt_to_mfn(batch), 0)) != -XEN_EINVAL)
        return fail(why, len, "pinning a writable data page: %lld, want -EINVAL", (long long)rc);
    if ((rc = mmuext(MMUEXT_NEW_BASEPTR, virt_to_mfn(batch), 0)) != -XEN_EINVAL)
        return fail(why, len, "data page as base pointer: %lld, want -EINVAL", (long long)rc);
    if ((rc = mmuext(MMUEXT_NEW_BASEPTR, l4_mfn(), 0)))
        return fail(why, len, "reloading the current L4: %lld", (long long)rc);
    return NULL;
}

/*
 * Flushes seen through a mapping. A read that hits a cached translation does
 * not walk the page tables, so it leaves the PTE's accessed bit clear. The
 * probe maps FLUSH_VA (accessed), reads it so the translation is cached, then
 * rewrites the PTE without the accessed bit: same frame, nothing dropped, so
 * no flush is needed and none is owed. A read before the flush may still use
 * the old translation (the bit stays clear); after the flush the read must walk
 * the tables and set it. Every change of frame drops a reference, and the
 * hypervisor flushes those itself, so the accessed bit is where a guest can
 * tell whether a flush op dropped the cached translation.
 */
#define FLUSH_VA (ALIAS_BASE + 7 * PAGE_SIZE)

static const uint64_t vcpu0_mask = 1;           /* a vCPU bitmap naming vCPU 0: ours */

static uint64_t flush_probe_pte(void) { return pfn_to_mfn(1) * PAGE_SIZE | PTE_P | PTE_U; }

static bool probe_read_walked(void)
{
    (void)*(volatile uint64_t *)FLUSH_VA;
    return read_pte(FLUSH_VA, 1) & PTE_A;
}

/* Caches FLUSH_VA's translation and clears its accessed bit with `flags`; *stale: the next read hit the cache. */
static int64_t probe_clear_accessed(uint64_t flags, bool *stale)
{
    int64_t rc = hypercall3(__HYPERVISOR_update_va_mapping, FLUSH_VA, flush_probe_pte() | PTE_A, UVMF_INVLPG);
    if (rc)
        return rc;
    (void)*(volatile uint64_t *)FLUSH_VA;
    if ((rc = hypercall3(__HYPERVISOR_update_va_mapping, FLUSH_VA, flush_probe_pte(), flags)))
        return rc;
    *stale = !probe_read_walked();
    return 0;
}

static const struct {
    const char *what;
    unsigned int cmd;           /* an mmuext_op after a non-flushing update, or 0: */
    uint64_t uvmf;              /* the update's own update_va_mapping flags */
    bool multi;                 /* with vcpu0_mask as the vCPU bitmap */
} flush_forms[] = {
    { "MMUEXT_TLB_FLUSH_LOCAL", MMUEXT_TLB_FLUSH_LOCAL, 0, false },
    { "MMUEXT_TLB_FLUSH_ALL", MMUEXT_TLB_FLUSH_ALL, 0, false },
    { "MMUEXT_TLB_FLUSH_MULTI", MMUEXT_TLB_FLUSH_MULTI, 0, true },
    { "MMUEXT_INVLPG_LOCAL", MMUEXT_INVLPG_LOCAL, 0, false },
    { "MMUEXT_INVLPG_ALL", MMUEXT_INVLPG_ALL, 0, false },
    { "MMUEXT_INVLPG_MULTI", MMUEXT_INVLPG_MULTI, 0, true },
    { "UVMF_TLB_FLUSH|UVMF_LOCAL", 0, UVMF_TLB_FLUSH | UVMF_LOCAL, false },
    { "UVMF_TLB_FLUSH|UVMF_ALL", 0, UVMF_TLB_FLUSH | UVMF_ALL, false },
    { "UVMF_TLB_FLUSH|UVMF_MULTI", 0, UVMF_TLB_FLUSH | UVMF_MULTI, true },
    { "UVMF_INVLPG|UVMF_LOCAL", 0, UVMF_INVLPG | UVMF_LOCAL, false },
    { "UVMF_INVLPG|UVMF_ALL", 0, UVMF_INVLPG | UVMF_ALL, false },
    { "UVMF_INVLPG|UVMF_MULTI", 0, UVMF_INVLPG | UVMF_MULTI, true },
};

static int64_t flush_form(unsigned int i, bool *stale_before)
{
    uint64_t mask = flush_forms[i].multi ? (uint64_t)&vcpu0_mask : 0;
    unsigned int cmd = flush_forms[i].cmd;
    if (!cmd)
        return probe_clear_accessed(flush_forms[i].uvmf | mask, stale_before);
    int64_t rc = probe_clear_accessed(UVMF_NONE, stale_before);
    if (rc)
        return rc;
    bool invlpg = cmd == MMUEXT_INVLPG_LOCAL || cmd == MMUEXT_INVLPG_ALL || cmd == MMUEXT_INVLPG_MULTI;
    return mmuext(cmd, invlpg ? FLUSH_VA : 0, mask);
}

static const char *test_flush_ops(char *why, size_t len)
{
    unsigned int stale = 0;
    int64_t rc;
    static char missed[512];                /* every form that left the old translation, for the report */
    size_t n = 0;
    for (unsigned int i = 0; i < ARRAY_SIZE(flush_forms); i++) {
        bool stale_before = false;
        if ((rc = flush_form(i, &stale_before)))
            return fail(why, len, "%s: %lld", flush_forms[i].what, (long long)rc);
        /* For the update_va_mapping forms the first read already came after the flush. */
        if ((flush_forms[i].cmd ? !probe_read_walked() : stale_before) && n < sizeof(missed))
            n += (size_t)snprintf(missed + n, sizeof(missed) - n, " %s", flush_forms[i].what);
        stale += flush_forms[i].cmd && stale_before;
    }
    if (n)
        return fail(why, len, "a read after these still used the old translation:%s", missed);
    /* How many reads before a flush op hit the old translation: 0 would mean this test saw nothing. */
    printk("# old translation seen before %u of 6 flush ops, gone after every one\n", stale);
    hypercall3(__HYPERVISOR_update_va_mapping, FLUSH_VA, 0, UVMF_INVLPG);
    if ((rc = mmuext(MMUEXT_TLB_FLUSH_MULTI, 0, 0xffff830000000000ull)) != -XEN_EINVAL)
        return fail(why, len, "flush with a bad vCPU mask: %lld, want -EINVAL", (long long)rc);
    if ((rc = mmuext(99, 0, 0)) != -XEN_ENOSYS)
        return fail(why, len, "unknown command: %lld, want -ENOSYS", (long long)rc);
    return NULL;
}

static const char *test_clear_copy(char *why, size_t len)
{
    uint64_t a = spare_mfn(), b = spare_mfn();
    uint64_t va = ALIAS_BASE;
    if (hypercall3(__HYPERVISOR_update_va_mapping, va, a * PAGE_SIZE | PTE_DATA, UVMF_INVLPG))
        return fail(why, len, "mapping a spare frame");
    memset((void *)va, 0x5a, PAGE_SIZE);
    int64_t rc = mmuext(MMUEXT_COPY_PAGE, b, a);
    if (rc)
        return fail(why, len, "copy_page: %lld", (long long)rc);
    if ((rc = mmuext(MMUEXT_CLEAR_PAGE, a, 0)))
        return fail(why, len, "clear_page: %lld", (long long)rc);
    if (((volatile uint8_t *)va)[100] != 0)
        return fail(why, len, "cleared page still holds data");
    hypercall3(__HYPERVISOR_update_va_mapping, va, b * PAGE_SIZE | PTE_P | PTE_U, UVMF_INVLPG);
    if (((volatile uint8_t *)va)[4095] != 0x5a)
        return fail(why, len, "copied page does not hold the pattern");
    if ((rc = mmuext(MMUEXT_COPY_PAGE, l4_mfn(), a)) != -XEN_EINVAL)
        return fail(why, len, "copy into the L4: %lld, want -EINVAL", (long long)rc);
    hypercall3(__HYPERVISOR_update_va_mapping, va, 0, UVMF_INVLPG);
    return NULL;
}

static const char *test_multicall(char *why, size_t len)
{
    static struct mmuext_op flush = { .cmd = MMUEXT_TLB_FLUSH_LOCAL };
    static struct multicall_entry mc[4];
    memset(mc, 0, sizeof(mc));
    mc[0].op = __HYPERVISOR_update_va_mapping;
    mc[0].args[0] = ALIAS_BASE;
    mc[0].args[1] = pfn_to_mfn(1) * PAGE_SIZE | PTE_P | PTE_U | PTE_A;
    mc[0].args[2] = UVMF_INVLPG;
    mc[1].op = __HYPERVISOR_xen_version;
    mc[1].args[0] = XENVER_version;
    mc[2].op = 99;
    mc[3].op = __HYPERVISOR_mmuext_op;
    mc[3].args[0] = (uint64_t)&flush;
    mc[3].args[1] = 1;
    mc[3].args[3] = DOMID_SELF;
    int64_t rc = hypercall2(__HYPERVISOR_multicall, mc, 4);
    int64_t version = hyp_xen_version(XENVER_version, NULL);
    if (rc || mc[0].result != 0 || (int64_t)mc[1].result != version || (int64_t)mc[2].result != -XEN_ENOSYS ||
        mc[3].result != 0)
        return fail(why, len, "rc %lld results %lld %lld %lld %lld", (long long)rc, (long long)mc[0].result,
                    (long long)mc[1].result, (long long)mc[2].result, (long long)mc[3].result);
    if (*(volatile uint64_t *)ALIAS_BASE != *(volatile uint64_t *)(GUEST_VIRT_BASE + PAGE_SIZE))
        return fail(why, len, "the mapping made inside the multicall is wrong");
    hypercall3(__HYPERVISOR_update_va_mapping, ALIAS_BASE, 0, UVMF_INVLPG);
    return NULL;
}

static const char *test_reservation(char *why, size_t len)
{
    domid_t self = DOMID_SELF;
    int64_t max_mfn = hypercall2(__HYPERVISOR_memory_op, XENMEM_maximum_ram_page, 0);
    int64_t cur = hypercall2(__HYPERVISOR_memory_op, XENMEM_current_reservation, &self);
    int64_t max = hypercall2(__HYPERVISOR_memory_op, XENMEM_maximum_reservation, &self);
    if (max_mfn <= 0 || cur != (int64_t)start_info->nr_pages || max < cur)
        return fail(why, len, "max ram page %lld, current %lld (nr_pages %llu), maximum %lld", (long long)max_mfn,
                    (long long)cur, (unsigned long long)start_info->nr_pages, (long long)max);
    static xen_pfn_t frames[1];
    frames[0] = spare_mfn();
    struct xen_memory_reservation r = { .extent_start = (uint64_t)frames, .nr_extents = 1, .domid = DOMID_SELF };
    int64_t rc = hypercall2(__HYPERVISOR_memory_op, XENMEM_decrease_reservation, &r);
    if (rc != 1 || hypercall2(__HYPERVISOR_memory_op, XENMEM_current_reservation, &self) != cur - 1)
        return fail(why, len, "decrease_reservation: %lld", (long long)rc);
    /* A frame still mapped leaves the reservation when the mapping goes (Xen's allocation reference). */
    uint64_t mapped = spare_mfn();
    if (hypercall3(__HYPERVISOR_update_va_mapping, ALIAS_BASE, mapped * PAGE_SIZE | PTE_DATA, UVMF_INVLPG))
        return fail(why, len, "mapping a spare frame");
    *(volatile uint64_t *)ALIAS_BASE = 0x1122334455667788ull;
    frames[0] = mapped;
    if ((rc = hypercall2(__HYPERVISOR_memory_op, XENMEM_decrease_reservation, &r)) != 1)
        return fail(why, len, "decrease_reservation of a mapped frame returned %lld, want 1", (long long)rc);
    if (*(volatile uint64_t *)ALIAS_BASE != 0x1122334455667788ull)
        return fail(why, len, "the mapping of a given-back frame changed under us");
    if (hypercall2(__HYPERVISOR_memory_op, XENMEM_current_reservation, &self) != cur - 1)
        return fail(why, len, "a given-back frame left the reservation while still mapped");
    hypercall3(__HYPERVISOR_update_va_mapping, ALIAS_BASE, 0, UVMF_INVLPG);
    if (hypercall2(__HYPERVISOR_memory_op, XENMEM_current_reservation, &self) != cur - 2)
        return fail(why, len, "current reservation after two decreases");
    frames[0] = 0;
    rc = hypercall2(__HYPERVISOR_memory_op, XENMEM_increase_reservation, &r);
    if (rc != 1)
        return fail(why, len, "increase_reservation: %lld", (long long)rc);
    frames[0] = 0;
    rc = hypercall2(__HYPERVISOR_memory_op, XENMEM_increase_reservation, &r);
    if (rc != 1 || frames[0] == 0 || hypercall2(__HYPERVISOR_memory_op, XENMEM_current_reservation, &self) != cur)
        return fail(why, len, "increase_reservation: %lld, frame %#llx", (long long)rc, (unsigned long long)frames[0]);
    if (hypercall3(__HYPERVISOR_update_va_mapping, ALIAS_BASE, frames[0] * PAGE_SIZE | PTE_DATA, UVMF_INVLPG))
        return fail(why, len, "the new frame cannot be mapped");
    hypercall3(__HYPERVISOR_update_va_mapping, ALIAS_BASE, 0, UVMF_INVLPG);
    struct xen_machphys_mapping mm;
    if (hypercall2(__HYPERVISOR_memory_op, XENMEM_machphys_mapping, &mm) || mm.v_start != MACH2PHYS_VIRT_START)
        return fail(why, len, "machphys_mapping v_start %#llx", (unsigned long long)mm.v_start);
    if ((rc = hypercall2(__HYPERVISOR_memory_op, 63, 0)) != -XEN_ENOSYS)
        return fail(why, len, "unknown memory_op: %lld, want -ENOSYS", (long long)rc);
    return NULL;
}

/*
 * XENMEM_machine_memory_map, as Xen 4.17 gives it: the control domain only (-EPERM
 * otherwise); a null buffer counts the entries; a buffer needs room for one entry
 * more than there are (-EINVAL); entries come sorted, as the firmware gave them, and the
 * interrupt controllers' MMIO (I/O APIC page, MSI window) shows as reserved.
 */
#define MACHINE_MAP_ROOM 160
#define IOAPIC_PAGE      0xfec00000ull
#define MSI_WINDOW       0xfee00000ull
#define LOW_RAM_END      0x9fc00ull      /* SeaBIOS's first RAM entry under QEMU, not page-aligned */

static bool map_reserves(const struct xen_e820_entry *e, unsigned int n, uint64_t addr)
{
    for (unsigned int i = 0; i < n; i++)
        if (e[i].type == XEN_E820_RESERVED && xen_e820_addr(&e[i]) <= addr &&
            addr < xen_e820_addr(&e[i]) + xen_e820_size(&e[i]))
            return true;
    return false;
}

static const char *test_machine_memory_map(char *why, size_t len)
{
    static struct xen_e820_entry e[MACHINE_MAP_ROOM];
    struct xen_memory_map map = { .nr_entries = 0, .buffer = 0 };
    int64_t rc = hypercall2(__HYPERVISOR_memory_op, XENMEM_machine_memory_map, &map);
    if (!(start_info->flags & SIF_PRIVILEGED))
        return rc == -XEN_EPERM ? NULL : fail(why, len, "unprivileged: %lld, want -EPERM", (long long)rc);
    unsigned int n = map.nr_entries;
    if (rc || n < 2 || n >= MACHINE_MAP_ROOM)
        return fail(why, len, "counting: rc %lld, %u entries", (long long)rc, n);
    map = (struct xen_memory_map){ .nr_entries = n, .buffer = (uint64_t)e };
    if ((rc = hypercall2(__HYPERVISOR_memory_op, XENMEM_machine_memory_map, &map)) != -XEN_EINVAL)
        return fail(why, len, "a buffer of exactly %u entries: %lld, want -EINVAL", n, (long long)rc);
    map = (struct xen_memory_map){ .nr_entries = n + 1, .buffer = HYPERVISOR_VIRT_START };
    if ((rc = hypercall2(__HYPERVISOR_memory_op, XENMEM_machine_memory_map, &map)) != -XEN_EFAULT)
        return fail(why, len, "a buffer in the hypervisor's range: %lld, want -EFAULT", (long long)rc);
    map = (struct xen_memory_map){ .nr_entries = n + 1, .buffer = (uint64_t)e };
    if ((rc = hypercall2(__HYPERVISOR_memory_op, XENMEM_machine_memory_map, &map)) || map.nr_entries != n)
        return fail(why, len, "reading: rc %lld, %u entries (counted %u)", (long long)rc, map.nr_entries, n);
    uint64_t ram = 0;
    for (unsigned int i = 0; i < n; i++) {
        uint64_t a = xen_e820_addr(&e[i]), sz = xen_e820_size(&e[i]);
        if (!sz || (i && a < xen_e820_addr(&e[i - 1]) + xen_e820_size(&e[i - 1])))
            return fail(why, len, "entry %u (%#llx+%#llx) is empty or out of order", i, (unsigned long long)a,
                        (unsigned long long)sz);
        if (e[i].type == XEN_E820_RAM)
            ram += sz;
    }
    if (e[0].type != XEN_E820_RAM || xen_e820_addr(&e[0]) != 0 || xen_e820_size(&e[0]) != LOW_RAM_END)
        return fail(why, len, "entry 0 is %#llx+%#llx type %u, want the firmware's RAM 0+%#llx", 
                    (unsigned long long)xen_e820_addr(&e[0]), (unsigned long long)xen_e820_size(&e[0]), e[0].type,
                    LOW_RAM_END);
    if (ram < start_info->nr_pages * PAGE_SIZE)
        return fail(why, len, "%llu KiB of RAM in the map, less than this domain has", (unsigned long long)(ram >> 10));
    if (!map_reserves(e, n, IOAPIC_PAGE) || !map_reserves(e, n, MSI_WINDOW) || !map_reserves(e, n, MSI_WINDOW + 0xff000))
        return fail(why, len, "the I/O APIC page or the MSI window is not reserved");
    return NULL;
}

static const char *test_huge_batch(char *why, size_t len)
{
    /*
     * 32768 updates of one PTE in a single call: long enough to be preempted
     * and continued. The last maps a page of our own with a marker in it: the
     * PTE must hold it, and a read through the mapping must find the marker.
     */
    static struct mmu_update huge[32768];
    static uint64_t marker_page[512] __attribute__((aligned(4096)));
    marker_page[0] = 0x6875676562617463ull;
    uint64_t ptr = pte_maddr(ALIAS_BASE, 1), last = virt_to_mfn(marker_page) * PAGE_SIZE | PTE_P | PTE_U | PTE_A;
    for (unsigned int i = 0; i < ARRAY_SIZE(huge); i++) {
        huge[i].ptr = ptr;
        huge[i].val = i & 1 ? 0 : pfn_to_mfn(i % initial_pages) * PAGE_SIZE | PTE_P | PTE_U | PTE_A;
    }
    huge[ARRAY_SIZE(huge) - 1].val = last;
    uint32_t done = 0;
    int64_t rc = mmu_update_batch(huge, ARRAY_SIZE(huge), &done);
    if (rc || done != ARRAY_SIZE(huge))
        return fail(why, len, "rc %lld, done %u of %u", (long long)rc, done, (unsigned int)ARRAY_SIZE(huge));
    uint64_t pte = read_pte(ALIAS_BASE, 1), seen = *(volatile uint64_t *)ALIAS_BASE;
    hypercall3(__HYPERVISOR_update_va_mapping, ALIAS_BASE, 0, UVMF_INVLPG);
    if ((pte & (PTE_ADDR | PTE_P | PTE_RW)) != (last & (PTE_ADDR | PTE_P | PTE_RW)))
        return fail(why, len, "the PTE holds %#llx after the batch, want %#llx", (unsigned long long)pte,
                    (unsigned long long)last);
    if (seen != marker_page[0])
        return fail(why, len, "a read through the mapping found %#llx, not the marker", (unsigned long long)seen);
    return NULL;
}

extern char user_fn_syscall[];
extern uint64_t user_syscall_rax, user_syscall_cs;

static const char *test_user_mode(char *why, size_t len)
{
    const char *what;
    int64_t rc = user_mode_setup(&what);
    if (rc)
        return fail(why, len, "%s: %lld", what, (long long)rc);
    enter_user(user_fn_syscall, user_stack_top());
    if (user_syscall_rax != 0x1234 || (user_syscall_cs & 0xffff) != FLAT_USER_CS64)
        return fail(why, len, "syscall callback saw rax %#llx cs %#llx", (unsigned long long)user_syscall_rax,
                    (unsigned long long)user_syscall_cs);
    return NULL;
}

static const char *test_otherdomain(char *why, size_t len)
{
    bool dom0 = start_info->flags & SIF_INITDOMAIN;
    int64_t rc = hypercall4(__HYPERVISOR_update_va_mapping_otherdomain, ALIAS_BASE, 0, 0, 77);
    if (rc != (dom0 ? -XEN_ESRCH : -XEN_EPERM))
        return fail(why, len, "domain 77: %lld, want %s", (long long)rc, dom0 ? "-ESRCH" : "-EPERM");
    return NULL;
}

static uint64_t gdt_page[512] __attribute__((aligned(4096)));

static const char *test_gdt(char *why, size_t len)
{
    uint64_t mfn = virt_to_mfn(gdt_page);
    gdt_page[1] = 0x00cff2000000ffffull;            /* flat data, DPL 3: selector 0x0b */
    gdt_page[2] = 0x00cf92000000ffffull;            /* DPL 0: raised to 3 by the hypervisor */
    static xen_pfn_t frames[1];
    frames[0] = mfn;
    int64_t rc = hypercall2(__HYPERVISOR_set_gdt, frames, 512);
    if (rc != -XEN_EINVAL)
        return fail(why, len, "set_gdt on a writable-mapped page: %lld, want -EINVAL", (long long)rc);
    /* Map it read-only first, as a GDT page must be. */
    if ((rc = hypercall3(__HYPERVISOR_update_va_mapping, (uint64_t)gdt_page, mfn * PAGE_SIZE | PTE_P | PTE_U | PTE_A,
                         UVMF_INVLPG)))
        return fail(why, len, "remapping read-only: %lld", (long long)rc);
    if ((rc = hypercall2(__HYPERVISOR_set_gdt, frames, 7169)) != -XEN_EINVAL)
        return fail(why, len, "7169 entries: %lld, want -EINVAL", (long long)rc);
    if ((rc = hypercall2(__HYPERVISOR_set_gdt, frames, 512)))
        return fail(why, len, "set_gdt: %lld", (long long)rc);
    if (((gdt_page[2] >> 45) & 3) != 3)
        return fail(why, len, "a DPL-0 descriptor was not raised to DPL 3");
    uint16_t sel = 0x0b, back;
    __asm__ volatile("mov %1, %%ds\n\tmov %%ds, %0\n\tmov %2, %%ds" : "=r"(back) : "r"(sel), "r"((uint16_t)0));
    if (back != sel)
        return fail(why, len, "loading selector 0x0b gave %#x", back);
    /* A TSS descriptor (system type 9) is refused; a data segment goes in through the hypercall. */
    uint64_t maddr = mfn * PAGE_SIZE + 3 * 8;
    if ((rc = hypercall2(__HYPERVISOR_update_descriptor, maddr, 0x0000890000000067ull)) != -XEN_EINVAL)
        return fail(why, len, "TSS descriptor: %lld, want -EINVAL", (long long)rc);
    if ((rc = hypercall2(__HYPERVISOR_update_descriptor, maddr + 4, 0x00cff2000000ffffull)) != -XEN_EINVAL)
        return fail(why, len, "unaligned address: %lld, want -EINVAL", (long long)rc);
    if ((rc = hypercall2(__HYPERVISOR_update_descriptor, virt_to_mfn((void *)start_info->pt_base) * PAGE_SIZE,
                         0x00cff2000000ffffull)) != -XEN_EINVAL)
        return fail(why, len, "descriptor into the L4: %lld, want -EINVAL", (long long)rc);
    if ((rc = hypercall2(__HYPERVISOR_update_descriptor, maddr, 0x00cff2000000ffffull)))
        return fail(why, len, "update_descriptor: %lld", (long long)rc);
    sel = 0x1b;
    __asm__ volatile("mov %1, %%ds\n\tmov %%ds, %0\n\tmov %2, %%ds" : "=r"(back) : "r"(sel), "r"((uint16_t)0));
    /* Stored as given, but with the accessed bit set, as Xen keeps GDT descriptors. */
    if (back != sel || gdt_page[3] != 0x00cff3000000ffffull)
        return fail(why, len, "selector 0x1b loaded as %#x, descriptor stored as %#llx", back,
                    (unsigned long long)gdt_page[3]);
    /* While it is a GDT page it cannot be mapped writable. */
    if ((rc = hypercall3(__HYPERVISOR_update_va_mapping, (uint64_t)gdt_page, mfn * PAGE_SIZE | PTE_DATA,
                         UVMF_INVLPG)) != -XEN_EBUSY)
        return fail(why, len, "writable mapping of a GDT page: %lld, want -EBUSY", (long long)rc);
    return NULL;
}

/*
 * The hypervisor writes shared_info's event bits through its own mapping, so
 * the frame must stay data for good: even with vcpu_info moved out, the page
 * zeroed and no mapping left, it may not become a page table.
 */
static const char *test_shared_info_stays_data(char *why, size_t len)
{
    static uint8_t vcpu_info_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
    struct vcpu_register_vcpu_info r = { .mfn = virt_to_mfn(vcpu_info_page), .offset = 0 };
    uint64_t mfn = start_info->shared_info / PAGE_SIZE;
    /* Masked first: moving vcpu_info raises an upcall, and this guest has no event callback. */
    ((struct shared_info *)SI_VA)->vcpu_info[0].evtchn_upcall_mask = 1;
    int64_t rc = hypercall3(__HYPERVISOR_vcpu_op, VCPUOP_register_vcpu_info, 0, &r);
    if (rc)
        return fail(why, len, "moving vcpu_info: %lld", (long long)rc);
    memset((void *)SI_VA, 0, PAGE_SIZE);
    if ((rc = hypercall3(__HYPERVISOR_update_va_mapping, SI_VA, 0, UVMF_INVLPG)))
        return fail(why, len, "unmapping shared_info: %lld", (long long)rc);
    rc = mmuext(MMUEXT_PIN_L1_TABLE, mfn, 0);
    if (rc == 0) {
        mmuext(MMUEXT_UNPIN_TABLE, mfn, 0);
        return fail(why, len, "shared_info was pinned as an L1 table");
    }
    if (rc != -XEN_EINVAL)
        return fail(why, len, "pinning shared_info as an L1: %lld, want -EINVAL", (long long)rc);
    if ((rc = hypercall3(__HYPERVISOR_update_va_mapping, SI_VA, start_info->shared_info | PTE_DATA, UVMF_INVLPG)))
        return fail(why, len, "mapping shared_info again: %lld", (long long)rc);
    return NULL;
}

/* iret inside a multicall ends the batch there: nothing after it runs, and rax is what iret restored. */
static const char *test_multicall_iret(char *why, size_t len)
{
    static struct multicall_entry mc[2];
    static struct iret_context frame;
    uint64_t cs, ss, rax;
    __asm__ volatile("mov %%cs, %0\n\tmov %%ss, %1" : "=r"(cs), "=r"(ss));
    memset(mc, 0, sizeof(mc));
    mc[0].op = __HYPERVISOR_iret;
    mc[1].op = __HYPERVISOR_xen_version;
    mc[1].args[0] = XENVER_version;
    mc[1].result = 0x5a5a;
    /* Kernel mode shows as RPL 0 in an iret frame (RPL 3 would mean guest user mode). */
    frame = (struct iret_context){ .rax = 0x1234, .cs = cs & ~3ull, .rflags = 0x202, .ss = ss & ~3ull };
    /* The frame iret reads is at rsp when the SYSCALL happens; it brings us back to 1: on our own stack. */
    __asm__ volatile("lea 1f(%%rip), %%rax\n\t"
                     "mov %%rax, %c[rip](%[f])\n\t"
                     "mov %%rsp, %c[rsp](%[f])\n\t"
                     "mov %[f], %%rsp\n\t"
                     "mov %[nr], %%eax\n\t"
                     "syscall\n"
                     "1:"
                     : "=&a"(rax)
                     : [f] "r"(&frame), [nr] "i"(__HYPERVISOR_multicall), "D"(mc), "S"(2),
                       [rip] "i"(offsetof(struct iret_context, rip)), [rsp] "i"(offsetof(struct iret_context, rsp))
                     : "rcx", "r11", "memory");
    if (rax != 0x1234)
        return fail(why, len, "rax %#llx after the multicall, want the 0x1234 iret restored", (unsigned long long)rax);
    if (mc[1].result != 0x5a5a)
        return fail(why, len, "the entry after iret ran: result %lld", (long long)mc[1].result);
    return NULL;
}

/*
 * One L1 linked at two 2 MiB slots maps a frame at two addresses. After the
 * mapping goes (no flush asked for) and the frame becomes a page table, the
 * second address must not still write to it through a cached translation.
 * The mapping goes through update_va_mapping or through mmu_update: both
 * must leave nothing writable behind.
 */
#define STALE_VA (GUEST_VIRT_BASE + 0xc000000ull)     /* 192 MiB up: free address space */
static const char *stale_writable_after_unmap(bool by_mmu_update, char *why, size_t len)
{
    uint64_t va1 = STALE_VA, va2 = STALE_VA + 0x200000, f = spare_mfn();
    int64_t rc;
    if (!f || ensure_l1(va1))
        return fail(why, len, "no spare frame or L1 for %#llx", (unsigned long long)va1);
    uint64_t l1 = read_pte(va1, 2) & PTE_ADDR;
    if ((rc = mmu_update_one(pte_maddr(va2, 2), l1 | PTE_P | PTE_RW | PTE_U | PTE_A)))
        return fail(why, len, "linking the L1 a second time: %lld", (long long)rc);
    if ((rc = hypercall3(__HYPERVISOR_update_va_mapping, va1, f * PAGE_SIZE | PTE_DATA, UVMF_INVLPG)))
        return fail(why, len, "mapping the frame: %lld", (long long)rc);
    *(volatile uint64_t *)va2 = 0;                  /* a write through va2: cached writable */
    rc = by_mmu_update ? mmu_update_one(pte_maddr(va1, 1), 0) : hypercall3(__HYPERVISOR_update_va_mapping, va1, 0, 0);
    if (rc)
        return fail(why, len, "unmapping without a flush: %lld", (long long)rc);
    if ((rc = mmuext(MMUEXT_PIN_L1_TABLE, f, 0)))
        return fail(why, len, "pinning the unmapped frame as an L1: %lld", (long long)rc);
    TRY_INSN("xor %%edx, %%edx\n\tmovq %%rdx, (%0)", "r"(va2));
    uint64_t vector = last_exc.vector;
    mmuext(MMUEXT_UNPIN_TABLE, f, 0);
    mmu_update_one(pte_maddr(va2, 2), 0);
    if (vector != 14)
        return fail(why, len, "a write through the second address reached the new page table (vector %lld)",
                    (long long)vector);
    return NULL;
}

static const char *test_no_stale_writable(char *why, size_t len)
{
    return stale_writable_after_unmap(false, why, len);
}

static const char *test_no_stale_writable_mmu_update(char *why, size_t len)
{
    return stale_writable_after_unmap(true, why, len);
}

DEFINE_TESTS(
    { "setup_page_tables", test_setup },
    { "m2p_consistent_and_readonly", test_m2p },
    { "map_shared_info", test_shared_info },
    { "page_fault_sets_cr2", test_cr2 },
    { "map_1024_pages_one_batch", test_map_1024 },
    { "batch_stops_at_bad_entry", test_batch_counts },
    { "update_refusals", test_refusals },
    { "pin_unpin_baseptr", test_pins },
    { "tlb_flush_ops", test_flush_ops },
    { "clear_and_copy_page", test_clear_copy },
    { "multicall_mixed", test_multicall },
    { "multicall_iret_ends_batch", test_multicall_iret },
    { "reservations", test_reservation },
    { "machine_memory_map", test_machine_memory_map },
    { "huge_batch_continues", test_huge_batch },
    { "user_mode_syscall_bounce", test_user_mode },
    { "update_va_mapping_otherdomain", test_otherdomain },
    { "gdt_and_descriptors", test_gdt },
    { "no_stale_writable_mapping", test_no_stale_writable },
    { "no_stale_writable_after_mmu_update", test_no_stale_writable_mmu_update },
    { "shared_info_stays_data", test_shared_info_stays_data }
)
