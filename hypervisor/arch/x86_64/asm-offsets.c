/* Turned into asm-offsets.h at build time so entry code never hard-codes offsets. */
#include <stddef.h>
#include <asm/current.h>

#define OFFSET(sym, str, mem) \
    __asm__ volatile("\n.ascii \"==>#define " #sym " %0 /* " #str "." #mem " */<==\"" :: "i"(offsetof(struct str, mem)))
#define DEFINE(sym, val) \
    __asm__ volatile("\n.ascii \"==>#define " #sym " %0<==\"" :: "i"(val))

void asm_offsets(void);
void asm_offsets(void)
{
    OFFSET(UREGS_r15, cpu_regs, r15);
    OFFSET(UREGS_rdi, cpu_regs, rdi);
    OFFSET(UREGS_error_code, cpu_regs, error_code);
    OFFSET(UREGS_entry_vector, cpu_regs, entry_vector);
    OFFSET(UREGS_rip, cpu_regs, rip);
    OFFSET(UREGS_cs, cpu_regs, cs);
    DEFINE(UREGS_size, sizeof(struct cpu_regs));
    OFFSET(CPUINFO_syscall_scratch, cpu_info, syscall_scratch);
    OFFSET(CPUINFO_guest_frame_end, cpu_info, guest_frame_end);
    DEFINE(CPUINFO_sizeof, sizeof(struct cpu_info));
}
