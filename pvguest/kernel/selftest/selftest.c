/* The kernel's self-tests, in one KTAP run that prints the same on every backend. */
#include <mm.h>
#include <pagetable.h>
#include "selftest.h"

/* Pages in use, less the caches that may stay (empty slabs, page tables of kernel VM). */
uint64_t test_memory_in_use(void)
{
    return page_total_count() - page_free_count() - slab_pages() - pt_pages_in_use;
}

static const struct ktap_case cases[] = {
    { "page_alloc_single_and_blocks", test_page_alloc },
    { "page_alloc_exhaustion_reported", test_page_exhaustion },
    { "slab_objects", test_slab },
    { "vm_map_read_unmap", test_vm_map_unmap },
    { "vm_demand_zero_faults", test_demand_zero },
    { "vm_out_of_memory_reported", test_vm_oom },
    { "threads_create_join", test_threads },
    { "preemptive_scheduling", test_preemption },
    { "timers_fire_in_order", test_timers },
    { "sleep_accuracy", test_sleep },
    { "semaphore_producer_consumer", test_semaphore },
    { "semaphore_timeout", test_semaphore_timeout },
    { "waitqueue_wake_all", test_waitqueue },
    { "per_thread_fs_gs_base", test_fs_gs_base },
    { "irq_self_notify", test_irq_notify },
    { "lazy_mmu_applied_before_reads", test_lazy_before_read },
    { "address_space_build_switch_teardown", test_aspace },
    { "batch_random_mappings", test_batch_random },
    { "batch_map_1024_pages", test_batch_1024 },
    { "smp_threads_progress_on_every_cpu", test_smp_progress },
    { "smp_spinlock_counter_exact", test_smp_spinlock_counter },
    { "smp_cross_cpu_wakeup", test_smp_cross_cpu_wakeup },
    { "smp_per_cpu_state", test_smp_per_cpu_state },
    { "grant_self_map_copy_end", test_grant_self },
    { "grant_end_not_granted_refused", test_grant_end_twice },
    { "xenbus_read_write_own_nodes", test_xenbus_nodes },
    { "xenbus_permissions", test_xenbus_permissions },
    { "xenbus_watch_initial_and_change", test_xenbus_watch },
    { "xenbus_transaction_eagain_retry", test_xenbus_transaction },
    { "xenbus_concurrent_callers", test_xenbus_concurrent },
    { "xenbus_probe_handshake_reconnect", test_xenbus_probe_reconnect },
    { "xenbus_two_domain_meeting", test_xenbus_meet },
    { "xenbus_ring_index_jump_dropped", test_xenbus_ring_jump },
    { "ringtest_exchange", test_ringtest_exchange },
    { "virtio_blk_write_flush_read_check", test_virtio_blk },
    { "virtio_blk_interrupt_completion", test_virtio_blk_irq },
    { "blk_rw", test_blk_rw },
    { "net_hostile_front", test_net_hostile },
    { "dma_contiguous_block", test_dma_contiguous },
    { "pci_passthrough_isolation", test_pci_isolation },
    { "pci_assign_deassign_roundtrip", test_pci_assign_roundtrip },
};

bool selftests_run(void)
{
    char title[64];
    snprintf(title, sizeof(title), "pvguest self-tests (%s)", pv_ops.machine->name);
    return ktap_run(title, cases, ARRAY_SIZE(cases));
}
