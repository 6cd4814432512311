/* Lazy-MMU mode: the nesting, preemption and on/off switch around the backend's queue. */
#include <cmdline.h>
#include <paravirt.h>
#include <sched.h>

unsigned int mmu_batch_size = MMU_BATCH_DEFAULT;
static bool batching = true;
static unsigned int depth;

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

void lazy_mmu_enter(void)
{
    preempt_disable();
    if (depth++ == 0 && batching)
        pv_ops.mmu->lazy_enter();
}

void lazy_mmu_leave(void)
{
    BUG_ON(depth == 0);
    if (--depth == 0 && batching)
        pv_ops.mmu->lazy_leave();
    preempt_enable();
}

void lazy_mmu_flush(void)
{
    if (depth && batching)
        pv_ops.mmu->lazy_flush();
}

bool lazy_mmu_active(void) { return depth && batching; }
bool lazy_mmu_batching(void) { return batching; }

bool lazy_mmu_set_batching(bool on)
{
    BUG_ON(depth);
    bool old = batching;
    batching = on;
    return old;
}
