/* Events and time: ports, 2-level delivery, masking, VIRQ_TIMER, pvclock, block/poll/yield, refusals. */
#include "events.h"
#include "exceptions.h"
#include "guest.h"
#include "hypercall.h"
#include <public/errno.h>
#include <public/vcpu.h>

const char test_title[] = "events: event channels, delivery, timers, block and poll";

static unsigned int ipi_port, timer_port;

static void reset_upcalls(void) { nr_upcall_ports = 0; }

static const char *test_setup(char *why, size_t len)
{
    int64_t rc;
    if ((rc = exceptions_install()) || (rc = events_init_timer_quiet()))
        return fail(why, len, "setup: %lld", (long long)rc);
    if (shinfo->vcpu_info[0].evtchn_upcall_mask != 1)
        return fail(why, len, "events are not masked at start of day");
    return NULL;
}

static const char *test_self_send_bits(char *why, size_t len)
{
    struct evtchn_bind_ipi b = { .vcpu = 0 };
    int64_t rc = evtchn_op(EVTCHNOP_bind_ipi, &b);
    if (rc)
        return fail(why, len, "bind_ipi: %lld", (long long)rc);
    ipi_port = b.port;
    struct vcpu_info *vi = &shinfo->vcpu_info[0];
    vi->evtchn_pending_sel = 0;
    vi->evtchn_upcall_pending = 0;
    if ((rc = evtchn_send(ipi_port)))
        return fail(why, len, "send: %lld", (long long)rc);
    /* Masked upcalls: the bits are set exactly as the ABI says, and nothing is delivered. */
    if (!port_pending(ipi_port) || !(vi->evtchn_pending_sel & (1ull << (ipi_port / 64))) ||
        vi->evtchn_upcall_pending != 1 || nr_upcalls != 0)
        return fail(why, len, "after send: pending %d sel %#llx upcall_pending %u upcalls %u", port_pending(ipi_port),
                    (unsigned long long)vi->evtchn_pending_sel, vi->evtchn_upcall_pending, nr_upcalls);
    return NULL;
}

static const char *test_late_delivery(char *why, size_t len)
{
    reset_upcalls();
    events_unmask();
    /* The next return from the hypervisor delivers the upcall that waited. */
    hyp_xen_version(XENVER_version, NULL);
    events_mask();
    if (nr_upcall_ports != 1 || upcall_ports[0] != ipi_port || port_pending(ipi_port))
        return fail(why, len, "upcall saw %u ports (first %u), port still pending %d", nr_upcall_ports,
                    nr_upcall_ports ? upcall_ports[0] : 0, port_pending(ipi_port));
    return NULL;
}

static const char *test_port_mask(char *why, size_t len)
{
    struct vcpu_info *vi = &shinfo->vcpu_info[0];
    shinfo->evtchn_mask[ipi_port / 64] |= 1ull << (ipi_port % 64);
    vi->evtchn_pending_sel = 0;
    vi->evtchn_upcall_pending = 0;
    evtchn_send(ipi_port);
    if (!port_pending(ipi_port) || vi->evtchn_pending_sel || vi->evtchn_upcall_pending)
        return fail(why, len, "masked port: pending %d, sel %#llx, upcall_pending %u", port_pending(ipi_port),
                    (unsigned long long)vi->evtchn_pending_sel, vi->evtchn_upcall_pending);
    reset_upcalls();
    events_unmask();
    struct evtchn_unmask u = { .port = ipi_port };
    int64_t rc = evtchn_op(EVTCHNOP_unmask, &u);          /* delivered on the way back */
    events_mask();
    if (rc || nr_upcall_ports != 1 || upcall_ports[0] != ipi_port)
        return fail(why, len, "unmask: rc %lld, %u ports delivered", (long long)rc, nr_upcall_ports);
    return NULL;
}

static const char *test_pvclock(char *why, size_t len)
{
    uint64_t a = pvclock_now();
    for (volatile int i = 0; i < 200000; i++)
        ;
    uint64_t b = pvclock_now();
    if (!a || b <= a)
        return fail(why, len, "pvclock %llu then %llu", (unsigned long long)a, (unsigned long long)b);
    if (!shinfo->wc_sec)
        return fail(why, len, "no wall clock in shared_info");
    return NULL;
}

