/*
 * I/O port emulation for PV guests (pv/ioport.h). A guest kernel runs in
 * ring 3 with IOPL 0, so every IN/OUT raises #GP(0) and arrives here. The
 * permission is Xen's two steps: the virtual IOPL admits the access at all
 * (else #GP(0)); then a port the domain holds is accessed for real, and any
 * other reads as all ones and ignores writes, except PCI configuration
 * space, reached through a virtual 0xCF8 by the hardware domain and by a
 * domain holding assigned functions (pci.c decides what each one sees).
 */
#include <hv/domain.h>
#include <lib/x86.h>
#include <asm/cpu.h>
#include <asm/pci.h>
#include <public/errno.h>
#include <public/xen.h>
#include "ioport.h"

#define PCI_CONF_ADDR   0xcf8
#define PCI_CONF_DATA   0xcfc       /* 4 ports */
#define IOPORT_LAST     0xffff

/*
 * Repetitions of one REP INS/OUTS per trap: the rest re-executes and traps
 * again, so a huge count is preemptible (Xen stops at a pending softirq).
 */
#define IO_REPS_PER_TRAP 256

/*
 * Ports no domain gets, though dom0 holds the rest: Xen 4.17's dom0 list
 * (PIC, PIT, the PIT gate, PCI data, COM1 while Xen's console uses it) plus
 * the CMOS RTC, which Xen latches for dom0 and we keep, QEMU's
 * debug-exit port, which powers the machine off, and QEMU's fw_cfg, whose
 * DMA zeroes the frames domains are given.
 */
static const struct { uint16_t first, last; } hypervisor_ports[] = {
    { 0x20, 0x21 },     /* master PIC */
    { 0xa0, 0xa1 },     /* slave PIC */
    { 0x40, 0x43 },     /* PIT: TSC and APIC timer calibration */
    { 0x61, 0x61 },     /* PIT channel 2 gate */
    { 0x70, 0x71 },     /* CMOS RTC: the wall clock at boot */
    { 0xf4, 0xf7 },     /* isa-debug-exit (tools/run_qemu.py) */
    { 0x510, 0x51b },   /* QEMU's fw_cfg: it zeroes frames for us (fw_cfg.c) */
    { 0x3f8, 0x3ff },   /* COM1: the console */
    { PCI_CONF_DATA, PCI_CONF_DATA + 3 },   /* through pci.c's emulation only */
};

int pv_ioports_init(struct domain *d)
{
    spin_lock_init(&d->arch.ioports_lock);
    rangeset_init(&d->arch.ioports);
    d->arch.pci_cf8 = 0;
    if (!domain_has_rights(d, DOMAIN_RIGHT_IOPORT))
        return 0;
    int rc = rangeset_add(&d->arch.ioports, 0, IOPORT_LAST);
    for (size_t i = 0; i < ARRAY_SIZE(hypervisor_ports) && !rc; i++)
        rc = rangeset_remove(&d->arch.ioports, hypervisor_ports[i].first, hypervisor_ports[i].last);
    return rc;
}

bool arch_ioports_held(struct domain *d, uint32_t first, uint32_t last)
{
    spin_lock(&d->arch.ioports_lock);
    bool held = rangeset_contains(&d->arch.ioports, first, last);
    spin_unlock(&d->arch.ioports_lock);
    return held;
}

int arch_ioports_set(struct domain *d, uint32_t first, uint32_t last, bool allow)
{
    ASSERT(first <= last && last <= IOPORT_LAST);
    for (size_t i = 0; allow && i < ARRAY_SIZE(hypervisor_ports); i++)
        if (first <= hypervisor_ports[i].last && last >= hypervisor_ports[i].first)
            return -XEN_EPERM;
    spin_lock(&d->arch.ioports_lock);
    int rc = allow ? rangeset_add(&d->arch.ioports, first, last)
                   : rangeset_remove(&d->arch.ioports, first, last);
    spin_unlock(&d->arch.ioports_lock);
    return rc;
}

