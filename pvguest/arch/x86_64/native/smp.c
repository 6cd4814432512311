/*
 * Native secondary CPUs: the local APICs the ACPI MADT lists, started with
 * INIT-SIPI-SIPI into the real-mode trampoline (head.S), and TLB shootdowns
 * between them (an IPI; every CPU reloads CR3 and says so). A CPU waiting
 * for the others, or spinning on a lock, serves shootdowns itself
 * (native_relax), so two CPUs never wait on each other.
 */
#include <mm.h>
#include <pagetable.h>
#include <sched.h>
#include "native.h"

#define MADT_LAPIC              0
#define MADT_LAPIC_ENABLED      0x1u
#define MADT_LAPIC_ONLINE_CAP   0x2u
#define INIT_DELAY_NS           (10 * NSEC_PER_MSEC)
#define SIPI_DELAY_NS           (200 * NSEC_PER_USEC)
#define ALIVE_TIMEOUT_NS        (2 * NSEC_PER_SEC)
#define MAX_MADT_CPUS           64

struct acpi_header {
    char sig[4];
    uint32_t length;
    uint8_t revision, checksum;
    char oem[6], oem_table[8];
    uint32_t oem_rev, creator, creator_rev;
} __attribute__((packed));

static uint8_t madt_ids[MAX_MADT_CPUS];
static unsigned int nr_madt;
static uint32_t apic_ids[MAX_CPUS];

/* Read by head.S's ap_start_high; the CPU started last sets ap_alive. */
uint64_t ap_boot_cr3, ap_boot_stack;
static void (*ap_entry)(void);
static volatile bool ap_alive;
extern const char ap_trampoline[], ap_trampoline_end[];

/* The boot tables map the first GiB (less the fixmap) in the direct map; tables beyond it are ignored. */
#define BOOT_MAPPED DIRECT_MAP_SIZE
static const void *phys(uint64_t pa) { return (const uint8_t *)pfn_to_virt(0) + pa; }

static bool checksum_ok(const void *p, size_t n)
{
    uint8_t sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += ((const uint8_t *)p)[i];
    return sum == 0;
}

static const void *find_rsdp(void)
{
    for (uint64_t pa = 0xe0000; pa < 0x100000; pa += 16)
        if (!memcmp(phys(pa), "RSD PTR ", 8) && checksum_ok(phys(pa), 20))
            return phys(pa);
    return NULL;
}

static void scan_madt(const struct acpi_header *h)
{
    const uint8_t *p = (const uint8_t *)h + sizeof(*h) + 8, *end = (const uint8_t *)h + h->length;
    for (; p + 2 <= end && p[1] >= 2 && p + p[1] <= end; p += p[1])
        if (p[0] == MADT_LAPIC && p[1] >= 8 && (p[4] & (MADT_LAPIC_ENABLED | MADT_LAPIC_ONLINE_CAP)) &&
            nr_madt < MAX_MADT_CPUS)
            madt_ids[nr_madt++] = p[3];
}

void native_acpi_scan(const void *rsdp)
{
    const uint8_t *r = rsdp ? rsdp : find_rsdp();
    if (!r)
        return;
    uint8_t rev = r[15];
    uint64_t xsdt = rev >= 2 ? *(const uint64_t *)(r + 24) : 0, rsdt = *(const uint32_t *)(r + 16);
    uint64_t root_pa = xsdt ? xsdt : rsdt;
    if (root_pa + PAGE_SIZE > BOOT_MAPPED)
        return;
    const struct acpi_header *root = phys(root_pa);
    if (root->length > PAGE_SIZE || !checksum_ok(root, root->length))
        return;
    unsigned int width = xsdt ? 8 : 4, n = (root->length - (uint32_t)sizeof(*root)) / width;
    for (unsigned int i = 0; i < n; i++) {
        const uint8_t *e = (const uint8_t *)(root + 1) + i * width;
        uint64_t pa = width == 8 ? *(const uint64_t *)e : *(const uint32_t *)e;
        if (pa + PAGE_SIZE > BOOT_MAPPED)
            continue;
        const struct acpi_header *h = phys(pa);
        if (!memcmp(h->sig, "APIC", 4) && h->length <= PAGE_SIZE && checksum_ok(h, h->length))
            scan_madt(h);
    }
}

uint32_t native_cpu_apic_id(unsigned int cpu) { return apic_ids[cpu]; }

