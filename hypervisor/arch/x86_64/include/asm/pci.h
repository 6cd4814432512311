/*
 * PCI configuration space (pci.c): the real 0xCF8/0xCFC, reached by the
 * hypervisor alone, and the functions assigned to unprivileged domains
 * (PV_DOMCTL_assign_device): who sees which function, and which I/O
 * memory the hardware domain no longer holds.
 */
#ifndef ASM_PCI_H
#define ASM_PCI_H

#include <stdbool.h>
#include <stdint.h>

struct domain;

/*
 * Emulated configuration access of d through its virtual 0xCF8 value cf8:
 * size bytes (1, 2, 4) at byte offset (0..3) of 0xCFC. The hardware domain
 * reaches every function but those assigned to others; a domain holding
 * assigned functions reaches those (their BARs, ROM and interrupt line
 * emulated: hv/pci_vconf.h); anything else reads all ones, writes nothing.
 */
uint32_t pci_conf_emul_read(struct domain *d, uint32_t cf8, unsigned int offset, unsigned int size);
void pci_conf_emul_write(struct domain *d, uint32_t cf8, unsigned int offset, unsigned int size, uint32_t val);

/* True when a frame of [first, last] belongs to a function assigned to a domain (the hardware domain may not map it). */
bool pci_iomem_assigned(uint64_t first, uint64_t last);

/* At d's teardown: every function assigned to it goes back to dom0, as PV_DOMCTL_deassign_device. */
void pci_domain_release(struct domain *d);

#endif
