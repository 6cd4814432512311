/* The hypervisor's console: where printk output goes. */
#ifndef HV_CONSOLE_H
#define HV_CONSOLE_H

#include <hv/lib.h>

/* Sets up the console devices named by console= (default com1). */
void console_init(void);
/* Writes n bytes to every console device; '\n' becomes "\r\n" on serial lines. */
void console_write(const char *s, size_t n);

/* The 16550 UART driver behind console=com1. */
void serial_init(uint16_t port, uint32_t baud);
void serial_write(uint16_t port, const char *s, size_t n);

#endif
