/* The split virtqueue, driver side: chains of descriptors out through the available ring, back through the used ring. */
#include <virtio.h>

#define AVAIL_IDX   1                       /* avail[]: flags, idx, ring[size], used_event */
#define AVAIL_RING  2
#define USED_FLAGS  0
#define USED_IDX    1                       /* used[]: flags, idx, then 8-byte elements from byte 4, avail_event */

/* EVENT_IDX's two words (virtio 1.0, 2.4.7 and 2.4.8): after the avail ring and after the used ring. */
static volatile uint16_t *used_event(struct virtq *vq) { return &vq->avail[AVAIL_RING + vq->size]; }
static volatile uint16_t *avail_event(struct virtq *vq)
{
    return (volatile uint16_t *)((volatile uint8_t *)vq->used + 4 + 8 * (uint32_t)vq->size);
}

static void fill(volatile struct virtq_desc *d, uint64_t addr, uint32_t len, uint16_t flags)
{
    d->addr = addr;
    d->len = len;
    d->flags = flags;
}

/* Publishes the chain at head: the ring entry, then (released) the index. */
static void publish(struct virtq *vq, uint16_t head, void *token)
{
    vq->token[head] = token;
    vq->avail[AVAIL_RING + (vq->avail_idx & (vq->size - 1))] = head;
    /* The descriptors and the ring entry before the index the device reads. */
    __atomic_thread_fence(__ATOMIC_RELEASE);
    vq->avail_idx++;
    vq->avail[AVAIL_IDX] = vq->avail_idx;
}

int virtq_add(struct virtq *vq, const uint64_t *addr, const uint32_t *len, unsigned int n, unsigned int nwrite,
              void *token)
{
    if (n == 0 || nwrite > n)
        return -EINVAL;
    if (n > vq->nr_free)
        return -ENOSPC;
    uint16_t head = vq->free_head, i = head, last = head;
    for (unsigned int k = 0; k < n; k++) {
        volatile struct virtq_desc *d = &vq->desc[i];
        fill(d, addr[k], len[k],
             (uint16_t)((k + 1 < n ? VIRTQ_DESC_F_NEXT : 0) | (k >= n - nwrite ? VIRTQ_DESC_F_WRITE : 0)));
        last = i;
        i = d->next;
    }
    vq->free_head = vq->desc[last].next;
    vq->nr_free = (uint16_t)(vq->nr_free - n);
    publish(vq, head, token);
    return 0;
}

int virtq_add_indirect(struct virtq *vq, volatile struct virtq_desc *table, uint64_t table_bus, const uint64_t *addr,
                       const uint32_t *len, unsigned int n, unsigned int nwrite, void *token)
{
    if (n == 0 || nwrite > n || n > 0xffffu / sizeof(struct virtq_desc))
        return -EINVAL;
    if (vq->nr_free == 0)
        return -ENOSPC;
    for (unsigned int k = 0; k < n; k++) {
        fill(&table[k], addr[k], len[k],
             (uint16_t)((k + 1 < n ? VIRTQ_DESC_F_NEXT : 0) | (k >= n - nwrite ? VIRTQ_DESC_F_WRITE : 0)));
        table[k].next = (uint16_t)(k + 1);
    }
    uint16_t head = vq->free_head;
    /* The ring's descriptor: INDIRECT alone (virtio 1.0, 2.4.5.3.1: not with NEXT or WRITE). */
    fill(&vq->desc[head], table_bus, (uint32_t)(n * sizeof(struct virtq_desc)), VIRTQ_DESC_F_INDIRECT);
    vq->free_head = vq->desc[head].next;
    vq->nr_free--;
    publish(vq, head, token);
    return 0;
}

void virtq_kick(struct virtq *vq)
{
    /* The index store before reading what the device asked for, and before the doorbell (uncached MMIO). */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    uint16_t old = vq->kicked_idx, now = vq->avail_idx;
    if (old == now)
        return;
    vq->kicked_idx = now;
    bool need;
    if (vq->event_idx) {
        /* vring_need_event: the device's avail_event lies in [old, now). */
        uint16_t ev = *avail_event(vq);
        need = (uint16_t)(now - ev - 1) < (uint16_t)(now - old);
    } else {
        need = !(vq->used[USED_FLAGS] & VIRTQ_USED_F_NO_NOTIFY);
    }
    if (!need) {
        vq->nr_kicks_saved++;
        return;
    }
    vq->nr_kicks++;
    *vq->notify = vq->index;
}

void *virtq_get_used(struct virtq *vq, uint32_t *len)
{
    if (vq->used[USED_IDX] == vq->last_used)
        return NULL;
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    const volatile struct virtq_used_elem *e =
        (const volatile struct virtq_used_elem *)((volatile uint8_t *)vq->used + 4) + (vq->last_used & (vq->size - 1));
    uint32_t id = e->id;
    if (len)
        *len = e->len;
    vq->last_used++;
    /* With EVENT_IDX: signal us again once the device has used the next entry. */
    if (vq->event_idx)
        *used_event(vq) = vq->last_used;
    if (id >= vq->size) {
        warn("virtq %u: the device returned descriptor %u of %u", vq->index, id, vq->size);
        return NULL;
    }
    void *token = vq->token[id];
    vq->token[id] = NULL;
    /* The chain back on the free list (an indirect chain is its one ring descriptor). */
    uint16_t i = (uint16_t)id, n = 1;
    while ((vq->desc[i].flags & VIRTQ_DESC_F_NEXT) && n < vq->size) {
        i = vq->desc[i].next;
        n++;
    }
    vq->desc[i].next = vq->free_head;
    vq->free_head = (uint16_t)id;
    vq->nr_free = (uint16_t)(vq->nr_free + n);
    return token;
}
