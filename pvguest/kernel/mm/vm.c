/*
 * Kernel virtual memory: regions in [VM_BASE, VM_BASE + VM_SIZE), eager
 * (mapped at once, in lazy-MMU mode), demand-zero (a page fault maps a zeroed
 * page on first touch) or reserved (the caller maps into it). Each region
 * is followed by an unmapped guard page. The region list is sorted by start;
 * vm_lock guards it (page tables have the MMU lock, lazy_mmu.c).
 */
#include <list.h>
#include <mm.h>
#include <pagetable.h>
#include <sched.h>

struct vm_region {
    struct list_head node;
    uint64_t start;
    size_t npages;
    unsigned int flags;
};

static struct list_head regions = LIST_HEAD_INIT(regions);
static spinlock_t vm_lock = SPINLOCK_INIT;
uint64_t vm_demand_faults, vm_spurious_faults;

#define VM_CHUNK 64     /* pages allocated and mapped per step of vm_alloc() */

void vm_init(void)
{
    /* The L3 of the VM slot exists before any address space copies the kernel half. */
    if (!pt_walk(kernel_root_pfn, VM_BASE, 3, true))
        panic("vm: no memory for the kernel virtual memory's first page table");
}

static struct vm_region *region_of(uint64_t addr)
{
    struct vm_region *found = NULL;
    unsigned long f = spin_lock_irqsave(&vm_lock);
    list_for_each(p, &regions) {
        struct vm_region *r = list_entry(p, struct vm_region, node);
        if (addr >= r->start && addr < r->start + r->npages * PAGE_SIZE) {
            found = r;
            break;
        }
    }
    spin_unlock_irqrestore(&vm_lock, f);
    return found;
}

/* Reserves address space for npages plus a guard page, starting at a multiple of align (first fit). */
static struct vm_region *region_new(size_t npages, unsigned int flags, uint64_t align)
{
    struct vm_region *r = kmalloc(sizeof(*r));
    if (!r)
        return NULL;
    r->npages = npages;
    r->flags = flags;
    unsigned long f = spin_lock_irqsave(&vm_lock);
    uint64_t at = VM_BASE, need = (npages + 1) * PAGE_SIZE;
    struct list_head *before = &regions;
    list_for_each(p, &regions) {
        struct vm_region *o = list_entry(p, struct vm_region, node);
        if (ALIGN_UP(at, align) + need <= o->start) {
            before = p;
            break;
        }
        at = o->start + (o->npages + 1) * PAGE_SIZE;
    }
    at = ALIGN_UP(at, align);
    if (at + need > VM_BASE + VM_SIZE) {
        spin_unlock_irqrestore(&vm_lock, f);
        kfree(r);
        printk("pvguest: vm: out of address space for %zu pages\n", npages);
        return NULL;
    }
    r->start = at;
    list_add_before(&r->node, before);
    spin_unlock_irqrestore(&vm_lock, f);
    return r;
}

static void region_drop(struct vm_region *r)
{
    unsigned long f = spin_lock_irqsave(&vm_lock);
    list_del(&r->node);
    spin_unlock_irqrestore(&vm_lock, f);
    kfree(r);
}

/* Unmaps [va, va + n pages) in lazy mode, freeing the backing frames if owned. */
static void unmap_and_free(uint64_t va, size_t n, bool owned)
{
    uint64_t pfns[VM_CHUNK];
    while (n) {
        size_t k = MIN(n, (size_t)VM_CHUNK);
        pt_unmap_range(kernel_root_pfn, va, k, pfns);
        for (size_t i = 0; owned && i < k; i++)
            if (pfns[i] != PFN_NONE)
                free_pfn(pfns[i]);
        va += k * PAGE_SIZE;
        n -= k;
    }
}

void *vm_alloc(size_t npages, unsigned int flags) { return vm_alloc_aligned(npages, flags, PAGE_SIZE); }

