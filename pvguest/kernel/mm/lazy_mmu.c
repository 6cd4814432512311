/*
 * The MMU lock, and lazy-MMU mode (the nesting, preemption and on/off switch
 * around the backend's queue). The lock is recursive on one CPU and holds
 * preemption off, not interrupts: the page-fault handler takes it again on
 * the CPU that holds it. Every page-table change holds it, and so does lazy
 * mode from enter to leave, so one CPU at a time has updates queued: the
 * backend's queue, and the kernel's tables, are consistent for the holder.
 */
#include <cmdline.h>
#include <paravirt.h>
#include <sched.h>

unsigned int mmu_batch_size = MMU_BATCH_DEFAULT;
static bool batching = true;
static unsigned int depth;              /* lazy-mode nesting of the lock holder */

static spinlock_t mmu_spin = SPINLOCK_INIT;
static volatile int mmu_owner = -1;
static unsigned int mmu_depth;

void mmu_lock(void)
{
    preempt_disable();
    int me = (int)smp_processor_id();
    if (mmu_owner == me) {
        mmu_depth++;
        return;
    }
    while (!spin_trylock(&mmu_spin))
        cpu_relax();
    mmu_owner = me;
    mmu_depth = 1;
}

void mmu_unlock(void)
{
    BUG_ON(mmu_owner != (int)smp_processor_id() || mmu_depth == 0);
    if (--mmu_depth == 0) {
        mmu_owner = -1;
        spin_unlock(&mmu_spin);
    }
    preempt_enable();
}

bool mmu_lock_mine(void) { return mmu_owner == (int)smp_processor_id(); }

static bool set_mmu_batch(const char *v)
{
    uint64_t n;
    if (!v || !cmdline_number(v, &n) || n > MMU_BATCH_MAX)
        return false;
    if (n == 0)
        batching = false;
    else
        mmu_batch_size = (unsigned int)n;
    return true;
}
KERNEL_OPTION("mmu_batch", set_mmu_batch);

bool pt_write_direct;

static bool set_pt_write(const char *v)
{
    if (v && !strcmp(v, "direct"))
        pt_write_direct = true;
    else if (v && !strcmp(v, "hypercall"))
        pt_write_direct = false;
    else
        return false;
    return true;
}
KERNEL_OPTION("pt_write", set_pt_write);

void lazy_mmu_enter(void)
{
    mmu_lock();
    if (depth++ == 0 && batching)
        pv_ops.mmu->lazy_enter();
}

void lazy_mmu_leave(void)
{
    BUG_ON(depth == 0 || !mmu_lock_mine());
    if (--depth == 0 && batching)
        pv_ops.mmu->lazy_leave();
    mmu_unlock();
}

void lazy_mmu_flush(void)
{
    if (lazy_mmu_active())
        pv_ops.mmu->lazy_flush();
}

bool lazy_mmu_active(void) { return mmu_lock_mine() && depth && batching; }
bool lazy_mmu_batching(void) { return batching; }

bool lazy_mmu_set_batching(bool on)
{
    mmu_lock();
    BUG_ON(depth);
    bool old = batching;
    batching = on;
    mmu_unlock();
    return old;
}
