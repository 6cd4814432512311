/*
 * Multi-vCPU PV guests (issue 11): bringing vCPUs up and down, contexts the
 * hypervisor must refuse, vcpu_info placement, IPIs and events moved between
 * vCPUs, two vCPUs racing page-table updates, and a stale TLB entry on one vCPU
 * while the other retypes the frame. Needs vcpus=2 or more (its own command
 * line says how many, as the builder was told).
 */
#include "churn.h"
#include "events.h"
#include "exceptions.h"
#include "guest.h"
#include "hypercall.h"
#include "mm.h"
#include "smp.h"
#include <public/errno.h>
#include <public/memory.h>
#include <public/vcpu.h>

const char test_title[] = "smp: vCPUs up and down, contexts, vcpu_info, IPIs, races, stale TLBs";

#define RACE_VA   (GUEST_VIRT_BASE + 0x8000000ull)        /* 128 MiB up: free address space */
#define STALE_VA  (GUEST_VIRT_BASE + 0x8200000ull)        /* the frame vCPU 1 writes through */
#define STALE_RO  (STALE_VA + PAGE_SIZE)                  /* the same frame, read-only, for vCPU 0 */
#define NONCANONICAL 0x0000800000000000ull
#define SEL_RPL_MASK 3u

static unsigned int nr_vcpus;
static unsigned int ipi1_port;         /* an IPI port bound to vCPU 1 */

static struct vcpu_runstate_info runstate(unsigned int vcpu)
{
    struct vcpu_runstate_info r = { .state = -1 };
    vcpu_op(VCPUOP_get_runstate_info, vcpu, &r);
    return r;
}

static bool runstate_offline(const void *vcpu)
{
    return runstate(*(const unsigned int *)vcpu).state == RUNSTATE_offline;
}

static const char *test_setup(char *why, size_t len)
{
    int64_t rc;
    nr_vcpus = (unsigned int)guest_option_num("vcpus", 1);
    if (nr_vcpus < 2 || nr_vcpus > SMP_MAX_VCPUS)
        return fail(why, len, "vcpus=%u on the command line: this guest needs 2 to %u", nr_vcpus, SMP_MAX_VCPUS);
    if ((rc = exceptions_install()) || (rc = events_init_timer_quiet()))
        return fail(why, len, "setup: %lld", (long long)rc);
    if (ensure_l1(RACE_VA) || ensure_l1(STALE_VA))
        return fail(why, len, "could not build the L1 tables");
    /* A vCPU that was never brought up may already have ports bound to it. */
    struct evtchn_bind_ipi b = { .vcpu = 1 };
    if ((rc = evtchn_op(EVTCHNOP_bind_ipi, &b)))
        return fail(why, len, "bind_ipi on vCPU 1: %lld", (long long)rc);
    ipi1_port = b.port;
    return NULL;
}

/* Only vCPU 0 runs at start of day; vCPU ids at or past the domain's count do not exist. */
static const char *test_is_up_and_ids(char *why, size_t len)
{
    int64_t rc;
    if ((rc = vcpu_op(VCPUOP_is_up, 0, NULL)) != 1)
        return fail(why, len, "is_up(0) = %lld, want 1", (long long)rc);
    for (unsigned int v = 1; v < nr_vcpus; v++)
        if ((rc = vcpu_op(VCPUOP_is_up, v, NULL)) != 0)
            return fail(why, len, "is_up(%u) = %lld before it was brought up, want 0", v, (long long)rc);
    static const unsigned int cmds[] = { VCPUOP_is_up, VCPUOP_up, VCPUOP_down, VCPUOP_get_runstate_info };
    struct vcpu_runstate_info r;
    for (unsigned int i = 0; i < ARRAY_SIZE(cmds); i++)
        for (unsigned int v = nr_vcpus; v < nr_vcpus + 2; v++)
            if ((rc = vcpu_op(cmds[i], v, &r)) != -XEN_ENOENT)
                return fail(why, len, "vcpu_op %u on vCPU %u (domain has %u): %lld, want -ENOENT", cmds[i], v,
                            nr_vcpus, (long long)rc);
    struct vcpu_guest_context *c = &(struct vcpu_guest_context){ 0 };
    smp_good_context(c, 1);
    if ((rc = vcpu_op(VCPUOP_initialise, nr_vcpus, c)) != -XEN_ENOENT)
        return fail(why, len, "initialise vCPU %u: %lld, want -ENOENT", nr_vcpus, (long long)rc);
    if ((rc = vcpu_op(VCPUOP_is_up, 0xffffffffu, NULL)) != -XEN_ENOENT)
        return fail(why, len, "is_up(~0): %lld, want -ENOENT", (long long)rc);
    r = runstate(1);
    if (r.state != RUNSTATE_offline)
        return fail(why, len, "vCPU 1 never ran: runstate %d, want offline", r.state);
    return NULL;
}

static const char *test_up_uninitialised(char *why, size_t len)
{
    int64_t rc = vcpu_op(VCPUOP_up, 1, NULL);
    if (rc != -XEN_EINVAL)
        return fail(why, len, "up of an uninitialised vCPU: %lld, want -EINVAL", (long long)rc);
    if ((rc = vcpu_op(VCPUOP_is_up, 1, NULL)) != 0)
        return fail(why, len, "is_up(1) = %lld after the refused up", (long long)rc);
    return NULL;
}

