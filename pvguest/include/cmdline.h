/*
 * The kernel command line: "name=value" or "name" words. Options are declared
 * next to their variables with KERNEL_OPTION; an unknown option or a bad
 * value is named in a warning and boot goes on.
 */
#ifndef PVGUEST_CMDLINE_H
#define PVGUEST_CMDLINE_H

#include <kernel.h>

struct kernel_option {
    const char *name;
    /* value is NULL for a bare word; returns false if the value is bad. */
    bool (*set)(const char *value);
};

#define KOPT_CAT_(a, b) a##b
#define KOPT_CAT(a, b)  KOPT_CAT_(a, b)
#define KERNEL_OPTION(optname, setter)                                              \
    static const struct kernel_option KOPT_CAT(kopt_, __LINE__)                     \
        __attribute__((used, section(".kernel_options"), aligned(8))) = { optname, setter }

/* Applies every option of the line (kept: cmdline_get()). */
void cmdline_parse(const char *cmdline);
const char *cmdline_get(void);
/* mem=: bytes of memory the kernel may use (~0 when not given). */
extern uint64_t cmdline_mem_limit;
/* Parses a decimal or 0x number with an optional K/M/G suffix. */
bool cmdline_number(const char *s, uint64_t *out);

#endif /* PVGUEST_CMDLINE_H */
