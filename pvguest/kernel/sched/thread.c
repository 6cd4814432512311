/*
 * Threads and the scheduler: round robin over one run queue with a 10 ms
 * slice, preemption at the end of interrupts, an idle thread that halts.
 * One CPU: interrupts off is the lock for every list here. Invariants: the
 * running thread is on no list; a READY thread is on the run queue; a
 * BLOCKED thread is on at most one wait queue (waiting_on).
 */
#include <mm.h>
#include <sched.h>

struct thread *current;
uint64_t sched_switches;
volatile bool need_resched;

static struct thread boot_thread, *idle;
static struct list_head runq = LIST_HEAD_INIT(runq);
static unsigned int preempt_cnt;
static struct timer slice_timer;

void arch_switch(uint64_t *prev_sp, uint64_t next_sp);     /* switch.S */
extern char thread_entry[];                                 /* switch.S: calls thread_start(r12, r13) */

void preempt_disable(void)
{
    preempt_cnt++;
    barrier();
}

void preempt_enable(void)
{
    barrier();
    BUG_ON(preempt_cnt == 0);
    if (--preempt_cnt == 0 && need_resched && irqs_enabled())
        thread_yield();
}

unsigned int preempt_count(void) { return preempt_cnt; }

/* With interrupts off: runs the next ready thread (or idle), requeueing current if it still runs. */
static void schedule(void)
{
    struct thread *prev = current, *next = idle;

    BUG_ON(irqs_enabled());
    need_resched = false;
    if (prev->state == THREAD_RUNNING && prev != idle) {
        prev->state = THREAD_READY;
        list_add_tail(&prev->run_node, &runq);
    }
    if (!list_empty(&runq)) {
        next = list_first_entry(&runq, struct thread, run_node);
        list_del(&next->run_node);
    }
    next->state = THREAD_RUNNING;
    if (next == prev)
        return;
    if (next != idle && !slice_timer.armed)
        timer_arm(&slice_timer, clock_ns() + SCHED_SLICE_NS);
    if (prev->fs_base != next->fs_base)
        pv_ops.cpu->set_fs_base(next->fs_base);
    if (prev->gs_base != next->gs_base)
        pv_ops.cpu->set_gs_base(next->gs_base);
    sched_switches++;
    next->switches_in++;
    current = next;
    arch_switch(&prev->sp, next->sp);
}

static void slice_expired(struct timer *t)
{
    (void)t;
    if (!list_empty(&runq))
        need_resched = true;
    if (current != idle)
        timer_arm(&slice_timer, clock_ns() + SCHED_SLICE_NS);
}

void irq_exit(bool irqs_were_on)
{
    if (need_resched && irqs_were_on && preempt_cnt == 0)
        schedule();
}

void thread_yield(void)
{
    unsigned long f = irq_save();
    schedule();
    irq_restore(f);
}

void thread_block(void)
{
    BUG_ON(preempt_cnt);                /* e.g. sleeping inside lazy-MMU mode */
    current->state = THREAD_BLOCKED;
    schedule();
}

void thread_wake(struct thread *t)
{
    if (t->state != THREAD_BLOCKED)
        return;
    if (t->waiting_on) {
        list_del(&t->run_node);
        t->waiting_on = NULL;
    }
    t->state = THREAD_READY;
    list_add_tail(&t->run_node, &runq);
    need_resched = true;
}

/* Ends a sleep or a wait with a deadline (thread_wake takes it off any wait queue). */
static void wakeup_timer_fn(struct timer *t)
{
    struct thread *th = t->data;
    th->timed_out = true;
    thread_wake(th);
}

void thread_sleep_until(uint64_t deadline)
{
    unsigned long f = irq_save();
    while (clock_ns() < deadline) {
        timer_arm(&current->wakeup, deadline);
        thread_block();
    }
    timer_cancel(&current->wakeup);
    irq_restore(f);
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

void thread_start(void (*fn)(void *), void *arg);
void thread_start(void (*fn)(void *), void *arg)
{
    irq_enable();
    fn(arg);
    thread_exit();
}

static void thread_setup(struct thread *t, const char *name)
{
    str_copy(t->name, name, sizeof(t->name));
    list_init(&t->run_node);
    wq_init(&t->exited);
    timer_init(&t->wakeup, wakeup_timer_fn, t);
}

static struct thread *thread_new(const char *name, void (*fn)(void *), void *arg)
{
    struct thread *t = kzalloc(sizeof(*t));
    if (!t)
        return NULL;
    t->stack = vm_alloc(THREAD_STACK_PAGES, VM_EAGER);
    if (!t->stack) {
        kfree(t);
        printk("pvguest: sched: out of memory for the stack of thread %s\n", name);
        return NULL;
    }
    thread_setup(t, name);
    t->fn = fn;
    t->arg = arg;
    /* What arch_switch pops: r15, r14, r13, r12, rbx, rbp, then it returns to thread_entry. */
    uint64_t *sp = (uint64_t *)((char *)t->stack + THREAD_STACK_PAGES * PAGE_SIZE);
    *--sp = (uint64_t)thread_entry;
    for (int i = 0; i < 6; i++)
        *--sp = 0;
    sp[3] = (uint64_t)fn;               /* r12 */
    sp[2] = (uint64_t)arg;              /* r13 */
    t->sp = (uint64_t)sp;
    return t;
}

struct thread *thread_create(const char *name, void (*fn)(void *), void *arg)
{
    struct thread *t = thread_new(name, fn, arg);
    if (!t)
        return NULL;
    unsigned long f = irq_save();
    t->state = THREAD_READY;
    list_add_tail(&t->run_node, &runq);
    irq_restore(f);
    return t;
}

__noreturn void thread_exit(void)
{
    irq_disable();
    current->state = THREAD_DEAD;
    wake_up_all(&current->exited);
    schedule();
    panic("sched: a dead thread was scheduled");
}

void thread_join(struct thread *t)
{
    BUG_ON(t == current);
    wait_event(&t->exited, t->state == THREAD_DEAD);
    vm_free(t->stack);
    kfree(t);
}

static void idle_loop(void *arg)
{
    (void)arg;
    for (;;) {
        irq_disable();
        if (!list_empty(&runq)) {
            schedule();
            irq_enable();
            continue;
        }
        pv_ops.cpu->safe_halt();         /* returns with interrupts on, after one was handled */
    }
}

void sched_init(void)
{
    thread_setup(&boot_thread, "main");
    boot_thread.state = THREAD_RUNNING;
    current = &boot_thread;
    timer_init(&slice_timer, slice_expired, NULL);
    idle = thread_new("idle", idle_loop, NULL);
    if (!idle)
        panic("sched: no memory for the idle thread");
    idle->state = THREAD_READY;         /* never on the run queue: chosen when it is empty */
}
