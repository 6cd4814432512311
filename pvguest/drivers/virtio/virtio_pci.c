/* The virtio 1.0 PCI transport (modern): vendor capabilities, status, feature negotiation, queue set-up. */
#include <virtio.h>
#include <dma.h>
#include <mm.h>

/* struct virtio_pci_common_cfg offsets (virtio 1.0, 4.1.4.3). */
#define CC_DEVICE_FEATURE_SELECT    0x00
#define CC_DEVICE_FEATURE           0x04
#define CC_DRIVER_FEATURE_SELECT    0x08
#define CC_DRIVER_FEATURE           0x0c
#define CC_NUM_QUEUES               0x12
#define CC_DEVICE_STATUS            0x14
#define CC_QUEUE_SELECT             0x16
#define CC_QUEUE_SIZE               0x18
#define CC_QUEUE_MSIX_VECTOR        0x1a
#define CC_QUEUE_ENABLE             0x1c
#define CC_QUEUE_NOTIFY_OFF         0x1e
#define CC_QUEUE_DESC               0x20
#define CC_QUEUE_DRIVER             0x28
#define CC_QUEUE_DEVICE             0x30
#define CC_SIZE                     0x38

/* struct virtio_pci_cap: cfg_type values and field offsets. */
#define VIRTIO_PCI_CAP_COMMON_CFG   1
#define VIRTIO_PCI_CAP_NOTIFY_CFG   2
#define VIRTIO_PCI_CAP_ISR_CFG      3
#define VIRTIO_PCI_CAP_DEVICE_CFG   4
#define CAP_CFG_TYPE    3
#define CAP_BAR         4
#define CAP_OFFSET      8
#define CAP_LENGTH      12
#define CAP_NOTIFY_MULT 16

static inline void w8(volatile uint8_t *b, uint32_t o, uint8_t v) { *(volatile uint8_t *)(b + o) = v; }
static inline void w16(volatile uint8_t *b, uint32_t o, uint16_t v) { *(volatile uint16_t *)(b + o) = v; }
static inline void w32(volatile uint8_t *b, uint32_t o, uint32_t v) { *(volatile uint32_t *)(b + o) = v; }
static inline uint8_t r8(volatile uint8_t *b, uint32_t o) { return *(volatile uint8_t *)(b + o); }
static inline uint16_t r16(volatile uint8_t *b, uint32_t o) { return *(volatile uint16_t *)(b + o); }
static inline uint32_t r32(volatile uint8_t *b, uint32_t o) { return *(volatile uint32_t *)(b + o); }
/* 64-bit fields are written as two halves, low first (virtio 1.0, 4.1.3.1). */
static inline void w64(volatile uint8_t *b, uint32_t o, uint64_t v) { w32(b, o, (uint32_t)v); w32(b, o + 4, (uint32_t)(v >> 32)); }

uint32_t virtio_cfg_read32(const struct virtio_dev *vd, uint32_t off)
{
    return off + 4 <= vd->device_len ? r32(vd->device, off) : 0;
}

uint64_t virtio_cfg_read64(const struct virtio_dev *vd, uint32_t off)
{
    return (uint64_t)virtio_cfg_read32(vd, off + 4) << 32 | virtio_cfg_read32(vd, off);
}

void virtio_reset(struct virtio_dev *vd)
{
    w8(vd->common, CC_DEVICE_STATUS, 0);
    for (unsigned int spins = 0; r8(vd->common, CC_DEVICE_STATUS) != 0 && spins < 1000000; spins++)
        cpu_relax();
}

static void add_status(struct virtio_dev *vd, uint8_t bits)
{
    w8(vd->common, CC_DEVICE_STATUS, r8(vd->common, CC_DEVICE_STATUS) | bits);
}

/* Maps the structure a capability at cap points to; NULL if it lies outside its BAR. */
static volatile uint8_t *map_cap(const struct pci_dev *d, uint8_t cap, uint32_t *len)
{
    uint8_t bar = pci_read8(d, cap + CAP_BAR);
    uint32_t off = pci_read32(d, cap + CAP_OFFSET);
    *len = pci_read32(d, cap + CAP_LENGTH);
    return bar < PCI_NR_BARS ? (volatile uint8_t *)pci_map_bar(d, bar, off, *len) : NULL;
}

int virtio_pci_reset_function(const struct pci_dev *pci)
{
    for (uint8_t cap = pci_find_cap(pci, PCI_CAP_ID_VNDR, 0); cap; cap = pci_find_cap(pci, PCI_CAP_ID_VNDR, cap)) {
        if (pci_read8(pci, cap + CAP_CFG_TYPE) != VIRTIO_PCI_CAP_COMMON_CFG)
            continue;
        uint32_t len;
        struct virtio_dev vd = { .common = map_cap(pci, cap, &len) };
        if (!vd.common || len < CC_SIZE)
            return -ENOENT;
        uint16_t cmd = pci_read16(pci, 0x04);
        pci_write16(pci, 0x04, (uint16_t)((cmd & ~0x4) | 0x2));     /* memory decoding for the write, no DMA */
        virtio_reset(&vd);
        bool reset = r8(vd.common, CC_DEVICE_STATUS) == 0;
        pci_write16(pci, 0x04, cmd);
        pci_unmap_bar(vd.common, len);
        return reset ? 0 : -EIO;
    }
    return -ENOENT;
}

