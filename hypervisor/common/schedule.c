/*
 * Scheduling mechanism: vCPU states and runstate accounting, blocking and
 * waking, the slice timer, and asking the policy whom to run next.
 */
#include <hv/cmdline.h>
#include <hv/printk.h>
#include <hv/sched.h>
#include <hv/arch.h>

_Static_assert(MAX_DOMAINS <= SCHED_MAX_UNITS, "one unit per domain's vCPU must fit the policies");

static char opt_sched[8] = "credit";
boot_param_string("sched", opt_sched);

static const struct sched_policy *policy = &sched_credit;
static bool need_resched;
static struct timer slice_timer;
static s_time_t last_pick;              /* when the running vCPU (or idle) started */
static struct vcpu *picked;             /* what the policy last chose (NULL: idle) */

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
    uint64_t t = v->runstate.time[RUNSTATE_running];
    if (v->runstate.state == RUNSTATE_running)
        t += (uint64_t)(NOW() - (s_time_t)v->runstate.state_entry_time);
    return t;
}

static void slice_expired(void *data)
{
    (void)data;
    need_resched = true;
}

void sched_init(void)
{
    if (!strcmp(opt_sched, "rr"))
        policy = &sched_rr;
    else if (strcmp(opt_sched, "credit"))
        printk(LOG_WARN "sched: unknown policy '%s'; using credit\n", opt_sched);
    policy->init(NOW());
    init_timer(&slice_timer, slice_expired, NULL);
    last_pick = NOW();
    printk("sched: %s policy\n", policy->name);
}

void sched_add_vcpu(struct vcpu *v)
{
    static unsigned int next_id;
    if (!v->unit.weight)
        v->unit.weight = SCHED_DEFAULT_WEIGHT;
    v->unit.id = next_id++;
    v->runstate = (struct vcpu_runstate_info){ .state = RUNSTATE_offline, .state_entry_time = (uint64_t)NOW() };
    policy->add(&v->unit);
}

static bool can_run(const struct vcpu *v)
{
    return v->state == VCPU_RUNNABLE && !v->pause_flags && v->domain->state == DOMAIN_RUNNING;
}

/* v may run now: tell the policy, and preempt the running vCPU if it says so. */
static void make_runnable(struct vcpu *v)
{
    s_time_t now = NOW();
    runstate_set(v, RUNSTATE_runnable, now);
    policy->wake(&v->unit, now);
    if (policy->should_preempt(&v->unit, picked ? &picked->unit : NULL))
        need_resched = true;
}

static void make_unrunnable(struct vcpu *v, int runstate)
{
    s_time_t now = NOW();
    policy->sleep(&v->unit, now);
    runstate_set(v, runstate, now);
    if (v == current)
        need_resched = true;
}

void sched_vcpu_start(struct vcpu *v)
{
    ASSERT(v->state == VCPU_OFFLINE && v->initialised);
    v->pause_flags &= ~VPF_down;
    v->state = VCPU_RUNNABLE;
    if (!v->pause_flags)
        make_runnable(v);
}

void sched_vcpu_stopped(struct vcpu *v)
{
    stop_timer(&v->poll_timer);
    stop_timer(&v->singleshot_timer);
    stop_timer(&v->periodic_timer);
    if (v->state == VCPU_RUNNABLE && !v->pause_flags)
        make_unrunnable(v, RUNSTATE_offline);
    v->state = VCPU_OFFLINE;
    v->pause_flags |= VPF_down;
    if (picked == v)
        picked = NULL;
    policy->remove(&v->unit);
    if (v == current)
        need_resched = true;
}

void sched_yield(void)
{
    need_resched = true;
}

void vcpu_block(struct vcpu *v)
{
    v->state = VCPU_BLOCKED;
    if (!v->pause_flags)
        make_unrunnable(v, RUNSTATE_blocked);
}

void vcpu_wake(struct vcpu *v)
{
    if (v->state != VCPU_BLOCKED)
        return;
    v->polling = false;
    stop_timer(&v->poll_timer);
    v->state = VCPU_RUNNABLE;
    if (!v->pause_flags)
        make_runnable(v);
}

void vcpu_kick(struct vcpu *v)
{
    vcpu_wake(v);
}

void vcpu_pause_flag_set(struct vcpu *v, unsigned int flag)
{
    if (v->pause_flags & flag)
        return;
    if (v->state == VCPU_RUNNABLE && !v->pause_flags)
        make_unrunnable(v, RUNSTATE_offline);
    v->pause_flags |= flag;
}

void vcpu_pause_flag_clear(struct vcpu *v, unsigned int flag)
{
    if (!(v->pause_flags & flag))
        return;
    v->pause_flags &= ~flag;
    if (v->state == VCPU_RUNNABLE && !v->pause_flags)
        make_runnable(v);
}

/* New weight and cap take effect at the policy's next decision. */
void sched_set_params(struct vcpu *v, uint32_t weight, uint32_t cap)
{
    v->unit.weight = weight;
    v->unit.cap = cap;
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
    /* Hypercalls run with interrupts off: the slice's end is read off the clock. */
    return need_resched || (slice_timer.active && NOW() >= slice_timer.expires);
}

struct vcpu *sched_pick(void)
{
    if (current && can_run(current) && current == picked && !need_resched)
        return current;
    for (;;) {
        local_irq_disable();
        s_time_t now = NOW(), slice;
        struct vcpu *prev = picked;
        struct vcpu *next = unit_vcpu(policy->pick(prev ? &prev->unit : NULL, now - last_pick, now, &slice));
        need_resched = false;
        last_pick = now;
        if (prev && prev != next && can_run(prev))
            runstate_set(prev, RUNSTATE_runnable, now);
        if (next && next != prev)
            runstate_set(next, RUNSTATE_running, now);
        picked = next;
        set_timer(&slice_timer, now + slice);
        if (next)
            return next;
        if (!domains_alive())
            panic("no domain left to run");
        safe_halt();                        /* an interrupt may wake someone */
        local_irq_disable();
    }
}
