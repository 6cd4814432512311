/*
 * Threads and the scheduler: round robin over one run queue shared by every
 * CPU, a 10 ms slice per CPU, preemption at the end of interrupts, an idle
 * thread per CPU that halts. sched_lock guards the run queue, every wait
 * queue and every thread's state; it is held across a switch and released
 * by the thread switched to (or by thread_start() in a new one), so no other
 * CPU can pick a thread whose stack is still in use. Invariants: a running
 * thread is on no list; a READY thread is on the run queue; a BLOCKED thread
 * is on at most one wait queue (waiting_on); idle threads are never queued.
 */
#include <mm.h>
#include <pagetable.h>
#include <sched.h>

struct cpu cpus[MAX_CPUS];
unsigned int nr_cpus_online = 1;
uint64_t sched_switches;

/* The boot thread runs the self-tests on CPU 0: its counters are that CPU's. The boot stacks' heads name it. */
struct thread boot_thread = { .cpu = &cpus[0], .pinned = 0 };

static spinlock_t sched_lock = SPINLOCK_INIT;
static struct list_head runq = LIST_HEAD_INIT(runq);
static int resched_ipi = -1;

void arch_switch(uint64_t *prev_sp, uint64_t next_sp);     /* switch.S */
extern char thread_entry[];                                 /* switch.S: calls thread_start(r12, r13) */

unsigned long sched_lock_irqsave(void) { return spin_lock_irqsave(&sched_lock); }
void sched_unlock_irqrestore(unsigned long f) { spin_unlock_irqrestore(&sched_lock, f); }

void preempt_disable(void)
{
    current->preempt_cnt++;
    barrier();
}

void preempt_enable(void)
{
    struct thread *t = current;
    barrier();
    BUG_ON(t->preempt_cnt == 0);
    if (--t->preempt_cnt == 0 && READ_ONCE(this_cpu()->need_resched) && irqs_enabled())
        thread_yield();
}

unsigned int preempt_count(void) { return current->preempt_cnt; }

static bool may_run_on(const struct thread *t, const struct cpu *c)
{
    return t->pinned == CPU_ANY || t->pinned == (int)c->id;
}

static struct thread *pick_next(const struct cpu *c)
{
    list_for_each(p, &runq) {
        struct thread *t = list_entry(p, struct thread, run_node);
        if (may_run_on(t, c))
            return t;
    }
    return NULL;
}

/*
 * With sched_lock held and interrupts off: runs the next ready thread this
 * CPU may run (or its idle thread), requeueing current if it still runs.
 * Returns, with sched_lock held, when current is switched back to.
 */
static void schedule(void)
{
    struct cpu *c = this_cpu();
    struct thread *prev = current, *next;

    BUG_ON(irqs_enabled());
    c->need_resched = false;
    if (prev->state == THREAD_RUNNING && prev != c->idle) {
        prev->state = THREAD_READY;
        list_add_tail(&prev->run_node, &runq);
    }
    next = pick_next(c);
    if (next)
        list_del(&next->run_node);
    else
        next = c->idle;
    next->state = THREAD_RUNNING;
    if (next == prev)
        return;
    next->cpu = c;
    c->running = next;
    if (next != c->idle && !c->slice_timer.armed)
        timer_arm(&c->slice_timer, clock_ns() + SCHED_SLICE_NS);
    if (prev->fs_base != next->fs_base)
        pv_ops.cpu->set_fs_base(next->fs_base);
    if (prev->gs_base != next->gs_base)
        pv_ops.cpu->set_gs_base(next->gs_base);
    if (next->root_pfn != c->loaded_root) {
        pv_ops.mmu->switch_root(next->root_pfn);
        c->loaded_root = next->root_pfn;
    }
    sched_switches++;
    next->switches_in++;
    arch_switch(&prev->sp, next->sp);
}

/*
 * With sched_lock held: t was made ready; get a CPU to run it. An idle CPU
 * that may run it gets a reschedule IPI; else, if preempt is set, a CPU it
 * may run on reschedules at its next interrupt's end (this one, or the one
 * t is pinned to, which gets an IPI).
 */
static void kick(struct thread *t, bool preempt)
{
    struct cpu *me = this_cpu();
    for (unsigned int i = 0; i < nr_cpus_online; i++) {
        struct cpu *c = &cpus[i];
        if (c == me || !may_run_on(t, c) || c->running != c->idle || c->need_resched)
            continue;
        if (resched_ipi >= 0) {
            c->need_resched = true;
            pv_ops.irq->notify_cpu(resched_ipi, i);
            return;
        }
    }
    if (!preempt)
        return;
    if (may_run_on(t, me)) {
        me->need_resched = true;
    } else if (resched_ipi >= 0) {
        cpus[t->pinned].need_resched = true;
        pv_ops.irq->notify_cpu(resched_ipi, (unsigned int)t->pinned);
    }
}

