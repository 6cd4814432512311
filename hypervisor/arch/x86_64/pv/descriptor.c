/*
 * Guest descriptor tables: set_gdt and update_descriptor. As on Xen, a GDT
 * frame holds a PGT_seg_desc type reference while installed, so the guest
 * cannot map it writable and changes it only through update_descriptor.
 * Its validated entries are copied into the live GDT (below
 * FIRST_RESERVED_GDT_ENTRY), and update_descriptor keeps the copy in step.
 */
#include <hv/hypercall.h>
#include <hv/printk.h>
#include <public/errno.h>
#include <asm/desc.h>
#include <asm/guest_access.h>
#include <asm/page.h>
#include <asm/pagetable.h>
#include <asm/pv.h>

#define DESC_P          (1ull << 47)
#define DESC_S          (1ull << 44)
#define DESC_DPL_SHIFT  45
#define DESC_TYPE(d)    (((d) >> 40) & 0xf)

/*
 * What a 64-bit PV guest may put in its GDT: anything not present; code and
 * data segments, with the DPL raised to 3 and the accessed bit set; the upper half of a 16-byte system
 * descriptor (type 0). Gates, TSS and LDT descriptors are refused (Xen also
 * accepts call gates, which we do not emulate). Returns false if refused.
 */
static bool check_descriptor(uint64_t *d)
{
    if (!(*d & DESC_P))
        return true;
    if (*d & DESC_S) {
        /* DPL at least 3, and accessed already, so the CPU never writes the table (as Xen). */
        *d |= (3ull << DESC_DPL_SHIFT) | (1ull << 40);
        return true;
    }
    return DESC_TYPE(*d) == 0;
}

static bool frame_owned_by(uint64_t mfn, const struct domain *d)
{
    const struct page_info *pg = pfn_to_page(mfn);
    return pg && pg->state == PGS_ALLOCATED && pg->owner == d->id;
}

/* Drops the descriptor-page references of v's GDT frames. */
void pv_release_gdt(struct vcpu *v)
{
    for (unsigned int f = 0; f * 512 < v->arch.gdt_ents; f++)
        put_page_type(v->arch.gdt_frames[f]);
    v->arch.gdt_ents = 0;
}

void pv_release_ldt(struct vcpu *v)
{
    v->arch.ldt_ents = 0;
    if (v->arch.ldt_copy_mfn)
        free_frame(v->arch.ldt_copy_mfn);
    v->arch.ldt_copy_mfn = 0;
}

/*
 * The frames of v's GDT hold validated descriptors only (typed PGT_seg_desc,
 * they change only through update_descriptor), so a switch copies them
 * straight into this CPU's GDT. live_ents: guest entries in each CPU's GDT.
 */
static unsigned int live_ents[NR_CPUS];

void pv_load_gdt(const struct vcpu *v)
{
    uint64_t *gdt = this_cpu_gdt();
    unsigned int n = v->arch.gdt_ents, *live = &live_ents[smp_processor_id()];
    for (unsigned int f = 0; f * 512 < n; f++)
        memcpy(&gdt[f * 512], __va(v->arch.gdt_frames[f] << PAGE_SHIFT), MIN(512u, n - f * 512) * sizeof(uint64_t));
    if (*live > n)
        memset(&gdt[n], 0, (*live - n) * sizeof(uint64_t));
    *live = n;
}

int pv_set_gdt(struct vcpu *v, const uint64_t *frames, unsigned int entries)
{
    struct domain *d = v->domain;

    if (entries > FIRST_RESERVED_GDT_ENTRY)
        return -XEN_EINVAL;
    unsigned int nr_frames = (entries + 511) / 512;

    /*
     * Every descriptor of every frame must pass (DPLs are raised in place, as
     * Xen does), and every frame must become a descriptor page (no writable
     * mappings), before anything changes.
     */
    unsigned int typed = 0;
    for (unsigned int f = 0; f < nr_frames; f++) {
        if (!frame_owned_by(frames[f], d) || get_page_type(frames[f], PGT_seg_desc, d))
            goto refuse;
        typed++;
        uint64_t *src = __va(frames[f] << PAGE_SHIFT);
        for (unsigned int i = 0; i < 512; i++) {
            uint64_t desc = src[i];
            if (!check_descriptor(&desc))
                goto refuse;
            src[i] = desc;
        }
    }
    pv_release_gdt(v);
    memcpy(v->arch.gdt_frames, frames, nr_frames * sizeof(uint64_t));
    v->arch.gdt_ents = entries;
    if (v == current)
        pv_load_gdt(v);
    return 0;
refuse:
    while (typed)
        put_page_type(frames[--typed]);
    return -XEN_EINVAL;
}

