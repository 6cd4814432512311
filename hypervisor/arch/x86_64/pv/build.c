/* Building a PV domain: ELF load, P2M, start_info, bootstrap page tables, hypercall page. */
#include <hv/domain.h>
#include <hv/event.h>
#include <hv/frame.h>
#include <hv/grant_table.h>
#include <hv/printk.h>
#include <lib/pv_layout.h>
#include <lib/elf.h>
#include <public/features.h>
#include <asm/desc.h>
#include <asm/mm.h>
#include <asm/pagetable.h>
#include <asm/pv.h>
#include <asm/timer.h>

#define fail(...) (snprintf(err, errlen, __VA_ARGS__), -1)

/*
 * Features a kernel may not require of us. writable_page_tables is not among
 * them: L1 writes are emulated (pv/ptwr.c), and Xen 4.17 boots such a kernel.
 */
#define UNSUPPORTED_REQUIRED ((1u << XENFEAT_writable_descriptor_tables) | (1u << XENFEAT_auto_translated_physmap) | \
                              (1u << XENFEAT_supervisor_mode_kernel) | (1u << XENFEAT_hvm_callback_vector))

struct builder {
    struct domain *d;
    const struct pv_layout *l;
    uint64_t *p2m;                      /* hypervisor copy while building */
    uint64_t nr_pages;
};

static void *pfn_ptr(const struct builder *b, uint64_t pfn)
{
    return __va(b->p2m[pfn] << PAGE_SHIFT);
}

/* Guest VA inside the initial mapping -> hypervisor pointer. */
static void *va_ptr(const struct builder *b, uint64_t va)
{
    return (uint8_t *)pfn_ptr(b, (va - b->l->v_start) >> PAGE_SHIFT) + (va & (PAGE_SIZE - 1));
}

static void copy_in(const struct builder *b, uint64_t va, const void *src, uint64_t len)
{
    const uint8_t *s = src;
    while (len) {
        uint64_t chunk = MIN(len, PAGE_SIZE - (va & (PAGE_SIZE - 1)));
        memcpy(va_ptr(b, va), s, chunk);
        va += chunk;
        s += chunk;
        len -= chunk;
    }
}

/* Pages are zeroed when allocated, so bss needs nothing more. */

/*
 * The domain's pages in the largest extents the allocator has (each zeroed in
 * one call), PFNs following MFNs within an extent.
 */
static int alloc_memory(struct builder *b, char *err, size_t errlen)
{
    unsigned int order = MAX_ORDER;
    for (uint64_t pfn = 0; pfn < b->nr_pages;) {
        while ((1ull << order) > b->nr_pages - pfn)
            order--;
        pfn_t mfn = domain_alloc_extent(b->d, order);
        if (mfn == INVALID_PFN && order > 0) {
            order--;                        /* fragmented, or near the quota: smaller pieces */
            continue;
        }
        if (mfn == INVALID_PFN)
            return fail("build: out of memory after %llu of %llu pages", (unsigned long long)pfn,
                        (unsigned long long)b->nr_pages);
        for (uint64_t k = 0; k < (1ull << order); k++, pfn++) {
            b->p2m[pfn] = mfn + k;
            set_gpfn_from_mfn(mfn + k, pfn);
        }
    }
    return 0;
}

static uint64_t va_to_mfn(const struct builder *b, uint64_t va)
{
    return b->p2m[(va - b->l->v_start) >> PAGE_SHIFT];
}

/* Flags as Xen's builder: upper levels P|RW|A|D|U; L1 entries P|A|U, with RW unless they map a page table. */
#define UPPER_FLAGS (_PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY | _PAGE_USER)
#define L1_FLAGS    (_PAGE_PRESENT | _PAGE_ACCESSED | _PAGE_USER)

/*
 * The L1 entry for va under l4, linking PFN *next_pt (then the next, up to
 * pt_limit) as a fresh table wherever a level is missing; NULL when that
 * runs out.
 */
