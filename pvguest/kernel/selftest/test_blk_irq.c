/*
 * virtio-blk completion by interrupt: with INTx attached (pci_irq_attach),
 * requests complete from the handler and their waiters sleep. Natively the
 * line must attach; as PV dom0 it attaches once the kernel enumerates PCI.
 */
#include "selftest.h"
#include <virtio_blk.h>
#include <mm.h>
#include <paravirt.h>
#include <lib/string.h>

#define IRQ_TEST_SECTOR 4096u   /* 2 MiB into the disk: outside test_blk.c's sectors */
#define IRQ_TEST_READS  16u

TEST(test_virtio_blk_irq)
{
    struct vblk *b = virtio_blk_get();
    if (!b)
        return ktap_skip(why, len, "no virtio-blk device");
    uint64_t irqs0, sleeps0, irqs1, sleeps1;
    if (!virtio_blk_irq_stats(b, &irqs0, &sleeps0)) {
        if (!strcmp(pv_ops.machine->name, "native"))
            return ktap_fail(why, len, "natively, the device's INTx did not attach");
        return ktap_skip(why, len, "no interrupt attached (completion is polled)");
    }
    if (virtio_blk_sectors(b) < IRQ_TEST_SECTOR + 8)
        return ktap_skip(why, len, "disk too small");
    uint8_t *buf = kzalloc(4 * SECTOR_SIZE);
    if (!buf)
        return ktap_fail(why, len, "no memory");
    for (unsigned int i = 0; i < IRQ_TEST_READS; i++) {
        int rc = virtio_blk_read(b, IRQ_TEST_SECTOR, buf, 4);
        if (rc) {
            kfree(buf);
            return ktap_fail(why, len, "read %u: %d", i, rc);
        }
    }
    kfree(buf);
    virtio_blk_irq_stats(b, &irqs1, &sleeps1);
    printk("virtio-blk: %u reads: %llu interrupts, %llu waits slept\n", IRQ_TEST_READS,
           (unsigned long long)(irqs1 - irqs0), (unsigned long long)(sleeps1 - sleeps0));
    if (irqs1 == irqs0)
        return ktap_fail(why, len, "%u reads completed without one interrupt", IRQ_TEST_READS);
    if (sleeps1 == sleeps0)
        return ktap_fail(why, len, "no waiter slept: completion was polled");
    return NULL;
}