/*
 * Each spoils one field of a good context; all are refused and leave vCPU 1
 * uninitialised. Selectors are not among them: Xen 4.17 raises an RPL 0 to 3
 * (test_bring_up) and does not look at the index at all. A cs past the end of
 * the GDT is accepted (0), and VCPUOP_up then crashes the domain when the
 * vCPU's first return to the guest faults ("d0v3 Unhandled: vec 13,
 * #GP[0800]", domain_crash_sync): that cannot be a case here.
 */
static void bad_rip(struct vcpu_guest_context *c) { c->user_regs.rip = NONCANONICAL; }
static void bad_rsp(struct vcpu_guest_context *c) { c->user_regs.rsp = NONCANONICAL; }
static void bad_kernel_sp(struct vcpu_guest_context *c) { c->kernel_sp = ~0ull << 48 >> 1; }
static void bad_event_cb(struct vcpu_guest_context *c) { c->event_callback_eip = NONCANONICAL | 0x1000; }
static void bad_trap(struct vcpu_guest_context *c)
{
    c->trap_ctxt[3] = (struct trap_info){ .vector = 3, .cs = FLAT_KERNEL_CS, .address = NONCANONICAL };
}
static void bad_ldt(struct vcpu_guest_context *c) { c->ldt_base = 0x123; c->ldt_ents = 1; }
static void cr3_foreign(struct vcpu_guest_context *c) { c->ctrlreg[3] = xen_pfn_to_cr3(1); }
static void cr3_past_ram(struct vcpu_guest_context *c) { c->ctrlreg[3] = xen_pfn_to_cr3(0xfffffffull); }
static void cr3_data(struct vcpu_guest_context *c) { c->ctrlreg[3] = xen_pfn_to_cr3(virt_to_mfn(&nr_vcpus)); }
static void cr3_l1(struct vcpu_guest_context *c) { c->ctrlreg[3] = xen_pfn_to_cr3(pte_maddr(RACE_VA, 1) >> 12); }
static void cr3_l2(struct vcpu_guest_context *c) { c->ctrlreg[3] = xen_pfn_to_cr3(pte_maddr(RACE_VA, 2) >> 12); }

static const struct { const char *what; void (*spoil)(struct vcpu_guest_context *); } bad_contexts[] = {
    { "non-canonical rip", bad_rip },
    { "non-canonical rsp", bad_rsp },
    { "non-canonical kernel_sp", bad_kernel_sp },
    { "non-canonical event callback", bad_event_cb },
    { "non-canonical trap handler", bad_trap },
    { "unaligned LDT base", bad_ldt },
    { "cr3: a frame that is not ours", cr3_foreign },
    { "cr3: past the end of RAM", cr3_past_ram },
    { "cr3: a writable data page", cr3_data },
    { "cr3: one of our L1 tables", cr3_l1 },
    { "cr3: one of our L2 tables", cr3_l2 },
};

static const char *test_initialise_refusals(char *why, size_t len)
{
    static struct vcpu_guest_context c;
    for (unsigned int i = 0; i < ARRAY_SIZE(bad_contexts); i++) {
        smp_good_context(&c, 1);
        bad_contexts[i].spoil(&c);
        int64_t rc = vcpu_op(VCPUOP_initialise, 1, &c);
        if (rc != -XEN_EINVAL)
            return fail(why, len, "%s: %lld, want -EINVAL", bad_contexts[i].what, (long long)rc);
        if ((rc = vcpu_op(VCPUOP_up, 1, NULL)) != -XEN_EINVAL)
            return fail(why, len, "after %s, up gave %lld: the context stuck", bad_contexts[i].what, (long long)rc);
    }
    if (vcpu_op(VCPUOP_initialise, 1, (void *)NONCANONICAL) != -XEN_EFAULT)
        return fail(why, len, "an unreadable context is not -EFAULT");
    return NULL;
}

/* What vCPU 1 saw of itself on its first job. */
static struct {
    volatile uint32_t running, release;
    uint32_t id;
    uint16_t cs, ss;
    int32_t own_state;
} hello;

static void job_hello(void *arg)
{
    (void)arg;
    hello.id = smp_this_vcpu();
    __asm__ volatile("mov %%cs, %0; mov %%ss, %1" : "=r"(hello.cs), "=r"(hello.ss));
    hello.own_state = runstate(hello.id).state;
    atomic_set(&hello.running, 1);
    smp_wait_eq(&hello.release, 1);
}

/*
 * The first initialise uses selectors with RPL 0: Xen does not refuse them but
 * raises them to RPL 3 (a PV kernel runs in ring 3), so vCPU 1 must run with
 * FLAT_KERNEL_CS and _SS. Then: is_up, the other vCPU's runstate, -EEXIST for
 * a second initialise while it is up, and offline once it took itself down.
 */
