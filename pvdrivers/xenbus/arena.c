/*
 * dom0 xenstored's private pool (arena.h): power-of-two classes from 32 to
 * 8192 bytes, each block preceded by a 16-byte header naming its class.
 */
#include <mm.h>
#include "arena.h"

#define MIN_SHIFT 5
#define MAX_SHIFT 13
#define HDR       16u
#define MAGIC     0x5a5a0000u

static char *base, *next, *end;
static void *free_list[MAX_SHIFT + 1];
static size_t in_use;

bool xs_arena_init(size_t pages)
{
    base = vm_alloc(pages, VM_EAGER);
    if (!base)
        return false;
    next = base;
    end = base + pages * PAGE_SIZE;
    return true;
}

static unsigned int class_of(size_t n)
{
    unsigned int s = MIN_SHIFT;
    while ((1ul << s) < n + HDR)
        s++;
    return s;
}

void *xs_arena_alloc(size_t n)
{
    if (!n || n > (1ul << MAX_SHIFT) - HDR || !base)
        return NULL;
    unsigned int s = class_of(n);
    char *b = free_list[s];
    if (b) {
        free_list[s] = *(void **)(b + HDR);
    } else {
        if ((size_t)(end - next) < (1ul << s))
            return NULL;
        b = next;
        next += 1ul << s;
    }
    *(uint32_t *)b = MAGIC | s;
    in_use += 1ul << s;
    return b + HDR;
}

void xs_arena_free(void *p)
{
    if (!p)
        return;
    char *b = (char *)p - HDR;
    uint32_t h = *(uint32_t *)b;
    BUG_ON((h & 0xffff0000u) != MAGIC || (h & 0xffff) < MIN_SHIFT || (h & 0xffff) > MAX_SHIFT);
    unsigned int s = h & 0xffff;
    *(uint32_t *)b = 0;
    *(void **)(b + HDR) = free_list[s];
    free_list[s] = b;
    in_use -= 1ul << s;
}

size_t xs_arena_in_use(void) { return in_use; }
