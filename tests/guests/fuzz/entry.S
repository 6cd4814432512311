/*
 * The fuzzer's two entry points that are not C: the failsafe callback (the
 * hypervisor could not reload our segments: drop them and go back to where
 * we were) and the landing place for a trap we did not expect.
 */
#define HYPERCALL_IRET 23

        .text
        .globl  fuzz_failsafe
fuzz_failsafe:
        pop     %rcx
        pop     %r11
        add     $32, %rsp               /* ds, es, fs, gs as they were */
        lock incq fuzz_failsafe_count(%rip)
        push    %rax
        xor     %eax, %eax
        mov     %eax, %ds
        mov     %eax, %es
        mov     %eax, %fs
        mov     %eax, %gs
        pop     %rax
        pushq   $0                      /* iret flags */
        jmp     hypercall_page + HYPERCALL_IRET * 32

/* do_exception resumes here (exc_resume) with the faulting stack: leave it for the campaign's. */
        .globl  fuzz_landing
fuzz_landing:
        and     $-16, %rsp
        call    fuzz_lost_control
1:      ud2
        jmp     1b

        .data
        .globl  fuzz_failsafe_count
        .balign 8
fuzz_failsafe_count:
        .quad   0

        .section .note.GNU-stack, "", @progbits
