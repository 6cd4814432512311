/* Test-guest SMP: secondary vCPUs, their stacks and jobs, locks and bounded waits. */
#include "smp.h"
#include <public/errno.h>
#include <public/vcpu.h>
#include "events.h"
#include "exceptions.h"
#include "guest.h"
#include "hypercall.h"
#include "mm.h"

/* Stack n belongs to vCPU n; vCPU 0 runs on head.S's boot stack instead. */
static uint8_t smp_stacks[SMP_MAX_VCPUS][SMP_STACK_SIZE] __attribute__((aligned(PAGE_SIZE)));

struct smp_slot {
    smp_job_fn fn;
    void *arg;
    volatile uint32_t posted;       /* jobs given (primary writes) */
    volatile uint32_t finished;     /* jobs done (the vCPU writes) */
    bool initialised;
};
static struct smp_slot slots[SMP_MAX_VCPUS];

#define RFLAGS_RESERVED 0x2ull
#define RFLAGS_IF       0x200ull

unsigned int smp_this_vcpu(void)
{
    uint64_t sp = (uint64_t)__builtin_frame_address(0), base = (uint64_t)smp_stacks;
    if (sp < base || sp >= base + sizeof(smp_stacks))
        return 0;
    return (unsigned int)((sp - base) / SMP_STACK_SIZE);
}

int64_t vcpu_op(unsigned int cmd, unsigned int vcpu, void *arg)
{
    return hypercall3(__HYPERVISOR_vcpu_op, cmd, vcpu, arg);
}

/* A secondary's life: its own trap table, then one job per VCPUOP_up. */
__attribute__((noreturn)) static void smp_secondary(unsigned int vcpu)
{
    struct smp_slot *s = &slots[vcpu];
    if (exceptions_install()) {
        printk("# vCPU %u: set_trap_table failed\n", vcpu);
        guest_shutdown(SHUTDOWN_crash);
    }
    for (;;) {
        uint32_t job = atomic_read(&s->posted);
        s->fn(s->arg);
        atomic_set(&s->finished, job);
        vcpu_op(VCPUOP_down, vcpu, NULL);
    }
}

void smp_good_context(struct vcpu_guest_context *c, unsigned int vcpu)
{
    memset(c, 0, sizeof(*c));
    c->flags = VGCF_in_kernel;
    c->user_regs.rip = (uint64_t)smp_secondary;
    c->user_regs.rdi = vcpu;
    /* As if called: a C function expects RSP + 8 to be 16-byte aligned. */
    c->user_regs.rsp = (uint64_t)smp_stacks[vcpu] + SMP_STACK_SIZE - 8;
    c->user_regs.cs = FLAT_KERNEL_CS;
    c->user_regs.ss = FLAT_KERNEL_SS;
    c->user_regs.rflags = RFLAGS_RESERVED | RFLAGS_IF;
    c->kernel_ss = FLAT_KERNEL_SS;
    c->kernel_sp = c->user_regs.rsp;
    c->ctrlreg[3] = xen_pfn_to_cr3(virt_to_mfn((void *)start_info->pt_base));
    c->event_callback_eip = (uint64_t)event_entry;
}

int64_t smp_initialise(unsigned int vcpu, const struct vcpu_guest_context *c)
{
    if (vcpu == 0 || vcpu >= SMP_MAX_VCPUS)
        return -XEN_EINVAL;
    int64_t rc = vcpu_op(VCPUOP_initialise, vcpu, (void *)c);
    if (!rc)
        slots[vcpu].initialised = true;
    return rc;
}

unsigned int smp_nr_vcpus(void)
{
    unsigned int n = 1;
    while (n < SMP_MAX_VCPUS && vcpu_op(VCPUOP_is_up, n, NULL) >= 0)
        n++;
    return n;
}

int64_t smp_run(unsigned int vcpu, smp_job_fn fn, void *arg)
{
    if (vcpu == 0 || vcpu >= SMP_MAX_VCPUS)
        return -XEN_EINVAL;
    struct smp_slot *s = &slots[vcpu];
    if (!s->initialised) {
        static struct vcpu_guest_context ctx;
        smp_good_context(&ctx, vcpu);
        int64_t rc = smp_initialise(vcpu, &ctx);
        if (rc)
            return rc;
    } else {
        /* Its last job is finished only once it is down: an up now would be lost. */
        if (!smp_wait_down(vcpu))
            return -XEN_ETIMEDOUT;
    }
    s->fn = fn;
    s->arg = arg;
    atomic_inc(&s->posted);
    return vcpu_op(VCPUOP_up, vcpu, NULL);
}

bool smp_join(unsigned int vcpu)
{
    return vcpu < SMP_MAX_VCPUS && smp_wait_eq(&slots[vcpu].finished, slots[vcpu].posted);
}

unsigned int smp_jobs_done(unsigned int vcpu)
{
    return atomic_read(&slots[vcpu].finished);
}

bool smp_wait_until(bool (*done)(const void *arg), const void *arg)
{
    uint64_t deadline = pvclock_now() + SMP_WAIT_NS;
    for (;;) {
        if (done(arg))
            return true;
        if (pvclock_now() >= deadline)
            return false;
        hyp_sched_op(SCHEDOP_yield, NULL);
    }
}

struct word_want {
    const volatile uint32_t *p;
    uint32_t want;
};
static bool word_is(const void *arg)
{
    const struct word_want *w = arg;
    return atomic_read(w->p) == w->want;
}
static bool word_reaches(const void *arg)
{
    const struct word_want *w = arg;
    return atomic_read(w->p) >= w->want;
}
static bool vcpu_is_down(const void *arg)
{
    return vcpu_op(VCPUOP_is_up, *(const unsigned int *)arg, NULL) == 0;
}

bool smp_wait_eq(const volatile uint32_t *p, uint32_t want)
{
    return smp_wait_until(word_is, &(struct word_want){ p, want });
}

bool smp_wait_ge(const volatile uint32_t *p, uint32_t want)
{
    return smp_wait_until(word_reaches, &(struct word_want){ p, want });
}

bool smp_wait_down(unsigned int vcpu)
{
    return smp_wait_until(vcpu_is_down, &vcpu);
}

/* Spins a while, then yields: the holder may be a vCPU waiting for our physical CPU. */
#define SPINS_BEFORE_YIELD 256

void spin_lock(spinlock_t *l)
{
    unsigned int spins = 0;
    while (__atomic_exchange_n(&l->held, 1, __ATOMIC_ACQUIRE)) {
        while (atomic_read(&l->held)) {
            __builtin_ia32_pause();
            if (++spins % SPINS_BEFORE_YIELD == 0)
                hyp_sched_op(SCHEDOP_yield, NULL);
        }
    }
}
