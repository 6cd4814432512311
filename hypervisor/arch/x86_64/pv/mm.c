/*
 * PV memory hypercalls: mmu_update, update_va_mapping(_otherdomain) and
 * mmuext_op over the validated page tables of pagetable.c. Batches stop at
 * the first failure and report how far they got; long batches continue
 * later (hypercall continuations) so other domains keep running.
 */
#include <hv/continuation.h>
#include <hv/hypercall.h>
#include <hv/memory.h>
#include <hv/printk.h>
#include <hv/spinlock.h>
#include <hv/tlbclock.h>
#include <public/errno.h>
#include <asm/cpu.h>
#include <asm/guest_access.h>
#include <asm/mm.h>
#include <asm/pagetable.h>
#include <asm/pci.h>
#include <asm/pv.h>
#include <asm/smp.h>

/* Set in a batch's count by its continuation: the done counter is already running. */
#define MMU_UPDATE_PREEMPTED    0x80000000u

/* ---- the frame lock ------------------------------------------------------- */

DEFINE_SPINLOCK(frame_spinlock);
static uint64_t frame_lock_flags;           /* the holder's interrupt state; only the holder touches it */

void frame_lock(void)
{
    uint64_t flags = local_irq_save();
    spin_lock(&frame_spinlock);
    frame_lock_flags = flags;
}

void frame_unlock(void)
{
    uint64_t flags = frame_lock_flags;
    spin_unlock(&frame_spinlock);
    local_irq_restore(flags);
}

bool frame_lock_held(void)
{
    return spin_is_locked_by_me(&frame_spinlock);
}

/* ---- environment of pagetable.c ---------------------------------------- */

void *pv_frame_ptr(uint64_t mfn) { return __va(mfn << PAGE_SHIFT); }
void pv_init_l4_slots(pte_t *l4) { init_guest_l4(l4); }

void pv_page_unreferenced(uint64_t mfn)
{
    struct page_info *pg = pfn_to_page(mfn);
    if (pg->owner == PAGE_OWNER_ORPHAN) {
        pg->owner = PAGE_OWNER_HYPERVISOR;
        free_frame(mfn);
        return;
    }
    struct domain *d = &domains[pg->owner];
    /*
     * A stopped domain's released frame stays on its page list, counted, and
     * its destruction frees it: the list must not change under
     * arch_domain_relinquish's passes nor fall out of step with the count.
     */
    if (d->state != DOMAIN_RUNNING)
        return;
    domain_release_page(d, mfn);
}

unsigned int pv_phys_addr_bits(void)
{
    static unsigned int bits;
    if (!bits) {
        uint32_t a, b, c, d;
        cpuid(0x80000000u, 0, &a, &b, &c, &d);
        bits = 36;                          /* the architectural default without leaf 0x80000008 */
        if (a >= 0x80000008u) {
            cpuid(0x80000008u, 0, &a, &b, &c, &d);
            if ((a & 0xff) > PAGE_SHIFT && (a & 0xff) <= 52)
                bits = a & 0xff;
        }
    }
    return bits;
}

void pv_iomem_init(struct domain *d)
{
    spin_lock_init(&d->arch.iomem_lock);
    rangeset_init(&d->arch.iomem);
}

bool pv_cache_control_permitted(struct domain *d)
{
    return domain_has_rights(d, DOMAIN_RIGHT_IOMEM) || __atomic_load_n(&d->arch.iomem.nr, __ATOMIC_RELAXED) ||
           __atomic_load_n(&d->arch.ioports.nr, __ATOMIC_RELAXED);
}

uint64_t arch_iomem_frames(void)
{
    return MIN(1ull << (pv_phys_addr_bits() - PAGE_SHIFT), 1ull << 32);
}

/*
 * dom0 (DOMAIN_RIGHT_IOMEM) holds every frame but the hypervisor's own
 * device memory and the BARs of PCI functions assigned to other domains,
 * as Xen's hardware domain's iomem_caps; any other domain what domctl
 * granted it.
 */