bool pv_iopl_ok(const struct vcpu *v)
{
    unsigned int cpl = 3;
    if (v->arch.kernel_mode)
        cpl = v->domain->vm_assist & (1ull << VMASST_TYPE_architectural_iopl) ? 0 : 1;
    return (cpl << 12) <= v->arch.iopl;
}

/* The hardware is touched directly only for ports d holds; a dword at 0xCF8 never is. */
static bool direct(struct domain *d, unsigned int port, unsigned int bytes)
{
    if (port == PCI_CONF_ADDR && bytes == 4)
        return false;
    return arch_ioports_held(d, port, port + bytes - 1);
}

/* Width of the next piece of a PCI data access at port (0xCFC-0xCFF), at most 2 unless aligned. */
static unsigned int pci_data_piece(unsigned int port, unsigned int bytes)
{
    unsigned int size = 4 - (port & 3);
    if (size > bytes)
        size = bytes;
    return size == 3 ? 2 : size;
}

static uint32_t io_read(struct domain *d, unsigned int port, unsigned int bytes)
{
    if (direct(d, port, bytes))
        return bytes == 1 ? inb((uint16_t)port) : bytes == 2 ? inw((uint16_t)port) : inl((uint16_t)port);

    /* Piece by piece, as Xen: what no rule below covers reads as all ones. */
    uint32_t data = 0;
    unsigned int shift = 0;
    while (bytes) {
        unsigned int size = 1;
        uint32_t piece = ~0u;
        if (port == PCI_CONF_ADDR && bytes == 4) {
            return __atomic_load_n(&d->arch.pci_cf8, __ATOMIC_RELAXED);
        } else if ((port & ~3u) == PCI_CONF_DATA) {
            size = pci_data_piece(port, bytes);
            piece = pci_conf_emul_read(d, __atomic_load_n(&d->arch.pci_cf8, __ATOMIC_RELAXED), port & 3, size);
        }
        if (size == 4)
            return piece;
        data |= (piece & ((1u << (size * 8)) - 1)) << shift;
        shift += size * 8;
        port += size;
        bytes -= size;
    }
    return data;
}

static void io_write(struct domain *d, unsigned int port, unsigned int bytes, uint32_t data)
{
    if (direct(d, port, bytes)) {
        if (bytes == 1)
            outb((uint16_t)port, (uint8_t)data);
        else if (bytes == 2)
            outw((uint16_t)port, (uint16_t)data);
        else
            outl((uint16_t)port, data);
        return;
    }
    while (bytes) {
        unsigned int size = 1;
        if (port == PCI_CONF_ADDR && bytes == 4) {
            __atomic_store_n(&d->arch.pci_cf8, data, __ATOMIC_RELAXED);
            return;
        } else if ((port & ~3u) == PCI_CONF_DATA) {
            size = pci_data_piece(port, bytes);
            pci_conf_emul_write(d, __atomic_load_n(&d->arch.pci_cf8, __ATOMIC_RELAXED), port & 3, size, data);
        }
        if (size == 4)
            return;
        data >>= size * 8;
        port += size;
        bytes -= size;
    }
}

/*
 * INS and OUTS: ES:rDI or seg:rSI stepped by DF, RCX counted down under
 * REP; registers show the repetitions done when one faults, as x86_emulate
 * leaves them. An INS reads the port before the write that faults.
 */
