/* Ending the machine: power-off, panic and test verdicts, told apart by exit code. */
#ifndef HV_MACHINE_H
#define HV_MACHINE_H

#include <hv/lib.h>

/*
 * Values written to QEMU's isa-debug-exit port; QEMU then exits with status
 * (value << 1) | 1. tools/qemu_exit.py reads these lines, so keep the form
 * "#define MACHINE_EXIT_<NAME> <hex>".
 */
#define MACHINE_EXIT_POWEROFF   0x10    /* clean power-off: QEMU status 33 */
#define MACHINE_EXIT_TESTFAIL   0x11    /* a self-test reported "not ok": 35 */
#define MACHINE_EXIT_NO_DOMAINS 0x12    /* modules were given, none became a domain: 37 */
#define MACHINE_EXIT_PANIC      0x20    /* hypervisor panic: 65 */
#define MACHINE_EXIT_REBOOT     0x21    /* dom0 asked for a reboot: 67 */
#define MACHINE_EXIT_CRASH      0x22    /* dom0 crashed: 69 */

/* Ends the machine with code; halts forever when there is no exit device. */
__noreturn void machine_exit(unsigned int code);

#endif
