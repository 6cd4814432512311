/* The hypervisor's console: where printk output goes. */
#ifndef HV_CONSOLE_H
#define HV_CONSOLE_H

#include <hv/lib.h>

#define COM1_PORT 0x3f8

/* Sets up the console devices named by console= (default com1). */
void console_init(void);
/* Writes n bytes to every console device; '\n' becomes "\r\n" on serial lines. */
void console_write(const char *s, size_t n);

/* The 16550 UART driver behind console=com1. */
void serial_init(uint16_t port, uint32_t baud);
void serial_write(uint16_t port, const char *s, size_t n);
void serial_enable_rx(uint16_t port);
int serial_getc(uint16_t port);             /* a received byte, or -1 */

/*
 * Console input. Serial input goes to dom0 (console_io read) until Ctrl-A is
 * typed three times in a row, which switches it to the hypervisor's debug
 * keys and back, as on Xen.
 */
void console_input_init(void);              /* after the interrupt controllers */
void console_receive(char c);
/* Copies up to n bytes of dom0's pending input into buf; returns how many. */
size_t console_read_dom0(char *buf, size_t n);

/* Debug keys ('h' lists them). */
void keyhandler(char key);

/* dom0's own text, raw, between whole lines of the hypervisor's (under the console lock); interrupts off. */
void console_write_guest(const char *s, size_t n);

#endif