int64_t do_set_gdt(uint64_t frame_list, unsigned int entries)
{
    uint64_t frames[FIRST_RESERVED_GDT_PAGE];

    if (entries > FIRST_RESERVED_GDT_ENTRY)
        return -XEN_EINVAL;
    if (copy_from_guest(frames, frame_list, (entries + 511) / 512 * sizeof(uint64_t)))
        return -XEN_EFAULT;
    frame_lock();
    int rc = pv_set_gdt(current, frames, entries);
    frame_unlock();
    return rc;
}

static int64_t update_descriptor(uint64_t maddr, uint64_t desc)
{
    struct vcpu *v = current;
    uint64_t mfn = maddr >> PAGE_SHIFT;

    if (maddr & 7 || !check_descriptor(&desc))
        return -XEN_EINVAL;
    if (!frame_owned_by(mfn, v->domain))
        return -XEN_EINVAL;
    /* A descriptor page, or one that could be writable: never a page table. */
    struct page_info *pg = pfn_to_page(mfn);
    bool seg = page_type(pg) == PGT_seg_desc && page_type_count(pg);
    if (!seg && get_page_type(mfn, PGT_writable, v->domain))
        return -XEN_EINVAL;
    ((uint64_t *)__va(mfn << PAGE_SHIFT))[(maddr & (PAGE_SIZE - 1)) / 8] = desc;
    if (!seg)
        put_page_type(mfn);

    /* A frame of the current GDT: the live copy changes too (other vCPUs reload it on their next switch). */
    for (unsigned int f = 0; f * 512 < v->arch.gdt_ents; f++) {
        unsigned int idx = f * 512 + (unsigned int)((maddr & (PAGE_SIZE - 1)) / 8);
        if (v->arch.gdt_frames[f] == mfn && idx < v->arch.gdt_ents)
            this_cpu_gdt()[idx] = desc;
    }
    return 0;
}

/*
 * Local descriptor tables (MMUEXT_SET_LDT): validated and copied into a
 * hypervisor frame of the vCPU's own (512 entries at most, allocated on
 * first use, freed with the vCPU), and installed through the LDT
 * descriptor in the CPU's reserved GDT page.
 */
#define LDT_MAX_ENTS 512

void pv_load_ldt(const struct vcpu *v)
{
    unsigned int n = v->arch.ldt_ents;
    if (!n) {
        __asm__ volatile("lldt %w0" :: "r"(0));
        return;
    }
    uint64_t *gdt = this_cpu_gdt();
    uint64_t base = (uint64_t)__va(v->arch.ldt_copy_mfn << PAGE_SHIFT), limit = n * 8 - 1;
    gdt[LDT_SEL >> 3] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x82ull << 40) |
                        ((limit >> 16 & 0xf) << 48) | ((base >> 24 & 0xff) << 56);
    gdt[(LDT_SEL >> 3) + 1] = base >> 32;
    __asm__ volatile("lldt %w0" :: "r"(LDT_SEL));
}

int pv_set_ldt(struct vcpu *v, uint64_t base, unsigned int ents)
{
    uint64_t staged[LDT_MAX_ENTS];

    if (ents > LDT_MAX_ENTS || (base & (PAGE_SIZE - 1)))
        return -XEN_EINVAL;
    if (ents && copy_from_guest(staged, base, ents * sizeof(uint64_t)))
        return -XEN_EINVAL;
    for (unsigned int i = 0; i < ents; i++)
        if (!check_descriptor(&staged[i]))
            return -XEN_EINVAL;
    if (ents && !v->arch.ldt_copy_mfn) {
        pfn_t mfn = alloc_frame();
        if (mfn == INVALID_PFN)
            return -XEN_ENOMEM;
        v->arch.ldt_copy_mfn = mfn;
    }
    if (ents)
        memcpy(__va(v->arch.ldt_copy_mfn << PAGE_SHIFT), staged, ents * sizeof(uint64_t));
    v->arch.ldt_base = base;
    v->arch.ldt_ents = ents;
    if (v == current)
        pv_load_ldt(v);
    return 0;
}

int64_t do_update_descriptor(uint64_t maddr, uint64_t desc)
{
    frame_lock();
    int64_t rc = update_descriptor(maddr, desc);
    frame_unlock();
    return rc;
}