static void string_io(struct pv_emul *e, unsigned int port, unsigned int bytes, bool in)
{
    const struct x86_insn *insn = &e->insn;
    struct cpu_regs *r = e->regs;
    struct domain *d = e->v->domain;
    uint64_t mask = insn->addrsize == 4 ? 0xffffffffull : ~0ull;
    uint64_t count = insn->rep ? r->rcx & mask : 1;

    if (count == 0) {                   /* Xen skips it before any check */
        r->rip += insn->len;
        return;
    }
    if (!pv_iopl_ok(e->v)) {
        pv_emul_raise(e, X86_EXC_GP, 0, 0);
        return;
    }
    e->bpmatch |= (uint8_t)pv_io_breakpoints(e->v, port, bytes);
    uint64_t *index = in ? &r->rdi : &r->rsi;
    unsigned int seg = in ? X86_SEG_ES : insn->seg == X86_SEG_NONE ? X86_SEG_DS : insn->seg;
    uint64_t base = 0;
    if (seg == X86_SEG_FS)
        base = e->v->arch.fs_base;
    else if (seg == X86_SEG_GS)
        base = e->v->arch.kernel_mode ? e->v->arch.gs_base_kernel : e->v->arch.gs_base_user;
    uint64_t step = r->rflags & X86_EFLAGS_DF ? -(uint64_t)bytes : bytes;
    uint64_t goal = count < IO_REPS_PER_TRAP ? count : IO_REPS_PER_TRAP, done = 0;
    if (r->rflags & X86_EFLAGS_TF)
        goal = 1;                       /* single-stepped: a trap after each repetition, as the CPU */

    while (done < goal) {
        uint64_t va = base + (*index & mask);
        uint32_t data = 0;
        int rc;
        if (in) {
            data = io_read(d, port, bytes);
            rc = pv_emul_write(e, va, &data, bytes);
        } else {
            rc = pv_emul_read(e, va, &data, bytes);
            if (rc == 0)
                io_write(d, port, bytes, data);
        }
        if (rc) {
            if (seg == X86_SEG_SS && e->fault.vector == X86_EXC_GP)
                e->fault.vector = X86_EXC_SS;
            break;
        }
        *index = (*index + step) & mask;
        done++;
    }
    if (insn->rep) {
        r->rcx = ((r->rcx & mask) - done) & mask;
        if (r->rcx == 0)
            r->rip += insn->len;
    } else if (!e->faulted) {
        r->rip += insn->len;
    }
}

bool pv_emulate_io(struct pv_emul *e)
{
    const struct x86_insn *insn = &e->insn;
    struct cpu_regs *r = e->regs;
    uint8_t op = insn->opcode;

    if (insn->map != X86_MAP_1BYTE)
        return false;
    bool string = op >= 0x6c && op <= 0x6f;
    bool imm_port = op >= 0xe4 && op <= 0xe7;
    if (!string && !imm_port && !(op >= 0xec && op <= 0xef))
        return false;

    if (insn->prefixes & X86_PFX_LOCK) {
        pv_emul_raise(e, X86_EXC_UD, -1, 0);
        return true;
    }
    unsigned int bytes = insn->opsize;         /* 1, 2 or 4: REX.W does not widen port I/O */
    unsigned int port = imm_port ? (uint8_t)insn->imm : (uint16_t)r->rdx;
    bool in = string ? op <= 0x6d : !(op & 2);
    if (string) {
        string_io(e, port, bytes, in);
        return true;
    }
    if (!pv_iopl_ok(e->v)) {
        pv_emul_raise(e, X86_EXC_GP, 0, 0);
        return true;
    }
    /*
     * Xen 4.17 executes an IN or OUT on a port the domain holds as the
     * real instruction, in a copy it builds for the purpose: after it TF gives no
     * trap from the emulation (the CPU's comes after the next instruction),
     * and only an IN is checked against the I/O breakpoints. Accesses it
     * emulates are checked for both, as the string forms are.
     */
    if ((r->rflags & X86_EFLAGS_TF) || e->v->arch.dr7_emul) {
        bool held = direct(e->v->domain, port, bytes);
        e->no_single_step = held;
        if (in || !held)
            e->bpmatch |= (uint8_t)pv_io_breakpoints(e->v, port, bytes);
    }
    if (in) {
        uint32_t v = io_read(e->v->domain, port, bytes);
        if (bytes == 1)
            r->rax = (r->rax & ~0xffull) | v;
        else if (bytes == 2)
            r->rax = (r->rax & ~0xffffull) | v;
        else
            r->rax = v;                         /* a 32-bit write clears the upper half */
    } else {
        io_write(e->v->domain, port, bytes, (uint32_t)r->rax);
    }
    r->rip += insn->len;
    return true;
}
