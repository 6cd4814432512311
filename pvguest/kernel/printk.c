/* printk, warn and panic: formatted lines on the backend's console. */
#include <counters.h>
#include <kernel.h>
#include <paravirt.h>

#define PRINTK_LINE 512

void vprintk(const char *fmt, va_list ap)
{
    char buf[PRINTK_LINE];
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    if (n >= (int)sizeof(buf))
        n = sizeof(buf) - 1;
    /* One write per message, interrupts off, so lines from threads and handlers never mix. */
    unsigned long f = irq_save();
    pv_ops.console->write(buf, (size_t)n);
    irq_restore(f);
}

void printk(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintk(fmt, ap);
    va_end(ap);
}

void warn(const char *fmt, ...)
{
    char buf[PRINTK_LINE - 32];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    printk("pvguest: warning: %s\n", buf);
}

static bool panicking;

__noreturn void panic(const char *fmt, ...)
{
    char buf[PRINTK_LINE - 32];
    va_list ap;

    irq_disable();
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    printk("pvguest: panic: %s\n", buf);
    if (!panicking) {               /* a panic while printing the counters must still end */
        panicking = true;
        counters_print("panic");
    }
    pv_ops.machine->shutdown(PV_SHUTDOWN_CRASH);
}
