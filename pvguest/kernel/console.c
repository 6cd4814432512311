/* Console input: keys that ask the running kernel for something ('c': print the counters). */
#include <counters.h>
#include <paravirt.h>

static void (*input_hook)(const char *buf, size_t n);

void console_set_input_hook(void (*hook)(const char *buf, size_t n))
{
    input_hook = hook;
}

static void console_input(void *arg)
{
    (void)arg;
    char buf[16];
    size_t n;
    while ((n = pv_ops.console->read(buf, sizeof(buf))))
        if (input_hook)
            input_hook(buf, n);             /* a command line (dom0's xl) takes every byte */
        else
            for (size_t i = 0; i < n; i++)
                if (buf[i] == 'c')
                    counters_print("request");
}

void console_input_init(void)
{
    int rc = pv_ops.irq->bind_virq(PV_VIRQ_CONSOLE, console_input, NULL);
    if (rc < 0)
        printk("pvguest: console: no input here (%d)\n", rc);
    else
        printk("pvguest: console: press 'c' to print the counters\n");
}
