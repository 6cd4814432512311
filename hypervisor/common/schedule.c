/*
 * Scheduling mechanism: vCPU states and runstate accounting, blocking and
 * waking, each CPU's slice timer, and asking the policy whom each CPU runs
 * next. One lock (sched_lock) serializes every policy call and every vCPU
 * state change, so the policy sees one consistent machine.
 *
 * A vCPU's registers live on at most one CPU: is_running is set while its
 * state is loaded there and cleared (after the save) when that CPU switches
 * away or goes idle. A CPU given a vCPU that another CPU is still saving
 * waits for is_running to clear. A woken or preempting vCPU reaches its CPU
 * through need_resched and an event-check IPI; the CPU acts on it on its
 * way back to a guest.
 */
#include <hv/arch.h>
#include <hv/cmdline.h>
#include <hv/event.h>
#include <hv/printk.h>
#include <hv/sched.h>
#include <hv/spinlock.h>

_Static_assert(MAX_DOMAINS * MAX_VCPUS <= SCHED_MAX_UNITS, "every vCPU must fit the policies");
_Static_assert(SCHED_MAX_CPUS >= NR_CPUS, "the policies schedule every CPU");

static char opt_sched[8] = "credit";
boot_param_string("sched", opt_sched);

static const struct sched_policy *policy = &sched_credit;
static DEFINE_SPINLOCK(sched_lock);

/* Per CPU: whom the policy chose for it, and its slice (its need_resched flag: arch_need_resched). */
struct sched_cpu {
    struct vcpu *picked;                /* what the policy last chose for this CPU (NULL: idle) */
    struct timer slice_timer;
    s_time_t last_pick;                 /* when picked (or idle) started */
};
static struct sched_cpu sched_cpus[NR_CPUS];

static struct sched_cpu *this_sched(void) { return &sched_cpus[smp_processor_id()]; }

static struct vcpu *unit_vcpu(struct sched_unit *u)
{
    return u ? (struct vcpu *)((char *)u - offsetof(struct vcpu, unit)) : NULL;
}

static void runstate_set(struct vcpu *v, int state, s_time_t now)
{
    struct vcpu_runstate_info *r = &v->runstate;
    r->time[r->state] += (uint64_t)(now - (s_time_t)r->state_entry_time);
    r->state = state;
    r->state_entry_time = (uint64_t)now;
}

uint64_t vcpu_running_time(const struct vcpu *v)
{
    uint64_t flags = local_irq_save();
    spin_lock(&sched_lock);
    uint64_t t = v->runstate.time[RUNSTATE_running];
    if (v->runstate.state == RUNSTATE_running)
        t += (uint64_t)(NOW() - (s_time_t)v->runstate.state_entry_time);
    spin_unlock(&sched_lock);
    local_irq_restore(flags);
    return t;
}

void vcpu_runstate_snapshot(const struct vcpu *v, struct vcpu_runstate_info *r)
{
    uint64_t flags = local_irq_save();
    spin_lock(&sched_lock);
    *r = v->runstate;
    spin_unlock(&sched_lock);
    local_irq_restore(flags);
}

/* cpu must pick again: on its way back to the guest (an IPI brings it there if it is another CPU). */
static void resched_cpu(unsigned int cpu)
{
    *arch_need_resched(cpu) = true;
    smp_send_event_check(cpu);
}

static void slice_expired(void *data)
{
    (void)data;
    *arch_this_need_resched() = true;
}

void sched_init(void)
{
    if (!strcmp(opt_sched, "rr"))
        policy = &sched_rr;
    else if (strcmp(opt_sched, "credit"))
        printk(LOG_WARN "sched: unknown policy '%s'; using credit\n", opt_sched);
    policy->init(NOW(), nr_cpus_online);
    for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++) {
        init_timer(&sched_cpus[cpu].slice_timer, slice_expired, NULL);
        sched_cpus[cpu].last_pick = NOW();
        if (cpu < nr_cpus_online)
            *arch_need_resched(cpu) = true;     /* nothing picked yet: the first exit asks the policy */
    }
    printk("sched: %s policy over %u CPU(s)\n", policy->name, nr_cpus_online);
}