static const char *test_bring_up(char *why, size_t len)
{
    static struct vcpu_guest_context c;
    smp_good_context(&c, 1);
    c.user_regs.cs &= ~SEL_RPL_MASK;
    c.user_regs.ss &= ~SEL_RPL_MASK;
    c.kernel_ss &= ~SEL_RPL_MASK;
    int64_t rc = smp_initialise(1, &c);
    if (rc) {
        /* Go on with a good context, so that the cases after this one still run. */
        smp_good_context(&c, 1);
        smp_initialise(1, &c);
        return fail(why, len, "initialise with RPL 0 selectors: %lld, want 0 (raised to RPL 3)", (long long)rc);
    }
    if ((rc = vcpu_op(VCPUOP_is_up, 1, NULL)) != 0)
        return fail(why, len, "is_up(1) = %lld after initialise, before up", (long long)rc);
    smp_good_context(&c, 1);
    if ((rc = vcpu_op(VCPUOP_initialise, 1, &c)) != -XEN_EEXIST)
        return fail(why, len, "second initialise while down: %lld, want -EEXIST", (long long)rc);
    smp_good_context(&c, 1);
    c.user_regs.rip = NONCANONICAL;
    if ((rc = vcpu_op(VCPUOP_initialise, 1, &c)) != -XEN_EEXIST)
        return fail(why, len, "bad context on an initialised vCPU: %lld, want -EEXIST", (long long)rc);
    if ((rc = smp_run(1, job_hello, NULL)))
        return fail(why, len, "up: %lld", (long long)rc);
    if (!smp_wait_eq(&hello.running, 1))
        return fail(why, len, "vCPU 1 never ran its job");
    if ((rc = vcpu_op(VCPUOP_is_up, 1, NULL)) != 1)
        return fail(why, len, "is_up(1) = %lld while it runs", (long long)rc);
    if ((rc = vcpu_op(VCPUOP_initialise, 1, &c)) != -XEN_EEXIST)
        return fail(why, len, "initialise while up: %lld, want -EEXIST", (long long)rc);
    struct vcpu_runstate_info r = runstate(1);
    if (r.state != RUNSTATE_running && r.state != RUNSTATE_runnable)
        return fail(why, len, "vCPU 1 runs its job but its runstate is %d", r.state);
    atomic_set(&hello.release, 1);
    if (!smp_join(1))
        return fail(why, len, "vCPU 1 did not finish its job");
    if (hello.id != 1 || hello.own_state != RUNSTATE_running)
        return fail(why, len, "vCPU 1 saw itself as vCPU %u in runstate %d", hello.id, hello.own_state);
    if (hello.cs != FLAT_KERNEL_CS || hello.ss != FLAT_KERNEL_SS)
        return fail(why, len, "vCPU 1 runs with cs %#x ss %#x, want %#x %#x", hello.cs, hello.ss, FLAT_KERNEL_CS,
                    FLAT_KERNEL_SS);
    /* It takes itself down after its job. */
    if (!smp_wait_down(1))
        return fail(why, len, "vCPU 1 never went down after its job");
    unsigned int v1 = 1;
    if (!smp_wait_until(runstate_offline, &v1))
        return fail(why, len, "vCPU 1 is down but its runstate stays %d", runstate(1).state);
    if (runstate(1).time[RUNSTATE_running] == 0)
        return fail(why, len, "vCPU 1 ran but its runstate counts no running time");
    return NULL;
}

/* A job that counts until told to stop, noting each time it starts. */
static struct {
    volatile uint32_t starts, count, stop;
} spin;

static void job_spin(void *arg)
{
    (void)arg;
    atomic_inc(&spin.starts);
    while (!atomic_read(&spin.stop))
        atomic_inc(&spin.count);
}

/* Samples of the count taken this many yields apart must agree once vCPU 1 is down. */
#define STILL_ROUNDS 2000

/* VCPUOP_down from vCPU 0 stops vCPU 1 where it is; VCPUOP_up resumes it there. */
static const char *test_down_up_keeps_context(char *why, size_t len)
{
    unsigned int jobs = smp_jobs_done(1), v1 = 1;
    int64_t rc;
    if ((rc = smp_run(1, job_spin, NULL)))
        return fail(why, len, "run: %lld", (long long)rc);
    if (!smp_wait_ge(&spin.count, 1000))
        return fail(why, len, "vCPU 1 does not count");
    if ((rc = vcpu_op(VCPUOP_down, 1, NULL)))
        return fail(why, len, "down(1): %lld", (long long)rc);
    if ((rc = vcpu_op(VCPUOP_is_up, 1, NULL)) != 0)
        return fail(why, len, "is_up(1) = %lld right after down", (long long)rc);
    if (!smp_wait_until(runstate_offline, &v1))
        return fail(why, len, "vCPU 1 is down but its runstate stays %d", runstate(1).state);
    uint32_t before = atomic_read(&spin.count);
    for (unsigned int i = 0; i < STILL_ROUNDS; i++)
        hyp_sched_op(SCHEDOP_yield, NULL);
    uint32_t after = atomic_read(&spin.count);
    if (after != before)
        return fail(why, len, "vCPU 1 counted from %u to %u while down", before, after);
    if ((rc = vcpu_op(VCPUOP_up, 1, NULL)))
        return fail(why, len, "up(1): %lld", (long long)rc);
    if (!smp_wait_ge(&spin.count, after + 1000))
        return fail(why, len, "vCPU 1 did not go on counting after up");
    atomic_set(&spin.stop, 1);
    if (!smp_join(1))
        return fail(why, len, "vCPU 1 did not finish");
    if (spin.starts != 1 || smp_jobs_done(1) != jobs + 1)
        return fail(why, len, "the job started %u times and %u jobs finished: up restarted it", spin.starts,
                    smp_jobs_done(1) - jobs);
    return NULL;
}

static uint8_t vcpu1_info_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
#define VCPU1_INFO_OFFSET 128

static void job_until_released(void *arg) { smp_wait_eq(arg, 1); }

/*
 * vCPU 1's vcpu_info moves into one of our pages: refused while it runs (from
 * vCPU 0) and for an offset whose 64 bytes cross the page; accepted while it is
 * down; refused the second time. Events for vCPU 1 then land there, and not in
 * its shared_info slot.
 */
