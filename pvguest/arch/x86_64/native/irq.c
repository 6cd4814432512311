/*
 * Native interrupts and time: the local APIC of each CPU (one-shot timer,
 * IPIs), the 8259s for device lines (to CPU 0), the TSC as the clock (both
 * calibrated against PIT channel 2 once, on CPU 0: QEMU's CPUs share one
 * clock), and the dispatch of every vector >= 32. A channel is a vector,
 * the same on every CPU (one IDT).
 */
#include <counters.h>
#include <mm.h>
#include <sched.h>
#include "native.h"

#define APIC_TPR        0x080
#define APIC_EOI        0x0b0
#define APIC_SVR        0x0f0
#define APIC_LVT_TIMER  0x320
#define APIC_TIMER_ICR  0x380
#define APIC_TIMER_CCR  0x390
#define APIC_TIMER_DCR  0x3e0
#define APIC_MASKED     0x10000u
#define APIC_DCR_DIV16  0x3u
#define ICR_SELF        (1u << 18)

#define PIC1            0x20
#define PIC2            0xa0

#define PIT_HZ          1193182u
#define CALIBRATE_MS    20

#define MAX_CHANNELS    16

struct channel {
    unsigned int vector;
    irq_handler_t fn;
    void *arg;
};

static struct channel channels[MAX_CHANNELS];
static unsigned int nr_channels;
static int8_t vector_channel[256];
static unsigned int next_ipi = VEC_IPI_BASE;

static volatile uint32_t *lapic(unsigned int reg) { return (volatile uint32_t *)(fix_to_virt(FIX_LAPIC) + reg); }
uint32_t apic_read(unsigned int reg) { return *lapic(reg); }
void apic_write(unsigned int reg, uint32_t v) { *lapic(reg) = v; }

/* Writes the ICR (destination, then command); interrupts off so no handler's IPI comes between. */
void apic_send(uint32_t apic_id, uint32_t cmd)
{
    unsigned long f = irq_save();
    apic_write(APIC_ICR_HI, apic_id << 24);
    apic_write(APIC_ICR_LO, cmd);
    irq_restore(f);
}

static int bind_vector(unsigned int vector, irq_handler_t fn, void *arg)
{
    unsigned long f = irq_save();
    if (nr_channels == MAX_CHANNELS || vector_channel[vector] >= 0) {
        irq_restore(f);
        return -ENOSPC;
    }
    int ch = (int)nr_channels++;
    channels[ch] = (struct channel){ vector, fn, arg };
    vector_channel[vector] = (int8_t)ch;
    idt_set_gate(vector);
    irq_restore(f);
    return ch;
}

static void pic_init(void)
{
    outb(PIC1, 0x11); outb(PIC2, 0x11);                 /* ICW1: edge, cascade, ICW4 */
    outb(PIC1 + 1, VEC_PIC_BASE); outb(PIC2 + 1, VEC_PIC_BASE + 8);
    outb(PIC1 + 1, 4); outb(PIC2 + 1, 2);
    outb(PIC1 + 1, 1); outb(PIC2 + 1, 1);               /* 8086 mode */
    outb(PIC1 + 1, 0xfb); outb(PIC2 + 1, 0xff);         /* all masked but the cascade */
}

/* The calling CPU's local APIC: on, nothing masked by priority, its timer masked. */
void native_lapic_init(void)
{
    apic_write(APIC_TPR, 0);
    apic_write(APIC_SVR, 0x100 | VEC_SPURIOUS);         /* APIC on */
    apic_write(APIC_LVT_TIMER, APIC_MASKED);
}

static void native_irq_init(void)
{
    for (unsigned int v = 0; v < 256; v++)
        vector_channel[v] = -1;
    pic_init();
    native_lapic_init();
    idt_set_gate(VEC_SPURIOUS);
    idt_set_gate(VEC_TLB_FLUSH);
}

static int native_bind_irq(unsigned int irq, irq_handler_t fn, void *arg);

/*
 * The timer is each CPU's local APIC timer, one vector for all: the first
 * CPU's bind makes the channel, the others' find it. Console input is COM1's
 * receive interrupt on its 8259 line.
 */
static int native_bind_virq(unsigned int virq, irq_handler_t fn, void *arg)
{
    if (virq == PV_VIRQ_TIMER) {
        int ch = vector_channel[VEC_TIMER];
        if (ch >= 0 && channels[ch].fn == fn && channels[ch].arg == arg)
            return ch;
        return bind_vector(VEC_TIMER, fn, arg);
    }
    if (virq != PV_VIRQ_CONSOLE)
        return -EINVAL;
    int ch = native_bind_irq(COM1_IRQ, fn, arg);
    if (ch >= 0)
        serial_enable_rx_irq();
    return ch;
}

static int native_bind_irq(unsigned int irq, irq_handler_t fn, void *arg)
{
    if (irq >= 16 || irq == 2)
        return -EINVAL;
    int ch = bind_vector(VEC_PIC_BASE + irq, fn, arg);
    if (ch < 0)
        return ch;
    uint16_t port = irq < 8 ? PIC1 + 1 : PIC2 + 1;
    outb(port, inb(port) & ~(1u << (irq & 7)));
    return ch;
}

