/* Reading and writing guest memory from hypercalls: every guest address is hostile. */
#ifndef ASM_GUEST_ACCESS_H
#define ASM_GUEST_ACCESS_H

#include <hv/lib.h>
#include <asm/config.h>
#include <asm/extable.h>

#define CANONICAL_LOW_END 0x0000800000000000ull

/*
 * The guest's part of the address space: canonical and outside the range
 * the hypervisor reserves (RESERVED_VIRT_START..END). Accesses go through
 * the running guest's page tables with fault fix-ups, so an unmapped or
 * read-only page is an error, never a hypervisor fault.
 */
static inline bool guest_range_ok(uint64_t gva, size_t len)
{
    if (len == 0)
        return true;
    if (len - 1 > UINT64_MAX - gva)
        return false;                       /* wraps around */
    uint64_t last = gva + len - 1;
    if (last < CANONICAL_LOW_END)
        return true;                        /* wholly in the low half */
    return gva >= RESERVED_VIRT_END;        /* wholly above the hypervisor's range */
}

/* Both return 0, or -XEN_EFAULT if any byte is outside the guest's range or unmapped. */
int copy_from_guest(void *dst, uint64_t gva, size_t len);
int copy_to_guest(uint64_t gva, const void *src, size_t len);

/*
 * One quadword to or from guest memory whose range the caller has checked as
 * a whole (guest_range_ok): a single instruction, and a fault (unmapped, read
 * only) jumps to the caller's label fail. For the frames of the trap path
 * (bounce and iret), where a call and a string copy per frame were a fifth of
 * a trap's cost. The value read is defined only when no jump was taken.
 */
#define guest_put_u64(gva, val, fail)                                                   \
    __asm__ goto("1: movq %1, %0\n" _ASM_EXTABLE(1b, %l[fail])                        \
                 : : "m"(*(uint64_t *)(gva)), "r"((uint64_t)(val)) : "memory" : fail)
#define guest_get_u64(var, gva, fail)                                                   \
    __asm__ goto("1: movq %1, %0\n" _ASM_EXTABLE(1b, %l[fail])                        \
                 : "=r"(var) : "m"(*(const uint64_t *)(gva)) : : fail)

#endif
