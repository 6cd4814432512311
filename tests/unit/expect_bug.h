/*
 * page_alloc_bug() for host tests: the allocator's "this cannot happen" hook
 * records what it was told and jumps back to the test that armed it
 * (EXPECT_BUG); unarmed, it fails the test.
 */
#ifndef UNIT_EXPECT_BUG_H
#define UNIT_EXPECT_BUG_H

#include <stdbool.h>
#include <hv/page_alloc.h>
#include "unit.h"

extern jmp_buf bug_jmp;
extern bool bug_armed;
extern const char *bug_what;
extern pfn_t bug_pfn;

/* Runs stmt, which must be reported as a bug naming what, about frame pfn. */
#define EXPECT_BUG(stmt, what, pfn)                                                     \
    do {                                                                                \
        bug_what = NULL;                                                                \
        bug_armed = true;                                                               \
        if (setjmp(bug_jmp) == 0) {                                                     \
            stmt;                                                                       \
            bug_armed = false;                                                          \
            fail_msg("%s: no bug reported", #stmt);                                     \
        }                                                                               \
        assert_non_null(bug_what);                                                      \
        assert_contains(bug_what, what);                                                \
        assert_int_equal(bug_pfn, (pfn));                                               \
    } while (0)

#endif /* UNIT_EXPECT_BUG_H */
