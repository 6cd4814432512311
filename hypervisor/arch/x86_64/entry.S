/*
 * Interrupt and exception entry: every vector gets a stub that makes the
 * frame uniform (error code slot, vector number) and joins common_entry,
 * which saves the general registers as a struct cpu_regs and calls do_trap().
 */
#include <asm/asm-offsets.h>

/* Vectors for which the CPU pushes an error code. */
#define HAS_ERRCODE(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

        .text
        .balign 16
        .globl  entry_stubs
entry_stubs:
        .set    vec, 0
        .rept   256
        .balign 16
        .if     HAS_ERRCODE(vec)
        movl    $vec, (UREGS_entry_vector - UREGS_error_code)(%rsp)
        .else
        pushq   $0
        movl    $vec, (UREGS_entry_vector - UREGS_error_code)(%rsp)
        .endif
        jmp     common_entry
        .set    vec, vec + 1
        .endr

common_entry:
        cld
        push    %rdi
        push    %rsi
        push    %rdx
        push    %rcx
        push    %rax
        push    %r8
        push    %r9
        push    %r10
        push    %r11
        push    %rbx
        push    %rbp
        push    %r12
        push    %r13
        push    %r14
        push    %r15
        /* The frame is 168 bytes: realign for the C ABI, undo after. */
        mov     %rsp, %rdi
        mov     %rsp, %r12
        and     $-16, %rsp
        call    do_trap
        mov     %r12, %rsp
        pop     %r15
        pop     %r14
        pop     %r13
        pop     %r12
        pop     %rbp
        pop     %rbx
        pop     %r11
        pop     %r10
        pop     %r9
        pop     %r8
        pop     %rax
        pop     %rcx
        pop     %rdx
        pop     %rsi
        pop     %rdi
        add     $8, %rsp                /* error code and vector */
        iretq

        .section .note.GNU-stack, "", @progbits
