/*
 * The frame every exception and interrupt entry builds on the stack, on both
 * backends: general registers pushed by the entry code, then the vector and
 * an error code (0 when the CPU pushes none), then the hardware frame (native)
 * or the same words of Xen's bounce frame (PV, after popping its RCX/R11).
 */
#ifndef ASM_TRAP_H
#define ASM_TRAP_H

#define TRAP_UPCALL     256     /* PV: the event upcall, not a CPU vector */
#define TRAP_FAILSAFE   257     /* PV: the failsafe callback */

#define TF_R15          0
#define TF_VECTOR       120
#define TF_ERROR_CODE   128
#define TF_RIP          136
#define TF_CS           144
#define TF_RFLAGS       152
#define TF_RSP          160
#define TF_SS           168
#define TF_SIZE         176

#define RFLAGS_IF       0x200

#ifndef __ASSEMBLY__
#include <stddef.h>
#include <stdint.h>

struct trap_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error_code;
    uint64_t rip, cs, rflags, rsp, ss;
};
_Static_assert(offsetof(struct trap_frame, vector) == TF_VECTOR, "trap_frame.vector");
_Static_assert(offsetof(struct trap_frame, error_code) == TF_ERROR_CODE, "trap_frame.error_code");
_Static_assert(offsetof(struct trap_frame, rip) == TF_RIP, "trap_frame.rip");
_Static_assert(offsetof(struct trap_frame, rflags) == TF_RFLAGS, "trap_frame.rflags");
_Static_assert(sizeof(struct trap_frame) == TF_SIZE, "trap_frame size");

/* traps.c: a CPU exception (vector < 32), with interrupts off. Returns if it was handled. */
void trap_exception(struct trap_frame *f);
/* Prints the frame and panics; never returns. */
__attribute__((noreturn)) void trap_fatal(const struct trap_frame *f, const char *what);
#endif

/* SAVE_REGS and RESTORE_REGS, in trap_frame order (the vector and error code are pushed before). */
#include <lib/gpr_frame.h>

#endif /* ASM_TRAP_H */
