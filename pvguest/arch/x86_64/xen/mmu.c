/*
 * PV MMU ops. Page-table entries hold machine frames (P2M/M2P); page-table
 * pages are mapped read-only in the direct map and pinned while in use;
 * every change is a hypercall. The lazy-MMU queue holds the changes in
 * order: runs of mmu_update entries and of mmuext ops, plus the pending TLB
 * flushes (coalesced: up to FLUSH_PAGES invlpgs, else one full flush, always
 * last). It reaches the hypervisor as one mmu_update or mmuext_op call, or a
 * multicall of one call per run, when lazy mode ends, when it holds
 * mmu_batch_size operations, or when before_read() finds a queued write to
 * entries about to be read. Outside lazy mode each operation goes at once;
 * with batching off (mmu_batch=0) even set_ptes() sends its entries one by one.
 * With pt_write=direct, an entry of one of our pinned L1 tables is written
 * outside lazy mode by a plain store through its read-only direct-map
 * mapping: the hypervisor traps and emulates it (writable page tables, L1
 * only, as Xen 4.17), as Linux does outside lazy mode.
 * Callers hold the MMU lock (lazy_mmu.c), so one CPU at a time queues. With
 * other vCPUs online the flushes are the _ALL forms: the hypervisor shoots
 * down every vCPU's TLB.
 */
#include <counters.h>
#include <mm.h>
#include <pagetable.h>
#include <sched.h>
#include <public/errno.h>
#include "xen.h"

#define MAX_RUNS    32
#define FLUSH_PAGES 32
#define RUN_UPDATE  0
#define RUN_EXT     1
#define RUN_IO      2           /* mmu_update entries mapping I/O memory: foreigndom DOMID_IO */

struct run {
    uint8_t kind;
    uint16_t start, count;
};

static struct mmu_update upd[MMU_BATCH_MAX];
static uint64_t upd_table[MMU_BATCH_MAX];               /* pfn of the table each update writes */
static struct mmuext_op ext[MMU_BATCH_MAX + FLUSH_PAGES];
static struct run runs[MAX_RUNS + 1];
static unsigned int nr_upd, nr_ext, nr_runs;
static uint64_t flush_va[FLUSH_PAGES];
static unsigned int nr_flush, nr_flush_requests;
static bool flush_everything, lazy;
static uint64_t dirty[DIRECT_MAP_PFNS / 64];             /* tables with queued updates */
static uint64_t pinned_l1[DIRECT_MAP_PFNS / 64];         /* our L1 tables the hypervisor has pinned */
static struct multicall_entry mc[MAX_RUNS + 1];
static uint32_t mc_done[MAX_RUNS + 1];

uint64_t xen_mapped_pfns;

static unsigned int capacity(void) { return lazy_mmu_batching() ? mmu_batch_size : 1; }
static unsigned int queued(void) { return nr_upd + nr_ext + nr_flush_requests; }

static const char *ext_name(unsigned int cmd)
{
    static const char *const names[] = { "PIN_L1_TABLE", "PIN_L2_TABLE", "PIN_L3_TABLE", "PIN_L4_TABLE",
                                         "UNPIN_TABLE", "NEW_BASEPTR", "TLB_FLUSH_LOCAL", "INVLPG_LOCAL",
                                         "TLB_FLUSH_MULTI", "INVLPG_MULTI", "TLB_FLUSH_ALL", "INVLPG_ALL" };
    return cmd < ARRAY_SIZE(names) ? names[cmd] : "?";
}

static __noreturn void update_failed(int64_t rc, const struct run *r, uint32_t done)
{
    const struct mmu_update *u = &upd[r->start + MIN(done, r->count - 1u)];
    xen_hypercall_failed(__HYPERVISOR_mmu_update, rc,
                         "%p, %u, &done, %s; done %u; failed entry: ptr %#llx val %#llx",
                         (void *)&upd[r->start], r->count, r->kind == RUN_IO ? "DOMID_IO" : "DOMID_SELF", done,
                         (unsigned long long)u->ptr,
                         (unsigned long long)u->val);
}

static __noreturn void ext_failed(int64_t rc, const struct run *r, uint32_t done)
{
    const struct mmuext_op *o = &ext[r->start + MIN(done, r->count - 1u)];
    xen_hypercall_failed(__HYPERVISOR_mmuext_op, rc, "%p, %u, &done, DOMID_SELF; done %u; failed op: %s %#llx",
                         (void *)&ext[r->start], r->count, done, ext_name(o->cmd),
                         (unsigned long long)o->arg1.mfn);
}

