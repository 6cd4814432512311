/* Guest memory access with range checks and exception fix-ups. */
#include <public/errno.h>
#include <asm/config.h>
#include <asm/extable.h>
#include <asm/guest_access.h>

#define CANONICAL_LOW_END 0x0000800000000000ull

bool guest_range_ok(uint64_t gva, size_t len)
{
    if (len == 0)
        return true;
    if (len - 1 > UINT64_MAX - gva)
        return false;                       /* wraps around */
    uint64_t last = gva + len - 1;
    if (last < CANONICAL_LOW_END)
        return true;                        /* wholly in the low half */
    return gva >= RESERVED_VIRT_END;      /* wholly above the hypervisor's range */
}

/*
 * A copy that stops at a fault; returns how many bytes were not copied. A whole
 * number of quadwords goes eight bytes a step: a string instruction costs a step per
 * element under TCG (and -icount), so a trap's 56-byte bounce frame is 7 steps, not
 * 56. A quadword that faults is not written in part, so what is left is the
 * quadwords not done. Other lengths (the small structs of most hypercalls) go byte by
 * byte, as before.
 */
static size_t copy_fixup(void *dst, const void *src, size_t len)
{
    if (len % 8) {
        __asm__ volatile("1: rep movsb\n"
                         "2:\n"
                         _ASM_EXTABLE(1b, 2b)
                         : "+D"(dst), "+S"(src), "+c"(len) :: "memory");
        return len;
    }
    size_t words = len / 8;
    __asm__ volatile("1: rep movsq\n"
                     "2:\n"
                     _ASM_EXTABLE(1b, 2b)
                     : "+D"(dst), "+S"(src), "+c"(words) :: "memory");
    return words * 8;
}

int copy_from_guest(void *dst, uint64_t gva, size_t len)
{
    if (!guest_range_ok(gva, len))
        return -XEN_EFAULT;
    return copy_fixup(dst, (const void *)gva, len) ? -XEN_EFAULT : 0;
}

int copy_to_guest(uint64_t gva, const void *src, size_t len)
{
    if (!guest_range_ok(gva, len))
        return -XEN_EFAULT;
    return copy_fixup((void *)gva, src, len) ? -XEN_EFAULT : 0;
}
