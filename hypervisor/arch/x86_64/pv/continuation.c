/* Hypercall continuations for PV guests: rewind RIP onto the SYSCALL with new arguments. */
#include <hv/continuation.h>
#include <hv/domain.h>
#include <hv/sched.h>
#include <asm/pv.h>

bool in_multicall;
bool in_hypercall;
struct multicall_continuation mc_continuation;

/* Only a guest's hypercall can be continued; the builder and boot code run to the end. */
bool hypercall_preempt_check(void)
{
    return in_hypercall && sched_should_preempt();
}

int64_t hypercall_continue(uint64_t nr, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5)
{
    if (in_multicall) {
        /* A call inside a multicall: the multicall rewrites its entry and continues from there. */
        mc_continuation = (struct multicall_continuation){ true, nr, { a1, a2, a3, a4, a5 } };
        return 0;
    }
    struct cpu_regs *regs = guest_regs();
    regs->rdi = a1;
    regs->rsi = a2;
    regs->rdx = a3;
    regs->r10 = a4;
    regs->r8 = a5;
    regs->rip -= 2;                         /* back onto the syscall instruction of the stub */
    current->domain->continuations++;
    return (int64_t)nr;                     /* becomes rax: the hypercall number again */
}
