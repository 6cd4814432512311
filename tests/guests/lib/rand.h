/* splitmix64: a seeded PRNG for test guests; any seed, including 0, gives a good
 * stream, and each caller keeps its own state (one per vCPU). */
#ifndef GUEST_RAND_H
#define GUEST_RAND_H

#include <stdint.h>

static inline uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

#endif
