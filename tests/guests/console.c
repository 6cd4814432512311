/* Console input: dom0 reads what is typed on the serial line through console_io. */
#include "events.h"
#include "guest.h"
#include "hypercall.h"
#include <public/errno.h>

const char test_title[] = "console: serial input reaches dom0; domUs may not read";

static const char *test_read(char *why, size_t len)
{
    static char buf[128];
    size_t got = 0;
    if (!(start_info->flags & SIF_INITDOMAIN)) {
        int64_t rc = hypercall3(__HYPERVISOR_console_io, CONSOLEIO_read, sizeof(buf), buf);
        return rc == -XEN_EPERM ? NULL : fail(why, len, "domU console read: %lld, want -EPERM", (long long)rc);
    }
    const char *want = guest_option("expect_input");
    if (!want)
        return fail(why, len, "no expect_input= on the command line");
    /* VIRQ_CONSOLE says when input has arrived: wait for it, then read. */
    struct evtchn_bind_virq b = { .virq = VIRQ_CONSOLE };
    if (events_init() || evtchn_op(EVTCHNOP_bind_virq, &b))
        return fail(why, len, "binding VIRQ_CONSOLE failed");
    for (unsigned long waits = 0; waits < 10000 && got < sizeof(buf) - 1; waits++) {
        int64_t rc = hypercall3(__HYPERVISOR_console_io, CONSOLEIO_read, sizeof(buf) - 1 - got, buf + got);
        if (rc < 0)
            return fail(why, len, "console_io read: %lld", (long long)rc);
        got += (size_t)rc;
        if (got && buf[got - 1] == '\n')
            break;
        poll_port(b.port, pvclock_now() + 1000000000ull);
        port_clear(b.port);
    }
    buf[got] = '\0';
    size_t wl = 0;
    while (want[wl] && want[wl] != ' ')
        wl++;
    if (got != wl + 1 || strncmp(buf, want, wl))
        return fail(why, len, "read \"%s\" (%zu bytes), expected \"%.*s\\n\"", buf, got, (int)wl, want);
    return NULL;
}

static const char *test_read_bad_buffer(char *why, size_t len)
{
    int64_t rc = hypercall3(__HYPERVISOR_console_io, CONSOLEIO_read, 0x80000000ull, 0);
    if (start_info->flags & SIF_INITDOMAIN ? rc != -XEN_E2BIG : rc != -XEN_EPERM)
        return fail(why, len, "read of 2^31 bytes: %lld", (long long)rc);
    return NULL;
}

DEFINE_TESTS(
    { "console_read_line", test_read },
    { "console_read_too_long", test_read_bad_buffer }
)