#define LATE_BOUND_NS (100 * 10000000ull)        /* 100 ticks at 100 Hz */

static const char *test_virq_timer(char *why, size_t len)
{
    struct evtchn_bind_virq b = { .virq = VIRQ_TIMER, .vcpu = 0 };
    int64_t rc = evtchn_op(EVTCHNOP_bind_virq, &b);
    if (rc)
        return fail(why, len, "bind_virq(TIMER): %lld", (long long)rc);
    timer_port = b.port;
    uint64_t deadline = pvclock_now() + 5000000;            /* 5 ms */
    struct vcpu_set_singleshot_timer t = { .timeout_abs_ns = deadline };
    if ((rc = hypercall3(__HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, 0, &t)))
        return fail(why, len, "set_singleshot_timer: %lld", (long long)rc);
    reset_upcalls();
    hyp_sched_op(SCHEDOP_block, NULL);                      /* unmasks events; the timer wakes us */
    events_mask();
    uint64_t woke = pvclock_now();
    if (nr_upcall_ports < 1 || upcall_ports[0] != timer_port)
        return fail(why, len, "woke without the timer event (%u ports)", nr_upcall_ports);
    /*
     * Never early. Late only by what a loaded host takes: nothing else can wake
     * this vCPU (the periodic timer is off), so a lost timer shows as a missing
     * verdict, and the bound only catches a deadline honoured on some much later
     * event. 100 periods of the hypervisor's 100 Hz tick is generous enough for a
     * host that stalls QEMU (71 ms was seen) and still far below the 68.7 s that a
     * wrapped one-shot count took.
     */
    if (woke < deadline || woke > deadline + LATE_BOUND_NS)
        return fail(why, len, "woke %lld us from the deadline", (long long)(woke - deadline) / 1000);
    return NULL;
}

static const char *test_set_timer_op(char *why, size_t len)
{
    reset_upcalls();
    /* A deadline in the past fires at once. */
    int64_t rc = hypercall1(__HYPERVISOR_set_timer_op, pvclock_now() - 1000);
    if (rc)
        return fail(why, len, "set_timer_op: %lld", (long long)rc);
    if (poll_port(timer_port, pvclock_now() + 100000000) || !port_pending(timer_port))
        return fail(why, len, "no VIRQ_TIMER for a past deadline");
    port_clear(timer_port);
    return NULL;
}

static const char *test_poll(char *why, size_t len)
{
    /* Nothing pending: poll returns at its timeout. */
    uint64_t deadline = pvclock_now() + 3000000;
    int64_t rc = poll_port(ipi_port, deadline);
    uint64_t now = pvclock_now();
    if (rc || now < deadline)
        return fail(why, len, "poll with timeout: rc %lld, returned %lld us early", (long long)rc,
                    (long long)(deadline - now) / 1000);
    /* Pending (and masked): poll returns at once. */
    shinfo->evtchn_mask[ipi_port / 64] |= 1ull << (ipi_port % 64);
    evtchn_send(ipi_port);
    if ((rc = poll_port(ipi_port, 0)))
        return fail(why, len, "poll on a pending port: %lld", (long long)rc);
    port_clear(ipi_port);
    static evtchn_port_t many[129];
    struct sched_poll p = { .ports = (uint64_t)many, .nr_ports = 129 };
    if ((rc = hyp_sched_op(SCHEDOP_poll, &p)) != -XEN_EINVAL)
        return fail(why, len, "129 ports: %lld, want -EINVAL", (long long)rc);
    many[0] = 4000;
    p.nr_ports = 1;
    if ((rc = hyp_sched_op(SCHEDOP_poll, &p)) != -XEN_EINVAL)
        return fail(why, len, "unbound port: %lld, want -EINVAL", (long long)rc);
    if ((rc = hyp_sched_op(SCHEDOP_yield, NULL)))
        return fail(why, len, "yield: %lld", (long long)rc);
    return NULL;
}

static const char *test_block_with_pending(char *why, size_t len)
{
    /* An event already pending: block returns at once and delivers it. */
    shinfo->evtchn_mask[ipi_port / 64] &= ~(1ull << (ipi_port % 64));
    evtchn_send(ipi_port);
    reset_upcalls();
    int64_t rc = hyp_sched_op(SCHEDOP_block, NULL);
    events_mask();
    if (rc || nr_upcall_ports != 1)
        return fail(why, len, "block: rc %lld, %u ports delivered", (long long)rc, nr_upcall_ports);
    return NULL;
}