bool arch_iomem_held(struct domain *d, uint64_t first, uint64_t last)
{
    if (domain_has_rights(d, DOMAIN_RIGHT_IOMEM))
        return !mfns_hypervisor_mmio(first, last) && !pci_iomem_assigned(first, last);
    if (last >= arch_iomem_frames())
        return false;
    spin_lock(&d->arch.iomem_lock);
    bool held = rangeset_contains(&d->arch.iomem, (uint32_t)first, (uint32_t)last);
    spin_unlock(&d->arch.iomem_lock);
    return held;
}

int arch_iomem_set(struct domain *d, uint32_t first, uint32_t last, bool allow)
{
    ASSERT(first <= last && last < arch_iomem_frames());
    if (allow && mfns_hypervisor_mmio(first, last))
        return -XEN_EPERM;
    spin_lock(&d->arch.iomem_lock);
    int rc = allow ? rangeset_add(&d->arch.iomem, first, last) : rangeset_remove(&d->arch.iomem, first, last);
    spin_unlock(&d->arch.iomem_lock);
    return rc;
}

int pv_iomem_check(struct domain *d, uint64_t mfn)
{
    /*
     * dom0 drives the devices and the firmware: it may map memory that is not
     * RAM and the first MiB (BIOS data, ROMs; we never allocate it), as on
     * Xen, but never device memory the hypervisor drives itself; a driver
     * domain maps the frames dom0 granted it (PV_DOMCTL_iomem_permission).
     */
    bool io = !mfn_is_ram(mfn) || mfn < 0x100;
    if (!io)
        return -XEN_EINVAL;
    return arch_iomem_held(d, mfn, mfn) ? 0 : -XEN_EPERM;
}

/*
 * A grant mapping in d's tables was removed: every CPU whose TLB may hold
 * d's entries flushes before the frame lock is dropped, so the granter's
 * frame is out of reach when the unmap returns. (Other removals wait for
 * the TLB-flush clock, hv/tlbclock.h.)
 */
void pv_flush_domain_tlbs(const struct domain *d)
{
    flush_tlb_mask(d->arch.dirty_cpus | cpumask_of(smp_processor_id()));
}

/*
 * Which domain an operation's frames belong to: the caller, or one it
 * controls; DOMID_IO (I/O memory, checked per frame) is the caller itself,
 * as Xen's "DOMID_IO reverts to caller for privilege checks": a driver
 * domain maps the frames it was granted, and a frame it was not is -EPERM
 * (pv_iomem_check). Another domain is returned held:
 * owner_put it (the caller itself is held by its running vCPU).
 */
static int owner_domain(struct domain *d, unsigned int domid, struct domain **owner)
{
    /* The caller itself, the usual case: its running vCPU keeps it from being destroyed; no reference. */
    if (domid == DOMID_SELF || domid == d->id) {
        *owner = d;
        return 0;
    }
    if (domid == DOMID_IO) {
        *owner = d;
        return 0;
    }
    return domain_lookup(d, (domid_t)domid, DOMAIN_RIGHT_CONTROL | DOMAIN_LOOKUP_SELF_ID, owner);
}

/* Puts what owner_domain returned for caller d. */
static void owner_put(const struct domain *d, struct domain *owner)
{
    if (owner != d)
        domain_put(owner);
}

/* ---- batches: mmu_update and mmuext_op ------------------------------------ */

/* A batch re-issued by its continuation carries MMU_UPDATE_PREEMPTED in count and its progress in *pdone. */
static int batch_resume(unsigned int *count, uint64_t pdone, uint32_t *done)
{
    *done = 0;
    if (!(*count & MMU_UPDATE_PREEMPTED))
        return 0;
    *count &= ~MMU_UPDATE_PREEMPTED;
    if (pdone && copy_from_guest(done, pdone, sizeof(*done)))
        return -XEN_EFAULT;
    return 0;
}

