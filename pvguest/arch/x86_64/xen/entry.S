/*
 * PV exception and event entry. Xen's bounce frame on our stack is RCX,
 * R11, [error code], RIP, CS, RFLAGS, RSP, SS: each stub restores RCX/R11,
 * pushes an error code where the CPU gave none and the vector, so the frame
 * becomes a trap_frame; xen_trap() handles it; we return with HYPERVISOR_iret
 * (its stub pushes RAX, R11, RCX over the flags word we push), counted as an
 * entry like every hypercall (by xen_trap, on the CPU it runs on).
 */
#include <asm/trap.h>

#define HYPERCALL_IRET  23      /* __HYPERVISOR_iret; xen.c checks the value */

        .text
        .balign 16
        .globl  xen_trap_stubs
xen_trap_stubs:
        .set    vec, 0
        .rept   32
        .balign 16
        pop     %rcx
        pop     %r11
        .if     vec == 8 || vec == 10 || vec == 11 || vec == 12 || vec == 13 || vec == 14 || vec == 17 || vec == 21 || vec == 29 || vec == 30
        .else
        pushq   $0
        .endif
        pushq   $vec
        jmp     xen_common
        .set    vec, vec + 1
        .endr

/* The event callback: the same frame, no error code. */
        .globl  xen_event_entry
xen_event_entry:
        pop     %rcx
        pop     %r11
        pushq   $0
        pushq   $TRAP_UPCALL
        jmp     xen_common

/* The failsafe callback: RCX, R11, DS, ES, FS, GS, then the usual frame. */
        .globl  xen_failsafe_entry
xen_failsafe_entry:
        pop     %rcx
        pop     %r11
        add     $32, %rsp
        pushq   $0
        pushq   $TRAP_FAILSAFE
        jmp     xen_common

xen_common:
        SAVE_REGS
        mov     %rsp, %rdi
        mov     %rsp, %rbx
        and     $-16, %rsp
        call    xen_trap
        mov     %rbx, %rsp
        RESTORE_REGS
        add     $16, %rsp               /* vector, error code (xen_trap counted this iret) */
        pushq   $0                      /* iret flags: not returning from a syscall */
        jmp     hypercall_page + HYPERCALL_IRET * 32

        .section .note.GNU-stack, "", @progbits
