/* Console selection (console=, com1=) and output fan-out. */
#include <hv/cmdline.h>
#include <hv/console.h>
#include <hv/event.h>
#include <hv/printk.h>
#include <hv/spinlock.h>

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

/* ---- input --------------------------------------------------------------- */

#define RX_RING 1024
static char rx_ring[RX_RING];
static unsigned int rx_prod, rx_cons;       /* free-running, under rx_lock */
static DEFINE_SPINLOCK(rx_lock);
static bool input_to_hypervisor;
static unsigned int ctrl_a_run;

void console_receive(char c)
{
    if (c == 0x01) {
        if (++ctrl_a_run == 3) {
            ctrl_a_run = 0;
            input_to_hypervisor = !input_to_hypervisor;
            printk("*** Serial input to %s (type 'CTRL-a' three times to switch input)\n",
                   input_to_hypervisor ? "the hypervisor: debug keys, 'h' for help" : "DOM0");
        }
        return;
    }
    ctrl_a_run = 0;
    if (input_to_hypervisor) {
        keyhandler(c);
        return;
    }
    spin_lock(&rx_lock);
    if (rx_prod - rx_cons < RX_RING)        /* a full ring drops input rather than block */
        rx_ring[rx_prod++ % RX_RING] = c;
    spin_unlock(&rx_lock);
    send_global_virq(VIRQ_CONSOLE);
}

size_t console_read_dom0(char *buf, size_t n)
{
    size_t got = 0;
    spin_lock(&rx_lock);
    while (got < n && rx_cons != rx_prod)
        buf[got++] = rx_ring[rx_cons++ % RX_RING];
    spin_unlock(&rx_lock);
    return got;
}