/* Stops a batch before entry i: progress goes to *pdone and the call is re-issued for the rest. */
static int64_t batch_continue(unsigned int op, uint64_t uptr, size_t entry_size, unsigned int i, unsigned int count,
                              uint64_t pdone, uint32_t done, unsigned int foreigndom)
{
    if (pdone && copy_to_guest(pdone, &done, sizeof(done)))
        return -XEN_EFAULT;
    return hypercall_continue(op, uptr + (uint64_t)i * entry_size, (count - i) | MMU_UPDATE_PREEMPTED, pdone,
                              foreigndom, 0);
}

/* ---- mmu_update ---------------------------------------------------------- */

/* The batch from its first entry not yet done; the owners are held by the caller. */
static int64_t mmu_update_batch(struct domain *d, struct domain *pg_owner, struct domain *pt_owner, uint64_t ureqs,
                                unsigned int count, uint64_t pdone, uint32_t done, unsigned int foreigndom)
{
    int64_t rc = 0;
    unsigned int i;
    for (i = 0; i < count; i++) {
        if (hypercall_preempt_point(i)) {
            return batch_continue(__HYPERVISOR_mmu_update, ureqs, sizeof(struct mmu_update), i, count, pdone, done,
                                  foreigndom);
        }
        struct mmu_update req;
        if (copy_from_guest(&req, ureqs + (uint64_t)i * sizeof(req), sizeof(req))) {
            rc = -XEN_EFAULT;
            break;
        }
        /* As Xen: the low three bits (a PTE's alignment) carry the sub-command. */
        uint64_t maddr = req.ptr & ~7ull, mfn = maddr >> PAGE_SHIFT;
        switch (req.ptr & 7) {
        case MMU_NORMAL_PT_UPDATE:
        case MMU_PT_UPDATE_PRESERVE_AD:
        case MMU_PT_UPDATE_NO_TRANSLATE:    /* PV frames are never translated: the same */
            rc = pt_update_entry(pt_owner, pg_owner, mfn, (unsigned int)((maddr & (PAGE_SIZE - 1)) / 8), req.val,
                                 (req.ptr & 7) == MMU_PT_UPDATE_PRESERVE_AD, NULL);
            d->pt_updates += rc == 0;
            break;
        case MMU_MACHPHYS_UPDATE: {
            const struct page_info *pg = pfn_to_page(mfn);
            if (!pg || pg->state != PGS_ALLOCATED || pg->owner != pg_owner->id)
                rc = -XEN_EINVAL;
            else
                set_gpfn_from_mfn(mfn, req.val);
            break;
        }
        default:
            rc = -XEN_ENOSYS;
            break;
        }
        if (rc == -XEN_ERESTART) {
            /* A table being linked stopped validating halfway: this entry again, later. */
            return batch_continue(__HYPERVISOR_mmu_update, ureqs, sizeof(struct mmu_update), i, count, pdone, done,
                                  foreigndom);
        }
        if (rc)
            break;
        done++;
    }
    if (pdone && copy_to_guest(pdone, &done, sizeof(done)))
        return rc ? rc : -XEN_EFAULT;
    return rc;
}

int64_t do_mmu_update(uint64_t ureqs, unsigned int count, uint64_t pdone, unsigned int foreigndom)
{
    struct domain *d = current->domain;
    uint32_t done;

    if (batch_resume(&count, pdone, &done))
        return -XEN_EFAULT;
    struct domain *pg_owner, *pt_owner;
    int err = owner_domain(d, foreigndom & 0xffff, &pg_owner);
    if (err)
        return err;
    err = owner_domain(d, (foreigndom >> 16) ? (foreigndom >> 16) - 1 : DOMID_SELF, &pt_owner);
    if (err) {
        owner_put(d, pg_owner);
        return err;
    }
    frame_lock_hypercall();
    int64_t rc = mmu_update_batch(d, pg_owner, pt_owner, ureqs, count, pdone, done, foreigndom);
    frame_unlock_hypercall();
    owner_put(d, pt_owner);
    owner_put(d, pg_owner);
    return rc;
}

