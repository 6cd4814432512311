/* 16550 UART, polled: enough for a console that must work when all else fails. */
#include <hv/console.h>
#include <asm/cpu.h>

#define UART_THR 0      /* transmit holding */
#define UART_IER 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_DLL 0
#define UART_DLM 1
#define LSR_THRE 0x20
#define UART_CLOCK 115200

void serial_init(uint16_t port, uint32_t baud)
{
    uint32_t div = baud && baud <= UART_CLOCK ? UART_CLOCK / baud : 1;

    outb(port + UART_IER, 0x00);            /* polled: no interrupts yet */
    outb(port + UART_LCR, 0x80);            /* DLAB on to set the divisor */
    outb(port + UART_DLL, div & 0xff);
    outb(port + UART_DLM, (div >> 8) & 0xff);
    outb(port + UART_LCR, 0x03);            /* 8 data bits, no parity, 1 stop */
    outb(port + UART_FCR, 0xc7);            /* FIFOs on and cleared */
    outb(port + UART_MCR, 0x03);            /* DTR, RTS */
}

static void serial_putc(uint16_t port, char c)
{
    /* Bounded wait: a missing UART must not hang the hypervisor. */
    for (int i = 0; i < 100000 && !(inb(port + UART_LSR) & LSR_THRE); i++)
        cpu_relax();
    outb(port + UART_THR, (uint8_t)c);
}

void serial_write(uint16_t port, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n')
            serial_putc(port, '\r');
        serial_putc(port, s[i]);
    }
}
