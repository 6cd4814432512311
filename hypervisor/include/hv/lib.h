/* Freestanding basics: sizes, alignment helpers and the string routines we provide. */
#ifndef HV_LIB_H
#define HV_LIB_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <lib/format.h>
#include <lib/string.h>

#define ARRAY_SIZE(a)       (sizeof(a) / sizeof((a)[0]))
#define ROUNDUP(x, a)       (((x) + (a) - 1) & ~((uint64_t)(a) - 1))
#define ROUNDDOWN(x, a)     ((x) & ~((uint64_t)(a) - 1))
#define IS_ALIGNED(x, a)    (((x) & ((uint64_t)(a) - 1)) == 0)
#define MIN(a, b)           ((a) < (b) ? (a) : (b))
#define MAX(a, b)           ((a) > (b) ? (a) : (b))

#define KiB(x)              ((uint64_t)(x) << 10)
#define MiB(x)              ((uint64_t)(x) << 20)
#define GiB(x)              ((uint64_t)(x) << 30)

#define __used              __attribute__((used))
#define __noreturn          __attribute__((noreturn))
#define __noinline          __attribute__((noinline))   /* a slow path kept out of its fast caller */
#define __force_inline      inline __attribute__((always_inline))
#define __printf(f, a)      __attribute__((format(printf, f, a)))
#define __aligned(n)        __attribute__((aligned(n)))
#define __section(s)        __attribute__((section(s)))
#define likely(x)           __builtin_expect(!!(x), 1)
#define unlikely(x)         __builtin_expect(!!(x), 0)

/*
 * Our own invariants (never a guest's mistake, which gets an error code):
 * BUG_ON is always checked; ASSERT only in debug builds (HV_DEBUG, the
 * default, which the boot tests run; `make HV_DEBUG=0` leaves them out).
 * Host tests compile the pure files with HV_DEBUG and catch the failure.
 */
__noreturn void assert_failed(const char *what, const char *file, unsigned int line);
#define BUG_ON(c) do { if (unlikely(c)) assert_failed("BUG_ON(" #c ")", __FILE__, __LINE__); } while (0)
#ifdef HV_DEBUG
#define ASSERT(c) do { if (unlikely(!(c))) assert_failed("ASSERT(" #c ")", __FILE__, __LINE__); } while (0)
#else
#define ASSERT(c) do { (void)sizeof(c); } while (0)
#endif

#endif