/* CPU 0 is the one we booted on; the others are the MADT's other enabled APICs, in its order. */
static unsigned int native_nr_possible(void)
{
    unsigned int n = 1;
    apic_ids[0] = apic_read(APIC_ID) >> 24;
    for (unsigned int i = 0; i < nr_madt && n < MAX_CPUS; i++)
        if (madt_ids[i] != apic_ids[0])
            apic_ids[n++] = madt_ids[i];
    printk("pvguest: smp: the MADT lists %u enabled local APIC(s); ours is %u\n", nr_madt, apic_ids[0]);
    return n;
}

static void delay_ns(uint64_t ns)
{
    uint64_t end = clock_ns() + ns;
    while (clock_ns() < end)
        __asm__ volatile("pause");
}

static void send_startup(uint32_t apic_id, uint32_t cmd)
{
    apic_send(apic_id, cmd);
    for (unsigned int spins = 0; (apic_read(APIC_ICR_LO) & ICR_PENDING) && spins < 1000000; spins++)
        __asm__ volatile("pause");
}

static int native_start_cpu(unsigned int cpu, uintptr_t stack_top, void (*entry)(void))
{
    _Static_assert(NATIVE_TRAMPOLINE < 0x100000 && !(NATIVE_TRAMPOLINE & 0xfff), "a real-mode page");
    size_t len = (size_t)(ap_trampoline_end - ap_trampoline);
    memcpy(pfn_to_virt(NATIVE_TRAMPOLINE >> PAGE_SHIFT), ap_trampoline, len);
    ap_boot_cr3 = kernel_root_pfn << PAGE_SHIFT;
    ap_boot_stack = stack_top;
    ap_entry = entry;
    ap_alive = false;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    uint32_t id = apic_ids[cpu];
    send_startup(id, ICR_INIT);
    delay_ns(INIT_DELAY_NS);
    for (int i = 0; i < 2; i++) {
        send_startup(id, ICR_STARTUP | (uint32_t)(NATIVE_TRAMPOLINE >> PAGE_SHIFT));
        delay_ns(SIPI_DELAY_NS);
    }
    uint64_t deadline = clock_ns() + ALIVE_TIMEOUT_NS;
    while (!ap_alive && clock_ns() < deadline)
        __asm__ volatile("pause");
    if (!ap_alive) {
        printk("pvguest: smp: CPU %u (local APIC %u) did not answer INIT-SIPI-SIPI\n", cpu, id);
        return -ETIMEDOUT;
    }
    return 0;
}

/* head.S's ap_start_high calls this on the CPU's idle stack, with the kernel's tables loaded. */
__noreturn void native_ap_start(void);
__noreturn void native_ap_start(void)
{
    cpu_init(smp_processor_id());
    native_cpu_ops.load_kernel_stack(ap_boot_stack);
    native_lapic_init();
    void (*entry)(void) = ap_entry;
    __atomic_store_n(&ap_alive, true, __ATOMIC_RELEASE);
    entry();
    panic("native: a secondary CPU's entry returned");
}

/* ---- TLB shootdowns ---- */

static uint64_t flush_requested;                /* generation */
static uint64_t flush_done[MAX_CPUS];           /* the generation each CPU has flushed up to */

/* Not counted as an entry: the counters count what the kernel asks of its own CPU. */
void native_flush_serve(void)
{
    unsigned int me = smp_processor_id();
    uint64_t gen = __atomic_load_n(&flush_requested, __ATOMIC_ACQUIRE);
    if (__atomic_load_n(&flush_done[me], __ATOMIC_RELAXED) >= gen)
        return;
    uint64_t cr3;
    __asm__ volatile("mov %%cr3, %0\n\tmov %0, %%cr3" : "=r"(cr3) :: "memory");
    __atomic_store_n(&flush_done[me], gen, __ATOMIC_RELEASE);
}

static void native_relax(void)
{
    __asm__ volatile("pause");
    if (nr_cpus_online > 1)
        native_flush_serve();
}

void native_flush_others(void)
{
    unsigned int n = READ_ONCE(nr_cpus_online);
    if (n < 2)
        return;
    unsigned int me = smp_processor_id();
    uint64_t gen = __atomic_add_fetch(&flush_requested, 1, __ATOMIC_SEQ_CST);
    for (unsigned int c = 0; c < n; c++)
        if (c != me)
            apic_send(apic_ids[c], VEC_TLB_FLUSH);
    for (unsigned int c = 0; c < n; c++)
        while (c != me && __atomic_load_n(&flush_done[c], __ATOMIC_ACQUIRE) < gen)
            native_relax();
}

const struct pv_smp_ops native_smp_ops = {
    .nr_possible = native_nr_possible,
    .start_cpu = native_start_cpu,
    .relax = native_relax,
};
