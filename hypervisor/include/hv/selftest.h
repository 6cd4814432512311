/* Boot-time self-tests of the hypervisor itself, reported in KTAP. */
#ifndef HV_SELFTEST_H
#define HV_SELFTEST_H

#include <hv/ktap.h>
#include <hv/multiboot2.h>

struct selftest {
    const char *name;
    /* Returns NULL on success or a short reason for the failure. */
    const char *(*fn)(const struct boot_info *bi, char *why, size_t whylen);
};

/* Runs every test and powers off: exit code POWEROFF if all passed, TESTFAIL if not. */
__noreturn void selftest_run_all(const struct boot_info *bi, uint64_t mbi_pa);

/* The architecture's own cases (exceptions, NMI stack, timer); arch/x86_64/selftest.c. */
extern const struct selftest arch_selftests[];
extern const unsigned int nr_arch_selftests;

/* crashtest=<kind>: deliberately die in a given way, to test fatal reports. */
void arch_crashtest(const char *kind);

#endif
