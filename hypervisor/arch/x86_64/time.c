/* Calibrating the TSC and APIC timer against the PIT; system time and the tick. */
#include <hv/domain.h>
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

s_time_t tsc_ticks_to_ns(uint64_t ticks)
{
    return tsc_hz ? (s_time_t)scale_delta(ticks, &tsc_scale) : 0;
}

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

/* The housekeeping tick: proof of life for the self-tests and the heartbeat. */
static void tick(void *data)
{
    (void)data;
    timer_ticks++;
    set_timer_periodic(&tick_timer, SECONDS(1) / TIMER_HZ);
}

void arch_timer_program(s_time_t when)
{
    apic_write(APIC_TIMER_ICR, oneshot_count(when, NOW(), apic_ns_mult));
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
    time_init_cpu();
    init_timer(&tick_timer, tick, NULL);
    set_timer(&tick_timer, NOW() + SECONDS(1) / TIMER_HZ);
    printk("time: one-shot APIC timer; housekeeping tick at %u Hz\n", TIMER_HZ);
}

/* This CPU's one-shot APIC timer (every CPU's runs at the boot CPU's calibrated rate). */
void time_init_cpu(void)
{
    apic_write(APIC_TIMER_DCR, APIC_DCR_DIV16);
    apic_write(APIC_LVT_TIMER, TIMER_VECTOR);
    arch_timer_program(NOW() + SECONDS(1));
}

/* pvclock: the guest computes system time from its TSC with our scale (a seqlock on version). */
void arch_update_vcpu_time(struct vcpu *v)
{
    struct vcpu_time_info *t = &v->vcpu_info->time;
    uint64_t tsc = rdtsc();
    t->version++;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    t->tsc_timestamp = tsc;
    t->system_time = scale_delta(tsc - tsc_base, &tsc_scale);
    t->tsc_to_system_mul = tsc_scale.mul_frac;
    t->tsc_shift = tsc_scale.shift;
    t->flags = XEN_PVCLOCK_TSC_STABLE_BIT;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    t->version++;
}

/* ---- wall clock from the CMOS RTC ----------------------------------------- */

static uint64_t boot_wallclock_sec;     /* Unix time when system time was 0 */

static uint8_t cmos(uint8_t reg)
{
    outb(0x70, reg);
    return inb(0x71);
}

static unsigned int bcd(uint8_t v, bool binary) { return binary ? v : (v >> 4) * 10 + (v & 15); }

/* Days since 1970-01-01 of a Gregorian date (civil-from-days, inverted). */
static uint64_t days_from_civil(int y, unsigned int m, unsigned int d)
{
    y -= m <= 2;
    int era = (y >= 0 ? y : y - 399) / 400;
    unsigned int yoe = (unsigned int)(y - era * 400);
    unsigned int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (uint64_t)(era * 146097 + (int)doe - 719468);
}

void wallclock_init(void)
{
    /* Wait out an update in progress, then read twice until both reads agree. */
    uint8_t s, m, h, d, mo, y, s2;
    unsigned int spins = 0;
    do {
        while ((cmos(0x0a) & 0x80) && ++spins < 1000000)
            ;
        s = cmos(0x00), m = cmos(0x02), h = cmos(0x04), d = cmos(0x07), mo = cmos(0x08), y = cmos(0x09);
        s2 = cmos(0x00);
    } while (s != s2 && ++spins < 1000000);
    bool bin = cmos(0x0b) & 0x04, h24 = cmos(0x0b) & 0x02;
    unsigned int hour = bcd(h & 0x7f, bin);
    if (!h24 && (h & 0x80))
        hour = (hour % 12) + 12;
    uint64_t days = days_from_civil(2000 + (int)bcd(y, bin), bcd(mo, bin), bcd(d, bin));
    uint64_t now = days * 86400 + hour * 3600 + bcd(m, bin) * 60 + bcd(s, bin);
    boot_wallclock_sec = now - (uint64_t)(NOW() / SECONDS(1));
    printk("time: wall clock %llu s since 1970 (CMOS RTC)\n", (unsigned long long)now);
}

void arch_set_wallclock(struct shared_info *s)
{
    s->wc_version++;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    s->wc_sec = (uint32_t)boot_wallclock_sec;
    s->wc_sec_hi = (uint32_t)(boot_wallclock_sec >> 32);
    s->wc_nsec = 0;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    s->wc_version++;
}