void sched_add_vcpu(struct vcpu *v)
{
    static unsigned int next_id;
    uint64_t flags = local_irq_save();
    spin_lock(&sched_lock);
    if (!v->unit.weight)
        v->unit.weight = SCHED_DEFAULT_WEIGHT;
    v->unit.id = next_id++;
    v->unit.cpu = -1;
    v->runstate = (struct vcpu_runstate_info){ .state = RUNSTATE_offline, .state_entry_time = (uint64_t)NOW() };
    policy->add(&v->unit);
    spin_unlock(&sched_lock);
    local_irq_restore(flags);
}

static bool can_run(const struct vcpu *v)
{
    return v->state == VCPU_RUNNABLE && !v->pause_flags && v->domain->state == DOMAIN_RUNNING;
}

/* The CPU whose picked vCPU v is (its runstate is RUNSTATE_running), or -1. Under sched_lock. */
static int picked_on(const struct vcpu *v)
{
    for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++)
        if (sched_cpus[cpu].picked == v)
            return (int)cpu;
    return -1;
}

/* What v's runstate becomes when it stops running (or would be, not running). */
static int runstate_when_off(const struct vcpu *v)
{
    if (v->state == VCPU_RUNNABLE && !v->pause_flags && v->domain->state == DOMAIN_RUNNING)
        return RUNSTATE_runnable;
    return v->state == VCPU_BLOCKED && !v->pause_flags ? RUNSTATE_blocked : RUNSTATE_offline;
}

/* v may run now: tell the policy, and have the CPU it names pick again. Under sched_lock. */
static void make_runnable(struct vcpu *v)
{
    s_time_t now = NOW();
    if (picked_on(v) < 0)                   /* still on its CPU: it stays "running" */
        runstate_set(v, RUNSTATE_runnable, now);
    policy->wake(&v->unit, now);
    int cpu = policy->cpu_to_preempt(&v->unit);
    if (cpu >= 0)
        resched_cpu((unsigned int)cpu);
}

/*
 * v may no longer run: if a CPU runs it, that CPU picks again, and its
 * runstate changes there, when it really stops (a guest watching it from
 * another vCPU must not see it offline while it still runs). Under sched_lock.
 */
static void make_unrunnable(struct vcpu *v, int runstate)
{
    s_time_t now = NOW();
    policy->sleep(&v->unit, now);
    int cpu = picked_on(v);
    if (cpu >= 0)
        resched_cpu((unsigned int)cpu);
    else
        runstate_set(v, runstate, now);
}

#define WITH_SCHED_LOCK(body)                       \
    do {                                            \
        uint64_t flags_ = local_irq_save();         \
        spin_lock(&sched_lock);                     \
        body;                                       \
        spin_unlock(&sched_lock);                   \
        local_irq_restore(flags_);                  \
    } while (0)

void sched_vcpu_start(struct vcpu *v)
{
    WITH_SCHED_LOCK({
        ASSERT(v->state == VCPU_OFFLINE && v->initialised);
        v->pause_flags &= ~VPF_down;
        v->state = VCPU_RUNNABLE;
        if (!v->pause_flags)
            make_runnable(v);
    });
}

