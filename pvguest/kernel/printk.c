/* printk, warn and panic: formatted lines on the backend's console. */
#include <counters.h>
#include <kernel.h>
#include <paravirt.h>
#include <spinlock.h>

#define PRINTK_LINE 512

static spinlock_t console_lock = SPINLOCK_INIT;
static bool panicking;

void vprintk(const char *fmt, va_list ap)
{
    char buf[PRINTK_LINE];
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    if (n >= (int)sizeof(buf))
        n = sizeof(buf) - 1;
    /* One write per message, under the lock, so lines from CPUs, threads and handlers never mix:
     * a line is one message (dom0's console back end prints domUs' lines between two of ours).
     * A panic writes without it: the CPU that holds it may be the one panicking. */
    unsigned long f = irq_save();
    bool locked = !READ_ONCE(panicking);
    if (locked)
        spin_lock(&console_lock);
    pv_ops.console->write(buf, (size_t)n);
    if (locked)
        spin_unlock(&console_lock);
    irq_restore(f);
}

bool panic_in_progress(void)
{
    return READ_ONCE(panicking);
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

__noreturn void panic(const char *fmt, ...)
{
    char buf[PRINTK_LINE - 32];
    va_list ap;

    irq_disable();
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    bool first = !__atomic_exchange_n(&panicking, true, __ATOMIC_SEQ_CST);
    printk("pvguest: panic: %s\n", buf);
    if (first)                      /* a panic while printing the counters must still end */
        counters_print("panic");
    pv_ops.machine->shutdown(PV_SHUTDOWN_CRASH);
}
