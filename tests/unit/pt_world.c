/* The host world of pv/pagetable.c and its recount oracle (see pt_world.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pt_world.h"

struct page_info *ftable;
uint8_t *ram;
struct domain domains[MAX_DOMAINS];
pfn_t hv_mfn;

unsigned int l4_init_calls;
const pte_t *l4_init_last;
uint64_t unref[64];
unsigned int nr_unref;
unsigned int iomem_calls;
void (*iomem_hook)(uint64_t mfn);
unsigned int preempt_every, preempt_calls;
unsigned int tlb_flushes;

/* ---- the environment pagetable.c calls ------------------------------------ */

void *pv_frame_ptr(uint64_t mfn)
{
    if (mfn >= NFRAMES)
        pt_world_fail("pv_frame_ptr(%#llx): not a frame of the fake RAM", (unsigned long long)mfn);
    return ram + mfn * PAGE_SIZE;
}

/* mfns from IO_MFN are I/O memory: dom0 may map them, others not; the rest is RAM. */
int pv_iomem_check(struct domain *d, uint64_t mfn)
{
    iomem_calls++;
    if (iomem_hook)
        iomem_hook(mfn);
    if (mfn < IO_MFN)
        return -XEN_EINVAL;
    return domain_has_rights(d, DOMAIN_RIGHT_IOMEM) ? 0 : -XEN_EPERM;
}

/* Only a domain with the I/O-memory right drives devices in the fake world (nothing is granted). */
bool pv_cache_control_permitted(struct domain *d)
{
    return domain_has_rights(d, DOMAIN_RIGHT_IOMEM);
}

unsigned int pv_phys_addr_bits(void)
{
    return PHYS_BITS;
}

bool hypercall_preempt_check(void)
{
    return preempt_every && ++preempt_calls % preempt_every == 0;
}

pte_t l4_marker(unsigned int i)
{
    return ((pte_t)hv_mfn << PAGE_SHIFT) | _PAGE_PRESENT | _PAGE_RW | ((pte_t)i << 52);
}

void pv_init_l4_slots(pte_t *l4)
{
    l4_init_calls++;
    l4_init_last = l4;
    for (unsigned int i = 256; i < 272; i++)
        l4[i] = l4_marker(i);
}

void unlink_page(struct domain *d, pfn_t pfn)
{
    struct page_info *pg = pfn_to_page(pfn);
    if (pg->prev == NO_PAGE)
        d->page_list = pg->next == NO_PAGE ? INVALID_PFN : pg->next;
    else
        pfn_to_page(pg->prev)->next = pg->next;
    if (pg->next != NO_PAGE)
        pfn_to_page(pg->next)->prev = pg->prev;
    d->tot_pages--;
}

/* As mm.c: an orphan is freed, a released frame leaves its domain and is freed. */
void pv_page_unreferenced(uint64_t mfn)
{
    struct page_info *pg = pfn_to_page(mfn);
    if (!pg || pg->count != 0 || pg->type_info != PGT_none)
        pt_world_fail("pv_page_unreferenced(%#llx): count %u type_info %#x", (unsigned long long)mfn,
                      pg ? pg->count : 0, pg ? pg->type_info : 0);
    if (nr_unref < sizeof(unref) / sizeof(unref[0]))
        unref[nr_unref] = mfn;
    nr_unref++;
    if (pg->owner != PAGE_OWNER_ORPHAN)
        unlink_page(&domains[pg->owner], mfn);
    pg->owner = PAGE_OWNER_HYPERVISOR;
    free_frame(mfn);
}

/* One CPU (0), which flushes at once when the filter names it. */
void tlbclock_flush_stale(uint64_t stamp)
{
    if (!tlbclock_filter(cpumask_of(0), stamp))
        return;
    tlb_flushes++;
    tlbclock_flushed(0, tlbclock_tick());
}

/* ---- building the world ------------------------------------------------------ */

void adopt(struct domain *d, pfn_t pfn)
{
    struct page_info *pg = pfn_to_page(pfn);
    pg->owner = d->id;
    pg->prev = NO_PAGE;
    pg->next = d->page_list == INVALID_PFN ? NO_PAGE : (uint32_t)d->page_list;
    if (d->page_list != INVALID_PFN)
        pfn_to_page(d->page_list)->prev = (uint32_t)pfn;
    d->page_list = pfn;
    d->tot_pages++;
}

