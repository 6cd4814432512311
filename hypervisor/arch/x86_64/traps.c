/* The IDT, exception reports, exception fix-ups and interrupt dispatch. */
#include <hv/printk.h>
#include <hv/trace.h>
#include <asm/apic.h>
#include <asm/cpu.h>
#include <asm/desc.h>
#include <asm/extable.h>
#include <asm/irq.h>
#include <asm/pv.h>

struct __attribute__((packed)) idt_gate {
    uint16_t off_lo;
    uint16_t sel;
    uint8_t ist;
    uint8_t type_attr;
    uint16_t off_mid;
    uint32_t off_hi;
    uint32_t _rsvd;
};
_Static_assert(sizeof(struct idt_gate) == 16, "IDT gate size");

static struct idt_gate idt[256] __aligned(16);
static irq_handler_t irq_handlers[256];

extern const char entry_stubs[];
extern const struct exception_entry __start_ex_table[], __stop_ex_table[];

struct fixed_fault last_fixed_fault;
volatile uint64_t nmi_count;
volatile uint64_t nmi_last_rsp;

static const char *const exception_names[32] = {
    [0] = "#DE divide error", [1] = "#DB debug", [2] = "NMI", [3] = "#BP breakpoint",
    [4] = "#OF overflow", [5] = "#BR bound range", [6] = "#UD invalid opcode",
    [7] = "#NM device not available", [8] = "#DF double fault",
    [9] = "coprocessor segment overrun", [10] = "#TS invalid TSS",
    [11] = "#NP segment not present", [12] = "#SS stack fault",
    [13] = "#GP general protection", [14] = "#PF page fault", [16] = "#MF x87 error",
    [17] = "#AC alignment check", [18] = "#MC machine check", [19] = "#XM SIMD error",
    [20] = "#VE virtualization", [21] = "#CP control protection",
};

static void set_gate_to(unsigned int vec, uint64_t addr, uint8_t ist, unsigned int dpl)
{
    idt[vec] = (struct idt_gate){
        .off_lo = addr & 0xffff,
        .sel = HYPERVISOR_CS,
        .ist = ist,
        .type_attr = (uint8_t)(0x8e | dpl << 5),     /* present, 64-bit interrupt gate */
        .off_mid = (addr >> 16) & 0xffff,
        .off_hi = (uint32_t)(addr >> 32),
    };
}

static void set_gate(unsigned int vec, uint8_t ist, unsigned int dpl)
{
    set_gate_to(vec, (uint64_t)entry_stubs + vec * 16, ist, dpl);
}

void idt_init(void)
{
    for (unsigned int v = 0; v < 256; v++)
        set_gate(v, 0, 0);
    set_gate(2, IST_NMI, 0);
    set_gate(8, IST_DF, 0);
    set_gate(18, IST_MC, 0);
    /* int3 and into work from guests directly, as on Xen; every other int n raises #GP. */
    set_gate(3, 0, 3);
    set_gate(4, 0, 3);
#ifdef HV_BENCH_FLOOR
    /* The bench-floor build's exception floor (entry.S): straight back with iretq. */
    extern const char bench_floor_iret[];
    set_gate_to(BENCH_FLOOR_VECTOR, (uint64_t)bench_floor_iret, 0, 3);
#endif

    idt_load();
}

void idt_load(void)
{
    struct __attribute__((packed)) { uint16_t limit; uint64_t base; } p = { sizeof(idt) - 1, (uint64_t)idt };
    __asm__ volatile("lidt %0" :: "m"(p));
}

void set_irq_handler(unsigned int vector, irq_handler_t fn)
{
    if (vector < FIRST_EXTERNAL_VECTOR || vector > 255)
        panic("set_irq_handler: vector %#x is not an external vector", vector);
    irq_handlers[vector] = fn;
}

void show_stack_trace(const void *frame)
{
    uint64_t fp = (uint64_t)frame, lo, hi;

#ifndef HV_DEBUG
    (void)frame;
    printk(LOG_ERR "Stack trace: none in a release build (no frame pointers; HV_DEBUG=1 has them)\n");
    return;
#endif
    printk(LOG_ERR "Stack trace (frame pointers):\n");
    if (stack_bounds(fp, &lo, &hi)) {
        printk(LOG_ERR "  (frame %p is not on a known stack)\n", frame);
        return;
    }
    for (int depth = 0; depth < 12; depth++) {
        if (fp < lo || fp + 16 > hi || (fp & 7))
            break;
        const uint64_t *f = (const uint64_t *)fp;
        if (!f[1])
            break;
        printk(LOG_ERR "  [<%p>]\n", (void *)f[1]);
        if (f[0] <= fp)             /* frames must move up the stack */
            break;
        fp = f[0];
    }
}

