/* The arch-neutral start of day: memory, scheduler, timers, self-tests, shutdown. */
#include <boot.h>
#include "bench/bench.h"
#include <blkbench.h>
#include <cmdline.h>
#include <counters.h>
#include <ktap.h>
#include <netbench.h>
#include <mm.h>
#include <pagetable.h>
#include <pci.h>
#include <sched.h>
#include <virtio_blk.h>
#include <virtio_net.h>
#include <net/service.h>

static bool run_selftests = true;
static bool set_selftest(const char *v)
{
    if (v && !strcmp(v, "no"))
        run_selftests = false;
    else if (v && strcmp(v, "yes"))
        return false;
    return true;
}
KERNEL_OPTION("selftest", set_selftest);

/* crashtest=pagetable: map the root page table writable, which a PV hypervisor refuses. */
static bool crash_pagetable;
static bool set_crashtest(const char *v)
{
    if (!v || strcmp(v, "pagetable"))
        return false;
    crash_pagetable = true;
    return true;
}
KERNEL_OPTION("crashtest", set_crashtest);

/*
 * linger=yes: once its own run is over the kernel goes on serving (its
 * threads: a driver domain's back ends) instead of powering off, until the
 * machine stops, the toolstack destroys the domain or asks it to power off
 * (xl shutdown: control/shutdown).
 */
static bool linger;
static bool set_linger(const char *v)
{
    linger = v && !strcmp(v, "yes");
    return linger || (v && !strcmp(v, "no"));
}
KERNEL_OPTION("linger", set_linger);

__noreturn void kernel_main(struct boot_params *bp)
{
    printk("pvguest: %s kernel starting; command line \"%s\"\n", pv_ops.machine->name, bp->cmdline);
    cmdline_parse(bp->cmdline);

    uint64_t limit = MIN(bp->max_pfn, cmdline_mem_limit >> PAGE_SHIFT);
    page_alloc_init(limit);
    for (unsigned int i = 0; i < bp->nr_free; i++)
        page_alloc_add_range(bp->free[i].start_pfn, MIN(bp->free[i].end_pfn, limit));
    pv_ops.machine->mm_init();
    slab_init();
    vm_init();
    printk("pvguest: memory: %llu pages, %llu free; lazy-MMU batches of up to %u updates%s\n",
           (unsigned long long)limit, (unsigned long long)page_free_count(), mmu_batch_size,
           lazy_mmu_batching() ? "" : " (batching off)");

    pv_ops.irq->init();
    sched_init();
    timer_subsys_init();
    console_input_init();
    irq_enable();
    smp_init();
    if (pv_ops.machine->start_drivers)
        pv_ops.machine->start_drivers();
    pci_init();                     /* natively, and in PV dom0 (ports emulated by the hypervisor) */
    virtio_blk_probe();             /* the first virtio-blk function, if any (test_blk.c uses it) */
    virtio_net_probe();             /* the first virtio-net function, if any */
    net_start();                    /* the stack on it, with ip= and gw= */

    if (crash_pagetable) {
        printk("pvguest: crashtest: mapping the root page table writable\n");
        pt_map(kernel_root_pfn, VM_BASE + VM_SIZE - PAGE_SIZE, pv_make_pte(kernel_root_pfn, PROT_WRITE));
        printk("pvguest: crashtest: the mapping was allowed\n");
    }
    /* The verdict travels in the exit: PV, a failed self-test crashes the domain; natively, testfail. */
    bool passed = !run_selftests || selftests_run();
    bench_run_if_requested();       /* boot option bench[=<reps>] */
    passed &= blkbench_run_if_requested();  /* boot option blkbench[=small] */
    passed &= net_run_services();   /* ping=, and udpecho=yes until the host says stop */
    passed &= netbench_run_if_requested();  /* boot option netbench=send:<ip>|sink:<ip>|recv */
    if (linger && passed) {
        printk("pvguest: linger=yes: run over, still serving\n");
        while (!pv_ops.machine->shutdown_requested || !pv_ops.machine->shutdown_requested())
            thread_sleep_ns(100 * NSEC_PER_MSEC);
    }
    counters_print("shutdown");
    if (!passed)
        printk("pvguest: a self-test failed: ending as a failure\n");
    pv_ops.machine->shutdown(passed ? PV_SHUTDOWN_POWEROFF : PV_SHUTDOWN_TESTFAIL);
}
