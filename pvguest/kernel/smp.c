/*
 * Bringing up the other CPUs: each gets an idle thread whose stack it boots
 * on, starts through pv_ops.smp (native: INIT-SIPI-SIPI; PV: VCPUOP_initialise
 * and VCPUOP_up), sets up its timer and goes idle, taking threads from the
 * shared run queue. Boot option smp=N caps the CPUs used (default: all the
 * machine gives, up to MAX_CPUS). A CPU that does not start is reported and
 * the kernel runs on those that did.
 */
#include <cmdline.h>
#include <mm.h>
#include <sched.h>

#define CPU_ONLINE_TIMEOUT_NS (5 * NSEC_PER_SEC)

static unsigned int max_cpus = MAX_CPUS;

static bool set_smp(const char *v)
{
    uint64_t n;
    if (!v || !cmdline_number(v, &n) || n < 1)
        return false;
    max_cpus = (unsigned int)MIN(n, (uint64_t)MAX_CPUS);
    return true;
}
KERNEL_OPTION("smp", set_smp);

void *stack_alloc(struct thread *t)
{
    void *s = vm_alloc_aligned(STACK_PAGES, VM_EAGER, STACK_SIZE);
    if (s)
        *(struct thread **)s = t;
    return s;
}

void stack_free(void *stack) { vm_free(stack); }

/* A secondary CPU's first C code: on its idle thread's stack, interrupts off. */
static void secondary_start(void)
{
    struct cpu *c = this_cpu();
    pv_ops.time->init_cpu();
    timer_cpu_init();
    __atomic_store_n(&c->online, true, __ATOMIC_RELEASE);
    sched_cpu_idle();
}

void smp_init(void)
{
    unsigned int given = pv_ops.smp->nr_possible(), want = MIN(given, max_cpus);
    for (unsigned int i = 1; i < want; i++) {
        struct cpu *c = &cpus[i];
        struct thread *idle = sched_idle_thread(c);
        if (!idle) {
            printk("pvguest: smp: out of memory for CPU %u's idle thread\n", i);
            break;
        }
        int rc = pv_ops.smp->start_cpu(i, (uintptr_t)idle->stack + STACK_SIZE, secondary_start);
        if (rc) {
            printk("pvguest: smp: CPU %u did not start (%d)\n", i, rc);
            stack_free(idle->stack);
            kfree(idle);
            break;
        }
        uint64_t deadline = clock_ns() + CPU_ONLINE_TIMEOUT_NS;
        while (!__atomic_load_n(&c->online, __ATOMIC_ACQUIRE) && clock_ns() < deadline)
            cpu_relax();
        if (!c->online)
            panic("smp: CPU %u started but did not come online in %llu s", i,
                  (unsigned long long)(CPU_ONLINE_TIMEOUT_NS / NSEC_PER_SEC));
        __atomic_store_n(&nr_cpus_online, i + 1, __ATOMIC_RELEASE);
    }
    printk("pvguest: smp: %u CPU(s) given, %u used%s; running on %u CPU(s)\n", given, want,
           want < given ? " (smp= option)" : "", nr_cpus_online);
    sched_smp_ready();
}
