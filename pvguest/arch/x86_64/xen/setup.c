/* PV start of day: from start_info to kernel_main(). */
#include <arch.h>
#include <boot.h>
#include <mm.h>
#include <pagetable.h>
#include <lib/x86.h>     /* rdtsc */
#include "xen.h"

struct start_info *xen_start_info;
struct shared_info *xen_shared_info;
const uint64_t *xen_p2m;

static struct boot_params bp;
static char cmdline[MAX_GUEST_CMDLINE];
extern char xen_boot_stack_top[];

static uint64_t pfn_after(uint64_t va_end) { return virt_to_pfn((void *)(va_end + PAGE_SIZE - 1)); }

void xen_start(struct start_info *si);
void xen_start(struct start_info *si)
{
    uint64_t entry_tsc = rdtsc();           /* the boot timeline's last step (bench/run.py's Boot section) */
    xen_start_info = si;
    xen_p2m = (const uint64_t *)si->mfn_list;
    trap_init();
    xen_cpu_ops.load_kernel_stack((uintptr_t)xen_boot_stack_top);
    if (strncmp((const char *)si->magic, "xen-3.0-x86_64", 14))
        panic("xen: start_info magic is \"%.32s\", not xen-3.0-x86_64", (const char *)si->magic);
    kernel_root_pfn = virt_to_pfn((void *)si->pt_base);

    /* The builder maps pfn i at DIRECT_MAP_BASE + i pages from 0 up: find where that stops. */
    uint64_t nr = MIN(si->nr_pages, DIRECT_MAP_PFNS), mapped = 0;
    while (mapped < nr) {
        pte_t *p = pt_walk(kernel_root_pfn, (uint64_t)pfn_to_virt(mapped), 1, false);
        if (!p || !pte_present(*p) || pv_pte_pfn(*p) != mapped)
            break;
        mapped++;
    }
    xen_mapped_pfns = mapped;
    /* In use: the image, start_info, the P2M, the boot page tables and the builder's stack page after them. */
    uint64_t used = pfn_after((uint64_t)_end);
    used = MAX(used, pfn_after((uint64_t)si + sizeof(*si)));
    used = MAX(used, pfn_after(si->mfn_list + si->nr_pages * sizeof(uint64_t)));
    used = MAX(used, virt_to_pfn((void *)si->pt_base) + si->nr_pt_frames + 1);
    if (used >= mapped)
        panic("xen: no free frame in the initial mapping (used up to %#llx, mapped up to %#llx)",
              (unsigned long long)used, (unsigned long long)mapped);
    bp.free[bp.nr_free++] = (struct boot_range){ used, mapped };
    bp.max_pfn = nr;
    str_copy(cmdline, (const char *)si->cmd_line, sizeof(cmdline));
    bp.cmdline = cmdline;
    printk("pvguest: xen: %s, %llu pages (%llu mapped at start), %s\n", (const char *)si->magic,
           (unsigned long long)si->nr_pages, (unsigned long long)mapped,
           si->flags & SIF_INITDOMAIN ? "dom0" : "domU");
    printk("pvguest: xen: started at TSC %llu (counted from the machine's reset)\n", (unsigned long long)entry_tsc);
    kernel_main(&bp);
}