static pte_t *l1e_for(const struct builder *b, pte_t *l4, uint64_t va, uint64_t *next_pt, uint64_t pt_limit)
{
    static unsigned int (*const index[])(uint64_t) = { NULL, l1_index, l2_index, l3_index, l4_index };
    pte_t *t = l4;
    for (int lvl = 4; lvl > 1; lvl--) {
        pte_t *e = &t[index[lvl](va)];
        if (!(*e & _PAGE_PRESENT)) {
            if (*next_pt >= pt_limit)
                return NULL;
            *e = (b->p2m[(*next_pt)++] << PAGE_SHIFT) | UPPER_FLAGS;
        }
        t = __va(pte_addr(*e));
    }
    return &t[l1_index(va)];
}

static uint64_t va_to_pfn(const struct builder *b, uint64_t va)
{
    return (va - b->l->v_start) >> PAGE_SHIFT;
}

/*
 * Maps [v_start, v_end) with 4 KiB pages, PFN i at v_start + i pages, using
 * the page-table pages of the bootstrap area in order (L4 first).
 */
static int build_page_tables(const struct builder *b, char *err, size_t errlen)
{
    const struct pv_layout *l = b->l;
    uint64_t next_pt = va_to_pfn(b, l->pt_start) + 1, pt_limit = va_to_pfn(b, l->pt_end);
    pte_t *l4 = va_ptr(b, l->pt_start), *l1 = NULL;

    for (uint64_t va = l->v_start; va < l->v_end; va += PAGE_SIZE) {
        if (!l1 || !l1_index(va)) {         /* one walk per L1 table, not one per page */
            pte_t *e = l1e_for(b, l4, va, &next_pt, pt_limit);
            if (!e)
                return fail("build: ran out of bootstrap page-table pages at %#llx", (unsigned long long)va);
            l1 = e - l1_index(va);
        }
        uint64_t flags = L1_FLAGS;
        /* Page-table pages are mapped read-only: guests update them by hypercall. */
        if (va < l->pt_start || va >= l->pt_end)
            flags |= _PAGE_RW;
        l1[l1_index(va)] = (va_to_mfn(b, va) << PAGE_SHIFT) | flags;
    }
    init_guest_l4(l4);

    return 0;
}

/*
 * A kernel's INIT_P2M note, as Xen's setup_pv_physmap: the P2M list mapped
 * (4 KiB pages, read-write) at base, outside the initial mapping. Its page
 * tables and pages are the PFNs after the initial mapping, in the order the
 * walk needs them (start_info's first_p2m_pfn, nr_p2m_frames); the tables are
 * linked under the bootstrap L4 and validated with it.
 */
static int map_p2m_elsewhere(const struct builder *b, uint64_t base, uint64_t *nr_frames, char *err, size_t errlen)
{
    const struct pv_layout *l = b->l;
    uint64_t bytes = b->nr_pages * sizeof(uint64_t), end = base + ROUNDUP(bytes, PAGE_SIZE);
    if ((base & (PAGE_SIZE - 1)) || end <= base || !is_canonical_address(base) || !is_canonical_address(end - 1) ||
        (base >> 47) != ((end - 1) >> 47) || (base < l->v_end && l->v_start < end) ||
        (base < RESERVED_VIRT_END && RESERVED_VIRT_START < end))
        return fail("build: INIT_P2M %#llx-%#llx is unaligned, not canonical, or overlaps the initial mapping or "
                    "the hypervisor's range", (unsigned long long)base, (unsigned long long)end);
    uint64_t first = va_to_pfn(b, l->v_end), next = first;
    pte_t *l4 = va_ptr(b, l->pt_start);
    for (uint64_t va = base; va < end; va += PAGE_SIZE) {
        pte_t *e = l1e_for(b, l4, va, &next, b->nr_pages);
        if (!e || next >= b->nr_pages)
            return fail("build: the domain's %llu pages are too few to map its P2M at %#llx",
                        (unsigned long long)b->nr_pages, (unsigned long long)base);
        uint64_t pfn = next++, off = va - base;
        *e = (b->p2m[pfn] << PAGE_SHIFT) | L1_FLAGS | _PAGE_RW | _PAGE_DIRTY;
        memcpy(pfn_ptr(b, pfn), (const uint8_t *)b->p2m + off, MIN(PAGE_SIZE, bytes - off));
    }
    *nr_frames = next - first;
    return 0;
}