/*
 * Whose frames a run's entries map: our own, or I/O memory (a BAR), which
 * Linux's xen_remap also maps with DOMID_IO as the page owner.
 */
static uint64_t run_domid(const struct run *r) { return r->kind == RUN_IO ? DOMID_IO : DOMID_SELF; }

/* An entry that maps device memory: only PROT_IO sets PCD (xen_make_pte). */
static bool pte_is_io(pte_t v) { return (v & PTE_P) && (v & PTE_PCD); }

static void push_run(unsigned int kind, unsigned int start)
{
    if (nr_runs && runs[nr_runs - 1].kind == kind) {
        runs[nr_runs - 1].count++;
        return;
    }
    runs[nr_runs++] = (struct run){ (uint8_t)kind, (uint16_t)start, 1 };
}

/* Sends everything queued, in order; panics if the hypervisor refuses any of it. */
static void flush_queue(void)
{
    if (nr_flush_requests) {
        bool all = READ_ONCE(nr_cpus_online) > 1;
        if (flush_everything || nr_flush > FLUSH_PAGES) {
            ext[nr_ext] = (struct mmuext_op){ .cmd = all ? MMUEXT_TLB_FLUSH_ALL : MMUEXT_TLB_FLUSH_LOCAL };
            push_run(RUN_EXT, nr_ext++);
        } else {
            for (unsigned int i = 0; i < nr_flush; i++) {
                ext[nr_ext] = (struct mmuext_op){ .cmd = all ? MMUEXT_INVLPG_ALL : MMUEXT_INVLPG_LOCAL };
                ext[nr_ext].arg1.linear_addr = flush_va[i];
                push_run(RUN_EXT, nr_ext++);
            }
        }
    }
    unsigned int n = queued();
    if (!n)
        return;
    counter_batch(n);
    if (nr_runs == 1) {
        const struct run *r = &runs[0];
        uint32_t done = 0;
        int64_t rc = r->kind != RUN_EXT
                         ? hypercall4(__HYPERVISOR_mmu_update, &upd[r->start], r->count, &done, run_domid(r))
                         : hypercall4(__HYPERVISOR_mmuext_op, &ext[r->start], r->count, &done, DOMID_SELF);
        if (rc || done != r->count) {
            if (r->kind != RUN_EXT)
                update_failed(rc, r, done);
            ext_failed(rc, r, done);
        }
    } else {
        for (unsigned int i = 0; i < nr_runs; i++) {
            const struct run *r = &runs[i];
            mc_done[i] = 0;
            mc[i] = (struct multicall_entry){
                .op = r->kind != RUN_EXT ? __HYPERVISOR_mmu_update : __HYPERVISOR_mmuext_op,
                .args = { r->kind != RUN_EXT ? (uint64_t)&upd[r->start] : (uint64_t)&ext[r->start], r->count,
                          (uint64_t)&mc_done[i], run_domid(r) },
            };
        }
        int64_t rc = hypercall2(__HYPERVISOR_multicall, mc, nr_runs);
        if (rc)
            xen_hypercall_failed(__HYPERVISOR_multicall, rc, "%p, %u", (void *)mc, nr_runs);
        for (unsigned int i = 0; i < nr_runs; i++) {
            int64_t res = (int64_t)mc[i].result;
            if (res || mc_done[i] != runs[i].count) {
                printk("pvguest: multicall entry %u of %u failed\n", i, nr_runs);
                if (runs[i].kind != RUN_EXT)
                    update_failed(res, &runs[i], mc_done[i]);
                ext_failed(res, &runs[i], mc_done[i]);
            }
        }
    }
    for (unsigned int i = 0; i < nr_upd; i++)
        dirty[upd_table[i] / 64] &= ~(1ull << (upd_table[i] % 64));
    nr_upd = nr_ext = nr_runs = 0;
    nr_flush = nr_flush_requests = 0;
    flush_everything = false;
}

/* Makes room for one more operation (and a run to hold it). */
static void reserve(void)
{
    if (queued() >= capacity() || nr_runs >= MAX_RUNS - 1)
        flush_queue();
}

static void queue_update(const pte_t *ptep, pte_t val)
{
    reserve();
    uint64_t table = virt_to_pfn(ptep);
    upd[nr_upd] = (struct mmu_update){ .ptr = virt_to_maddr(ptep) | MMU_NORMAL_PT_UPDATE, .val = val };
    upd_table[nr_upd] = table;
    dirty[table / 64] |= 1ull << (table % 64);
    push_run(pte_is_io(val) ? RUN_IO : RUN_UPDATE, nr_upd++);
}

