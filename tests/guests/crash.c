/*
 * Crash: a guest that breaks the rules on purpose, chosen by crash=<how> on
 * its command line. The hypervisor must crash it alone:
 *   nohandler   #UD with no trap table
 *   badstack    #UD with handlers, but the kernel stack is unmapped, so the
 *               bounce frame cannot be written (a double fault, for a guest)
 *   hvwrite     a write into the hypervisor's range, no handler
 */
#include "exceptions.h"
#include "guest.h"
#include "hypercall.h"

const char test_title[] = "crash: a domain that must be crashed alone";

static const char *option(void)
{
    const char *p = (const char *)start_info->cmd_line;
    while (*p && strncmp(p, "crash=", 6))
        p++;
    return *p ? p + 6 : "";
}

static const char *test_crash(char *why, size_t len)
{
    const char *how = option();
    if (!strncmp(how, "nohandler", 9)) {
        __asm__ volatile("ud2");
    } else if (!strncmp(how, "badstack", 8)) {
        exceptions_install();
        __asm__ volatile("mov $0x1000, %%rsp\n\tud2" ::: "memory");
    } else if (!strncmp(how, "hvwrite", 7)) {
        *(volatile uint64_t *)0xffff830000000000ull = 0;
    } else {
        return fail(why, len, "unknown crash= mode \"%s\"", how);
    }
    return fail(why, len, "still alive after crash=%s", how);
}

DEFINE_TESTS({ "crash_on_purpose", test_crash })
