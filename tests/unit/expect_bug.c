/* page_alloc_bug() for host tests: recorded, then back to the test by longjmp. */
#include "expect_bug.h"

jmp_buf bug_jmp;
bool bug_armed;
const char *bug_what;
pfn_t bug_pfn;

void page_alloc_bug(const char *what, pfn_t pfn)
{
    bug_what = what;
    bug_pfn = pfn;
    if (!bug_armed) {
        fail_msg("unexpected page_alloc_bug(\"%s\", %#llx)", what, (unsigned long long)pfn);
        abort();
    }
    bug_armed = false;
    longjmp(bug_jmp, 1);
}

/* A broken ASSERT/BUG_ON in a pure file under test: the test fails. */
void assert_failed(const char *what, const char *file, unsigned int line)
{
    fail_msg("%s failed at %s:%u", what, file, line);
    abort();
}

