/*
 * dom0's PV domain builder (Xen's libxenguest, in small): creates a paused
 * domain, populates its memory, and through foreign mappings loads the ELF
 * kernel and its module (ramdisk) and writes the P2M, start_info, the
 * bootstrap page tables and the ring pages, laid out by lib/pv_layout.c as
 * the hypervisor's boot builder.
 */
#include <mm.h>
#include <sched.h>
#include <lib/elf.h>
#include <lib/pv_layout.h>
#include <public/errno.h>
#include <public/features.h>
#include <toolstack/builder.h>
#include <xen/services.h>
#include <xen/toolstack.h>

#define PG          4096ull
#define fail(...)   (snprintf(err, errlen, __VA_ARGS__), -1)

/* As the hypervisor's builder: upper levels P|RW|U|A|D; L1 P|U|A, RW unless it maps a page table. */
#define UPPER_FLAGS 0x67ull
#define L1_FLAGS    0x25ull
#define EFLAGS_IF   0x200ull
#define MAX_PT      64

#define UNSUPPORTED_REQUIRED ((1u << XENFEAT_writable_descriptor_tables) | (1u << XENFEAT_auto_translated_physmap) | \
                              (1u << XENFEAT_supervisor_mode_kernel) | (1u << XENFEAT_hvm_callback_vector))

struct tsb {
    domid_t dom;
    const struct pv_layout *l;
    xen_pfn_t *p2m;                     /* pfn -> mfn, ours */
    uint64_t nr_pages;
    uint64_t pt_pfn, nr_pt;
    uint64_t *pt[MAX_PT];               /* the bootstrap tables, mapped while we fill them */
};

static uint64_t va_pfn(const struct tsb *b, uint64_t va) { return (va - b->l->v_start) / PG; }

/* Copies len bytes to the domain's virtual address va (inside the initial mapping), a page at a time. */
static int copy_to_dom(const struct tsb *b, uint64_t va, const void *src, uint64_t len)
{
    const uint8_t *s = src;
    while (len) {
        uint64_t off = va & (PG - 1), chunk = MIN(len, PG - off);
        uint8_t *page = xenpv_map_foreign(b->dom, b->p2m[va_pfn(b, va)], true);
        if (!page)
            return -1;
        memcpy(page + off, s, chunk);
        xenpv_unmap_foreign(page);
        va += chunk;
        s += chunk;
        len -= chunk;
    }
    return 0;
}

/* The mapped table whose frame is mfn (one of the bootstrap ones), or NULL. */
static uint64_t *pt_of(const struct tsb *b, uint64_t mfn)
{
    for (uint64_t i = 0; i < b->nr_pt; i++)
        if (b->p2m[b->pt_pfn + i] == mfn)
            return b->pt[i];
    return NULL;
}

/* Maps [v_start, v_end) with 4 KiB pages, PFN i at v_start + i pages, tables from the bootstrap area in order. */
static int write_page_tables(struct tsb *b, char *err, size_t errlen)
{
    const struct pv_layout *l = b->l;
    uint64_t next = 1;
    for (uint64_t va = l->v_start; va < l->v_end; va += PG) {
        uint64_t *t = b->pt[0];
        for (int lvl = 4; lvl > 1; lvl--) {
            uint64_t *e = &t[(va >> (12 + 9 * (lvl - 1))) & 511];
            if (!(*e & 1)) {
                if (next >= b->nr_pt)
                    return fail("ran out of bootstrap page-table pages at %#llx", (unsigned long long)va);
                *e = (b->p2m[b->pt_pfn + next++] << 12) | UPPER_FLAGS;
            }
            t = pt_of(b, (*e & PTE_ADDR) >> 12);
        }
        uint64_t flags = L1_FLAGS | (va < l->pt_start || va >= l->pt_end ? PTE_RW : 0);
        t[(va >> 12) & 511] = (b->p2m[va_pfn(b, va)] << 12) | flags;
    }
    return 0;
}

static int domctl_simple(uint32_t cmd, domid_t dom)
{
    struct pv_domctl op = { .cmd = cmd, .domain = dom };
    return (int)xenpv_domctl(&op);
}

int tsb_destroy(domid_t dom)
{
    int rc;
    /* Its memory goes back in steps: the hypervisor says -EAGAIN until then. */
    for (unsigned int tries = 0; (rc = domctl_simple(PV_DOMCTL_destroydomain, dom)) == -XEN_EAGAIN && tries < 10000;
         tries++)
        thread_sleep_ns(NSEC_PER_MSEC);
    return rc;
}

