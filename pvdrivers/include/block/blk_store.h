/*
 * The storage blkback serves guests' disks from: a RAM store in dom0
 * (block/ramstore.c, blkram=) or the real disk through pvguest's virtio-blk
 * driver (block/virtiostore.c, blkdisk=virtio). Sectors are 512 bytes.
 */
#ifndef PVD_BLOCK_BLK_STORE_H
#define PVD_BLOCK_BLK_STORE_H

#include <stdbool.h>
#include <stdint.h>

#define BLK_SECTOR_SIZE 512u

struct blk_store {
    uint64_t sectors;
    /* Reads or writes nsect sectors from sector on: 0 or a negative errno. */
    int (*rw)(struct blk_store *s, bool write, uint64_t sector, void *buf, unsigned int nsect);
    /* Makes the writes done so far durable: 0 or a negative errno. */
    int (*flush)(struct blk_store *s);
    /*
     * Optional (NULL: blkback offers no feature-discard): forgets nsect
     * sectors from sector on; they read as zeros afterwards. 0 or a negative errno.
     */
    int (*discard)(struct blk_store *s, uint64_t sector, uint64_t nsect);
    /*
     * Optional (NULL: blkback copies through rw): queues a read or write of
     * n segments given by machine address and byte length (whole sectors,
     * each within one page) from sector on, and returns at once; done(arg,
     * 0 or a negative errno) runs once all of it is on the device or failed,
     * possibly in an interrupt handler (it must not sleep). 0 once queued,
     * else a negative errno and done never runs.
     */
    int (*submit)(struct blk_store *s, bool write, uint64_t sector, const uint64_t *maddr, const uint32_t *len,
                  unsigned int n, void (*done)(void *arg, int status), void *arg);
    /* With submit: completes what the device finished, for when its interrupt is late or lost. */
    void (*poll)(struct blk_store *s);
    void *priv;
};

/* A zeroed store of sectors in dom0's memory (page by page), or NULL. */
struct blk_store *blk_ramstore_create(uint64_t sectors);
/*
 * The first virtio-blk device (enumerating PCI and probing it if that was
 * not done yet), the whole disk as the store; NULL if there is none.
 * rw's buf must be direct-map memory (the driver splits it at frames).
 */
struct blk_store *blk_virtio_store_create(void);

#endif
