/* Shared helpers for the host unit tests: cmocka, substring checks, the runner. */
#ifndef UNIT_H
#define UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define UNIT_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Fails the test unless haystack contains needle, showing both. */
#define assert_contains(haystack, needle)                                              \
    do {                                                                               \
        const char *h_ = (haystack), *n_ = (needle);                                   \
        if (!h_ || !strstr(h_, n_))                                                    \
            fail_msg("\"%s\" does not contain \"%s\"", h_ ? h_ : "(null)", n_);        \
    } while (0)

/* Runs the binary's cases as one cmocka group. */
static inline int unit_run(int argc, char **argv, const char *name,
                           const struct CMUnitTest *tests, size_t n)
{
    (void)argc;
    (void)argv;
    return _cmocka_run_group_tests(name, tests, n, NULL, NULL);
}

#endif