void sched_vcpu_stopped(struct vcpu *v)
{
    /* Killed, not just stopped: v may be inside a poll or set_singleshot_timer on another CPU right now. */
    kill_timer(&v->poll_timer);
    kill_timer(&v->singleshot_timer);
    kill_timer(&v->periodic_timer);
    WITH_SCHED_LOCK({
        if (v->state == VCPU_RUNNABLE && !v->pause_flags)
            make_unrunnable(v, RUNSTATE_offline);
        v->state = VCPU_OFFLINE;
        v->pause_flags |= VPF_down;
        policy->remove(&v->unit);
        for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++)
            if (sched_cpus[cpu].picked == v) {
                sched_cpus[cpu].picked = NULL;  /* gone for good: that CPU's next pick has no prev */
                runstate_set(v, RUNSTATE_offline, NOW());
                resched_cpu(cpu);
            }
    });
    if (v == current)
        *arch_this_need_resched() = true;
}

void sched_yield(void)
{
    /*
     * One CPU and nobody waiting: a pick would return the yielding vCPU (its
     * slice timer still ends the slice), so none is made. With several CPUs
     * every yield picks: a vCPU yielding while it waits for a partner on
     * another CPU must let that CPU's events in, and under QEMU's icount
     * (CPUs run in turn) the pick's timer reprogramming is what ends this
     * CPU's turn; skipping it made bench-xdom's yield ping-pong wait 10 ms.
     */
    if (nr_cpus_online > 1 || policy->any_waiting())
        *arch_this_need_resched() = true;
}

void vcpu_block(struct vcpu *v)
{
    bool woke_at_once = false;
    WITH_SCHED_LOCK({
        v->state = VCPU_BLOCKED;
        __atomic_thread_fence(__ATOMIC_SEQ_CST);    /* against a sender setting bits, then reading state */
        if (vcpu_should_wake(v)) {
            v->state = VCPU_RUNNABLE;
            vcpu_set_polling(v, false);
            woke_at_once = true;
        } else if (!v->pause_flags) {
            make_unrunnable(v, RUNSTATE_blocked);
        }
    });
    /* A poll that ends here stops its own timeout: the vCPU itself, so it cannot be a later poll's. */
    if (woke_at_once)
        stop_timer(&v->poll_timer);
}

void vcpu_wake(struct vcpu *v)
{
    /*
     * Most events find their vCPU awake: no lock then. A vCPU about to block
     * marks itself blocked before it looks for events (vcpu_block), and the
     * sender set its bits before looking here, so one of the two sees the
     * other. The fence orders the sender's last store (upcall_pending, a
     * plain one) before this load, as the lock did.
     */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (__atomic_load_n(&v->state, __ATOMIC_RELAXED) != VCPU_BLOCKED)
        return;
    WITH_SCHED_LOCK({
        if (v->state == VCPU_BLOCKED) {
            vcpu_set_polling(v, false);
            v->state = VCPU_RUNNABLE;
            if (!v->pause_flags)
                make_runnable(v);
        }
    });
    /*
     * The poll's timer is left to run out (poll_timeout then finds nothing
     * due): stopped from here, after the lock, it could be the timeout of
     * the vCPU's next poll, armed meanwhile on another CPU, and that poll
     * would block for good.
     */
}

void vcpu_kick_slow(struct vcpu *v)
{
    vcpu_wake(v);
    /* Running elsewhere: that CPU delivers the upcall on its way back to v. */
    if (v->is_running && v->processor != smp_processor_id())
        smp_send_event_check(v->processor);
}

void vcpu_pause_flag_set(struct vcpu *v, unsigned int flag)
{
    WITH_SCHED_LOCK({
        if (!(v->pause_flags & flag)) {
            if (v->state == VCPU_RUNNABLE && !v->pause_flags)
                make_unrunnable(v, RUNSTATE_offline);
            v->pause_flags |= flag;
        }
    });
}

void vcpu_pause_flag_clear(struct vcpu *v, unsigned int flag)
{
    WITH_SCHED_LOCK({
        if (v->pause_flags & flag) {
            v->pause_flags &= ~flag;
            if (v->state == VCPU_RUNNABLE && !v->pause_flags)
                make_runnable(v);
        }
    });
}

