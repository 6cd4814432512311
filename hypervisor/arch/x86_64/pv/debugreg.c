/*
 * A PV vCPU's debug registers, as Xen 4.17 keeps them: set_debugreg and
 * get_debugreg (and the emulated mov to and from DR0-DR7 that use them)
 * with Xen's checks and reserved-bit rules; DR0-DR3, DR6 and DR7 in the CPU
 * while the running vCPU enables a breakpoint (none is loaded otherwise, so
 * a switch costs a test); I/O breakpoints matched by the port emulation, as
 * the CPU never sees them; and the #DB, from the guest (its DR6 gathered
 * into the vCPU's, then delivered) or from the hypervisor's own access to
 * a watched guest address (noted and ignored, as Xen does).
 */
#include <public/errno.h>
#include <hv/domain.h>
#include <hv/hypercall.h>
#include <hv/printk.h>
#include <asm/cpu.h>
#include <asm/guest_access.h>
#include <asm/pv.h>
#include "emulate.h"

#define DR6_DEFAULT     0xffff0ff0ull   /* reads as one: bits 4-11, 16-31 */
#define DR6_ZEROS       0x00001000ull   /* reads as zero: bit 12 */
#define DR6_BREAKPOINTS 0x0000000full   /* B0-B3 */
#define DR7_DEFAULT     0x00000400ull   /* bit 10 */
#define DR7_ZEROS       0x0000d800ull   /* bits 11 (no RTM), 12, 14, 15 */
#define DR7_GD          0x00002000ull   /* general detect: the hypervisor's, never the guest's */
#define DR7_ACTIVE      0x000000ffull   /* L0-L3, G0-G3 */
#define DR7_CONTROL_SHIFT 16            /* R/W and LEN of breakpoint i at 16 + 4i */
#define DR7_RW_EXEC     0u
#define DR7_RW_IO       2u              /* an I/O breakpoint: needs CR4.DE */

#define READ_DR(n, v)   __asm__ volatile("mov %%db" #n ", %0" : "=r"(v))
#define WRITE_DR(n, v)  __asm__ volatile("mov %0, %%db" #n :: "r"((uint64_t)(v)))

static uint64_t dr7_enables(unsigned int i) { return 3ull << (2 * i); }
static unsigned int dr7_rw(uint64_t dr7, unsigned int i) { return (dr7 >> (DR7_CONTROL_SHIFT + 4 * i)) & 3; }

/* Bytes breakpoint i covers (LEN: 00 = 1, 01 = 2, 11 = 4, 10 = 8). */
static unsigned int dr7_len(uint64_t dr7, unsigned int i)
{
    static const uint8_t len[4] = { 1, 2, 8, 4 };
    return len[(dr7 >> (DR7_CONTROL_SHIFT + 4 * i + 2)) & 3];
}

void pv_debugreg_init(struct arch_vcpu *a)
{
    memset(a->dr, 0, sizeof(a->dr));
    a->dr6 = DR6_DEFAULT;
    a->dr7 = DR7_DEFAULT;
    a->dr7_emul = 0;
}

static void write_dr_addr(unsigned int reg, uint64_t value)
{
    switch (reg) {
    case 0: WRITE_DR(0, value); break;
    case 1: WRITE_DR(1, value); break;
    case 2: WRITE_DR(2, value); break;
    default: WRITE_DR(3, value); break;
    }
}

/* Loads v's breakpoints into this CPU (v runs here), DR7 last. */
static void load_debugregs(const struct vcpu *v)
{
    const struct arch_vcpu *a = &v->arch;
    for (unsigned int i = 0; i < 4; i++)
        write_dr_addr(i, a->dr[i]);
    WRITE_DR(6, a->dr6);
    WRITE_DR(7, a->dr7);
}

void pv_debugreg_switch(const struct vcpu *prev, const struct vcpu *next)
{
    bool next_active = next && (next->arch.dr7 & DR7_ACTIVE);
    if (next_active)
        load_debugregs(next);
    else if (prev && (prev->arch.dr7 & DR7_ACTIVE)) {
        WRITE_DR(7, 0);
        WRITE_DR(6, DR6_DEFAULT);       /* prev's status bits are not next's */
    }
}

/* Whether DR4 and DR5 still alias DR6 and DR7 (they do while CR4.DE is clear). */
static bool dr45_alias(const struct vcpu *v)
{
    return !(v->arch.cr4 & X86_CR4_DE);
}

int pv_set_debugreg(struct vcpu *v, unsigned int reg, uint64_t value)
{
    struct arch_vcpu *a = &v->arch;
    bool live = v == current;

    switch (reg) {
    case 0: case 1: case 2: case 3:
        /* A breakpoint the hypervisor could hit on the guest's behalf is refused. */
        if (!x86_canonical(value) || !guest_range_ok(value, sizeof(uint64_t)))
            return -XEN_EPERM;
        a->dr[reg] = value;
        if (live)
            write_dr_addr(reg, value);
        return 0;
    case 4:
        if (!dr45_alias(v))
            return -XEN_ENODEV;
        /* fall through */
    case 6:
        if (value >> 32)
            return -XEN_EINVAL;
        a->dr6 = (value | DR6_DEFAULT) & ~DR6_ZEROS;
        if (live)
            WRITE_DR(6, a->dr6);
        return 0;
    case 5:
        if (!dr45_alias(v))
            return -XEN_ENODEV;
        /* fall through */
    case 7: {
        if (value >> 32)
            return -XEN_EINVAL;
        value = (value | DR7_DEFAULT) & ~DR7_ZEROS;
        if (value & DR7_GD)
            return -XEN_EPERM;
        uint32_t io = 0;
        if (value & DR7_ACTIVE) {
            for (unsigned int i = 0; i < 4; i++) {
                if (dr7_rw(value, i) != DR7_RW_IO)
                    continue;
                if (!(a->cr4 & X86_CR4_DE))
                    return -XEN_EPERM;
                io |= (uint32_t)(value & dr7_enables(i));
            }
            value &= ~(uint64_t)io;
            /* Breakpoints were off, so the switch to v loaded none of them. */
            if (live && !(a->dr7 & DR7_ACTIVE) && (value & DR7_ACTIVE)) {
                for (unsigned int i = 0; i < 4; i++)
                    write_dr_addr(i, a->dr[i]);
                WRITE_DR(6, a->dr6);
            }
        }
        a->dr7_emul = io;
        a->dr7 = value;
        if (live)
            WRITE_DR(7, value);
        return 0;
    }
    default:
        return -XEN_ENODEV;
    }
}