/* The CPUs running the vCPUs of d in a guest's vCPU bitmap (one word: MAX_VCPUS <= 64). */
static cpumask_t vcpumask_to_cpus(const struct domain *d, uint64_t vcpus)
{
    cpumask_t cpus = 0;
    const struct vcpu *v;
    for_each_vcpu(d, v)
        if ((vcpus >> v->id) & 1 && v->is_running)
            cpus |= cpumask_of(v->processor);
    return cpus;
}
_Static_assert(MAX_VCPUS <= 64, "a vCPU bitmap is one word");

/* ---- update_va_mapping ----------------------------------------------------- */

/* Finds the L1 table and index mapping va in the current address space (inline: update_va_mapping's path). */
static __force_inline int find_l1(uint64_t va, uint64_t *l1_mfn, unsigned int *idx)
{
    if (!guest_range_ok(va, 1))
        return -XEN_EINVAL;
    uint64_t mfn = read_cr3() >> PAGE_SHIFT;
    for (unsigned int shift = 39; shift > PAGE_SHIFT; shift -= 9) {     /* L4, L3, L2 */
        pte_t e = ((pte_t *)__va(mfn << PAGE_SHIFT))[(va >> shift) & (PT_ENTRIES - 1)];
        if (!(e & _PAGE_PRESENT) || (e & _PAGE_PSE))
            return -XEN_EINVAL;
        mfn = pte_addr(e) >> PAGE_SHIFT;
    }
    *l1_mfn = mfn;
    *idx = l1_index(va);
    return 0;
}

int pv_find_l1(uint64_t va, uint64_t *l1_mfn, unsigned int *idx)
{
    return find_l1(va, l1_mfn, idx);
}

/* d: the caller's domain, whose page tables map va. Inlined into both callers: one call less per hypercall. */
static __force_inline int64_t update_va_mapping(struct domain *d, struct domain *pg_owner, uint64_t va, uint64_t val,
                                 uint64_t flags)
{
    uint64_t l1;
    unsigned int idx;

    int rc = find_l1(va, &l1, &idx);
    if (rc)
        return rc;
    /*
     * Which TLBs: this CPU's (UVMF_LOCAL), those of the vCPUs in a bitmap
     * (UVMF_MULTI), or all of d's and this CPU's. This CPU is added only
     * when a flush is asked for (most calls ask for none).
     */
    uint64_t mask_va = flags & ~(uint64_t)(UVMF_FLUSHTYPE_MASK | UVMF_ALL);
    bool this_cpu = true;
    cpumask_t targets = 0;
    if (flags & UVMF_ALL) {
        targets = d->arch.dirty_cpus;
    } else if (mask_va) {
        uint64_t mask;
        if (copy_from_guest(&mask, mask_va, sizeof(mask)))
            return -XEN_EFAULT;
        targets = vcpumask_to_cpus(d, mask);
        this_cpu = false;
    }
    rc = pt_update_entry(d, pg_owner, l1, idx, val, false, NULL);
    if (rc)
        return rc;
    d->pt_updates++;
    if ((flags & UVMF_FLUSHTYPE_MASK) && this_cpu)
        targets |= cpumask_of(smp_processor_id());
    switch (flags & UVMF_FLUSHTYPE_MASK) {
    case UVMF_TLB_FLUSH:
        flush_tlb_mask(targets);
        break;
    case UVMF_INVLPG:
        flush_tlb_one_mask(targets, va);
        break;
    default:
        break;
    }
    /*
     * Nothing more, as on Xen: a removed mapping may stay cached (here, or
     * elsewhere when the L1 is linked at other addresses than va) until the
     * guest flushes; its frame was stamped (hv/tlbclock.h), so before it
     * becomes a page table or leaves the domain the CPUs that may cache it
     * are flushed.
     */
    return 0;
}

int64_t do_update_va_mapping(uint64_t va, uint64_t val, uint64_t flags)
{
    struct domain *d = current->domain;
    frame_lock_hypercall();
    int64_t rc = update_va_mapping(d, d, va, val, flags);
    frame_unlock_hypercall();
    return rc;
}

