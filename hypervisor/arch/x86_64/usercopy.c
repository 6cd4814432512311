/* Guest memory access with range checks and exception fix-ups. */
#include <public/errno.h>
#include <asm/config.h>
#include <asm/extable.h>
#include <asm/guest_access.h>

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

int copy_from_guest_any(void *dst, uint64_t gva, size_t len)
{
    if (!guest_range_ok(gva, len))
        return -XEN_EFAULT;
    return copy_fixup(dst, (const void *)gva, len) ? -XEN_EFAULT : 0;
}

int copy_to_guest_any(uint64_t gva, const void *src, size_t len)
{
    if (!guest_range_ok(gva, len))
        return -XEN_EFAULT;
    return copy_fixup((void *)gva, src, len) ? -XEN_EFAULT : 0;
}
