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

/*
 * A function given back to dom0 by a domain that held it (destroyed, or
 * crashed and destroyed), as Linux's pciback resets one it gets back: a
 * virtio function's device reset (device_status 0), so the next holder
 * finds no queue or state of the last one's; the hypervisor has already
 * turned its bus mastering and decoding off and unbound its interrupt. It
 * says what it did; 0, -ENODEV (no such function), or the reset's error
 * (a function of another kind is left as the hypervisor left it: -ENOSYS).
 */
int ts_pci_reset(uint16_t bdf, domid_t from);

#endif
