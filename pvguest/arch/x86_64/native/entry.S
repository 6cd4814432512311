/*
 * Native interrupt and exception entry: one stub per vector pushes an error
 * code (0 where the CPU pushes none) and the vector, builds a trap_frame and
 * calls native_trap(); iretq goes back.
 */
#include <asm/trap.h>

        .text
        .balign 16
native_stubs_start:
        .set    vec, 0
        .rept   256
        .balign 16
        .if     vec == 8 || vec == 10 || vec == 11 || vec == 12 || vec == 13 || vec == 14 || vec == 17 || vec == 21 || vec == 29 || vec == 30
        .else
        pushq   $0
        .endif
        pushq   $vec
        jmp     native_common
        .set    vec, vec + 1
        .endr

native_common:
        SAVE_REGS
        mov     %rsp, %rdi
        mov     %rsp, %rbx
        and     $-16, %rsp
        call    native_trap
        mov     %rbx, %rsp
        RESTORE_REGS
        add     $16, %rsp               /* vector, error code */
        iretq

/* The stub of vector v is at native_stubs + v * 16. */
        .section .rodata
        .globl  native_stubs
native_stubs:
        .quad   native_stubs_start

        .section .note.GNU-stack, "", @progbits
