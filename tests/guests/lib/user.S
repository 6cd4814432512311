/*
 * Guest user mode for tests: enter_user(fn, stack) runs fn in guest user
 * mode (HYPERVISOR_iret with a ring-3 CS); fn ends with SYSCALL, which
 * Xen's ABI bounces to the kernel's syscall callback, syscall_entry below;
 * that records what it saw and returns from enter_user in kernel mode.
 */
#define HYPERCALL_IRET 23
#define FLAT_USER_CS64 0xe033
#define FLAT_USER_SS64 0xe02b

        .text
        .globl  enter_user
enter_user:
        push    %rbx
        push    %rbp
        push    %r12
        push    %r13
        push    %r14
        push    %r15
        mov     %rsp, saved_kernel_rsp(%rip)
        /* iret frame (after the stub pushes rax, r11, rcx): flags, rip, cs, rflags, rsp, ss */
        pushq   $FLAT_USER_SS64
        push    %rsi
        pushq   $0x202
        pushq   $FLAT_USER_CS64
        push    %rdi
        pushq   $0
        jmp     hypercall_page + HYPERCALL_IRET * 32

/* Bounce frame on the kernel stack: RCX, R11, RIP, CS, RFLAGS, RSP, SS. */
        .globl  syscall_entry
syscall_entry:
        mov     %rax, user_syscall_rax(%rip)
        mov     24(%rsp), %rax
        mov     %rax, user_syscall_cs(%rip)
        mov     16(%rsp), %rax
        mov     %rax, user_syscall_rip(%rip)
        mov     saved_kernel_rsp(%rip), %rsp
        pop     %r15
        pop     %r14
        pop     %r13
        pop     %r12
        pop     %rbp
        pop     %rbx
        ret

        .data
        .balign 8
saved_kernel_rsp:       .quad 0
        .globl  user_syscall_rax, user_syscall_cs, user_syscall_rip
user_syscall_rax:       .quad 0
user_syscall_cs:        .quad 0
user_syscall_rip:       .quad 0

        .section .note.GNU-stack, "", @progbits

        .text
        .globl  user_fn_syscall
user_fn_syscall:
        mov     $0x1234, %eax
        syscall
        ud2
