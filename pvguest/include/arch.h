/* Hooks the arch code (arch/x86_64/, shared by both backends) gives the core. */
#ifndef PVGUEST_ARCH_H
#define PVGUEST_ARCH_H

#include <kernel.h>

/* traps.c: installs the exception handlers through pv_ops.cpu->set_trap_table(). */
void trap_init(void);

/*
 * Reads the 8 bytes at va; 0, or -EFAULT (through the exception table)
 * when the access faults and no handler serves the fault.
 */
int probe_read_u64(uint64_t va, uint64_t *value);

#endif /* PVGUEST_ARCH_H */
