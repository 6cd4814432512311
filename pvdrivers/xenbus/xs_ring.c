/* The xenstore ring's byte streams, both ends (include/xenbus/xs_ring.h). */
#include <xenbus/xs_ring.h>

#define LOAD(p)     __atomic_load_n((p), __ATOMIC_RELAXED)
#define STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)

int xs_ring_peek(const struct xs_ring_dir *d, uint32_t cons, uint8_t *out, size_t max)
{
    uint32_t prod = LOAD(d->prod);
    __atomic_thread_fence(__ATOMIC_ACQUIRE);        /* the index before the data */
    uint32_t avail = prod - cons;
    if (avail > XENSTORE_RING_SIZE)
        return XS_RING_BAD;
    if (avail > max)
        avail = (uint32_t)max;
    for (uint32_t i = 0; i < avail; i++)
        out[i] = LOAD(&d->data[MASK_XENSTORE_IDX(cons + i)]);
    return (int)avail;
}

void xs_ring_consume(const struct xs_ring_dir *d, uint32_t *cons, uint32_t n)
{
    *cons += n;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);        /* done with the data before giving it back */
    STORE(d->cons, *cons);
}

int xs_ring_room(const struct xs_ring_dir *d, uint32_t prod, uint32_t *off)
{
    uint32_t used = prod - LOAD(d->cons);
    if (used > XENSTORE_RING_SIZE)
        return XS_RING_BAD;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);        /* the space is free before we write it */
    *off = MASK_XENSTORE_IDX(prod);
    uint32_t free = XENSTORE_RING_SIZE - used, to_end = XENSTORE_RING_SIZE - *off;
    return (int)(free < to_end ? free : to_end);
}

void xs_ring_produce(const struct xs_ring_dir *d, uint32_t *prod, uint32_t n)
{
    __atomic_thread_fence(__ATOMIC_RELEASE);        /* the data before the index */
    *prod += n;
    STORE(d->prod, *prod);
}

int xs_ring_write(const struct xs_ring_dir *d, uint32_t *prod, const void *src, size_t len)
{
    const uint8_t *p = src;
    size_t done = 0;
    while (done < len) {
        uint32_t off;
        int room = xs_ring_room(d, *prod, &off);
        if (room == XS_RING_BAD)
            return XS_RING_BAD;
        if (!room)
            break;
        uint32_t n = (uint32_t)(len - done < (size_t)room ? len - done : (size_t)room);
        for (uint32_t i = 0; i < n; i++)
            STORE(&d->data[off + i], p[done + i]);
        xs_ring_produce(d, prod, n);
        done += n;
    }
    return (int)done;
}

int xs_ring_read(const struct xs_ring_dir *d, uint32_t *cons, void *dst, size_t max)
{
    int n = xs_ring_peek(d, *cons, dst, max);
    if (n > 0)
        xs_ring_consume(d, cons, (uint32_t)n);
    return n;
}
