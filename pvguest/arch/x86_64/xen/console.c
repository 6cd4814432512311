/*
 * The PV console: console_io writes (dom0 goes out raw; ours prefixes a domU's
 * lines with its name) until a driver attaches (xen/services.h): a domU's
 * console front end then carries output and input over its ring, and dom0's
 * back end filters dom0's serial input. A panic always ends on console_io.
 */
#include <public/xen.h>
#include <xen/services.h>
#include "xen.h"

static const struct xenpv_console_hooks *hooks;
static bool panic_flushed;

void xenpv_console_io_write(const char *s, size_t n)
{
    /* A failure here cannot be reported anywhere: the console is how we report. */
    hypercall3(__HYPERVISOR_console_io, CONSOLEIO_write, n, s);
}

void xenpv_console_attach(const struct xenpv_console_hooks *h)
{
    __atomic_store_n(&hooks, h, __ATOMIC_RELEASE);
}

static void xen_console_write(const char *s, size_t n)
{
    const struct xenpv_console_hooks *h = __atomic_load_n(&hooks, __ATOMIC_ACQUIRE);
    if (h && h->write) {
        if (!panic_in_progress()) {
            h->write(s, n);
            return;
        }
        /* A panic: what is still queued in the ring goes first, then everything by console_io (dom0 may be dead). */
        if (h->panic_flush && !__atomic_exchange_n(&panic_flushed, true, __ATOMIC_SEQ_CST))
            h->panic_flush();
    }
    xenpv_console_io_write(s, n);
}

static size_t xen_console_read(char *buf, size_t n)
{
    const struct xenpv_console_hooks *h = __atomic_load_n(&hooks, __ATOMIC_ACQUIRE);
    if (h && h->read)
        return h->read(buf, n);
    for (;;) {
        int64_t rc = hypercall3(__HYPERVISOR_console_io, CONSOLEIO_read, n, buf);
        if (rc <= 0)
            return 0;
        if (!h || !h->filter_input)
            return (size_t)rc;
        size_t kept = h->filter_input(buf, (size_t)rc);
        if (kept)
            return kept;        /* else every byte went elsewhere: read on */
    }
}

const struct pv_console_ops xen_console_ops = { .write = xen_console_write, .read = xen_console_read };
