/* vcpu_op and set_timer_op: vCPU state, runstate, one-shot and periodic timers, vcpu_info placement. */
#include <hv/event.h>
#include <hv/hypercall.h>
#include <hv/sched.h>
#include <hv/arch.h>
#include <hv/frame.h>
#include <public/errno.h>
#include <public/sched.h>

#define MIN_PERIOD      MILLISECS(1)
#define DEFAULT_PERIOD  MILLISECS(10)       /* Xen gives PV vCPUs a 100 Hz periodic timer */

static void singleshot_fired(void *data)
{
    send_guest_vcpu_virq(data, VIRQ_TIMER);
}

static void periodic_fired(void *data)
{
    struct vcpu *v = data;
    send_guest_vcpu_virq(v, VIRQ_TIMER);
    set_timer_periodic(&v->periodic_timer, v->periodic_period);
}

/*
 * Ends a poll that is due only. The timer may be left from an earlier poll
 * that an event ended (vcpu_wake does not stop it): a vCPU that has since
 * blocked without polling (SCHEDOP_block), or polls again with a later or
 * no deadline, is not its business.
 */
static void poll_timeout(void *data)
{
    struct vcpu *v = data;
    if (!__atomic_load_n(&v->polling, __ATOMIC_ACQUIRE))
        return;
    s_time_t due = __atomic_load_n(&v->poll_deadline, __ATOMIC_RELAXED);
    if (due && due <= NOW())
        vcpu_wake(v);
}

void vcpu_timers_init(struct vcpu *v)
{
    init_timer(&v->poll_timer, poll_timeout, v);
    init_timer(&v->singleshot_timer, singleshot_fired, v);
    init_timer(&v->periodic_timer, periodic_fired, v);
    v->periodic_period = DEFAULT_PERIOD;
    set_timer(&v->periodic_timer, NOW() + DEFAULT_PERIOD);
}

/*
 * set_timer_op(timeout): VIRQ_TIMER at absolute system time timeout; 0
 * cancels. As Xen's do_set_timer_op (common/sched/core.c): a deadline that
 * is negative as s_time_t, or 2^50 ns (13 days) or more away, is taken for
 * a guest's wrapped clock arithmetic and fires 100 ms from now.
 */
#define HUGE_TIMEOUT_OFFSET (1ll << 50)
#define HUGE_TIMEOUT_DELAY  MILLISECS(100)

int64_t do_set_timer_op(uint64_t timeout)
{
    struct vcpu *v = current;
    s_time_t when = (s_time_t)timeout, now = NOW();
    if (!timeout)
        stop_timer(&v->singleshot_timer);
    else if (when < 0 || when - now >= HUGE_TIMEOUT_OFFSET)
        set_timer(&v->singleshot_timer, now + HUGE_TIMEOUT_DELAY);
    else
        set_timer(&v->singleshot_timer, when);
    return 0;
}

static int64_t register_vcpu_info(struct vcpu *v, uint64_t arg)
{
    struct vcpu_register_vcpu_info r;
    if (copy_from_guest(&r, arg, sizeof(r)))
        return -XEN_EFAULT;
    if (r.rsvd || v->vcpu_info_mfn)
        return -XEN_EINVAL;
    if (r.offset > PAGE_SIZE - sizeof(struct vcpu_info))
        return -XEN_ENXIO;                  /* as Xen: the vcpu_info would cross the page */
    if (v != current && !(v->pause_flags & VPF_down))
        return -XEN_EINVAL;                 /* as Xen: on itself, or on a vCPU that is down */
    /* Held writable for as long as it holds the vcpu_info. */
    if (get_page_type(r.mfn, PGT_writable, v->domain))
        return -XEN_EINVAL;
    struct vcpu_info *new = (struct vcpu_info *)((uint8_t *)__va(r.mfn << PAGE_SHIFT) + r.offset);
    *new = *v->vcpu_info;
    /* As Xen: every selector bit set, so the guest rescans all its pending words. */
    new->evtchn_pending_sel = ~0ull;
    new->evtchn_upcall_pending = 1;
    v->vcpu_info = new;
    v->vcpu_info_mfn = r.mfn;
    return 0;
}

