/* PCI for pvguest: configuration space, bus 0 enumeration, BARs, capabilities (drivers/pci.c). */
#ifndef PVGUEST_PCI_H
#define PVGUEST_PCI_H

#include <kernel.h>
#include <lib/pci_bdf.h>            /* pci_parse_bdf */

#define PCI_MAX_DEVICES     64
#define PCI_NR_BARS         6

#define PCI_COMMAND         0x04
#define PCI_COMMAND_INTX_OFF (1u << 10)    /* INTx disable */

#define PCI_CAP_ID_VNDR     0x09        /* vendor-specific (virtio's structures) */
#define PCI_CAP_ID_MSIX     0x11

struct pci_bar {
    uint64_t base;                      /* bus address; 0 if the BAR is absent */
    uint64_t size;
    bool io;                            /* I/O-space BAR */
    bool is64;                          /* 64-bit memory BAR (takes two slots) */
    bool prefetch;
};

struct pci_dev {
    uint8_t bus, dev, fn;
    uint16_t vendor, device;
    uint8_t class, subclass, progif, header_type;
    struct pci_bar bar[PCI_NR_BARS];
};

/*
 * Configuration space, by backend (arch/x86_64/{native,xen}/pci_conf.c):
 * 0xCF8/0xCFC with in/out. pci_conf_available() says whether this kernel
 * may touch those ports (natively yes; PV: dom0, and a domU given pci=<bdf>
 * once that function was assigned to it (PV_DOMCTL_assign_device), the
 * hypervisor emulating each access once the vCPU's virtual IOPL is 1). off
 * is 4-byte aligned for 32-bit accesses.
 */
bool pci_conf_available(void);
uint32_t pci_conf_read32(uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off);
void pci_conf_write32(uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off, uint32_t v);
uint8_t pci_read8(const struct pci_dev *d, uint16_t off);
uint16_t pci_read16(const struct pci_dev *d, uint16_t off);
uint32_t pci_read32(const struct pci_dev *d, uint16_t off);
void pci_write16(const struct pci_dev *d, uint16_t off, uint16_t v);
void pci_write32(const struct pci_dev *d, uint16_t off, uint32_t v);

/* Enumerates bus 0 and the buses behind its PCI-to-PCI bridges once; prints each function. */
void pci_init(void);
unsigned int pci_count(void);
struct pci_dev *pci_get(unsigned int i);
/* The idx-th function with vendor and device (0xffff: any device), or NULL. */
struct pci_dev *pci_find(uint16_t vendor, uint16_t device, unsigned int idx);
/* Offset of the first capability with id at or after `after`'s successor (0: from the list's head); 0 if none. */
uint8_t pci_find_cap(const struct pci_dev *d, uint8_t id, uint8_t after);
/* Sets memory-space, I/O-space and bus-master enable in the command register. */
void pci_enable(const struct pci_dev *d);
/*
 * Attaches handler to d's interrupt (INTx, as its interrupt line register
 * names it; one interface for both backends: pv_ops.irq->bind_irq) and
 * turns INTx on in the command register. Handlers run with interrupts off
 * and must quieten the device. 0; -ENODEV when the function has no pin or
 * no line was assigned (0 or 0xff); the backend's error otherwise.
 */
int pci_irq_attach(struct pci_dev *d, void (*handler)(void *), void *arg);

/* Maps [off, off + len) of memory BAR b uncached in kernel virtual memory; NULL on failure. */
volatile void *pci_map_bar(const struct pci_dev *d, unsigned int b, uint64_t off, uint64_t len);
/* Undoes pci_map_bar (the same len). */
void pci_unmap_bar(volatile void *va, uint64_t len);
/*
 * Any function, listed or not (pcihide=, or one given back by a driver
 * domain): *out filled as the scan fills its entries. False if there is none.
 */
bool pci_probe_function(uint16_t bdf, struct pci_dev *out);

#endif /* PVGUEST_PCI_H */
