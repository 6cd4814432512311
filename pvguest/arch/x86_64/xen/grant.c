/*
 * Grant tables, the granting and mapping halves the split drivers use
 * (xen/services.h): our table (v1) set up on first use and mapped into
 * kernel virtual memory, a free list of references, the v1 protocol for
 * granting and ending a grant, and host mappings of other domains' grants.
 */
#include <mm.h>
#include <pagetable.h>
#include <spinlock.h>
#include <xen/services.h>
#include <public/errno.h>
#include <public/event_channel.h>
#include <public/grant_table.h>
#include "xen.h"

#define GRANT_FRAMES    XENPV_GRANT_FRAMES
#define PER_FRAME       (PAGE_SIZE / sizeof(struct grant_entry_v1))
#define NR_REFS         XENPV_GRANT_REFS
#define REF_FREE_END    0xffffffffu

static struct grant_entry_v1 *frames[GRANT_FRAMES];
static grant_ref_t next_free[NR_REFS];                  /* free list through the free entries */
static grant_ref_t free_head = REF_FREE_END;
static unsigned int nr_free;
static bool table_ready;
static spinlock_t grant_lock;                           /* the free list and table_ready */

static int64_t gnttab_op(unsigned int cmd, void *arg, unsigned int count)
{
    return hypercall3(__HYPERVISOR_grant_table_op, cmd, arg, count);
}

/* Our table: setup_table gives its frames, which we map writable (they are shared with us). */
static int table_init(void)
{
    uint64_t mfns[GRANT_FRAMES];
    struct gnttab_setup_table st = { .dom = DOMID_SELF, .nr_frames = GRANT_FRAMES, .frame_list = (uint64_t)mfns };
    int64_t rc = gnttab_op(GNTTABOP_setup_table, &st, 1);
    if (rc || st.status != GNTST_okay) {
        printk("pvguest: grant_table_op(setup_table, %u frames): %lld, status %d\n", GRANT_FRAMES, (long long)rc,
               st.status);
        return rc ? (int)rc : -XEN_EINVAL;
    }
    for (unsigned int i = 0; i < GRANT_FRAMES; i++) {
        frames[i] = xenpv_map_foreign(DOMID_SELF, mfns[i], true);
        if (!frames[i])
            return -XEN_ENOMEM;
    }
    /* References below GNTTAB_NR_RESERVED_ENTRIES belong to the toolstack (console, xenstore). */
    for (grant_ref_t r = NR_REFS; r-- > GNTTAB_NR_RESERVED_ENTRIES;) {
        next_free[r] = free_head;
        free_head = r;
        nr_free++;
    }
    return 0;
}

static struct grant_entry_v1 *entry(grant_ref_t ref) { return &frames[ref / PER_FRAME][ref % PER_FRAME]; }

int xenpv_grant_access(domid_t dom, uint64_t pfn, bool readonly)
{
    unsigned long f = spin_lock_irqsave(&grant_lock);
    if (!table_ready) {
        int rc = table_init();
        if (rc) {
            spin_unlock_irqrestore(&grant_lock, f);
            return rc;
        }
        table_ready = true;
    }
    grant_ref_t ref = free_head;
    if (ref == REF_FREE_END) {
        spin_unlock_irqrestore(&grant_lock, f);
        return -XEN_ENOSPC;
    }
    free_head = next_free[ref];
    nr_free--;
    /* Granted before the lock goes: under it, a reference is on the free list or granted (xenpv_grant_ref_check). */
    struct grant_entry_v1 *e = entry(ref);
    e->frame = (uint32_t)pfn_to_mfn(pfn);
    e->domid = dom;
    __atomic_thread_fence(__ATOMIC_RELEASE);            /* frame and domid before the flags that enable them */
    __atomic_store_n(&e->flags, (uint16_t)(GTF_permit_access | (readonly ? GTF_readonly : 0)), __ATOMIC_RELAXED);
    spin_unlock_irqrestore(&grant_lock, f);
    return (int)ref;
}

/*
 * Disables entry ref (flags 0) while the hypervisor says nobody maps or
 * copies it (it sets reading/writing under its own cmpxchg): 0 with the flags
 * it had in *was, -EBUSY while in use, -EINVAL for a bad reference.
 */
