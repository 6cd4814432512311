/* Domain lifecycle: creation, memory ownership, shutdown and crash. */
#include <hv/domain.h>
#include <hv/event.h>
#include <hv/frame.h>
#include <hv/spinlock.h>
#include <hv/hypercall.h>
#include <hv/machine.h>
#include <hv/printk.h>
#include <hv/sched.h>
#include <hv/arch.h>
#include <public/errno.h>
#include <public/sched.h>

struct domain domains[MAX_DOMAINS];
struct domain *dom0;
#define NO_PAGE 0xffffffffu                 /* end of a page list */
uint64_t frames_free_before_domains;

/*
 * vCPUs come from a pool with a row per domain slot, so a domain's vCPUs
 * live exactly as long as its slot and never count as frames lent to it.
 */
static struct vcpu vcpu_pool[MAX_DOMAINS][MAX_VCPUS];

static struct vcpu *vcpu_create(struct domain *d, unsigned int id)
{
    struct vcpu *v = &vcpu_pool[d->id][id];
    memset(v, 0, sizeof(*v));
    v->domain = d;
    v->id = id;
    v->state = VCPU_OFFLINE;
    v->pause_flags = VPF_down;
    if (arch_vcpu_create(v))
        return NULL;
    return v;
}

static void domain_free_vcpus(struct domain *d)
{
    for (unsigned int i = 0; i < d->max_vcpus; i++)
        if (d->vcpu[i])
            arch_vcpu_destroy(d->vcpu[i]);
    d->max_vcpus = 0;
}

struct domain *domain_create(const char *name, bool privileged, unsigned int max_vcpus)
{
    if (!max_vcpus || max_vcpus > MAX_VCPUS)
        return NULL;
    for (unsigned int i = 0; i < MAX_DOMAINS; i++) {
        struct domain *d = &domains[i];
        if (d->state != DOMAIN_FREE)
            continue;
        memset(d, 0, sizeof(*d));
        d->id = (domid_t)i;
        str_copy(d->name, name, sizeof(d->name));
        d->privileged = privileged;
        d->state = DOMAIN_RUNNING;
        d->shutdown_code = -1;
        d->page_list = INVALID_PFN;
        d->shared_info_mfn = INVALID_PFN;
        for (d->max_vcpus = 0; d->max_vcpus < max_vcpus; d->max_vcpus++)
            if (!(d->vcpu[d->max_vcpus] = vcpu_create(d, d->max_vcpus)))
                goto fail;
        if (arch_domain_create(d) || evtchn_init(d))
            goto fail;
        struct vcpu *v;
        for_each_vcpu(d, v)
            sched_add_vcpu(v);
        if (i == 0)
            dom0 = d;
        return d;
    fail:
        domain_free_vcpus(d);
        d->state = DOMAIN_FREE;
        return NULL;
    }
    return NULL;
}

void domain_adopt_page(struct domain *d, pfn_t pfn)
{
    /* Never hand a guest another owner's old contents. */
    memset(__va(pfn << PAGE_SHIFT), 0, PAGE_SIZE);
    struct page_info *pg = pfn_to_page(pfn);
    pg->owner = d->id;
    pg->prev = NO_PAGE;
    pg->next = d->page_list == INVALID_PFN ? NO_PAGE : (uint32_t)d->page_list;
    if (d->page_list != INVALID_PFN)
        pfn_to_page(d->page_list)->prev = (uint32_t)pfn;
    d->page_list = pfn;
    d->tot_pages++;
}

pfn_t domain_alloc_page(struct domain *d)
{
    if (d->tot_pages >= d->max_pages)
        return INVALID_PFN;
    pfn_t pfn = alloc_frame();
    if (pfn != INVALID_PFN)
        domain_adopt_page(d, pfn);
    return pfn;
}

/* Unlinks pfn from d's page list. */
static void unlink_page(struct domain *d, pfn_t pfn)
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

