/* PCI passthrough from dom0's toolstack (toolstack/assign.c): boot-time assign= and xl.cfg's pci=. */
#ifndef TOOLSTACK_ASSIGN_H
#define TOOLSTACK_ASSIGN_H

#include <stdint.h>
#include <public/xen.h>

/*
 * PV_DOMCTL_assign_device or PV_DOMCTL_deassign_device (cmd) of the
 * function bdf (bus << 8 | dev << 3 | fn) for dom: 0 or the domctl's
 * negative error (public/domctl.h lists them).
 */
int64_t ts_assign_op(uint32_t cmd, domid_t dom, uint32_t bdf);

#endif
