/* x86-64 self-tests: exceptions reach the right vector, NMIs their own stack, time moves. */
#include <hv/arch.h>
#include <hv/page_alloc.h>
#include <hv/printk.h>
#include <hv/selftest.h>
#include <hv/time.h>
#include <asm/apic.h>
#include <asm/cpu.h>
#include <asm/current.h>
#include <asm/desc.h>
#include <asm/extable.h>
#include <asm/fw_cfg.h>
#include <asm/irq.h>
#include <asm/mm.h>
#include <asm/timer.h>

extern char _stext[];

/* Every faulting asm below clobbers "memory": the handler writes last_fixed_fault. */
static void reset_fault(void) { last_fixed_fault = (struct fixed_fault){ .vector = 0xff }; }

static const char *check_fault(char *why, size_t len, uint32_t vector, uint32_t error_code,
                               uint64_t cr2)
{
    const struct fixed_fault *f = &last_fixed_fault;
    if (f->vector != vector || f->error_code != error_code || (vector == 14 && f->cr2 != cr2)) {
        snprintf(why, len, "saw vector %u error %#x cr2 %#llx, wanted vector %u error %#x cr2 %#llx",
                 f->vector, f->error_code, (unsigned long long)f->cr2, vector, error_code,
                 (unsigned long long)cr2);
        return why;
    }
    return NULL;
}

static const char *test_breakpoint(const struct boot_info *bi, char *why, size_t len)
{
    (void)bi;
    reset_fault();
    /* int3 is a trap: the saved rip is already past it. */
    __asm__ volatile("int3\n1:\n" _ASM_EXTABLE(1b, 1b) ::: "memory");
    return check_fault(why, len, 3, 0, 0);
}

static const char *test_invalid_opcode(const struct boot_info *bi, char *why, size_t len)
{
    (void)bi;
    reset_fault();
    __asm__ volatile("1: ud2\n2:\n" _ASM_EXTABLE(1b, 2b) ::: "memory");
    return check_fault(why, len, 6, 0, 0);
}

static const char *test_divide_error(const struct boot_info *bi, char *why, size_t len)
{
    (void)bi;
    reset_fault();
    __asm__ volatile("xor %%edx, %%edx\n1: divl %0\n2:\n" _ASM_EXTABLE(1b, 2b)
                     :: "r"(0) : "rax", "rdx", "memory");
    return check_fault(why, len, 0, 0, 0);
}

static const char *test_general_protection(const struct boot_info *bi, char *why, size_t len)
{
    (void)bi;
    reset_fault();
    /* A non-canonical address raises #GP with error code 0. */
    __asm__ volatile("1: movq (%0), %%rax\n2:\n" _ASM_EXTABLE(1b, 2b)
                     :: "r"(0x8000000000000000ull) : "rax", "memory");
    return check_fault(why, len, 13, 0, 0);
}

static const char *test_page_fault_not_present(const struct boot_info *bi, char *why, size_t len)
{
    (void)bi;
    reset_fault();
    /* The boot identity map is gone: low addresses are unmapped now. */
    uint64_t addr = 0x1000;
    __asm__ volatile("1: movq (%0), %%rax\n2:\n" _ASM_EXTABLE(1b, 2b) :: "r"(addr) : "rax", "memory");
    return check_fault(why, len, 14, 0, addr);
}

static const char *test_page_fault_write_protect(const struct boot_info *bi, char *why, size_t len)
{
    (void)bi;
    reset_fault();
    /* Hypervisor code is mapped read-only (CR0.WP makes that bind ring 0 too). */
    uint64_t addr = (uint64_t)_stext;
    __asm__ volatile("1: movb %%al, (%0)\n2:\n" _ASM_EXTABLE(1b, 2b) :: "r"(addr), "a"(0) : "memory");
    return check_fault(why, len, 14, 0x3, addr);
}

static const char *test_nmi_ist(const struct boot_info *bi, char *why, size_t len)
{
    (void)bi;
    uint64_t before = nmi_count;
    apic_self_nmi();
    for (int i = 0; i < 1000000 && nmi_count == before; i++)
        cpu_relax();
    if (nmi_count != before + 1) {
        snprintf(why, len, "%llu NMIs arrived, expected 1", (unsigned long long)(nmi_count - before));
        return why;
    }
    uint64_t lo, hi;
    ist_stack_bounds(smp_processor_id(), IST_NMI, &lo, &hi);
    if (nmi_last_rsp < lo || nmi_last_rsp >= hi)
        return "NMI frame was not on the NMI stack";
    return NULL;
}

static const char *test_time_monotonic(const struct boot_info *bi, char *why, size_t len)
{
    (void)bi;
    s_time_t prev = NOW();
    for (int i = 0; i < 10000; i++) {
        s_time_t t = NOW();
        if (t < prev) {
            snprintf(why, len, "time went back from %lld to %lld", (long long)prev, (long long)t);
            return why;
        }
        prev = t;
    }
    return prev > 0 ? NULL : "system time does not advance";
}

