/*
 * Native MMU ops: entries are written in place, TLB flushes are privileged
 * instructions. Lazy mode queues the flushes (up to FLUSH_QUEUE pages, then
 * one CR3 reload for all) and issues them when it ends: the native analogue
 * of batching, and what the counters count as entries here. With other CPUs
 * online every flush (or batch of them) is followed by a shootdown: each
 * other CPU reloads CR3 (smp.c). Callers hold the MMU lock.
 */
#include <counters.h>
#include <mm.h>
#include <pagetable.h>
#include "native.h"

#define FLUSH_QUEUE 32

static bool lazy;
static uint64_t queued_va[FLUSH_QUEUE];
static unsigned int nr_queued, nr_requests;     /* requests also counts those a full flush absorbs */
static bool full_flush;

static void invlpg(uintptr_t va)
{
    counter_entry(NATIVE_ENTRY_INVLPG);
    __asm__ volatile("invlpg (%0)" :: "r"(va) : "memory");
}

static void write_cr3(uint64_t root_pfn)
{
    counter_entry(NATIVE_ENTRY_CR3);
    __asm__ volatile("mov %0, %%cr3" :: "r"(root_pfn << PAGE_SHIFT) : "memory");
}

static uint64_t read_cr3(void)
{
    uint64_t v;
    __asm__ volatile("mov %%cr3, %0" : "=r"(v));
    return v >> PAGE_SHIFT;
}

static pte_t native_make_pte(uint64_t pfn, unsigned int prot)
{
    pte_t e = (pfn << PAGE_SHIFT) | PTE_P | PTE_A;
    if (prot & PROT_TABLE)
        return e | PTE_RW;
    if (prot & PROT_WRITE)
        e |= PTE_RW | PTE_D;
    if (prot & PROT_IO)
        e |= PTE_PCD | PTE_PWT;
    return e;
}

static uint64_t native_pte_pfn(pte_t e) { return (e & PTE_ADDR) >> PAGE_SHIFT; }
static void native_set_pte(pte_t *p, pte_t v) { WRITE_ONCE(*p, v); }
static void native_set_ptes(pte_t *p, const pte_t *v, unsigned int n)
{
    for (unsigned int i = 0; i < n; i++)
        WRITE_ONCE(p[i], v[i]);
}

static void flush_queue(void)
{
    if (!nr_requests)
        return;
    if (full_flush)
        write_cr3(read_cr3());
    else
        for (unsigned int i = 0; i < nr_queued; i++)
            invlpg(queued_va[i]);
    counter_batch(nr_requests);
    nr_queued = nr_requests = 0;
    full_flush = false;
    native_flush_others();
}

/* Called by any CPU (a switch); only the MMU lock's holder may have flushes queued. */
static void native_switch_root(uint64_t pfn)
{
    if (lazy && mmu_lock_mine()) {
        if (nr_requests)                /* loading CR3 flushes everything here, not elsewhere */
            native_flush_others();
        nr_queued = nr_requests = 0;
        full_flush = false;
    }
    write_cr3(pfn);
}

static void native_flush_page(uintptr_t va)
{
    if (!lazy) {
        invlpg(va);
        counter_batch(1);
        native_flush_others();
        return;
    }
    nr_requests++;
    if (nr_queued < FLUSH_QUEUE)
        queued_va[nr_queued++] = va;
    else
        full_flush = true;
}

static void native_flush_all(void)
{
    if (!lazy) {
        write_cr3(read_cr3());
        counter_batch(1);
        native_flush_others();
        return;
    }
    nr_requests++;
    full_flush = true;
}

static void native_nop_pt(unsigned int level, uint64_t pfn) { (void)level; (void)pfn; }
static void native_unpin_pt(uint64_t pfn) { (void)pfn; }
static void native_before_read(const pte_t *p, unsigned int n)     /* writes are never queued */
{
    (void)p;
    (void)n;
}
static void native_lazy_enter(void) { lazy = true; }
static void native_lazy_leave(void)
{
    flush_queue();
    lazy = false;
}

const struct pv_mmu_ops native_mmu_ops = {
    .make_pte = native_make_pte,
    .pte_pfn = native_pte_pfn,
    .set_pte = native_set_pte,
    .set_ptes = native_set_ptes,
    .switch_root = native_switch_root,
    .flush_page = native_flush_page,
    .flush_all = native_flush_all,
    .alloc_pt = native_nop_pt,
    .release_pt = native_nop_pt,
    .pin_pt = native_nop_pt,
    .unpin_pt = native_unpin_pt,
    .before_read = native_before_read,
    .lazy_enter = native_lazy_enter,
    .lazy_leave = native_lazy_leave,
    .lazy_flush = flush_queue,
};

/*
 * Replaces the boot tables (2 MiB pages, see head.S) with our own: 4 KiB
 * pages for every RAM frame in the direct map, the local APIC in the fixmap.
 */
void native_mm_init(void)
{
    static uint64_t pfns[PT_ENTRIES];
    uint64_t root = pt_new_table(4);
    if (root == PFN_NONE)
        panic("native: no memory for the root page table");
    for (unsigned int r = 0; r < native_nr_ram; r++) {
        for (uint64_t pfn = native_ram[r].start_pfn; pfn < native_ram[r].end_pfn;) {
            size_t n = (size_t)MIN(native_ram[r].end_pfn - pfn, (uint64_t)PT_ENTRIES);
            for (size_t i = 0; i < n; i++)
                pfns[i] = pfn + i;
            if (pt_map_range(root, (uint64_t)pfn_to_virt(pfn), pfns, n, PROT_WRITE))
                panic("native: out of memory building the direct map");
            pfn += n;
        }
    }
    uint64_t apic = rdmsr(MSR_APIC_BASE) & PTE_ADDR;
    if (pt_map(root, fix_to_virt(FIX_LAPIC), native_make_pte(apic >> PAGE_SHIFT, PROT_WRITE | PROT_IO)))
        panic("native: out of memory mapping the local APIC");
    kernel_root_pfn = root;
    native_switch_root(root);
}
