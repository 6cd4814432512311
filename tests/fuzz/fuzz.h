/*
 * Shared by the libFuzzer targets: reading an input as a stream of choices,
 * and failing loudly. A finding is an abort (libFuzzer saves the input as
 * a crash artifact), so every oracle check goes through FUZZ_CHECK.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define FUZZ_CHECK(cond, ...)                                                            \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            fprintf(stderr, "FUZZ FINDING: " __VA_ARGS__);                               \
            fputc('\n', stderr);                                                         \
            abort();                                                                     \
        }                                                                                \
    } while (0)

/* The input, consumed front to back; once it runs out every read gives 0. */
struct fuzz_in {
    const uint8_t *p;
    size_t n;
};

static inline uint8_t fuzz_u8(struct fuzz_in *in)
{
    if (!in->n)
        return 0;
    in->n--;
    return *in->p++;
}

static inline uint64_t fuzz_u64(struct fuzz_in *in)
{
    uint64_t v = 0;
    for (unsigned int i = 0; i < 8; i++)
        v |= (uint64_t)fuzz_u8(in) << (8 * i);
    return v;
}

/* True when a string of len bytes holds a NUL: what every parser promises for its outputs. */
static inline int fuzz_terminated(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!s[i])
            return 1;
    return 0;
}

#endif /* FUZZ_H */