static void show_registers(const struct cpu_regs *r)
{
    printk(LOG_ERR "RIP: %04llx:%p  RFLAGS: %016llx\n", (unsigned long long)r->cs, (void *)r->rip,
           (unsigned long long)r->rflags);
    printk(LOG_ERR "RSP: %04llx:%p  CR2: %p  CR3: %p\n", (unsigned long long)r->ss, (void *)r->rsp,
           (void *)read_cr2(), (void *)read_cr3());
    printk(LOG_ERR "RAX: %016llx  RBX: %016llx  RCX: %016llx\n", (unsigned long long)r->rax,
           (unsigned long long)r->rbx, (unsigned long long)r->rcx);
    printk(LOG_ERR "RDX: %016llx  RSI: %016llx  RDI: %016llx\n", (unsigned long long)r->rdx,
           (unsigned long long)r->rsi, (unsigned long long)r->rdi);
    printk(LOG_ERR "RBP: %016llx  R8:  %016llx  R9:  %016llx\n", (unsigned long long)r->rbp,
           (unsigned long long)r->r8, (unsigned long long)r->r9);
    printk(LOG_ERR "R10: %016llx  R11: %016llx  R12: %016llx\n", (unsigned long long)r->r10,
           (unsigned long long)r->r11, (unsigned long long)r->r12);
    printk(LOG_ERR "R13: %016llx  R14: %016llx  R15: %016llx\n", (unsigned long long)r->r13,
           (unsigned long long)r->r14, (unsigned long long)r->r15);
    printk(LOG_ERR "CR0: %016llx  CR4: %016llx\n", (unsigned long long)read_cr0(),
           (unsigned long long)read_cr4());
}

static __noreturn void fatal_trap(struct cpu_regs *regs)
{
    unsigned int vec = regs->entry_vector;
    const char *name = vec < 32 && exception_names[vec] ? exception_names[vec] : "reserved";

    printk(LOG_ERR "----[ Hypervisor fault: %s, vector %u, error code %#x ]----\n",
           name, vec, regs->error_code);
    show_registers(regs);
    /* Trace the interrupted code, whose rbp chain starts at its saved rbp. */
    printk(LOG_ERR "Fault at [<%p>]\n", (void *)regs->rip);
    show_stack_trace((const void *)regs->rbp);
    panic("fatal %s in the hypervisor at %p", name, (void *)regs->rip);
}

static bool apply_fixup(struct cpu_regs *regs)
{
    for (const struct exception_entry *e = __start_ex_table; e < __stop_ex_table; e++) {
        uint64_t insn = (uint64_t)&e->insn + (int64_t)e->insn;
        if (insn != regs->rip)
            continue;
        last_fixed_fault = (struct fixed_fault){
            .vector = regs->entry_vector,
            .error_code = regs->error_code,
            .cr2 = regs->entry_vector == 14 ? read_cr2() : 0,
            .rip = regs->rip,
            .rsp = (uint64_t)regs,
        };
        regs->rip = (uint64_t)&e->fixup + (int64_t)e->fixup;
        return true;
    }
    return false;
}

/* Exceptions the hypervisor handles even from a guest: NMI, #DF, #MC. */
#define HYPERVISOR_ONLY_VECTORS ((1u << 2) | (1u << 8) | (1u << 18))

void do_trap(struct cpu_regs *regs);
void do_trap(struct cpu_regs *regs)
{
    unsigned int vec = regs->entry_vector;

    /* From a guest: its exception goes back to it (but NMI, #DF and #MC: ours); then maybe another vCPU runs. */
    if (regs_from_user(regs)) {
        if (vec >= FIRST_EXTERNAL_VECTOR) {
            if (irq_handlers[vec])
                irq_handlers[vec](regs);
            if (vec != SPURIOUS_VECTOR && (vec < PIC_MASTER_VECTOR || vec >= PIC_SLAVE_VECTOR + 8))
                apic_eoi();
            pv_exit_to_guest(regs);
            return;
        }
        if (!((HYPERVISOR_ONLY_VECTORS >> vec) & 1)) {
            pv_handle_exception(regs);
            pv_exit_to_guest(regs);
            return;
        }
    }
    if (vec == 2) {
        nmi_count++;
        nmi_last_rsp = (uint64_t)regs;
        return;
    }
    if (vec == 1) {
        pv_debug_in_hypervisor(regs);
        return;
    }
    if (vec < FIRST_EXTERNAL_VECTOR) {
        if (apply_fixup(regs))
            return;
        fatal_trap(regs);
    }
    /* Spurious interrupts, from the APIC or the masked 8259s, take no EOI. */
    if (vec == SPURIOUS_VECTOR || (vec >= PIC_MASTER_VECTOR && vec < PIC_SLAVE_VECTOR + 8))
        return;
    if (irq_handlers[vec])
        irq_handlers[vec](regs);
    else
        printk(LOG_WARN "unexpected interrupt on vector %#x\n", vec);
    apic_eoi();
}