static int build_into(struct tsb *b, const struct tsb_args *a, const struct elf_image *img, char *err, size_t errlen)
{
    const struct xen_notes *x = &img->xen;
    const struct pv_layout *l = b->l;
    struct pv_domctl op = { .cmd = PV_DOMCTL_getdomaininfo, .domain = b->dom };
    if (xenpv_domctl(&op))
        return fail("getdomaininfo of the new domain failed");
    uint64_t shared_info_mfn = op.u.info.shared_info_mfn;

    /* Memory: PFN i asked for, its machine frame back. */
    for (uint64_t i = 0; i < b->nr_pages; i++)
        b->p2m[i] = i;
    int64_t got = xenpv_populate_physmap(b->dom, b->p2m, b->nr_pages);
    if (got != (int64_t)b->nr_pages)
        return fail("not enough free memory: got %lld of %llu pages", (long long)(got < 0 ? 0 : got),
                    (unsigned long long)b->nr_pages);

    /* The kernel's segments (the rest of each is already zero), the module, then the P2M list. */
    for (unsigned int i = 0; i < img->nr_segs; i++)
        if (copy_to_dom(b, img->segs[i].va, img->data + img->segs[i].offset, img->segs[i].filesz))
            return fail("mapping the domain's memory failed");
    if (a->ramdisk_size && copy_to_dom(b, l->initrd_start, a->ramdisk, a->ramdisk_size))
        return fail("mapping the domain's memory failed");
    if (copy_to_dom(b, l->p2m_start, b->p2m, b->nr_pages * sizeof(xen_pfn_t)))
        return fail("mapping the domain's memory failed");
    if (x->has_hypercall_page) {
        op = (struct pv_domctl){ .cmd = PV_DOMCTL_hypercall_init, .domain = b->dom };
        op.u.hypercall_init.mfn = b->p2m[va_pfn(b, x->hypercall_page)];
        if (xenpv_domctl(&op))
            return fail("the hypervisor refused the hypercall page");
    }

    /* The store and console rings: the pages after start_info, each with a port offered to us. */
    int store_port = xenpv_evtchn_alloc_unbound_in(b->dom, 0);
    int console_port = store_port < 0 ? store_port : xenpv_evtchn_alloc_unbound_in(b->dom, 0);
    if (console_port < 0)
        return fail("no event channel for the rings: %d", console_port);
    uint64_t store_mfn = b->p2m[va_pfn(b, l->si_start) + 1], console_mfn = b->p2m[va_pfn(b, l->si_start) + 2];

    struct start_info *si = kmalloc(sizeof(*si));
    if (!si)
        return fail("no memory for start_info");
    memset(si, 0, sizeof(*si));
    snprintf((char *)si->magic, sizeof(si->magic), "xen-3.0-x86_64%s", strcmp(x->pae_mode, "yes") ? "" : "p");
    si->nr_pages = b->nr_pages;
    si->shared_info = shared_info_mfn << 12;
    si->pt_base = l->pt_start;
    si->nr_pt_frames = l->nr_pt_frames;
    si->mfn_list = l->p2m_start;
    si->first_p2m_pfn = va_pfn(b, l->v_end);
    /* As the boot builder and Xen's for a domU: the module's virtual address in the initial mapping, flags 0. */
    si->mod_start = a->ramdisk_size ? l->initrd_start : 0;
    si->mod_len = a->ramdisk_size;
    si->store_mfn = store_mfn;
    si->store_evtchn = (evtchn_port_t)store_port;
    si->console.domU.mfn = console_mfn;
    si->console.domU.evtchn = (evtchn_port_t)console_port;
    str_copy((char *)si->cmd_line, a->cmdline ? a->cmdline : "", sizeof(si->cmd_line));
    int rc = copy_to_dom(b, l->si_start, si, sizeof(*si));
    kfree(si);
    if (rc)
        return fail("mapping the domain's memory failed");

    /* Bootstrap page tables, written while mapped here; unmapped before the hypervisor validates them. */
    b->pt_pfn = va_pfn(b, l->pt_start);
    b->nr_pt = l->nr_pt_frames;
    if (b->nr_pt > MAX_PT)
        return fail("%llu bootstrap page-table pages: at most %u", (unsigned long long)b->nr_pt, MAX_PT);
    rc = 0;
    for (uint64_t i = 0; i < b->nr_pt && !rc; i++)
        if (!(b->pt[i] = xenpv_map_foreign(b->dom, b->p2m[b->pt_pfn + i], true)))
            rc = fail("mapping the domain's page tables failed");
    if (!rc)
        rc = write_page_tables(b, err, errlen);
    for (uint64_t i = 0; i < b->nr_pt; i++)
        if (b->pt[i])
            xenpv_unmap_foreign(b->pt[i]);
    if (rc)
        return rc;
    uint64_t l4_mfn = b->p2m[b->pt_pfn];
    if ((rc = xenpv_pin_l4(b->dom, l4_mfn)))
        return fail("the hypervisor refused the bootstrap page tables: %d", rc);

    /* vCPU 0 starts at the kernel's entry with rsi = start_info, on the bootstrap stack. */
    _Static_assert(sizeof(struct vcpu_guest_context) <= 2 * PG, "the context fits two pages");
    struct vcpu_guest_context *ctx = alloc_pages(1);        /* 5 KiB: above the slab's sizes */
    if (!ctx)
        return fail("no memory for the vCPU context");
    memset(ctx, 0, sizeof(*ctx));
    ctx->flags = VGCF_in_kernel;
    ctx->user_regs.rip = img->virt_entry;
    ctx->user_regs.rsp = l->stack_end;
    ctx->user_regs.rsi = l->si_start;
    ctx->user_regs.cs = FLAT_KERNEL_CS;
    ctx->user_regs.ss = FLAT_KERNEL_SS;
    ctx->user_regs.rflags = EFLAGS_IF;
    ctx->kernel_ss = FLAT_KERNEL_SS;
    ctx->ctrlreg[3] = l4_mfn << 12;
    op = (struct pv_domctl){ .cmd = PV_DOMCTL_setvcpucontext, .domain = b->dom };
    op.u.vcpucontext.ctxt = (uint64_t)(uintptr_t)ctx;
    rc = (int)xenpv_domctl(&op);
    free_pages(ctx, 1);
    if (rc)
        return fail("the hypervisor refused vCPU 0's context: %d", rc);

    op = (struct pv_domctl){ .cmd = PV_DOMCTL_setrings, .domain = b->dom };
    op.u.rings = (struct pv_domctl_rings){ store_mfn, console_mfn, (uint32_t)store_port, (uint32_t)console_port };
    if ((rc = (int)xenpv_domctl(&op)))
        return fail("the hypervisor refused the rings: %d", rc);
    return 0;
}