static const char *test_register_vcpu_info(char *why, size_t len)
{
    static volatile uint32_t release;
    int64_t rc;
    if ((rc = smp_run(1, job_until_released, (void *)&release)))
        return fail(why, len, "run: %lld", (long long)rc);
    rc = events_register_vcpu_info(1, vcpu1_info_page, VCPU1_INFO_OFFSET);
    atomic_set(&release, 1);
    if (!smp_join(1) || !smp_wait_down(1))
        return fail(why, len, "vCPU 1 did not finish");
    if (rc != -XEN_EINVAL)
        return fail(why, len, "registering for vCPU 1 while it runs: %lld, want -EINVAL", (long long)rc);
    if ((rc = events_register_vcpu_info(1, vcpu1_info_page, PAGE_SIZE - 32)) != -XEN_ENXIO)
        return fail(why, len, "an offset crossing the page: %lld, want -ENXIO", (long long)rc);
    if ((rc = events_register_vcpu_info(1, vcpu1_info_page, VCPU1_INFO_OFFSET)))
        return fail(why, len, "registering for vCPU 1 while down: %lld", (long long)rc);
    if ((rc = events_register_vcpu_info(1, vcpu1_info_page, 0)) != -XEN_EINVAL)
        return fail(why, len, "registering twice: %lld, want -EINVAL", (long long)rc);

    struct vcpu_info *moved = (struct vcpu_info *)(vcpu1_info_page + VCPU1_INFO_OFFSET), *slot = &shinfo->vcpu_info[1];
    if (events_vcpu_info(1) != moved)
        return fail(why, len, "the upcall handler does not follow the move");
    moved->evtchn_upcall_mask = 1;
    moved->evtchn_upcall_pending = 0;
    moved->evtchn_pending_sel = 0;
    slot->evtchn_upcall_pending = 0;
    slot->evtchn_pending_sel = 0;
    if ((rc = evtchn_send(ipi1_port)))
        return fail(why, len, "send: %lld", (long long)rc);
    uint64_t bit = 1ull << (ipi1_port / 64);
    if (!port_pending(ipi1_port) || !(moved->evtchn_pending_sel & bit) || moved->evtchn_upcall_pending != 1)
        return fail(why, len, "the moved vcpu_info shows sel %#llx upcall_pending %u",
                    (unsigned long long)moved->evtchn_pending_sel, moved->evtchn_upcall_pending);
    if (slot->evtchn_pending_sel || slot->evtchn_upcall_pending)
        return fail(why, len, "the event also landed in shared_info's slot for vCPU 1");
    port_clear(ipi1_port);
    moved->evtchn_pending_sel = 0;
    moved->evtchn_upcall_pending = 0;
    return NULL;
}

/* vCPU 1 takes its events and waits in SCHEDOP_block until `want` upcalls arrived. */
static struct {
    volatile uint32_t base, ready, want, blocks, cancel;
} wake;

static void job_take_events(void *arg)
{
    (void)arg;
    events_unmask();
    hyp_xen_version(XENVER_version, NULL);    /* anything left pending is taken now */
    atomic_set(&wake.base, atomic_read(&vcpu_upcalls[1]));
    atomic_set(&wake.ready, 1);
    for (unsigned long i = 0; i < SMP_WAIT_ROUNDS; i++) {
        /*
         * Masked while it looks: the last event taken between the look and
         * the block would leave vCPU 1 blocked with nothing left to wake it.
         * SCHEDOP_block unmasks, and does not block when an upcall is due.
         */
        events_mask();
        if (atomic_read(&vcpu_upcalls[1]) - wake.base >= atomic_read(&wake.want) || atomic_read(&wake.cancel))
            break;
        /* Alternate: blocked when the event comes, or busy on its CPU. */
        if (i % 2 == 0) {
            atomic_inc(&wake.blocks);
            hyp_sched_op(SCHEDOP_block, NULL);
        } else {
            events_unmask();
        }
    }
    events_mask();
}

/* After a failure: vCPU 1 stops waiting for events (an IPI wakes it to see that). */
static const char *stop_taking_events(const char *why)
{
    atomic_set(&wake.cancel, 1);
    evtchn_send(ipi1_port);
    smp_join(1);
    return why;
}

static const char *start_taking_events(unsigned int want)
{
    wake.ready = 0;
    wake.cancel = 0;
    wake.want = want;
    if (smp_run(1, job_take_events, NULL))
        return "could not run vCPU 1";
    if (!smp_wait_eq(&wake.ready, 1))
        return "vCPU 1 never got ready";
    return NULL;
}

/* An IPI from vCPU 0 wakes vCPU 1 from SCHEDOP_block and is taken there, once. */
static const char *test_ipi_wakes_blocked(char *why, size_t len)
{
    const char *err = start_taking_events(1);
    if (err)
        return fail(why, len, "%s", err);
    uint32_t up0 = vcpu_upcalls[0];
    if (!smp_wait_ge(&wake.blocks, 1))
        return stop_taking_events(fail(why, len, "vCPU 1 never blocked"));
    int64_t rc = evtchn_send(ipi1_port);
    if (rc)
        return stop_taking_events(fail(why, len, "send: %lld", (long long)rc));
    if (!smp_join(1))
        return fail(why, len, "vCPU 1 was not woken (blocked %u times, %u upcalls)", wake.blocks,
                    vcpu_upcalls[1] - wake.base);
    if (vcpu_upcalls[1] - wake.base != 1 || vcpu_last_port[1] != ipi1_port || vcpu_upcalls[0] != up0)
        return fail(why, len, "vCPU 1 took %u upcalls (last port %u, IPI port %u), vCPU 0 %u",
                    vcpu_upcalls[1] - wake.base, vcpu_last_port[1], ipi1_port, vcpu_upcalls[0] - up0);
    return NULL;
}

