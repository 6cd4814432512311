/*
 * Index arithmetic of the console ring (public/io/console.h), shared by the
 * front end (domU) and the back end (dom0) and tested on the host: indices
 * run free (uint32_t, wrapping), a byte lives at index % size.
 */
#ifndef PVDRIVERS_CONSOLE_RING_H
#define PVDRIVERS_CONSOLE_RING_H

#include <stddef.h>
#include <stdint.h>
#include <public/io/console.h>

/* Bytes between cons and prod; more than size means the other side broke the ring. */
static inline uint32_t xencons_used(XENCONS_RING_IDX prod, XENCONS_RING_IDX cons)
{
    return (uint32_t)(prod - cons);
}

static inline int xencons_valid(XENCONS_RING_IDX prod, XENCONS_RING_IDX cons, size_t size)
{
    return xencons_used(prod, cons) <= size;
}

/* Free bytes for the producer (0 when full; only for a valid pair). */
static inline size_t xencons_space(XENCONS_RING_IDX prod, XENCONS_RING_IDX cons, size_t size)
{
    return size - xencons_used(prod, cons);
}

/* Copies n bytes into ring (size a power of two) from index prod on, wrapping. */
static inline void xencons_put(uint8_t *ring, size_t size, XENCONS_RING_IDX prod, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ring[(prod + i) & (size - 1)] = (uint8_t)s[i];
}

/* Copies n bytes out of ring from index cons on, wrapping. */
static inline void xencons_get(const volatile uint8_t *ring, size_t size, XENCONS_RING_IDX cons, char *out,
                               size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = (char)ring[(cons + i) & (size - 1)];
}

_Static_assert((sizeof(((struct xencons_interface *)0)->out) & (sizeof(((struct xencons_interface *)0)->out) - 1)) == 0,
               "the out ring's size is a power of two");
_Static_assert((sizeof(((struct xencons_interface *)0)->in) & (sizeof(((struct xencons_interface *)0)->in) - 1)) == 0,
               "the in ring's size is a power of two");

#endif /* PVDRIVERS_CONSOLE_RING_H */
