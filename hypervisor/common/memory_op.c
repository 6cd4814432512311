/*
 * memory_op: a domain's reservation of machine frames grows and shrinks
 * (increase/decrease_reservation, populate_physmap) or trades frames for
 * others (exchange: memory_exchange.c), and it learns about
 * memory (maximum_ram_page, current/maximum_reservation, memory_map,
 * machphys_mapping). Long lists continue later: the start extent rides in
 * bits 63:6 of the command, as in Xen.
 */
#include <hv/continuation.h>
#include <hv/hypercall.h>
#include <hv/arch.h>
#include <hv/frame.h>
#include <hv/memory.h>
#include <public/errno.h>
#include <public/memory.h>
#include "memory_exchange.h"

#define MEMOP_CMD_MASK      0x3f
#define MEMOP_EXTENT_SHIFT  6
#define MAX_EXTENT_ORDER    9       /* 2 MiB: enough for superpage-sized requests */

/*
 * The domain a call works on: the caller (no reference: its running vCPU
 * holds it), or one it controls (held). Give it back with target_put.
 */
static __force_inline int target_domain(domid_t domid, struct domain **d)
{
    return domain_lookup_held(current->domain, domid, DOMAIN_RIGHT_CONTROL | DOMAIN_LOOKUP_SELF_ID, d);
}

static __force_inline void target_put(struct domain *d)
{
    domain_put_held(current->domain, d);
}

/*
 * Takes a frame out of d's reservation, as Xen does: a pin goes with it; a
 * frame still referenced stays d's (and counted) until its last reference
 * goes, then it is freed (or, if d is being torn down, with d's other frames).
 */
static int release_frame(struct domain *d, uint64_t mfn)
{
    struct page_info *pg = pfn_to_page(mfn);
    if (!pg || pg->state != PGS_ALLOCATED || pg->owner != d->id || mfn == d->shared_info_mfn ||
        (pg->flags & PGF_released))
        return -XEN_EINVAL;
    frame_drop_guest_use(mfn);
    if (pg->state != PGS_ALLOCATED || pg->owner != d->id)
        return 0;
    set_gpfn_from_mfn(mfn, ~0ull);
    if (pg->count)
        pg->flags |= PGF_released;
    else
        domain_release_page(d, mfn);
    return 0;
}

/* The extents from start on, for d (held by the caller). */
static int64_t reservation_of(struct domain *d, unsigned int cmd, unsigned int start, uint64_t arg,
                              struct xen_memory_reservation r)
{
    for (uint64_t i = start; i < r.nr_extents; i++) {
        if (i > start && hypercall_preempt_check())
            return hypercall_continue(__HYPERVISOR_memory_op, cmd | (i << MEMOP_EXTENT_SHIFT), arg, 0, 0, 0);
        uint64_t slot = r.extent_start + i * sizeof(xen_pfn_t);
        xen_pfn_t frame;

        if (cmd == XENMEM_decrease_reservation) {
            if (copy_from_guest(&frame, slot, sizeof(frame)))
                return (int64_t)i;
            for (uint64_t k = 0; k < (1ull << r.extent_order); k++)
                if (release_frame(d, frame + k))
                    return (int64_t)i;
            continue;
        }
        xen_pfn_t gpfn = 0;
        if (cmd == XENMEM_populate_physmap && copy_from_guest(&gpfn, slot, sizeof(gpfn)))
            return (int64_t)i;
        pfn_t mfn = domain_alloc_extent(d, r.extent_order);
        if (mfn == INVALID_PFN)
            return (int64_t)i;
        if (cmd == XENMEM_populate_physmap)
            for (uint64_t k = 0; k < (1ull << r.extent_order); k++)
                set_gpfn_from_mfn(mfn + k, gpfn + k);
        /* The guest learns the machine frame: for PV it keeps its own P2M. */
        frame = mfn;
        if (r.extent_start && copy_to_guest(slot, &frame, sizeof(frame))) {
            for (uint64_t k = 0; k < (1ull << r.extent_order); k++)
                release_frame(d, mfn + k);
            return (int64_t)i;
        }
    }
    return (int64_t)r.nr_extents;
}

static int64_t reservation(unsigned int cmd, unsigned int start, uint64_t arg)
{
    struct xen_memory_reservation r;
    struct domain *d;

    if (copy_from_guest(&r, arg, sizeof(r)))
        return -XEN_EFAULT;
    if (r.extent_order > MAX_EXTENT_ORDER || r.nr_extents > (1ull << 40) || start > r.nr_extents)
        return -XEN_EINVAL;
    int err = target_domain(r.domid, &d);
    if (err)
        return err;
    int64_t rc = reservation_of(d, cmd, start, arg, r);
    target_put(d);
    return rc;
}