int64_t do_update_va_mapping_otherdomain(uint64_t va, uint64_t val, uint64_t flags, unsigned int domid)
{
    struct domain *d = current->domain, *pg_owner;
    int err = owner_domain(d, domid, &pg_owner);
    if (err)
        return err;
    frame_lock_hypercall();
    int64_t rc = update_va_mapping(d, pg_owner, va, val, flags);
    frame_unlock_hypercall();
    owner_put(d, pg_owner);
    return rc;
}

/* ---- mmuext_op --------------------------------------------------------- */

void pv_put_base_table(uint64_t table)
{
    tlbclock_stamp(pfn_to_page(table >> PAGE_SHIFT));
    put_page_type(table >> PAGE_SHIFT);
}

/* *slot (a vCPU's base table, CR3 form) becomes mfn's L4, or none (mfn 0, may_clear); the old one goes. */
static int set_base(uint64_t *slot, uint64_t mfn, struct domain *d, bool may_clear)
{
    if (!mfn && may_clear) {
        uint64_t old = *slot;
        *slot = 0;
        if (old)
            pv_put_base_table(old);
        return 0;
    }
    int rc = get_page_type(mfn, PGT_l4, d);
    if (rc)
        return rc == -XEN_ERESTART ? rc : -XEN_EINVAL;
    uint64_t old = *slot;
    *slot = mfn << PAGE_SHIFT;
    if (old == *slot)
        put_page_type(mfn);                 /* the same table set again: still linked (the get above holds it) */
    else if (old)
        pv_put_base_table(old);
    return 0;
}

static int new_baseptr(struct vcpu *v, uint64_t mfn, struct domain *d)
{
    int rc = set_base(&v->arch.guest_table, mfn, d, false);
    if (!rc && v->arch.kernel_mode)
        write_cr3(v->arch.guest_table);     /* not on the TLB-flush clock: asm/smp.h switch_cr3 */
    return rc;
}

int pv_new_baseptr(struct vcpu *v, uint64_t mfn)
{
    frame_lock();
    int rc = new_baseptr(v, mfn, v->domain);
    frame_unlock();
    return rc;
}

