/* A PCI function's interrupt (INTx by its interrupt line), through the backend's bind_irq: natively an 8259 input, PV a pirq. */
#include <pci.h>
#include <paravirt.h>

#define PCI_INTERRUPT_LINE      0x3c
#define PCI_INTERRUPT_PIN       0x3d

int pci_irq_attach(struct pci_dev *d, void (*handler)(void *), void *arg)
{
    uint8_t pin = pci_read8(d, PCI_INTERRUPT_PIN), line = pci_read8(d, PCI_INTERRUPT_LINE);
    if (pin == 0 || pin > 4 || line == 0 || line == 0xff)
        return -ENODEV;
    int ch = pv_ops.irq->bind_irq(line, handler, arg);
    if (ch < 0) {
        printk("pci: %02x:%02x.%u: INT%c on line %u: not attached (%d)\n", d->bus, d->dev, d->fn, 'A' + pin - 1,
               line, ch);
        return ch;
    }
    pci_write16(d, PCI_COMMAND, pci_read16(d, PCI_COMMAND) & ~PCI_COMMAND_INTX_OFF);
    printk("pci: %02x:%02x.%u: INT%c on line %u attached\n", d->bus, d->dev, d->fn, 'A' + pin - 1, line);
    return 0;
}
