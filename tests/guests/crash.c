/*
 * Crash: a guest that breaks the rules on purpose, chosen by crash=<how> on
 * its command line. The hypervisor must crash it alone:
 *   nohandler   #UD with no trap table
 *   badstack    #UD with handlers, but the kernel stack is unmapped, so the
 *               bounce frame cannot be written (a double fault, for a guest)
 *   hvwrite     a write into the hypervisor's range, no handler
 *   badupcall   an event pending, events unmasked and the stack unmapped when
 *               the hypervisor returns to us: the upcall's bounce frame
 *               cannot be written on the way out of a hypercall
 */
#include "exceptions.h"
#include "guest.h"
#include "events.h"
#include "hypercall.h"

const char test_title[] = "crash: a domain that must be crashed alone";

static const char *test_crash(char *why, size_t len)
{
    const char *how = guest_option("crash");
    if (!how)
        how = "";
    if (!strncmp(how, "nohandler", 9)) {
        __asm__ volatile("ud2");
    } else if (!strncmp(how, "badstack", 8)) {
        exceptions_install();
        __asm__ volatile("mov $0x1000, %%rsp\n\tud2" ::: "memory");
    } else if (!strncmp(how, "badupcall", 9)) {
        int64_t rc = events_init();
        struct evtchn_bind_ipi ipi = { .vcpu = 0 };
        if (rc || (rc = evtchn_op(EVTCHNOP_bind_ipi, &ipi)) || (rc = evtchn_send(ipi.port)))
            return fail(why, len, "setting up a pending event: %lld", (long long)rc);
        /* Stack gone first, then unmask: whichever return to us comes next must bounce. */
        __asm__ volatile("mov $0x1000, %%rsp\n\t"
                         "movb $0, %0\n\t"
                         "syscall"
                         : "+m"(shinfo->vcpu_info[0].evtchn_upcall_mask)
                         : "a"(__HYPERVISOR_xen_version), "D"(XENVER_version), "S"(0)
                         : "rcx", "r11", "memory");
    } else if (!strncmp(how, "hvwrite", 7)) {
        *(volatile uint64_t *)0xffff830000000000ull = 0;
    } else {
        return fail(why, len, "unknown crash= mode \"%s\"", how);
    }
    return fail(why, len, "still alive after crash=%s", how);
}

DEFINE_TESTS({ "crash_on_purpose", test_crash })