int virtio_pci_init(struct virtio_dev *vd, struct pci_dev *pci, uint64_t wanted)
{
    vd->pci = pci;
    uint32_t len, notify_len = 0;
    for (uint8_t cap = pci_find_cap(pci, PCI_CAP_ID_VNDR, 0); cap; cap = pci_find_cap(pci, PCI_CAP_ID_VNDR, cap)) {
        uint8_t type = pci_read8(pci, cap + CAP_CFG_TYPE);
        /* The first capability of each type is the one to use (virtio 1.0, 4.1.4). */
        if (type == VIRTIO_PCI_CAP_COMMON_CFG && !vd->common) {
            vd->common = map_cap(pci, cap, &len);
            if (vd->common && len < CC_SIZE)
                vd->common = NULL;
        } else if (type == VIRTIO_PCI_CAP_NOTIFY_CFG && !vd->notify_base) {
            vd->notify_base = map_cap(pci, cap, &notify_len);
            vd->notify_mult = pci_read32(pci, cap + CAP_NOTIFY_MULT);
        } else if (type == VIRTIO_PCI_CAP_ISR_CFG && !vd->isr) {
            vd->isr = map_cap(pci, cap, &len);
        } else if (type == VIRTIO_PCI_CAP_DEVICE_CFG && !vd->device) {
            vd->device = map_cap(pci, cap, &vd->device_len);
        }
    }
    if (!vd->common || !vd->notify_base || !vd->isr) {
        warn("virtio: %02x:%02x.%u lacks a common, notify or ISR structure", pci->bus, pci->dev, pci->fn);
        return -ENOENT;
    }
    pci_enable(pci);
    virtio_reset(vd);
    add_status(vd, VIRTIO_STATUS_ACKNOWLEDGE);
    add_status(vd, VIRTIO_STATUS_DRIVER);
    uint64_t offered = 0;
    for (uint32_t sel = 0; sel < 2; sel++) {
        w32(vd->common, CC_DEVICE_FEATURE_SELECT, sel);
        offered |= (uint64_t)r32(vd->common, CC_DEVICE_FEATURE) << (32 * sel);
    }
    if (!(offered >> VIRTIO_F_VERSION_1 & 1)) {
        warn("virtio: %02x:%02x.%u does not offer VERSION_1", pci->bus, pci->dev, pci->fn);
        add_status(vd, VIRTIO_STATUS_FAILED);
        return -ENOSYS;
    }
    vd->features = offered & (wanted | 1ull << VIRTIO_F_VERSION_1);
    for (uint32_t sel = 0; sel < 2; sel++) {
        w32(vd->common, CC_DRIVER_FEATURE_SELECT, sel);
        w32(vd->common, CC_DRIVER_FEATURE, (uint32_t)(vd->features >> (32 * sel)));
    }
    add_status(vd, VIRTIO_STATUS_FEATURES_OK);
    if (!(r8(vd->common, CC_DEVICE_STATUS) & VIRTIO_STATUS_FEATURES_OK)) {
        warn("virtio: %02x:%02x.%u refused features %#llx", pci->bus, pci->dev, pci->fn,
             (unsigned long long)vd->features);
        add_status(vd, VIRTIO_STATUS_FAILED);
        return -EINVAL;
    }
    (void)notify_len;
    return 0;
}

int virtio_queue_init(struct virtio_dev *vd, struct virtq *vq, uint16_t idx)
{
    if (idx >= r16(vd->common, CC_NUM_QUEUES))
        return -ENOENT;
    w16(vd->common, CC_QUEUE_SELECT, idx);
    uint16_t size = r16(vd->common, CC_QUEUE_SIZE);
    if (size == 0)
        return -ENOENT;
    /* The largest power of two the device and one page allow (split queues are powers of two). */
    uint16_t n = VIRTQ_MAX_SIZE;
    while (n > size)
        n >>= 1;
    uint8_t *page = alloc_page();
    if (!page)
        return -ENOMEM;
    __builtin_memset(page, 0, PAGE_SIZE);
    vq->index = idx;
    vq->size = n;
    vq->desc = (volatile struct virtq_desc *)page;             /* 16 * 64 = 1024 bytes */
    vq->avail = (volatile uint16_t *)(page + 1024);             /* 6 + 2 * 64 bytes */
    vq->used = (volatile uint16_t *)(page + 2048);              /* 6 + 8 * 64 bytes */
    for (uint16_t i = 0; i < n; i++)
        vq->desc[i].next = (uint16_t)(i + 1);
    vq->free_head = 0;
    vq->nr_free = n;
    vq->avail_idx = vq->last_used = vq->kicked_idx = 0;
    vq->event_idx = virtio_has(vd, VIRTIO_F_EVENT_IDX);
    vq->nr_kicks = vq->nr_kicks_saved = 0;
    spin_init(&vq->lock);
    w16(vd->common, CC_QUEUE_SIZE, n);
    w16(vd->common, CC_QUEUE_MSIX_VECTOR, 0xffff);              /* no MSI-X vector yet: polled */
    w64(vd->common, CC_QUEUE_DESC, dma_addr_of((const void *)vq->desc));
    w64(vd->common, CC_QUEUE_DRIVER, dma_addr_of((const void *)vq->avail));
    w64(vd->common, CC_QUEUE_DEVICE, dma_addr_of((const void *)vq->used));
    vq->notify = (volatile uint16_t *)(vd->notify_base + (uint32_t)r16(vd->common, CC_QUEUE_NOTIFY_OFF) * vd->notify_mult);
    w16(vd->common, CC_QUEUE_ENABLE, 1);
    return 0;
}

void virtio_driver_ok(struct virtio_dev *vd) { add_status(vd, VIRTIO_STATUS_DRIVER_OK); }
