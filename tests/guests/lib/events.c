/* Test-guest events: mapping shared_info, the upcall handler, pvclock. */
#include "events.h"
#include <public/errno.h>
#include "exceptions.h"
#include "guest.h"
#include "hypercall.h"
#include "mm.h"
#include "smp.h"
#include <lib/pv_evtchn.h>
#include <lib/pvclock.h>

#define SHINFO_VA (GUEST_VIRT_BASE + 0x3fc00000ull)

struct shared_info *shinfo;
volatile unsigned int upcall_ports[64];
volatile unsigned int nr_upcall_ports;
volatile unsigned int nr_upcalls;
volatile unsigned int nr_upcalls_in_hypercall;
volatile uint32_t vcpu_upcalls[SMP_MAX_VCPUS];
volatile uint32_t vcpu_last_port[SMP_MAX_VCPUS];
static struct vcpu_info *registered_vcpu_info[SMP_MAX_VCPUS];

#define SYSCALL_INSN 0x050f                 /* 0f 05, read as a little-endian word */

static void record_port(unsigned int port)
{
    unsigned int i = __atomic_fetch_add(&nr_upcall_ports, 1, __ATOMIC_SEQ_CST);
    if (i < 64)
        upcall_ports[i] = port;
    else
        __atomic_store_n(&nr_upcall_ports, 64, __ATOMIC_SEQ_CST);
    atomic_set(&vcpu_last_port[smp_this_vcpu()], port);
}

struct vcpu_info *events_vcpu_info(unsigned int vcpu)
{
    return registered_vcpu_info[vcpu] ? registered_vcpu_info[vcpu] : &shinfo->vcpu_info[vcpu];
}

/* One pass of the 2-level scan over the interrupted vCPU's selector; the ports it
 * finds are recorded in order. */
static void upcall(void)
{
    unsigned int vcpu = smp_this_vcpu();
    __atomic_add_fetch(&nr_upcalls, 1, __ATOMIC_SEQ_CST);
    atomic_inc(&vcpu_upcalls[vcpu]);
    if (*(const uint16_t *)upcall_rip == SYSCALL_INSN)
        __atomic_add_fetch(&nr_upcalls_in_hypercall, 1, __ATOMIC_SEQ_CST);
    evtchn_2l_scan(shinfo, events_vcpu_info(vcpu), record_port);
}

int64_t events_register_vcpu_info(unsigned int vcpu, void *page, uint32_t offset)
{
    struct vcpu_register_vcpu_info r = { .mfn = virt_to_mfn(page), .offset = offset };
    int64_t rc = hypercall3(__HYPERVISOR_vcpu_op, VCPUOP_register_vcpu_info, vcpu, &r);
    if (!rc)
        registered_vcpu_info[vcpu] = (struct vcpu_info *)((uint8_t *)page + offset);
    return rc;
}

int64_t events_init(void)
{
    int64_t rc;
    if ((rc = ensure_l1(SHINFO_VA)))
        return rc;
    if ((rc = hypercall3(__HYPERVISOR_update_va_mapping, SHINFO_VA, start_info->shared_info | PTE_DATA, UVMF_INVLPG)))
        return rc;
    shinfo = (struct shared_info *)SHINFO_VA;
    event_upcall_handler = upcall;
    return hypercall3(__HYPERVISOR_set_callbacks, event_entry, 0, 0);
}

int64_t events_init_timer_quiet(void)
{
    int64_t rc = events_init();
    return rc ? rc : hypercall3(__HYPERVISOR_vcpu_op, VCPUOP_stop_periodic_timer, 0, 0);
}

uint64_t pvclock_now(void)
{
    return pvclock_read(&events_vcpu_info(smp_this_vcpu())->time);
}

int64_t evtchn_op(unsigned int cmd, void *arg)
{
    return hypercall2(__HYPERVISOR_event_channel_op, cmd, arg);
}

int64_t evtchn_send(unsigned int port)
{
    struct evtchn_send s = { .port = port };
    return evtchn_op(EVTCHNOP_send, &s);
}

int64_t poll_port(unsigned int port, uint64_t timeout)
{
    static evtchn_port_t ports[1];
    ports[0] = port;
    struct sched_poll p = { .ports = (uint64_t)ports, .nr_ports = 1, .timeout = timeout };
    return hyp_sched_op(SCHEDOP_poll, &p);
}

domid_t events_init_for_peer(char *why, size_t len)
{
    domid_t peer = (domid_t)guest_option_num("peer", DOMID_INVALID);
    if (peer == DOMID_INVALID)
        fail(why, len, "no peer=<domid> on the command line");
    else if (events_init())
        fail(why, len, "events_init failed");
    else
        return peer;
    return DOMID_INVALID;
}

int64_t evtchn_offer(domid_t peer, unsigned int *port)
{
    struct evtchn_alloc_unbound a = { .dom = DOMID_SELF, .remote_dom = peer };
    int64_t rc = evtchn_op(EVTCHNOP_alloc_unbound, &a);
    *port = rc ? 0 : a.port;
    return rc;
}

/* Yields between tries: the peer may not have started yet. */
#define CONNECT_TRIES 100000

int64_t evtchn_connect(domid_t peer, unsigned int *port)
{
    unsigned long rounds;
    int64_t rc = evtchn_await_offer(peer, CONNECT_TRIES, port, &rounds);
    if (!rc)
        port_clear(*port);
    return rc;
}

int64_t evtchn_await_offer(domid_t peer, unsigned long max_rounds, unsigned int *port, unsigned long *rounds)
{
    int64_t rc = -XEN_EINVAL;
    for (unsigned long r = 0; r < max_rounds; r++) {
        for (unsigned int p = 1; p < 64; p++) {
            struct evtchn_bind_interdomain b = { .remote_dom = peer, .remote_port = p };
            if (!(rc = evtchn_op(EVTCHNOP_bind_interdomain, &b))) {
                *port = b.local_port;
                *rounds = r;
                return 0;
            }
        }
        hyp_sched_op(SCHEDOP_yield, NULL);
    }
    *port = 0;
    *rounds = max_rounds;
    return rc;
}

int64_t evtchn_state(unsigned int port)
{
    struct evtchn_status st = { .dom = DOMID_SELF, .port = port };
    int64_t rc = evtchn_op(EVTCHNOP_status, &st);
    return rc ? rc : st.status;
}

void events_mask(void)
{
    events_vcpu_info(smp_this_vcpu())->evtchn_upcall_mask = 1;
}

void events_unmask(void)
{
    events_vcpu_info(smp_this_vcpu())->evtchn_upcall_mask = 0;
}
