/*
 * Domain lifecycle: creation, memory ownership, shutdown, destruction in
 * steps (the reaper), and crash. References and the lookup: domain_ref.c.
 */
#include <hv/arch.h>
#include <hv/domain.h>
#include <hv/event.h>
#include <hv/frame.h>
#include <hv/grant_table.h>
#include <hv/hypercall.h>
#include <hv/machine.h>
#include <hv/printk.h>
#include <hv/sched.h>
#include <hv/spinlock.h>
#include <hv/watchdog.h>
#include <public/errno.h>
#include <public/sched.h>

struct domain *dom0;
#define NO_PAGE 0xffffffffu                 /* end of a page list */
uint64_t frames_free_before_domains;

/* Frames the page-list walk returns per step of destruction. */
#define FREE_BATCH      256
/* Other domains' time between two steps of destruction. */
#define REAP_GAP        (MILLISECS(1) / 4)

/*
 * vCPUs come from a pool with a row per domain slot, so a domain's vCPUs
 * live exactly as long as its slot and never count as frames lent to it.
 */
static struct vcpu vcpu_pool[MAX_DOMAINS][MAX_VCPUS];

static struct vcpu *vcpu_create(struct domain *d, unsigned int id)
{
    struct vcpu *v = &vcpu_pool[d->id][id];
    /* The slot's last domain was destroyed: none of its timers may still be on a CPU's list (killed at its shutdown). */
    if (v->poll_timer.active || v->singleshot_timer.active || v->periodic_timer.active)
        panic("domain %u: vCPU %u's slot still has a timer armed by its last domain", d->id, id);
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

struct domain *domain_create(const char *name, unsigned int rights, unsigned int max_vcpus)
{
    if (!max_vcpus || max_vcpus > MAX_VCPUS)
        return NULL;
    struct domain *d = domain_claim_slot();
    if (!d)
        return NULL;
    str_copy(d->name, name, sizeof(d->name));
    d->rights = rights & DOMAIN_RIGHTS_ALL;
    d->shutdown_code = -1;
    d->page_list = INVALID_PFN;
    d->shared_info_mfn = INVALID_PFN;
    d->arch.relmem_next = INVALID_PFN;
    for (d->max_vcpus = 0; d->max_vcpus < max_vcpus; d->max_vcpus++)
        if (!(d->vcpu[d->max_vcpus] = vcpu_create(d, d->max_vcpus)))
            goto fail;
    if (arch_domain_create(d) || evtchn_init(d))
        goto fail;
    watchdog_init(d);
    struct vcpu *v;
    for_each_vcpu(d, v)
        sched_add_vcpu(v);
    if (d->id == 0)
        dom0 = d;
    domain_publish(d);
    return d;
fail:
    domain_free_vcpus(d);
    domain_unclaim(d);
    return NULL;
}

void domain_free(struct domain *d)
{
    printk(LOG_DEBUG "domain %u (%s): freed; its id may be reused\n", d->id, d->name);
}

void domain_ref_bug(const struct domain *d, const char *what)
{
    panic("domain %u (%s): %s", d->id, d->name, what);
}

void domain_adopt_page(struct domain *d, pfn_t pfn)
{
    /* Never hand a guest another owner's old contents. */
    arch_clear_frames(pfn, 1);
    domain_relink_page(d, pfn);
}

void domain_relink_page(struct domain *d, pfn_t pfn)
{
    struct page_info *pg = pfn_to_page(pfn);
    pg->owner = d->id;
    pg->prev = NO_PAGE;
    pg->next = d->page_list == INVALID_PFN ? NO_PAGE : (uint32_t)d->page_list;
    if (d->page_list != INVALID_PFN)
        pfn_to_page(d->page_list)->prev = (uint32_t)pfn;
    d->page_list = pfn;
    d->tot_pages++;
}

/* domain_relink_page of n frames from first, chained in order ahead of d's list in one pass. */
static void relink_extent(struct domain *d, pfn_t first, uint64_t n)
{
    struct page_info *pg = pfn_to_page(first);
    for (uint64_t i = 0; i < n; i++) {
        pg[i].owner = d->id;
        pg[i].prev = i ? (uint32_t)(first + i - 1) : NO_PAGE;
        pg[i].next = (uint32_t)(first + i + 1);
    }
    pg[n - 1].next = d->page_list == INVALID_PFN ? NO_PAGE : (uint32_t)d->page_list;
    if (d->page_list != INVALID_PFN)
        pfn_to_page(d->page_list)->prev = (uint32_t)(first + n - 1);
    d->page_list = first;
    d->tot_pages += n;
}

pfn_t domain_alloc_extent(struct domain *d, unsigned int order)
{
    if (domain_reservation(d) + (1ull << order) > d->max_pages)
        return INVALID_PFN;
    pfn_t first = alloc_frames(order);
    if (first == INVALID_PFN)
        return INVALID_PFN;
    /* As domain_adopt_page, but the whole extent cleared in one call (one DMA under QEMU). */
    arch_clear_frames(first, 1ull << order);
    page_alloc_split(first, order);
    relink_extent(d, first, 1ull << order);
    return first;
}

pfn_t domain_alloc_page(struct domain *d)
{
    return domain_alloc_extent(d, 0);
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

void domain_unlink_page(struct domain *d, pfn_t pfn) { unlink_page(d, pfn); }

void domain_release_page(struct domain *d, pfn_t pfn)
{
    struct page_info *pg = pfn_to_page(pfn);
    unlink_page(d, pfn);
    pg->owner = PAGE_OWNER_HYPERVISOR;
    pg->type_info = PGT_none;
    free_frame(pfn);
}

/*
 * One step of returning d's page list: frames still referenced (mapped by
 * another domain) become orphans, freed with their last reference; the
 * others go back to the allocator. -XEN_ERESTART while frames remain. Runs
 * after arch_domain_relinquish dropped d's own references, so the list no
 * longer changes (pv_page_unreferenced leaves a stopped domain's list alone).
 */
static int free_pages_step(struct domain *d)
{
    for (unsigned int n = 0; d->page_list != INVALID_PFN; n++) {
        if (n == FREE_BATCH)
            return -XEN_ERESTART;
        pfn_t pfn = d->page_list;
        struct page_info *pg = pfn_to_page(pfn);
        unlink_page(d, pfn);
        set_gpfn_from_mfn(pfn, ~0ull);
        if (pg->count) {
            pg->owner = PAGE_OWNER_ORPHAN;
            d->frames_orphaned++;
            continue;
        }
        pg->owner = PAGE_OWNER_HYPERVISOR;
        pg->type_info = PGT_none;
        free_frame(pfn);
        d->frames_freed++;
    }
    return 0;
}

static const char *reason_name(unsigned int reason)
{
    static const char *const names[] = { "poweroff", "reboot", "suspend", "crash", "watchdog", "soft_reset" };
    return reason < ARRAY_SIZE(names) ? names[reason] : "unknown";
}

/* Memory returned: the record stays (getdomaininfo) and dom0 hears of it. */
static void destruction_done(struct domain *d)
{
    uint64_t owned = d->frames_at_shutdown;
    /* Our invariant, not the guest's: nothing a guest does takes a frame off this list during teardown. */
    if (d->tot_pages || d->frames_freed + d->frames_orphaned != owned)
        panic("domain %s: page list out of step with its count (%llu owned)", d->name, (unsigned long long)owned);
    if (d->frames_orphaned)
        printk(LOG_WARN "domain %u (%s): %llu frames still referenced by other domains; freed when released\n",
               d->id, d->name, (unsigned long long)d->frames_orphaned);
    if (d->shutdown_code >= 0)
        printk("domain %u (%s): shut down: %s (reason %u, code %d); %llu frames returned\n", d->id, d->name,
               reason_name(d->shutdown_reason), d->shutdown_reason, d->shutdown_code, (unsigned long long)owned);
    else
        printk("domain %u (%s): shut down: %s (reason %u); %llu frames returned\n", d->id, d->name,
               reason_name(d->shutdown_reason), d->shutdown_reason, (unsigned long long)owned);
    __atomic_store_n(&d->state, DOMAIN_SHUTDOWN, __ATOMIC_RELEASE);
    if (!is_dom0(d))
        send_global_virq(VIRQ_DOM_EXC);     /* dom0's toolstack learns of it */
}

/* True while a CPU still has one of d's vCPUs loaded (stopped, it switches away on its way out). */
static bool vcpus_loaded(const struct domain *d)
{
    const struct vcpu *v;
    for_each_vcpu(d, v)
        if (__atomic_load_n(&v->is_running, __ATOMIC_ACQUIRE) && v != current)
            return true;
    return false;
}

/*
 * One bounded step of destroying a stopped domain, under the frame lock;
 * -XEN_ERESTART while there is more. Several CPUs may step the same domain
 * (the reaper, the end of the machine): the lock orders them, and a step
 * after the last does nothing.
 */
static int destruction_step(struct domain *d)
{
    if (!d->destruction_started) {
        /* Its vCPUs are off every CPU now: nothing of it changes any more but what we undo. */
        evtchn_destroy(d);
        d->frames_at_shutdown = d->tot_pages;
        d->destruction_started = true;
    }
    frame_lock();
    int rc = 0;
    if (d->state == DOMAIN_RELINQUISHING) {
        rc = gnttab_relinquish(d);          /* its grant mappings, before the frames they hold go */
        if (!rc)
            rc = arch_domain_relinquish(d);
        if (!rc)
            rc = free_pages_step(d);
        if (!rc)
            destruction_done(d);
    }
    frame_unlock();
    return rc;
}

/* Runs d's destruction to its end, where nothing needs to run in between (no lock held). */
static void destroy_now(struct domain *d)
{
    while (vcpus_loaded(d))
        arch_spin_wait();
    while (destruction_step(d) == -XEN_ERESTART)
        ;
}

/*
 * The reaper: destruction goes on from the timer interrupt, one step per
 * stopped domain at a time, with REAP_GAP of guest time between steps.
 */
static struct timer reaper;

static void reap(void *unused)
{
    (void)unused;
    bool more = false;
    for (unsigned int i = 0; i < MAX_DOMAINS; i++) {
        struct domain *d = &domains[i];
        if (d->state != DOMAIN_RELINQUISHING)
            continue;
        /* Not while a vCPU of it is still loaded on another CPU: try again at the next step. */
        if (vcpus_loaded(d) || destruction_step(d) == -XEN_ERESTART)
            more = true;
    }
    if (more)
        set_timer(&reaper, NOW() + REAP_GAP);
}

/* dom0 is gone: finish every destruction now, free every domain, account for every frame, end the machine. */
static __noreturn void end_machine(unsigned int reason)
{
    for (unsigned int i = 0; i < MAX_DOMAINS; i++)
        if (domains[i].state == DOMAIN_RUNNING) {
            printk("domain %u (%s): destroyed with dom0\n", domains[i].id, domains[i].name);
            domain_shutdown(&domains[i], SHUTDOWN_poweroff);
        }
    stop_timer(&reaper);
    for (unsigned int i = 0; i < MAX_DOMAINS; i++)
        if (domains[i].state == DOMAIN_RELINQUISHING)
            destroy_now(&domains[i]);
    uint64_t now = page_alloc_free_count();
    if (now == frames_free_before_domains)
        printk("memory: every frame given to domains came back (%llu free)\n", (unsigned long long)now);
    else
        printk(LOG_ERR "memory: LEAK: %lld frames missing after every domain was destroyed\n",
               (long long)(frames_free_before_domains - now));

    /* The caller's own context may hold dom0 (a remote_shutdown of itself); every other domain must go. */
    unsigned int held = 0;
    for (unsigned int i = 0; i < MAX_DOMAINS; i++) {
        struct domain *d = &domains[i];
        if (d->state != DOMAIN_SHUTDOWN)
            continue;
        domain_kill(d);
        if (d != dom0 && d->state != DOMAIN_FREE) {
            printk(LOG_ERR "domains: LEAK: domain %u (%s) still has %u reference(s) after it was killed\n", d->id,
                   d->name, d->refcnt & ~DOMAIN_REF_DYING);
            held++;
        }
    }
    if (!held)
        printk("domains: every domain was freed, no reference left behind\n");

    switch (reason) {
    case SHUTDOWN_poweroff:
        printk("dom0 powered off; powering off the machine\n");
        machine_exit(MACHINE_EXIT_POWEROFF);
    case SHUTDOWN_reboot:
        printk("dom0 asked for a reboot; ending the machine\n");
        machine_exit(MACHINE_EXIT_REBOOT);
    case SHUTDOWN_watchdog:
        /* As Xen's hwdom_shutdown: a hung dom0 is restarted, not reported as a crash. */
        printk("dom0's watchdog expired; rebooting the machine\n");
        machine_exit(MACHINE_EXIT_REBOOT);
    default:
        printk("dom0 stopped (%s); ending the machine\n", reason_name(reason));
        machine_exit(MACHINE_EXIT_CRASH);
    }
}

void domain_shutdown(struct domain *d, unsigned int reason)
{
    ASSERT(!frame_lock_held());
    /* One CPU wins the shutdown; others asking at the same time find it done. */
    enum domain_state running = DOMAIN_RUNNING;
    if (!__atomic_compare_exchange_n(&d->state, &running, DOMAIN_RELINQUISHING, false, __ATOMIC_SEQ_CST,
                                     __ATOMIC_SEQ_CST))
        return;
    d->shutdown_reason = reason;
    watchdog_kill(d);

    /* Its vCPUs stop; those on other CPUs leave them on their way back to the guest. */
    struct vcpu *v;
    for_each_vcpu(d, v)
        sched_vcpu_stopped(v);
    frame_lock();
    arch_audit_frames(d->name);             /* the counts, while every reference still stands */
    frame_unlock();
    printk("domain %u (%s): %llu page-table updates, %llu hypercall continuations\n", d->id, d->name,
           (unsigned long long)d->pt_updates, (unsigned long long)d->continuations);
    arch_domain_teardown(d);

    if (is_dom0(d))
        end_machine(reason);
    if (!current) {
        /* The boot builder (a domain it could not build): no guest runs yet, and interrupts are on. */
        destroy_now(d);
        return;
    }
    if (!reaper.fn)
        init_timer(&reaper, reap, NULL);
    if (!reaper.active)
        set_timer(&reaper, NOW());
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
