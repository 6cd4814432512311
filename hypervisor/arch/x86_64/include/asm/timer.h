/* The periodic APIC timer tick. */
#ifndef ASM_TIMER_H
#define ASM_TIMER_H

#include <stdint.h>

#define TIMER_HZ 100

/* Calibrates TSC and APIC timer against the PIT, starts the tick. Needs apic_init(). */
void time_init(void);
/* Starts this CPU's timer interrupt (time_init does it for the boot CPU). */
void time_init_cpu(void);

struct vcpu;
struct shared_info;
/* pvclock in v's vcpu_info, from the TSC scale system time uses. */
void arch_update_vcpu_time(struct vcpu *v);
/* Reads the CMOS RTC once; arch_set_wallclock gives a domain the boot wall time. */
void wallclock_init(void);
void arch_set_wallclock(struct shared_info *s);

/* Ticks since time_init; incremented by the timer interrupt. */
extern volatile uint64_t timer_ticks;

#endif
