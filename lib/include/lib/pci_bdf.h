/* A PCI function's "bb:dd.f" as boot options and xl.cfg's pci= write it (lib/pci_bdf.c). */
#ifndef LIB_PCI_BDF_H
#define LIB_PCI_BDF_H

#include <stddef.h>
#include <stdint.h>

/* Parses "bb:dd.f" (hex bus and device, function 0-7) at s: the BDF (bus << 8 | dev << 3 | fn) and what follows, or NULL. */
const char *pci_parse_bdf(const char *s, uint16_t *bdf);

#endif