static void resched_interrupt(void *arg)
{
    (void)arg;
    struct cpu *c = this_cpu();
    c->ipis++;
    c->need_resched = true;
}

/* Handler of each CPU's slice timer (it fires on that CPU). */
static void slice_expired(struct timer *t)
{
    struct cpu *c = t->data;
    spin_lock(&sched_lock);
    if (pick_next(c))
        c->need_resched = true;
    bool busy = c->running != c->idle;
    spin_unlock(&sched_lock);
    if (busy)
        timer_arm(&c->slice_timer, clock_ns() + SCHED_SLICE_NS);
}

void irq_exit(bool irqs_were_on)
{
    if (this_cpu()->need_resched && irqs_were_on && current->preempt_cnt == 0) {
        spin_lock(&sched_lock);
        schedule();
        spin_unlock(&sched_lock);
    }
}

void thread_yield(void)
{
    unsigned long f = sched_lock_irqsave();
    schedule();
    sched_unlock_irqrestore(f);
}

void thread_block(void)
{
    BUG_ON(current->preempt_cnt);        /* e.g. sleeping inside lazy-MMU mode */
    current->state = THREAD_BLOCKED;
    schedule();
}

void thread_wake_locked(struct thread *t)
{
    if (t->state != THREAD_BLOCKED)
        return;
    if (t->waiting_on) {
        list_del(&t->run_node);
        t->waiting_on = NULL;
    }
    t->state = THREAD_READY;
    list_add_tail(&t->run_node, &runq);
    kick(t, true);
}

void thread_wake(struct thread *t)
{
    unsigned long f = sched_lock_irqsave();
    thread_wake_locked(t);
    sched_unlock_irqrestore(f);
}

/*
 * Ends a sleep or a wait with a deadline. It may fire for a wait that has
 * already ended (cancelling never waits under sched_lock): it acts only while
 * its thread is blocked on a deadline that has passed.
 */
static void wakeup_timer_fn(struct timer *t)
{
    struct thread *th = t->data;
    spin_lock(&sched_lock);
    if (th->state == THREAD_BLOCKED && th->wait_deadline && clock_ns() >= th->wait_deadline) {
        th->timed_out = true;
        thread_wake_locked(th);
    }
    spin_unlock(&sched_lock);
}

void thread_sleep_until(uint64_t deadline)
{
    struct thread *me = current;
    unsigned long f = sched_lock_irqsave();
    while (clock_ns() < deadline) {
        me->wait_deadline = deadline;
        timer_arm(&me->wakeup, deadline);
        thread_block();
    }
    me->wait_deadline = 0;
    sched_unlock_irqrestore(f);
}

void thread_sleep_ns(uint64_t ns) { thread_sleep_until(clock_ns() + ns); }

void thread_set_fs_base(uint64_t base)
{
    unsigned long f = irq_save();
    current->fs_base = base;
    pv_ops.cpu->set_fs_base(base);
    irq_restore(f);
}

void thread_set_gs_base(uint64_t base)
{
    unsigned long f = irq_save();
    current->gs_base = base;
    pv_ops.cpu->set_gs_base(base);
    irq_restore(f);
}

void thread_set_root(uint64_t root_pfn)
{
    unsigned long f = irq_save();
    current->root_pfn = root_pfn;
    this_cpu()->loaded_root = root_pfn;
    pv_ops.mmu->switch_root(root_pfn);
    irq_restore(f);
}

/* A new thread's first instructions: schedule() switched here holding sched_lock. */
void thread_start(void (*fn)(void *), void *arg);
void thread_start(void (*fn)(void *), void *arg)
{
    spin_unlock(&sched_lock);
    irq_enable();
    fn(arg);
    thread_exit();
}

static void thread_setup(struct thread *t, const char *name, int pinned)
{
    str_copy(t->name, name, sizeof(t->name));
    list_init(&t->run_node);
    wq_init(&t->exited);
    timer_init(&t->wakeup, wakeup_timer_fn, t);
    t->pinned = pinned;
    t->root_pfn = kernel_root_pfn;
}