static int native_bind_ipi(irq_handler_t fn, void *arg)
{
    if (next_ipi > VEC_IPI_LAST)
        return -ENOSPC;
    int ch = bind_vector(next_ipi, fn, arg);
    if (ch >= 0)
        next_ipi++;
    return ch;
}

static void native_notify(int ch)
{
    if (ch < 0 || ch >= (int)nr_channels)
        return;
    apic_send(0, ICR_SELF | channels[ch].vector);
}

static void native_notify_cpu(int ch, unsigned int cpu)
{
    if (ch < 0 || ch >= (int)nr_channels || cpu >= nr_cpus_online)
        return;
    apic_send(native_cpu_apic_id(cpu), channels[ch].vector);
}

void native_trap(struct trap_frame *f)
{
    if (f->vector < 32) {
        trap_exception(f);
        return;
    }
    unsigned int v = (unsigned int)f->vector;
    if (v == VEC_SPURIOUS)
        return;
    if (v == VEC_TLB_FLUSH) {
        native_flush_serve();
        apic_write(APIC_EOI, 0);
        return;
    }
    int ch = vector_channel[v];
    if (ch >= 0) {
        counter_event((unsigned int)ch);
        channels[ch].fn(channels[ch].arg);
    }
    if (v >= VEC_PIC_BASE && v < VEC_PIC_BASE + 16) {
        if (v >= VEC_PIC_BASE + 8)
            outb(PIC2, 0x20);
        outb(PIC1, 0x20);
    } else {
        apic_write(APIC_EOI, 0);
    }
    irq_exit(f->rflags & RFLAGS_IF);
}

const struct pv_irq_ops native_irq_ops = {
    .init = native_irq_init,
    .bind_virq = native_bind_virq,
    .bind_irq = native_bind_irq,
    .bind_ipi = native_bind_ipi,
    .notify = native_notify,
    .notify_cpu = native_notify_cpu,
};

/* ---- time ---- */

static uint64_t tsc_base, tsc_hz, apic_hz;
static uint64_t ns_per_tsc;             /* 32.32 fixed point */
static uint64_t apic_per_ns;            /* 32.32 fixed point */

static uint64_t native_clock_ns(void)
{
    if (!tsc_hz)
        return 0;
    return (uint64_t)(((unsigned __int128)(rdtsc() - tsc_base) * ns_per_tsc) >> 32);
}

/* Runs PIT channel 2 one-shot for CALIBRATE_MS; counts TSC and APIC timer ticks meanwhile. */
static void native_time_init(void)
{
    uint32_t latch = PIT_HZ * CALIBRATE_MS / 1000;
    outb(0x61, (inb(0x61) & ~0x02) | 0x01);             /* gate on, speaker off */
    outb(0x43, 0xb0);                                   /* channel 2, lo/hi, mode 0 */
    outb(0x42, latch & 0xff);
    outb(0x42, latch >> 8);
    apic_write(APIC_TIMER_DCR, APIC_DCR_DIV16);
    apic_write(APIC_LVT_TIMER, APIC_MASKED);
    apic_write(APIC_TIMER_ICR, 0xffffffffu);
    uint64_t t0 = rdtsc();
    for (uint64_t spins = 0; !(inb(0x61) & 0x20); spins++)
        if (spins > 100000000ull)
            panic("native: PIT channel 2 never reached terminal count; cannot calibrate the timers");
    uint64_t dtsc = rdtsc() - t0, dapic = 0xffffffffu - apic_read(APIC_TIMER_CCR);
    apic_write(APIC_TIMER_ICR, 0);
    if (!dtsc || !dapic)
        panic("native: timer calibration failed (TSC moved %llu, APIC timer %llu)", (unsigned long long)dtsc,
              (unsigned long long)dapic);
    tsc_hz = dtsc * 1000 / CALIBRATE_MS;
    apic_hz = dapic * 1000 / CALIBRATE_MS;
    ns_per_tsc = (NSEC_PER_SEC << 32) / tsc_hz;
    apic_per_ns = (apic_hz << 32) / NSEC_PER_SEC;
    tsc_base = rdtsc();
    apic_write(APIC_LVT_TIMER, VEC_TIMER);              /* one-shot */
    printk("pvguest: time: TSC %llu kHz, APIC timer %llu kHz (bus/16)\n", (unsigned long long)(tsc_hz / 1000),
           (unsigned long long)(apic_hz / 1000));
}

/* A secondary CPU's APIC timer: the divider and one-shot mode of CPU 0's (the rate is the same). */
static void native_time_init_cpu(void)
{
    apic_write(APIC_TIMER_DCR, APIC_DCR_DIV16);
    apic_write(APIC_LVT_TIMER, VEC_TIMER);
}

static void native_set_oneshot(uint64_t deadline)
{
    if (!deadline) {
        apic_write(APIC_TIMER_ICR, 0);
        return;
    }
    uint64_t now = native_clock_ns();
    uint64_t delta = deadline > now + 1000 ? deadline - now : 1000;
    uint64_t count = (uint64_t)(((unsigned __int128)delta * apic_per_ns) >> 32) + 1;
    apic_write(APIC_TIMER_ICR, count > 0xffffffffu ? 0xffffffffu : (uint32_t)count);
}

const struct pv_time_ops native_time_ops = {
    .init = native_time_init,
    .clock_ns = native_clock_ns,
    .set_oneshot = native_set_oneshot,
    .init_cpu = native_time_init_cpu,
};