/* Pages after start_info that a domU gets: the xenstore ring, then the console ring. */
#define RING_PAGES_AFTER_SI 2

/*
 * Gives a domU its xenstore and console rings: the (zeroed) pages after
 * start_info, and for each an unbound port offered to dom0, which serves
 * both (it learns them through domctl getdomaininfo and introduces the
 * domain to xenstored). As in Xen, start_info names them.
 */
static int give_rings(struct builder *b, uint64_t si_va, struct start_info *si, char *err, size_t errlen)
{
    struct domain *d = b->d;
    ASSERT(dom0 && dom0 != d);
    int store = evtchn_alloc_unbound_port(d, dom0->id);
    int console = store < 0 ? store : evtchn_alloc_unbound_port(d, dom0->id);
    if (console < 0)
        return fail("build: no event channel for the xenstore and console rings");
    d->store = (struct domain_ring){ va_to_mfn(b, si_va + PAGE_SIZE), (uint32_t)store };
    d->console = (struct domain_ring){ va_to_mfn(b, si_va + 2 * PAGE_SIZE), (uint32_t)console };
    si->store_mfn = d->store.mfn;
    si->store_evtchn = d->store.port;
    si->console.domU.mfn = d->console.mfn;
    si->console.domU.evtchn = d->console.port;
    /* As Xen's toolstack: grant references 0 and 1 let dom0 map the rings by grant too. */
    int err_con = gnttab_seed_entry(d, GNTTAB_RESERVED_CONSOLE, dom0->id, d->console.mfn, false);
    int err_xs = gnttab_seed_entry(d, GNTTAB_RESERVED_XENSTORE, dom0->id, d->store.mfn, false);
    if (err_con || err_xs)
        return fail("build: seeding the console and xenstore grants failed: %d, %d", err_con, err_xs);
    printk("domain %u: xenstore ring mfn %#llx port %u, console ring mfn %#llx port %u (for dom0)\n", d->id,
           (unsigned long long)d->store.mfn, d->store.port, (unsigned long long)d->console.mfn, d->console.port);
    return 0;
}

int arch_domain_shared_info_init(struct domain *d)
{
    pfn_t mfn = alloc_frame();
    if (mfn == INVALID_PFN)
        return -XEN_ENOMEM;
    /*
     * Owned by the domain (so it can map it) but not part of its reservation,
     * as in Xen. We write its event bits and vcpu_info through the direct map,
     * so it is held writable for the domain's life: never a page table or
     * descriptor page, whose entries those writes would forge.
     */
    frame_lock();                           /* an audit on another CPU sees the frame, owner and reference together */
    pfn_to_page(mfn)->owner = d->id;
    if (get_page_type(mfn, PGT_writable, d))
        panic("build: a fresh shared_info frame refused a writable reference");
    d->shared_info_mfn = mfn;
    frame_unlock();
    d->shared_info = __va(d->shared_info_mfn << PAGE_SHIFT);
    memset(d->shared_info, 0, PAGE_SIZE);
    set_gpfn_from_mfn(d->shared_info_mfn, ~0ull);

    for (unsigned int i = 0; i < XEN_LEGACY_MAX_VCPUS; i++)
        d->shared_info->vcpu_info[i].evtchn_upcall_mask = 1;
    arch_set_wallclock(d->shared_info);
    /* Every vCPU's vcpu_info starts in shared_info (they may move it with register_vcpu_info). */
    struct vcpu *v;
    _Static_assert(MAX_VCPUS <= XEN_LEGACY_MAX_VCPUS, "every vCPU has a vcpu_info in shared_info");
    for_each_vcpu(d, v)
        v->vcpu_info = &d->shared_info->vcpu_info[v->id];
    return 0;
}

int arch_domain_hypercall_page(struct domain *d, uint64_t mfn)
{
    frame_lock();
    const struct page_info *pg = pfn_to_page(mfn);
    bool ok = pg && pg->state == PGS_ALLOCATED && pg->owner == d->id && mfn != d->shared_info_mfn &&
              !page_is_pagetable(pg) && (pg->type_info & PGT_TYPE_MASK) != PGT_seg_desc;
    if (ok)
        pv_write_hypercall_page(__va(mfn << PAGE_SHIFT));
    frame_unlock();
    return ok ? 0 : -XEN_EINVAL;
}