static struct thread *thread_new(const char *name, void (*fn)(void *), void *arg, int pinned)
{
    struct thread *t = kzalloc(sizeof(*t));
    if (!t)
        return NULL;
    t->stack = stack_alloc(t);
    if (!t->stack) {
        kfree(t);
        printk("pvguest: sched: out of memory for the stack of thread %s\n", name);
        return NULL;
    }
    thread_setup(t, name, pinned);
    t->cpu = &cpus[pinned == CPU_ANY ? 0 : pinned];
    t->fn = fn;
    t->arg = arg;
    /* What arch_switch pops: r15, r14, r13, r12, rbx, rbp, then it returns to thread_entry. */
    uint64_t *sp = (uint64_t *)((char *)t->stack + STACK_SIZE);
    *--sp = (uint64_t)thread_entry;
    for (int i = 0; i < 6; i++)
        *--sp = 0;
    sp[3] = (uint64_t)fn;               /* r12 */
    sp[2] = (uint64_t)arg;              /* r13 */
    t->sp = (uint64_t)sp;
    return t;
}

struct thread *thread_create_on(const char *name, void (*fn)(void *), void *arg, int cpu)
{
    BUG_ON(cpu != CPU_ANY && (cpu < 0 || cpu >= (int)nr_cpus_online));
    struct thread *t = thread_new(name, fn, arg, cpu);
    if (!t)
        return NULL;
    unsigned long f = sched_lock_irqsave();
    t->state = THREAD_READY;
    list_add_tail(&t->run_node, &runq);
    kick(t, false);
    sched_unlock_irqrestore(f);
    return t;
}

struct thread *thread_create(const char *name, void (*fn)(void *), void *arg)
{
    return thread_create_on(name, fn, arg, CPU_ANY);
}

__noreturn void thread_exit(void)
{
    struct thread *me = current;
    irq_disable();
    spin_lock(&sched_lock);
    me->state = THREAD_DEAD;
    wake_up_all_locked(&me->exited);
    schedule();
    panic("sched: a dead thread was scheduled");
}

void thread_join(struct thread *t)
{
    BUG_ON(t == current);
    wait_event(&t->exited, t->state == THREAD_DEAD);
    timer_cancel(&t->wakeup);           /* a stale expiry may still be running elsewhere */
    stack_free(t->stack);
    kfree(t);
}

static __noreturn void idle_loop(void)
{
    struct cpu *c = this_cpu();         /* idle threads are pinned */
    for (;;) {
        unsigned long f = sched_lock_irqsave();
        (void)f;
        if (pick_next(c)) {
            schedule();
            spin_unlock(&sched_lock);
            irq_enable();
            continue;
        }
        c->need_resched = false;        /* a kick whose thread another CPU took: kick us again */
        spin_unlock(&sched_lock);
        pv_ops.cpu->safe_halt();        /* returns with interrupts on, after one was handled */
    }
}

static void idle_entry(void *arg)
{
    (void)arg;
    idle_loop();
}

__noreturn void sched_cpu_idle(void) { idle_loop(); }

static void cpu_setup(struct cpu *c, unsigned int id)
{
    c->id = id;
    spin_init(&c->timer_lock);
    list_init(&c->timers);
    timer_init(&c->slice_timer, slice_expired, c);
    c->loaded_root = kernel_root_pfn;
}

struct thread *sched_idle_thread(struct cpu *c)
{
    unsigned int id = (unsigned int)(c - cpus);
    cpu_setup(c, id);
    struct thread *t = kzalloc(sizeof(*t));
    if (!t)
        return NULL;
    t->stack = stack_alloc(t);
    if (!t->stack) {
        kfree(t);
        return NULL;
    }
    thread_setup(t, "idle", (int)id);
    t->cpu = c;
    t->state = THREAD_RUNNING;          /* the CPU boots on its stack */
    c->idle = c->running = t;
    return t;
}

void sched_smp_ready(void)
{
    if (nr_cpus_online < 2)
        return;
    resched_ipi = pv_ops.irq->bind_ipi(resched_interrupt, NULL);
    if (resched_ipi < 0)
        panic("sched: cannot bind the reschedule IPI: %d", resched_ipi);
}

void sched_init(void)
{
    struct cpu *c = &cpus[0];
    cpu_setup(c, 0);
    thread_setup(&boot_thread, "main", 0);
    boot_thread.state = THREAD_RUNNING;
    c->running = &boot_thread;
    c->online = true;
    c->idle = thread_new("idle", idle_entry, NULL, 0);
    if (!c->idle)
        panic("sched: no memory for the idle thread");
    c->idle->state = THREAD_READY;      /* never on the run queue: chosen when it is empty */
}
