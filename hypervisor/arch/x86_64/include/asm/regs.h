/* The register frame that every entry into the hypervisor builds on its stack. */
#ifndef ASM_REGS_H
#define ASM_REGS_H

/* entry_vector of a frame built by the SYSCALL entry: beyond every IDT vector. */
#define SYSCALL_VECTOR 0x100

/* Exception vectors for which the CPU pushes an error code: #DF, #TS, #NP, #SS, #GP, #PF, #AC, #CP, #VC, #SX. */
#define X86_EXC_ERROR_CODE_MASK \
    ((1 << 8) | (1 << 10) | (1 << 11) | (1 << 12) | (1 << 13) | (1 << 14) | (1 << 17) | (1 << 21) | (1 << 29) | (1 << 30))

#ifndef __ASSEMBLY__
#include <stdint.h>
#include <stddef.h>

/*
 * Lowest address first. entry.S pushes the general registers in reverse
 * order after the CPU pushed ss..rip (and maybe an error code); stubs for
 * vectors without an error code push a zero so every frame has one. The
 * vector number lives in the upper half of the error-code slot, as in Xen.
 */
struct cpu_regs {
    uint64_t r15, r14, r13, r12, rbp, rbx;
    uint64_t r11, r10, r9, r8, rax, rcx, rdx, rsi, rdi;
    uint32_t error_code;
    uint32_t entry_vector;
    uint64_t rip, cs, rflags, rsp, ss;
};
_Static_assert(sizeof(struct cpu_regs) == 21 * 8, "cpu_regs size");
_Static_assert(offsetof(struct cpu_regs, error_code) == 15 * 8, "error_code slot");
_Static_assert(offsetof(struct cpu_regs, rip) == 16 * 8, "hardware frame");

static inline int regs_from_user(const struct cpu_regs *r) { return (r->cs & 3) != 0; }

static inline int vector_has_error_code(unsigned int v)
{
    return v < 32 && (X86_EXC_ERROR_CODE_MASK >> v) & 1;
}

#endif /* __ASSEMBLY__ */
#endif
