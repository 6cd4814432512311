/*
 * Assembly only: SAVE_REGS pushes the 15 general registers, rax first, so
 * that in memory they read r15, r14, ..., rbx, rax upward from the stack
 * pointer; RESTORE_REGS pops them back. Guests' trap frames (pvguest's struct
 * trap_frame, the test guests' exception frame) are laid out to match. The
 * hypervisor keeps Xen's own order (cpu_regs) and does not use these.
 */
#ifndef LIB_GPR_FRAME_H
#define LIB_GPR_FRAME_H

#ifdef __ASSEMBLY__
.macro SAVE_REGS
        push    %rax
        push    %rbx
        push    %rcx
        push    %rdx
        push    %rsi
        push    %rdi
        push    %rbp
        push    %r8
        push    %r9
        push    %r10
        push    %r11
        push    %r12
        push    %r13
        push    %r14
        push    %r15
.endm
.macro RESTORE_REGS
        pop     %r15
        pop     %r14
        pop     %r13
        pop     %r12
        pop     %r11
        pop     %r10
        pop     %r9
        pop     %r8
        pop     %rbp
        pop     %rdi
        pop     %rsi
        pop     %rdx
        pop     %rcx
        pop     %rbx
        pop     %rax
.endm
#endif

#endif /* LIB_GPR_FRAME_H */