#define EVENT_ROUNDS 200

/* Events sent one at a time to vCPU 1, blocked or busy on its CPU: each arrives there. */
static bool port_taken(const void *arg)
{
    return !port_pending(*(const unsigned int *)arg);
}

static const char *test_events_to_other_cpu(char *why, size_t len)
{
    const char *err = start_taking_events(EVENT_ROUNDS);
    if (err)
        return fail(why, len, "%s", err);
    for (uint32_t i = 1; i <= EVENT_ROUNDS; i++) {
        int64_t rc = evtchn_send(ipi1_port);
        if (rc)
            return stop_taking_events(fail(why, len, "send %u: %lld", i, (long long)rc));
        if (!smp_wait_ge(&vcpu_upcalls[1], wake.base + i))
            return stop_taking_events(fail(why, len, "event %u never reached vCPU 1 (it blocked %u times)", i,
                                           wake.blocks));
        /*
         * The upcall counts itself before its scan clears the port: a send in
         * between would merge into this event (events coalesce), so the next
         * one waits for the port to be taken.
         */
        if (!smp_wait_until(port_taken, &ipi1_port))
            return stop_taking_events(fail(why, len, "vCPU 1 never cleared port %u after event %u", ipi1_port, i));
    }
    if (!smp_join(1))
        return fail(why, len, "vCPU 1 did not finish");
    if (vcpu_upcalls[1] - wake.base != EVENT_ROUNDS)
        return fail(why, len, "vCPU 1 took %u upcalls for %u events", vcpu_upcalls[1] - wake.base, EVENT_ROUNDS);
    printk("# vCPU 1 blocked %u times for %u events\n", wake.blocks, EVENT_ROUNDS);
    return NULL;
}

static int64_t bind_vcpu(unsigned int port, unsigned int vcpu)
{
    struct evtchn_bind_vcpu b = { .port = port, .vcpu = vcpu };
    return evtchn_op(EVTCHNOP_bind_vcpu, &b);
}

static int64_t port_vcpu(unsigned int port)
{
    struct evtchn_status st = { .dom = DOMID_SELF, .port = port };
    int64_t rc = evtchn_op(EVTCHNOP_status, &st);
    return rc ? rc : st.vcpu;
}

/*
 * Which ports may move (Xen's rules): unbound and interdomain ones may;
 * IPIs and per-vCPU VIRQs may not (-EINVAL); nor may anything move to a vCPU
 * that does not exist (-ENOENT) or a port that does not exist (-EINVAL). A
 * loopback interdomain port moved to vCPU 1 is then notified on vCPU 1.
 */
static const char *test_bind_vcpu(char *why, size_t len)
{
    int64_t rc;
    struct evtchn_bind_virq bv = { .virq = VIRQ_TIMER, .vcpu = 0 };
    if ((rc = evtchn_op(EVTCHNOP_bind_virq, &bv)))
        return fail(why, len, "bind VIRQ_TIMER: %lld", (long long)rc);
    if ((rc = bind_vcpu(bv.port, 1)) != -XEN_EINVAL)
        return fail(why, len, "moving VIRQ_TIMER: %lld, want -EINVAL", (long long)rc);
    if ((rc = bind_vcpu(ipi1_port, 0)) != -XEN_EINVAL)
        return fail(why, len, "moving an IPI: %lld, want -EINVAL", (long long)rc);
    struct evtchn_close cl = { .port = bv.port };
    evtchn_op(EVTCHNOP_close, &cl);
    struct evtchn_bind_ipi bi = { .vcpu = nr_vcpus };
    if ((rc = evtchn_op(EVTCHNOP_bind_ipi, &bi)) != -XEN_ENOENT)
        return fail(why, len, "bind_ipi to vCPU %u: %lld, want -ENOENT", nr_vcpus, (long long)rc);
    bv = (struct evtchn_bind_virq){ .virq = VIRQ_TIMER, .vcpu = nr_vcpus };
    if ((rc = evtchn_op(EVTCHNOP_bind_virq, &bv)) != -XEN_ENOENT)
        return fail(why, len, "bind_virq to vCPU %u: %lld, want -ENOENT", nr_vcpus, (long long)rc);

    domid_t self = DOMID_SELF;
    unsigned int far, near;
    if ((rc = evtchn_offer(self, &far)))
        return fail(why, len, "alloc_unbound: %lld", (long long)rc);
    if ((rc = bind_vcpu(far, nr_vcpus)) != -XEN_ENOENT)
        return fail(why, len, "moving to vCPU %u: %lld, want -ENOENT", nr_vcpus, (long long)rc);
    if ((rc = bind_vcpu(far, 1)) || port_vcpu(far) != 1)
        return fail(why, len, "moving an unbound port: %lld, now on vCPU %lld", (long long)rc,
                    (long long)port_vcpu(far));
    if ((rc = bind_vcpu(far, 0)) || port_vcpu(far) != 0)
        return fail(why, len, "moving it back: %lld", (long long)rc);
    if ((rc = bind_vcpu(4095, 1)) != -XEN_EINVAL)
        return fail(why, len, "moving a port that does not exist: %lld, want -EINVAL", (long long)rc);
    struct evtchn_bind_interdomain bid = { .remote_dom = DOMID_SELF, .remote_port = far };
    if ((rc = evtchn_op(EVTCHNOP_bind_interdomain, &bid)))
        return fail(why, len, "loopback bind_interdomain: %lld", (long long)rc);
    near = bid.local_port;
    port_clear(near);
    port_clear(far);
    if ((rc = bind_vcpu(far, 1)) || port_vcpu(far) != 1)
        return fail(why, len, "moving an interdomain port: %lld", (long long)rc);

    struct vcpu_info *v0 = events_vcpu_info(0), *v1 = events_vcpu_info(1);
    uint64_t bit = 1ull << (far / 64);
    v0->evtchn_pending_sel &= ~bit;
    v1->evtchn_pending_sel &= ~bit;
    const char *err = start_taking_events(1);
    if (err)
        return fail(why, len, "%s", err);
    uint32_t up0 = vcpu_upcalls[0];
    if ((rc = evtchn_send(near)))
        return stop_taking_events(fail(why, len, "send: %lld", (long long)rc));
    if (!smp_join(1))
        return stop_taking_events(fail(why, len, "the moved port's event never reached vCPU 1"));
    if (vcpu_last_port[1] != far || vcpu_upcalls[0] != up0 || (v0->evtchn_pending_sel & bit))
        return fail(why, len, "vCPU 1 last saw port %u (want %u); vCPU 0: %u upcalls, sel %#llx", vcpu_last_port[1],
                    far, vcpu_upcalls[0] - up0, (unsigned long long)v0->evtchn_pending_sel);
    return NULL;
}

