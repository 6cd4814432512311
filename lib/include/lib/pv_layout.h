/* Where a PV domain's start-of-day pieces go in its virtual address space (Xen's order). */
#ifndef LIB_PV_LAYOUT_H
#define LIB_PV_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * From v_start, each piece page-aligned after the previous one: kernel,
 * initrd, P2M list (8 bytes a page), start_info (for a domU followed by its
 * xenstore and console ring pages), bootstrap page tables,
 * one stack page; v_end rounds up to 4 MiB with at least 512 KiB spare.
 * [v_start, v_end) is mapped to PFNs 0.. in order.
 */
struct pv_layout {
    uint64_t v_start;
    uint64_t kern_start, kern_end;
    uint64_t initrd_start, initrd_end;
    uint64_t p2m_start, p2m_end;
    uint64_t si_start, si_end;          /* start_info and the ring pages after it (si_size bytes, at most 4 pages) */
    uint64_t pt_start, pt_end;          /* nr_pt_frames pages, L4 first */
    uint64_t stack_start, stack_end;
    uint64_t v_end;
    uint64_t nr_pt_frames;
};

/*
 * Computes the layout for a kernel at [kstart, kend) whose image base is
 * v_start, with an initrd of initrd_len bytes, for a domain of nr_pages.
 * p2m_elsewhere (the kernel's INIT_P2M note): the P2M list is mapped at an
 * address of its own, so it takes no room here (p2m_end == p2m_start), as in
 * Xen. Returns 0, or -1 with err set when the mapping would need more pages
 * than the domain has or wraps the address space.
 */
int pv_layout_compute(uint64_t v_start, uint64_t kstart, uint64_t kend, uint64_t initrd_len,
                      uint64_t nr_pages, uint64_t si_size, bool p2m_elsewhere, struct pv_layout *l, char *err,
                      size_t errlen);

/* Page-table pages (L4 down to L1) needed to map [start, end) with 4 KiB pages. */
uint64_t pv_pt_pages_needed(uint64_t start, uint64_t end);

#endif
