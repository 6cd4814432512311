/* Test-guest exception handling: record the exception, resume where the test said. */
#include "exceptions.h"
#include "guest.h"
#include "hypercall.h"

struct exc_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error_code, rip, cs, rflags, rsp, ss;
};

_Static_assert(__HYPERVISOR_iret == 23, "exceptions_entry.S jumps to stub 23");

#define EFLAGS_TF (1ull << 8)

volatile struct exc_record last_exc = { .vector = ~0ull };
volatile uint64_t exc_resume;

void (*event_upcall_handler)(void);
volatile uint64_t upcall_rip;

void do_exception(struct exc_frame *f);
void do_exception(struct exc_frame *f)
{
    if (f->vector == 256) {
        upcall_rip = f->rip;
        if (event_upcall_handler)
            event_upcall_handler();
        return;
    }
    last_exc.vector = f->vector;
    last_exc.error_code = f->error_code;
    last_exc.rip = f->rip;
    last_exc.cs = f->cs;
    last_exc.rflags = f->rflags;
    last_exc.count++;
    if (exc_resume) {
        f->rip = exc_resume;
        f->rflags &= ~EFLAGS_TF;        /* a test that single-stepped stops stepping where it resumes */
        exc_resume = 0;
        return;
    }
    printk("# unexpected exception %llu (error %#llx) at %#llx\n", (unsigned long long)f->vector,
           (unsigned long long)f->error_code, (unsigned long long)f->rip);
    guest_shutdown(SHUTDOWN_crash);
}

#define EXC_LIST(X) X(0) X(1) X(3) X(4) X(5) X(6) X(7) X(8) X(10) X(11) X(12) X(13) X(14) X(16) X(17) X(19)
#define DECLARE(v) extern char exc_##v[];
EXC_LIST(DECLARE)
extern char exc_32[], exc_33[], exc_128[];

int64_t exceptions_install(void)
{
#define ENTRY(v) { .vector = v, .flags = 0, .cs = FLAT_KERNEL_CS, .address = (uint64_t)exc_##v },
    static struct trap_info table[] = {
        EXC_LIST(ENTRY)
        { .vector = 32, .flags = 3, .cs = FLAT_KERNEL_CS, .address = (uint64_t)exc_32 },
        { .vector = 33, .flags = 0, .cs = FLAT_KERNEL_CS, .address = (uint64_t)exc_33 },
        { .vector = 0, .address = 0 },
    };
    return hypercall1(__HYPERVISOR_set_trap_table, table);
}
