/* The periodic APIC timer tick. */
#ifndef ASM_TIMER_H
#define ASM_TIMER_H

#include <stdint.h>

#define TIMER_HZ 100

/* Calibrates TSC and APIC timer against the PIT, starts the tick. Needs apic_init(). */
void time_init(void);

/* Ticks since time_init; incremented by the timer interrupt. */
extern volatile uint64_t timer_ticks;

#endif
