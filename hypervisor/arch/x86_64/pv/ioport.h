/*
 * I/O ports for PV guests: the virtual IOPL (PHYSDEVOP_set_iopl), the ports
 * each domain holds, and emulation of IN, OUT, INS and OUTS from #GP, as
 * Xen 4.17 does them (docs/xen-pv-behaviour-notes.md, "I/O ports").
 */
#ifndef PV_IOPORT_H
#define PV_IOPORT_H

#include "emulate.h"

/* A new domain's port state: it holds none, unless it has DOMAIN_RIGHT_IOPORT (then every port but the hypervisor's). */
int pv_ioports_init(struct domain *d);

/*
 * True when v's virtual IOPL lets its present mode use any port: the guest
 * kernel counts as CPL 1 (0 under VMASST_TYPE_architectural_iopl), its user
 * mode as CPL 3. A domain holding ports still needs this (Xen's
 * guest_io_okay); holding them decides only whether the access reaches the
 * hardware or reads all ones and writes nothing.
 */
bool pv_iopl_ok(const struct vcpu *v);

/*
 * For the privileged-instruction dispatcher: e holds an instruction decoded
 * with X86_DECODE_OK. If it is IN, OUT, INS or OUTS (one-byte opcodes 6C-6F,
 * E4-E7, EC-EF), emulates it and returns true: the instruction completed
 * (RIP past it), or a REP did part of its count and RIP stays on it to
 * continue on the next trap, or e->faulted holds the fault to reflect
 * (#GP(0) without IOPL, #UD under LOCK, #PF/#GP/#SS of a string operand,
 * with the completed repetitions in RCX, RSI/RDI). Any other instruction:
 * false, and nothing changed.
 */
bool pv_emulate_io(struct pv_emul *e);

#endif
