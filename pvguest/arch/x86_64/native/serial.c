/* The native console: COM1, 115200 8N1, polled. */
#include "native.h"

#define COM1 0x3f8

void serial_init(void)
{
    outb(COM1 + 1, 0x00);       /* no interrupts */
    outb(COM1 + 3, 0x80);       /* divisor latch */
    outb(COM1 + 0, 0x01);       /* 115200 */
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x03);       /* 8N1 */
    outb(COM1 + 2, 0xc7);       /* FIFOs on and cleared */
    outb(COM1 + 4, 0x03);       /* DTR, RTS */
}

static void put(char c)
{
    for (unsigned int spins = 0; !(inb(COM1 + 5) & 0x20) && spins < 1000000; spins++)
        ;
    outb(COM1, (uint8_t)c);
}

size_t serial_read(char *buf, size_t n)
{
    size_t got = 0;
    while (got < n && (inb(COM1 + 5) & 0x01))
        buf[got++] = (char)inb(COM1);
    return got;
}

/* Raises IRQ 4 when a byte arrives (OUT2, set at init, lets it reach the 8259). */
void serial_enable_rx_irq(void) { outb(COM1 + 1, 0x01); }

void serial_write(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n')
            put('\r');
        put(s[i]);
    }
}