int tsb_build(const struct tsb_args *a, domid_t *out, char *err, size_t errlen)
{
    struct elf_image img;
    char why[120];
    if (elf_parse(&img, a->kernel, a->kernel_size, why, sizeof(why)))
        return fail("kernel is not a PV ELF image: %s", why);
    const struct xen_notes *x = &img.xen;
    if (x->required_features & UNSUPPORTED_REQUIRED)
        return fail("the kernel requires features %#x this hypervisor lacks", x->required_features & UNSUPPORTED_REQUIRED);
    if (x->has_init_p2m)
        return fail("the kernel asks for its P2M at INIT_P2M %#llx: not built from dom0 yet",
                    (unsigned long long)x->init_p2m);
    struct pv_layout l;
    /* start_info, then the xenstore and console ring pages, as the boot builder places a domU's. */
    if (pv_layout_compute(x->virt_base, img.virt_kstart, img.virt_kend, a->ramdisk_size, a->mem_pages, 3 * PG,
                          false, &l, why, sizeof(why)))
        return fail("%s", why);

    /* As xl: a domain that cannot have its memory is not started on (getdomaininfo reports the free frames). */
    struct pv_domctl op = { .cmd = PV_DOMCTL_getdomaininfo, .domain = xenpv_domid() };
    if (!xenpv_domctl(&op) && op.u.info.free_pages < a->mem_pages)
        return fail("not enough free memory: %llu MiB asked, %llu MiB free", (unsigned long long)(a->mem_pages >> 8),
                    (unsigned long long)(op.u.info.free_pages >> 8));
    op = (struct pv_domctl){ .cmd = PV_DOMCTL_createdomain };
    str_copy((char *)op.u.create.name, a->name, sizeof(op.u.create.name));
    op.u.create.max_vcpus = a->vcpus;
    op.u.create.max_pages = MAX(a->mem_pages, a->max_pages);
    int rc = (int)xenpv_domctl(&op);
    if (rc == -XEN_EEXIST)
        return fail("a domain named '%s' already exists", a->name);
    if (rc)
        return fail("createdomain failed: %d", rc);

    struct tsb b = { .dom = op.domain, .l = &l, .nr_pages = a->mem_pages };
    unsigned int order = 0;
    while ((PG << order) < a->mem_pages * sizeof(xen_pfn_t))
        order++;
    b.p2m = alloc_pages(order);
    rc = b.p2m ? build_into(&b, a, &img, err, errlen) : fail("no memory for the P2M");
    if (b.p2m)
        free_pages(b.p2m, order);
    if (rc) {
        tsb_destroy(b.dom);
        return -1;
    }
    *out = b.dom;
    return 0;
}
