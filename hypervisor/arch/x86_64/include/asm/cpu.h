/* Thin wrappers for privileged x86-64 instructions. */
#ifndef ASM_CPU_H
#define ASM_CPU_H

#include <stdint.h>
#include <lib/x86.h>     /* port I/O, MSRs, rdtsc */

#define X86_EFLAGS_CF   (1u << 0)
#define X86_EFLAGS_TF   (1u << 8)
#define X86_EFLAGS_IF   (1u << 9)
#define X86_EFLAGS_DF   (1u << 10)
#define X86_EFLAGS_IOPL (3u << 12)
#define X86_EFLAGS_NT   (1u << 14)
#define X86_EFLAGS_RF   (1u << 16)
#define X86_EFLAGS_VM   (1u << 17)
#define X86_EFLAGS_AC   (1u << 18)

#define X86_CR0_PE      (1ul << 0)
#define X86_CR0_MP      (1ul << 1)
#define X86_CR0_TS      (1ul << 3)
#define X86_CR0_ET      (1ul << 4)
#define X86_CR0_NE      (1ul << 5)
#define X86_CR0_WP      (1ul << 16)
#define X86_CR0_AM      (1ul << 18)
#define X86_CR0_PG      (1ul << 31)
#define X86_CR4_TSD     (1ul << 2)
#define X86_CR4_DE      (1ul << 3)
#define X86_CR4_PAE     (1ul << 5)
#define X86_CR4_MCE     (1ul << 6)
#define X86_CR4_PGE     (1ul << 7)
#define X86_CR4_OSFXSR  (1ul << 9)
#define X86_CR4_OSXMMEXCPT (1ul << 10)
#define X86_CR4_FSGSBASE (1ul << 16)
#define X86_CR4_SMEP    (1ul << 20)

#define MSR_APIC_BASE   0x0000001bu
#define MSR_EFER        0xc0000080u
#define MSR_STAR        0xc0000081u
#define MSR_LSTAR       0xc0000082u
#define MSR_CSTAR       0xc0000083u
#define MSR_SFMASK      0xc0000084u
#define MSR_FS_BASE     0xc0000100u
#define MSR_GS_BASE     0xc0000101u
#define MSR_SHADOW_GS_BASE 0xc0000102u
#define MSR_TSC_AUX     0xc0000103u
#define EFER_SCE        (1ul << 0)
#define EFER_LME        (1ul << 8)
#define EFER_NXE        (1ul << 11)

static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
    __asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(sub));
}

#define DEFINE_CR(n)                                                            \
    static inline uint64_t read_cr##n(void)                                     \
    {                                                                           \
        uint64_t v;                                                             \
        __asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));                       \
        return v;                                                               \
    }                                                                           \
    static inline void write_cr##n(uint64_t v)                                  \
    {                                                                           \
        __asm__ volatile("mov %0, %%cr" #n :: "r"(v) : "memory");               \
    }
DEFINE_CR(0)
DEFINE_CR(2)
DEFINE_CR(3)
DEFINE_CR(4)
#undef DEFINE_CR

static inline void clts(void) { __asm__ volatile("clts" ::: "memory"); }
static inline void stts(void) { write_cr0(read_cr0() | X86_CR0_TS); }

static inline void invlpg(const void *va) { __asm__ volatile("invlpg (%0)" :: "r"(va) : "memory"); }

static inline void local_irq_enable(void) { __asm__ volatile("sti" ::: "memory"); }
static inline void local_irq_disable(void) { __asm__ volatile("cli" ::: "memory"); }
static inline uint64_t local_save_flags(void)
{
    uint64_t f;
    __asm__ volatile("pushfq; popq %0" : "=r"(f) :: "memory");
    return f;
}
static inline uint64_t local_irq_save(void)
{
    uint64_t f = local_save_flags();
    local_irq_disable();
    return f;
}
static inline void local_irq_restore(uint64_t f)
{
    if (f & X86_EFLAGS_IF)
        local_irq_enable();
}
static inline int local_irq_is_enabled(void) { return !!(local_save_flags() & X86_EFLAGS_IF); }

/* Wait for an interrupt with interrupts enabled for exactly the hlt. */
static inline void safe_halt(void) { __asm__ volatile("sti; hlt" ::: "memory"); }
static inline void cpu_relax(void) { __asm__ volatile("pause" ::: "memory"); }

#endif
