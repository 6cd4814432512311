/*
 * Where an application processor starts: the SIPI sends it to real mode at
 * TRAMPOLINE_PA, where smpboot.c copied the bytes between trampoline_start
 * and trampoline_end. It climbs to protected mode, turns on long mode with
 * paging on the boot page tables (boot_l4: low 4 GiB identity-mapped, the
 * image at its link address), and jumps to ap_start64 in the image, which
 * moves onto the hypervisor's page tables and the stack smpboot.c gave it.
 */
#include <asm/asm-offsets.h>
#include <asm/config.h>
#include <asm/cpu-bits.h>
#include <asm/smp.h>

#define TRAMP(sym)      (TRAMPOLINE_PA + ((sym) - trampoline_start))
#define CR0_AP          (X86_CR0_PE_BIT | 0x2 /* MP */ | 0x10 /* ET */ | 0x20 /* NE */ | X86_CR0_WP_BIT | X86_CR0_PG_BIT)

        .section .rodata, "a", @progbits
        .balign 16
        .globl  trampoline_start, trampoline_end
        .code16
trampoline_start:
        cli
        cld
        mov     %cs, %ax                /* CS base = TRAMPOLINE_PA */
        mov     %ax, %ds
        lgdtl   (tramp_gdt_desc - trampoline_start)
        mov     %cr0, %eax
        or      $X86_CR0_PE_BIT, %eax
        mov     %eax, %cr0
        ljmpl   $0x08, $TRAMP(tramp32)

        .code32
tramp32:
        mov     $0x10, %eax
        mov     %eax, %ds
        mov     %eax, %es
        mov     %eax, %ss
        mov     %cr4, %eax
        or      $X86_CR4_PAE_BIT, %eax
        mov     %eax, %cr4
        mov     TRAMP(tramp_cr3), %eax
        mov     %eax, %cr3
        mov     $MSR_EFER_NUM, %ecx
        rdmsr
        or      $(EFER_LME_BIT | EFER_NXE_BIT), %eax
        wrmsr
        mov     $CR0_AP, %eax           /* also clears CD and NW, which INIT leaves set */
        mov     %eax, %cr0
        ljmp    $0x18, $TRAMP(tramp64)

        .code64
tramp64:
        mov     TRAMP(tramp_entry), %rax
        jmp     *%rax

        .balign 8
tramp_gdt:
        .quad   0
        .quad   0x00cf9a000000ffff      /* 0x08: 32-bit code */
        .quad   0x00cf92000000ffff      /* 0x10: data */
        .quad   0x00af9a000000ffff      /* 0x18: 64-bit code */
tramp_gdt_end:
tramp_gdt_desc:
        .word   tramp_gdt_end - tramp_gdt - 1
        .long   TRAMP(tramp_gdt)
        .balign 8
        .globl  tramp_cr3, tramp_entry
tramp_cr3:
        .long   0                       /* boot_l4, physical (below 4 GiB) */
        .long   0
tramp_entry:
        .quad   0                       /* ap_start64 */
trampoline_end:

        .text
/* In the image, on the boot tables: switch to ours and to this CPU's stack (both set by smpboot.c). */
        .globl  ap_start64
ap_start64:
        mov     ap_boot_cr3(%rip), %rax
        mov     %rax, %cr3
        mov     ap_boot_stack(%rip), %rsp
        xor     %ebp, %ebp
        call    __start_ap
        ud2

        .section .note.GNU-stack, "", @progbits
