/*
 * A small set of inclusive uint32 ranges (I/O ports a domain holds): kept
 * sorted, disjoint and never adjacent, in a fixed array, so a lookup reads
 * at most RANGESET_MAX entries and nothing is allocated. Pure code (host
 * unit-tested); the owner serialises changes against lookups.
 */
#ifndef HV_RANGESET_H
#define HV_RANGESET_H

#include <stdbool.h>
#include <stdint.h>

#define RANGESET_MAX 16

struct rangeset {
    unsigned int nr;                            /* ranges in use, r[0..nr) */
    struct { uint32_t first, last; } r[RANGESET_MAX];
};

/* Empties s. */
void rangeset_init(struct rangeset *s);

/* Adds [first, last] (first <= last), merging with neighbours. 0, or -XEN_ENOMEM when full. */
int rangeset_add(struct rangeset *s, uint32_t first, uint32_t last);

/* Removes [first, last]; splitting a range may need a slot: 0, or -XEN_ENOMEM (s unchanged). */
int rangeset_remove(struct rangeset *s, uint32_t first, uint32_t last);

/* True when every value of [first, last] is in s. */
bool rangeset_contains(const struct rangeset *s, uint32_t first, uint32_t last);

#endif