static const char *test_timer_ticks(const struct boot_info *bi, char *why, size_t len)
{
    (void)bi;
    if (!local_irq_is_enabled())
        return "interrupts are off";
    /* 200 ms of system time should bring TIMER_HZ/5 ticks; allow for emulation jitter. */
    uint64_t t0 = timer_ticks;
    s_time_t end = NOW() + MILLISECS(200);
    while (NOW() < end)
        __asm__ volatile("hlt");
    uint64_t n = timer_ticks - t0, want = TIMER_HZ / 5;
    if (n < want / 2 || n > want * 2) {
        snprintf(why, len, "%llu ticks in 200 ms, expected about %llu", (unsigned long long)n,
                 (unsigned long long)want);
        return why;
    }
    return NULL;
}

static const char *test_image_mapping(const struct boot_info *bi, char *why, size_t len)
{
    (void)bi;
    (void)why;
    (void)len;
    if (virt_to_phys_walk((uint64_t)_stext) != (uint64_t)_stext - XEN_VIRT_START)
        return "image text is not mapped where linked";
    return NULL;
}

/*
 * Clears frames 1-6 of 8 filled with 0xa5, with arch_clear_frames or its rep
 * stosq fallback: those must read zero, frames 0 and 7 untouched.
 */
static const char *check_clear(bool stosq, char *why, size_t len)
{
    pfn_t b = alloc_frames(3);
    if (b == INVALID_PFN)
        return "no memory for 8 frames";
    uint8_t *p = __va(b << PAGE_SHIFT);
    memset(p, 0xa5, 8 * PAGE_SIZE);
    if (stosq)
        clear_frames_stosq(b + 1, 6);
    else
        arch_clear_frames(b + 1, 6);
    const char *bad = NULL;
    for (size_t i = 0; i < 8 * PAGE_SIZE && !bad; i++) {
        uint8_t want = i >= PAGE_SIZE && i < 7 * PAGE_SIZE ? 0 : 0xa5;
        if (p[i] != want) {
            snprintf(why, len, "byte %zu of 8 frames (1-6 cleared) is %#x, expected %#x", i, p[i], want);
            bad = why;
        }
    }
    free_frames(b, 3);
    return bad;
}

static const char *test_clear_frames(const struct boot_info *bi, char *why, size_t len)
{
    (void)bi;
    if (!fw_cfg_clears_frames())
        return "frames are not cleared by QEMU's fw_cfg DMA (rep stosq instead)";
    return check_clear(false, why, len);
}

static const char *test_clear_frames_stosq(const struct boot_info *bi, char *why, size_t len)
{
    (void)bi;
    return check_clear(true, why, len);
}

const struct selftest arch_selftests[] = {
    { "idt_breakpoint", test_breakpoint },
    { "idt_invalid_opcode", test_invalid_opcode },
    { "idt_divide_error", test_divide_error },
    { "idt_general_protection", test_general_protection },
    { "idt_page_fault_not_present", test_page_fault_not_present },
    { "idt_page_fault_write_protect", test_page_fault_write_protect },
    { "nmi_on_ist_stack", test_nmi_ist },
    { "image_mapped_at_link_address", test_image_mapping },
    { "system_time_monotonic", test_time_monotonic },
    { "apic_timer_ticks", test_timer_ticks },
    { "clear_frames_by_fw_cfg_dma", test_clear_frames },
    { "clear_frames_by_rep_stosq", test_clear_frames_stosq },
};
const unsigned int nr_arch_selftests = ARRAY_SIZE(arch_selftests);

void arch_crashtest(const char *kind)
{
    if (!kind[0])
        return;
    printk(LOG_WARN "crashtest: %s, on purpose\n", kind);
    if (!strcmp(kind, "pf")) {
        uint64_t addr = 0x10;
        __asm__ volatile("" : "+r"(addr));      /* hide the constant from the compiler */
        *(volatile uint64_t *)addr = 1;
    } else if (!strcmp(kind, "ud")) {
        __asm__ volatile("ud2");
    } else if (!strcmp(kind, "df")) {
        /* Exception delivery onto an unmapped stack faults again: a double fault, on its IST stack. */
        __asm__ volatile("movq $0x1000, %%rsp; int3" ::: "memory");
    } else if (!strcmp(kind, "panic")) {
        panic("crashtest: panic on request");
    } else if (!strcmp(kind, "frame")) {
        page_alloc_bug("crashtest: a frame invariant broken on request", 0);
    } else {
        printk(LOG_WARN "crashtest: unknown kind '%s' (pf, ud, df, panic, frame)\n", kind);
    }
}
