/*
 * Per-CPU state found from the stack: every CPU runs on its own block of
 * STACK_SIZE bytes, aligned to its size, with its IST stacks at the bottom
 * and a struct cpu_info at the very top. Rounding %rsp up to the block's
 * end therefore finds the CPU's cpu_info from any hypervisor context, the
 * IST handlers included, without a register or a lookup.
 *
 *   top of block  +-------------------------+
 *                 | cpu_info (rest)         |  current vCPU, CPU id, SYSCALL scratch
 *                 | cpu_info.guest_regs     |  the interrupted guest's frame; TSS.rsp0
 *                 +-------------------------+  points just above it
 *                 | main stack (grows down) |
 *                 | IST stacks (NMI, #DF, #MC)
 *   block start   +-------------------------+
 */
#ifndef ASM_CURRENT_H
#define ASM_CURRENT_H

#include <asm/config.h>
#include <asm/regs.h>

#ifndef __ASSEMBLY__
#include <stdbool.h>
#include <stdint.h>

struct vcpu;

struct cpu_info {
    struct cpu_regs guest_regs;     /* frame of the guest this CPU entered from (top of the stack) */
    struct vcpu *current_vcpu;      /* whose state is live on this CPU; NULL while none has run */
    unsigned int cpu_id;            /* logical CPU number, 0 = the boot CPU */
    volatile bool need_resched;     /* the scheduler's (hv/sched.h), here beside current for the exit path */
    uint8_t _pad[3];
    uint64_t syscall_scratch;       /* SYSCALL entry parks the guest's %rsp here */
    uint64_t guest_frame_end;       /* &guest_regs + 1: where SYSCALL entry builds its frame */
};
/* The CPU aligns %rsp to 16 before pushing an interrupt frame: the frame must land exactly in guest_regs. */
_Static_assert((sizeof(struct cpu_info) - sizeof(struct cpu_regs)) % 16 == 0, "guest frame end 16-aligned");

static inline struct cpu_info *get_cpu_info(void)
{
    uint64_t sp;
    __asm__("mov %%rsp, %0" : "=r"(sp));
    return (struct cpu_info *)((sp | (STACK_SIZE - 1)) + 1 - sizeof(struct cpu_info));
}

/* The CPU's cpu_info, given the base of its stack block. */
static inline struct cpu_info *stack_cpu_info(void *stack_base)
{
    return (struct cpu_info *)((uint8_t *)stack_base + STACK_SIZE) - 1;
}

/* Each CPU's stack block (desc.c), set as it comes up. */
extern uint8_t *cpu_stack_base[NR_CPUS];

/*
 * A CPU's need_resched flag (hv/sched.h): in its cpu_info, so that every
 * return to a guest reads it with current from the one stack-derived pointer.
 */
static inline volatile bool *arch_need_resched(unsigned int cpu)
{
    return &stack_cpu_info(cpu_stack_base[cpu])->need_resched;
}
static inline volatile bool *arch_this_need_resched(void)
{
    return &get_cpu_info()->need_resched;
}

#define current             (get_cpu_info()->current_vcpu)
#define smp_processor_id()  (get_cpu_info()->cpu_id)

/* The frame of the guest this CPU entered from: its registers while the hypervisor runs for it. */
static inline struct cpu_regs *guest_regs(void)
{
    return &get_cpu_info()->guest_regs;
}

#endif /* __ASSEMBLY__ */
#endif
