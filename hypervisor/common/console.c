/* Console selection (console=, com1=) and output fan-out. */
#include <hv/cmdline.h>
#include <hv/console.h>

#define COM1_PORT 0x3f8

static char opt_console[32] = "com1";
boot_param_string("console", opt_console);
static uint64_t opt_com1_baud = 115200;
boot_param_uint("com1", opt_com1_baud);

static bool use_com1 = true;

/* Before the command line is read, COM1 is the console. */
void console_init(void)
{
    use_com1 = false;
    /* console=com1,vga and the like: we know com1 and none; others are ignored. */
    for (const char *s = opt_console; *s;) {
        const char *e = strchr(s, ',');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if (n == 4 && !strncmp(s, "com1", 4))
            use_com1 = true;
        s += n + (e ? 1 : 0);
    }
    if (use_com1)
        serial_init(COM1_PORT, (uint32_t)opt_com1_baud);
}

void console_write(const char *s, size_t n)
{
    if (use_com1)
        serial_write(COM1_PORT, s, n);
}
