/* Round-robin scheduling of runnable vCPUs with a fixed time slice. */
#include <hv/printk.h>
#include <hv/sched.h>
#include <asm/cpu.h>

static unsigned int slice_left;
static bool need_resched;

void sched_vcpu_start(struct vcpu *v)
{
    v->state = VCPU_RUNNABLE;
}

void sched_vcpu_stopped(struct vcpu *v)
{
    v->state = VCPU_OFFLINE;
    if (v == current)
        need_resched = true;
}

void sched_yield(void)
{
    need_resched = true;
}

bool sched_should_preempt(void)
{
    return need_resched;
}

void sched_tick(void)
{
    if (slice_left && --slice_left == 0)
        need_resched = true;
}

/* The next runnable vCPU after current, in domain order, or NULL. */
static struct vcpu *next_runnable(void)
{
    unsigned int start = current ? current->domain->id + 1u : 0;
    for (unsigned int i = 0; i < MAX_DOMAINS; i++) {
        struct domain *d = &domains[(start + i) % MAX_DOMAINS];
        if (d->state == DOMAIN_RUNNING && d->vcpu[0].state == VCPU_RUNNABLE)
            return &d->vcpu[0];
    }
    return NULL;
}

struct vcpu *sched_pick(void)
{
    if (current && current->state == VCPU_RUNNABLE && !need_resched)
        return current;
    for (;;) {
        local_irq_disable();
        struct vcpu *next = next_runnable();
        if (next) {
            need_resched = false;
            slice_left = SCHED_SLICE_TICKS;
            return next;
        }
        if (!domains_alive())
            panic("no domain left to run");
        safe_halt();        /* an interrupt may wake someone */
    }
}
