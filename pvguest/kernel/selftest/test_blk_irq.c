/*
 * virtio-blk completion by interrupt: with INTx attached (pci_irq_attach),
 * requests complete from the handler while their waiters sleep. Natively the
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
    /*
     * Waiters do not poll here: each read is completed by the handler or not
     * at all (the 10 s request timeout). Whether a waiter sleeps first depends
     * on how fast the device answered, so the sleeps are only reported.
     */
    virtio_blk_set_irq_only(b, true);
    uint64_t done0 = virtio_blk_irq_completed(b);
    int rc = 0;
    unsigned int i;
    for (i = 0; i < IRQ_TEST_READS && !rc; i++)
        rc = virtio_blk_read(b, IRQ_TEST_SECTOR, buf, 4);
    virtio_blk_set_irq_only(b, false);
    kfree(buf);
    if (rc)
        return ktap_fail(why, len, "read %u: %d", i - 1, rc);
    uint64_t done = virtio_blk_irq_completed(b) - done0;
    virtio_blk_irq_stats(b, &irqs1, &sleeps1);
    printk("virtio-blk: %u reads: %llu interrupts, %llu completed by the handler, %llu waits slept\n", IRQ_TEST_READS,
           (unsigned long long)(irqs1 - irqs0), (unsigned long long)done, (unsigned long long)(sleeps1 - sleeps0));
    if (done < IRQ_TEST_READS)      /* more: blkback's requests beside ours, as PV dom0 */
        return ktap_fail(why, len, "%llu of %u reads completed by the interrupt handler", (unsigned long long)done,
                         IRQ_TEST_READS);
    return NULL;
}