/* With VMASST_TYPE_runstate_update_flag, the byte of state_entry_time that holds XEN_RUNSTATE_UPDATE. */
#define RUNSTATE_UPDATE_BYTE (offsetof(struct vcpu_runstate_info, state_entry_time) + sizeof(uint64_t) - 1)

static bool runstate_write(const struct vcpu *v, struct vcpu_runstate_info r)
{
    uint64_t gva = v->runstate_guest;
    bool flag = v->domain->vm_assist & (1ull << VMASST_TYPE_runstate_update_flag);
    uint8_t top;
    /* As Xen: the flag goes up before the copy is rewritten and down after, each a one-byte store. */
    if (flag) {
        r.state_entry_time |= XEN_RUNSTATE_UPDATE;
        top = (uint8_t)(r.state_entry_time >> 56);
        (void)copy_to_guest(gva + RUNSTATE_UPDATE_BYTE, &top, 1);
        __atomic_thread_fence(__ATOMIC_RELEASE);   /* stores stay in order (x86: a compiler barrier) */
    }
    bool ok = !copy_to_guest(gva, &r, sizeof(r));
    if (flag) {
        r.state_entry_time &= ~XEN_RUNSTATE_UPDATE;
        top = (uint8_t)(r.state_entry_time >> 56);
        __atomic_thread_fence(__ATOMIC_RELEASE);   /* stores stay in order (x86: a compiler barrier) */
        (void)copy_to_guest(gva + RUNSTATE_UPDATE_BYTE, &top, 1);
    }
    return ok;
}

bool vcpu_runstate_update_guest(const struct vcpu *v)
{
    if (!v->runstate_guest)
        return true;
    struct vcpu_runstate_info r;
    vcpu_runstate_snapshot(v, &r);
    return runstate_write(v, r);
}

/* v's runstate with the time spent so far in its current state added, as Xen's vcpu_runstate_get. */
static struct vcpu_runstate_info runstate_now(const struct vcpu *v)
{
    struct vcpu_runstate_info r;
    vcpu_runstate_snapshot(v, &r);
    s_time_t delta = NOW() - (s_time_t)r.state_entry_time;
    if (delta > 0)
        r.time[r.state] += (uint64_t)delta;
    return r;
}

/*
 * VCPUOP_register_runstate_memory_area: as Xen, the address must lie in the
 * guest's range (-EFAULT) but need not be mapped; it is written at once (a
 * fault ignored) and then at every switch to and from the vCPU. 0 unregisters.
 */
static int64_t register_runstate_area(struct vcpu *v, uint64_t arg)
{
    struct vcpu_register_runstate_memory_area area;
    if (copy_from_guest(&area, arg, sizeof(area)))
        return -XEN_EFAULT;
    if (!guest_range_ok(area.addr, sizeof(struct vcpu_runstate_info)))
        return -XEN_EFAULT;
    v->runstate_guest = area.addr;
    if (area.addr) {
        struct vcpu_runstate_info r;
        if (v == current)
            vcpu_runstate_snapshot(v, &r);
        else
            r = runstate_now(v);
        (void)runstate_write(v, r);
    }
    return 0;
}

/* VCPUOP_initialise: the first context of a vCPU that never had one (Xen's default_initialise_vcpu). */
static int64_t initialise(struct vcpu *v, uint64_t arg)
{
    static struct vcpu_guest_context ctx[NR_CPUS];  /* 5 KiB each: off the stack, one per CPU */
    struct vcpu_guest_context *c = &ctx[smp_processor_id()];

    if (copy_from_guest(c, arg, sizeof(*c)))
        return -XEN_EFAULT;
    frame_lock();
    int rc = v->initialised ? -XEN_EEXIST : arch_set_vcpu_context(v, c);
    if (!rc)
        v->initialised = true;
    frame_unlock();
    if (rc == -XEN_ERESTART)
        return hypercall_continue(__HYPERVISOR_vcpu_op, VCPUOP_initialise, v->id, arg, 0, 0);
    return rc;
}

