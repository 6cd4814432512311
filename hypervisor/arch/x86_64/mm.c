/* Hypervisor page tables: direct map of all RAM, W^X image mapping, ioremap. */
#include <hv/page_alloc.h>
#include <hv/printk.h>
#include <asm/cpu.h>
#include <public/xen.h>
#include <asm/mm.h>

extern char _start[], _etext[], _srodata[], _erodata[], _sdata[], _end[];

bool paging_ready;
uint64_t idle_l4_pa;
static uint64_t ioremap_next = IOREMAP_VIRT_START;

/* Before the switch the boot tables identity-map the first 4 GiB. */
static pte_t *pt_virt(uint64_t pa)
{
    if (paging_ready)
        return __va(pa);
    if (pa >= GiB(4))
        panic("boot page table frame %#llx is above 4 GiB", (unsigned long long)pa);
    return (pte_t *)pa;
}

static uint64_t alloc_pt(void)
{
    pfn_t pfn = alloc_frame();
    if (pfn == INVALID_PFN)
        panic("out of memory for hypervisor page tables");
    memset(pt_virt(pfn << PAGE_SHIFT), 0, PAGE_SIZE);
    return pfn << PAGE_SHIFT;
}

/*
 * Returns the entry for va at level (1 = L1 ... 4 = L4), creating tables
 * above it; `user` also opens the path to guests (the read-only M2P).
 */
static pte_t *walk(uint64_t va, int level, bool user)
{
    pte_t *t = pt_virt(idle_l4_pa);
    static unsigned int (*const index[])(uint64_t) = { NULL, l1_index, l2_index, l3_index, l4_index };

    for (int l = 4; l > level; l--) {
        pte_t *e = &t[index[l](va)];
        if (!(*e & _PAGE_PRESENT))
            *e = alloc_pt() | _PAGE_PRESENT | _PAGE_RW;
        else if (*e & _PAGE_PSE)
            panic("map_pages: %#llx is inside a large page", (unsigned long long)va);
        if (user)
            *e |= _PAGE_USER;
        t = pt_virt(pte_addr(*e));
    }
    return &t[index[level](va)];
}

void map_pages(uint64_t va, uint64_t pa, uint64_t size, uint64_t flags)
{
    uint64_t end = va + size;

    while (va < end) {
        /* 2 MiB pages wherever alignment and length allow. */
        if (IS_ALIGNED(va, L2_PAGE_SIZE) && IS_ALIGNED(pa, L2_PAGE_SIZE) && end - va >= L2_PAGE_SIZE) {
            *walk(va, 2, flags & _PAGE_USER) = pa | flags | _PAGE_PSE;
            va += L2_PAGE_SIZE;
            pa += L2_PAGE_SIZE;
        } else {
            *walk(va, 1, flags & _PAGE_USER) = pa | flags;
            va += PAGE_SIZE;
            pa += PAGE_SIZE;
        }
        if (paging_ready)
            invlpg((void *)(va - 1));
    }
}

uint64_t virt_to_phys_walk(uint64_t va)
{
    const pte_t *t = pt_virt(idle_l4_pa);
    static unsigned int (*const index[])(uint64_t) = { NULL, l1_index, l2_index, l3_index, l4_index };

    for (int l = 4; l >= 1; l--) {
        pte_t e = t[index[l](va)];
        if (!(e & _PAGE_PRESENT))
            return ~0ull;
        if (l == 1 || (l <= 3 && (e & _PAGE_PSE))) {
            uint64_t span = 1ull << (12 + 9 * (l - 1));
            return (e & PTE_ADDR_MASK & ~(span - 1)) + (va & (span - 1));
        }
        t = pt_virt(pte_addr(e));
    }
    return ~0ull;
}

void *ioremap(uint64_t pa, size_t size)
{
    uint64_t off = pa & (PAGE_SIZE - 1);
    uint64_t len = ROUNDUP(size + off, PAGE_SIZE);

    if (ioremap_next + len > IOREMAP_VIRT_END)
        panic("ioremap area exhausted mapping %#llx", (unsigned long long)pa);
    uint64_t va = ioremap_next;
    ioremap_next += len;
    map_pages(va, pa - off, len, _PAGE_PRESENT | _PAGE_RW | _PAGE_PCD | _PAGE_PWT | _PAGE_NX | _PAGE_GLOBAL);
    return (void *)(va + off);
}

static void map_image(uint64_t start, uint64_t end, uint64_t flags)
{
    map_pages(start, start - XEN_VIRT_START, end - start, flags | _PAGE_PRESENT | _PAGE_GLOBAL);
}

void paging_init(const struct boot_info *bi)
{
    idle_l4_pa = alloc_pt();

    /* Direct map: every RAM-like region, exactly (never device memory as cacheable). */
    uint64_t mapped = 0;
    for (unsigned int i = 0; i < bi->nr_mmap; i++) {
        const struct mem_region *r = &bi->mmap[i];
        if (r->type != MEM_AVAILABLE && r->type != MEM_ACPI_RECLAIM && r->type != MEM_ACPI_NVS)
            continue;
        uint64_t s = ROUNDDOWN(r->start, PAGE_SIZE), e = ROUNDUP(r->end, PAGE_SIZE);
        if (e > DIRECTMAP_VIRT_END - DIRECTMAP_VIRT_START)
            e = DIRECTMAP_VIRT_END - DIRECTMAP_VIRT_START;
        if (s >= e)
            continue;
        map_pages(DIRECTMAP_VIRT_START + s, s, e - s, _PAGE_PRESENT | _PAGE_RW | _PAGE_NX | _PAGE_GLOBAL);
        mapped += e - s;
    }

    /* The image: code read-only and executable, the rest never executable. */
    map_image((uint64_t)_start, (uint64_t)_etext, 0);
    map_image((uint64_t)_srodata, (uint64_t)_erodata, _PAGE_NX);
    map_image((uint64_t)_sdata, (uint64_t)_end, _PAGE_RW | _PAGE_NX);

    /*
     * Every L4 slot of the hypervisor's range gets its L3 now, so guest L4s
     * can copy the slots once and still see every later hypervisor mapping.
     */
    pte_t *l4 = pt_virt(idle_l4_pa);
    for (unsigned int i = l4_index(RESERVED_VIRT_START); i <= l4_index(RESERVED_VIRT_END - 1); i++)
        if (!(l4[i] & _PAGE_PRESENT))
            l4[i] = alloc_pt() | _PAGE_PRESENT | _PAGE_RW;

    write_cr4(read_cr4() | X86_CR4_PGE);
    write_cr3(idle_l4_pa);
    paging_ready = true;
    printk("paging: direct map of %llu MiB at %p, image %p-%p\n",
           (unsigned long long)(mapped >> 20), (void *)DIRECTMAP_VIRT_START, _start, _end);
}

void init_guest_l4(pte_t *l4)
{
    const pte_t *idle = __va(idle_l4_pa);
    for (unsigned int i = l4_index(RESERVED_VIRT_START); i <= l4_index(RESERVED_VIRT_END - 1); i++)
        l4[i] = idle[i];
}

uint64_t *machine_to_phys;
static uint64_t m2p_entries;

void m2p_init(uint64_t nr_frames)
{
    uint64_t bytes = ROUNDUP(nr_frames * sizeof(uint64_t), PAGE_SIZE);
    unsigned int order = 0;
    while ((PAGE_SIZE << order) < bytes)
        order++;
    pfn_t pfn = alloc_frames(order);
    if (pfn == INVALID_PFN)
        panic("no %llu KiB block for the machine-to-phys table", (unsigned long long)(bytes >> 10));
    machine_to_phys = __va(pfn << PAGE_SHIFT);
    m2p_entries = nr_frames;
    /* Entries of frames no guest owns read as "invalid", as Xen's do. */
    memset(machine_to_phys, 0xff, PAGE_SIZE << order);
    /* Guests read it (never write it) at Xen's address, through slot 256 of every L4. */
    map_pages(MACH2PHYS_VIRT_START, pfn << PAGE_SHIFT, bytes, _PAGE_PRESENT | _PAGE_USER | _PAGE_NX);
}

uint64_t m2p_max_mfn(void)
{
    return m2p_entries - 1;
}

void set_gpfn_from_mfn(uint64_t mfn, uint64_t gpfn)
{
    if (mfn < m2p_entries)
        machine_to_phys[mfn] = gpfn;
}