/*
 * XENMEM_machine_memory_map, as Xen 4.17: the control domain only (-EPERM);
 * a null buffer only counts; otherwise the buffer needs one entry more than
 * the map has (-EINVAL) and must lie in the guest's range (-EFAULT).
 */
static int64_t machine_memory_map(const struct domain *d, uint64_t arg)
{
    if (!domain_has_rights(d, DOMAIN_RIGHT_CONTROL))
        return -XEN_EPERM;
    struct xen_memory_map map;
    if (copy_from_guest(&map, arg, sizeof(map)))
        return -XEN_EFAULT;
    struct mem_region regions[MACHINE_MAP_MAX];
    unsigned int nr_firmware;
    int n = memory_machine_map(regions, MACHINE_MAP_MAX, &nr_firmware);
    if (n < 0)
        return -XEN_EINVAL;
    if (map.buffer) {
        if (map.nr_entries < MAX(nr_firmware, (unsigned int)n) + 1)
            return -XEN_EINVAL;
        if (!guest_range_ok(map.buffer, (uint64_t)map.nr_entries * sizeof(struct xen_e820_entry)))
            return -XEN_EFAULT;
        for (int i = 0; i < n; i++) {
            uint64_t size = regions[i].end - regions[i].start;
            struct xen_e820_entry e = {
                .addr_lo = (uint32_t)regions[i].start, .addr_hi = (uint32_t)(regions[i].start >> 32),
                .size_lo = (uint32_t)size, .size_hi = (uint32_t)(size >> 32), .type = regions[i].type,
            };
            if (copy_to_guest(map.buffer + (uint64_t)i * sizeof(e), &e, sizeof(e)))
                return -XEN_EFAULT;
        }
    }
    map.nr_entries = (uint32_t)n;
    return copy_to_guest(arg, &map, sizeof(map));
}

int64_t do_memory_op(uint64_t cmd_arg, uint64_t arg)
{
    unsigned int cmd = cmd_arg & MEMOP_CMD_MASK;
    uint64_t start = cmd_arg >> MEMOP_EXTENT_SHIFT;
    struct domain *d = current->domain;

    switch (cmd) {
    case XENMEM_increase_reservation:
    case XENMEM_decrease_reservation:
    case XENMEM_populate_physmap:
        if (start > 0xffffffffu)
            return -XEN_EINVAL;
    {
        frame_lock();
        int64_t rc = reservation(cmd, (unsigned int)start, arg);
        frame_unlock();
        return rc;
    }
    case XENMEM_exchange:
        /* Its progress rides in nr_exchanged, never in the command's upper bits (Xen: -EINVAL). */
        if (start)
            return -XEN_EINVAL;
        return memory_exchange(arg);
    case XENMEM_maximum_ram_page:
        return (int64_t)(m2p_max_mfn());
    case XENMEM_current_reservation:
    case XENMEM_maximum_reservation: {
        domid_t domid;
        if (copy_from_guest(&domid, arg, sizeof(domid)))
            return -XEN_EFAULT;
        struct domain *t;
        int err = target_domain(domid, &t);
        if (err)
            return err;
        int64_t pages = (int64_t)(cmd == XENMEM_current_reservation ? domain_reservation(t) : t->max_pages);
        target_put(t);
        return pages;
    }
    case XENMEM_memory_map: {
        /* A PV domain's pseudo-physical map: RAM from PFN 0 for its reservation. */
        struct xen_memory_map map;
        if (copy_from_guest(&map, arg, sizeof(map)))
            return -XEN_EFAULT;
        if (map.nr_entries < 1)
            return -XEN_EINVAL;
        uint64_t bytes = d->nr_boot_pages << 12;
        struct xen_e820_entry e = { .addr_lo = 0, .addr_hi = 0, .size_lo = (uint32_t)bytes,
                                    .size_hi = (uint32_t)(bytes >> 32), .type = 1 };
        map.nr_entries = 1;
        if (copy_to_guest(map.buffer, &e, sizeof(e)) || copy_to_guest(arg, &map, sizeof(map)))
            return -XEN_EFAULT;
        return 0;
    }
    case XENMEM_machine_memory_map:
        return machine_memory_map(d, arg);
    case XENMEM_machphys_mapping: {
        struct xen_machphys_mapping m = {
            .v_start = MACH2PHYS_VIRT_START,
            .v_end = MACH2PHYS_VIRT_START + (m2p_max_mfn() + 1) * sizeof(uint64_t),
            .max_mfn = m2p_max_mfn(),
        };
        return copy_to_guest(arg, &m, sizeof(m));
    }
    default:
        return -XEN_ENOSYS;
    }
}
