/* Test-guest events: mapping shared_info, the upcall handler, pvclock. */
#include "events.h"
#include "exceptions.h"
#include "guest.h"
#include "hypercall.h"
#include "mm.h"
#include <lib/pv_evtchn.h>
#include <lib/pvclock.h>

#define SHINFO_VA (GUEST_VIRT_BASE + 0x3fc00000ull)

struct shared_info *shinfo;
volatile unsigned int upcall_ports[64];
volatile unsigned int nr_upcall_ports;
volatile unsigned int nr_upcalls;

static void record_port(unsigned int port)
{
    if (nr_upcall_ports < 64)
        upcall_ports[nr_upcall_ports++] = port;
}

/* One pass of the 2-level scan; the ports it finds are recorded in order. */
static void upcall(void)
{
    nr_upcalls++;
    evtchn_2l_scan(shinfo, &shinfo->vcpu_info[0], record_port);
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

uint64_t pvclock_now(void)
{
    return pvclock_read(&shinfo->vcpu_info[0].time);
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
