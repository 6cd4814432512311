/*
 * Privileged instructions a PV kernel executes in ring 3, emulated as Xen 4.17
 * does: control and debug registers, MSRs on the allow-list, TSC reads under
 * CR4.TSD, forced-emulation CPUID, and the faults the rest give. Booted as dom0
 * on ours and on Xen (differential): every value asserted here is Xen's.
 */
#include "exceptions.h"
#include "guest.h"
#include "hypercall.h"
#include "mm.h"
#include "user.h"
#include <public/errno.h>

const char test_title[] = "emul: privileged instructions and forced CPUID, as Xen emulates them";

#define SI_VA       (GUEST_VIRT_BASE + 0x3ff000ull + 0x4000000ull * 2)

#define CR0_TS      (1ull << 3)
#define CR0_WP      (1ull << 16)
#define CR4_TSD     (1ull << 2)
#define CR4_DE      (1ull << 3)
#define CR4_PGE     (1ull << 7)
#define CR4_VME     (1ull << 0)

#define MSR_EFER            0xc0000080u
#define MSR_LSTAR           0xc0000082u
#define MSR_FS_BASE         0xc0000100u
#define MSR_GS_BASE         0xc0000101u
#define MSR_SHADOW_GS_BASE  0xc0000102u
#define MSR_NONE            0x00012345u    /* no such MSR */

/* Xen's view, as Xen 4.17 shows it to a 64-bit PV dom0 under QEMU -cpu max. */
#define XEN_CR0     0x8005003bull   /* PE MP TS ET NE WP AM PG, TS as the guest set it */
#define XEN_CR4     0x660ull        /* PAE MCE OSFXSR OSXMMEXCPT: Xen's bits a PV guest sees */
#define XEN_EFER    0xd01ull        /* SCE LME LMA NXE */

#define NO_FAULT    (~0ull)

/* Runs insn with exc_resume set just past it: a fault is recorded in last_exc, never fatal. */
#define GUARDED(insn, ...)                                                  \
    do {                                                                    \
        last_exc.vector = NO_FAULT;                                         \
        __asm__ volatile("lea 1f(%%rip), %%r11\n\t"                         \
                         "mov %%r11, exc_resume(%%rip)\n\t"                 \
                         insn "\n"                                          \
                         "1:\n\t"                                           \
                         "movq $0, exc_resume(%%rip)"                       \
                         __VA_ARGS__);                                      \
    } while (0)

static const struct shared_info *shinfo(void) { return (const struct shared_info *)SI_VA; }
static uint64_t l4_mfn(void) { return virt_to_mfn((void *)start_info->pt_base); }

static const char *fault_is(char *why, size_t len, const char *what, uint64_t vector, uint64_t error_code)
{
    if (last_exc.vector == vector && (vector == NO_FAULT || last_exc.error_code == error_code))
        return NULL;
    if (vector == NO_FAULT)
        return fail(why, len, "%s: vector %llu error %#llx, want no fault", what,
                    (unsigned long long)last_exc.vector, (unsigned long long)last_exc.error_code);
    if (last_exc.vector == NO_FAULT)
        return fail(why, len, "%s: no fault, want vector %llu error %#llx", what, (unsigned long long)vector,
                    (unsigned long long)error_code);
    return fail(why, len, "%s: vector %llu error %#llx, want vector %llu error %#llx", what,
                (unsigned long long)last_exc.vector, (unsigned long long)last_exc.error_code,
                (unsigned long long)vector, (unsigned long long)error_code);
}
#define CHECK_FAULT(what, vec, ec)                                          \
    do {                                                                    \
        const char *r_ = fault_is(why, len, what, vec, ec);                 \
        if (r_)                                                             \
            return r_;                                                      \
    } while (0)
#define CHECK_EQ(what, got, want)                                           \
    do {                                                                    \
        uint64_t g_ = (got), w_ = (want);                                   \
        if (g_ != w_)                                                       \
            return fail(why, len, "%s: %#llx, want %#llx", what,            \
                        (unsigned long long)g_, (unsigned long long)w_);    \
    } while (0)

static uint64_t cr0(void)
{
    uint64_t v = 0;
    GUARDED("mov %%cr0, %0", : "+r"(v) :: "r11", "memory");
    return v;
}

static uint64_t cr3(void)
{
    uint64_t v = 0;
    GUARDED("mov %%cr3, %0", : "+r"(v) :: "r11", "memory");
    return v;
}

static uint64_t cr4(void)
{
    uint64_t v = 0;
    GUARDED("mov %%cr4, %0", : "+r"(v) :: "r11", "memory");
    return v;
}

static void set_cr0(uint64_t v) { GUARDED("mov %0, %%cr0", :: "r"(v) : "r11", "memory"); }
static void set_cr3(uint64_t v) { GUARDED("mov %0, %%cr3", :: "r"(v) : "r11", "memory"); }
static void set_cr4(uint64_t v) { GUARDED("mov %0, %%cr4", :: "r"(v) : "r11", "memory"); }

static uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo = 0, hi = 0;
    GUARDED("rdmsr", : "+a"(lo), "+d"(hi) : "c"(msr) : "r11", "memory");
    return (uint64_t)hi << 32 | lo;
}