static const char *test_loopback_interdomain(char *why, size_t len)
{
    struct evtchn_alloc_unbound a = { .dom = DOMID_SELF, .remote_dom = DOMID_SELF };
    int64_t rc = evtchn_op(EVTCHNOP_alloc_unbound, &a);
    if (rc)
        return fail(why, len, "alloc_unbound: %lld", (long long)rc);
    struct evtchn_bind_interdomain b = { .remote_dom = DOMID_SELF, .remote_port = a.port };
    if ((rc = evtchn_op(EVTCHNOP_bind_interdomain, &b)))
        return fail(why, len, "bind_interdomain to ourselves: %lld", (long long)rc);
    struct evtchn_status st = { .dom = DOMID_SELF, .port = b.local_port };
    if ((rc = evtchn_op(EVTCHNOP_status, &st)) || st.status != EVTCHNSTAT_interdomain ||
        st.u.interdomain.port != a.port)
        return fail(why, len, "status: rc %lld status %u peer port %u", (long long)rc, st.status,
                    st.u.interdomain.port);
    port_clear(b.local_port);
    port_clear(a.port);
    evtchn_send(b.local_port);
    if (!port_pending(a.port))
        return fail(why, len, "sending on one end did not mark the other pending");
    port_clear(a.port);
    struct evtchn_close c = { .port = b.local_port };
    evtchn_op(EVTCHNOP_close, &c);
    st.port = a.port;
    if (evtchn_op(EVTCHNOP_status, &st) || st.status != EVTCHNSTAT_unbound)
        return fail(why, len, "closing one end did not leave the other unbound (%u)", st.status);
    c.port = a.port;
    evtchn_op(EVTCHNOP_close, &c);
    return NULL;
}

static const char *test_refusals(char *why, size_t len)
{
    int64_t rc;
    struct evtchn_send s = { .port = 4000 };
    if ((rc = evtchn_op(EVTCHNOP_send, &s)) != -XEN_EINVAL)
        return fail(why, len, "send on a free port: %lld", (long long)rc);
    struct evtchn_close c = { .port = 3999 };
    if ((rc = evtchn_op(EVTCHNOP_close, &c)) != -XEN_EINVAL)
        return fail(why, len, "close a free port: %lld", (long long)rc);
    struct evtchn_bind_virq v = { .virq = 99 };
    if ((rc = evtchn_op(EVTCHNOP_bind_virq, &v)) != -XEN_EINVAL)
        return fail(why, len, "VIRQ 99: %lld", (long long)rc);
    v.virq = VIRQ_TIMER;
    if ((rc = evtchn_op(EVTCHNOP_bind_virq, &v)) != -XEN_EEXIST)
        return fail(why, len, "VIRQ_TIMER twice: %lld", (long long)rc);
    v.virq = VIRQ_DEBUG;
    v.vcpu = 5;
    if ((rc = evtchn_op(EVTCHNOP_bind_virq, &v)) != -XEN_ENOENT)
        return fail(why, len, "VIRQ on vCPU 5: %lld", (long long)rc);
    /* A port offered to domain 7: we may not bind it. */
    struct evtchn_alloc_unbound a = { .dom = DOMID_SELF, .remote_dom = 7 };
    if ((rc = evtchn_op(EVTCHNOP_alloc_unbound, &a)))
        return fail(why, len, "alloc_unbound for domain 7: %lld", (long long)rc);
    struct evtchn_bind_interdomain b = { .remote_dom = DOMID_SELF, .remote_port = a.port };
    if ((rc = evtchn_op(EVTCHNOP_bind_interdomain, &b)) != -XEN_EINVAL)
        return fail(why, len, "binding a port offered to another domain: %lld", (long long)rc);
    c.port = a.port;
    evtchn_op(EVTCHNOP_close, &c);
    b.remote_dom = 0x7ef0;
    if ((rc = evtchn_op(EVTCHNOP_bind_interdomain, &b)) != -XEN_ESRCH)
        return fail(why, len, "binding to a domain that does not exist: %lld", (long long)rc);
    if ((rc = evtchn_op(77, &b)) != -XEN_ENOSYS)
        return fail(why, len, "unknown command: %lld", (long long)rc);
    if ((rc = evtchn_op(EVTCHNOP_send, (void *)0xffff830000000000ull)) != -XEN_EFAULT)
        return fail(why, len, "argument in the hypervisor: %lld", (long long)rc);
    return NULL;
}