static int disable_entry(grant_ref_t ref, uint16_t *was)
{
    if (!table_ready || ref < GNTTAB_NR_RESERVED_ENTRIES || ref >= NR_REFS)
        return -XEN_EINVAL;
    struct grant_entry_v1 *e = entry(ref);
    uint16_t flags = __atomic_load_n(&e->flags, __ATOMIC_RELAXED);
    do {
        if (flags & (GTF_reading | GTF_writing))
            return -XEN_EBUSY;
    } while (!__atomic_compare_exchange_n(&e->flags, &flags, 0, false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED));
    *was = flags;
    return 0;
}

int xenpv_grant_end_access(grant_ref_t ref)
{
    uint16_t was;
    int rc = disable_entry(ref, &was);
    if (rc)
        return rc;
    if (!(was & GTF_permit_access))
        return -XEN_EINVAL;     /* not granted (ended already): on the free list once, not twice */
    unsigned long f = spin_lock_irqsave(&grant_lock);
    next_free[ref] = free_head;
    free_head = ref;
    nr_free++;
    spin_unlock_irqrestore(&grant_lock, f);
    return 0;
}

/*
 * The same frame and rights for another domain (a back end that moved to a
 * new domain): only while nobody maps or copies it, as end_access; the entry
 * is disabled while its domid changes so no one sees the mix.
 */
int xenpv_grant_retarget(grant_ref_t ref, domid_t dom)
{
    uint16_t was;
    int rc = disable_entry(ref, &was);
    if (rc)
        return rc;
    struct grant_entry_v1 *e = entry(ref);
    e->domid = dom;
    __atomic_thread_fence(__ATOMIC_RELEASE);            /* the domid before the flags that enable it */
    __atomic_store_n(&e->flags, was, __ATOMIC_RELAXED);
    return was & GTF_permit_access ? 0 : -XEN_EINVAL;   /* an entry not granted stays as it was: not ours to move */
}

unsigned int xenpv_grant_free_refs(void)
{
    return table_ready ? nr_free : NR_REFS - GNTTAB_NR_RESERVED_ENTRIES;
}

unsigned int xenpv_grant_ref_check(grant_ref_t ref, bool *granted)
{
    unsigned int times = 0;
    unsigned long f = spin_lock_irqsave(&grant_lock);
    *granted = table_ready && ref < NR_REFS &&
               (__atomic_load_n(&entry(ref)->flags, __ATOMIC_RELAXED) & GTF_permit_access);
    if (table_ready)
        for (grant_ref_t r = free_head, n = 0; r != REF_FREE_END && n <= NR_REFS; r = next_free[r], n++)
            times += r == ref;
    spin_unlock_irqrestore(&grant_lock, f);
    return times;
}

static unsigned int maps_in_use;        /* grants of other domains we map now (atomic) */

unsigned int xenpv_grant_maps_in_use(void)
{
    return __atomic_load_n(&maps_in_use, __ATOMIC_RELAXED);
}

int xenpv_grant_map(domid_t dom, grant_ref_t ref, bool readonly, struct xenpv_grant_map *m)
{
    void *va = vm_alloc(1, VM_RESERVE);
    if (!va)
        return -XEN_ENOMEM;
    if (!pt_walk(kernel_root_pfn, (uintptr_t)va, 1, true)) {       /* the L1 the hypervisor writes into */
        vm_free(va);
        return -XEN_ENOMEM;
    }
    struct gnttab_map_grant_ref op = { .host_addr = (uint64_t)va, .ref = ref, .dom = dom,
                                       .flags = GNTMAP_host_map | (readonly ? GNTMAP_readonly : 0) };
    int64_t rc = gnttab_op(GNTTABOP_map_grant_ref, &op, 1);
    if (rc || op.status != GNTST_okay) {
        vm_free(va);
        return rc ? (int)rc : op.status;                /* a GNTST_* code (negative) */
    }
    *m = (struct xenpv_grant_map){ .va = va, .handle = op.handle, .dom = dom, .ref = ref };
    __atomic_add_fetch(&maps_in_use, 1, __ATOMIC_RELAXED);
    return 0;
}

