/*
 * PV start of day: the Xen ELF notes that let a PV domain builder (ours or
 * Xen's) load us, the hypercall page it fills in, and the entry point. The
 * builder starts us with RSI = start_info and RSP inside its boot stack;
 * we move to our own stack at once.
 */
#include <lib/pv_elfnote.h>
#include <asm/layout.h>

ELFNOTE(XEN_ELFNOTE_GUEST_OS,       .asciz, "pvguest")
ELFNOTE(XEN_ELFNOTE_GUEST_VERSION,  .asciz, "1")
ELFNOTE(XEN_ELFNOTE_XEN_VERSION,    .asciz, "xen-3.0")
ELFNOTE(XEN_ELFNOTE_LOADER,         .asciz, "generic")
ELFNOTE(XEN_ELFNOTE_VIRT_BASE,      .quad,  0xffffffff80000000)
ELFNOTE(XEN_ELFNOTE_PADDR_OFFSET,   .quad,  0)
ELFNOTE(XEN_ELFNOTE_ENTRY,          .quad,  xen_entry)
ELFNOTE(XEN_ELFNOTE_HYPERCALL_PAGE, .quad,  hypercall_page)
ELFNOTE(XEN_ELFNOTE_FEATURES,       .asciz, "writable_page_tables|pae_pgdir_above_4gb")  /* pt_write=direct */
ELFNOTE(XEN_ELFNOTE_SUPPORTED_FEATURES, .long, (1 << 11))  /* XENFEAT_dom0: may boot as dom0 */
ELFNOTE(XEN_ELFNOTE_PAE_MODE,       .asciz, "yes")

        .text
        .globl  xen_entry
xen_entry:
        cld
        lea     xen_boot_stack_top(%rip), %rsp
        movabs  $boot_thread, %rax      /* the stack's head names its thread (asm/layout.h) */
        mov     %rax, xen_boot_stack(%rip)
        xor     %ebp, %ebp
        mov     %rsi, %rdi
        call    xen_start
1:      ud2
        jmp     1b

        .section .text.hypercall_page, "ax", @progbits
        .balign 4096
        .globl  hypercall_page
hypercall_page:
        .fill   4096, 1, 0xcc           /* the builder writes the stubs here */

        .section .bss.page_aligned, "aw", @nobits
        .balign STACK_SIZE
        .globl  xen_boot_stack_top
xen_boot_stack:
        .skip   STACK_SIZE
xen_boot_stack_top:

        .section .note.GNU-stack, "", @progbits
