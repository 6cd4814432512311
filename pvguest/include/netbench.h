/*
 * The network benchmark (kernel/bench/netbench.c, boot option netbench): UDP
 * datagrams of minimum-frame and MTU size sent as fast as the device takes
 * them, through whichever interface the kernel's stack runs on (netfront in a
 * domU, virtio-net natively or as PV dom0), one NETBENCH line per figure for
 * bench/run.py.
 */
#ifndef PVGUEST_NETBENCH_H
#define PVGUEST_NETBENCH_H

#include <kernel.h>

/* Runs the workload if netbench= was given (prints NETBENCH lines); else nothing. False if it failed. */
bool netbench_run_if_requested(void);

#endif /* PVGUEST_NETBENCH_H */
