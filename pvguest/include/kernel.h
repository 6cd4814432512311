/* pvguest: basic types, helpers, console output and fatal errors shared by every file. */
#ifndef PVGUEST_KERNEL_H
#define PVGUEST_KERNEL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <lib/format.h>
#include <lib/string.h>

#define ARRAY_SIZE(a)       (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a)      (((x) + (a) - 1) & ~((__typeof__(x))(a) - 1))
#define ALIGN_DOWN(x, a)    ((x) & ~((__typeof__(x))(a) - 1))
#define MIN(a, b)           ((a) < (b) ? (a) : (b))
#define MAX(a, b)           ((a) > (b) ? (a) : (b))
#define container_of(p, type, member) ((type *)((char *)(p) - offsetof(type, member)))
#define __noreturn          __attribute__((noreturn))
#define __printf(a, b)      __attribute__((format(printf, a, b)))
#define unlikely(x)         __builtin_expect(!!(x), 0)
#define barrier()           __asm__ volatile("" ::: "memory")
#define READ_ONCE(x)        (*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v)    (*(volatile __typeof__(x) *)&(x) = (v))

#define NSEC_PER_USEC       1000ull
#define NSEC_PER_MSEC       1000000ull
#define NSEC_PER_SEC        1000000000ull

/* Kernel error numbers (returned negated); the values are Linux's. */
#define EPERM       1
#define ENOENT      2
#define ENODEV      19
#define EIO         5
#define EFAULT      14
#define EBUSY       16
#define EEXIST      17
#define EINVAL      22
#define ENOSPC      28
#define ENOSYS      38
#define ENOMEM      12
#define EOPNOTSUPP  95
#define ENOTCONN    107
#define ETIMEDOUT   110

/* printk.c: formatted output on the console (whole lines are written in one piece). */
void printk(const char *fmt, ...) __printf(1, 2);
void vprintk(const char *fmt, va_list ap);
/* A one-line warning: "pvguest: warning: ...". */
void warn(const char *fmt, ...) __printf(1, 2);
/*
 * Stops the kernel: prints "pvguest: panic: <message>" and the counters, then
 * ends the machine (native) or crashes the domain (PV). Never returns.
 */
__noreturn void panic(const char *fmt, ...) __printf(1, 2);
/* True once a panic started: the console backend then writes by the most direct path. */
bool panic_in_progress(void);

/* console.c: binds console input, if the machine has any for us. */
void console_input_init(void);
/* Every byte of console input goes to hook (from the input event's handler: it must not sleep). */
void console_set_input_hook(void (*hook)(const char *buf, size_t n));

/* A broken invariant of our own: panics with the place and the condition. */
#define BUG_ON(cond)                                                                    \
    do {                                                                                \
        if (unlikely(cond))                                                             \
            panic("BUG at %s:%d (%s): %s", __FILE__, __LINE__, __func__, #cond);        \
    } while (0)

#endif /* PVGUEST_KERNEL_H */