void domain_release_page(struct domain *d, pfn_t pfn)
{
    struct page_info *pg = pfn_to_page(pfn);
    unlink_page(d, pfn);
    pg->owner = PAGE_OWNER_HYPERVISOR;
    pg->type_info = PGT_none;
    free_frame(pfn);
}

/*
 * Returns every frame of d: first the domain drops its own references
 * (pins, base pointers), which cascades through its page tables; a frame
 * still referenced after that (mapped by dom0) becomes an orphan, freed
 * with its last reference. Frames d gave back (XENMEM_decrease_reservation)
 * whose last reference goes in that cascade stay on the list until the walk
 * (pv_page_unreferenced), so the count taken first still matches the list.
 */
static void domain_free_pages(struct domain *d)
{
    uint64_t freed = 0, orphaned = 0, owned = d->tot_pages;
    arch_domain_relinquish(d);
    while (d->page_list != INVALID_PFN) {
        pfn_t pfn = d->page_list;
        struct page_info *pg = pfn_to_page(pfn);
        unlink_page(d, pfn);
        set_gpfn_from_mfn(pfn, ~0ull);
        if (pg->count) {
            pg->owner = PAGE_OWNER_ORPHAN;
            orphaned++;
            continue;
        }
        pg->owner = PAGE_OWNER_HYPERVISOR;
        pg->type_info = PGT_none;
        free_frame(pfn);
        freed++;
    }
    if (d->shared_info_mfn != INVALID_PFN) {
        struct page_info *pg = pfn_to_page(d->shared_info_mfn);
        pg->owner = pg->count ? PAGE_OWNER_ORPHAN : PAGE_OWNER_HYPERVISOR;
        if (!pg->count) {
            pg->type_info = PGT_none;
            free_frame(d->shared_info_mfn);
        }
        d->shared_info_mfn = INVALID_PFN;
        d->shared_info = NULL;
    }
    /* Our invariant, not the guest's: nothing a guest does takes a frame off this list during teardown. */
    if (d->tot_pages || freed + orphaned != owned)
        panic("domain %s: page list out of step with its count (%llu owned)", d->name, (unsigned long long)owned);
    if (orphaned)
        printk(LOG_WARN "domain %u (%s): %llu frames still referenced by other domains; freed when released\n",
               d->id, d->name, (unsigned long long)orphaned);
}

static const char *reason_name(unsigned int reason)
{
    static const char *const names[] = { "poweroff", "reboot", "suspend", "crash", "watchdog", "soft_reset" };
    return reason < ARRAY_SIZE(names) ? names[reason] : "unknown";
}

unsigned int domains_alive(void)
{
    unsigned int n = 0;
    for (unsigned int i = 0; i < MAX_DOMAINS; i++)
        n += domains[i].state == DOMAIN_RUNNING;
    return n;
}

/*
 * Waits until no other CPU has one of d's vCPUs loaded (they are stopped,
 * so each CPU switches away on its way back to a guest). The caller holds
 * no lock; the wait answers TLB shootdowns like a spinning lock does.
 */
static void wait_vcpus_off_cpus(struct domain *d)
{
    struct vcpu *v;
    for_each_vcpu(d, v)
        while (v != current && __atomic_load_n(&v->is_running, __ATOMIC_ACQUIRE))
            arch_spin_wait();
}