/* VCPUOP_up: a vCPU with a context runs (from where it stopped, if it went down). */
static int64_t vcpu_up(struct vcpu *v)
{
    if (!v->initialised)
        return -XEN_EINVAL;
    if (!(v->pause_flags & VPF_down))
        return 0;
    if (v->state == VCPU_OFFLINE) {
        vcpu_timers_init(v);                /* its first start */
        sched_vcpu_start(v);
    } else {
        vcpu_pause_flag_clear(v, VPF_down);
    }
    return 0;
}

/* VCPUOP_down: as Xen, the domain's last vCPU going down powers the domain off. */
static int64_t vcpu_down(struct vcpu *v)
{
    struct domain *d = v->domain;
    struct vcpu *o;
    bool others_up = false;
    for_each_vcpu(d, o)
        if (o != v && !(o->pause_flags & VPF_down))
            others_up = true;
    if (!others_up) {
        domain_shutdown(d, SHUTDOWN_poweroff);
        return 0;
    }
    vcpu_pause_flag_set(v, VPF_down);
    return 0;
}

int64_t do_vcpu_op(unsigned int cmd, unsigned int vcpuid, uint64_t arg)
{
    struct domain *d = current->domain;
    if (vcpuid >= d->max_vcpus)
        return -XEN_ENOENT;
    struct vcpu *v = d->vcpu[vcpuid];

    switch (cmd) {
    case VCPUOP_is_up:
        return !(v->pause_flags & VPF_down);
    case VCPUOP_up:
        return vcpu_up(v);
    case VCPUOP_down:
        return vcpu_down(v);
    case VCPUOP_initialise:
        return initialise(v, arg);
    case VCPUOP_get_runstate_info: {
        struct vcpu_runstate_info r = runstate_now(v);
        r.state_entry_time = (uint64_t)NOW();
        return copy_to_guest(arg, &r, sizeof(r));
    }
    case VCPUOP_register_runstate_memory_area:
        return register_runstate_area(v, arg);
    case VCPUOP_set_periodic_timer: {
        struct vcpu_set_periodic_timer p;
        if (copy_from_guest(&p, arg, sizeof(p)))
            return -XEN_EFAULT;
        if (p.period_ns < MIN_PERIOD || p.period_ns > (uint64_t)SECONDS(3600))
            return -XEN_EINVAL;
        v->periodic_period = (s_time_t)p.period_ns;
        set_timer(&v->periodic_timer, NOW() + v->periodic_period);
        return 0;
    }
    case VCPUOP_stop_periodic_timer:
        stop_timer(&v->periodic_timer);
        return 0;
    case VCPUOP_set_singleshot_timer: {
        struct vcpu_set_singleshot_timer t;
        if (v != current)
            return -XEN_EINVAL;
        if (copy_from_guest(&t, arg, sizeof(t)))
            return -XEN_EFAULT;
        /*
         * VCPU_SSHOTTMR_future is ignored, as by Xen 4.17: a past deadline
         * (any value of 2^63 or more is negative as s_time_t) fires at once.
         */
        set_timer(&v->singleshot_timer, (s_time_t)t.timeout_abs_ns);
        return 0;
    }
    case VCPUOP_stop_singleshot_timer:
        if (v != current)
            return -XEN_EINVAL;
        stop_timer(&v->singleshot_timer);
        return 0;
    case VCPUOP_register_vcpu_info: {
        frame_lock();
        int64_t rc = register_vcpu_info(v, arg);
        frame_unlock();
        return rc;
    }
    default:
        return -XEN_ENOSYS;
    }
}