int xenpv_grant_unmap(struct xenpv_grant_map *m)
{
    struct gnttab_unmap_grant_ref op = { .host_addr = (uint64_t)m->va, .handle = m->handle };
    int64_t rc = gnttab_op(GNTTABOP_unmap_grant_ref, &op, 1);
    if (rc || op.status != GNTST_okay)
        return rc ? (int)rc : op.status;
    pv_flush_page((uintptr_t)m->va);
    vm_free(m->va);
    m->va = NULL;
    __atomic_sub_fetch(&maps_in_use, 1, __ATOMIC_RELAXED);
    return 0;
}

#define DEV_CHUNK 32u                       /* map or unmap ops a hypercall (1 KiB of stack) */

int xenpv_grant_unmap_dev(const grant_handle_t *handles, const uint64_t *maddr, unsigned int n)
{
    struct gnttab_unmap_grant_ref op[DEV_CHUNK];
    int first = 0;
    for (unsigned int at = 0; at < n; at += DEV_CHUNK) {
        unsigned int k = MIN(n - at, DEV_CHUNK);
        for (unsigned int i = 0; i < k; i++)
            op[i] = (struct gnttab_unmap_grant_ref){ .dev_bus_addr = maddr[at + i], .handle = handles[at + i] };
        int64_t rc = gnttab_op(GNTTABOP_unmap_grant_ref, op, k);
        for (unsigned int i = 0; i < k && !first; i++)
            first = rc ? (int)rc : op[i].status;
    }
    return first;
}

int xenpv_grant_map_dev(domid_t dom, const grant_ref_t *refs, unsigned int n, bool readonly, grant_handle_t *handles,
                        uint64_t *maddr)
{
    struct gnttab_map_grant_ref op[DEV_CHUNK];
    for (unsigned int at = 0; at < n; at += DEV_CHUNK) {
        unsigned int k = MIN(n - at, DEV_CHUNK);
        for (unsigned int i = 0; i < k; i++)
            op[i] = (struct gnttab_map_grant_ref){ .ref = refs[at + i], .dom = dom,
                                                   .flags = GNTMAP_device_map | (readonly ? GNTMAP_readonly : 0) };
        int64_t rc = gnttab_op(GNTTABOP_map_grant_ref, op, k);
        int first = (int)rc;
        unsigned int ok = 0;
        for (unsigned int i = 0; i < k && !rc; i++) {
            if (op[i].status == GNTST_okay)
                handles[at + ok] = op[i].handle, maddr[at + ok] = op[i].dev_bus_addr, ok++;
            else if (!first)
                first = op[i].status;
        }
        if (first) {
            /* All or nothing: what this and the earlier hypercalls mapped is undone. */
            xenpv_grant_unmap_dev(handles, maddr, at + ok);
            return first;
        }
    }
    return 0;
}

int xenpv_grant_copy(struct gnttab_copy *ops, unsigned int n)
{
    int64_t rc = gnttab_op(GNTTABOP_copy, ops, n);
    if (rc)
        return (int)rc;
    for (unsigned int i = 0; i < n; i++)
        if (ops[i].status != GNTST_okay)
            return ops[i].status;
    return 0;
}

uint64_t xenpv_virt_to_mfn(const void *va)
{
    return pfn_to_mfn(virt_to_pfn(va));
}

/* Our id: the hypervisor names DOMID_SELF's real id as the remote end of a port we offer ourselves (as Xen). */
domid_t xenpv_domid(void)
{
    static int cached = -1;
    if (cached >= 0)
        return (domid_t)cached;
    struct evtchn_alloc_unbound a = { .dom = DOMID_SELF, .remote_dom = DOMID_SELF };
    int64_t rc = hypercall2(__HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound, &a);
    if (rc)
        xen_hypercall_failed(__HYPERVISOR_event_channel_op, rc, "EVTCHNOP_alloc_unbound, {DOMID_SELF, DOMID_SELF}");
    struct evtchn_status st = { .dom = DOMID_SELF, .port = a.port };
    rc = hypercall2(__HYPERVISOR_event_channel_op, EVTCHNOP_status, &st);
    struct evtchn_close c = { .port = a.port };
    hypercall2(__HYPERVISOR_event_channel_op, EVTCHNOP_close, &c);
    if (rc || st.status != EVTCHNSTAT_unbound)
        panic("pvguest: the status of our own unbound port %u: %lld, status %u", a.port, (long long)rc, st.status);
    cached = st.u.unbound.dom;
    return (domid_t)cached;
}
