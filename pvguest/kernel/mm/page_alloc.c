/*
 * The physical page allocator: one bit per frame (set = free), next-fit for
 * single frames and an aligned scan for blocks. Interrupts off is the lock.
 * Invariant: nr_free == number of set bits; a frame is handed out at most once.
 */
#include <mm.h>
#include <spinlock.h>

static spinlock_t page_lock = SPINLOCK_INIT;   /* every list and count in this file */

#define MAX_PFNS    (DIRECT_MAP_PFNS)
#define WORD_BITS   64u

static uint64_t free_map[MAX_PFNS / WORD_BITS];
static uint64_t max_pfn, nr_free, nr_total, hint;

static bool test_free(uint64_t pfn) { return free_map[pfn / WORD_BITS] & (1ull << (pfn % WORD_BITS)); }
static void set_free(uint64_t pfn) { free_map[pfn / WORD_BITS] |= 1ull << (pfn % WORD_BITS); }
static void set_used(uint64_t pfn) { free_map[pfn / WORD_BITS] &= ~(1ull << (pfn % WORD_BITS)); }

void page_alloc_init(uint64_t frames)
{
    if (frames > MAX_PFNS) {
        warn("page_alloc: %llu frames, only the first %llu are used (direct map size)",
             (unsigned long long)frames, (unsigned long long)MAX_PFNS);
        frames = MAX_PFNS;
    }
    max_pfn = frames;
}

void page_alloc_add_range(uint64_t start, uint64_t end)
{
    unsigned long f = spin_lock_irqsave(&page_lock);
    end = MIN(end, max_pfn);
    for (uint64_t pfn = start; pfn < end; pfn++) {
        BUG_ON(test_free(pfn));
        set_free(pfn);
        nr_free++;
        nr_total++;
    }
    spin_unlock_irqrestore(&page_lock, f);
}

/* First free frame at or after from, or PFN_NONE; skips whole empty words. */
static uint64_t find_free(uint64_t from)
{
    for (uint64_t pfn = from; pfn < max_pfn;) {
        uint64_t word = free_map[pfn / WORD_BITS] >> (pfn % WORD_BITS);
        if (word)
            return pfn + (uint64_t)__builtin_ctzll(word);
        pfn = ALIGN_DOWN(pfn, WORD_BITS) + WORD_BITS;
    }
    return PFN_NONE;
}

static uint64_t alloc_one(void)
{
    uint64_t pfn = find_free(hint);
    if (pfn == PFN_NONE)
        pfn = find_free(0);
    return pfn;
}

static uint64_t alloc_block(unsigned int order)
{
    uint64_t n = 1ull << order;
    for (uint64_t base = 0; base + n <= max_pfn; base += n) {
        uint64_t i = 0;
        while (i < n && test_free(base + i))
            i++;
        if (i == n)
            return base;
    }
    return PFN_NONE;
}

uint64_t alloc_pfns(unsigned int order, const char *who)
{
    unsigned long f = spin_lock_irqsave(&page_lock);
    uint64_t n = 1ull << order;
    uint64_t pfn = order == 0 ? alloc_one() : alloc_block(order);
    if (pfn != PFN_NONE) {
        for (uint64_t i = 0; i < n; i++)
            set_used(pfn + i);
        nr_free -= n;
        if (order == 0)
            hint = pfn + 1;
    }
    uint64_t left = nr_free;
    spin_unlock_irqrestore(&page_lock, f);
    if (pfn == PFN_NONE)
        printk("pvguest: page_alloc: out of memory: %llu page(s) (order %u) for %s; %llu of %llu pages free\n",
               (unsigned long long)n, order, who, (unsigned long long)left, (unsigned long long)nr_total);
    return pfn;
}

void free_pfns(uint64_t pfn, unsigned int order)
{
    uint64_t n = 1ull << order;
    unsigned long f = spin_lock_irqsave(&page_lock);
    for (uint64_t i = 0; i < n; i++) {
        if (pfn + i >= max_pfn || test_free(pfn + i))
            panic("page_alloc: freeing frame %#llx, which is not allocated (double free or a stray pointer)",
                  (unsigned long long)(pfn + i));
        set_free(pfn + i);
    }
    nr_free += n;
    spin_unlock_irqrestore(&page_lock, f);
}

void *alloc_pages_(unsigned int order, const char *who)
{
    uint64_t pfn = alloc_pfns(order, who);
    return pfn == PFN_NONE ? NULL : pfn_to_virt(pfn);
}

void free_pages(void *va, unsigned int order) { free_pfns(virt_to_pfn(va), order); }

uint64_t page_free_count(void) { return READ_ONCE(nr_free); }
uint64_t page_total_count(void) { return nr_total; }
bool pfn_is_allocated(uint64_t pfn) { return pfn < max_pfn && !test_free(pfn); }
