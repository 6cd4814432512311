/*
 * The trap-and-emulate test kernel: the emul, ioport and ptwr suites in one
 * image, so that a single kernel does everything a PV kernel leans on the
 * emulator for, on ours and on Xen 4.17 alike: it requires
 * writable_page_tables (ptwr's FEATURES note, "!writable_page_tables" with no
 * NUL), writes PTEs with plain stores, reads CR0 and CR4, writes CR3, uses
 * forced-emulation CPUID and reads PCI configuration space through
 * 0xCF8/0xCFC. Each suite's file is compiled a second time with its
 * guest_cases and test_title renamed (guests.mk); the suites run one after
 * the other, their cases named <suite>_<case>.
 */
#include <lib/format.h>
#include "guest.h"

const char test_title[] = "trapkernel: the emul, ioport and ptwr suites in one kernel";

/* ptwr first: it checks that the L2 entry after its test address is free, and emul maps there. */
#define SUITES(X) X(ptwr) X(emul) X(ioport)

#define DECLARE(s) const struct test_case *s##_cases(unsigned int *n);
SUITES(DECLARE)

#define MAX_CASES 128
#define NAME_LEN 48

static struct test_case all[MAX_CASES];
static char names[MAX_CASES][NAME_LEN];

static unsigned int add_suite(unsigned int at, const char *suite, const struct test_case *cases, unsigned int n)
{
    for (unsigned int i = 0; i < n && at < MAX_CASES; i++, at++) {
        snprintf(names[at], NAME_LEN, "%s_%s", suite, cases[i].name);
        all[at] = (struct test_case){ names[at], cases[i].fn };
    }
    return at;
}

const struct test_case *guest_cases(unsigned int *n)
{
    unsigned int at = 0;
#define ADD(s)                                          \
    {                                                   \
        unsigned int k;                                 \
        const struct test_case *c = s##_cases(&k);      \
        at = add_suite(at, #s, c, k);                   \
    }
    SUITES(ADD)
    *n = at;
    return all;
}
