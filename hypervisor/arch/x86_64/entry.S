/*
 * Interrupt and exception entry: every vector gets a stub that makes the
 * frame uniform (error code slot, vector number) and joins common_entry,
 * which saves the general registers as a struct cpu_regs and calls do_trap().
 */
#include <asm/asm-offsets.h>
#include <asm/config.h>
#include <asm/desc.h>
#include <asm/regs.h>

/* Vectors below 32 for which the CPU pushes an error code (asm/regs.h). */
#define HAS_ERRCODE(v) ((v) < 32 && ((X86_EXC_ERROR_CODE_MASK >> ((v) & 31)) & 1))

.macro SAVE_ALL                   /* general registers, as struct cpu_regs wants them */
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
.endm

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
        SAVE_ALL
        /* The frame is 168 bytes: realign for the C ABI, undo after. */
        mov     %rsp, %rdi
        mov     %rsp, %r12
        and     $-16, %rsp
        call    do_trap
        mov     %r12, %rsp
        .globl  restore_all
restore_all:
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
1:      iretq
        /* A guest frame the CPU refuses (bad selector, non-canonical rip): crash that guest. */
        .pushsection .ex_table, "a"
        .balign 4
        .long   1b - .
        .long   bad_iret_fixup - .
        .popsection

/*
 * SYSCALL from a guest (kernel: hypercall; user: bounce to its kernel). SFMASK
 * has cleared IF, so nothing interrupts us before we are on our own stack.
 * The CPU's shadow GS base holds its cpu_info (a PV guest cannot swapgs):
 * one swapgs pair reaches it to park the guest's rsp and find our stack.
 */
/* Builds the frame the CPU would have pushed from SYSCALL's registers, then calls handler. */
.macro SYSCALL_FRAME cs, handler
        swapgs
        mov     %rsp, %gs:CPUINFO_syscall_scratch
        mov     %gs:CPUINFO_guest_frame_end, %rsp
        pushq   $RING3_DS                       /* ss */
        pushq   %gs:CPUINFO_syscall_scratch     /* rsp */
        swapgs
        push    %r11                            /* rflags */
        pushq   $\cs                            /* cs */
        push    %rcx                            /* rip */
        pushq   $0
        movl    $SYSCALL_VECTOR, (UREGS_entry_vector - UREGS_error_code)(%rsp)
        SAVE_ALL                                /* no cld: SFMASK has cleared DF (pv_cpu_init) */
        mov     %rsp, %rdi
        call    \handler
        jmp     restore_all
.endm

#ifdef HV_BENCH_FLOOR
/*
 * The floor under the hot paths (bench/README.md, "The floor"), in the bench-floor build
 * only (make bench-floor-hypervisor; never the debug or release build): SYSCALL with
 * BENCH_FLOOR_SYSCALL_NR in eax returns at once with SYSRETQ, with BENCH_FLOOR_FLUSH_NR
 * after a CR3 reload (a TLB flush alone); int $BENCH_FLOOR_VECTOR returns with IRETQ.
 * The SYSCALL path stays on the guest's stack for its few instructions, which is fine
 * only for a benchmark: IF is clear (SFMASK), NMI, #DF and #MC have IST stacks, nothing
 * here touches memory, and rcx came from SYSCALL (canonical unless the guest's SYSCALL
 * ends its address space's lower half).
 */
.macro BENCH_FLOOR_SYSCALL
        cmp     $BENCH_FLOOR_SYSCALL_NR, %eax
        je      1f
        cmp     $BENCH_FLOOR_FLUSH_NR, %eax
        jne     2f
        mov     %cr3, %rax
        mov     %rax, %cr3
1:      xor     %eax, %eax
        sysretq
2:
.endm

        .globl  bench_floor_iret
bench_floor_iret:
        iretq
#endif

        .globl  syscall_entry
syscall_entry:
#ifdef HV_BENCH_FLOOR
        BENCH_FLOOR_SYSCALL
#endif
        SYSCALL_FRAME RING3_CS64, do_syscall

/* SYSCALL from 32-bit guest code: not supported, the guest is crashed. */
        .globl  syscall32_entry
syscall32_entry:
        SYSCALL_FRAME RING3_CS32, do_syscall32

/* %rsp = this CPU's cpu_info, whose first member is the guest frame (asm/current.h). */
.macro GUEST_FRAME_TO_RSP
        or      $(STACK_SIZE - 1), %rsp
        sub     $(CPUINFO_sizeof - 1), %rsp
.endm

/* The iretq above faulted: rsp is back at the guest frame's rip; rebuild from the frame. */
bad_iret_fixup:
        GUEST_FRAME_TO_RSP
        mov     %rsp, %rdi
        call    pv_bad_iret
        jmp     restore_all

/* Starts running guests on this CPU's stack, abandoning what is on it: the guest frame sits at the top. */
        .globl  pv_enter_first_guest
pv_enter_first_guest:
        GUEST_FRAME_TO_RSP
        xor     %ebp, %ebp
        mov     %rsp, %rdi
        call    pv_exit_to_guest_slow
        jmp     restore_all

        .section .note.GNU-stack, "", @progbits
