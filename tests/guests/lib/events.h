/* Test-guest events: shared_info, the 2-level upcall handler, pvclock, port helpers. */
#ifndef GUEST_EVENTS_H
#define GUEST_EVENTS_H

#include <stdint.h>
#include <public/event_channel.h>
#include <public/xen.h>

extern struct shared_info *shinfo;

/* Maps shared_info and registers the event callback (events stay masked). */
int64_t events_init(void);
/* events_init, and the periodic timer off: for cases that count VIRQ_TIMER events
 * (Xen's 100 Hz default would add ones they did not ask for). */
int64_t events_init_timer_quiet(void);

/* Ports the upcall handler saw, in order (it clears their pending bits). */
extern volatile unsigned int upcall_ports[64];
extern volatile unsigned int nr_upcall_ports;
extern volatile unsigned int nr_upcalls;
/*
 * Upcalls taken between two pieces of a continued hypercall: the hypervisor had
 * rewound RIP onto the call's SYSCALL to re-issue it, and delivered the upcall
 * first. Only a preempted hypercall gives one; an event that arrives after a
 * call has returned interrupts the instruction after its SYSCALL.
 */
extern volatile unsigned int nr_upcalls_in_hypercall;
/* Per vCPU: upcalls taken, and the last port its upcall handler saw. */
extern volatile uint32_t vcpu_upcalls[];
extern volatile uint32_t vcpu_last_port[];

/* The vcpu_info events for vcpu land in: its shared_info slot, or where it was registered. */
struct vcpu_info *events_vcpu_info(unsigned int vcpu);
/* VCPUOP_register_vcpu_info at offset in page (an initial-region page); the
 * upcall handler follows it on success. 0 or the hypercall's error. */
int64_t events_register_vcpu_info(unsigned int vcpu, void *page, uint32_t offset);

/* System time in ns from vcpu_info's pvclock. */
uint64_t pvclock_now(void);

/* The calling vCPU's upcall mask. */
void events_mask(void);
void events_unmask(void);

static inline int port_pending(unsigned int p) { return !!(shinfo->evtchn_pending[p / 64] & (1ull << (p % 64))); }
static inline void port_clear(unsigned int p) { __atomic_and_fetch(&shinfo->evtchn_pending[p / 64], ~(1ull << (p % 64)), __ATOMIC_SEQ_CST); }

int64_t evtchn_op(unsigned int cmd, void *arg);
int64_t evtchn_send(unsigned int port);
/* Blocks in SCHEDOP_poll on one port until it is pending or timeout (absolute ns, 0 none). */
int64_t poll_port(unsigned int port, uint64_t timeout);

/* Reads peer=<domid> and sets events up to talk to it; DOMID_INVALID, with the
 * reason formatted into why, when it cannot. */
domid_t events_init_for_peer(char *why, size_t len);
/* Interdomain channels without a store: one side offers a port to the other's domid... */
int64_t evtchn_offer(domid_t peer, unsigned int *port);
/* ...the other binds to it (whichever port it is: a domU's first ports are the builder's
 * xenstore and console ports, offered to dom0), yielding until it is offered; the
 * notification binding brings is cleared. Both return 0 or the hypercall's error, the
 * port in *port. */
int64_t evtchn_connect(domid_t peer, unsigned int *port);
/* Waits for peer to offer us any of its ports 1..63 (an offer is a signal, e.g. "my
 * guard is ready"), binding each in turn and yielding between rounds; 0 with our port
 * in *port and the rounds it took in *rounds, or the last error after max_rounds.
 * Needs no shared_info: the notification that binding brings is left pending. */
int64_t evtchn_await_offer(domid_t peer, unsigned long max_rounds, unsigned int *port, unsigned long *rounds);
/* The port's state (EVTCHNSTAT_*), or a negative error. */
int64_t evtchn_state(unsigned int port);

#endif
