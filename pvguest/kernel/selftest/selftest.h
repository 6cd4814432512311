/* Self-test cases, grouped by file; selftest.c runs them in one KTAP run. */
#ifndef SELFTEST_SELFTEST_H
#define SELFTEST_SELFTEST_H

#include <ktap.h>

#define TEST(name) const char *name(char *why, size_t len)

/* A small deterministic generator (xorshift64*), so every run does the same work. */
static inline uint64_t test_rand(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545f4914f6cdd1dull;
}

/* Memory the kernel holds in pages of any kind: what a test must give back. */
uint64_t test_memory_in_use(void);

TEST(test_page_alloc);
TEST(test_grant_self);           /* test_pv_only.c: skipped natively */
TEST(test_grant_end_twice);      /* test_pv_only.c: skipped natively */
/* pvdrivers/xenbus/selftest_xenbus.c (PV image), skipped natively */
TEST(test_xenbus_nodes);
TEST(test_xenbus_permissions);
TEST(test_xenbus_watch);
TEST(test_xenbus_transaction);
TEST(test_xenbus_concurrent);
TEST(test_xenbus_probe_reconnect);
TEST(test_xenbus_meet);                 /* selftest_meet.c: boot option xbmeet= */
TEST(test_xenbus_ring_jump);            /* selftest_meet.c: boot option xbjump=yes */
TEST(test_ringtest_exchange);    /* test_pv_only.c: skipped natively */
TEST(test_blk_rw);               /* test_pv_only.c: skipped natively */
TEST(test_net_hostile);          /* pvdrivers/net/selftest_nethostile.c: boot option nethostile= */
TEST(test_pci_isolation);        /* xen/selftest_pci.c: pciprobe=, or dom0's assign= */
TEST(test_pci_assign_roundtrip); /* pvdrivers/toolstack/assign.c: dom0's assigncheck= */
TEST(test_page_exhaustion);
TEST(test_slab);
TEST(test_vm_map_unmap);
TEST(test_demand_zero);
TEST(test_vm_oom);
TEST(test_threads);
TEST(test_preemption);
TEST(test_timers);
TEST(test_sleep);
TEST(test_semaphore);
TEST(test_semaphore_timeout);
TEST(test_waitqueue);
TEST(test_fs_gs_base);
TEST(test_irq_notify);
TEST(test_lazy_before_read);
TEST(test_aspace);
TEST(test_batch_random);
TEST(test_batch_1024);
TEST(test_smp_progress);
TEST(test_smp_spinlock_counter);
TEST(test_smp_cross_cpu_wakeup);
TEST(test_smp_per_cpu_state);
TEST(test_virtio_blk);            /* test_blk.c: skipped without a virtio-blk device */
TEST(test_dma_contiguous);        /* test_blk.c: PV through XENMEM_exchange */
TEST(test_virtio_blk_irq);        /* test_blk_irq.c: completion by interrupt; skipped without the device */

#endif
