/*
 * Start of day for a test guest: the Xen ELF notes that let a PV builder
 * (ours or Xen's) load us, the hypercall page it fills in, and the entry
 * point. Xen's start-of-day state: RSI = start_info VA, RSP = a boot stack
 * inside the initial mapping; we switch to our own stack straight away.
 */
#include <lib/pv_elfnote.h>

ELFNOTE(XEN_ELFNOTE_GUEST_OS,       .asciz, "hvtest")
ELFNOTE(XEN_ELFNOTE_GUEST_VERSION,  .asciz, "1")
ELFNOTE(XEN_ELFNOTE_XEN_VERSION,    .asciz, "xen-3.0")
ELFNOTE(XEN_ELFNOTE_LOADER,         .asciz, "generic")
ELFNOTE(XEN_ELFNOTE_VIRT_BASE,      .quad,  GUEST_VIRT_BASE)
ELFNOTE(XEN_ELFNOTE_PADDR_OFFSET,   .quad,  0)
ELFNOTE(XEN_ELFNOTE_ENTRY,          .quad,  _start)
ELFNOTE(XEN_ELFNOTE_HYPERCALL_PAGE, .quad,  hypercall_page)
ELFNOTE(XEN_ELFNOTE_FEATURES,       .asciz, "pae_pgdir_above_4gb")
ELFNOTE(XEN_ELFNOTE_SUPPORTED_FEATURES, .long, (1 << 11)) /* XENFEAT_dom0: may boot as dom0 */
ELFNOTE(XEN_ELFNOTE_PAE_MODE,       .asciz, "yes")

        .text
        .globl  _start
_start:
        cld
        lea     boot_stack_top(%rip), %rsp
        xor     %ebp, %ebp
        mov     %rsi, %rdi              /* start_info */
        call    guest_start
1:      ud2
        jmp     1b

        .section .text.hypercall_page, "ax", @progbits
        .balign 4096
        .globl  hypercall_page
hypercall_page:
        .fill   4096, 1, 0xcc           /* the builder writes the stubs here */

        .bss
        .balign 4096
boot_stack:
        .skip   16384
boot_stack_top:

        .section .note.GNU-stack, "", @progbits
