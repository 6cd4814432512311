/*
 * The PV start-of-day virtual layout, as Xen's builder lays it out. Pure: the
 * hypervisor's boot-time builder and dom0's toolstack builder compile it.
 */
#include <lib/format.h>
#include <lib/pv_layout.h>
#include <lib/string.h>

#define PG 4096ull
#define PVL_ROUNDUP(x, a) (((x) + (a) - 1) & ~((a) - 1))
#define PVL_MiB(x) ((uint64_t)(x) << 20)
#define PVL_KiB(x) ((uint64_t)(x) << 10)

static uint64_t blocks(uint64_t start, uint64_t end, unsigned int shift)
{
    return ((end - 1) >> shift) - (start >> shift) + 1;
}

uint64_t pv_pt_pages_needed(uint64_t start, uint64_t end)
{
    return 1 + blocks(start, end, 39) + blocks(start, end, 30) + blocks(start, end, 21);
}

int pv_layout_compute(uint64_t v_start, uint64_t kstart, uint64_t kend, uint64_t initrd_len,
                      uint64_t nr_pages, uint64_t si_size, bool p2m_elsewhere, struct pv_layout *l, char *err,
                      size_t errlen)
{
    memset(l, 0, sizeof(*l));
    if (kstart < v_start || kend < kstart || v_start & (PG - 1)) {
        snprintf(err, errlen, "layout: kernel %#llx-%#llx does not start at or above %#llx",
                 (unsigned long long)kstart, (unsigned long long)kend, (unsigned long long)v_start);
        return -1;
    }
    /* Every piece is bounded by nr_pages pages, so sums stay far from wrapping 64 bits... */
    if (nr_pages > (1ull << 36) || initrd_len > (1ull << 48) || si_size > 4 * PG) {
        snprintf(err, errlen, "layout: sizes out of range");
        return -1;
    }
    l->v_start = v_start;
    l->kern_start = kstart;
    l->kern_end = kend;
    l->initrd_start = PVL_ROUNDUP(kend, PG);
    l->initrd_end = l->initrd_start + initrd_len;
    l->p2m_start = PVL_ROUNDUP(l->initrd_end, PG);
    l->p2m_end = l->p2m_start + (p2m_elsewhere ? 0 : nr_pages * 8);
    l->si_start = PVL_ROUNDUP(l->p2m_end, PG);
    l->si_end = l->si_start + si_size;
    l->pt_start = PVL_ROUNDUP(l->si_end, PG);

    /* ...but not from leaving the canonical half the kernel started in. */
    for (uint64_t n = 2;; n++) {
        l->pt_end = l->pt_start + n * PG;
        l->stack_start = l->pt_end;
        l->stack_end = l->stack_start + PG;
        l->v_end = PVL_ROUNDUP(l->stack_end, PVL_MiB(4));
        if (l->v_end - l->stack_end < PVL_KiB(512))
            l->v_end += PVL_MiB(4);
        if (l->v_end < v_start || l->v_end - 1 < v_start) {
            snprintf(err, errlen, "layout: the initial mapping wraps the address space");
            return -1;
        }
        if (pv_pt_pages_needed(v_start, l->v_end) <= n) {
            l->nr_pt_frames = n;
            break;
        }
    }
    uint64_t need = (l->v_end - v_start) / PG;
    if (need > nr_pages) {
        snprintf(err, errlen, "layout: the initial mapping needs %llu pages (%llu KiB) but the domain has %llu",
                 (unsigned long long)need, (unsigned long long)(need * 4), (unsigned long long)nr_pages);
        return -1;
    }
    return 0;
}
