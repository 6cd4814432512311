/*
 * Exception entry for test guests. Xen's bounce frame on our stack is
 * RCX, R11, [error code], RIP, CS, RFLAGS, RSP, SS. We restore RCX/R11,
 * make the frame uniform, save the registers, call do_exception(), and go
 * back with HYPERVISOR_iret (its stub pushes RAX, R11, RCX for us).
 */
/* __HYPERVISOR_iret; public headers are C only (exceptions.c checks the value). */
#define HYPERCALL_IRET 23

#include <lib/gpr_frame.h>   /* SAVE_REGS, RESTORE_REGS: the exception frame's register order */

        .macro  EXC vec, has_err
        .globl  exc_\vec
exc_\vec:
        pop     %rcx
        pop     %r11
        .if     \has_err == 0
        pushq   $0
        .endif
        pushq   $\vec
        jmp     exc_common
        .endm

        .text
        EXC     0, 0
        EXC     1, 0
        EXC     3, 0
        EXC     4, 0
        EXC     5, 0
        EXC     6, 0
        EXC     7, 0
        EXC     8, 1
        EXC     10, 1
        EXC     11, 1
        EXC     12, 1
        EXC     13, 1
        EXC     14, 1
        EXC     16, 0
        EXC     17, 1
        EXC     19, 0
        EXC     32, 0
        EXC     33, 0
        EXC     128, 0

/* Event upcall: the same frame without an error code; "vector" 256 tells do_exception. */
        .globl  event_entry
event_entry:
        pop     %rcx
        pop     %r11
        pushq   $0
        pushq   $256
        jmp     exc_common

exc_common:
        SAVE_REGS
        mov     %rsp, %rdi
        mov     %rsp, %rbx
        and     $-16, %rsp
        call    do_exception
        mov     %rbx, %rsp
        RESTORE_REGS
        add     $16, %rsp               /* vector, error code */
        pushq   $0                      /* iret flags: not in a syscall */
        jmp     hypercall_page + HYPERCALL_IRET * 32

        .section .note.GNU-stack, "", @progbits
