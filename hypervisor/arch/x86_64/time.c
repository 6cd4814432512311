/* Calibrating the TSC and APIC timer against the PIT; system time and the tick. */
#include <hv/printk.h>
#include <hv/sched.h>
#include <hv/time.h>
#include <hv/timer.h>
#include <asm/apic.h>
#include <asm/cpu.h>
#include <asm/irq.h>
#include <asm/timer.h>

#define PIT_HZ          1193182u
#define PIT_CH2         0x42
#define PIT_MODE        0x43
#define PIT_GATE        0x61
#define CALIBRATE_MS    25

static struct time_scale tsc_scale;
static uint64_t tsc_base, tsc_hz, apic_timer_hz;
volatile uint64_t timer_ticks;

s_time_t NOW(void)
{
    if (!tsc_hz)
        return 0;
    return (s_time_t)scale_delta(rdtsc() - tsc_base, &tsc_scale);
}

uint64_t cpu_khz(void) { return tsc_hz / 1000; }

/*
 * Runs PIT channel 2 in one-shot mode for CALIBRATE_MS and counts how far the
 * TSC and the APIC timer (divide by 16) move meanwhile.
 */
static void calibrate(uint64_t *tsc_delta, uint64_t *apic_delta)
{
    uint32_t latch = PIT_HZ * CALIBRATE_MS / 1000;

    outb(PIT_GATE, (inb(PIT_GATE) & ~0x02) | 0x01);    /* gate on, speaker off */
    outb(PIT_MODE, 0xb0);                               /* ch2, lo/hi byte, mode 0 */
    outb(PIT_CH2, latch & 0xff);
    outb(PIT_CH2, latch >> 8);

    apic_write(APIC_TIMER_DCR, APIC_DCR_DIV16);
    apic_write(APIC_LVT_TIMER, APIC_LVT_MASKED);
    apic_write(APIC_TIMER_ICR, 0xffffffffu);
    uint64_t t0 = rdtsc();

    /* OUT2 (bit 5) rises at terminal count. Bounded: a dead PIT must not hang boot. */
    uint64_t spins = 0;
    while (!(inb(PIT_GATE) & 0x20))
        if (++spins > 100000000ull)
            panic("time: the PIT never reached terminal count; cannot calibrate timers");

    *tsc_delta = rdtsc() - t0;
    *apic_delta = 0xffffffffu - apic_read(APIC_TIMER_CCR);
    apic_write(APIC_TIMER_ICR, 0);
}

static uint64_t apic_ns_mult;                   /* APIC timer ticks per ns, 32.32 fixed point */
static struct timer tick_timer;

/* The housekeeping tick: counts ticks and drives the scheduler's accounting. */
static void tick(void *data)
{
    (void)data;
    timer_ticks++;
    sched_tick();
    set_timer(&tick_timer, tick_timer.expires + SECONDS(1) / TIMER_HZ);
}

void arch_timer_program(s_time_t when)
{
    s_time_t delta = when - NOW();
    if (delta < 1000)
        delta = 1000;                               /* at least a microsecond away */
    uint64_t count = (uint64_t)(((unsigned __int128)(uint64_t)delta * apic_ns_mult) >> 32);
    if (count > 0xffffffffu)
        count = 0xffffffffu;
    apic_write(APIC_TIMER_ICR, count ? (uint32_t)count : 1);
}

static void timer_interrupt(struct cpu_regs *regs)
{
    (void)regs;
    timer_interrupt_run();
}

void time_init(void)
{
    uint64_t dtsc, dapic;

    calibrate(&dtsc, &dapic);
    if (!dtsc || !dapic)
        panic("time: calibration failed (TSC moved %llu, APIC timer moved %llu)",
              (unsigned long long)dtsc, (unsigned long long)dapic);
    tsc_hz = dtsc * 1000 / CALIBRATE_MS;
    apic_timer_hz = dapic * 1000 / CALIBRATE_MS;
    set_time_scale(&tsc_scale, tsc_hz);
    tsc_base = rdtsc();

    printk("time: TSC %llu.%03llu MHz, APIC timer %llu.%03llu MHz (bus/16), calibrated over %u ms of PIT\n",
           (unsigned long long)(tsc_hz / 1000000), (unsigned long long)(tsc_hz / 1000 % 1000),
           (unsigned long long)(apic_timer_hz / 1000000), (unsigned long long)(apic_timer_hz / 1000 % 1000),
           CALIBRATE_MS);

    /* One-shot: the earliest software timer is always the next interrupt. */
    apic_ns_mult = (apic_timer_hz << 32) / 1000000000ull;
    set_irq_handler(TIMER_VECTOR, timer_interrupt);
    apic_write(APIC_TIMER_DCR, APIC_DCR_DIV16);
    apic_write(APIC_LVT_TIMER, TIMER_VECTOR);
    init_timer(&tick_timer, tick, NULL);
    set_timer(&tick_timer, NOW() + SECONDS(1) / TIMER_HZ);
    printk("time: one-shot APIC timer; housekeeping tick at %u Hz\n", TIMER_HZ);
}
