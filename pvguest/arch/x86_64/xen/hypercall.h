/*
 * Hypercalls through the hypercall page: call hypercall_page + nr * 32, with
 * arguments in rdi, rsi, rdx, r10, r8 and the result in rax. Each one is
 * counted as a hypervisor entry (counters.h) before it is made.
 */
#ifndef XEN_HYPERCALL_H
#define XEN_HYPERCALL_H

#include <counters.h>
#include <public/xen.h>

extern uint8_t hypercall_page[4096];

#define _hypercall(nr, a1, a2, a3, a4, a5) ({                                           \
    register uint64_t _a1 __asm__("rdi") = (uint64_t)(a1);                              \
    register uint64_t _a2 __asm__("rsi") = (uint64_t)(a2);                              \
    register uint64_t _a3 __asm__("rdx") = (uint64_t)(a3);                              \
    register uint64_t _a4 __asm__("r10") = (uint64_t)(a4);                              \
    register uint64_t _a5 __asm__("r8") = (uint64_t)(a5);                               \
    int64_t _res;                                                                       \
    counter_entry(nr);                                                                  \
    __asm__ volatile("call *%[stub]"                                                    \
                     : "=a"(_res), "+r"(_a1), "+r"(_a2), "+r"(_a3), "+r"(_a4), "+r"(_a5) \
                     : [stub] "r"(hypercall_page + (nr) * 32)                           \
                     : "rcx", "r11", "memory");                                         \
    _res;                                                                               \
})

#define hypercall1(nr, a)               _hypercall(nr, a, 0, 0, 0, 0)
#define hypercall2(nr, a, b)            _hypercall(nr, a, b, 0, 0, 0)
#define hypercall3(nr, a, b, c)         _hypercall(nr, a, b, c, 0, 0)
#define hypercall4(nr, a, b, c, d)      _hypercall(nr, a, b, c, d, 0)

#endif /* XEN_HYPERCALL_H */
