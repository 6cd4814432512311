/* The PV console: console_io writes (dom0 goes out raw; ours prefixes a domU's lines with its name). */
#include <public/xen.h>
#include "xen.h"

static void xen_console_write(const char *s, size_t n)
{
    /* A failure here cannot be reported anywhere: the console is how we report. */
    hypercall3(__HYPERVISOR_console_io, CONSOLEIO_write, n, s);
}

static size_t xen_console_read(char *buf, size_t n)
{
    int64_t rc = hypercall3(__HYPERVISOR_console_io, CONSOLEIO_read, n, buf);
    return rc > 0 ? (size_t)rc : 0;
}

const struct pv_console_ops xen_console_ops = { .write = xen_console_write, .read = xen_console_read };