/* v: the calling vCPU (current), d its domain. */
static int mmuext_one(struct vcpu *v, struct domain *d, struct domain *owner, const struct mmuext_op *op)
{
    uint64_t mfn = op->arg1.mfn;
    struct page_info *pg;
    int rc;

    switch (op->cmd) {
    case MMUEXT_PIN_L1_TABLE:
    case MMUEXT_PIN_L2_TABLE:
    case MMUEXT_PIN_L3_TABLE:
    case MMUEXT_PIN_L4_TABLE:
        pg = pfn_to_page(mfn);
        if (!pg || pg->state != PGS_ALLOCATED || pg->owner != owner->id || (pg->type_info & PGT_pinned))
            return -XEN_EINVAL;
        rc = get_page_type(mfn, PGT_l1 + op->cmd - MMUEXT_PIN_L1_TABLE, owner);
        if (rc)
            return rc == -XEN_ERESTART ? rc : -XEN_EINVAL;      /* Xen reports every pin failure so */
        pg->type_info |= PGT_pinned;
        return 0;
    case MMUEXT_UNPIN_TABLE:
        pg = pfn_to_page(mfn);
        if (!pg || pg->state != PGS_ALLOCATED || pg->owner != owner->id || !(pg->type_info & PGT_pinned))
            return -XEN_EINVAL;
        pg->type_info &= ~PGT_pinned;
        /* A table that goes with its pin stamps what it referenced (release_entries): no flush now. */
        put_page_type(mfn);
        return 0;
    case MMUEXT_NEW_BASEPTR:
        return new_baseptr(v, mfn, d);
    case MMUEXT_NEW_USER_BASEPTR:
        rc = set_base(&v->arch.guest_table_user, mfn, d, true);
        if (!rc && !v->arch.kernel_mode && v->arch.guest_table_user)
            switch_cr3(v->arch.guest_table_user);
        return rc;
    case MMUEXT_TLB_FLUSH_MULTI:
    case MMUEXT_INVLPG_MULTI: {
        uint64_t mask;
        if (copy_from_guest(&mask, op->arg2.vcpumask, sizeof(mask)))
            return -XEN_EINVAL;             /* as Xen: a mask it cannot read is invalid */
        if (op->cmd == MMUEXT_TLB_FLUSH_MULTI)
            flush_tlb_mask(vcpumask_to_cpus(d, mask));
        else if (guest_range_ok(op->arg1.linear_addr, 1))   /* never one of the hypervisor's own entries */
            flush_tlb_one_mask(vcpumask_to_cpus(d, mask), op->arg1.linear_addr);
        return 0;
    }
    case MMUEXT_TLB_FLUSH_LOCAL:
        flush_tlb_local();
        return 0;
    case MMUEXT_TLB_FLUSH_ALL:
        flush_tlb_mask(d->arch.dirty_cpus | cpumask_of(smp_processor_id()));
        return 0;
    case MMUEXT_INVLPG_LOCAL:
        if (guest_range_ok(op->arg1.linear_addr, 1))
            flush_tlb_one_local(op->arg1.linear_addr);
        return 0;
    case MMUEXT_INVLPG_ALL:
        if (guest_range_ok(op->arg1.linear_addr, 1))
            flush_tlb_one_mask(d->arch.dirty_cpus | cpumask_of(smp_processor_id()), op->arg1.linear_addr);
        return 0;
    case MMUEXT_FLUSH_CACHE:
    case MMUEXT_FLUSH_CACHE_GLOBAL:
        if (!pv_cache_control_permitted(d))
            return -XEN_EACCES;
        __asm__ volatile("wbinvd" ::: "memory");
        return 0;
    case MMUEXT_SET_LDT:
        return pv_set_ldt(v, op->arg1.linear_addr, op->arg2.nr_ents);
    case MMUEXT_CLEAR_PAGE:
        if (get_page_type(mfn, PGT_writable, owner))
            return -XEN_EINVAL;
        memset(pv_frame_ptr(mfn), 0, PAGE_SIZE);
        put_page_type(mfn);
        return 0;
    case MMUEXT_COPY_PAGE: {
        uint64_t src = op->arg2.src_mfn;
        if ((rc = get_page(src, owner)))
            return rc;
        if (get_page_type(mfn, PGT_writable, owner)) {
            put_page(src);
            return -XEN_EINVAL;
        }
        memcpy(pv_frame_ptr(mfn), pv_frame_ptr(src), PAGE_SIZE);
        put_page_type(mfn);
        put_page(src);
        return 0;
    }
    case MMUEXT_MARK_SUPER:
    case MMUEXT_UNMARK_SUPER:
        return -XEN_EOPNOTSUPP;
    default:
        return -XEN_ENOSYS;
    }
}

/* The batch from its first op not yet done, for v (current) of d; owner is held by the caller. */
static int64_t mmuext_batch(struct vcpu *v, struct domain *d, struct domain *owner, uint64_t uops, unsigned int count,
                            uint64_t pdone, uint32_t done, unsigned int foreigndom)
{
    int64_t rc = 0;
    for (unsigned int i = 0; i < count; i++) {
        if (hypercall_preempt_point(i)) {
            return batch_continue(__HYPERVISOR_mmuext_op, uops, sizeof(struct mmuext_op), i, count, pdone, done,
                                  foreigndom);
        }
        struct mmuext_op op;
        if (copy_from_guest(&op, uops + (uint64_t)i * sizeof(op), sizeof(op))) {
            rc = -XEN_EFAULT;
            break;
        }
        rc = mmuext_one(v, d, owner, &op);
        if (rc == -XEN_ERESTART) {
            /* A pin or base pointer stopped validating halfway: this op again, later. */
            return batch_continue(__HYPERVISOR_mmuext_op, uops, sizeof(struct mmuext_op), i, count, pdone, done,
                                  foreigndom);
        }
        if (rc)
            break;
        done++;
    }
    if (pdone && copy_to_guest(pdone, &done, sizeof(done)))
        return rc ? rc : -XEN_EFAULT;
    return rc;
}

