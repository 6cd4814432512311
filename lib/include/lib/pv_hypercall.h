/*
 * Guest side of the x86-64 PV hypercall convention, shared by every guest we
 * build (test guests, benchmark guest, pvguest): call hypercall_page + nr * 32
 * with arguments in rdi, rsi, rdx, r10, r8; the result comes back in rax.
 *
 * The stub saves rcx and r11 around its SYSCALL; the argument registers count
 * as clobbered because a debug Xen poisons them. A guest that wants to see
 * every call (pvguest's entry counters) defines PV_HYPERCALL_HOOK(nr) before
 * including this header.
 */
#ifndef LIB_PV_HYPERCALL_H
#define LIB_PV_HYPERCALL_H

#include <stdint.h>

#ifndef PV_HYPERCALL_HOOK
#define PV_HYPERCALL_HOOK(nr) ((void)0)
#endif

extern uint8_t hypercall_page[4096];

/*
 * The arguments, and the hook, are evaluated before any register variable is
 * set: a function call there would otherwise clobber rdi, rsi, rdx or r8.
 */
#define _hypercall(nr, a1, a2, a3, a4, a5) ({                                           \
    uint64_t _v1 = (uint64_t)(a1), _v2 = (uint64_t)(a2), _v3 = (uint64_t)(a3);           \
    uint64_t _v4 = (uint64_t)(a4), _v5 = (uint64_t)(a5);                                \
    PV_HYPERCALL_HOOK(nr);                                                              \
    register uint64_t _a1 __asm__("rdi") = _v1;                                         \
    register uint64_t _a2 __asm__("rsi") = _v2;                                         \
    register uint64_t _a3 __asm__("rdx") = _v3;                                         \
    register uint64_t _a4 __asm__("r10") = _v4;                                         \
    register uint64_t _a5 __asm__("r8") = _v5;                                          \
    int64_t _res;                                                                       \
    __asm__ volatile("call *%[stub]"                                                    \
                     : "=a"(_res), "+r"(_a1), "+r"(_a2), "+r"(_a3), "+r"(_a4), "+r"(_a5) \
                     : [stub] "r"(hypercall_page + (nr) * 32)                           \
                     : "rcx", "r11", "memory");                                         \
    _res;                                                                               \
})

#define hypercall0(nr)                     _hypercall(nr, 0, 0, 0, 0, 0)
#define hypercall1(nr, a)                  _hypercall(nr, a, 0, 0, 0, 0)
#define hypercall2(nr, a, b)               _hypercall(nr, a, b, 0, 0, 0)
#define hypercall3(nr, a, b, c)            _hypercall(nr, a, b, c, 0, 0)
#define hypercall4(nr, a, b, c, d)         _hypercall(nr, a, b, c, d, 0)
#define hypercall5(nr, a, b, c, d, e)      _hypercall(nr, a, b, c, d, e)

#endif /* LIB_PV_HYPERCALL_H */
