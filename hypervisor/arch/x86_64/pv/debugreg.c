/*
 * set_debugreg and get_debugreg (and the emulated mov to and from DR0-DR7
 * that use them), with Xen 4.17's checks and reserved-bit rules. The values
 * are the vCPU's; they are not loaded into the CPU (docs/differences-from-xen.md).
 */
#include <public/errno.h>
#include <hv/domain.h>
#include <hv/hypercall.h>
#include <asm/cpu.h>
#include <asm/guest_access.h>
#include "emulate.h"

#define DR6_DEFAULT     0xffff0ff0ull   /* reads as one: bits 4-11, 16-31 */
#define DR6_ZEROS       0x00001000ull   /* reads as zero: bit 12 */
#define DR7_DEFAULT     0x00000400ull   /* bit 10 */
#define DR7_ZEROS       0x0000f800ull   /* bits 11 (no RTM), 12, 14, 15 */
#define DR7_ACTIVE      0x000000ffull   /* L0-L3, G0-G3 */
#define DR7_CONTROL_SHIFT 16
#define DR7_RW_IO       2u              /* an I/O breakpoint: needs CR4.DE */

void pv_debugreg_init(struct arch_vcpu *a)
{
    a->dr6 = DR6_DEFAULT;
    a->dr7 = DR7_DEFAULT;
}

/* Whether DR4 and DR5 still alias DR6 and DR7 (they do while CR4.DE is clear). */
static bool dr45_alias(const struct vcpu *v)
{
    return !(v->arch.cr4 & X86_CR4_DE);
}

int pv_set_debugreg(struct vcpu *v, unsigned int reg, uint64_t value)
{
    struct arch_vcpu *a = &v->arch;

    switch (reg) {
    case 0: case 1: case 2: case 3:
        /* A breakpoint the hypervisor could hit on the guest's behalf is refused. */
        if (!x86_canonical(value) || !guest_range_ok(value, sizeof(uint64_t)))
            return -XEN_EPERM;
        a->dr[reg] = value;
        return 0;
    case 4:
        if (!dr45_alias(v))
            return -XEN_ENODEV;
        /* fall through */
    case 6:
        if (value >> 32)
            return -XEN_EINVAL;
        a->dr6 = (value | DR6_DEFAULT) & ~DR6_ZEROS;
        return 0;
    case 5:
        if (!dr45_alias(v))
            return -XEN_ENODEV;
        /* fall through */
    case 7:
        if (value >> 32)
            return -XEN_EINVAL;
        if (value & DR7_ACTIVE) {
            for (unsigned int i = 0; i < 4; i++)
                if (((value >> (DR7_CONTROL_SHIFT + 4 * i)) & 3) == DR7_RW_IO && !(a->cr4 & X86_CR4_DE))
                    return -XEN_EPERM;
        }
        a->dr7 = (value | DR7_DEFAULT) & ~DR7_ZEROS;
        return 0;
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
        *val = a->dr7;
        return 0;
    default:
        return -XEN_ENODEV;
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