void *vm_alloc_aligned(size_t npages, unsigned int flags, uint64_t align)
{
    if (!npages)
        return NULL;
    struct vm_region *r = region_new(npages, flags, align);
    if (!r)
        return NULL;
    if (flags != VM_EAGER)
        return (void *)r->start;
    uint64_t pfns[VM_CHUNK];
    for (size_t done = 0; done < npages;) {
        size_t k = MIN(npages - done, (size_t)VM_CHUNK), got = 0;
        for (; got < k; got++) {
            pfns[got] = alloc_pfns(0, "vm_alloc");
            if (pfns[got] == PFN_NONE)
                break;
            memset(pfn_to_virt(pfns[got]), 0, PAGE_SIZE);
        }
        int rc = got == k ? pt_map_range(kernel_root_pfn, r->start + done * PAGE_SIZE, pfns, k, PROT_WRITE) : -ENOMEM;
        if (rc) {
            printk("pvguest: vm: out of memory: vm_alloc of %zu pages failed after %zu; nothing kept\n",
                   npages, done + got);
            unmap_and_free(r->start + done * PAGE_SIZE, got, false);   /* what of this chunk got mapped */
            for (size_t i = 0; i < got; i++)
                free_pfn(pfns[i]);
            unmap_and_free(r->start, done, true);
            region_drop(r);
            return NULL;
        }
        done += k;
    }
    return (void *)r->start;
}

void vm_free(void *va)
{
    struct vm_region *r = region_of((uint64_t)va);
    if (!r || r->start != (uint64_t)va)
        panic("vm: vm_free(%p): not the start of a region", va);
    unmap_and_free(r->start, r->npages, r->flags != VM_RESERVE);
    region_drop(r);
}

int vm_map(uintptr_t va, uint64_t pfn, unsigned int prot)
{
    /* May replace a mapping: always flushed (cheap inside lazy mode, where flushes coalesce). */
    mmu_lock();
    pte_t *p = pt_walk(kernel_root_pfn, va, 1, true);
    if (p) {
        pv_set_pte(p, pv_make_pte(pfn, prot));
        pv_flush_page(va);
    }
    mmu_unlock();
    return p ? 0 : -ENOMEM;
}

uint64_t vm_unmap(uintptr_t va)
{
    uint64_t old;
    pt_unmap_range(kernel_root_pfn, va, 1, &old);
    return old;
}

int vm_map_range(uintptr_t va, const uint64_t *pfns, size_t n, unsigned int prot)
{
    return pt_map_range(kernel_root_pfn, va, pfns, n, prot);
}

void vm_unmap_range(uintptr_t va, size_t n) { pt_unmap_range(kernel_root_pfn, va, n, NULL); }

/*
 * Write faults on read-only entries and faults outside demand-zero regions
 * are real (-EFAULT). A fault on an entry that is present once queued
 * updates are applied was spurious: retried.
 */
int vm_fault(uintptr_t addr, uint64_t error_code)
{
    uint64_t page = ALIGN_DOWN(addr, PAGE_SIZE);
    pte_t e = pt_read(current->root_pfn, page);          /* applies queued writes to that table */
    if (pte_present(e)) {
        if ((error_code & 2) && !(e & PTE_RW))
            return -EFAULT;
        vm_spurious_faults++;
        return 0;
    }
    struct vm_region *r = region_of(addr);
    if (!r || r->flags != VM_DEMAND_ZERO)
        return -EFAULT;
    uint64_t pfn = alloc_pfns(0, "a demand-zero fault");
    if (pfn == PFN_NONE)
        panic("vm: out of memory serving a demand-zero fault at %#llx (region %#llx, %zu pages)",
              (unsigned long long)addr, (unsigned long long)r->start, r->npages);
    memset(pfn_to_virt(pfn), 0, PAGE_SIZE);
    mmu_lock();
    e = pt_read(kernel_root_pfn, page);     /* another CPU may have served the same page meanwhile */
    bool raced = pte_present(e);
    if (!raced && pt_map(kernel_root_pfn, page, pv_make_pte(pfn, PROT_WRITE)))
        panic("vm: out of memory for a page table serving a demand-zero fault at %#llx", (unsigned long long)addr);
    lazy_mmu_flush();                   /* the retried access needs the entry now */
    mmu_unlock();
    if (raced) {
        free_pfn(pfn);
        return 0;
    }
    __atomic_add_fetch(&vm_demand_faults, 1, __ATOMIC_RELAXED);
    return 0;
}
