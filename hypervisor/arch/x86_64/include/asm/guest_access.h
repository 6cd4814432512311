/* Reading and writing guest memory from hypercalls: every guest address is hostile. */
#ifndef ASM_GUEST_ACCESS_H
#define ASM_GUEST_ACCESS_H

#include <hv/lib.h>

/*
 * The guest's part of the address space: canonical and outside the range
 * the hypervisor reserves (RESERVED_VIRT_START..END). Accesses go through
 * the running guest's page tables with fault fix-ups, so an unmapped or
 * read-only page is an error, never a hypervisor fault.
 */
bool guest_range_ok(uint64_t gva, size_t len);

/* Both return 0, or -XEN_EFAULT if any byte is outside the guest's range or unmapped. */
int copy_from_guest(void *dst, uint64_t gva, size_t len);
int copy_to_guest(uint64_t gva, const void *src, size_t len);

#endif
