/* Local APIC, I/O APIC and the legacy PICs: the interrupt controllers we own. */
#include <hv/memmap.h>
#include <hv/printk.h>
#include <hv/time.h>
#include <asm/apic.h>
#include <asm/cpu.h>
#include <asm/irq.h>
#include <asm/mm.h>

#define PIC1_CMD    0x20
#define PIC1_DATA   0x21
#define PIC2_CMD    0xa0
#define PIC2_DATA   0xa1

#define IOAPIC_REGSEL   0x00
#define IOAPIC_WIN      0x10
#define IOAPIC_VER      0x01
#define IOAPIC_REDIR(n) (0x10 + 2 * (n))

static volatile uint32_t *lapic;
static volatile uint32_t *ioapic;
static unsigned int ioapic_pins;
static uint64_t lapic_pa = 0xfee00000;   /* physical base of the local APICs (from the MSR at apic_init) */

uint32_t apic_read(unsigned int reg) { return lapic[reg / 4]; }
void apic_write(unsigned int reg, uint32_t v) { lapic[reg / 4] = v; }
void apic_eoi(void) { apic_write(APIC_EOI, 0); }
uint32_t apic_id(void) { return apic_read(APIC_ID) >> 24; }

static uint32_t ioapic_read(unsigned int reg)
{
    ioapic[IOAPIC_REGSEL / 4] = reg;
    return ioapic[IOAPIC_WIN / 4];
}

static void ioapic_write(unsigned int reg, uint32_t v)
{
    ioapic[IOAPIC_REGSEL / 4] = reg;
    ioapic[IOAPIC_WIN / 4] = v;
}

/* Remap the 8259s away from the exception vectors, then mask every input. */
static void pic_mask_all(void)
{
    outb(PIC1_CMD, 0x11);           /* ICW1: edge, cascade, ICW4 follows */
    outb(PIC2_CMD, 0x11);
    outb(PIC1_DATA, PIC_MASTER_VECTOR);
    outb(PIC2_DATA, PIC_SLAVE_VECTOR);
    outb(PIC1_DATA, 0x04);          /* slave on IR2 */
    outb(PIC2_DATA, 0x02);
    outb(PIC1_DATA, 0x01);          /* 8086 mode */
    outb(PIC2_DATA, 0x01);
    outb(PIC1_DATA, 0xff);
    outb(PIC2_DATA, 0xff);
}

void apic_init(void)
{
    pic_mask_all();

    uint64_t base = rdmsr(MSR_APIC_BASE);
    uint64_t pa = base & 0xffffff000ull;
    if (madt.lapic_addr && madt.lapic_addr != pa)
        printk(LOG_WARN "apic: MADT says the local APIC is at %#llx, the MSR says %#llx; using the MSR\n",
               (unsigned long long)madt.lapic_addr, (unsigned long long)pa);
    wrmsr(MSR_APIC_BASE, base | (1u << 11));        /* global enable */
    lapic = ioremap(pa, PAGE_SIZE);
    lapic_pa = pa;
    apic_init_cpu();


    unsigned int pins = 0;
    if (madt.ioapic_addr) {
        ioapic = ioremap(madt.ioapic_addr, PAGE_SIZE);
        pins = ((ioapic_read(IOAPIC_VER) >> 16) & 0xff) + 1;
        ioapic_pins = pins;
        /* Every input masked until a device is given to a domain. */
        for (unsigned int i = 0; i < pins; i++) {
            ioapic_write(IOAPIC_REDIR(i) + 1, 0);
            ioapic_write(IOAPIC_REDIR(i), APIC_LVT_MASKED);
        }
    }
    printk("apic: local APIC id %u version %#x at %#llx; I/O APIC at %#llx with %u pins, all masked; 8259s masked\n",
           apic_id(), apic_read(APIC_VERSION) & 0xff, (unsigned long long)pa,
           (unsigned long long)madt.ioapic_addr, pins);
}

/* The MSI address window, where local APICs answer: Xen keeps all of it from dom0. */
#define MSI_WINDOW_START 0xfee00000ull
#define MSI_WINDOW_END   0xfef00000ull

unsigned int arch_hypervisor_mmio(struct range *out, unsigned int max)
{
    struct range r[3];
    unsigned int n = 0;
    if (madt.ioapic_addr)
        r[n++] = (struct range){ madt.ioapic_addr, madt.ioapic_addr + PAGE_SIZE };
    r[n++] = (struct range){ MSI_WINDOW_START, MSI_WINDOW_END };
    if (lapic_pa < MSI_WINDOW_START || lapic_pa >= MSI_WINDOW_END)
        r[n++] = (struct range){ lapic_pa, lapic_pa + PAGE_SIZE };
    /* Sorted by address, as callers expect. */
    for (unsigned int i = 1; i < n; i++)
        for (unsigned int j = i; j > 0 && r[j - 1].start > r[j].start; j--) {
            struct range t = r[j];
            r[j] = r[j - 1];
            r[j - 1] = t;
        }
    n = MIN(n, max);
    memcpy(out, r, n * sizeof(*r));
    return n;
}

void apic_init_cpu(void)
{
    wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | (1u << 11));
    apic_write(APIC_TPR, 0);
    apic_write(APIC_LVT_TIMER, APIC_LVT_MASKED);
    apic_write(APIC_LVT_LINT0, APIC_LVT_MASKED);
    apic_write(APIC_LVT_LINT1, APIC_DM_NMI);
    apic_write(APIC_LVT_ERROR, APIC_LVT_MASKED);
    apic_write(APIC_SVR, APIC_SVR_ENABLE | SPURIOUS_VECTOR);
    apic_write(APIC_ESR, 0);
    apic_eoi();
}

