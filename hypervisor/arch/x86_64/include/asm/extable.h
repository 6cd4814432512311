/* Exception fix-ups: an instruction allowed to fault, and where to resume if it does. */
#ifndef ASM_EXTABLE_H
#define ASM_EXTABLE_H

#include <stdint.h>

/* Both offsets are relative to the field itself, so the table needs no relocation. */
struct exception_entry {
    int32_t insn;
    int32_t fixup;
};

#define _ASM_EXTABLE(from, to)                          \
    ".pushsection .ex_table, \"a\"\n"                   \
    ".balign 4\n"                                       \
    ".long (" #from ") - .\n"                           \
    ".long (" #to ") - .\n"                             \
    ".popsection\n"

/* The last fault that a fix-up absorbed: what the instruction hit. */
struct fixed_fault {
    uint32_t vector;
    uint32_t error_code;
    uint64_t cr2;
    uint64_t rip;
    uint64_t rsp;       /* where the handler's frame was: tells IST use */
};
extern struct fixed_fault last_fixed_fault;

#endif
