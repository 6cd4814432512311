/* The KTAP self-test runner: each case returns NULL (ok) or why it failed. */
#ifndef PVGUEST_KTAP_H
#define PVGUEST_KTAP_H

#include <kernel.h>

struct ktap_case {
    const char *name;
    const char *(*fn)(char *why, size_t len);
};

/* Formats into why and returns it: `return ktap_fail(why, len, "got %d", x);` */
const char *ktap_fail(char *why, size_t len, const char *fmt, ...) __printf(3, 4);
/* A case that does not apply here: `return ktap_skip(why, len, "needs X");` prints "ok N name # SKIP ...". */
const char *ktap_skip(char *why, size_t len, const char *fmt, ...) __printf(3, 4);
#define KTAP_SKIP_MARK '\001'
#define EXPECT(cond, ...)                               \
    do {                                                \
        if (!(cond))                                    \
            return ktap_fail(why, len, __VA_ARGS__);    \
    } while (0)

/* Prints a KTAP version 1 run of the cases; true when there were cases and all passed. */
bool ktap_run(const char *title, const struct ktap_case *cases, unsigned int n);

/* selftest/selftest.c: every self-test of the kernel; true when all passed. */
bool selftests_run(void);

#endif /* PVGUEST_KTAP_H */
