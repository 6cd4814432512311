/*
 * A private memory pool for dom0's xenstored: size-class free lists carved from
 * one region taken at start, so serving the store never touches the kernel's
 * page allocator while other code (the self-tests) counts its pages.
 */
#ifndef XENBUS_ARENA_H
#define XENBUS_ARENA_H

#include <stddef.h>
#include <stdbool.h>

/* Takes pages pages from the kernel once: false (reported) if that fails. */
bool xs_arena_init(size_t pages);
/* Up to XS_ARENA_MAX bytes, or NULL when the pool is used up. Callers serialize. */
#define XS_ARENA_MAX 8192u
void *xs_arena_alloc(size_t n);
void xs_arena_free(void *p);
/* Bytes handed out right now (for the leak check in the self-tests). */
size_t xs_arena_in_use(void);

#endif /* XENBUS_ARENA_H */
