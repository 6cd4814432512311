/* console_io: guests write to the hypervisor console; dom0 may read its input. */
#include <hv/console.h>
#include <hv/continuation.h>
#include <hv/hypercall.h>
#include <hv/printk.h>
#include <hv/arch.h>
#include <hv/spinlock.h>
#include <public/errno.h>

#define CHUNK 128

/* A domU's text is gathered into lines, each printed with the domain's name in front. */
static void domu_putc(struct domain *d, char c)
{
    if (c != '\n' && c != '\t' && (c < 32 || c > 126))
        return;                 /* no control characters on the shared console */
    if (c != '\n')
        d->con_buf[d->con_len++] = c;
    if (c == '\n' || d->con_len == sizeof(d->con_buf) - 1) {
        printk("(%s) %.*s\n", d->name, (int)d->con_len, d->con_buf);
        d->con_len = 0;
    }
}

/* Each domain's line buffer, whichever of its vCPUs writes (above console_lock). */
static DEFINE_SPINLOCK(guest_console_lock);

static int64_t guest_console_write(struct domain *d, uint64_t count, uint64_t buf)
{
    char chunk[CHUNK];
    for (unsigned int chunks = 0; count; chunks++) {
        if (chunks && hypercall_preempt_check())
            return hypercall_continue(__HYPERVISOR_console_io, CONSOLEIO_write, count, buf, 0, 0);
        size_t n = MIN(count, (uint64_t)CHUNK);
        if (copy_from_guest(chunk, buf, n))
            return -XEN_EFAULT;
        if (is_dom0(d)) {
            console_write_guest(chunk, n);  /* dom0 owns the console: raw, no line buffer */
        } else {
            spin_lock(&guest_console_lock);
            for (size_t i = 0; i < n; i++)
                domu_putc(d, chunk[i]);
            spin_unlock(&guest_console_lock);
        }
        buf += n;
        count -= n;
    }
    return 0;
}

int64_t do_console_io(unsigned int cmd, uint64_t count, uint64_t buf)
{
    struct domain *d = current->domain;

    switch (cmd) {
    case CONSOLEIO_write:
        return guest_console_write(d, count, buf);
    case CONSOLEIO_read: {
        if (!domain_has_rights(d, DOMAIN_RIGHT_CONSOLE))
            return -XEN_EPERM;
        if (count > 0x7fffffff)
            return -XEN_E2BIG;
        /* Whatever has arrived, without waiting (VIRQ_CONSOLE tells dom0 when there is more). */
        char chunk[CHUNK];
        uint64_t total = 0;
        while (total < count) {
            size_t n = console_read_dom0(chunk, MIN(count - total, (uint64_t)CHUNK));
            if (!n)
                break;
            if (copy_to_guest(buf + total, chunk, n))
                return -XEN_EFAULT;         /* those bytes are lost, as on Xen */
            total += n;
        }
        return (int64_t)total;
    }
    default:
        return -XEN_ENOSYS;
    }
}
