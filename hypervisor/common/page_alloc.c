/* Buddy allocator over the machine frame table; pure logic, host-tested. */
#include <hv/page_alloc.h>
#include <hv/spinlock.h>
#include <hv/tlbclock.h>

#define NIL 0xffffffffu

struct page_info *frame_table;
pfn_t frame_table_nr;
static uint32_t free_head[MAX_ORDER + 1];
static uint64_t nr_free, nr_total;

static void list_add(pfn_t pfn, unsigned int order)
{
    struct page_info *pg = &frame_table[pfn];
    pg->state = PGS_FREE;
    pg->order = (uint8_t)order;
    pg->prev = NIL;
    pg->next = free_head[order];
    if (pg->next != NIL)
        frame_table[pg->next].prev = (uint32_t)pfn;
    free_head[order] = (uint32_t)pfn;
}

static void list_del(pfn_t pfn, unsigned int order)
{
    struct page_info *pg = &frame_table[pfn];
    if (pg->prev != NIL)
        frame_table[pg->prev].next = pg->next;
    else
        free_head[order] = pg->next;
    if (pg->next != NIL)
        frame_table[pg->next].prev = pg->prev;
}

static void mark_range(pfn_t pfn, pfn_t count, uint8_t state)
{
    for (pfn_t i = 0; i < count; i++)
        frame_table[pfn + i].state = state;
}

void page_alloc_init(struct page_info *table, pfn_t n)
{
    frame_table = table;
    frame_table_nr = n;
    nr_free = nr_total = 0;
    memset(table, 0, n * sizeof(*table));
    for (unsigned int o = 0; o <= MAX_ORDER; o++)
        free_head[o] = NIL;
}

void page_alloc_move_table(struct page_info *table)
{
    frame_table = table;
}

/* Frees a block, merging with its buddy as long as the buddy is free and whole. */
static void free_block(pfn_t pfn, unsigned int order)
{
    mark_range(pfn, (pfn_t)1 << order, PGS_FREE_TAIL);
    nr_free += (uint64_t)1 << order;
    while (order < MAX_ORDER) {
        pfn_t buddy = pfn ^ ((pfn_t)1 << order);
        if (buddy >= frame_table_nr || frame_table[buddy].state != PGS_FREE || frame_table[buddy].order != order)
            break;
        list_del(buddy, order);
        frame_table[buddy].state = PGS_FREE_TAIL;
        pfn &= ~((pfn_t)1 << order);
        order++;
    }
    list_add(pfn, order);
}

void page_alloc_add_range(pfn_t start, pfn_t end)
{
    if (end > frame_table_nr || start > end)
        page_alloc_bug("range beyond the frame table", end);
    for (pfn_t p = start; p < end; p++)
        if (frame_table[p].state != PGS_RESERVED)
            page_alloc_bug("frame given to the allocator twice", p);
    nr_total += end - start;
    /* Largest naturally aligned blocks that fit, so the buddy tree starts merged. */
    while (start < end) {
        unsigned int order = 0;
        while (order < MAX_ORDER && !(start & (((pfn_t)1 << (order + 1)) - 1)) &&
               start + ((pfn_t)1 << (order + 1)) <= end)
            order++;
        free_block(start, order);
        start += (pfn_t)1 << order;
    }
}

/* The free lists and counts, from any CPU (lock order: near the bottom, hv/spinlock.h). */
static DEFINE_SPINLOCK(heap_lock);

static uint64_t heap_lock_irqsave(void)
{
    uint64_t flags = arch_irq_save();
    spin_lock(&heap_lock);
    return flags;
}

static void heap_unlock_irqrestore(uint64_t flags)
{
    spin_unlock(&heap_lock);
    arch_irq_restore(flags);
}

static pfn_t alloc_frames_locked(unsigned int order)
{
    if (order > MAX_ORDER)
        return INVALID_PFN;
    unsigned int o = order;
    while (o <= MAX_ORDER && free_head[o] == NIL)
        o++;
    if (o > MAX_ORDER)
        return INVALID_PFN;

    pfn_t pfn = free_head[o];
    list_del(pfn, o);
    /* Split: the upper halves go back on the smaller lists. */
    while (o > order) {
        o--;
        list_add(pfn + ((pfn_t)1 << o), o);
    }
    mark_range(pfn, (pfn_t)1 << order, PGS_ALLOCATED_TAIL);
    frame_table[pfn].state = PGS_ALLOCATED;
    frame_table[pfn].order = (uint8_t)order;
    frame_table[pfn].owner = PAGE_OWNER_HYPERVISOR;
    frame_table[pfn].type_info = PGT_none;
    frame_table[pfn].last_type = PGT_none;
    frame_table[pfn].count = 0;
    frame_table[pfn].flags = 0;
    nr_free -= (uint64_t)1 << order;
    return pfn;
}

pfn_t alloc_frames(unsigned int order)
{
    uint64_t flags = heap_lock_irqsave();
    pfn_t pfn = alloc_frames_locked(order);
    heap_unlock_irqrestore(flags);
    return pfn;
}

void page_alloc_split(pfn_t pfn, unsigned int order)
{
    if (pfn >= frame_table_nr || frame_table[pfn].state != PGS_ALLOCATED || frame_table[pfn].order != order)
        page_alloc_bug("split of a block that is not allocated with this order", pfn);
    for (pfn_t p = pfn; p < pfn + ((pfn_t)1 << order); p++) {
        frame_table[p].state = PGS_ALLOCATED;
        frame_table[p].order = 0;
        frame_table[p].owner = frame_table[pfn].owner;
        frame_table[p].type_info = PGT_none;
        frame_table[p].last_type = PGT_none;
        frame_table[p].count = 0;
        frame_table[p].flags = 0;
    }
}

void free_frames(pfn_t pfn, unsigned int order)
{
    if (pfn >= frame_table_nr || order > MAX_ORDER || (pfn & (((pfn_t)1 << order) - 1)) ||
        frame_table_nr - pfn < ((pfn_t)1 << order))
        page_alloc_bug("free of a bad frame number", pfn);
    /*
     * A CPU may still cache a translation a guest entry had of the block
     * (removed without a flush: hv/tlbclock.h). It is flushed before the
     * block can be handed out again, so a free frame is reachable by no one.
     * The frames are the caller's until free_block: nothing stamps them now.
     */
    uint64_t stamp = 0;
    for (pfn_t p = pfn; p < pfn + ((pfn_t)1 << order); p++)
        stamp = MAX(stamp, frame_table[p].tlbflush_stamp);
    if (stamp)
        tlbclock_flush_stale(stamp);
    uint64_t flags = heap_lock_irqsave();
    if (frame_table[pfn].state != PGS_ALLOCATED || frame_table[pfn].order != order) {
        heap_unlock_irqrestore(flags);
        page_alloc_bug("free of a block that is not allocated with this order", pfn);
    }
    free_block(pfn, order);
    heap_unlock_irqrestore(flags);
}

uint64_t page_alloc_free_count(void) { return nr_free; }
uint64_t page_alloc_total_count(void) { return nr_total; }