int arch_domain_build(struct domain *d, const struct domain_build_args *a, char *err, size_t errlen)
{
    struct elf_image img;
    if (elf_parse(&img, a->kernel, a->kernel_size, err, errlen))
        return -1;
    const struct xen_notes *x = &img.xen;
    if (is_dom0(d) && x->has_supported_features && !(x->supported_features & (1u << XENFEAT_dom0)))
        return fail("build: the kernel does not declare that it can run as dom0 (XENFEAT_dom0)");
    if (x->required_features & UNSUPPORTED_REQUIRED)
        return fail("build: the kernel requires features %#x that this hypervisor does not provide",
                    x->required_features & UNSUPPORTED_REQUIRED);

    struct pv_layout l;
    /* As Xen: the initial mapping starts at VIRT_BASE (0 when the kernel gives none). */
    uint64_t v_start = x->virt_base;
    if (v_start & (PAGE_SIZE - 1))
        return fail("build: VIRT_BASE %#llx is not page-aligned", (unsigned long long)v_start);
    /* A domU's start_info page is followed by its xenstore and console ring pages, as Xen's builder places them. */
    uint64_t si_bytes = is_dom0(d) ? sizeof(struct start_info) : RING_PAGES_AFTER_SI * PAGE_SIZE + PAGE_SIZE;
    if (pv_layout_compute(v_start, img.virt_kstart, img.virt_kend, a->initrd_size,
                          a->nr_pages, si_bytes, x->has_init_p2m, &l, err, errlen))
        return -1;
    if (l.v_end > RESERVED_VIRT_START && l.v_start < RESERVED_VIRT_END)
        return fail("build: the initial mapping %#llx-%#llx overlaps the hypervisor's range",
                    (unsigned long long)l.v_start, (unsigned long long)l.v_end);

    /* Memory: nr_pages for the guest; shared_info is the hypervisor's, shared with it. */
    d->max_pages = MAX(a->nr_pages, a->max_pages);
    uint64_t p2m_bytes = ROUNDUP(a->nr_pages * sizeof(uint64_t), PAGE_SIZE);
    unsigned int p2m_order = 0;
    while ((PAGE_SIZE << p2m_order) < p2m_bytes)
        p2m_order++;
    pfn_t p2m_block = alloc_frames(p2m_order);
    if (p2m_block == INVALID_PFN)
        return fail("build: no memory for the P2M list");
    struct builder b = { d, &l, __va(p2m_block << PAGE_SHIFT), a->nr_pages };
    int rc = -1;
    if (alloc_memory(&b, err, errlen))
        goto out;
    if (arch_domain_shared_info_init(d)) {
        (void)fail("build: out of memory for shared_info");
        goto out;
    }

    /* Kernel segments (the rest of each was zeroed at allocation), initrd, P2M. */
    for (unsigned int i = 0; i < img.nr_segs; i++)
        copy_in(&b, img.segs[i].va, img.data + img.segs[i].offset, img.segs[i].filesz);
    if (a->initrd_size)
        copy_in(&b, l.initrd_start, a->initrd, a->initrd_size);
    uint64_t nr_p2m_frames = 0;
    if (!x->has_init_p2m)
        copy_in(&b, l.p2m_start, b.p2m, a->nr_pages * sizeof(uint64_t));
    if (build_page_tables(&b, err, errlen))
        goto out;
    if (x->has_init_p2m && map_p2m_elsewhere(&b, x->init_p2m, &nr_p2m_frames, err, errlen))
        goto out;
    if (x->has_hypercall_page)
        pv_write_hypercall_page(va_ptr(&b, x->hypercall_page));

    /* As Xen's builder: PAE_MODE "yes" means extended CR3, which brings the assist (and pae_pgdir_above_4gb). */
    if (!strcmp(x->pae_mode, "yes"))
        d->vm_assist |= 1ull << VMASST_TYPE_pae_extended_cr3;

    struct start_info *si = va_ptr(&b, l.si_start);
    snprintf((char *)si->magic, sizeof(si->magic), "xen-3.0-x86_64%s", strcmp(x->pae_mode, "yes") ? "" : "p");
    si->nr_pages = a->nr_pages;
    si->shared_info = d->shared_info_mfn << PAGE_SHIFT;
    si->flags = (domain_has_rights(d, DOMAIN_RIGHT_CONTROL) ? SIF_PRIVILEGED : 0) | (is_dom0(d) ? SIF_INITDOMAIN : 0);
    si->pt_base = l.pt_start;
    si->nr_pt_frames = l.nr_pt_frames;
    si->mfn_list = x->has_init_p2m ? x->init_p2m : l.p2m_start;
    si->mod_start = a->initrd_size ? l.initrd_start : 0;
    si->mod_len = a->initrd_size;
    si->first_p2m_pfn = va_to_pfn(&b, l.v_end);
    si->nr_p2m_frames = nr_p2m_frames;
    str_copy((char *)si->cmd_line, a->cmdline ? a->cmdline : "", sizeof(si->cmd_line));
    if (!is_dom0(d) && give_rings(&b, l.si_start, si, err, errlen))
        goto out;

    /*
     * vCPU 0 starts in the kernel's entry with rsi = start_info, on the
     * bootstrap stack and tables. The tables go through the same validation
     * as any the guest builds: the L4 is pinned, and vCPU 0's base pointer
     * (arch_set_vcpu_context) holds a second reference.
     */
    uint64_t l4_mfn = va_to_mfn(&b, l.pt_start);
    frame_lock();                           /* other CPUs already run domains built before this one */
    bool valid = get_page_type(l4_mfn, PGT_l4, d) == 0;
    if (valid)
        pfn_to_page(l4_mfn)->type_info |= PGT_pinned;
    frame_unlock();
    if (!valid) {
        (void)fail("build: the bootstrap page tables do not validate");
        goto out;
    }
    static struct vcpu_guest_context ctx;   /* 5 KiB: boot-time builds run one at a time */
    memset(&ctx, 0, sizeof(ctx));
    ctx.flags = VGCF_in_kernel;
    ctx.user_regs.rip = img.virt_entry;
    ctx.user_regs.rsp = l.stack_end;
    ctx.user_regs.rsi = l.si_start;
    ctx.user_regs.cs = FLAT_KERNEL_CS;
    ctx.user_regs.ss = FLAT_KERNEL_SS;
    ctx.user_regs.rflags = X86_EFLAGS_IF;
    ctx.kernel_ss = FLAT_KERNEL_SS;
    ctx.ctrlreg[3] = l4_mfn << PAGE_SHIFT;
    frame_lock();
    valid = arch_set_vcpu_context(d->vcpu[0], &ctx) == 0;
    frame_unlock();
    if (!valid) {
        (void)fail("build: vCPU 0's start-of-day context was refused");
        goto out;
    }
    d->vcpu[0]->initialised = true;
    d->nr_boot_pages = a->nr_pages;

    printk("domain %u (%s): %s kernel \"%s\" %#llx-%#llx, entry %#llx, %llu MiB\n", d->id, d->name,
           domain_has_rights(d, DOMAIN_RIGHT_CONTROL) ? "privileged" : "unprivileged", x->guest_os, (unsigned long long)img.virt_kstart,
           (unsigned long long)img.virt_kend, (unsigned long long)img.virt_entry,
           (unsigned long long)(a->nr_pages >> 8));
    printk("domain %u: p2m %#llx start_info %#llx page tables %#llx (%llu) stack %#llx-%#llx mapped to %#llx\n",
           d->id, (unsigned long long)si->mfn_list, (unsigned long long)l.si_start, (unsigned long long)l.pt_start,
           (unsigned long long)l.nr_pt_frames, (unsigned long long)l.stack_start, (unsigned long long)l.stack_end,
           (unsigned long long)l.v_end);
    rc = 0;
out:
    free_frames(p2m_block, p2m_order);
    return rc;
}
