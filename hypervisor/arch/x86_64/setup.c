/* The boot CPU's path from head.S to a running hypervisor. */
#include <hv/cmdline.h>
#include <hv/domain_boot.h>
#include <hv/console.h>
#include <hv/machine.h>
#include <hv/memmap.h>
#include <hv/memory.h>
#include <hv/multiboot2.h>
#include <hv/page_alloc.h>
#include <hv/printk.h>
#include <hv/sched.h>
#include <hv/selftest.h>
#include <hv/time.h>
#include <asm/acpi.h>
#include <asm/apic.h>
#include <asm/cpu.h>
#include <asm/desc.h>
#include <asm/fw_cfg.h>
#include <asm/mm.h>
#include <asm/page.h>
#include <asm/pirq.h>
#include <asm/pv.h>
#include <asm/smp.h>
#include <asm/timer.h>

#define MBI_MAX_SIZE    MiB(1)      /* sanity cap on what we read of the boot information */

_Static_assert((XEN_VIRT_START >> 39 & 511) == XEN_L4_SLOT, "boot L4 slot");
_Static_assert((XEN_VIRT_START >> 30 & 511) == XEN_L3_SLOT, "boot L3 slot");

extern const struct boot_param __start_boot_params[], __stop_boot_params[];

static struct boot_info boot_info;      /* our copy: the loader's memory is reused later */

static bool opt_selftest;
boot_param_bool("selftest", opt_selftest);
static char opt_crashtest[16];
boot_param_string("crashtest", opt_crashtest);
static uint64_t opt_poweroff_after;     /* seconds; 0 = run for ever */
boot_param_uint("poweroff_after", opt_poweroff_after);
static bool opt_heartbeat = true;
boot_param_bool("heartbeat", opt_heartbeat);

static void cmdline_warn(const char *opt, size_t len, const char *why)
{
    printk(LOG_WARN "cmdline: ignoring '%.*s': %s\n", (int)len, opt, why);
}

static const char *region_name(uint32_t type)
{
    switch (type) {
    case MEM_AVAILABLE: return "RAM";
    case MEM_RESERVED: return "reserved";
    case MEM_ACPI_RECLAIM: return "ACPI data";
    case MEM_ACPI_NVS: return "ACPI NVS";
    case MEM_BAD: return "bad";
    default: return "unknown";
    }
}

static void show_boot_info(const struct boot_info *bi)
{
    printk("boot: loaded by %s\n", bi->loader[0] ? bi->loader : "an unnamed multiboot2 loader");
    printk("boot: command line \"%s\"\n", bi->cmdline);
    printk("boot: memory map (%u entries, %llu MiB RAM):\n", bi->nr_mmap,
           (unsigned long long)(memmap_ram_total(bi->mmap, bi->nr_mmap) >> 20));
    for (unsigned int i = 0; i < bi->nr_mmap; i++)
        printk("  %016llx - %016llx  %s\n", (unsigned long long)bi->mmap[i].start,
               (unsigned long long)bi->mmap[i].end, region_name(bi->mmap[i].type));
    printk("boot: %u module(s)\n", bi->nr_mods);
    for (unsigned int i = 0; i < bi->nr_mods; i++)
        printk("  module %u: %#llx - %#llx (%llu KiB) \"%s\"\n", i, (unsigned long long)bi->mods[i].start,
               (unsigned long long)bi->mods[i].end,
               (unsigned long long)((bi->mods[i].end - bi->mods[i].start) >> 10), bi->mods[i].cmdline);
}

static __noreturn void idle_loop(void)
{
    s_time_t next = SECONDS(1);
    for (;;) {
        safe_halt();
        s_time_t now = NOW();
        if (now < next)
            continue;
        next += SECONDS(1);
        if (opt_heartbeat)
            printk("heartbeat: %llu timer ticks, %llu frames free\n", (unsigned long long)timer_ticks,
                   (unsigned long long)page_alloc_free_count());
        if (opt_poweroff_after && now >= SECONDS(opt_poweroff_after)) {
            printk("poweroff_after=%llu reached: powering off\n", (unsigned long long)opt_poweroff_after);
            machine_exit(MACHINE_EXIT_POWEROFF);
        }
    }
}

void __start_hypervisor(uint32_t magic, uint64_t mbi_pa);
void __start_hypervisor(uint32_t magic, uint64_t mbi_pa)
{
    uint64_t entry_tsc = rdtsc();           /* before anything: the boot timeline starts here */
    serial_init(COM1_PORT, 115200);         /* early console until console= is read */
    desc_init();
    idt_init();

    printk("PV hypervisor starting (x86-64, multiboot2)\n");
    if (magic != MB2_LOADER_MAGIC)
        panic("not started by a multiboot2 loader (magic %#x)", magic);
    if (mbi_pa >= GiB(4) || mbi_pa + 8 > GiB(4))
        panic("multiboot2 information at %#llx lies outside the boot identity map",
              (unsigned long long)mbi_pa);

    /* Still on the boot tables: the information is reachable at its physical address. */
    uint32_t total = *(const uint32_t *)mbi_pa;
    size_t avail = MIN((uint64_t)total, MIN(MBI_MAX_SIZE, GiB(4) - mbi_pa));
    if (mb2_parse((const void *)mbi_pa, avail, &boot_info))
        panic("%s", boot_info.error);

    int bad = cmdline_parse(boot_info.cmdline, __start_boot_params, __stop_boot_params, cmdline_warn);
    console_init();
    if (bad)
        printk(LOG_WARN "cmdline: %d option(s) ignored\n", bad);
    show_boot_info(&boot_info);

    memory_init(&boot_info, mbi_pa);
    fw_cfg_init();
    acpi_init(&boot_info);
    apic_init();
    pirq_init();
    time_init();
    wallclock_init();
    smp_boot_cpus();
    sched_init();
    smp_release_cpus();
    console_input_init();
    local_irq_enable();
    printk("boot: up; %llu MiB free for domains\n", (unsigned long long)(page_alloc_free_count() >> 8));
    /*
     * The TSC counts from the machine's reset (QEMU's does too), so its value
     * at our entry is the firmware's and the boot loader's time (bench/run.py
     * reads this line for the report's Boot section).
     */
    printk("boot: timeline: firmware and loader %llu us (the TSC at entry), hypervisor set-up %llu us\n",
           (unsigned long long)(tsc_ticks_to_ns(entry_tsc) / 1000),
           (unsigned long long)(tsc_ticks_to_ns(rdtsc() - entry_tsc) / 1000));

    arch_crashtest(opt_crashtest);
    if (opt_selftest)
        selftest_run_all(&boot_info, mbi_pa);

    pv_cpu_init();
    if (boot_domains(&boot_info)) {
        printk("boot: starting domains\n");
        pv_start_guests();
    }
    /*
     * No module at all is the hypervisor on its own (scenarios/hypervisor-only.scn):
     * it idles as asked. Modules of which none became a domain leave a machine
     * with nothing to do: said, and a distinct exit code rather than heartbeats forever.
     */
    if (boot_info.nr_mods) {
        printk(LOG_ERR "boot: no domains to run: none of the %u module(s) is a kernel that could be built; "
               "powering off\n", boot_info.nr_mods);
        machine_exit(MACHINE_EXIT_NO_DOMAINS);
    }
    printk("boot: no domains to run (no modules): the hypervisor idles on its own\n");
    idle_loop();
}