static void wrmsr(uint32_t msr, uint64_t v)
{
    GUARDED("wrmsr", :: "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "r11", "memory");
}

struct regs4 { uint32_t a, b, c, d; };

/* CPUID through Xen's forced-emulation prefix: the hypervisor's view of the CPU. */
static struct regs4 forced_cpuid(uint32_t leaf, uint32_t sub)
{
    struct regs4 r = { leaf, 0, sub, 0 };
    GUARDED("ud2; .ascii \"xen\"; cpuid", : "+a"(r.a), "+b"(r.b), "+c"(r.c), "+d"(r.d) :: "r11", "memory");
    return r;
}

static struct regs4 native_cpuid(uint32_t leaf, uint32_t sub)
{
    struct regs4 r;
    __asm__ volatile("cpuid" : "=a"(r.a), "=b"(r.b), "=c"(r.c), "=d"(r.d) : "a"(leaf), "c"(sub));
    return r;
}

static const char *test_setup(char *why, size_t len)
{
    int64_t rc = exceptions_install();
    if (rc)
        return fail(why, len, "set_trap_table: %lld", (long long)rc);
    if (ensure_l1(SI_VA))
        return fail(why, len, "no L1 for the shared_info mapping");
    rc = hypercall3(__HYPERVISOR_update_va_mapping, SI_VA, start_info->shared_info | PTE_DATA, UVMF_INVLPG);
    return rc ? fail(why, len, "mapping shared_info: %lld", (long long)rc) : NULL;
}

static const char *test_cr0_read(char *why, size_t len)
{
    uint64_t v = cr0();
    CHECK_FAULT("mov from cr0", NO_FAULT, 0);
    CHECK_EQ("cr0", v, XEN_CR0 & ~CR0_TS);
    return NULL;
}

static const char *test_cr0_ts_fpu_taskswitch(char *why, size_t len)
{
    hypercall1(__HYPERVISOR_fpu_taskswitch, 1);
    CHECK_EQ("cr0 after fpu_taskswitch(1)", cr0(), XEN_CR0);
    hypercall1(__HYPERVISOR_fpu_taskswitch, 0);
    CHECK_EQ("cr0 after fpu_taskswitch(0)", cr0(), XEN_CR0 & ~CR0_TS);
    return NULL;
}

static const char *test_clts(char *why, size_t len)
{
    hypercall1(__HYPERVISOR_fpu_taskswitch, 1);
    GUARDED("clts", ::: "r11", "memory");
    CHECK_FAULT("clts", NO_FAULT, 0);
    CHECK_EQ("cr0 after clts", cr0(), XEN_CR0 & ~CR0_TS);
    GUARDED("fninit", ::: "r11", "memory");
    CHECK_FAULT("fninit after clts", NO_FAULT, 0);
    return NULL;
}

static const char *test_cr0_write_ts(char *why, size_t len)
{
    set_cr0(XEN_CR0);
    CHECK_FAULT("mov to cr0 with TS", NO_FAULT, 0);
    CHECK_EQ("cr0 after setting TS", cr0(), XEN_CR0);
    GUARDED("fninit", ::: "r11", "memory");
    CHECK_FAULT("fninit with TS set", 7, 0);
    CHECK_EQ("cr0 after #NM", cr0(), XEN_CR0 & ~CR0_TS);
    set_cr0(XEN_CR0);
    set_cr0(XEN_CR0 & ~CR0_TS);
    CHECK_FAULT("mov to cr0 clearing TS", NO_FAULT, 0);
    CHECK_EQ("cr0 after clearing TS", cr0(), XEN_CR0 & ~CR0_TS);
    return NULL;
}

static const char *test_cr0_write_other_bits(char *why, size_t len)
{
    set_cr0(XEN_CR0 & ~(CR0_TS | CR0_WP));
    CHECK_FAULT("mov to cr0 clearing WP", 13, 0);
    CHECK_EQ("cr0 after the refused write", cr0(), XEN_CR0 & ~CR0_TS);
    return NULL;
}

static const char *test_cr2(char *why, size_t len)
{
    uint64_t want = 0xffff800012345678ull, v = 0;
    GUARDED("mov %0, %%cr2", :: "r"(want) : "r11", "memory");
    CHECK_FAULT("mov to cr2", NO_FAULT, 0);
    CHECK_EQ("vcpu_info cr2", shinfo()->vcpu_info[0].arch.cr2, want);
    GUARDED("mov %%cr2, %0", : "+r"(v) :: "r11", "memory");
    CHECK_FAULT("mov from cr2", NO_FAULT, 0);
    CHECK_EQ("cr2", v, want);
    return NULL;
}

static const char *test_cr3_round_trip(char *why, size_t len)
{
    uint64_t v = cr3();
    CHECK_FAULT("mov from cr3", NO_FAULT, 0);
    CHECK_EQ("cr3", v, l4_mfn() << 12);
    set_cr3(v);
    CHECK_FAULT("mov to cr3 (same table)", NO_FAULT, 0);
    CHECK_EQ("cr3 after the write", cr3(), l4_mfn() << 12);
    return NULL;
}

static uint64_t data_page[512] __attribute__((aligned(4096)));

static const char *test_cr3_write_refused(char *why, size_t len)
{
    /* A writable data frame cannot become a base table; a frame past RAM does not exist. */
    set_cr3(virt_to_mfn(data_page) << 12);
    CHECK_FAULT("mov to cr3 (data frame)", 13, 0);
    set_cr3(0xfffffffff000ull);
    CHECK_FAULT("mov to cr3 (no such frame)", 13, 0);
    CHECK_EQ("cr3 after refused writes", cr3(), l4_mfn() << 12);
    return NULL;
}

static const char *test_cr4(char *why, size_t len)
{
    uint64_t v = cr4();
    CHECK_FAULT("mov from cr4", NO_FAULT, 0);
    CHECK_EQ("cr4", v, XEN_CR4);
    /* The guest does not get to choose PGE or VME: the write succeeds, the bits stay as they were. */
    set_cr4(v | CR4_PGE | CR4_VME);
    CHECK_FAULT("mov to cr4", NO_FAULT, 0);
    CHECK_EQ("cr4 after setting PGE and VME", cr4(), v);
    set_cr4(v | CR4_DE);
    CHECK_EQ("cr4 after setting DE", cr4(), v | CR4_DE);
    set_cr4(v);
    CHECK_EQ("cr4 after clearing DE", cr4(), v);
    return NULL;
}

extern char user_done[], user_cr0[], user_rdmsr[], user_wbinvd[], user_rdtsc[],
    user_forced_cpuid[];
extern uint64_t user_syscall_rax, user_syscall_cs;
extern volatile uint64_t user_out;

/* Each user function runs one instruction, stores rax/rbx in user_out, and leaves by SYSCALL. */
__asm__(".text\n"
        "user_cr0: mov %cr0, %rax\n jmp user_done\n"
        "user_rdmsr: mov $0xc0000080, %ecx\n rdmsr\n jmp user_done\n"
        "user_wbinvd: wbinvd\n jmp user_done\n"
        "user_rdtsc: rdtsc\n jmp user_done\n"
        "user_forced_cpuid: mov $0x40000000, %eax\n ud2\n .ascii \"xen\"\n cpuid\n mov %rbx, %rax\n jmp user_done\n"
        "user_done: mov %rax, user_out(%rip)\n mov $0x1234, %eax\n syscall\n ud2\n"
        ".data\n .balign 8\n user_out: .quad 0\n .text\n");

static bool user_ready;

/* Runs fn in guest user mode; a fault there resumes at user_done. */
static const char *in_user(char *why, size_t len, void *fn)
{
    if (!user_ready) {
        const char *what;
        int64_t rc = user_mode_setup(&what);
        if (rc)
            return fail(why, len, "%s: %lld", what, (long long)rc);
        user_ready = true;
    }
    last_exc.vector = NO_FAULT;
    user_out = 0;
    user_syscall_rax = 0;
    exc_resume = (uint64_t)user_done;
    enter_user(fn, user_stack_top());
    exc_resume = 0;
    if (user_syscall_rax != 0x1234)
        return fail(why, len, "user function did not come back by syscall");
    if (last_exc.vector != NO_FAULT && (last_exc.cs & 3) != 3)
        return fail(why, len, "fault frame cs %#llx is not user mode", (unsigned long long)last_exc.cs);
    return NULL;
}
#define IN_USER(fn)                                                         \
    do {                                                                    \
        const char *r_ = in_user(why, len, fn);                             \
        if (r_)                                                             \
            return r_;                                                      \
    } while (0)

static const char *test_user_mode_gp(char *why, size_t len)
{
    IN_USER(user_cr0);
    CHECK_FAULT("mov from cr0 in user mode", 13, 0);
    IN_USER(user_rdmsr);
    CHECK_FAULT("rdmsr in user mode", 13, 0);
    IN_USER(user_wbinvd);
    CHECK_FAULT("wbinvd in user mode", 13, 0);
    return NULL;
}

static uint64_t rdtsc_guarded(void)
{
    uint32_t lo = 0, hi = 0;
    GUARDED("rdtsc", : "+a"(lo), "+d"(hi) :: "r11", "memory");
    return (uint64_t)hi << 32 | lo;
}

static const char *test_cr4_tsd(char *why, size_t len)
{
    uint64_t v = cr4();
    set_cr4(v | CR4_TSD);
    CHECK_FAULT("mov to cr4 setting TSD", NO_FAULT, 0);
    CHECK_EQ("cr4 after setting TSD", cr4(), v | CR4_TSD);
    uint64_t t1 = rdtsc_guarded();
    CHECK_FAULT("rdtsc in kernel mode under TSD", NO_FAULT, 0);
    uint64_t t2 = rdtsc_guarded();
    if (t2 <= t1)
        return fail(why, len, "emulated rdtsc went from %#llx to %#llx", (unsigned long long)t1,
                    (unsigned long long)t2);
    uint32_t aux = 0x5a5a5a5a;
    GUARDED("rdtscp", : "+c"(aux) :: "rax", "rdx", "r11", "memory");
    CHECK_FAULT("rdtscp in kernel mode under TSD", NO_FAULT, 0);
    CHECK_EQ("TSC_AUX from rdtscp", aux, 0);
    IN_USER(user_rdtsc);
    uint64_t user_vec = last_exc.vector, user_err = last_exc.error_code;
    set_cr4(v);
    CHECK_EQ("cr4 after clearing TSD", cr4(), v);
    if (user_vec != 13 || user_err != 0)
        return fail(why, len, "rdtsc in user mode under TSD: vector %lld error %#llx, want #GP(0)",
                    (long long)user_vec, (unsigned long long)user_err);
    IN_USER(user_rdtsc);
    CHECK_FAULT("rdtsc in user mode without TSD", NO_FAULT, 0);
    return NULL;
}

static const char *test_debugreg_hypercalls(char *why, size_t len)
{
    uint64_t va = (uint64_t)data_page;
    int64_t rc = hypercall2(__HYPERVISOR_set_debugreg, 0, va);
    CHECK_EQ("set_debugreg(0, kernel va)", rc, 0);
    CHECK_EQ("get_debugreg(0)", hypercall1(__HYPERVISOR_get_debugreg, 0), va);
    CHECK_EQ("set_debugreg(1, hypervisor va)", hypercall2(__HYPERVISOR_set_debugreg, 1, 0xffff830000000000ull),
             -XEN_EPERM);
    CHECK_EQ("set_debugreg(2, non-canonical)", hypercall2(__HYPERVISOR_set_debugreg, 2, 0x8000000000000000ull),
             -XEN_EPERM);
    CHECK_EQ("set_debugreg(7, upper bits)", hypercall2(__HYPERVISOR_set_debugreg, 7, 1ull << 32), -XEN_EINVAL);
    CHECK_EQ("set_debugreg(6, upper bits)", hypercall2(__HYPERVISOR_set_debugreg, 6, 1ull << 32), -XEN_EINVAL);
    CHECK_EQ("set_debugreg(8)", hypercall2(__HYPERVISOR_set_debugreg, 8, 0), -XEN_ENODEV);
    CHECK_EQ("get_debugreg(8)", hypercall1(__HYPERVISOR_get_debugreg, 8), -XEN_ENODEV);
    CHECK_EQ("set_debugreg(6, 0)", hypercall2(__HYPERVISOR_set_debugreg, 6, 0), 0);
    int64_t dr6 = hypercall1(__HYPERVISOR_get_debugreg, 6);
    CHECK_EQ("dr6 after writing 0", dr6, 0xffff0ff0);
    CHECK_EQ("set_debugreg(7, 0)", hypercall2(__HYPERVISOR_set_debugreg, 7, 0), 0);
    int64_t dr7 = hypercall1(__HYPERVISOR_get_debugreg, 7);
    CHECK_EQ("dr7 after writing 0", dr7, 0x400);
    CHECK_EQ("get_debugreg(4) aliases dr6 without CR4.DE", hypercall1(__HYPERVISOR_get_debugreg, 4), dr6);
    CHECK_EQ("get_debugreg(5) aliases dr7 without CR4.DE", hypercall1(__HYPERVISOR_get_debugreg, 5), dr7);
    return NULL;
}

static const char *test_mov_dr(char *why, size_t len)
{
    uint64_t va = (uint64_t)data_page + 8, v = 0;
    GUARDED("mov %0, %%dr1", :: "r"(va) : "r11", "memory");
    CHECK_FAULT("mov to dr1", NO_FAULT, 0);
    GUARDED("mov %%dr1, %0", : "+r"(v) :: "r11", "memory");
    CHECK_FAULT("mov from dr1", NO_FAULT, 0);
    CHECK_EQ("dr1", v, va);
    CHECK_EQ("get_debugreg(1)", hypercall1(__HYPERVISOR_get_debugreg, 1), va);
    uint64_t bad = 0xffff830000000000ull;
    GUARDED("mov %0, %%dr2", :: "r"(bad) : "r11", "memory");
    CHECK_FAULT("mov to dr2 (hypervisor va)", 13, 0);
    GUARDED("mov %%dr6, %0", : "+r"(v) :: "r11", "memory");
    CHECK_FAULT("mov from dr6", NO_FAULT, 0);
    CHECK_EQ("dr6", v, (uint64_t)hypercall1(__HYPERVISOR_get_debugreg, 6));
    return NULL;
}

static uint64_t fs_target = 0x1122334455667788ull, gs_target = 0x0102030405060708ull;

static const char *test_msr_segment_bases(char *why, size_t len)
{
    uint64_t v;
    wrmsr(MSR_FS_BASE, (uint64_t)&fs_target);
    CHECK_FAULT("wrmsr FS_BASE", NO_FAULT, 0);
    __asm__ volatile("mov %%fs:0, %0" : "=r"(v));
    CHECK_EQ("%fs:0", v, fs_target);
    CHECK_EQ("rdmsr FS_BASE", rdmsr(MSR_FS_BASE), (uint64_t)&fs_target);
    wrmsr(MSR_GS_BASE, (uint64_t)&gs_target);
    CHECK_FAULT("wrmsr GS_BASE", NO_FAULT, 0);
    __asm__ volatile("mov %%gs:0, %0" : "=r"(v));
    CHECK_EQ("%gs:0", v, gs_target);
    CHECK_EQ("rdmsr GS_BASE", rdmsr(MSR_GS_BASE), (uint64_t)&gs_target);
    wrmsr(MSR_SHADOW_GS_BASE, 0x7000);
    CHECK_FAULT("wrmsr SHADOW_GS_BASE", NO_FAULT, 0);
    CHECK_EQ("rdmsr SHADOW_GS_BASE", rdmsr(MSR_SHADOW_GS_BASE), 0x7000);
    wrmsr(MSR_FS_BASE, 0x8000000000000000ull);
    CHECK_FAULT("wrmsr FS_BASE non-canonical", 13, 0);
    CHECK_EQ("FS_BASE after refused write", rdmsr(MSR_FS_BASE), (uint64_t)&fs_target);
    wrmsr(MSR_FS_BASE, 0);
    wrmsr(MSR_GS_BASE, 0);
    wrmsr(MSR_SHADOW_GS_BASE, 0);
    return NULL;
}

static const char *test_msr_efer(char *why, size_t len)
{
    uint64_t v = rdmsr(MSR_EFER);
    CHECK_FAULT("rdmsr EFER", NO_FAULT, 0);
    CHECK_EQ("EFER", v, XEN_EFER);
    return NULL;
}

static const char *test_msr_off_list(char *why, size_t len)
{
    rdmsr(MSR_LSTAR);
    CHECK_FAULT("rdmsr LSTAR", 13, 0);
    wrmsr(MSR_LSTAR, 0);
    CHECK_FAULT("wrmsr LSTAR", 13, 0);
    rdmsr(MSR_NONE);
    CHECK_FAULT("rdmsr of no MSR", 13, 0);
    wrmsr(MSR_NONE, 0);
    CHECK_FAULT("wrmsr of no MSR", 13, 0);
    rdmsr(0xc0000081);
    CHECK_FAULT("rdmsr STAR", 13, 0);
    return NULL;
}

/* MSRs Xen 4.17 lets a PV dom0 read (TSC, APIC base, microcode and PAT are the host's). */
static const char *test_msr_allow_list(char *why, size_t len)
{
    static const uint32_t host_msrs[] = { 0x10, 0x1b, 0x8b, 0x277 };
    for (unsigned int i = 0; i < ARRAY_SIZE(host_msrs); i++) {
        rdmsr(host_msrs[i]);
        CHECK_FAULT("rdmsr of a host MSR on the list", NO_FAULT, 0);
    }
    /* MISC_ENABLE: QEMU's fast strings, plus BTS and PEBS unavailable and xTPR disabled, as Xen shows it. */
    CHECK_EQ("MISC_ENABLE", rdmsr(0x1a0), 0x801801);
    CHECK_EQ("TSC_AUX", rdmsr(0xc0000103), 0);
    return NULL;
}

/*
 * Machine-check MSRs as Xen 4.17's vMCE shows them: MCG_CAP gives two banks (with
 * SER, TES and CMCI on Intel hosts), each MCi_CTL reads all ones, the rest of the
 * MCG and bank ranges reads 0 and takes writes, a bank's STATUS, ADDR and MISC take
 * only 0, and MCG_EXT_CTL (no local machine checks) is #GP. Linux's machine-check
 * setup reads these before its first timer tick.
 */
#define MCG_CAP_AMD     2ull
#define MCG_CAP_INTEL   0x1000c02ull

static bool host_is_intel(void)
{
    uint32_t a = 0, b, c = 0, d;
    __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
    return b == 0x756e6547u;                /* "Genu"ineIntel */
}

static const char *test_msr_machine_check(char *why, size_t len)
{
    CHECK_EQ("MCG_CAP", rdmsr(0x179), host_is_intel() ? MCG_CAP_INTEL : MCG_CAP_AMD);
    CHECK_FAULT("rdmsr MCG_CAP", NO_FAULT, 0);
    CHECK_EQ("MCG_STATUS", rdmsr(0x17a), 0);
    CHECK_EQ("MCG_CTL", rdmsr(0x17b), 0);
    wrmsr(0x17a, 4);
    CHECK_FAULT("wrmsr MCG_STATUS", NO_FAULT, 0);
    CHECK_EQ("MCG_STATUS after a write", rdmsr(0x17a), 4);
    wrmsr(0x17a, 0);
    CHECK_EQ("MC0_CTL", rdmsr(0x400), ~0ull);
    CHECK_EQ("MC1_CTL", rdmsr(0x404), ~0ull);
    CHECK_EQ("MC1_STATUS", rdmsr(0x405), 0);
    CHECK_EQ("MC2_CTL (past the banks)", rdmsr(0x408), 0);
    CHECK_EQ("MC31_MISC", rdmsr(0x47f), 0);
    CHECK_FAULT("rdmsr MC31_MISC", NO_FAULT, 0);
    wrmsr(0x400, 0);
    CHECK_FAULT("wrmsr MC0_CTL", NO_FAULT, 0);
    CHECK_EQ("MC0_CTL after a write", rdmsr(0x400), ~0ull);
    wrmsr(0x401, 0);
    CHECK_FAULT("wrmsr MC0_STATUS 0", NO_FAULT, 0);
    wrmsr(0x405, 1);
    CHECK_FAULT("wrmsr MC1_STATUS 1", 13, 0);
    wrmsr(0x406, ~0ull);
    CHECK_FAULT("wrmsr MC1_ADDR all ones", 13, 0);
    wrmsr(0x409, 1);
    CHECK_FAULT("wrmsr MC2_STATUS (past the banks)", NO_FAULT, 0);
    rdmsr(0x4d0);
    CHECK_FAULT("rdmsr MCG_EXT_CTL", 13, 0);
    rdmsr(0x480);
    CHECK_FAULT("rdmsr past the bank range", 13, 0);
    return NULL;
}

/* EFER takes only the value it has; TSC_AUX is the vCPU's own, and RDTSCP reads it. */
static const char *test_msr_writes(char *why, size_t len)
{
    wrmsr(MSR_EFER, XEN_EFER);
    CHECK_FAULT("wrmsr EFER (same value)", NO_FAULT, 0);
    wrmsr(MSR_EFER, XEN_EFER & ~0x800ull);
    CHECK_FAULT("wrmsr EFER (without NXE)", 13, 0);
    CHECK_EQ("EFER after writes", rdmsr(MSR_EFER), XEN_EFER);
    wrmsr(0xc0000103, 5);
    CHECK_FAULT("wrmsr TSC_AUX", NO_FAULT, 0);
    CHECK_EQ("TSC_AUX after a write", rdmsr(0xc0000103), 5);
    uint32_t aux = 0;
    __asm__ volatile("rdtscp" : "+c"(aux) :: "rax", "rdx");
    CHECK_EQ("rdtscp's TSC_AUX", aux, 5);
    wrmsr(0xc0000103, 1ull << 32);
    CHECK_FAULT("wrmsr TSC_AUX with upper bits", 13, 0);
    wrmsr(0xc0000103, 0);
    return NULL;
}

static const char *test_wbinvd(char *why, size_t len)
{
    GUARDED("wbinvd", ::: "r11", "memory");
    CHECK_FAULT("wbinvd", NO_FAULT, 0);
    return NULL;
}

static const char *test_not_emulated(char *why, size_t len)
{
    /* Xen 4.17 emulates none of these for a PV guest: the #GP(0) is the guest's. */
    GUARDED("invd", ::: "r11", "memory");
    CHECK_FAULT("invd", 13, 0);
    GUARDED("lmsw %w0", :: "r"(0x3b) : "r11", "memory");
    CHECK_FAULT("lmsw", 13, 0);
    GUARDED("hlt", ::: "r11", "memory");
    CHECK_FAULT("hlt", 13, 0);
    uint64_t v = 0;
    GUARDED("mov %%cr8, %0", : "+r"(v) :: "r11", "memory");
    CHECK_FAULT("mov from cr8", 13, 0);
    GUARDED(".byte 0x0f, 0x20, 0xe8", ::: "rax", "r11", "memory");      /* mov %cr5, %rax */
    CHECK_FAULT("mov from cr5", 13, 0);
    GUARDED(".byte 0x0f, 0x21, 0xe0", ::: "rax", "r11", "memory");      /* mov %dr4, %rax */
    CHECK_FAULT("mov from dr4 (dr6 while CR4.DE is clear)", NO_FAULT, 0);
    return NULL;
}

static const char *test_prefixes(char *why, size_t len)
{
    uint64_t v = 0;
    /* Segment and REX.W prefixes change nothing for mov from cr0. */
    GUARDED(".byte 0x2e, 0x3e, 0x48, 0x0f, 0x20, 0xc0\n\tmov %%rax, %0", : "+r"(v) :: "rax", "r11", "memory");
    CHECK_FAULT("cs ds rex.w mov from cr0", NO_FAULT, 0);
    CHECK_EQ("cr0 through prefixes", v, XEN_CR0 & ~CR0_TS);
    /* 16 bytes: the CPU refuses it before any privilege check. */
    v = 0x77;
    GUARDED(".byte 0x2e,0x2e,0x2e,0x2e,0x2e,0x2e,0x2e,0x2e,0x2e,0x2e,0x2e,0x2e,0x2e, 0x0f, 0x20, 0xc0\n\t"
            "mov %%rax, %0", : "+r"(v) : "a"(0x77) : "r11", "memory");
    CHECK_FAULT("16-byte mov from cr0", 13, 0);
    CHECK_EQ("rax after the 16-byte mov", v, 0x77);
    /* LOCK is not allowed on mov to or from a control register. */
    GUARDED(".byte 0xf0, 0x0f, 0x20, 0xc0", ::: "rax", "r11", "memory");
    CHECK_FAULT("lock mov from cr0", 6, 0);
    return NULL;
}

static const char *test_forced_cpuid_xen_leaves(char *why, size_t len)
{
    struct regs4 r = forced_cpuid(0x40000000, 0);
    CHECK_FAULT("forced cpuid", NO_FAULT, 0);
    CHECK_EQ("0x40000000 eax (last leaf)", r.a, 0x40000005);
    CHECK_EQ("0x40000000 ebx", r.b, 0x566e6558);      /* "XenVMMXenVMM" */
    CHECK_EQ("0x40000000 ecx", r.c, 0x65584d4d);
    CHECK_EQ("0x40000000 edx", r.d, 0x4d4d566e);
    r = forced_cpuid(0x40000001, 0);
    CHECK_EQ("0x40000001 eax (version 4.17)", r.a, 0x00040011);
    CHECK_EQ("0x40000001 ebx|ecx|edx", r.b | r.c | r.d, 0);
    r = forced_cpuid(0x40000002, 0);
    CHECK_EQ("0x40000002 eax (hypercall pages)", r.a, 1);
    CHECK_EQ("0x40000002 ebx (MSR base)", r.b, 0x40000000);
    CHECK_EQ("0x40000002 ecx (MMU_PT_UPDATE_PRESERVE_AD)", r.c, 1);
    CHECK_EQ("0x40000002 edx", r.d, 0);
    r = forced_cpuid(0x40000003, 0);
    CHECK_EQ("0x40000003 ebx|ecx|edx (time: native TSC mode)", r.b | r.c | r.d, 0);
    r = forced_cpuid(0x40000004, 0);
    CHECK_EQ("0x40000004 (HVM only)", r.a | r.b | r.c | r.d, 0);
    r = forced_cpuid(0x40000005, 0);
    CHECK_EQ("0x40000005 eax|ecx|edx", r.a | r.c | r.d, 0);
    if (r.b < 20 || r.b > 52)
        return fail(why, len, "0x40000005 ebx (machine address width) %u", r.b);
    r = forced_cpuid(0x40000006, 0);
    CHECK_EQ("0x40000006 (past the last leaf)", r.a | r.b | r.c | r.d, 0);
    return NULL;
}

#define BIT(n) (1u << (n))

static const char *test_forced_cpuid_features(char *why, size_t len)
{
    struct regs4 f = forced_cpuid(0, 0), n = native_cpuid(0, 0);
    CHECK_EQ("vendor ebx", f.b, n.b);
    CHECK_EQ("vendor ecx", f.c, n.c);
    CHECK_EQ("vendor edx", f.d, n.d);
    f = forced_cpuid(1, 0);
    n = native_cpuid(1, 0);
    CHECK_EQ("leaf 1 eax (signature)", f.a, n.a);
    CHECK_EQ("leaf 1 ecx HYPERVISOR", f.c & BIT(31), BIT(31));
    CHECK_EQ("leaf 1 ecx MONITOR|VMX|SMX|X2APIC", f.c & (BIT(3) | BIT(5) | BIT(6) | BIT(21)), 0);
    CHECK_EQ("leaf 1 edx PSE|PGE|PSE36", f.d & (BIT(3) | BIT(13) | BIT(17)), 0);
    CHECK_EQ("leaf 1 edx FPU|TSC|CX8|CMOV|FXSR|SSE2", f.d & (BIT(0) | BIT(4) | BIT(8) | BIT(15) | BIT(24) | BIT(26)),
             n.d & (BIT(0) | BIT(4) | BIT(8) | BIT(15) | BIT(24) | BIT(26)));
    f = forced_cpuid(7, 0);
    CHECK_EQ("leaf 7 ebx SMEP|SMAP", f.b & (BIT(7) | BIT(20)), 0);
    CHECK_EQ("leaf 7 ecx UMIP|PKU|LA57", f.c & (BIT(2) | BIT(3) | BIT(16)), 0);
    f = forced_cpuid(0x80000001, 0);
    n = native_cpuid(0x80000001, 0);
    CHECK_EQ("leaf 0x80000001 ecx SVM", f.c & BIT(2), 0);
    CHECK_EQ("leaf 0x80000001 edx PSE|PGE|PSE36|Page1GB", f.d & (BIT(3) | BIT(13) | BIT(17) | BIT(26)), 0);
    CHECK_EQ("leaf 0x80000001 edx LM|NX|SYSCALL", f.d & (BIT(29) | BIT(20) | BIT(11)),
             n.d & (BIT(29) | BIT(20) | BIT(11)));
    return NULL;
}

static const char *test_forced_cpuid_user(char *why, size_t len)
{
    IN_USER(user_forced_cpuid);
    CHECK_FAULT("forced cpuid in user mode", NO_FAULT, 0);
    CHECK_EQ("0x40000000 ebx from user mode", user_out, 0x566e6558);
    return NULL;
}

static const char *test_forced_other_insn(char *why, size_t len)
{
    uint64_t at = 0;
    GUARDED("lea 2f(%%rip), %%rax\n\tmov %%rax, %0\n2:\tud2; .ascii \"xen\"; nop", : "+r"(at) :: "rax", "r11",
            "memory");
    CHECK_FAULT("forced nop", 6, 0);
    CHECK_EQ("#UD rip", last_exc.rip, at);
    GUARDED("ud2; .ascii \"xen\"; rdtsc", ::: "rax", "rdx", "r11", "memory");
    CHECK_FAULT("forced rdtsc", 6, 0);
    GUARDED("ud2; .ascii \"xen\"; .byte 0x66; cpuid", ::: "rax", "rbx", "rcx", "rdx", "r11", "memory");
    CHECK_FAULT("forced cpuid with a prefix", 6, 0);
    return NULL;
}

/* Two pages: code at the end of the first, the second unmapped while the test runs. */
static uint8_t code_pages[2 * 4096] __attribute__((aligned(4096)));

static const char *run_across(char *why, size_t len, const uint8_t *bytes, unsigned int n_first,
                              unsigned int n_total, uint64_t *err, uint64_t *cr2)
{
    uint8_t *second = code_pages + 4096;
    for (unsigned int i = 0; i < n_total; i++)
        code_pages[4096 - n_first + i] = bytes[i];
    uint64_t pte = read_pte((uint64_t)second, 1);
    int64_t rc = hypercall3(__HYPERVISOR_update_va_mapping, (uint64_t)second, 0, UVMF_INVLPG);
    if (rc)
        return fail(why, len, "unmapping the second page: %lld", (long long)rc);
    void *entry = code_pages + 4096 - n_first;
    GUARDED("jmp *%0", :: "r"(entry) : "rax", "rbx", "rcx", "rdx", "r11", "memory");
    *err = last_exc.error_code;
    *cr2 = shinfo()->vcpu_info[0].arch.cr2;
    uint64_t vec = last_exc.vector;
    rc = hypercall3(__HYPERVISOR_update_va_mapping, (uint64_t)second, pte, UVMF_INVLPG);
    if (rc)
        return fail(why, len, "remapping the second page: %lld", (long long)rc);
    if (vec != 14)
        return fail(why, len, "vector %lld, want #PF", (long long)vec);
    return NULL;
}

static const char *test_fetch_across_pages(char *why, size_t len)
{
    const char *r;
    uint64_t err, cr2, second = (uint64_t)code_pages + 4096;
    /* mov %cr0, %rax with its ModRM on the unmapped page: the CPU's own fetch faults. */
    static const uint8_t mov_cr0[] = { 0x0f, 0x20, 0xc0 };
    if ((r = run_across(why, len, mov_cr0, 2, 3, &err, &cr2)))
        return r;
    CHECK_EQ("mov cr0 across: error code", err, 0);
    CHECK_EQ("mov cr0 across: cr2", cr2, second);
    /* The forced-emulation signature cut after ud2: the emulator's fetch faults, error code 0. */
    static const uint8_t sig[] = { 0x0f, 0x0b, 0x78, 0x65, 0x6e, 0x0f, 0xa2 };
    if ((r = run_across(why, len, sig, 2, 7, &err, &cr2)))
        return r;
    CHECK_EQ("signature across: error code", err, 0);
    CHECK_EQ("signature across: cr2", cr2, second);
    /* The signature whole, cpuid on the next page. */
    if ((r = run_across(why, len, sig, 5, 7, &err, &cr2)))
        return r;
    CHECK_EQ("cpuid across: error code", err, 0);
    CHECK_EQ("cpuid across: cr2", cr2, second);
    return NULL;
}


/* ---- breakpoints: the debug registers a guest sets are the CPU's while it runs ---- */

#define DR6_RESET       0xffff0ff0ull
#define DR6_B0          (1ull << 0)
#define DR6_B1          (1ull << 1)
#define DR6_BS          (1ull << 14)
#define DR7_L0          (1ull << 0)
#define DR7_L1          (1ull << 2)
#define DR7_RW0_WRITE   (1ull << 16)
#define DR7_LEN0_4      (3ull << 18)
#define DR7_GD          (1ull << 13)

static volatile uint32_t watched[4] __attribute__((aligned(16)));

/* An instruction breakpoint's target: reached by jmp, it goes back to the test (exc_resume) if nothing faults. */
extern char dr_exec_target[];
__asm__(".pushsection .text\n"
        "dr_exec_target: nop\n"
        "    jmp *exc_resume(%rip)\n"
        ".popsection");

static int64_t set_dr(unsigned int reg, uint64_t v) { return hypercall2(__HYPERVISOR_set_debugreg, reg, v); }
static uint64_t get_dr(unsigned int reg) { return (uint64_t)hypercall1(__HYPERVISOR_get_debugreg, reg); }

/* Breakpoints off, DR6 reset: what every breakpoint case leaves behind. */
static void dr_reset(void)
{
    set_dr(7, 0);
    set_dr(6, 0);
}

static const char *test_dr_data_breakpoint(char *why, size_t len)
{
    CHECK_EQ("set_debugreg(0, &watched)", set_dr(0, (uint64_t)&watched[1]), 0);
    CHECK_EQ("set_debugreg(6, 0)", set_dr(6, 0), 0);
    CHECK_EQ("set_debugreg(7, write watch)", set_dr(7, DR7_L0 | DR7_RW0_WRITE | DR7_LEN0_4), 0);
    uint64_t after = 0;
    GUARDED("lea 2f(%%rip), %0\n\t"
            "movl $7, %1\n"
            "2:", : "=r"(after), "=m"(watched[1]) :: "r11", "memory");
    uint64_t dr6 = get_dr(6), rip = last_exc.rip;
    uint64_t vec = last_exc.vector;
    /* A read does not hit a write watch. */
    uint32_t seen = 0;
    GUARDED("movl %1, %0", : "=r"(seen) : "m"(watched[1]) : "r11", "memory");
    uint64_t read_vec = last_exc.vector;
    dr_reset();
    CHECK_EQ("#DB after the store", vec, 1);
    CHECK_EQ("#DB is a trap: rip after the store", rip, after);
    CHECK_EQ("dr6 names B0", dr6, DR6_RESET | DR6_B0);
    CHECK_EQ("the store completed", watched[1], 7);
    CHECK_EQ("a read under a write watch", read_vec, NO_FAULT);
    CHECK_EQ("dr6 reset after", get_dr(6), DR6_RESET);
    return NULL;
}

static const char *test_dr_exec_breakpoint(char *why, size_t len)
{
    CHECK_EQ("set_debugreg(1, target)", set_dr(1, (uint64_t)dr_exec_target), 0);
    CHECK_EQ("set_debugreg(6, 0)", set_dr(6, 0), 0);
    CHECK_EQ("set_debugreg(7, execute)", set_dr(7, DR7_L1), 0);
    GUARDED("jmp *%0", :: "r"(dr_exec_target) : "r11", "memory");
    uint64_t vec = last_exc.vector, rip = last_exc.rip, dr6 = get_dr(6);
    dr_reset();
    CHECK_EQ("#DB at the target", vec, 1);
    CHECK_EQ("#DB is a fault: rip on the instruction", rip, (uint64_t)dr_exec_target);
    CHECK_EQ("dr6 names B1", dr6, DR6_RESET | DR6_B1);
    /* Off again: the target runs through. */
    GUARDED("jmp *%0", :: "r"(dr_exec_target) : "r11", "memory");
    CHECK_FAULT("target with breakpoints off", NO_FAULT, 0);
    return NULL;
}

/* Both hits on one vCPU, through mov %drN, and the status bits gather in DR6 until the guest clears them. */
static const char *test_dr_status_sticky(char *why, size_t len)
{
    uint64_t dr0 = (uint64_t)&watched[2], dr7 = DR7_L0 | DR7_RW0_WRITE | DR7_LEN0_4;
    GUARDED("mov %0, %%dr0", :: "r"(dr0) : "r11", "memory");
    CHECK_FAULT("mov to dr0", NO_FAULT, 0);
    CHECK_EQ("set_debugreg(6, 0)", set_dr(6, 0), 0);
    GUARDED("mov %0, %%dr7", :: "r"(dr7) : "r11", "memory");
    CHECK_FAULT("mov to dr7", NO_FAULT, 0);
    GUARDED("movl $1, %0", : "=m"(watched[2]) :: "r11", "memory");
    uint64_t vec1 = last_exc.vector;
    /* A single-stepped emulated instruction adds BS; B0 stays. */
    uint64_t v = 0, want_cr0 = cr0();
    GUARDED("pushfq\n\t"
            "orq $0x100, (%%rsp)\n\t"
            "popfq\n\t"
            "mov %%cr0, %0", : "+r"(v) :: "r11", "memory");
    uint64_t vec2 = last_exc.vector, dr6 = 0;
    GUARDED("mov %%dr6, %0", : "+r"(dr6) :: "r11", "memory");
    dr_reset();
    CHECK_EQ("#DB for the store", vec1, 1);
    CHECK_EQ("#DB after the stepped mov from cr0", vec2, 1);
    CHECK_EQ("mov from cr0 completed", v, want_cr0);
    CHECK_EQ("dr6 gathers B0 and BS", dr6, DR6_RESET | DR6_B0 | DR6_BS);
    return NULL;
}

/* A watch the hypervisor trips writing guest memory for a hypercall: Xen notes it and the guest sees nothing. */
static const char *test_dr_hypervisor_access(char *why, size_t len)
{
    static char version[16] __attribute__((aligned(16)));
    memset(version, 0x5a, sizeof(version));
    CHECK_EQ("set_debugreg(0, buffer)", set_dr(0, (uint64_t)version), 0);
    CHECK_EQ("set_debugreg(6, 0)", set_dr(6, 0), 0);
    CHECK_EQ("set_debugreg(7, write watch)", set_dr(7, DR7_L0 | DR7_RW0_WRITE | DR7_LEN0_4), 0);
    last_exc.vector = NO_FAULT;
    int64_t rc = hypercall2(__HYPERVISOR_xen_version, XENVER_extraversion, version);
    uint64_t vec = last_exc.vector, dr6 = get_dr(6);
    dr_reset();
    CHECK_EQ("xen_version(extraversion)", rc, 0);
    CHECK_EQ("no #DB reaches the guest", vec, NO_FAULT);
    CHECK_EQ("dr6 untouched", dr6, DR6_RESET);
    if ((uint8_t)version[0] == 0x5a)
        return fail(why, len, "the hypervisor did not write the buffer");
    return NULL;
}

/* DR7.GD is the hypervisor's: refused; I/O breakpoints need CR4.DE and read back whole. */
static const char *test_dr7_rules(char *why, size_t len)
{
    CHECK_EQ("set_debugreg(7, GD)", set_dr(7, DR7_GD), -XEN_EPERM);
    uint64_t io_bp = DR7_L0 | (2ull << 16);        /* breakpoint 0: I/O, one byte */
    CHECK_EQ("set_debugreg(7, I/O without DE)", set_dr(7, io_bp), -XEN_EPERM);
    uint64_t c4 = cr4();
    set_cr4(c4 | CR4_DE);
    CHECK_EQ("set_debugreg(0, port)", set_dr(0, 0x80), 0);
    int64_t rc = set_dr(7, io_bp);
    uint64_t dr7 = get_dr(7);
    dr_reset();
    set_cr4(c4);
    CHECK_EQ("set_debugreg(7, I/O with DE)", rc, 0);
    CHECK_EQ("get_debugreg(7) shows the I/O breakpoint", dr7, io_bp | 0x400);
    return NULL;
}

DEFINE_TESTS(
    { "setup", test_setup },
    { "cr0_read", test_cr0_read },
    { "cr0_ts_follows_fpu_taskswitch", test_cr0_ts_fpu_taskswitch },
    { "clts_clears_ts", test_clts },
    { "cr0_write_ts", test_cr0_write_ts },
    { "cr0_write_other_bits_gp", test_cr0_write_other_bits },
    { "cr2_round_trip", test_cr2 },
    { "cr3_round_trip", test_cr3_round_trip },
    { "cr3_write_refused_gp", test_cr3_write_refused },
    { "cr4_read_and_write", test_cr4 },
    { "cr4_tsd_rdtsc", test_cr4_tsd },
    { "user_mode_privileged_gp", test_user_mode_gp },
    { "debugreg_hypercalls", test_debugreg_hypercalls },
    { "mov_dr", test_mov_dr },
    { "dr_data_breakpoint", test_dr_data_breakpoint },
    { "dr_exec_breakpoint", test_dr_exec_breakpoint },
    { "dr_status_sticky", test_dr_status_sticky },
    { "dr_hypervisor_access", test_dr_hypervisor_access },
    { "dr7_rules", test_dr7_rules },
    { "msr_segment_bases", test_msr_segment_bases },
    { "msr_efer", test_msr_efer },
    { "msr_off_list_gp", test_msr_off_list },
    { "msr_allow_list", test_msr_allow_list },
    { "msr_writes", test_msr_writes },
    { "msr_machine_check", test_msr_machine_check },
    { "wbinvd_ignored", test_wbinvd },
    { "invd_lmsw_hlt_cr8_gp", test_not_emulated },
    { "prefixes_length_lock", test_prefixes },
    { "forced_cpuid_xen_leaves", test_forced_cpuid_xen_leaves },
    { "forced_cpuid_features", test_forced_cpuid_features },
    { "forced_cpuid_user_mode", test_forced_cpuid_user },
    { "forced_other_insn_ud", test_forced_other_insn },
    { "fetch_across_pages", test_fetch_across_pages },
);
