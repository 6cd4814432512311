/* dom0's PV domain builder (toolstack/builder.c): a kernel image in, a paused domain out. */
#ifndef TOOLSTACK_BUILDER_H
#define TOOLSTACK_BUILDER_H

#include <stddef.h>
#include <stdint.h>
#include <public/xen.h>

struct tsb_args {
    const char *name;           /* unique among the domains */
    const void *kernel;         /* a PV ELF image */
    size_t kernel_size;
    const void *ramdisk;        /* the module (start_info.mod_start/mod_len), after the kernel as the boot builder */
    size_t ramdisk_size;        /* 0: none */
    const char *cmdline;        /* start_info.cmd_line */
    uint64_t mem_pages;         /* its memory */
    uint64_t max_pages;         /* how far it may grow (at least mem_pages) */
    unsigned int vcpus;         /* 1..8 */
};

/*
 * Creates and builds the domain, left paused (unpause it to run): 0 and its
 * id in *out, or -1 with err naming the problem (any half-built domain is
 * destroyed again).
 */
int tsb_build(const struct tsb_args *a, domid_t *out, char *err, size_t errlen);

/* Destroys dom, waiting while the hypervisor returns its memory: 0 or a Xen errno. */
int tsb_destroy(domid_t dom);

#endif
