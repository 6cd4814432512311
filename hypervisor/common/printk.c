/* printk: levelled, timestamped lines on the console. */
#include <hv/cmdline.h>
#include <hv/console.h>
#include <hv/printk.h>
#include <hv/time.h>
#include <hv/arch.h>
#include <hv/spinlock.h>

unsigned int console_loglevel = LOGLVL_INFO;

static int parse_loglevel(const char *v)
{
    static const struct { const char *name; unsigned int lvl; } names[] = {
        { "error", LOGLVL_ERR }, { "warning", LOGLVL_WARN },
        { "info", LOGLVL_INFO }, { "debug", LOGLVL_DEBUG }, { "all", LOGLVL_DEBUG },
    };
    if (!v)
        return -1;
    for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
        if (!strcmp(v, names[i].name)) {
            console_loglevel = names[i].lvl;
            return 0;
        }
    }
    if (v[0] >= '0' && v[0] <= '7' && !v[1]) {
        console_loglevel = (unsigned int)(v[0] - '0');
        return 0;
    }
    return -1;
}
boot_param_custom("loglevel", parse_loglevel);

int printk_level(const char **msg)
{
    const char *m = *msg;
    if (m[0] == '\001' && m[1] >= '0' && m[1] <= '7') {
        *msg = m + 2;
        return m[1] - '0';
    }
    return LOGLVL_INFO;
}

static bool at_line_start = true;
static DEFINE_SPINLOCK(console_lock);
volatile bool panic_in_progress;

void vprintk(const char *fmt, va_list ap)
{
    char buf[512];
    int level = printk_level(&fmt);

    if ((unsigned int)level > console_loglevel)
        return;

    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    if (n >= (int)sizeof(buf))
        n = sizeof(buf) - 1;

    /* Whole messages, one CPU at a time; a panic does not wait for a CPU that died holding it. */
    uint64_t flags = local_irq_save();
    bool locked = !panic_in_progress;
    if (locked)
        spin_lock(&console_lock);
    for (int i = 0; i < n;) {
        if (at_line_start) {
            char pfx[32];
            s_time_t t = NOW();
            int p = snprintf(pfx, sizeof(pfx), "(HV) [%5llu.%06llu] ",
                             (unsigned long long)(t / 1000000000),
                             (unsigned long long)(t % 1000000000) / 1000);
            console_write(pfx, (size_t)p);
            at_line_start = false;
        }
        int j = i;
        while (j < n && buf[j] != '\n')
            j++;
        if (j < n) {
            j++;                    /* include the newline */
            at_line_start = true;
        }
        console_write(buf + i, (size_t)(j - i));
        i = j;
    }
    if (locked)
        spin_unlock(&console_lock);
    local_irq_restore(flags);
}

void console_write_guest(const char *s, size_t n)
{
    /* From console_io only, a hypercall: interrupts are off already. */
    ASSERT(!local_irq_is_enabled());
    bool locked = !panic_in_progress;
    if (locked)
        spin_lock(&console_lock);
    console_write(s, n);
    if (locked)
        spin_unlock(&console_lock);
}

void printk(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintk(fmt, ap);
    va_end(ap);
}
