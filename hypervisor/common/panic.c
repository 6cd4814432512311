/* panic(): the hypervisor's own invariants are broken; report and stop the machine. */
#include <hv/machine.h>
#include <hv/page_alloc.h>
#include <hv/printk.h>
#include <hv/trace.h>
#include <hv/arch.h>

static bool in_panic;

__noreturn void panic(const char *fmt, ...)
{
    char buf[256];
    va_list ap;

    local_irq_disable();
    if (in_panic)
        machine_exit(MACHINE_EXIT_PANIC);     /* panicking inside panic: just stop */
    in_panic = true;
    panic_in_progress = true;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);

    printk(LOG_ERR "****************************************\n");
    printk(LOG_ERR "Panic: %s\n", buf);
    show_stack_trace(__builtin_frame_address(0));
    printk(LOG_ERR "****************************************\n");
    printk(LOG_ERR "Stopping the machine (exit code %#x).\n", MACHINE_EXIT_PANIC);
    machine_exit(MACHINE_EXIT_PANIC);
}

void assert_failed(const char *what, const char *file, unsigned int line)
{
    panic("%s failed at %s:%u", what, file, line);
}

void page_alloc_bug(const char *what, uint64_t pfn)
{
    panic("frame allocator: %s (frame %#llx)", what, (unsigned long long)pfn);
}