/* Page-table operations per vCPU in the race (race=N on the command line). */
#define RACE_OPS_DEFAULT 20000

struct race_job {
    unsigned int vcpu;
    unsigned long nops;
};

static void job_churn(void *arg)
{
    const struct race_job *j = arg;
    churn_run(j->vcpu, 0x5eed0000ull + j->vcpu, j->nops);
}

/*
 * vCPUs 0 and 1 race mmu_update, update_va_mapping, pins and unpins over one
 * L1 and a pool of frames; afterwards the tables and pins are what the
 * accepted operations left (churn.h). The hypervisor's frame audit at
 * shutdown checks the reference counts they leave behind.
 */
static const char *test_race_page_tables(char *why, size_t len)
{
    unsigned long nops = guest_option_num("race", RACE_OPS_DEFAULT);
    int64_t rc = churn_setup(RACE_VA, 2, CHURN_MM_OPS);
    if (rc)
        return fail(why, len, "setup: %lld", (long long)rc);
    static struct race_job jobs[2];
    jobs[1] = (struct race_job){ 1, nops };
    jobs[0] = (struct race_job){ 0, nops };
    if ((rc = smp_run(1, job_churn, &jobs[1])))
        return fail(why, len, "run: %lld", (long long)rc);
    job_churn(&jobs[0]);
    if (!churn_join(1))
        return churn_join_failed(1, nops, why, len);
    churn_report();
    return churn_check(why, len);
}

/* The stale-TLB handshake: vCPU 1 writes, vCPU 0 unmaps, waits, pins, says so. */
static struct {
    volatile uint32_t writes, pinned, writes_after_pin, fault_vector, faulted;
    uint64_t cr2;
} stale;

/* Writes vCPU 1 may make before vCPU 0 pins: it must never run out first. */
#define STALE_MAX_WRITES (1ull << 34)
/* Writes to wait for after the unmap, so that a stale entry, if any, is in use. */
#define STALE_WRITES_AFTER_UNMAP 1000

static void job_stale_writer(void *arg)
{
    (void)arg;
    volatile uint64_t *w = (volatile uint64_t *)STALE_VA;
    for (uint64_t i = 1; i < STALE_MAX_WRITES; i++) {
        uint32_t pinned = atomic_read(&stale.pinned);
        /* Even values: entries that are not present, so the frame stays a valid L1. */
        TRY_INSN("movq %0, (%1)", "r"(i << 1), "r"(w));
        if (last_exc.vector != ~0ull) {
            stale.fault_vector = (uint32_t)last_exc.vector;
            stale.cr2 = events_vcpu_info(1)->arch.cr2;
            atomic_set(&stale.faulted, 1);
            return;
        }
        atomic_inc(&stale.writes);
        if (pinned) {
            atomic_inc(&stale.writes_after_pin);
            return;
        }
    }
}

/*
 * The start both stale-TLB cases share: F mapped writable at STALE_VA (and
 * read-only at STALE_RO with ro), vCPU 1 writing it, the writable mapping
 * removed with mmu_update (no flush asked), and vCPU 1 left to go on a while
 * (through its stale entry, if it has one) or fault. NULL, or why not;
 * *at_unmap: vCPU 1's writes when the mapping went.
 */
