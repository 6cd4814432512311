/*
 * Counters: hypervisor entries by number (PV: every hypercall the kernel
 * makes, iret included; native: every privileged MMU instruction, i.e. the
 * TLB flushes and CR3 loads a hypervisor would have to trap), updates per
 * batch, traps and events. Printed on request and at shutdown.
 */
#ifndef PVGUEST_COUNTERS_H
#define PVGUEST_COUNTERS_H

#include <kernel.h>

#define COUNTER_ENTRIES     64      /* entry numbers 0..63 */
#define COUNTER_TRAPS       32
#define COUNTER_EVENTS      16      /* events by channel; higher channels share the last slot */
#define COUNTER_BATCH_BINS  12      /* 1, 2-3, 4-7, ..., 1024+ updates per flush */

/* The entry number of a page-table store a PV hypervisor traps and emulates (pt_write=direct). */
#define COUNTER_ENTRY_PT_STORE 60

/* One hypervisor entry (number nr) by the calling CPU. Entries are counted per CPU. */
void counter_entry(unsigned int nr);
/* Hypervisor entries so far, by every CPU. */
uint64_t counter_total_entries(void);
/* ... by the calling CPU: what a measurement with preemption off, or on a pinned thread, reads. */
uint64_t counter_cpu_entries(void);
/* One batch of n queued operations reached the MMU (n = 1 when not batching). */
void counter_batch(unsigned int n);
void counter_trap(unsigned int vector);
void counter_event(unsigned int channel);
/* Events so far (PV: event-channel upcalls handled, by port; natively: interrupts, by vector), every CPU. */
uint64_t counter_total_events(void);
uint64_t counter_batches(void);
uint64_t counter_batch_bin(unsigned int bin);
/* Prints every nonzero counter as "# counters: ..." lines. */
void counters_print(const char *why);

#endif /* PVGUEST_COUNTERS_H */