/*
 * Every port operation refuses a port that cannot exist (past the 2-level
 * limit), a port that is closed, and a domain that is not there, each with
 * Xen's error code. Checked on each op in turn, reporting every mismatch.
 */
#define PORT_OUT_OF_RANGE 4096              /* 2-level ABI, 64-bit guest: ports 0..4095 */
#define PORT_NO_BUCKET    1000              /* ports exist 64 at a time; this guest uses a few */
#define NO_SUCH_DOMAIN    0x7ef0

static char port_misses[768];
static size_t port_miss_len;

static void expect_rc(const char *what, int64_t rc, int64_t want)
{
    if (rc != want && port_miss_len < sizeof(port_misses))
        port_miss_len += (size_t)snprintf(port_misses + port_miss_len, sizeof(port_misses) - port_miss_len,
                                          " %s: %lld (want %lld);", what, (long long)rc, (long long)want);
}

static int64_t op_port(unsigned int cmd, unsigned int port)
{
    uint32_t p = port;                      /* send, unmask and close take just the port */
    return evtchn_op(cmd, &p);
}

static int64_t bind_vcpu(unsigned int port, unsigned int vcpu)
{
    struct evtchn_bind_vcpu b = { .port = port, .vcpu = vcpu };
    return evtchn_op(EVTCHNOP_bind_vcpu, &b);
}

static int64_t port_status(domid_t dom, unsigned int port, uint32_t *status)
{
    struct evtchn_status st = { .dom = dom, .port = port, .status = 0xdead };
    int64_t rc = evtchn_op(EVTCHNOP_status, &st);
    *status = st.status;
    return rc;
}

static int64_t bind_remote(domid_t dom, unsigned int port)
{
    struct evtchn_bind_interdomain b = { .remote_dom = dom, .remote_port = port };
    int64_t rc = evtchn_op(EVTCHNOP_bind_interdomain, &b);
    if (!rc) {
        uint32_t c = b.local_port;
        evtchn_op(EVTCHNOP_close, &c);
    }
    return rc;
}