int pv_get_debugreg(const struct vcpu *v, unsigned int reg, uint64_t *val)
{
    const struct arch_vcpu *a = &v->arch;

    switch (reg) {
    case 0: case 1: case 2: case 3:
        *val = a->dr[reg];
        return 0;
    case 4:
        if (!dr45_alias(v))
            return -XEN_ENODEV;
        /* fall through */
    case 6:
        *val = a->dr6;
        return 0;
    case 5:
        if (!dr45_alias(v))
            return -XEN_ENODEV;
        /* fall through */
    case 7:
        *val = a->dr7 | a->dr7_emul;
        return 0;
    default:
        return -XEN_ENODEV;
    }
}

void pv_set_debugregs_from_context(struct vcpu *v, const uint64_t debugreg[8])
{
    /* As Xen's arch_set_info_guest: from reset, each register through set_debugreg; a refused one stays reset. */
    pv_debugreg_init(&v->arch);
    for (unsigned int i = 0; i < 4; i++)
        (void)pv_set_debugreg(v, i, debugreg[i]);
    (void)pv_set_debugreg(v, 6, debugreg[6]);
    (void)pv_set_debugreg(v, 7, debugreg[7]);
}

void pv_get_debugregs_for_context(const struct vcpu *v, uint64_t debugreg[8])
{
    const struct arch_vcpu *a = &v->arch;
    for (unsigned int i = 0; i < 4; i++)
        debugreg[i] = a->dr[i];
    debugreg[4] = debugreg[5] = 0;
    debugreg[6] = a->dr6;
    debugreg[7] = a->dr7 | a->dr7_emul;
}

unsigned int pv_io_breakpoints(const struct vcpu *v, unsigned int port, unsigned int bytes)
{
    const struct arch_vcpu *a = &v->arch;
    unsigned int match = 0;
    if (!a->dr7_emul || !(a->cr4 & X86_CR4_DE))
        return 0;
    for (unsigned int i = 0; i < 4; i++) {
        if (!(a->dr7_emul & dr7_enables(i)))
            continue;
        uint64_t start = a->dr[i];
        if (start < port + bytes && start + dr7_len(a->dr7, i) > port)
            match |= 1u << i;
    }
    return match;
}

void pv_debug_trap_after(struct vcpu *v, unsigned int bits)
{
    v->arch.dr6 |= bits | DR6_DEFAULT;
    pv_inject_exception(v, X86_EXC_DB, -1);
}

/* The CPU's DR6 for this #DB, set back to its reset value for the next one (Xen's do_debug). */
static uint64_t take_dr6(void)
{
    uint64_t dr6;
    READ_DR(6, dr6);
    WRITE_DR(6, DR6_DEFAULT);
    return dr6;
}

void pv_debug_from_guest(struct vcpu *v)
{
    uint64_t dr6 = take_dr6();
    /* Status bits gather (B0-B3, BD, BS, BT); those that read as one clear when the CPU cleared them. */
    v->arch.dr6 |= dr6 & ~DR6_DEFAULT;
    v->arch.dr6 &= dr6 | ~DR6_DEFAULT;
}

void pv_debug_in_hypervisor(struct cpu_regs *regs)
{
    static unsigned int reported;
    uint64_t dr6 = take_dr6(), dr7;

    /* The guest cannot put TF on us (SYSCALL masks it, gates clear it): drop it rather than loop. */
    regs->rflags &= ~(uint64_t)X86_EFLAGS_TF;
    /*
     * An instruction breakpoint is a fault: returning would hit it again.
     * The guest cannot point one at the hypervisor; if it did, all go.
     */
    READ_DR(7, dr7);
    for (unsigned int i = 0; i < 4; i++)
        if ((dr6 & (1u << i)) && (dr7 & dr7_enables(i)) && dr7_rw(dr7, i) == DR7_RW_EXEC) {
            printk(LOG_ERR "instruction breakpoint hit in the hypervisor at %p\n", (void *)regs->rip);
            WRITE_DR(7, 0);
            break;
        }
    /* A data breakpoint on a guest address the hypervisor touched for the guest: a trap, so go on. */
    if (reported < 8) {
        reported++;
        printk(LOG_WARN "#DB in the hypervisor at %p (dr6 %#llx): ignored, as Xen does\n", (void *)regs->rip,
               (unsigned long long)dr6);
    }
}

int64_t do_set_debugreg(unsigned int reg, uint64_t value)
{
    return pv_set_debugreg(current, reg, value);
}

/* A register value in -4095..-1 reads as an error, as on Xen. */
int64_t do_get_debugreg(unsigned int reg)
{
    uint64_t val;
    int rc = pv_get_debugreg(current, reg, &val);
    return rc ? rc : (int64_t)val;
}
