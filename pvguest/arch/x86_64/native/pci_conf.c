/* Native PCI configuration space: mechanism #1, the 0xCF8 address and 0xCFC data ports. */
#include <pci.h>
#include <spinlock.h>
#include <lib/x86.h>

#define PCI_CONF_ADDR 0xcf8
#define PCI_CONF_DATA 0xcfc

static uint32_t conf_address(uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off)
{
    return 0x80000000u | (uint32_t)bus << 16 | (uint32_t)(dev & 31) << 11 | (uint32_t)(fn & 7) << 8 | (off & 0xfc);
}

static spinlock_t pci_conf_lock;

bool pci_conf_available(void) { return true; }

/* The address and data ports are one pair for the machine: held (interrupts off) across both accesses. */
uint32_t pci_conf_read32(uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off)
{
    unsigned long f = spin_lock_irqsave(&pci_conf_lock);
    outl(PCI_CONF_ADDR, conf_address(bus, dev, fn, off));
    uint32_t v = inl(PCI_CONF_DATA);
    spin_unlock_irqrestore(&pci_conf_lock, f);
    return v;
}

void pci_conf_write32(uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off, uint32_t v)
{
    unsigned long f = spin_lock_irqsave(&pci_conf_lock);
    outl(PCI_CONF_ADDR, conf_address(bus, dev, fn, off));
    outl(PCI_CONF_DATA, v);
    spin_unlock_irqrestore(&pci_conf_lock, f);
}