static const char *test_port_refusals(char *why, size_t len)
{
    struct evtchn_alloc_unbound a = { .dom = DOMID_SELF, .remote_dom = DOMID_SELF };
    int64_t rc = evtchn_op(EVTCHNOP_alloc_unbound, &a);
    if (rc)
        return fail(why, len, "alloc_unbound: %lld", (long long)rc);
    unsigned int closed = a.port;
    if ((rc = op_port(EVTCHNOP_close, closed)))
        return fail(why, len, "closing port %u: %lld", closed, (long long)rc);
    port_miss_len = 0;
    uint32_t status;

    expect_rc("send, out of range", op_port(EVTCHNOP_send, PORT_OUT_OF_RANGE), -XEN_EINVAL);
    expect_rc("send, closed", op_port(EVTCHNOP_send, closed), -XEN_EINVAL);
    expect_rc("send, port 0", op_port(EVTCHNOP_send, 0), -XEN_EINVAL);
    expect_rc("send, VIRQ", op_port(EVTCHNOP_send, timer_port), -XEN_EINVAL);

    expect_rc("unmask, out of range", op_port(EVTCHNOP_unmask, PORT_OUT_OF_RANGE), -XEN_EINVAL);
    expect_rc("unmask, far out of range", op_port(EVTCHNOP_unmask, 0xffffffffu), -XEN_EINVAL);
    /* As Xen: unmask only asks that the port exist; a closed one (or port 0) is just unmasked. */
    expect_rc("unmask, closed", op_port(EVTCHNOP_unmask, closed), 0);
    expect_rc("unmask, port 0", op_port(EVTCHNOP_unmask, 0), 0);
    /* A port past the buckets in use does not exist yet: refused by every op. */
    expect_rc("unmask, no bucket yet", op_port(EVTCHNOP_unmask, PORT_NO_BUCKET), -XEN_EINVAL);
    expect_rc("status, no bucket yet", port_status(DOMID_SELF, PORT_NO_BUCKET, &status), -XEN_EINVAL);
    expect_rc("send, no bucket yet", op_port(EVTCHNOP_send, PORT_NO_BUCKET), -XEN_EINVAL);
    expect_rc("close, no bucket yet", op_port(EVTCHNOP_close, PORT_NO_BUCKET), -XEN_EINVAL);
    expect_rc("bind_vcpu, no bucket yet", bind_vcpu(PORT_NO_BUCKET, 0), -XEN_EINVAL);

    expect_rc("poll, closed", poll_port(closed, pvclock_now() + 1000000), -XEN_EINVAL);

    expect_rc("close, out of range", op_port(EVTCHNOP_close, PORT_OUT_OF_RANGE), -XEN_EINVAL);
    expect_rc("close, closed", op_port(EVTCHNOP_close, closed), -XEN_EINVAL);
    expect_rc("close, port 0", op_port(EVTCHNOP_close, 0), -XEN_EINVAL);

    expect_rc("status, out of range", port_status(DOMID_SELF, PORT_OUT_OF_RANGE, &status), -XEN_EINVAL);
    rc = port_status(DOMID_SELF, closed, &status);
    expect_rc("status, closed", rc ? rc : status, EVTCHNSTAT_closed);
    rc = port_status(DOMID_SELF, 0, &status);
    expect_rc("status, port 0", rc ? rc : status, EVTCHNSTAT_closed);
    expect_rc("status, no such domain", port_status(NO_SUCH_DOMAIN, 1, &status), -XEN_ESRCH);

    expect_rc("bind_vcpu, out of range", bind_vcpu(PORT_OUT_OF_RANGE, 0), -XEN_EINVAL);
    expect_rc("bind_vcpu, closed", bind_vcpu(closed, 0), -XEN_EINVAL);
    expect_rc("bind_vcpu, IPI", bind_vcpu(ipi_port, 0), -XEN_EINVAL);
    expect_rc("bind_vcpu, VIRQ_TIMER", bind_vcpu(timer_port, 0), -XEN_EINVAL);
    expect_rc("bind_vcpu, no such vCPU", bind_vcpu(ipi_port, 5), -XEN_ENOENT);
    expect_rc("bind_vcpu, out of range on no such vCPU", bind_vcpu(PORT_OUT_OF_RANGE, 5), -XEN_ENOENT);

    expect_rc("bind_interdomain, out of range", bind_remote(DOMID_SELF, PORT_OUT_OF_RANGE), -XEN_EINVAL);
    expect_rc("bind_interdomain, closed", bind_remote(DOMID_SELF, closed), -XEN_EINVAL);
    expect_rc("bind_interdomain, port 0", bind_remote(DOMID_SELF, 0), -XEN_EINVAL);
    expect_rc("bind_interdomain, an IPI", bind_remote(DOMID_SELF, ipi_port), -XEN_EINVAL);
    expect_rc("bind_interdomain, no such domain", bind_remote(NO_SUCH_DOMAIN, 1), -XEN_ESRCH);

    struct evtchn_alloc_unbound bad = { .dom = NO_SUCH_DOMAIN, .remote_dom = DOMID_SELF };
    expect_rc("alloc_unbound, no such domain", evtchn_op(EVTCHNOP_alloc_unbound, &bad), -XEN_ESRCH);
    struct evtchn_bind_ipi ipi = { .vcpu = 5 };
    expect_rc("bind_ipi, no such vCPU", evtchn_op(EVTCHNOP_bind_ipi, &ipi), -XEN_ENOENT);

    /* An argument the hypervisor cannot read: -EFAULT from every op. */
    static const unsigned int cmds[] = { EVTCHNOP_bind_interdomain, EVTCHNOP_bind_virq, EVTCHNOP_close,
                                         EVTCHNOP_send, EVTCHNOP_status, EVTCHNOP_alloc_unbound,
                                         EVTCHNOP_bind_ipi, EVTCHNOP_bind_vcpu, EVTCHNOP_unmask };
    for (unsigned int i = 0; i < ARRAY_SIZE(cmds); i++) {
        char what[40];
        snprintf(what, sizeof(what), "op %u, unreadable argument", cmds[i]);
        expect_rc(what, evtchn_op(cmds[i], (void *)0xffff830000000000ull), -XEN_EFAULT);
    }
    return port_miss_len ? fail(why, len, "%s", port_misses) : NULL;
}

