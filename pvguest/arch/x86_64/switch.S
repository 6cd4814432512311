/* Context switch between kernel threads: only callee-saved registers and the stack change. */

/* void arch_switch(uint64_t *prev_sp, uint64_t next_sp) */
        .text
        .globl  arch_switch
arch_switch:
        push    %rbp
        push    %rbx
        push    %r12
        push    %r13
        push    %r14
        push    %r15
        mov     %rsp, (%rdi)
        mov     %rsi, %rsp
        pop     %r15
        pop     %r14
        pop     %r13
        pop     %r12
        pop     %rbx
        pop     %rbp
        ret

/* A new thread's first return lands here with its function in r12 and argument in r13. */
        .globl  thread_entry
thread_entry:
        mov     %r12, %rdi
        mov     %r13, %rsi
        xor     %ebp, %ebp
        call    thread_start
        ud2

        .section .note.GNU-stack, "", @progbits