int64_t do_mmuext_op(uint64_t uops, unsigned int count, uint64_t pdone, unsigned int foreigndom)
{
    struct vcpu *v = current;
    struct domain *d = v->domain, *owner;
    uint32_t done;

    if (batch_resume(&count, pdone, &done))
        return -XEN_EFAULT;
    int err = owner_domain(d, foreigndom & 0xffff, &owner);
    if (err)
        return err;
    frame_lock_hypercall();
    int64_t rc = mmuext_batch(v, d, owner, uops, count, pdone, done, foreigndom);
    frame_unlock_hypercall();
    owner_put(d, owner);
    return rc;
}

void frame_drop_guest_use(uint64_t mfn)
{
    struct page_info *pg = pfn_to_page(mfn);
    pt_abandon_partial(mfn);
    if (pg->type_info & PGT_pinned) {
        pg->type_info &= ~PGT_pinned;
        put_page_type(mfn);
    }
}

/* Work arch_domain_relinquish does per call: a frame looked at costs 1, a page table emptied 64. */
#define RELMEM_BUDGET       2048
#define RELMEM_TABLE_COST   64

/* The vCPUs' references and the shared_info frame: a few frames, each released as its field is cleared. */
static void relinquish_vcpu(struct domain *d)
{
    struct vcpu *v;
    for_each_vcpu(d, v)
        arch_vcpu_release(v);
    pirq_eoi_frame_release(d);
    if (d->shared_info_mfn != INVALID_PFN) {
        pfn_t mfn = d->shared_info_mfn;
        struct page_info *pg = pfn_to_page(mfn);
        put_page_type(mfn);                 /* the builder's writable reference */
        d->shared_info_mfn = INVALID_PFN;
        d->shared_info = NULL;
        set_gpfn_from_mfn(mfn, ~0ull);
        pg->owner = pg->count ? PAGE_OWNER_ORPHAN : PAGE_OWNER_HYPERVISOR;
        if (!pg->count) {
            pg->type_info = PGT_none;
            free_frame(mfn);
        }
    }
}

/*
 * Passes over the page list: tables are emptied from L1 up, so no release
 * cascades beyond one table; then pins (on empty tables) and the vCPU's own
 * references go cheaply. The list does not change meanwhile: a stopped
 * domain's frames stay on it (pv_page_unreferenced) until the common walk.
 */
int arch_domain_relinquish(struct domain *d)
{
    struct arch_domain *a = &d->arch;
    unsigned int budget = RELMEM_BUDGET;
    if (!a->relmem) {
        a->relmem = RELMEM_l1;
        a->relmem_next = d->page_list;
    }
    while (a->relmem < RELMEM_vcpus) {
        while (a->relmem_next != INVALID_PFN) {
            if (budget < RELMEM_TABLE_COST)
                return -XEN_ERESTART;
            pfn_t pfn = a->relmem_next;
            struct page_info *pg = pfn_to_page(pfn);
            a->relmem_next = pg->next == 0xffffffffu ? INVALID_PFN : pg->next;
            budget--;
            if (a->relmem == RELMEM_pins) {
                if (pg->type_info & PGT_pinned) {
                    pg->type_info &= ~PGT_pinned;
                    put_page_type(pfn);
                }
                continue;
            }
            unsigned int level = a->relmem - RELMEM_l1 + 1;
            if (page_type(pg) == PGT_l1 + level - 1) {
                pt_relinquish_table(pfn, level);
                budget -= RELMEM_TABLE_COST - 1;
            }
        }
        a->relmem++;
        a->relmem_next = d->page_list;
    }
    if (a->relmem == RELMEM_vcpus) {
        relinquish_vcpu(d);
        a->relmem = RELMEM_done;
    }
    return 0;
}
