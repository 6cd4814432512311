/* The test-guest framework: start of day, console, KTAP cases, shutdown. */
#ifndef GUEST_GUEST_H
#define GUEST_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <lib/format.h>
#include <lib/string.h>
#include <public/xen.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

extern struct start_info *start_info;

/* One KTAP case: returns NULL on success, else why it failed (may format into why). */
struct test_case {
    const char *name;
    const char *(*fn)(char *why, size_t len);
};

/* Each test guest defines its title and its cases, usually with DEFINE_TESTS. */
extern const char test_title[];
const struct test_case *guest_cases(unsigned int *n);

#define DEFINE_TESTS(...)                                                           \
    static const struct test_case test_cases_[] = { __VA_ARGS__ };                  \
    const struct test_case *guest_cases(unsigned int *n)                            \
    {                                                                               \
        *n = ARRAY_SIZE(test_cases_);                                               \
        return test_cases_;                                                         \
    }

/*
 * How the guest ends once every case passed: SHUTDOWN_poweroff, or this function
 * when a case sets it (the shutdown guest ends with the reason it was asked for).
 * A guest with a failed case, or with no case, always ends with SHUTDOWN_crash.
 */
extern void (*guest_end)(void);

void printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Ends the domain with a SHUTDOWN_* reason; never returns. */
__attribute__((noreturn)) void guest_shutdown(unsigned int reason);

/* Command-line words key=value (key given without '='): the value, or NULL when absent. */
const char *guest_option(const char *key);
/* Its decimal value, or dflt when absent or not a number. */
unsigned long guest_option_num(const char *key, unsigned long dflt);
/* True when the value is exactly `value`. */
bool guest_option_is(const char *key, const char *value);

/* Formats into why and returns it: `return fail(why, len, "got %d", x);` */
const char *fail(char *why, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