void world_init(void)
{
    /* Kept from one world to the next (a fuzz target makes thousands): frame_of zeroes what it hands out. */
    if (!ram) {
        ram = aligned_alloc(PAGE_SIZE, NFRAMES * PAGE_SIZE);
        if (ram)
            memset(ram, 0, NFRAMES * PAGE_SIZE);
    }
    if (!ftable)
        ftable = malloc(NFRAMES * sizeof(*ftable));
    if (!ftable || !ram)
        pt_world_fail("no memory for the fake RAM");
    memset(ftable, 0, NFRAMES * sizeof(*ftable));
    page_alloc_init(ftable, NFRAMES);
    page_alloc_add_range(1, NFRAMES);           /* frame 0 stays reserved */
    memset(domains, 0, sizeof(domains));
    for (unsigned int i = 0; i < 2; i++) {
        domains[i].id = (domid_t)i;
        domains[i].state = DOMAIN_RUNNING;
        domains[i].page_list = INVALID_PFN;
        domains[i].max_pages = NFRAMES;
    }
    domains[0].rights = DOMAIN_RIGHTS_ALL;
    hv_mfn = alloc_frame();
    l4_init_calls = 0;
    l4_init_last = NULL;
    nr_unref = 0;
    tlb_flushes = 0;
    tlbclock_flushed(0, tlbclock_tick());       /* CPU 0 holds no translation yet */
    iomem_calls = 0;
    iomem_hook = NULL;
    preempt_every = preempt_calls = 0;
}

void world_fini(void)
{
    free(ftable);
    free(ram);
    ftable = NULL;
    ram = NULL;
}

pfn_t frame_of(struct domain *d)
{
    pfn_t p = alloc_frame();
    if (p == INVALID_PFN)
        pt_world_fail("no free frame for domain %u", d->id);
    adopt(d, p);
    memset(pv_frame_ptr(p), 0, PAGE_SIZE);
    return p;
}

pfn_t some_free_frame(void)
{
    for (pfn_t p = 0; p < NFRAMES; p++)
        if (ftable[p].state == PGS_FREE)
            return p;
    pt_world_fail("no free frame left");
}

bool validated(pfn_t p)
{
    return p < NFRAMES && page_is_pagetable(&ftable[p]) && page_type_count(&ftable[p]) > 0;
}

/* ---- the oracle ------------------------------------------------------------------ */

static char why[256];

#define WRONG(...)                                                                       \
    do {                                                                                 \
        snprintf(why, sizeof(why), __VA_ARGS__);                                         \
        return why;                                                                      \
    } while (0)

static bool domain_frame_owner(uint16_t owner)
{
    return owner < 2 || owner == PAGE_OWNER_ORPHAN;
}

/* Counts the references entries [0, upto) of table p (level `level`) hold and checks their rules. */
static const char *count_entries(pfn_t p, unsigned int level, unsigned int upto, uint32_t *cnt, uint32_t *typed,
                                 uint32_t *wr)
{
    const pte_t *t = tab(p);
    uint16_t owner = ftable[p].owner;
    for (unsigned int i = 0; i < upto; i++) {
        if (level == 4 && l4_slot_is_hypervisor(i))
            continue;
        pte_t e = t[i];
        if (!(e & _PAGE_PRESENT))
            continue;
        if (!(e & _PAGE_USER) || (e & _PAGE_GLOBAL))
            WRONG("L%u %#llx[%u] = %#llx: user off or global on", level, (unsigned long long)p, i,
                  (unsigned long long)e);
        uint64_t q = pte_addr(e) >> PAGE_SHIFT;
        if (level == 1 && (e & _PAGE_GNTTAB))
            continue;                   /* a grant entry: the grant holds its references (holds) */
        if (level == 1) {
            if (q >= NFRAMES) {
                if (q < IO_MFN || owner >= 2 || !domain_has_rights(&domains[owner], DOMAIN_RIGHT_IOMEM))
                    WRONG("L1 %#llx[%u] maps %#llx", (unsigned long long)p, i, (unsigned long long)q);
                continue;
            }
            if (ftable[q].state != PGS_ALLOCATED || !domain_frame_owner(ftable[q].owner))
                WRONG("L1 %#llx[%u] maps %#llx, a frame no domain owns", (unsigned long long)p, i,
                      (unsigned long long)q);
            cnt[q]++;
            if (e & _PAGE_RW) {
                wr[q]++;
                if (page_type(&ftable[q]) != PGT_writable)
                    WRONG("L1 %#llx[%u] maps %#llx RW, type %u", (unsigned long long)p, i, (unsigned long long)q,
                          page_type(&ftable[q]));
            }
        } else {
            if (e & _PAGE_PSE)
                WRONG("L%u %#llx[%u]: PSE", level, (unsigned long long)p, i);
            if (q >= NFRAMES || ftable[q].owner != owner || page_type(&ftable[q]) != PGT_l1 + level - 2)
                WRONG("L%u %#llx[%u] links %#llx, not an L%u of the domain", level, (unsigned long long)p, i,
                      (unsigned long long)q, level - 1);
            cnt[q]++;
            typed[q]++;
        }
    }
    return NULL;
}

