/*
 * Native start of day: GRUB (multiboot2) enters at native_start32 in 32-bit
 * protected mode, paging off. Static boot tables map the first GiB twice,
 * at 0 (to run on and to read the multiboot information) and in the direct
 * map at DIRECT_MAP_BASE, where we are linked; native_start() builds the
 * real tables.
 */
#include <asm/layout.h>

#define MB2_MAGIC        0xe85250d6
#define MB2_ARCH_I386    0
#define MB2_LOADER_MAGIC 0x36d76289
#define sym_phys(s)      ((s) - DIRECT_MAP_BASE)
#define COM1             0x3f8

        .section .text.boot, "ax", @progbits
        .code32
        .balign 8
mb2_header:
        .long   MB2_MAGIC
        .long   MB2_ARCH_I386
        .long   mb2_header_end - mb2_header
        .long   -(MB2_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
        .balign 8                       /* entry address tag: a physical address */
        .word   3, 0
        .long   12
        .long   sym_phys(native_start32)
        .balign 8                       /* end tag */
        .word   0, 0
        .long   8
mb2_header_end:

        .globl  native_start32
native_start32:
        cli
        cld
        mov     $sym_phys(boot_stack_top), %esp
        mov     %eax, %edi              /* loader magic and info address, kept for C */
        mov     %ebx, %esi
        cmp     $MB2_LOADER_MAGIC, %eax
        mov     $sym_phys(msg_not_mb2), %ebp
        jne     early_fail
        mov     $0x80000001, %eax
        cpuid
        bt      $29, %edx
        mov     $sym_phys(msg_no_lm), %ebp
        jnc     early_fail

        mov     %cr4, %eax
        or      $0x20, %eax             /* PAE */
        mov     %eax, %cr4
        mov     $sym_phys(boot_l4), %eax
        mov     %eax, %cr3
        mov     $0xc0000080, %ecx       /* EFER.LME */
        rdmsr
        or      $0x100, %eax
        wrmsr
        mov     %cr0, %eax
        or      $0x80010001, %eax       /* PG, WP, PE */
        mov     %eax, %cr0
        lgdt    sym_phys(boot_gdt_desc)
        ljmp    $0x08, $sym_phys(start64)

/* Prints the string at %ebp on COM1 and stops. */
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

msg_not_mb2:    .asciz "pvguest: not started by a multiboot2 loader; halting.\r\n"
msg_no_lm:      .asciz "pvguest: this CPU has no long mode; halting.\r\n"

        .balign 8
boot_gdt:
        .quad   0
        .quad   0x00af9a000000ffff      /* 0x08: 64-bit kernel code */
        .quad   0x00cf92000000ffff      /* 0x10: kernel data */
boot_gdt_end:
boot_gdt_desc:
        .word   boot_gdt_end - boot_gdt - 1
        .long   sym_phys(boot_gdt)

        .text
start_high:
        lea     boot_stack_top(%rip), %rsp
        movabs  $boot_thread, %rax      /* the stack's head names its thread (asm/layout.h) */
        mov     %rax, boot_stack(%rip)
        xor     %ebp, %ebp
        mov     %edi, %edi
        mov     %esi, %esi
        call    native_start
        ud2

        .section .data.page_aligned, "aw", @progbits
        .balign 4096
boot_l4:
        .quad   sym_phys(boot_l3_low) + 3
        .fill   510, 8, 0
        .quad   sym_phys(boot_l3_high) + 3
boot_l3_low:
        .quad   sym_phys(boot_l2) + 3
        .fill   511, 8, 0
boot_l3_high:
        .fill   510, 8, 0
        .quad   sym_phys(boot_l2) + 3
        .quad   0
boot_l2:
        .set    i, 0
        .rept   512
        .quad   (i << 21) + 0x83        /* 2 MiB, present, writable */
        .set    i, i + 1
        .endr

/*
 * A secondary CPU's way in (smp.c copies it to NATIVE_TRAMPOLINE and sends
 * INIT-SIPI-SIPI): real mode at NATIVE_TRAMPOLINE:0, protected mode, long mode
 * on the static boot tables (the first GiB mapped at 0 and in the direct
 * map), then ap_start_high in the image.
 */
        .section .rodata
        .code16
        .globl  ap_trampoline, ap_trampoline_end
ap_trampoline:
        cli
        cld
        mov     %cs, %ax
        mov     %ax, %ds
        lgdtl   (tr_gdt_desc - ap_trampoline)
        mov     %cr0, %eax
        or      $1, %eax
        mov     %eax, %cr0
        ljmpl   $0x08, $(NATIVE_TRAMPOLINE + tr_32 - ap_trampoline)
        .code32
tr_32:
        mov     $0x10, %eax
        mov     %eax, %ds
        mov     %eax, %es
        mov     %eax, %ss
        mov     %cr4, %eax
        or      $0x20, %eax             /* PAE */
        mov     %eax, %cr4
        mov     $sym_phys(boot_l4), %eax
        mov     %eax, %cr3
        mov     $0xc0000080, %ecx       /* EFER.LME */
        rdmsr
        or      $0x100, %eax
        wrmsr
        mov     %cr0, %eax
        or      $0x80010001, %eax       /* PG, WP, PE */
        mov     %eax, %cr0
        ljmp    $0x18, $(NATIVE_TRAMPOLINE + tr_64 - ap_trampoline)
        .code64
tr_64:
        movabs  $ap_start_high, %rax
        jmp     *%rax
        .balign 8
tr_gdt:
        .quad   0
        .quad   0x00cf9a000000ffff      /* 0x08: 32-bit code */
        .quad   0x00cf92000000ffff      /* 0x10: data */
        .quad   0x00af9a000000ffff      /* 0x18: 64-bit code */
tr_gdt_desc:
        .word   tr_gdt_desc - tr_gdt - 1
        .long   NATIVE_TRAMPOLINE + tr_gdt - ap_trampoline
ap_trampoline_end:

/* In the image, on the boot tables: the kernel's tables and the CPU's idle stack (smp.c sets both). */
        .text
ap_start_high:
        mov     ap_boot_cr3(%rip), %rax
        mov     %rax, %cr3
        mov     ap_boot_stack(%rip), %rsp
        xor     %ebp, %ebp
        call    native_ap_start
        ud2

        .section .bss.page_aligned, "aw", @nobits
        .balign STACK_SIZE
        .globl  boot_stack, boot_stack_top
boot_stack:
        .skip   STACK_SIZE
boot_stack_top:

        .section .note.GNU-stack, "", @progbits
