/* From the firmware memory map to a working frame allocator and page tables. */
#include <hv/cmdline.h>
#include <hv/memmap.h>
#include <hv/memory.h>
#include <hv/page_alloc.h>
#include <hv/printk.h>
#include <hv/arch.h>

extern char _start[], _end[];

static uint64_t opt_mem_limit;          /* mem=: ignore RAM above this address */
boot_param_size("mem", opt_mem_limit);

static struct range usable[MEMMAP_MAX_RANGES];
static const struct boot_info *boot_map;

bool mfn_is_ram(uint64_t mfn)
{
    uint64_t pa = mfn << PAGE_SHIFT;
    for (unsigned int i = 0; i < boot_map->nr_mmap; i++) {
        const struct mem_region *r = &boot_map->mmap[i];
        bool ramlike = r->type == MEM_AVAILABLE || r->type == MEM_ACPI_RECLAIM || r->type == MEM_ACPI_NVS;
        if (ramlike && pa + PAGE_SIZE > r->start && pa < r->end)
            return true;
    }
    return false;
}

int memory_machine_map(struct mem_region *out, unsigned int max, unsigned int *nr_firmware)
{
    struct range hidden[MAX_HYPERVISOR_MMIO];
    unsigned int nh = arch_hypervisor_mmio(hidden, MAX_HYPERVISOR_MMIO);
    return memmap_machine(boot_map->mmap, boot_map->nr_mmap, hidden, nh, out, max, nr_firmware);
}

static void add_ranges(const struct range *r, int n, uint64_t lo, uint64_t hi)
{
    for (int i = 0; i < n; i++) {
        uint64_t s = MAX(r[i].start, lo), e = MIN(r[i].end, hi);
        if (s < e)
            page_alloc_add_range(s >> PAGE_SHIFT, e >> PAGE_SHIFT);
    }
}

void memory_init(const struct boot_info *bi, uint64_t mbi_pa)
{
    struct range reserved[BOOT_MAX_MODULES + 4];
    unsigned int nres = 0;

    boot_map = bi;

    /* Low memory holds BIOS data and will hold real-mode trampolines. */
    reserved[nres++] = (struct range){ 0, MiB(1) };
    reserved[nres++] = (struct range){ __pa(_start), __pa(_end) };
    reserved[nres++] = (struct range){ mbi_pa, mbi_pa + bi->mbi_size };
    for (unsigned int i = 0; i < bi->nr_mods; i++) {
        const struct boot_module *m = &bi->mods[i];
        if (m->end > m->start && !memmap_is_ram(bi->mmap, bi->nr_mmap, m->start, m->end))
            panic("module %u (%#llx-%#llx) lies outside RAM", i, (unsigned long long)m->start,
                  (unsigned long long)m->end);
        reserved[nres++] = (struct range){ m->start, m->end };
    }

    uint64_t limit = opt_mem_limit ? opt_mem_limit : ~0ull;
    int n = memmap_usable(bi->mmap, bi->nr_mmap, limit, reserved, nres, usable, MEMMAP_MAX_RANGES);
    if (n < 0)
        panic("memory map too fragmented (more than %u usable ranges)", MEMMAP_MAX_RANGES);

    uint64_t total = 0;
    for (int i = 0; i < n; i++)
        total += usable[i].end - usable[i].start;
    if (total < MIN_USABLE_MEMORY)
        panic("too little memory: %llu KiB usable%s, need at least %llu MiB",
              (unsigned long long)(total >> 10), opt_mem_limit ? " below the mem= limit" : "",
              (unsigned long long)(MIN_USABLE_MEMORY >> 20));

    /* The frame table covers every frame up to the top of usable RAM. */
    pfn_t max_pfn = usable[n - 1].end >> PAGE_SHIFT;
    uint64_t table_bytes = ROUNDUP(max_pfn * sizeof(struct page_info), PAGE_SIZE);
    uint64_t table_pa = 0;
    for (int i = 0; i < n && !table_pa; i++) {
        if (usable[i].end <= GiB(4) && usable[i].end - usable[i].start >= table_bytes) {
            table_pa = usable[i].start;
            usable[i].start += table_bytes;
        }
    }
    if (!table_pa)
        panic("no room below 4 GiB for the %llu KiB frame table", (unsigned long long)(table_bytes >> 10));

    /* Until paging_init the table and new page tables are reached by identity map. */
    page_alloc_init((struct page_info *)table_pa, max_pfn);
    add_ranges(usable, n, 0, GiB(4));
    paging_init(bi);
    page_alloc_move_table(__va(table_pa));
    add_ranges(usable, n, GiB(4), ~0ull);
    m2p_init(max_pfn);

    printk("memory: %llu MiB usable in %d range(s), %llu frames free, frame table %llu KiB at %#llx\n",
           (unsigned long long)(total >> 20), n, (unsigned long long)page_alloc_free_count(),
           (unsigned long long)(table_bytes >> 10), (unsigned long long)table_pa);
}