/* New weight and cap take effect at the policy's next decision. */
void sched_set_params(struct vcpu *v, uint32_t weight, uint32_t cap)
{
    WITH_SCHED_LOCK({
        v->unit.weight = weight;
        v->unit.cap = cap;
    });
}

bool sched_poll_matches(const struct vcpu *v, unsigned int port)
{
    for (unsigned int i = 0; i < v->nr_poll_ports; i++)
        if (v->poll_ports[i] == port)
            return true;
    return false;
}

bool sched_should_preempt(void)
{
    /* Hypercalls run with interrupts off: the slice's end is read off the clock (first: nothing to keep across it). */
    s_time_t now = NOW();
    const struct sched_cpu *sc = this_sched();
    return *arch_this_need_resched() || (sc->slice_timer.active && now >= sc->slice_timer.expires);
}

/* The slow path of sched_pick: ask the policy, switch runstates, idle while nobody can run. */
static __noinline struct vcpu *sched_pick_slow(void)
{
    unsigned int cpu = smp_processor_id();
    struct sched_cpu *sc = &sched_cpus[cpu];

    for (;;) {
        local_irq_disable();
        spin_lock(&sched_lock);
        s_time_t now = NOW(), slice;
        struct vcpu *prev = sc->picked;
        if (prev && prev->unit.cpu != (int)cpu)
            prev = NULL;                    /* removed from the policy since (its domain stopped) */
        struct vcpu *next = unit_vcpu(policy->pick(cpu, prev ? &prev->unit : NULL, now - sc->last_pick, now, &slice));
        *arch_this_need_resched() = false;
        sc->last_pick = now;
        if (prev && prev != next)
            runstate_set(prev, runstate_when_off(prev), now);
        if (prev && prev != next && can_run(prev)) {
            /* Sent back to wait: another CPU may be idle and should take it. */
            int other = policy->cpu_to_preempt(&prev->unit);
            if (other >= 0)
                resched_cpu((unsigned int)other);   /* (this CPU: it picks again on its way out) */
        }
        if (next && next != prev)
            runstate_set(next, RUNSTATE_running, now);
        sc->picked = next;
        if (next)
            next->processor = cpu;
        spin_unlock(&sched_lock);
        set_timer(&sc->slice_timer, now + slice);
        if (next) {
            /* Its last CPU may still be saving its registers. */
            while (next != current && __atomic_load_n(&next->is_running, __ATOMIC_ACQUIRE))
                arch_spin_wait();
            return next;
        }
        if (current)
            arch_context_switch(current, NULL);    /* idle: nothing of a vCPU stays live here */
        safe_halt();                        /* an interrupt may wake someone */
        local_irq_disable();
    }
}

struct vcpu *sched_pick(void)
{
    struct vcpu *v = current;
    if (likely(v && sched_goes_on(v)))     /* (not that it is picked: another CPU may be taking it away this moment) */
        return v;
    return sched_pick_slow();
}

void sched_dump(void)
{
    uint64_t flags = local_irq_save();
    spin_lock(&sched_lock);
    for (unsigned int cpu = 0; cpu < nr_cpus_online; cpu++) {
        const struct vcpu *p = sched_cpus[cpu].picked;
        printk("cpu %u: %s%s\n", cpu, p ? p->domain->name : "idle", *arch_need_resched(cpu) ? ", must pick" : "");
    }
    for (unsigned int i = 0; i < MAX_DOMAINS; i++) {
        const struct domain *d = &domains[i];
        const struct vcpu *v;
        if (d->state == DOMAIN_FREE)
            continue;
        for_each_vcpu(d, v)
            printk("  d%uv%u: state %d pause %#x %s on cpu %u (policy: cpu %d, %s)\n", d->id, v->id, v->state,
                   v->pause_flags, v->is_running ? "loaded" : "not loaded", v->processor, v->unit.cpu,
                   v->unit.runnable ? "runnable" : "not runnable");
    }
    spin_unlock(&sched_lock);
    local_irq_restore(flags);
}
