/* The native backend's ops table and the end of the machine (isa-debug-exit, then ACPI S5). */
#include "native.h"

/* QEMU's isa-debug-exit exits with (value << 1) | 1: 33 power-off, 35 testfail, 65 panic (tools/run_qemu.py). */
#define DEBUG_EXIT_PORT     0xf4
#define EXIT_POWEROFF       0x10
#define EXIT_TESTFAIL       0x11
#define EXIT_PANIC          0x20
#define ACPI_PM1A_CNT       0x604   /* QEMU's PM block (q35 and i440fx) */
#define ACPI_SLP_S5         0x2000

static __noreturn void native_shutdown(int reason)
{
    __asm__ volatile("cli");
    outl(DEBUG_EXIT_PORT, reason == PV_SHUTDOWN_POWEROFF ? EXIT_POWEROFF
                          : reason == PV_SHUTDOWN_TESTFAIL ? EXIT_TESTFAIL : EXIT_PANIC);
    if (reason == PV_SHUTDOWN_POWEROFF)
        outw(ACPI_PM1A_CNT, ACPI_SLP_S5);
    for (;;)
        __asm__ volatile("hlt");
}

static const char *native_entry_name(unsigned int nr)
{
    return nr == NATIVE_ENTRY_INVLPG ? "invlpg" : nr == NATIVE_ENTRY_CR3 ? "mov-cr3" : "?";
}

static const struct pv_console_ops native_console_ops = { .write = serial_write, .read = serial_read };

static const struct pv_machine_ops native_machine_ops = {
    .name = "native",
    .mm_init = native_mm_init,
    .entry_name = native_entry_name,
    .shutdown = native_shutdown,
};

const struct paravirt_ops pv_ops = {
    .cpu = &native_cpu_ops,
    .mmu = &native_mmu_ops,
    .time = &native_time_ops,
    .console = &native_console_ops,
    .irq = &native_irq_ops,
    .machine = &native_machine_ops,
    .smp = &native_smp_ops,
};