static void queue_ext(unsigned int cmd, uint64_t arg1)
{
    reserve();
    ext[nr_ext] = (struct mmuext_op){ .cmd = cmd };
    ext[nr_ext].arg1.mfn = arg1;
    push_run(RUN_EXT, nr_ext++);
}

/* Outside lazy mode an operation goes at once. */
static void done_op(void)
{
    if (!lazy)
        flush_queue();
}

/* With PROT_IO, pfn is a bus (machine) frame, not one of ours: no P2M. */
static pte_t xen_make_pte(uint64_t pfn, unsigned int prot)
{
    uint64_t mfn = prot & PROT_IO ? pfn : pfn_to_mfn(pfn);
    pte_t e = (mfn << PAGE_SHIFT) | PTE_P | PTE_U | PTE_A;               /* U: the kernel runs in ring 3 */
    if (prot & PROT_TABLE)
        return e | PTE_RW | PTE_D;
    if (prot & PROT_WRITE)
        e |= PTE_RW | PTE_D;
    if (prot & PROT_IO)
        e |= PTE_PCD | PTE_PWT;
    return e;
}

/* A device-memory entry's frame is a machine frame, outside the M2P's RAM. */
static uint64_t xen_pte_pfn(pte_t e)
{
    return pte_is_io(e) ? (e & PTE_ADDR) >> PAGE_SHIFT : mfn_to_pfn((e & PTE_ADDR) >> PAGE_SHIFT);
}

static bool test_pfn(const uint64_t *map, uint64_t pfn) { return map[pfn / 64] & (1ull << (pfn % 64)); }

/*
 * pt_write=direct outside lazy mode, for a table the hypervisor knows as an
 * L1 (its pin was sent: outside lazy mode nothing is queued).
 */
static bool store_directly(const pte_t *p, pte_t v)
{
    return !pte_is_io(v) && pt_write_direct && !lazy && test_pfn(pinned_l1, virt_to_pfn(p));
}

static void store_pte(pte_t *p, pte_t v)
{
    counter_entry(COUNTER_ENTRY_PT_STORE);
    __atomic_store_n(p, v, __ATOMIC_RELAXED);          /* one 8-byte MOV, trapped and emulated */
}

static void xen_set_pte(pte_t *p, pte_t v)
{
    if (store_directly(p, v)) {
        store_pte(p, v);
        return;
    }
    queue_update(p, v);
    done_op();
}

static void xen_set_ptes(pte_t *p, const pte_t *v, unsigned int n)
{
    bool io = false;
    for (unsigned int i = 0; i < n; i++)
        io |= pte_is_io(v[i]);
    if (!io && store_directly(p, 0)) {
        for (unsigned int i = 0; i < n; i++)
            store_pte(&p[i], v[i]);
        return;
    }
    for (unsigned int i = 0; i < n; i++)
        queue_update(&p[i], v[i]);
    done_op();
}

/* Any CPU may switch (schedule()); only the MMU lock's holder may use the queue. */
static void xen_switch_root(uint64_t pfn)
{
    if (mmu_lock_mine()) {
        queue_ext(MMUEXT_NEW_BASEPTR, pfn_to_mfn(pfn));
        done_op();
        return;
    }
    struct mmuext_op op = { .cmd = MMUEXT_NEW_BASEPTR };
    op.arg1.mfn = pfn_to_mfn(pfn);
    uint32_t done = 0;
    counter_batch(1);
    int64_t rc = hypercall4(__HYPERVISOR_mmuext_op, &op, 1, &done, DOMID_SELF);
    if (rc || done != 1)
        xen_hypercall_failed(__HYPERVISOR_mmuext_op, rc, "NEW_BASEPTR %#llx, 1, &done, DOMID_SELF; done %u",
                             (unsigned long long)op.arg1.mfn, done);
}

static void xen_flush_page(uintptr_t va)
{
    reserve();
    nr_flush_requests++;
    if (nr_flush < FLUSH_PAGES)
        flush_va[nr_flush++] = va;
    else
        flush_everything = true;
    done_op();
}

static void xen_flush_all(void)
{
    reserve();
    nr_flush_requests++;
    flush_everything = true;
    done_op();
}

/* The direct-map entry of a frame (its L1 exists for every frame we own). */
static pte_t *direct_map_pte(uint64_t pfn)
{
    pte_t *p = pt_walk(kernel_root_pfn, (uint64_t)pfn_to_virt(pfn), 1, false);
    if (!p)
        panic("xen: frame %#llx is not in the direct map", (unsigned long long)pfn);
    return p;
}

