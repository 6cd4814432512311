/*
 * PCI configuration space as a passthrough domain sees it (common/pci_vconf.c,
 * pure and host-tested): decoding 0xCF8, decoding a function's BARs from the
 * values the hardware gave at assignment, and which registers of an assigned
 * function are emulated rather than reached.
 */
#ifndef HV_PCI_VCONF_H
#define HV_PCI_VCONF_H

#include <stdbool.h>
#include <stdint.h>

#define PCI_BDF(bus, dev, fn)   ((uint16_t)((bus) << 8 | (dev) << 3 | (fn)))
#define PCI_NR_BARS             6       /* a header type 0 function */

#define PCI_VENDOR_ID           0x00
#define PCI_COMMAND             0x04
#define PCI_CLASS_REVISION      0x08
#define PCI_HEADER_TYPE_DWORD   0x0c    /* cache line, latency, header type, BIST */
#define PCI_BAR0                0x10
#define PCI_ROM_ADDRESS         0x30
#define PCI_INTERRUPT_DWORD     0x3c    /* line, pin, min_gnt, max_lat */

#define PCI_COMMAND_IO          0x001
#define PCI_COMMAND_MEMORY      0x002
#define PCI_COMMAND_MASTER      0x004
#define PCI_COMMAND_INTX_OFF    0x400

/* One decoded BAR: [base, base + size) of ports (io) or of memory; size 0: the device has no such BAR. */
struct pci_bar {
    uint64_t base, size;
    bool io;
};

/*
 * The BARs of a type 0 header from orig[i] (each BAR register as the
 * firmware left it) and mask[i] (what it read after all ones were written,
 * decoding off). A 64-bit memory BAR fills out[i] and leaves out[i + 1]
 * empty. 0; -1 when a memory BAR is not page-aligned in base or size (its
 * frames would be shared with other devices) or a 64-bit BAR has no upper
 * register (BAR 5). A BAR whose base is 0 (the firmware left it off) is
 * empty.
 */
int pci_bars_decode(const uint32_t orig[PCI_NR_BARS], const uint32_t mask[PCI_NR_BARS],
                    struct pci_bar out[PCI_NR_BARS]);

/*
 * A configuration address written to 0xCF8 (mechanism #1): true with the
 * function and the dword register when the enable bit is set and the
 * reserved bits 30:24 are clear.
 */
bool pci_cf8_decode(uint32_t cf8, uint16_t *bdf, unsigned int *reg);

/*
 * The emulated part of an assigned function's header (lock: the caller's,
 * pci.c's pci_lock). A BAR register never reaches the hardware from the
 * domain: a write of all ones makes it read as the sizing mask the hardware
 * gave at assignment until the next write; any other write is dropped, so
 * the BAR stays where the firmware put it and matches the domain's I/O
 * permissions.
 */
struct pci_vfunc {
    uint32_t bar_mask[PCI_NR_BARS];     /* read back after all ones, at assignment */
    uint8_t sizing;                     /* bit i: BAR i reads as bar_mask[i] */
};

/*
 * A domain reads the dword register reg (0..0xFC, 4-aligned) of f: true
 * with *val when it is emulated (BARs being sized, the ROM BAR: 0), false
 * when the hardware's value is the answer.
 */
bool pci_vconf_read(const struct pci_vfunc *f, unsigned int reg, uint32_t *val);

/*
 * A domain writes size bytes (1, 2, 4) of val at byte offset (0..3) of the
 * dword register reg of f: true when the write goes to the hardware as it
 * is, false when it was absorbed or dropped (BARs, the ROM BAR, the
 * interrupt line/pin dword).
 */
bool pci_vconf_write(struct pci_vfunc *f, unsigned int reg, unsigned int offset, unsigned int size, uint32_t val);

#endif
