/* Hypercalls through the hypercall page: call hypercall_page + nr * 32. */
#ifndef GUEST_HYPERCALL_H
#define GUEST_HYPERCALL_H

#include <stdint.h>
#include <public/xen.h>
#include <public/sched.h>
#include <public/version.h>
#include <public/callback.h>
#include <public/vcpu.h>

extern uint8_t hypercall_page[4096];

/*
 * Arguments in rdi, rsi, rdx, r10, r8; result in rax. The stub saves rcx and
 * r11 around its SYSCALL; the argument registers count as clobbered (a debug
 * Xen poisons them).
 */
#define _hypercall(nr, a1, a2, a3, a4, a5) ({                                           \
    register uint64_t _a1 __asm__("rdi") = (uint64_t)(a1);                              \
    register uint64_t _a2 __asm__("rsi") = (uint64_t)(a2);                              \
    register uint64_t _a3 __asm__("rdx") = (uint64_t)(a3);                              \
    register uint64_t _a4 __asm__("r10") = (uint64_t)(a4);                              \
    register uint64_t _a5 __asm__("r8") = (uint64_t)(a5);                               \
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

static inline int64_t hyp_console_write(const char *s, uint64_t len)
{
    return hypercall3(__HYPERVISOR_console_io, CONSOLEIO_write, len, s);
}

static inline int64_t hyp_sched_op(int cmd, void *arg)
{
    return hypercall2(__HYPERVISOR_sched_op, cmd, arg);
}

static inline int64_t hyp_xen_version(int cmd, void *arg)
{
    return hypercall2(__HYPERVISOR_xen_version, cmd, arg);
}

#endif