/* Each domain's page list holds exactly its frames, linked both ways, tot_pages of them. */
static const char *check_page_lists(void)
{
    for (unsigned int d = 0; d < 2; d++) {
        uint64_t n = 0, owned = 0;
        uint32_t prev = NO_PAGE;
        for (pfn_t p = domains[d].page_list; p != INVALID_PFN; n++) {
            if (p >= NFRAMES || n >= NFRAMES)
                WRONG("domain %u: page list runs to %#llx", d, (unsigned long long)p);
            const struct page_info *pg = &ftable[p];
            if (pg->state != PGS_ALLOCATED || pg->owner != d || pg->prev != prev)
                WRONG("domain %u: frame %#llx on its list: state %u owner %#x prev %#x", d, (unsigned long long)p,
                      pg->state, pg->owner, pg->prev);
            prev = (uint32_t)p;
            p = pg->next == NO_PAGE ? INVALID_PFN : pg->next;
        }
        for (pfn_t p = 0; p < NFRAMES; p++)
            owned += ftable[p].state == PGS_ALLOCATED && ftable[p].owner == d;
        if (n != domains[d].tot_pages || n != owned)
            WRONG("domain %u: %llu frames listed, tot_pages %llu, %llu owned", d, (unsigned long long)n,
                  (unsigned long long)domains[d].tot_pages, (unsigned long long)owned);
    }
    return NULL;
}

const char *pt_recount(const struct hold *holds, size_t nholds)
{
    static uint32_t cnt[NFRAMES], typed[NFRAMES], wr[NFRAMES];
    memset(cnt, 0, sizeof(cnt));
    memset(typed, 0, sizeof(typed));
    memset(wr, 0, sizeof(wr));
    const char *bad;
    for (pfn_t p = 0; p < NFRAMES; p++) {
        const struct page_info *pg = &ftable[p];
        if (pg->type_info & PGT_validating)
            WRONG("frame %#llx left validating", (unsigned long long)p);
        if (pg->type_info & PGT_partial) {
            /* a preempted validation holds the references of the entries it did */
            if (!page_is_pagetable(pg) || page_type_count(pg) || pg->partial > PT_ENTRIES)
                WRONG("frame %#llx: partial with type_info %#x, %u entries", (unsigned long long)p, pg->type_info,
                      pg->partial);
            if ((bad = count_entries(p, page_type(pg), pg->partial, cnt, typed, wr)))
                return bad;
            continue;
        }
        if (!validated(p))
            continue;
        unsigned int level = page_type(pg);
        if (level == 4)
            for (unsigned int i = 256; i < 272; i++)
                if (tab(p)[i] != l4_marker(i))
                    WRONG("L4 %#llx slot %u changed", (unsigned long long)p, i);
        if ((bad = count_entries(p, level, PT_ENTRIES, cnt, typed, wr)))
            return bad;
    }
    for (size_t h = 0; h < nholds; h++) {
        cnt[holds[h].mfn]++;
        if (holds[h].typed)
            typed[holds[h].mfn]++;
    }
    for (pfn_t p = 0; p < NFRAMES; p++) {
        const struct page_info *pg = &ftable[p];
        uint32_t tc = typed[p] + wr[p];
        if (pg->count != cnt[p] || page_type_count(pg) != tc)
            WRONG("frame %#llx: count %u typed %u (type %u), recount %u typed %u (%u writable mappings)",
                  (unsigned long long)p, pg->count, page_type_count(pg), page_type(pg), cnt[p], tc, wr[p]);
        if (tc == 0 && pg->type_info != PGT_none && !(pg->type_info & PGT_partial))
            WRONG("frame %#llx: type_info %#x with no typed reference", (unsigned long long)p, pg->type_info);
        if (pg->state == PGS_ALLOCATED && pg->count == 0 &&
            (pg->owner == PAGE_OWNER_ORPHAN || (pg->flags & PGF_released)))
            WRONG("frame %#llx: given back (owner %#x flags %#x) and unreferenced, yet not freed",
                  (unsigned long long)p, pg->owner, pg->flags);
    }
    return check_page_lists();
}

const char *pt_update_violation(int rc, bool was_table, pte_t old, pte_t now, pte_t e, bool flush)
{
    if (rc && now != old)
        WRONG("refused update (%d) changed the entry %#llx to %#llx", rc, (unsigned long long)old,
              (unsigned long long)now);
    if (!rc && !was_table && now != e)
        WRONG("plain write stored %#llx, not %#llx", (unsigned long long)now, (unsigned long long)e);
    if (!rc && was_table && (old & _PAGE_PRESENT) &&
        (!(now & _PAGE_PRESENT) || pte_addr(now) != pte_addr(old) || ((old & _PAGE_RW) && !(now & _PAGE_RW))) &&
        !flush)
        WRONG("mapping %#llx removed or narrowed to %#llx without a flush", (unsigned long long)old,
              (unsigned long long)now);
    if (!(old & _PAGE_PRESENT) && flush)
        WRONG("flush with nothing removed (old %#llx)", (unsigned long long)old);
    return NULL;
}
#undef WRONG