static const char *stale_writer_unmapped(uint64_t f, bool ro, uint32_t *at_unmap, char *why, size_t len)
{
    int64_t rc;
    stale.writes = stale.pinned = stale.writes_after_pin = stale.fault_vector = stale.faulted = 0;
    stale.cr2 = 0;
    if ((rc = mmu_update_one(pte_maddr(STALE_VA, 1), f * PAGE_SIZE | PTE_DATA)) ||
        (ro && (rc = mmu_update_one(pte_maddr(STALE_RO, 1), f * PAGE_SIZE | PTE_P | PTE_U | PTE_A))))
        return fail(why, len, "mapping F: %lld", (long long)rc);
    if ((rc = smp_run(1, job_stale_writer, NULL)))
        return fail(why, len, "run: %lld", (long long)rc);
    if (!smp_wait_ge(&stale.writes, 1))
        return fail(why, len, "vCPU 1 never wrote F");
    if ((rc = mmu_update_one(pte_maddr(STALE_VA, 1), 0)))
        return fail(why, len, "unmapping F: %lld", (long long)rc);
    *at_unmap = atomic_read(&stale.writes);
    /* Either vCPU 1 goes on writing through a stale entry, or it already faults. */
    for (uint64_t deadline = pvclock_now() + SMP_WAIT_NS; pvclock_now() < deadline && !atomic_read(&stale.faulted) &&
                                                          atomic_read(&stale.writes) < *at_unmap + STALE_WRITES_AFTER_UNMAP;)
        hyp_sched_op(SCHEDOP_yield, NULL);
    return NULL;
}

/* The end both share: vCPU 1, told F's fate (stale.pinned), must not have written F after it but faulted. */
static const char *stale_writer_faulted(const char *fate, char *why, size_t len)
{
    if (stale.writes_after_pin)
        return fail(why, len, "vCPU 1 wrote F after it saw F %s: a stale writable TLB entry reaches it", fate);
    if (!stale.faulted || stale.fault_vector != 14 || stale.cr2 != STALE_VA)
        return fail(why, len, "vCPU 1's write did not page-fault (vector %u, cr2 %#llx)", stale.fault_vector,
                    (unsigned long long)stale.cr2);
    return NULL;
}

/*
 * vCPU 1 keeps writing frame F through a writable mapping. vCPU 0 removes the
 * mapping with mmu_update, which flushes nothing, lets vCPU 1 go on writing a
 * while (through its stale TLB entry, if it has one), then pins F as an L1
 * table and says so. A write vCPU 1 starts after it saw the pin done must
 * fault, and F must keep what the pin validated: the hypervisor has to flush
 * vCPU 1's stale entry before the retype.
 */
static const char *test_stale_tlb_retype(char *why, size_t len)
{
    uint64_t f = spare_mfn();
    uint32_t at_unmap;
    if (!f)
        return fail(why, len, "no spare frame");
    const char *err = stale_writer_unmapped(f, true, &at_unmap, why, len);
    if (err)
        return err;
    uint32_t before_pin = atomic_read(&stale.writes);
    int64_t rc = mmuext(MMUEXT_PIN_L1_TABLE, f, 0);
    uint64_t validated = *(volatile uint64_t *)STALE_RO;
    atomic_set(&stale.pinned, 1);
    if (!smp_join(1))
        return fail(why, len, "vCPU 1 neither faulted nor finished");
    uint64_t now = *(volatile uint64_t *)STALE_RO;
    printk("# vCPU 1: %u writes before the unmap, %u after it, %u more until it saw the pin or faulted\n", at_unmap,
           before_pin - at_unmap, stale.writes - before_pin);
    if (rc)
        return fail(why, len, "pinning F: %lld", (long long)rc);
    if ((err = stale_writer_faulted("pinned", why, len)))
        return err;
    if (now != validated)
        return fail(why, len, "F changed from %#llx to %#llx while pinned", (unsigned long long)validated,
                    (unsigned long long)now);
    if ((rc = mmuext(MMUEXT_UNPIN_TABLE, f, 0)))
        return fail(why, len, "unpin F: %lld", (long long)rc);
    return NULL;
}

/*
 * As stale_tlb_retype, but vCPU 0 gives F back (decrease_reservation)
 * instead of pinning it. The unmap flushes nothing; a frame back in the
 * hypervisor's heap must be out of every TLB's reach, so a write vCPU 1
 * starts after it saw the call return must fault.
 */
static const char *test_stale_tlb_free(char *why, size_t len)
{
    uint64_t f = spare_mfn();
    uint32_t at_unmap;
    if (!f)
        return fail(why, len, "no spare frame");
    const char *err = stale_writer_unmapped(f, false, &at_unmap, why, len);
    if (err)
        return err;
    uint32_t before_free = atomic_read(&stale.writes);
    static xen_pfn_t frames[1];
    frames[0] = f;
    struct xen_memory_reservation r = { .extent_start = (uint64_t)frames, .nr_extents = 1, .domid = DOMID_SELF };
    int64_t rc = hypercall2(__HYPERVISOR_memory_op, XENMEM_decrease_reservation, &r);
    atomic_set(&stale.pinned, 1);
    if (!smp_join(1))
        return fail(why, len, "vCPU 1 neither faulted nor finished");
    printk("# vCPU 1: %u writes before the unmap, %u after it, %u more until it saw F given back or faulted\n",
           at_unmap, before_free - at_unmap, stale.writes - before_free);
    if (rc != 1)
        return fail(why, len, "decrease_reservation of F: %lld, want 1", (long long)rc);
    return stale_writer_faulted("given back", why, len);
}

/*
 * VCPUOP_register_runstate_memory_area, as Xen 4.17: an address outside the guest's
 * range is -EFAULT, an unmapped one is taken; the copy is written at once (vCPU 0
 * running, a vCPU that is down offline) and again whenever the vCPU is switched
 * out and back in (a poll that blocks adds blocked time); with
 * VMASST_TYPE_runstate_update_flag the XEN_RUNSTATE_UPDATE bit is clear between
 * updates; address 0 stops the updates.
 */
