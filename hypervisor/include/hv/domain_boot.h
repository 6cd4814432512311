/* Building the boot-time domains from the multiboot2 modules. */
#ifndef HV_DOMAIN_BOOT_H
#define HV_DOMAIN_BOOT_H

#include <hv/multiboot2.h>

/*
 * Every ELF module becomes a domain, in order: the first is dom0
 * (privileged), the others unprivileged. A non-ELF module right after a
 * kernel is that kernel's ramdisk; any other non-ELF module is named on the
 * log, with the reason, and ignored. The module's whole command line reaches
 * the guest (start_info.cmd_line); the builder also reads from it
 * name=<name> (default dom<N>), mem=<size> (default 32M) and maxmem=<size>
 * (how far its reservation may grow; default mem), weight=<1..65535> and
 * cap=<percent> for the scheduler. Returns the
 * number of domains built. A dom0 that cannot be built panics; a domU that
 * cannot be built is reported and skipped.
 */
unsigned int boot_domains(const struct boot_info *bi);

#endif