/* A table must have no writable mapping: read-only in the direct map first. */
static void xen_alloc_pt(unsigned int level, uint64_t pfn)
{
    (void)level;
    queue_update(direct_map_pte(pfn), xen_make_pte(pfn, PROT_READ));
    xen_flush_page((uintptr_t)pfn_to_virt(pfn));
}

static void xen_release_pt(unsigned int level, uint64_t pfn)
{
    (void)level;
    queue_update(direct_map_pte(pfn), xen_make_pte(pfn, PROT_WRITE));
    done_op();
}

static void xen_pin_pt(unsigned int level, uint64_t pfn)
{
    queue_ext(MMUEXT_PIN_L1_TABLE + level - 1, pfn_to_mfn(pfn));
    if (level == 1)
        pinned_l1[pfn / 64] |= 1ull << (pfn % 64);
    done_op();
}

static void xen_unpin_pt(uint64_t pfn)
{
    pinned_l1[pfn / 64] &= ~(1ull << (pfn % 64));
    queue_ext(MMUEXT_UNPIN_TABLE, pfn_to_mfn(pfn));
    done_op();
}

static void xen_before_read(const pte_t *p, unsigned int n)
{
    uint64_t table = virt_to_pfn(p);
    if (!nr_upd || !(dirty[table / 64] & (1ull << (table % 64))))
        return;
    uint64_t lo = virt_to_maddr(p), hi = lo + n * sizeof(pte_t);
    for (unsigned int i = 0; i < nr_upd; i++) {
        uint64_t ptr = upd[i].ptr & ~7ull;
        if (ptr >= lo && ptr < hi) {
            flush_queue();
            return;
        }
    }
}

static void xen_lazy_enter(void) { lazy = true; }
static void xen_lazy_leave(void)
{
    flush_queue();
    lazy = false;
}

const struct pv_mmu_ops xen_mmu_ops = {
    .make_pte = xen_make_pte,
    .pte_pfn = xen_pte_pfn,
    .set_pte = xen_set_pte,
    .set_ptes = xen_set_ptes,
    .switch_root = xen_switch_root,
    .flush_page = xen_flush_page,
    .flush_all = xen_flush_all,
    .alloc_pt = xen_alloc_pt,
    .release_pt = xen_release_pt,
    .pin_pt = xen_pin_pt,
    .unpin_pt = xen_unpin_pt,
    .before_read = xen_before_read,
    .lazy_enter = xen_lazy_enter,
    .lazy_leave = xen_lazy_leave,
    .lazy_flush = flush_queue,
};

/*
 * The builder mapped pfns [0, xen_mapped_pfns) at DIRECT_MAP_BASE. Map the
 * rest of our frames there too (batched), give them to the page allocator,
 * and map shared_info (a machine address) in the fixmap.
 */
void xen_mm_init(void)
{
    /*
     * A domU needs the assist for its stores to be emulated (Xen emulates
     * dom0's regardless); asked for always, since pt_write_direct may be
     * switched on later (the benchmarks do).
     */
    int64_t rc = hypercall2(__HYPERVISOR_vm_assist, VMASST_CMD_enable, VMASST_TYPE_writable_pagetables);
    if (rc)
        xen_hypercall_failed(__HYPERVISOR_vm_assist, rc, "VMASST_CMD_enable, VMASST_TYPE_writable_pagetables");
    uint64_t end = MIN(xen_start_info->nr_pages, DIRECT_MAP_PFNS);
    lazy_mmu_enter();
    for (uint64_t pfn = xen_mapped_pfns; pfn < end; pfn++)
        if (pt_map(kernel_root_pfn, (uint64_t)pfn_to_virt(pfn), xen_make_pte(pfn, PROT_WRITE)))
            panic("xen: out of memory extending the direct map at frame %#llx", (unsigned long long)pfn);
    lazy_mmu_leave();
    page_alloc_add_range(xen_mapped_pfns, end);
    pte_t si = (xen_start_info->shared_info & PTE_ADDR) | PTE_P | PTE_RW | PTE_U | PTE_A | PTE_D;
    if (pt_map(kernel_root_pfn, fix_to_virt(FIX_SHARED_INFO), si))
        panic("xen: out of memory mapping shared_info");
    xen_shared_info = (struct shared_info *)fix_to_virt(FIX_SHARED_INFO);
    xen_vcpu_info[0] = &xen_shared_info->vcpu_info[0];
}