void domain_shutdown(struct domain *d, unsigned int reason)
{
    ASSERT(!frame_lock_held());
    /* One CPU wins the shutdown; others asking at the same time find it done. */
    enum domain_state running = DOMAIN_RUNNING;
    if (!__atomic_compare_exchange_n(&d->state, &running, DOMAIN_DYING, false, __ATOMIC_SEQ_CST,
                                     __ATOMIC_SEQ_CST))
        return;
    d->shutdown_reason = reason;

    struct vcpu *v;
    for_each_vcpu(d, v)
        sched_vcpu_stopped(v);
    wait_vcpus_off_cpus(d);
    frame_lock();
    arch_audit_frames(d->name);               /* the counts, while every reference still stands */
    frame_unlock();
    uint64_t pages = d->tot_pages;
    evtchn_destroy(d);
    printk("domain %u (%s): %llu page-table updates, %llu hypercall continuations\n", d->id, d->name,
           (unsigned long long)d->pt_updates, (unsigned long long)d->continuations);
    arch_domain_teardown(d);
    frame_lock();
    domain_free_pages(d);
    frame_unlock();
    __atomic_store_n(&d->state, DOMAIN_SHUTDOWN, __ATOMIC_SEQ_CST);
    if (d->shutdown_code >= 0)
        printk("domain %u (%s): shut down: %s (reason %u, code %d); %llu frames returned\n", d->id, d->name,
               reason_name(reason), reason, d->shutdown_code, (unsigned long long)pages);
    else
        printk("domain %u (%s): shut down: %s (reason %u); %llu frames returned\n", d->id, d->name,
               reason_name(reason), reason, (unsigned long long)pages);

    if (is_dom0(d)) {
        /* The machine goes down with dom0: destroy the rest and account for every frame. */
        for (unsigned int i = 0; i < MAX_DOMAINS; i++)
            if (domains[i].state == DOMAIN_RUNNING) {
                printk("domain %u (%s): destroyed with dom0\n", domains[i].id, domains[i].name);
                domain_shutdown(&domains[i], SHUTDOWN_poweroff);
            }
        /* Another CPU may still be returning a domain's memory (it shut down on its own meanwhile). */
        for (unsigned int i = 0; i < MAX_DOMAINS; i++)
            while (__atomic_load_n(&domains[i].state, __ATOMIC_ACQUIRE) == DOMAIN_DYING)
                arch_spin_wait();
        uint64_t now = page_alloc_free_count();
        if (now == frames_free_before_domains)
            printk("memory: every frame given to domains came back (%llu free)\n", (unsigned long long)now);
        else
            printk(LOG_ERR "memory: LEAK: %lld frames missing after every domain was destroyed\n",
                   (long long)(frames_free_before_domains - now));
        switch (reason) {
        case SHUTDOWN_poweroff:
            printk("dom0 powered off; powering off the machine\n");
            machine_exit(MACHINE_EXIT_POWEROFF);
        case SHUTDOWN_reboot:
            printk("dom0 asked for a reboot; ending the machine\n");
            machine_exit(MACHINE_EXIT_REBOOT);
        default:
            printk("dom0 stopped (%s); ending the machine\n", reason_name(reason));
            machine_exit(MACHINE_EXIT_CRASH);
        }
    }
    send_global_virq(VIRQ_DOM_EXC);         /* dom0's toolstack learns of it */
}

void domain_crash(struct domain *d, const char *fmt, ...)
{
    char why[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);

    printk(LOG_ERR "domain %u (%s) crashed: %s\n", d->id, d->name, why);
    /* The vCPU that broke the rules, when it is the one running here. */
    arch_show_guest_state(current && current->domain == d ? current : d->vcpu[0]);
    domain_shutdown(d, SHUTDOWN_crash);
}

/* VM assists a 64-bit PV guest may switch; the others are refused. */
#define VMASST_VALID ((1ull << VMASST_TYPE_4gb_segments) | (1ull << VMASST_TYPE_4gb_segments_notify) | \
                      (1ull << VMASST_TYPE_writable_pagetables) | (1ull << VMASST_TYPE_pae_extended_cr3) | \
                      (1ull << VMASST_TYPE_architectural_iopl) | (1ull << VMASST_TYPE_runstate_update_flag) | \
                      (1ull << VMASST_TYPE_m2p_strict))

int64_t do_vm_assist(unsigned int cmd, unsigned int type)
{
    struct domain *d = current->domain;
    if (type >= 64 || !(VMASST_VALID & (1ull << type)))
        return -XEN_EINVAL;
    switch (cmd) {
    case VMASST_CMD_enable:
        d->vm_assist |= 1ull << type;
        return 0;
    case VMASST_CMD_disable:
        d->vm_assist &= ~(1ull << type);
        return 0;
    default:
        return -XEN_ENOSYS;
    }
}
