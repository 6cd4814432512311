/* CPU exceptions on both backends: page faults to vm_fault(), the exception table, fatal reports. */
#include <arch.h>
#include <counters.h>
#include <mm.h>
#include <paravirt.h>
#include <asm/trap.h>

/* The CPU exceptions we handle (the rest are reserved or cannot happen here). */
static const uint8_t vectors[] = { 0, 1, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 16, 17, 18, 19 };

void trap_init(void) { pv_ops.cpu->set_trap_table(vectors, ARRAY_SIZE(vectors)); }

/* Instructions allowed to fault and where to go on when they do (probe_read_u64). */
struct extable_entry {
    uint64_t insn, fixup;
};
extern const struct extable_entry __start_ex_table[], __stop_ex_table[];

static bool fixup(struct trap_frame *f)
{
    for (const struct extable_entry *e = __start_ex_table; e < __stop_ex_table; e++) {
        if (e->insn == f->rip) {
            f->rip = e->fixup;
            return true;
        }
    }
    return false;
}

int probe_read_u64(uint64_t va, uint64_t *value)
{
    int err = 0;
    uint64_t v = 0;
    __asm__ volatile("1:     movq (%2), %0\n"
                     "2:\n"
                     ".pushsection .fixup, \"ax\"\n"
                     "3:     movl %3, %1\n"
                     "       jmp 2b\n"
                     ".popsection\n"
                     ".pushsection .ex_table, \"a\"\n"
                     "       .balign 8\n"
                     "       .quad 1b, 3b\n"
                     ".popsection"
                     : "+r"(v), "+r"(err)
                     : "r"(va), "i"(-EFAULT)
                     : "memory");
    *value = v;
    return err;
}

static const char *const names[32] = {
    "divide error", "debug", "NMI", "breakpoint", "overflow", "bound range", "invalid opcode",
    "device not available", "double fault", NULL, "invalid TSS", "segment not present", "stack fault",
    "general protection", "page fault", NULL, "x87 error", "alignment check", "machine check", "SIMD error",
};

__attribute__((noreturn)) void trap_fatal(const struct trap_frame *f, const char *what)
{
    printk("pvguest: %s at rip %#llx (vector %llu, error code %#llx), rsp %#llx, rflags %#llx\n", what,
           (unsigned long long)f->rip, (unsigned long long)f->vector, (unsigned long long)f->error_code,
           (unsigned long long)f->rsp, (unsigned long long)f->rflags);
    printk("pvguest:   rax %016llx rbx %016llx rcx %016llx rdx %016llx\n", (unsigned long long)f->rax,
           (unsigned long long)f->rbx, (unsigned long long)f->rcx, (unsigned long long)f->rdx);
    printk("pvguest:   rsi %016llx rdi %016llx rbp %016llx r8  %016llx\n", (unsigned long long)f->rsi,
           (unsigned long long)f->rdi, (unsigned long long)f->rbp, (unsigned long long)f->r8);
    panic("%s in the kernel", what);
}

void trap_exception(struct trap_frame *f)
{
    char what[96];
    counter_trap((unsigned int)f->vector);
    if (f->vector == 14) {
        uint64_t addr = pv_ops.cpu->fault_address();
        if (vm_fault(addr, f->error_code) == 0 || fixup(f))
            return;
        snprintf(what, sizeof(what), "page fault on %#llx (%s)", (unsigned long long)addr,
                 f->error_code & 1 ? "protection" : "not present");
        trap_fatal(f, what);
    }
    if (fixup(f))
        return;
    const char *name = f->vector < 32 ? names[f->vector] : NULL;
    snprintf(what, sizeof(what), "%s exception", name ? name : "unexpected");
    trap_fatal(f, what);
}
