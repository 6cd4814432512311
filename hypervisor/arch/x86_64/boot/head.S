/*
 * Multiboot2 entry: GRUB jumps here in 32-bit protected mode with paging off.
 * We build nothing at run time: the boot page tables below are static data
 * that identity-map the first 4 GiB (to reach the multiboot info and modules)
 * and map the first 1 GiB again at XEN_VIRT_START, where we are linked.
 */
#include <asm/asm-offsets.h>
#include <asm/config.h>
#include <asm/page.h>
#include <asm/cpu-bits.h>

#define MB2_MAGIC        0xe85250d6
#define MB2_ARCH_I386    0
#define MB2_LOADER_MAGIC 0x36d76289

#define sym_phys(s)      ((s) - XEN_VIRT_START)
#define PTE_TABLE        (_PAGE_PRESENT | _PAGE_RW)
#define PTE_2M           (_PAGE_PRESENT | _PAGE_RW | _PAGE_PSE)
#define COM1             0x3f8

        .section .text.boot, "ax", @progbits
        .code32

        .balign 8
mb2_header:
        .long   MB2_MAGIC
        .long   MB2_ARCH_I386
        .long   mb2_header_end - mb2_header
        .long   -(MB2_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
        /* Entry address tag: where to start, as a physical address. */
        .balign 8
        .word   3, 0
        .long   12
        .long   sym_phys(start32)
        /* End tag. */
        .balign 8
        .word   0, 0
        .long   8
mb2_header_end:

        .globl  start32
start32:
        cli
        cld
        mov     $sym_phys(boot_stack_top - CPUINFO_sizeof), %esp
        mov     %eax, %edi              /* loader magic, kept for C */
        mov     %ebx, %esi              /* multiboot2 info, physical */

        cmp     $MB2_LOADER_MAGIC, %eax
        mov     $sym_phys(msg_not_mb2), %ebp
        jne     early_fail

        /* Long mode and NX are required. */
        mov     $0x80000000, %eax
        cpuid
        cmp     $0x80000001, %eax
        mov     $sym_phys(msg_no_lm), %ebp
        jb      early_fail
        mov     $0x80000001, %eax
        cpuid
        bt      $29, %edx
        jnc     early_fail
        bt      $20, %edx
        mov     $sym_phys(msg_no_nx), %ebp
        jnc     early_fail

        mov     %cr4, %eax
        or      $(X86_CR4_PAE_BIT), %eax
        mov     %eax, %cr4
        mov     $sym_phys(boot_l4), %eax
        mov     %eax, %cr3
        mov     $MSR_EFER_NUM, %ecx
        rdmsr
        or      $(EFER_LME_BIT | EFER_NXE_BIT), %eax
        wrmsr
        mov     %cr0, %eax
        or      $(X86_CR0_PG_BIT | X86_CR0_WP_BIT | X86_CR0_PE_BIT), %eax
        mov     %eax, %cr0

        lgdt    sym_phys(boot_gdt_desc)
        ljmp    $0x08, $sym_phys(start64)

/* Print the NUL-terminated string at %ebp on COM1, then stop: no console yet. */
early_fail:
        mov     $(COM1 + 5), %dx
1:      in      %dx, %al
        test    $0x20, %al
        jz      1b
        mov     $COM1, %dx
        movb    (%ebp), %al
        test    %al, %al
        jz      2f
        out     %al, %dx
        inc     %ebp
        jmp     early_fail
2:      hlt
        jmp     2b

        .code64
start64:
        mov     $0x10, %eax
        mov     %eax, %ds
        mov     %eax, %es
        mov     %eax, %ss
        xor     %eax, %eax
        mov     %eax, %fs
        mov     %eax, %gs
        movabs  $start_high, %rax
        jmp     *%rax

        .section .rodata.boot, "a", @progbits
msg_not_mb2:    .asciz "hypervisor: not started by a multiboot2 loader; halting.\r\n"
msg_no_lm:      .asciz "hypervisor: this CPU has no long mode; halting.\r\n"
msg_no_nx:      .asciz "hypervisor: this CPU has no NX bit; halting.\r\n"

        .balign 8
boot_gdt:
        .quad   0
        .quad   0x00af9a000000ffff      /* 0x08: 64-bit ring-0 code */
        .quad   0x00cf92000000ffff      /* 0x10: ring-0 data */
boot_gdt_end:
boot_gdt_desc:
        .word   boot_gdt_end - boot_gdt - 1
        .long   sym_phys(boot_gdt)

        .text
start_high:
        lea     (boot_stack_top - CPUINFO_sizeof)(%rip), %rsp
        xor     %ebp, %ebp
        mov     %edi, %edi              /* zero-extend magic */
        mov     %esi, %esi              /* zero-extend info address */
        call    __start_hypervisor
        ud2

        .section .data.page_aligned, "aw", @progbits
        .balign PAGE_SIZE
        .globl  boot_l4
boot_l4:
        .quad   sym_phys(boot_l3_ident) + PTE_TABLE
        .fill   XEN_L4_SLOT - 1, 8, 0
        .quad   sym_phys(boot_l3_high) + PTE_TABLE
        .fill   511 - XEN_L4_SLOT, 8, 0
boot_l3_ident:
        .quad   sym_phys(boot_l2_ident) + 0 * PAGE_SIZE + PTE_TABLE
        .quad   sym_phys(boot_l2_ident) + 1 * PAGE_SIZE + PTE_TABLE
        .quad   sym_phys(boot_l2_ident) + 2 * PAGE_SIZE + PTE_TABLE
        .quad   sym_phys(boot_l2_ident) + 3 * PAGE_SIZE + PTE_TABLE
        .fill   508, 8, 0
boot_l3_high:
        .fill   XEN_L3_SLOT, 8, 0
        .quad   sym_phys(boot_l2_high) + PTE_TABLE
        .fill   511 - XEN_L3_SLOT, 8, 0
boot_l2_high:
        .set    i, 0
        .rept   512
        .quad   (i << L2_PAGE_SHIFT) + PTE_2M
        .set    i, i + 1
        .endr
boot_l2_ident:
        .set    i, 0
        .rept   2048
        .quad   (i << L2_PAGE_SHIFT) + PTE_2M
        .set    i, i + 1
        .endr

        /* The boot CPU's stack block: aligned to its size (asm/current.h). */
        .section .bss.stack, "aw", @nobits
        .balign STACK_SIZE
        .globl  boot_stack, boot_stack_top
boot_stack:
        .skip   STACK_SIZE
boot_stack_top:
