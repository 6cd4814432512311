/* Files of a cpio "newc" archive (dom0's ramdisk: configs and kernels for xl); pure, host-tested. */
#ifndef TOOLSTACK_CPIO_H
#define TOOLSTACK_CPIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cpio_file {
    char name[64];              /* without a leading "./" */
    const uint8_t *data;
    size_t size;
};

/*
 * The file after *pos (0 to start): true and *f filled, *pos moved on; false
 * at the trailer, at the end, or at the first malformed header (bad magic,
 * non-hex field, a name or data running past len), with *bad set then.
 */
bool cpio_next(const void *archive, size_t len, size_t *pos, struct cpio_file *f, bool *bad);
/* The regular file called name: true and *f filled. */
bool cpio_find(const void *archive, size_t len, const char *name, struct cpio_file *f);

#endif
