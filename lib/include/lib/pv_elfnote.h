/*
 * Guest side, assembly only: ELFNOTE(type, kind, desc) emits one Xen ELF note
 * (name "Xen", 4-byte aligned name and descriptor) into .note.Xen, where a PV
 * domain builder (ours or Xen's) looks for the entry point, virt base,
 * hypercall page and features. kind is the directive for desc (.asciz, .quad,
 * .long). Note types come from hypercall-abi's public/elfnote.h.
 */
#ifndef LIB_PV_ELFNOTE_H
#define LIB_PV_ELFNOTE_H

#include <public/elfnote.h>

#define ELFNOTE(type, kind, desc)                   \
        .pushsection .note.Xen, "a", @note;         \
        .balign 4;                                  \
        .long 2f - 1f;                              \
        .long 4f - 3f;                              \
        .long type;                                 \
1:      .asciz "Xen";                               \
2:      .balign 4;                                  \
3:      kind desc;                                  \
4:      .balign 4;                                  \
        .popsection

#endif /* LIB_PV_ELFNOTE_H */
