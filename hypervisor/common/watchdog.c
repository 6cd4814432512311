/*
 * Domain watchdogs: SCHEDOP_watchdog's timers, NR_DOMAIN_WATCHDOGS per
 * domain, each shutting its domain down with SHUTDOWN_watchdog unless the
 * guest re-arms it in time (Xen 4.17's domain_watchdog, common/sched/core.c).
 */
#include <hv/printk.h>
#include <hv/spinlock.h>
#include <hv/watchdog.h>
#include <public/errno.h>
#include <public/sched.h>

struct watchdog {
    struct timer timer;
    struct domain *domain;
    unsigned int id;                    /* as the guest names it: 1..NR_DOMAIN_WATCHDOGS */
};

/*
 * A row per domain slot, as the vCPU pool (domain.c): the timers outlive the
 * domain that armed them, so domain_claim_slot's zeroing of the next domain
 * in the slot never touches a timer, and watchdog_init can check that none
 * is still on a CPU's list.
 */
static struct domain_watchdogs {
    spinlock_t lock;                    /* in_use and the arming that goes with it; taken with
                                           interrupts off (a hypercall), above timers_lock */
    unsigned int in_use;                /* bit n: watchdog n + 1 exists */
    struct watchdog wd[NR_DOMAIN_WATCHDOGS];
} pool[MAX_DOMAINS];

static void fired(void *data)
{
    struct watchdog *w = data;
    struct domain *d = w->domain;
    /* Already going (its own shutdown, the other watchdog): its reason stands, and no line says otherwise. */
    if (__atomic_load_n(&d->state, __ATOMIC_ACQUIRE) != DOMAIN_RUNNING)
        return;
    printk(LOG_WARN "domain %u (%s): watchdog %u expired; shutting it down\n", d->id, d->name, w->id);
    domain_shutdown(d, SHUTDOWN_watchdog);
}

void watchdog_init(struct domain *d)
{
    struct domain_watchdogs *p = &pool[d->id];
    for (unsigned int i = 0; i < NR_DOMAIN_WATCHDOGS; i++) {
        struct watchdog *w = &p->wd[i];
        if (w->timer.active)
            panic("domain %u: watchdog %u of its slot still armed by its last domain", d->id, i + 1);
        init_timer(&w->timer, fired, w);
        w->domain = d;
        w->id = i + 1;
    }
    spin_lock_init(&p->lock);
    p->in_use = 0;
}

void watchdog_kill(struct domain *d)
{
    /* No lock: the callback takes none, and kill_timer alone keeps a racing arm from counting. */
    for (unsigned int i = 0; i < NR_DOMAIN_WATCHDOGS; i++)
        kill_timer(&pool[d->id].wd[i].timer);
}

int64_t watchdog_op(struct domain *d, uint32_t id, uint32_t timeout)
{
    struct domain_watchdogs *p = &pool[d->id];
    /* Checked before anything, as Xen: a large id is refused even when none is free. */
    if (id > NR_DOMAIN_WATCHDOGS)
        return -XEN_EINVAL;
    /* A 32-bit count of seconds is at most 136 years: NOW() plus it cannot overflow s_time_t. */
    s_time_t when = NOW() + SECONDS(timeout);
    int64_t rc = 0;

    spin_lock(&p->lock);
    if (id == 0) {
        rc = -XEN_ENOSPC;
        for (unsigned int i = 0; i < NR_DOMAIN_WATCHDOGS; i++) {
            if (p->in_use & (1u << i))
                continue;
            p->in_use |= 1u << i;
            /* Timeout 0 is armed too, for now: it fires at once, as on Xen. */
            set_timer(&p->wd[i].timer, when);
            rc = i + 1;
            break;
        }
    } else if (!(p->in_use & (1u << (id - 1)))) {
        rc = -XEN_EINVAL;
    } else if (timeout == 0) {
        /*
         * Waits for the callback if it runs on another CPU right now. That
         * CPU may be ending the machine for dom0 and wait for this vCPU to
         * leave its CPU: dom0 that destroys a watchdog at the very moment
         * it fires (from another CPU) can hang the machine instead of ending
         * it. dom0 is trusted, and only it ends the machine.
         */
        stop_timer(&p->wd[id - 1].timer);
        p->in_use &= ~(1u << (id - 1));
    } else {
        set_timer(&p->wd[id - 1].timer, when);
    }
    spin_unlock(&p->lock);
    return rc;
}
