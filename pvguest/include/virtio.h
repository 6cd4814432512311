/* virtio 1.0 over PCI (modern only): the transport, split virtqueues (drivers/virtio/virtio_pci.c). */
#ifndef PVGUEST_VIRTIO_H
#define PVGUEST_VIRTIO_H

#include <kernel.h>
#include <pci.h>
#include <spinlock.h>

#define VIRTIO_VENDOR           0x1af4
#define VIRTIO_PCI_DEVICE(id)   (0x1040 + (id))     /* modern device ids */

/* Device status bits. */
#define VIRTIO_STATUS_ACKNOWLEDGE   0x01
#define VIRTIO_STATUS_DRIVER        0x02
#define VIRTIO_STATUS_DRIVER_OK     0x04
#define VIRTIO_STATUS_FEATURES_OK   0x08
#define VIRTIO_STATUS_FAILED        0x80

#define VIRTIO_F_INDIRECT_DESC      28
#define VIRTIO_F_EVENT_IDX          29
#define VIRTIO_F_VERSION_1          32

/* The split ring's parts (virtio 1.0, 2.4), little-endian like the CPU. */
struct virtq_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};
_Static_assert(sizeof(struct virtq_desc) == 16, "virtq_desc is 16 bytes");
#define VIRTQ_DESC_F_NEXT       1
#define VIRTQ_DESC_F_WRITE      2
#define VIRTQ_DESC_F_INDIRECT   4
#define VIRTQ_USED_F_NO_NOTIFY  1       /* used->flags: the device asks not to be kicked (no EVENT_IDX) */

struct virtq_used_elem {
    uint32_t id;
    uint32_t len;
};
_Static_assert(sizeof(struct virtq_used_elem) == 8, "virtq_used_elem is 8 bytes");

/* The most entries we use: desc, avail and used rings all fit in one page. */
#define VIRTQ_MAX_SIZE 64u

struct virtq {
    uint16_t index, size;
    volatile struct virtq_desc *desc;
    volatile uint16_t *avail;               /* flags, idx, ring[size], used_event */
    volatile uint16_t *used;                /* flags, idx, then elements */
    volatile uint16_t *notify;              /* this queue's doorbell */
    uint16_t free_head, nr_free;
    uint16_t avail_idx;                     /* ours, mirrored into avail->idx */
    uint16_t last_used;                     /* used entries consumed so far */
    uint16_t kicked_idx;                    /* avail_idx when the doorbell was last considered */
    bool event_idx;                         /* VIRTIO_F_EVENT_IDX: used_event / avail_event */
    uint64_t nr_kicks, nr_kicks_saved;      /* doorbells rung, and skipped because the device said so */
    void *token[VIRTQ_MAX_SIZE];            /* per chain head: what the caller gave */
    spinlock_t lock;
};

struct virtio_dev {
    struct pci_dev *pci;
    volatile uint8_t *common;               /* struct virtio_pci_common_cfg */
    volatile uint8_t *notify_base;
    uint32_t notify_mult;
    volatile uint8_t *isr;
    volatile uint8_t *device;               /* device-specific configuration */
    uint32_t device_len;
    uint64_t features;                      /* negotiated */
};

/*
 * Finds the virtio capabilities, maps their BARs, resets the device and
 * negotiates: VERSION_1 plus what `wanted` and the device share. 0, or a
 * negative error with the device marked FAILED.
 */
int virtio_pci_init(struct virtio_dev *vd, struct pci_dev *pci, uint64_t wanted);
static inline bool virtio_has(const struct virtio_dev *vd, unsigned int bit) { return vd->features >> bit & 1; }
/* Sets up queue idx with at most VIRTQ_MAX_SIZE entries. */
int virtio_queue_init(struct virtio_dev *vd, struct virtq *vq, uint16_t idx);
void virtio_driver_ok(struct virtio_dev *vd);
void virtio_reset(struct virtio_dev *vd);
/*
 * A function no driver of ours holds (handed back by a driver domain): its
 * device_status written 0 through its common configuration (virtio 1.0,
 * 2.1.1, the device reset), memory decoding on only for that and bus
 * mastering off; the command register as it was afterwards. 0, -ENOENT (no
 * common configuration), or -EIO (the device did not reset).
 */
int virtio_pci_reset_function(const struct pci_dev *pci);
/* Device configuration reads (a generation-consistent snapshot is the caller's loop). */
uint32_t virtio_cfg_read32(const struct virtio_dev *vd, uint32_t off);
uint64_t virtio_cfg_read64(const struct virtio_dev *vd, uint32_t off);

/*
 * Queues one chain of n buffers (bus addresses; the last `nwrite` are
 * device-writable) carrying token; -ENOSPC if the ring has too few free
 * entries. The caller holds vq->lock. virtq_kick() rings the doorbell.
 */
int virtq_add(struct virtq *vq, const uint64_t *addr, const uint32_t *len, unsigned int n, unsigned int nwrite,
              void *token);
/*
 * The same chain as one descriptor pointing at `table` (n entries the caller
 * owns until the chain completes; it must not cross a frame: its bus
 * address is table_bus). Needs VIRTIO_F_INDIRECT_DESC.
 */
int virtq_add_indirect(struct virtq *vq, volatile struct virtq_desc *table, uint64_t table_bus, const uint64_t *addr,
                       const uint32_t *len, unsigned int n, unsigned int nwrite, void *token);
/*
 * Rings the doorbell for what was added since the last call, unless the
 * device said it need not be (avail_event with EVENT_IDX, else
 * VIRTQ_USED_F_NO_NOTIFY). Caller holds vq->lock.
 */
void virtq_kick(struct virtq *vq);
/* The next completed chain's token (and bytes written), or NULL; frees its entries. Caller holds vq->lock. */
void *virtq_get_used(struct virtq *vq, uint32_t *len);

#endif /* PVGUEST_VIRTIO_H */
