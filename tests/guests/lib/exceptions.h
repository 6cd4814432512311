/* Catching exceptions in test guests: install handlers, expect a fault, read what happened. */
#ifndef GUEST_EXCEPTIONS_H
#define GUEST_EXCEPTIONS_H

#include <stdint.h>

/* What do_exception() saw last. */
struct exc_record {
    uint64_t vector;        /* ~0 when nothing was caught */
    uint64_t error_code;
    uint64_t rip;           /* where it happened */
    uint64_t cs;            /* as the frame showed it (upcall mask in bits 32-39) */
    uint64_t rflags;
    uint64_t count;         /* exceptions caught so far */
};
extern volatile struct exc_record last_exc;

/* Where to resume after the next exception (0: an exception is a test failure). */
extern volatile uint64_t exc_resume;

/* Event upcalls (event callback = event_entry) call this with events masked. */
extern void (*event_upcall_handler)(void);
/* The RIP the upcall being handled interrupted (set before the handler runs). */
extern volatile uint64_t upcall_rip;
extern char event_entry[];

/* Installs handlers for the CPU exceptions (DPL 0) plus 0x20 (DPL 3) and 0x21 (DPL 0). */
int64_t exceptions_install(void);

/*
 * Runs the instruction(s) in asm text `insn`, expecting a fault; execution
 * resumes right after them either way. Resets last_exc first.
 */
#define TRY_INSN(insn, ...)                                                 \
    do {                                                                    \
        last_exc.vector = ~0ull;                                            \
        __asm__ volatile("lea 1f(%%rip), %%rax\n\t"                         \
                         "mov %%rax, exc_resume(%%rip)\n\t"                 \
                         insn "\n"                                          \
                         "1:\n\t"                                           \
                         "movq $0, exc_resume(%%rip)"                       \
                         :: __VA_ARGS__ : "rax", "rcx", "rdx", "memory");   \
    } while (0)

#endif