static const char *test_exhaustion(char *why, size_t len)
{
    static uint16_t ports[NR_EVENT_CHANNELS];
    static uint8_t seen[NR_EVENT_CHANNELS];
    unsigned int n = 0, bad = 0;
    int64_t rc;
    memset(seen, 0, sizeof(seen));
    for (;;) {
        struct evtchn_alloc_unbound a = { .dom = DOMID_SELF, .remote_dom = DOMID_SELF };
        rc = evtchn_op(EVTCHNOP_alloc_unbound, &a);
        if (rc)
            break;
        /* Every port inside the 2-level bitmaps, and none handed out twice. */
        if (a.port == 0 || a.port >= NR_EVENT_CHANNELS || seen[a.port]++) {
            bad = a.port ? a.port : NR_EVENT_CHANNELS;
            break;
        }
        ports[n++] = (uint16_t)a.port;
    }
    for (unsigned int i = 0; i < n; i++) {
        struct evtchn_close c = { .port = ports[i] };
        evtchn_op(EVTCHNOP_close, &c);
    }
    if (bad)
        return fail(why, len, "port %u handed out after %u ports (the 2-level limit is %u)", bad, n,
                    NR_EVENT_CHANNELS);
    if (rc != -XEN_ENOSPC || n < 1000)
        return fail(why, len, "after %u ports: %lld, want -ENOSPC", n, (long long)rc);
    return NULL;
}

static const char *test_vcpu_ops(char *why, size_t len)
{
    struct vcpu_runstate_info r;
    int64_t rc = hypercall3(__HYPERVISOR_vcpu_op, VCPUOP_get_runstate_info, 0, &r);
    if (rc || r.state != RUNSTATE_running || !r.time[RUNSTATE_running])
        return fail(why, len, "runstate: rc %lld state %d running %llu ns", (long long)rc, r.state,
                    (unsigned long long)r.time[RUNSTATE_running]);
    if ((rc = hypercall3(__HYPERVISOR_vcpu_op, VCPUOP_is_up, 0, 0)) != 1)
        return fail(why, len, "is_up: %lld", (long long)rc);
    if ((rc = hypercall3(__HYPERVISOR_vcpu_op, VCPUOP_is_up, 500, 0)) != -XEN_ENOENT)
        return fail(why, len, "vCPU 500: %lld, want -ENOENT", (long long)rc);
    struct vcpu_set_periodic_timer p = { .period_ns = 100 };
    if ((rc = hypercall3(__HYPERVISOR_vcpu_op, VCPUOP_set_periodic_timer, 0, &p)) != -XEN_EINVAL)
        return fail(why, len, "100 ns period: %lld, want -EINVAL", (long long)rc);
    /* Xen 4.17 ignores VCPU_SSHOTTMR_future: a past deadline is accepted and fires at once. */
    struct vcpu_set_singleshot_timer t = { .timeout_abs_ns = 1, .flags = VCPU_SSHOTTMR_future };
    if ((rc = hypercall3(__HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, 0, &t)))
        return fail(why, len, "a past deadline with VCPU_SSHOTTMR_future: %lld, want 0", (long long)rc);
    if (poll_port(timer_port, pvclock_now() + 100000000) || !port_pending(timer_port))
        return fail(why, len, "no VIRQ_TIMER for the past deadline");
    port_clear(timer_port);
    return NULL;
}

DEFINE_TESTS(
    { "setup", test_setup },
    { "self_send_sets_pending_bits", test_self_send_bits },
    { "masked_upcall_delivered_later", test_late_delivery },
    { "masked_port_delivered_on_unmask", test_port_mask },
    { "pvclock_and_wallclock", test_pvclock },
    { "virq_timer_wakes_block", test_virq_timer },
    { "set_timer_op_past_deadline", test_set_timer_op },
    { "poll_timeout_pending_and_refusals", test_poll },
    { "block_with_pending_event", test_block_with_pending },
    { "loopback_interdomain", test_loopback_interdomain },
    { "refusals", test_refusals },
    { "port_refusals", test_port_refusals },
    { "port_exhaustion", test_exhaustion },
    { "vcpu_op", test_vcpu_ops }
)
