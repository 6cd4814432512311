/* 16550 UART, polled: enough for a console that must work when all else fails. */
#include <hv/console.h>
#include <asm/apic.h>
#include <asm/cpu.h>
#include <asm/irq.h>

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

/* Receive interrupts on: the UART raises its IRQ when a byte arrives. */
void serial_enable_rx(uint16_t port)
{
    outb(port + UART_MCR, 0x0b);            /* DTR, RTS, OUT2 (gates the IRQ line on PCs) */
    outb(port + UART_IER, 0x01);
}

int serial_getc(uint16_t port)
{
    if (!(inb(port + UART_LSR) & 0x01))
        return -1;
    return inb(port + UART_THR);            /* the receive buffer shares the register */
}

void serial_write(uint16_t port, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n')
            serial_putc(port, '\r');
        serial_putc(port, s[i]);
    }
}

static void serial_interrupt(struct cpu_regs *regs)
{
    (void)regs;
    int c;
    while ((c = serial_getc(COM1_PORT)) >= 0)
        console_receive((char)c);
}

void console_input_init(void)
{
    set_irq_handler(SERIAL_VECTOR, serial_interrupt);
    ioapic_route(madt.isa_gsi[4], SERIAL_VECTOR, 4);
    serial_enable_rx(COM1_PORT);
}
