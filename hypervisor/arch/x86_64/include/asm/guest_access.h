/* Reading and writing guest memory from hypercalls: every guest address is hostile. */
#ifndef ASM_GUEST_ACCESS_H
#define ASM_GUEST_ACCESS_H

#include <hv/lib.h>
#include <public/errno.h>
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

/*
 * One value of a 1, 2, 4 or 8-byte type to or from guest memory whose range
 * the caller has checked (guest_range_ok): a single instruction, and a fault
 * (unmapped, read only) jumps to the caller's label fail. For the frames of
 * the trap path (bounce and iret) and the small copies below, where a call and
 * a string copy were most of the cost. A value read is defined only when no
 * jump was taken.
 */
#define guest_put(type, gva, val, fail)                                                 \
    __asm__ goto("1: mov %1, %0\n" _ASM_EXTABLE(1b, %l[fail])                          \
                 : : "m"(*(type *)(gva)), "r"((type)(val)) : "memory" : fail)
#define guest_get(type, var, gva, fail)                                                 \
    __asm__ goto("1: mov %1, %0\n" _ASM_EXTABLE(1b, %l[fail])                          \
                 : "=r"(var) : "m"(*(const type *)(gva)) : : fail)
#define guest_put_u64(gva, val, fail) guest_put(uint64_t, gva, val, fail)
#define guest_get_u64(var, gva, fail) guest_get(uint64_t, var, gva, fail)

/* Any length, a quadword or a byte a step (usercopy.c); copy_*_guest below choose. */
int copy_from_guest_any(void *dst, uint64_t gva, size_t len);
int copy_to_guest_any(uint64_t gva, const void *src, size_t len);

/*
 * A copy whose length is known when compiled and is 1, 2, 4 or 8: one guarded move;
 * 16 (an mmu_update request): two. Longer ones are cheaper as a string copy, which
 * TCG counts as one step a quadword, load and store together.
 */
#define GUEST_COPY_ONE(len) (__builtin_constant_p(len) && ((len) == 1 || (len) == 2 || (len) == 4 || (len) == 8))
#define GUEST_COPY_WORDS(len) (__builtin_constant_p(len) && (len) == 16)

static __force_inline int copy_from_guest_words(void *dst, uint64_t gva, size_t len)
{
    if (!guest_range_ok(gva, len))
        return -XEN_EFAULT;
    for (size_t i = 0; i < len / 8; i++) {
        uint64_t x;
        guest_get(uint64_t, x, gva + 8 * i, fault);
        __builtin_memcpy((uint8_t *)dst + 8 * i, &x, 8);
    }
    return 0;
fault:
    return -XEN_EFAULT;
}

static __force_inline int copy_to_guest_words(uint64_t gva, const void *src, size_t len)
{
    if (!guest_range_ok(gva, len))
        return -XEN_EFAULT;
    for (size_t i = 0; i < len / 8; i++) {
        uint64_t x;
        __builtin_memcpy(&x, (const uint8_t *)src + 8 * i, 8);
        guest_put(uint64_t, gva + 8 * i, x, fault);
    }
    return 0;
fault:
    return -XEN_EFAULT;
}

static __force_inline int copy_from_guest_one(void *dst, uint64_t gva, size_t len)
{
    if (!guest_range_ok(gva, len))
        return -XEN_EFAULT;
    switch (len) {
    case 1: { uint8_t x; guest_get(uint8_t, x, gva, fault); __builtin_memcpy(dst, &x, 1); return 0; }
    case 2: { uint16_t x; guest_get(uint16_t, x, gva, fault); __builtin_memcpy(dst, &x, 2); return 0; }
    case 4: { uint32_t x; guest_get(uint32_t, x, gva, fault); __builtin_memcpy(dst, &x, 4); return 0; }
    default: { uint64_t x; guest_get(uint64_t, x, gva, fault); __builtin_memcpy(dst, &x, 8); return 0; }
    }
fault:
    return -XEN_EFAULT;
}

static __force_inline int copy_to_guest_one(uint64_t gva, const void *src, size_t len)
{
    if (!guest_range_ok(gva, len))
        return -XEN_EFAULT;
    switch (len) {
    case 1: { uint8_t x; __builtin_memcpy(&x, src, 1); guest_put(uint8_t, gva, x, fault); return 0; }
    case 2: { uint16_t x; __builtin_memcpy(&x, src, 2); guest_put(uint16_t, gva, x, fault); return 0; }
    case 4: { uint32_t x; __builtin_memcpy(&x, src, 4); guest_put(uint32_t, gva, x, fault); return 0; }
    default: { uint64_t x; __builtin_memcpy(&x, src, 8); guest_put(uint64_t, gva, x, fault); return 0; }
    }
fault:
    return -XEN_EFAULT;
}

/* Both return 0, or -XEN_EFAULT if any byte is outside the guest's range or unmapped. */
static inline int copy_from_guest(void *dst, uint64_t gva, size_t len)
{
    if (GUEST_COPY_ONE(len))
        return copy_from_guest_one(dst, gva, len);
    if (GUEST_COPY_WORDS(len))
        return copy_from_guest_words(dst, gva, len);
    return copy_from_guest_any(dst, gva, len);
}
static inline int copy_to_guest(uint64_t gva, const void *src, size_t len)
{
    if (GUEST_COPY_ONE(len))
        return copy_to_guest_one(gva, src, len);
    if (GUEST_COPY_WORDS(len))
        return copy_to_guest_words(gva, src, len);
    return copy_to_guest_any(gva, src, len);
}

#endif