static void icr_wait(void)
{
    for (int i = 0; i < 1000000 && (apic_read(APIC_ICR_LO) & APIC_ICR_BUSY); i++)
        cpu_relax();
}

/*
 * Whether the MP specification's waits in INIT-SIPI-SIPI (10 ms after INIT,
 * 200 us after each SIPI) are needed: only by processors older than the
 * integrated APIC of Intel's family 6 and AMD's family 15. As Linux
 * (smp_quirk_init_udelay), newer ones get no wait after INIT and 10 us after
 * each SIPI; under QEMU's TCG the 10 ms are 10 million instructions of boot.
 */
static bool legacy_startup_waits(void)
{
    uint32_t a, vendor, c, d;
    cpuid(0, 0, &a, &vendor, &c, &d);
    cpuid(1, 0, &a, &d, &c, &d);
    unsigned int family = (a >> 8) & 0xf;
    if (family == 0xf)
        family += (a >> 20) & 0xff;
    if (vendor == 0x756e6547u)              /* "Genu"ineIntel: family 6 (15 is the Pentium 4) */
        return family != 6;
    if (vendor == 0x68747541u || vendor == 0x6f677948u)    /* "Auth"enticAMD, "Hygo"nGenuine */
        return family < 0xf;
    return true;
}

static void wait_us(uint64_t us)
{
    s_time_t until = NOW() + MICROSECS(us);
    while (NOW() < until)
        cpu_relax();
}

void apic_start_cpu(uint32_t id, unsigned int start_page)
{
    bool legacy = legacy_startup_waits();
    icr_wait();
    apic_write(APIC_ICR_HI, id << 24);
    apic_write(APIC_ICR_LO, APIC_DM_INIT | APIC_INT_LEVEL | APIC_INT_ASSERT);
    icr_wait();
    if (legacy)
        wait_us(10000);
    for (int i = 0; i < 2; i++) {
        apic_write(APIC_ICR_HI, id << 24);
        apic_write(APIC_ICR_LO, APIC_DM_STARTUP | start_page);
        icr_wait();
        wait_us(legacy ? 200 : 10);
    }
}

void apic_self_nmi(void)
{
    apic_write(APIC_ICR_HI, apic_id() << 24);
    apic_write(APIC_ICR_LO, APIC_DM_NMI);
    for (int i = 0; i < 100000 && (apic_read(APIC_ICR_LO) & APIC_ICR_BUSY); i++)
        cpu_relax();
}

bool mfns_hypervisor_mmio(uint64_t first, uint64_t last)
{
    uint64_t lapic = (rdmsr(MSR_APIC_BASE) & 0xffffff000ull) >> PAGE_SHIFT;
    uint64_t ioapic = madt.ioapic_addr >> PAGE_SHIFT;
    return (first <= lapic && lapic <= last) || (madt.ioapic_addr && first <= ioapic && ioapic <= last);
}

bool mfn_is_hypervisor_mmio(uint64_t mfn)
{
    return mfns_hypervisor_mmio(mfn, mfn);
}

void ioapic_route(uint32_t gsi, unsigned int vector, int isa_irq)
{
    if (!ioapic || gsi < madt.ioapic_gsi_base)
        panic("ioapic_route: GSI %u has no I/O APIC", gsi);
    unsigned int pin = gsi - madt.ioapic_gsi_base;
    uint32_t lo = vector;                   /* fixed delivery, physical destination */
    if (isa_irq >= 0) {
        uint16_t f = madt.isa_flags[isa_irq];
        if ((f & 3) == 3)
            lo |= 1u << 13;                 /* active low */
        if (((f >> 2) & 3) == 3)
            lo |= 1u << 15;                 /* level triggered */
    }
    ioapic_write(IOAPIC_REDIR(pin) + 1, apic_id() << 24);
    ioapic_write(IOAPIC_REDIR(pin), lo);
}

unsigned int ioapic_nr_pins(void)
{
    return ioapic_pins;
}

#define IOAPIC_ACTIVE_LOW   (1u << 13)
#define IOAPIC_LEVEL        (1u << 15)

void ioapic_set_entry(uint32_t gsi, unsigned int vector, bool level, bool active_low, bool masked)
{
    unsigned int pin = gsi - madt.ioapic_gsi_base;
    ASSERT(ioapic && gsi >= madt.ioapic_gsi_base && pin < ioapic_pins);
    uint32_t lo = vector | (level ? IOAPIC_LEVEL : 0) | (active_low ? IOAPIC_ACTIVE_LOW : 0) |
                  (masked ? APIC_LVT_MASKED : 0);
    /* Masked while the destination changes, so no half-written entry fires. */
    ioapic_write(IOAPIC_REDIR(pin), lo | APIC_LVT_MASKED);
    ioapic_write(IOAPIC_REDIR(pin) + 1, apic_id() << 24);
    ioapic_write(IOAPIC_REDIR(pin), lo);
}

void ioapic_set_mask(uint32_t gsi, bool masked)
{
    unsigned int pin = gsi - madt.ioapic_gsi_base;
    ASSERT(ioapic && gsi >= madt.ioapic_gsi_base && pin < ioapic_pins);
    uint32_t lo = ioapic_read(IOAPIC_REDIR(pin));
    ioapic_write(IOAPIC_REDIR(pin), masked ? lo | APIC_LVT_MASKED : lo & ~APIC_LVT_MASKED);
}