#define POLL_NS 2000000ull
#define POLL_TRIES 5

static const char *test_runstate_area(char *why, size_t len)
{
    static struct vcpu_runstate_info area[2];
    int64_t rc;
    const uint64_t bad[] = { HYPERVISOR_VIRT_START, NONCANONICAL };
    for (unsigned int i = 0; i < 2; i++) {
        struct vcpu_register_runstate_memory_area a = { .addr = bad[i] };
        if ((rc = vcpu_op(VCPUOP_register_runstate_memory_area, 0, &a)) != -XEN_EFAULT)
            return fail(why, len, "area at %#llx: %lld, want -EFAULT", (unsigned long long)bad[i], (long long)rc);
    }
    struct vcpu_register_runstate_memory_area a = { .addr = RACE_VA + 0x100000 };     /* mapped nowhere */
    if ((rc = vcpu_op(VCPUOP_register_runstate_memory_area, 0, &a)))
        return fail(why, len, "an unmapped area: %lld, want 0", (long long)rc);
    if ((rc = hypercall2(__HYPERVISOR_vm_assist, VMASST_CMD_enable, VMASST_TYPE_runstate_update_flag)))
        return fail(why, len, "vm_assist(runstate_update_flag): %lld", (long long)rc);
    memset(area, 0xff, sizeof(area));
    for (unsigned int v = 0; v < 2; v++) {
        a.addr = (uint64_t)&area[v];
        if ((rc = vcpu_op(VCPUOP_register_runstate_memory_area, v, &a)))
            return fail(why, len, "registering vCPU %u's area: %lld", v, (long long)rc);
    }
    /*
     * Xen takes a vCPU down lazily (VCPUOP_down marks it; it stays running until its
     * CPU deschedules it), so on a loaded host vCPU 1 can still be running from the
     * last case: registering again rewrites the copy; it must read offline within 1 s.
     */
    for (uint64_t end = pvclock_now() + 1000000000ull; area[1].state == RUNSTATE_running && pvclock_now() < end;) {
        port_clear(ipi1_port);
        poll_port(ipi1_port, pvclock_now() + POLL_NS);
        a.addr = (uint64_t)&area[1];
        if ((rc = vcpu_op(VCPUOP_register_runstate_memory_area, 1, &a)))
            return fail(why, len, "registering vCPU 1's area again: %lld", (long long)rc);
    }
    if (area[0].state != RUNSTATE_running || area[1].state != RUNSTATE_offline)
        return fail(why, len, "written at registration: states %d and %d, want running and offline", area[0].state,
                    area[1].state);
    /*
     * Nothing is sent to the port: the poll blocks until the timeout. Xen returns at
     * once instead when an event is already due for this vCPU (a loaded host makes
     * that likelier), so up to POLL_TRIES polls are tried; one that blocked is enough.
     */
    uint64_t blocked = area[0].time[RUNSTATE_blocked], start = 0;
    struct vcpu_runstate_info seen;
    for (unsigned int try = 0; try < POLL_TRIES; try++) {
        port_clear(ipi1_port);
        start = pvclock_now();
        poll_port(ipi1_port, start + POLL_NS);
        seen = area[0];
        if (seen.state_entry_time >= start && seen.time[RUNSTATE_blocked] > blocked)
            break;
    }
    if (seen.state != RUNSTATE_running || seen.state_entry_time < start ||
        seen.time[RUNSTATE_blocked] <= blocked)
        return fail(why, len, "after a blocking poll: state %d since %llu (poll at %llu), blocked %llu ns (was %llu)",
                    seen.state, (unsigned long long)seen.state_entry_time, (unsigned long long)start,
                    (unsigned long long)seen.time[RUNSTATE_blocked], (unsigned long long)blocked);
    if (seen.state_entry_time & XEN_RUNSTATE_UPDATE)
        return fail(why, len, "XEN_RUNSTATE_UPDATE left set between updates");
    hypercall2(__HYPERVISOR_vm_assist, VMASST_CMD_disable, VMASST_TYPE_runstate_update_flag);
    for (unsigned int v = 0; v < 2; v++) {
        a.addr = 0;
        if ((rc = vcpu_op(VCPUOP_register_runstate_memory_area, v, &a)))
            return fail(why, len, "unregistering vCPU %u's area: %lld", v, (long long)rc);
    }
    memset(area, 0xff, sizeof(area));
    port_clear(ipi1_port);
    poll_port(ipi1_port, pvclock_now() + POLL_NS);
    if (area[0].state != -1)
        return fail(why, len, "the area was still written after it was unregistered");
    return NULL;
}

DEFINE_TESTS(
    { "setup", test_setup },
    { "is_up_and_vcpu_ids", test_is_up_and_ids },
    { "up_uninitialised", test_up_uninitialised },
    { "initialise_refusals", test_initialise_refusals },
    { "bring_up", test_bring_up },
    { "down_up_keeps_context", test_down_up_keeps_context },
    { "register_vcpu_info", test_register_vcpu_info },
    { "runstate_area", test_runstate_area },
    { "ipi_wakes_blocked_vcpu", test_ipi_wakes_blocked },
    { "events_to_other_cpu", test_events_to_other_cpu },
    { "bind_vcpu", test_bind_vcpu },
    { "race_page_tables", test_race_page_tables },
    { "stale_tlb_retype", test_stale_tlb_retype },
    { "stale_tlb_free", test_stale_tlb_free }
)
