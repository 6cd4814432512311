/*
 * I/O ports: IN, OUT, INS and OUTS emulated from #GP under the virtual IOPL
 * (PHYSDEVOP_set_iopl), as Xen 4.17 does. As dom0 (differential): PCI
 * configuration space through the virtual 0xCF8, QEMU's DMA page registers
 * for real port I/O, ports the hypervisor keeps read as all ones, REP string
 * forms with their faults. As a domU (role=domu): no port is held.
 */
#include "exceptions.h"
#include "events.h"
#include "guest.h"
#include "hypercall.h"
#include "mm.h"
#include "user.h"
#include "smp.h"
#include <public/domctl.h>
#include <public/errno.h>
#include <public/physdev.h>

const char test_title[] = "ioport: IN/OUT/INS/OUTS emulation, virtual IOPL, port permissions";

#define PCI_ADDR        0xcf8
#define PCI_DATA        0xcfc
#define PCI_ENABLE      0x80000000u
#define HOST_BRIDGE_ID  0x29c08086u     /* QEMU q35 (tools/run_qemu.py): the MCH at 0:0.0, device << 16 | vendor */
#define DMA_PAGE_CH2    0x81            /* QEMU i8257 page registers: plain read/write storage */
#define DMA_PAGE_CH3    0x82
#define DMA_PAGE_CH1    0x83
#define PIT_CH0         0x40            /* the hypervisor's: reads all ones */
#define COM1_IER        0x3f9
#define FAR_VA          (GUEST_VIRT_BASE + 0x5000000ull)   /* one mapped page, an unmapped one after */
#define X86_IOPL_SHIFT  12

struct io_regs { uint64_t rax, rcx, rdx, rsi, rdi; };

/* Where the instruction under test starts (label 0 in IO_RUN) and where it ends (label 1). */
volatile uint64_t io_insn_rip, io_end_rip;

/* Runs `insn` with r's registers in and out; a fault resumes after it (last_exc says which). */
#define IO_RUN(r, insn)                                                                 \
    do {                                                                                \
        last_exc.vector = ~0ull;                                                        \
        __asm__ volatile("lea 1f(%%rip), %%r11\n\tmov %%r11, exc_resume(%%rip)\n\t"     \
                         "lea 0f(%%rip), %%r11\n\tmov %%r11, io_insn_rip(%%rip)\n\t"    \
                         "lea 1f(%%rip), %%r11\n\tmov %%r11, io_end_rip(%%rip)\n"       \
                         "0:\t" insn "\n1:\n\tcld\n\tmovq $0, exc_resume(%%rip)"        \
                         : "+a"((r).rax), "+c"((r).rcx), "+d"((r).rdx), "+S"((r).rsi),  \
                           "+D"((r).rdi) :: "r11", "memory", "cc");                     \
    } while (0)

static bool is_dom0(void) { return start_info->flags & SIF_INITDOMAIN; }

static int64_t set_iopl(uint32_t iopl)
{
    struct physdev_set_iopl op = { .iopl = iopl };
    return hypercall2(__HYPERVISOR_physdev_op, PHYSDEVOP_set_iopl, &op);
}

static const char *no_fault(char *why, size_t len, const char *what)
{
    if (last_exc.vector != ~0ull)
        return fail(why, len, "%s: exception %llu error %#llx at %#llx", what, (unsigned long long)last_exc.vector,
                    (unsigned long long)last_exc.error_code, (unsigned long long)last_exc.rip);
    return NULL;
}

/* The instruction at label 0 faulted with vector/error, and RIP was left on it. */
static const char *fault_at_insn(char *why, size_t len, const char *what, uint64_t vector, uint64_t error)
{
    if (last_exc.vector != vector || last_exc.error_code != error || last_exc.rip != io_insn_rip)
        return fail(why, len, "%s: got vector %lld error %#llx at %#llx, want %llu error %#llx at %#llx", what,
                    (long long)last_exc.vector, (unsigned long long)last_exc.error_code,
                    (unsigned long long)last_exc.rip, (unsigned long long)vector, (unsigned long long)error,
                    (unsigned long long)io_insn_rip);
    return NULL;
}

static const char *test_setup(char *why, size_t len)
{
    int64_t rc = exceptions_install();
    if (rc)
        return fail(why, len, "set_trap_table: %lld", (long long)rc);
    if ((rc = events_init()))
        return fail(why, len, "events_init: %lld", (long long)rc);
    return NULL;
}

/* A PV kernel counts as CPL 1 and starts with IOPL 0: every port faults, held or not. */
static const char *test_no_iopl_gp(char *why, size_t len)
{
    struct io_regs r = { .rax = 0x5a, .rdx = PCI_ADDR };
    const char *e;
    IO_RUN(r, "inb $0x81, %%al");
    if ((e = fault_at_insn(why, len, "inb imm8", 13, 0)))
        return e;
    IO_RUN(r, "outl %%eax, %%dx");
    if ((e = fault_at_insn(why, len, "outl dx", 13, 0)))
        return e;
    IO_RUN(r, "inb $0x40, %%al");
    if ((e = fault_at_insn(why, len, "inb PIT", 13, 0)))
        return e;
    r.rcx = 1, r.rdi = (uint64_t)&r;
    IO_RUN(r, "rep insb");
    if ((e = fault_at_insn(why, len, "rep insb", 13, 0)))
        return e;
    if (r.rcx != 1 || r.rdi != (uint64_t)&r)
        return fail(why, len, "rep insb changed rcx %#llx rdi %#llx", (unsigned long long)r.rcx,
                    (unsigned long long)r.rdi);
    return r.rax == 0x5a ? NULL : fail(why, len, "rax changed to %#llx", (unsigned long long)r.rax);
}

/* A REP string op with a zero count completes without any check, IOPL or not. */
static const char *test_rep_zero_count(char *why, size_t len)
{
    struct io_regs r = { .rcx = 0, .rdx = DMA_PAGE_CH2, .rdi = 0x10 };
    IO_RUN(r, "rep insb");
    const char *e = no_fault(why, len, "rep insb rcx=0");
    return e ? e : r.rdi == 0x10 ? NULL : fail(why, len, "rdi %#llx", (unsigned long long)r.rdi);
}

static const char *test_set_iopl(char *why, size_t len)
{
    int64_t rc = set_iopl(4);
    if (rc != -XEN_EINVAL)
        return fail(why, len, "iopl 4: %lld, want -EINVAL", (long long)rc);
    rc = hypercall2(__HYPERVISOR_physdev_op, PHYSDEVOP_set_iopl, 0x10);
    if (rc != -XEN_EFAULT)
        return fail(why, len, "unmapped argument: %lld, want -EFAULT", (long long)rc);
    if ((rc = set_iopl(1)))
        return fail(why, len, "iopl 1: %lld", (long long)rc);
    return NULL;
}

/* Xen 4.17 keeps the virtual IOPL out of the frames it pushes: RFLAGS.IOPL reads 0 there. */
static const char *test_bounce_frame_iopl(char *why, size_t len)
{
    struct io_regs r = { 0 };
    IO_RUN(r, "ud2");
    const char *e = fault_at_insn(why, len, "ud2", 6, 0);
    if (e)
        return e;
    if (last_exc.rflags & (3u << X86_IOPL_SHIFT))
        return fail(why, len, "frame rflags %#llx, want IOPL 0", (unsigned long long)last_exc.rflags);
    return NULL;
}

/* 0xCF8 dword accesses are virtual: what the domain wrote comes back. */
static const char *test_pci_cf8(char *why, size_t len)
{
    struct io_regs r = { .rax = 0xffffffff80001234ull, .rdx = PCI_ADDR };
    IO_RUN(r, "outl %%eax, %%dx");
    const char *e = no_fault(why, len, "outl 0xcf8");
    if (e)
        return e;
    r.rax = 0xdeadbeefdeadbeefull;
    IO_RUN(r, "inl %%dx, %%eax");
    if ((e = no_fault(why, len, "inl 0xcf8")))
        return e;
    /* A 32-bit IN clears RAX's upper half. */
    return r.rax == 0x80001234u ? NULL : fail(why, len, "inl 0xcf8 gave %#llx", (unsigned long long)r.rax);
}

static const char *pci_select(char *why, size_t len, uint32_t addr)
{
    struct io_regs r = { .rax = addr, .rdx = PCI_ADDR };
    IO_RUN(r, "outl %%eax, %%dx");
    return no_fault(why, len, "outl 0xcf8");
}

static uint32_t pci_id_want(void) { return is_dom0() ? HOST_BRIDGE_ID : 0xffffffffu; }

static const char *test_pci_id_32(char *why, size_t len)
{
    const char *e = pci_select(why, len, PCI_ENABLE);
    if (e)
        return e;
    struct io_regs r = { .rax = ~0ull, .rdx = PCI_DATA };
    IO_RUN(r, "inl %%dx, %%eax");
    if ((e = no_fault(why, len, "inl 0xcfc")))
        return e;
    return r.rax == pci_id_want() ? NULL : fail(why, len, "id %#llx, want %#x", (unsigned long long)r.rax, pci_id_want());
}

static const char *test_pci_id_16(char *why, size_t len)
{
    const char *e = pci_select(why, len, PCI_ENABLE);
    if (e)
        return e;
    struct io_regs lo = { .rax = 0x1111111111111111ull, .rdx = PCI_DATA }, hi = lo;
    hi.rdx = PCI_DATA + 2;
    IO_RUN(lo, "inw %%dx, %%ax");
    IO_RUN(hi, "inw %%dx, %%ax");
    if ((e = no_fault(why, len, "inw")))
        return e;
    uint64_t want_lo = 0x1111111111110000ull | (pci_id_want() & 0xffff);
    uint64_t want_hi = 0x1111111111110000ull | (pci_id_want() >> 16);
    if (lo.rax != want_lo || hi.rax != want_hi)
        return fail(why, len, "inw gave %#llx %#llx, want %#llx %#llx", (unsigned long long)lo.rax,
                    (unsigned long long)hi.rax, (unsigned long long)want_lo, (unsigned long long)want_hi);
    return NULL;
}

static const char *test_pci_id_8(char *why, size_t len)
{
    const char *e = pci_select(why, len, PCI_ENABLE);
    if (e)
        return e;
    for (unsigned int i = 0; i < 4; i++) {
        struct io_regs r = { .rax = 0x2222222222222222ull, .rdx = PCI_DATA + i };
        IO_RUN(r, "inb %%dx, %%al");
        if ((e = no_fault(why, len, "inb")))
            return e;
        uint64_t want = 0x2222222222222200ull | ((pci_id_want() >> (8 * i)) & 0xff);
        if (r.rax != want)
            return fail(why, len, "inb 0x%x gave %#llx, want %#llx", PCI_DATA + i, (unsigned long long)r.rax,
                        (unsigned long long)want);
    }
    /* An unaligned dword at 0xCFE covers 0xCFE-0xCFF and 0xD00-0xD01 (nothing: ones). */
    struct io_regs r = { .rdx = PCI_DATA + 2 };
    IO_RUN(r, "inl %%dx, %%eax");
    uint64_t want = 0xffff0000u | (pci_id_want() >> 16);
    return r.rax == want ? NULL : fail(why, len, "inl 0xcfe gave %#llx, want %#llx", (unsigned long long)r.rax,
                                        (unsigned long long)want);
}

/* Real port I/O on a held port, imm8 and DX forms: QEMU's DMA page registers keep what is written. */
static const char *test_in_out_held(char *why, size_t len)
{
    struct io_regs r = { .rax = 0x5a };
    IO_RUN(r, "outb %%al, $0x81");
    r.rax = 0xdeadbeefcafe1100ull;
    IO_RUN(r, "inb $0x81, %%al");
    const char *e = no_fault(why, len, "imm8");
    if (e)
        return e;
    uint64_t want = is_dom0() ? 0xdeadbeefcafe115aull : 0xdeadbeefcafe11ffull;
    if (r.rax != want)
        return fail(why, len, "inb $0x81 gave %#llx, want %#llx", (unsigned long long)r.rax, (unsigned long long)want);
    /* A word at 0x82 is the bytes at 0x82 and 0x83. */
    r = (struct io_regs){ .rax = 0x1234, .rdx = DMA_PAGE_CH3 };
    IO_RUN(r, "outw %%ax, %%dx");
    r.rax = 0;
    IO_RUN(r, "inb $0x83, %%al");
    if ((e = no_fault(why, len, "dx")))
        return e;
    want = is_dom0() ? 0x12 : 0xff;
    if (r.rax != want)
        return fail(why, len, "inb $0x83 gave %#llx, want %#llx", (unsigned long long)r.rax, (unsigned long long)want);
    r.rax = 0xffffffffffff0000ull;
    IO_RUN(r, "inw %%dx, %%ax");
    want = 0xffffffffffff0000ull | (is_dom0() ? 0x1234 : 0xffff);
    return r.rax == want ? NULL : fail(why, len, "inw 0x82 gave %#llx, want %#llx", (unsigned long long)r.rax,
                                        (unsigned long long)want);
}

/* Ports the hypervisor keeps: no fault under IOPL, all ones, writes dropped. */
static const char *test_denied_ports(char *why, size_t len)
{
    struct io_regs r = { .rax = 0 };
    IO_RUN(r, "inb $0x40, %%al");
    const char *e = no_fault(why, len, "PIT");
    if (e)
        return e;
    if (r.rax != 0xff)
        return fail(why, len, "inb PIT gave %#llx", (unsigned long long)r.rax);
    r = (struct io_regs){ .rdx = COM1_IER };
    IO_RUN(r, "inb %%dx, %%al");
    if ((e = no_fault(why, len, "COM1")) || r.rax != 0xff)
        return e ? e : fail(why, len, "inb COM1 IER gave %#llx", (unsigned long long)r.rax);
    r = (struct io_regs){ .rdx = 0x20 };
    IO_RUN(r, "inl %%dx, %%eax");
    if ((e = no_fault(why, len, "PIC")) || r.rax != 0xffffffffu)
        return e ? e : fail(why, len, "inl PIC gave %#llx", (unsigned long long)r.rax);
    r = (struct io_regs){ .rax = 0 };
    IO_RUN(r, "inw $0x40, %%ax");
    return r.rax == 0xffff ? NULL : fail(why, len, "inw PIT gave %#llx", (unsigned long long)r.rax);
}

static const char *test_rep_ins_outs(char *why, size_t len)
{
    const char *e = pci_select(why, len, PCI_ENABLE);
    if (e)
        return e;
    static uint32_t buf[6];
    memset(buf, 0x33, sizeof(buf));
    struct io_regs r = { .rcx = 4, .rdx = PCI_DATA, .rdi = (uint64_t)&buf[1] };
    IO_RUN(r, "rep insl");
    if ((e = no_fault(why, len, "rep insl")))
        return e;
    for (unsigned int i = 1; i <= 4; i++)
        if (buf[i] != pci_id_want())
            return fail(why, len, "buf[%u] %#x", i, buf[i]);
    if (buf[0] != 0x33333333 || buf[5] != 0x33333333)
        return fail(why, len, "wrote outside: %#x %#x", buf[0], buf[5]);
    if (r.rcx != 0 || r.rdi != (uint64_t)&buf[5])
        return fail(why, len, "rcx %#llx rdi %#llx", (unsigned long long)r.rcx, (unsigned long long)r.rdi);
    /* Backwards (DF=1), and a single INSW without REP leaves RCX alone. */
    r = (struct io_regs){ .rcx = 77, .rdx = PCI_DATA + 2, .rdi = (uint64_t)&buf[0] };
    IO_RUN(r, "std\n\tinsw");
    if ((e = no_fault(why, len, "std insw")))
        return e;
    if (r.rcx != 77 || r.rdi != (uint64_t)&buf[0] - 2 || (buf[0] & 0xffff) != (pci_id_want() >> 16))
        return fail(why, len, "insw: rcx %llu rdi %#llx buf %#x", (unsigned long long)r.rcx,
                    (unsigned long long)r.rdi, buf[0]);
    /* OUTS to a DMA page register: the last byte stays. */
    static const uint8_t out[3] = { 0x11, 0x22, 0x44 };
    r = (struct io_regs){ .rcx = 3, .rdx = DMA_PAGE_CH1, .rsi = (uint64_t)out };
    IO_RUN(r, "rep outsb");
    if ((e = no_fault(why, len, "rep outsb")))
        return e;
    if (r.rcx != 0 || r.rsi != (uint64_t)out + 3)
        return fail(why, len, "outsb: rcx %#llx rsi %#llx", (unsigned long long)r.rcx, (unsigned long long)r.rsi);
    r.rax = 0;
    IO_RUN(r, "inb $0x83, %%al");
    uint64_t want = is_dom0() ? 0x44 : 0xff;
    return r.rax == want ? NULL : fail(why, len, "0x83 holds %#llx, want %#llx", (unsigned long long)r.rax,
                                        (unsigned long long)want);
}

/* FAR_VA: one writable page of ours; the page after it is not mapped. */
static const char *map_far_page(char *why, size_t len)
{
    static bool done;
    if (done)
        return NULL;
    uint64_t mfn = spare_mfn();
    if (!mfn || ensure_l1(FAR_VA) || ensure_l1(FAR_VA + PAGE_SIZE))
        return fail(why, len, "no frame or table for the test page");
    int64_t rc = hypercall3(__HYPERVISOR_update_va_mapping, FAR_VA, mfn * PAGE_SIZE | PTE_DATA, UVMF_INVLPG);
    if (rc)
        return fail(why, len, "update_va_mapping: %lld", (long long)rc);
    done = true;
    return NULL;
}

static const char *check_pf(char *why, size_t len, const char *what, uint64_t error, uint64_t cr2)
{
    const char *e = fault_at_insn(why, len, what, 14, error);
    if (e)
        return e;
    uint64_t seen = shinfo->vcpu_info[0].arch.cr2;
    return seen == cr2 ? NULL : fail(why, len, "%s: cr2 %#llx, want %#llx", what, (unsigned long long)seen,
                                     (unsigned long long)cr2);
}

/* REP INS into a buffer that runs into the unmapped page: the reps before it done, #PF(write) at its start. */
static const char *test_rep_ins_unmapped(char *why, size_t len)
{
    const char *e = map_far_page(why, len) ?: pci_select(why, len, PCI_ENABLE);
    if (e)
        return e;
    uint64_t end = FAR_VA + PAGE_SIZE;
    memset((void *)(end - 16), 0x55, 16);
    struct io_regs r = { .rcx = 5, .rdx = PCI_DATA, .rdi = end - 8 };
    IO_RUN(r, "rep insl");
    if ((e = check_pf(why, len, "rep insl", 2, end)))
        return e;
    if (r.rcx != 3 || r.rdi != end)
        return fail(why, len, "after the fault rcx %llu rdi %#llx, want 3 and %#llx", (unsigned long long)r.rcx,
                    (unsigned long long)r.rdi, (unsigned long long)end);
    if (*(uint32_t *)(end - 4) != pci_id_want() || *(uint32_t *)(end - 12) != 0x55555555)
        return fail(why, len, "memory %#x %#x", *(uint32_t *)(end - 12), *(uint32_t *)(end - 4));
    /* A dword straddling the edge: the first half lands, the fault names the first byte not written. */
    r = (struct io_regs){ .rdx = PCI_DATA, .rdi = end - 2 };
    IO_RUN(r, "insl");
    if ((e = check_pf(why, len, "insl across", 2, end)))
        return e;
    if (r.rdi != end - 2 || *(uint16_t *)(end - 2) != (pci_id_want() & 0xffff))
        return fail(why, len, "insl across: rdi %#llx, low half %#x", (unsigned long long)r.rdi,
                    *(uint16_t *)(end - 2));
    return NULL;
}

/* REP OUTS reading from the unmapped page: #PF(read) there, and a huge count is done in bounded pieces. */
static const char *test_rep_outs_unmapped(char *why, size_t len)
{
    const char *e = map_far_page(why, len);
    if (e)
        return e;
    uint64_t end = FAR_VA + PAGE_SIZE;
    struct io_regs r = { .rcx = 3, .rdx = 0x80, .rsi = end - 1 };
    IO_RUN(r, "rep outsb");
    if ((e = check_pf(why, len, "rep outsb", 0, end)))
        return e;
    if (r.rcx != 2 || r.rsi != end)
        return fail(why, len, "rcx %llu rsi %#llx", (unsigned long long)r.rcx, (unsigned long long)r.rsi);
    /* 2^40 repetitions: the page's 4096 happen, then the fault; nothing hangs. */
    r = (struct io_regs){ .rcx = 1ull << 40, .rdx = 0x80, .rsi = FAR_VA };
    IO_RUN(r, "rep outsb");
    if ((e = check_pf(why, len, "huge rep outsb", 0, end)))
        return e;
    if (r.rcx != (1ull << 40) - PAGE_SIZE || r.rsi != end)
        return fail(why, len, "huge: rcx %#llx rsi %#llx", (unsigned long long)r.rcx, (unsigned long long)r.rsi);
    /* A non-canonical source is #GP(0). */
    r = (struct io_regs){ .rcx = 1, .rdx = 0x80, .rsi = 0x8000000000000000ull };
    IO_RUN(r, "rep outsb");
    return fault_at_insn(why, len, "non-canonical outsb", 13, 0);
}

/* LOCK on IN is #UD; prefixes that do not matter are ignored up to the 15-byte limit. */
static const char *test_prefixes(char *why, size_t len)
{
    struct io_regs r = { .rdx = DMA_PAGE_CH2 };
    IO_RUN(r, ".byte 0xf0, 0xe4, 0x81");            /* lock inb $0x81, %al */
    const char *e = fault_at_insn(why, len, "lock in", 6, 0);
    if (e)
        return e;
    r.rax = 0x66;
    IO_RUN(r, "outb %%al, %%dx");
    r.rax = 0;
    /* 14 prefixes (segments, 66, 67, f3 and a REX) before EC: 15 bytes. */
    IO_RUN(r, ".byte 0x2e,0x3e,0x26,0x64,0x65,0x36,0x66,0x67,0xf3,0x2e,0x3e,0x26,0x64,0x48,0xec");
    if ((e = no_fault(why, len, "15 bytes")))
        return e;
    uint64_t want = is_dom0() ? 0x66 : 0xff;
    if (r.rax != want)
        return fail(why, len, "15-byte inb gave %#llx, want %#llx", (unsigned long long)r.rax, (unsigned long long)want);
    IO_RUN(r, ".byte 0x2e,0x3e,0x26,0x64,0x65,0x36,0x66,0x67,0xf3,0x2e,0x3e,0x26,0x64,0x65,0x48,0xec");
    return fault_at_insn(why, len, "16 bytes", 13, 0);
}

void user_inb(void);
volatile uint64_t user_io_value;

/* In user mode: inb $0x81 into user_io_value (a fault resumes past it), then back to the kernel. */
__asm__(".text\n"
        "user_inb:\n\t"
        "lea 1f(%rip), %r11\n\tmov %r11, exc_resume(%rip)\n\t"
        "lea 0f(%rip), %r11\n\tmov %r11, io_insn_rip(%rip)\n\t"
        "mov $0x77, %eax\n"
        "0:\tinb $0x81, %al\n\t"
        "mov %rax, user_io_value(%rip)\n"
        "1:\tmovq $0, exc_resume(%rip)\n\t"
        "syscall\n\tud2\n");

/* User mode has CPL 3: IOPL 1 lets only the kernel in, IOPL 3 both. */
static const char *test_user_mode(char *why, size_t len)
{
    const char *what;
    int64_t rc = user_mode_setup(&what);
    if (rc)
        return fail(why, len, "user mode setup: %s: %lld", what, (long long)rc);
    struct io_regs r = { .rax = 0x3c };
    IO_RUN(r, "outb %%al, $0x81");
    last_exc.vector = ~0ull;
    user_io_value = 0;
    enter_user(user_inb, user_stack_top());
    const char *e = fault_at_insn(why, len, "user inb at IOPL 1", 13, 0);
    if (e)
        return e;
    if ((last_exc.cs & 3) != 3)
        return fail(why, len, "the #GP frame's cs %#llx is not user mode", (unsigned long long)last_exc.cs);
    if ((rc = set_iopl(3)))
        return fail(why, len, "iopl 3: %lld", (long long)rc);
    last_exc.vector = ~0ull;
    enter_user(user_inb, user_stack_top());
    set_iopl(1);
    if ((e = no_fault(why, len, "user inb at IOPL 3")))
        return e;
    uint64_t want = is_dom0() ? 0x3c : 0xff;
    return user_io_value == want ? NULL : fail(why, len, "user inb gave %#llx, want %#llx",
                                               (unsigned long long)user_io_value, (unsigned long long)want);
}

/* With the virtual IOPL the kernel's CLI and STI are skipped, as on Xen: no fault. */
static const char *test_cli_sti_iopl(char *why, size_t len)
{
    struct io_regs r = { 0 };
    IO_RUN(r, "cli");
    const char *e = no_fault(why, len, "cli at IOPL 1");
    if (e)
        return e;
    IO_RUN(r, "sti");
    return no_fault(why, len, "sti at IOPL 1");
}

/* Back to IOPL 0: faults again, CLI too. */
static const char *test_iopl_0_again(char *why, size_t len)
{
    int64_t rc = set_iopl(0);
    if (rc)
        return fail(why, len, "iopl 0: %lld", (long long)rc);
    struct io_regs r = { .rdx = PCI_DATA };
    IO_RUN(r, "inl %%dx, %%eax");
    const char *e = fault_at_insn(why, len, "inl at IOPL 0", 13, 0);
    if (e)
        return e;
    IO_RUN(r, "cli");
    return fault_at_insn(why, len, "cli at IOPL 0", 13, 0);
}


/* ---- debug traps after an emulated IN/OUT, as Xen: I/O breakpoints (CR4.DE) and single step ---- */

#define CR4_DE          (1ull << 3)
#define DR6_RESET       0xffff0ff0ull
#define DR6_B0          (1ull << 0)
#define DR6_BS          (1ull << 14)
#define DR7_RESET       0x400ull
#define DR7_L0          (1ull << 0)
#define DR7_RW0_IO      (2ull << 16)
#define DR7_LEN0_2      (1ull << 18)

static uint64_t read_cr4(void)
{
    uint64_t v;
    __asm__ volatile("mov %%cr4, %0" : "=r"(v));
    return v;
}
static void write_cr4(uint64_t v) { __asm__ volatile("mov %0, %%cr4" :: "r"(v) : "memory"); }
static int64_t set_dr(unsigned int reg, uint64_t v) { return hypercall2(__HYPERVISOR_set_debugreg, reg, v); }
static uint64_t get_dr(unsigned int reg) { return (uint64_t)hypercall1(__HYPERVISOR_get_debugreg, reg); }

/*
 * The instruction completed and a #DB trap followed, with DR6 as want: right
 * after it (from the emulation), or, with next_insn, after the instruction
 * that follows it (the CPU's own single step: Xen 4.17 runs an IN or OUT on a
 * port the domain holds as the real instruction and checks no debug trap).
 */
static const char *db_after(char *why, size_t len, const char *what, bool next_insn, uint64_t want_dr6)
{
    uint64_t dr6 = get_dr(6), want_rip = io_end_rip + (next_insn ? 1 : 0);    /* cld */
    set_dr(6, 0);
    if (last_exc.vector != 1 || last_exc.rip != want_rip)
        return fail(why, len, "%s: vector %lld at %#llx, want #DB at %#llx", what, (long long)last_exc.vector,
                    (unsigned long long)last_exc.rip, (unsigned long long)want_rip);
    if (dr6 != want_dr6)
        return fail(why, len, "%s: dr6 %#llx, want %#llx", what, (unsigned long long)dr6,
                    (unsigned long long)want_dr6);
    return NULL;
}

/* Breakpoint 0 on the word at port. */
static int64_t io_watch(uint16_t port)
{
    int64_t rc = set_dr(0, port);
    if (!rc)
        rc = set_dr(6, 0);
    return rc ? rc : set_dr(7, DR7_L0 | DR7_RW0_IO | DR7_LEN0_2);
}

static const char *io_breakpoint_cases(char *why, size_t len)
{
    const char *e;
    struct io_regs r = { .rax = 0x11 };
    /* PIT ports are the hypervisor's: emulated (all ones) for every domain, so checked. */
    IO_RUN(r, "outb %%al, $0x41");
    if ((e = db_after(why, len, "outb 0x41", false, DR6_RESET | DR6_B0)))
        return e;
    IO_RUN(r, "inb $0x42, %%al");
    if ((e = no_fault(why, len, "inb 0x42, outside")))
        return e;
    r.rdx = PIT_CH0 - 1;
    IO_RUN(r, "inw %%dx, %%ax");             /* 0x3f-0x40: overlaps */
    if ((e = db_after(why, len, "inw 0x3f", false, DR6_RESET | DR6_B0)))
        return e;
    r.rcx = 1, r.rdi = (uint64_t)&r.rsi, r.rdx = PIT_CH0;
    IO_RUN(r, "rep insb");
    if ((e = db_after(why, len, "rep insb 0x40", false, DR6_RESET | DR6_B0)))
        return e;
    /* A port dom0 holds, reached directly: Xen 4.17 checks an IN against the breakpoints, not an OUT. */
    if (io_watch(DMA_PAGE_CH2))
        return fail(why, len, "set_debugreg for 0x81");
    IO_RUN(r, "inb $0x81, %%al");
    if ((e = db_after(why, len, "inb 0x81", false, DR6_RESET | DR6_B0)))
        return e;
    IO_RUN(r, "outb %%al, $0x82");
    if (is_dom0())
        return no_fault(why, len, "outb 0x82 (held)");
    return db_after(why, len, "outb 0x82", false, DR6_RESET | DR6_B0);
}

static const char *test_io_breakpoint(char *why, size_t len)
{
    uint64_t cr4 = read_cr4();
    write_cr4(cr4 | CR4_DE);
    int64_t rc = io_watch(PIT_CH0);
    const char *e = rc ? NULL : io_breakpoint_cases(why, len);
    io_watch(PIT_CH0);
    /* With CR4.DE clear again the breakpoint is kept but not matched. */
    write_cr4(cr4);
    struct io_regs r = { 0 };
    IO_RUN(r, "inb $0x40, %%al");
    uint64_t vec = last_exc.vector;
    set_dr(7, 0);
    set_dr(6, 0);
    if (rc)
        return fail(why, len, "set_debugreg: %lld", (long long)rc);
    if (e)
        return e;
    return vec == ~0ull ? NULL : fail(why, len, "inb 0x40 without CR4.DE: vector %lld", (long long)vec);
}

#define STEP(insn) "pushfq\n\torq $0x100, (%%rsp)\n\tpopfq\n\t" insn

static const char *test_io_single_step(char *why, size_t len)
{
    const char *e;
    set_dr(6, 0);
    struct io_regs r = { 0 };
    IO_RUN(r, STEP("inb $0x40, %%al"));
    if ((e = db_after(why, len, "stepped inb 0x40", false, DR6_RESET | DR6_BS)))
        return e;
    IO_RUN(r, STEP("inb $0x81, %%al"));
    if ((e = db_after(why, len, "stepped inb 0x81", is_dom0(), DR6_RESET | DR6_BS)))
        return e;
    IO_RUN(r, STEP("outb %%al, $0x81"));
    if ((e = db_after(why, len, "stepped outb 0x81", is_dom0(), DR6_RESET | DR6_BS)))
        return e;
    /* A stepped REP traps after each repetition, on the instruction until the last. */
    r = (struct io_regs){ .rcx = 2, .rdi = (uint64_t)&r.rsi, .rdx = DMA_PAGE_CH2 };
    IO_RUN(r, STEP("rep insb"));
    uint64_t dr6 = get_dr(6), want = io_end_rip - 2;    /* f3 6c */
    set_dr(6, 0);
    if (last_exc.vector != 1 || last_exc.rip != want || dr6 != (DR6_RESET | DR6_BS) || r.rcx != 1)
        return fail(why, len, "stepped rep insb: vector %lld at %#llx dr6 %#llx rcx %llu, want #DB at %#llx "
                    "with BS, rcx 1", (long long)last_exc.vector, (unsigned long long)last_exc.rip,
                    (unsigned long long)dr6, (unsigned long long)r.rcx, (unsigned long long)want);
    return NULL;
}

/* ---- VMASST_TYPE_architectural_iopl: frames carry the virtual IOPL, iret sets it ---- */

/* HYPERVISOR_iret to the next instruction, in kernel mode (CS RPL 0), with rflags' IOPL set to iopl. */
static void iret_with_iopl(uint64_t iopl)
{
    __asm__ volatile("mov %%rsp, %%rax\n\t"
                     "pushq %[ss]\n\t"
                     "pushq %%rax\n\t"
                     "pushfq\n\t"
                     "andq $~0x3000, (%%rsp)\n\t"
                     "or %[iopl], (%%rsp)\n\t"
                     "pushq %[cs]\n\t"
                     "lea 1f(%%rip), %%rax\n\t"
                     "pushq %%rax\n\t"
                     "pushq $0\n\t"
                     "jmp hypercall_page + 23 * 32\n"
                     "1:"
                     :: [ss] "i"(FLAT_KERNEL_SS), [cs] "i"(FLAT_KERNEL_CS & ~3), [iopl] "r"(iopl << X86_IOPL_SHIFT)
                     : "rax", "rcx", "r11", "memory", "cc");
}

/* The IOPL the frame of a #UD shows. */
static uint64_t frame_iopl(void)
{
    struct io_regs r = { 0 };
    IO_RUN(r, "ud2");
    return last_exc.vector == 6 ? (last_exc.rflags >> X86_IOPL_SHIFT) & 3 : ~0ull;
}

static const char *iopl_cases(char *why, size_t len)
{
    uint64_t iopl = frame_iopl();
    if (iopl != 1)
        return fail(why, len, "frame IOPL %lld after set_iopl(1), want 1", (long long)iopl);
    iret_with_iopl(0);
    if ((iopl = frame_iopl()) != 0)
        return fail(why, len, "frame IOPL %lld after iret to IOPL 0", (long long)iopl);
    /* The kernel counts as CPL 0 now: IOPL 0 admits it. */
    struct io_regs r = { 0 };
    IO_RUN(r, "inb $0x81, %%al");
    const char *e = no_fault(why, len, "inb at IOPL 0 under architectural_iopl");
    if (e)
        return e;
    iret_with_iopl(3);
    if ((iopl = frame_iopl()) != 3)
        return fail(why, len, "frame IOPL %lld after iret to IOPL 3", (long long)iopl);
    return NULL;
}

static const char *test_architectural_iopl(char *why, size_t len)
{
    /* Without the assist, iret leaves the virtual IOPL alone. */
    iret_with_iopl(0);
    struct io_regs r = { 0 };
    IO_RUN(r, "inb $0x81, %%al");
    const char *e = no_fault(why, len, "inb after iret to IOPL 0 without the assist");
    if (e)
        return e;
    int64_t rc = hypercall2(__HYPERVISOR_vm_assist, VMASST_CMD_enable, VMASST_TYPE_architectural_iopl);
    if (rc)
        return fail(why, len, "vm_assist(enable, architectural_iopl): %lld", (long long)rc);
    e = iopl_cases(why, len);
    rc = hypercall2(__HYPERVISOR_vm_assist, VMASST_CMD_disable, VMASST_TYPE_architectural_iopl);
    set_iopl(1);
    if (e)
        return e;
    return rc ? fail(why, len, "vm_assist(disable, architectural_iopl): %lld", (long long)rc) : NULL;
}

/* ---- a second vCPU's context: its IOPL (Linux starts its APs at IOPL 1) and breakpoints ---- */

static volatile uint32_t ap_watched;
static volatile uint64_t ap_in_vector, ap_in_value, ap_db_vector, ap_db_dr6, ap_dr7;

static void ap_job(void *arg)
{
    (void)arg;
    struct io_regs r = { .rax = ~0ull };
    IO_RUN(r, "inb $0x81, %%al");
    ap_in_vector = last_exc.vector;
    ap_in_value = r.rax & 0xff;
    ap_dr7 = get_dr(7);
    last_exc.vector = ~0ull;
    __asm__ volatile("lea 1f(%%rip), %%r11\n\tmov %%r11, exc_resume(%%rip)\n\t"
                     "movl $5, %0\n"
                     "1:\n\tmovq $0, exc_resume(%%rip)" : "=m"(ap_watched) :: "r11", "memory");
    ap_db_vector = last_exc.vector;
    ap_db_dr6 = get_dr(6);
    set_dr(7, 0);
}

static const char *test_vcpu_context(char *why, size_t len)
{
    static struct vcpu_guest_context c;
    /* The last vCPU: a fresh one even when other suites started vCPU 1 before (trapkernel). */
    unsigned int ap = smp_nr_vcpus() - 1;
    if (ap == 0)
        return fail(why, len, "needs a second vCPU (vcpus=2)");
    smp_good_context(&c, ap);
    c.user_regs.rflags |= 1ull << X86_IOPL_SHIFT;
    c.debugreg[0] = (uint64_t)&ap_watched;
    c.debugreg[6] = 0;
    c.debugreg[7] = DR7_L0 | (1ull << 16) | (3ull << 18);     /* write watch, 4 bytes */
    struct io_regs r = { .rax = 0x6b };
    IO_RUN(r, "outb %%al, $0x81");
    int64_t rc = set_iopl(0);                                   /* vCPU 0 without: the IOPL is per vCPU */
    if (!rc && (rc = smp_initialise(ap, &c)) == 0)
        rc = smp_run(ap, ap_job, NULL);
    bool joined = rc == 0 && smp_join(ap);
    set_iopl(1);
    if (rc)
        return fail(why, len, "vCPU %u initialise/up: %lld", ap, (long long)rc);
    if (!joined)
        return fail(why, len, "vCPU %u did not finish", ap);
    if (ap_in_vector != ~0ull)
        return fail(why, len, "inb on vCPU 1 (IOPL 1 from its context): vector %lld", (long long)ap_in_vector);
    uint64_t want = is_dom0() ? 0x6b : 0xff;
    if (ap_in_value != want)
        return fail(why, len, "inb on vCPU 1 gave %#llx, want %#llx", (unsigned long long)ap_in_value,
                    (unsigned long long)want);
    if (ap_dr7 != (c.debugreg[7] | DR7_RESET))
        return fail(why, len, "vCPU 1 dr7 %#llx", (unsigned long long)ap_dr7);
    if (ap_db_vector != 1 || ap_db_dr6 != (DR6_RESET | DR6_B0))
        return fail(why, len, "vCPU 1 store under its context's watch: vector %lld dr6 %#llx",
                    (long long)ap_db_vector, (unsigned long long)ap_db_dr6);
    return NULL;
}

/* ---- ports granted at run time (a domU beside a supervisor with ioports=<us>) ---- */

#define GRANTED_PORT    0x87    /* DMA page register of channel 3 */
#define REVOKED_PORT    0x89

static uint64_t port_round_trip(uint16_t port, uint8_t v)
{
    struct io_regs r = { .rax = v, .rdx = port };
    IO_RUN(r, "outb %%al, %%dx");
    r.rax = 0;
    IO_RUN(r, "inb %%dx, %%al");
    return last_exc.vector == ~0ull ? r.rax : ~0ull;
}

static bool granted(const void *arg)
{
    (void)arg;
    return port_round_trip(GRANTED_PORT, 0x5a) == 0x5a;
}

static const char *test_granted_ports(char *why, size_t len)
{
    if (is_dom0()) {
        printk("# dom0 holds its ports from creation: nothing is granted\n");
        return NULL;
    }
    struct pv_domctl op = { .cmd = PV_DOMCTL_ioport_permission, .interface_version = PV_DOMCTL_INTERFACE_VERSION,
                            .domain = DOMID_SELF };
    op.u.ioport = (struct pv_domctl_ioport){ .first_port = GRANTED_PORT, .nr_ports = 1, .allow = 1 };
    int64_t rc = hypercall1(__HYPERVISOR_domctl, &op);
    if (rc != -XEN_EPERM)
        return fail(why, len, "domctl ioport_permission from a domU: %lld, want -EPERM", (long long)rc);
    if (!smp_wait_until(granted, NULL))
        return fail(why, len, "port %#x never became ours", GRANTED_PORT);
    uint64_t v = port_round_trip(GRANTED_PORT, 0xa5);
    if (v != 0xa5)
        return fail(why, len, "granted port %#x gave %#llx, want 0xa5", GRANTED_PORT, (unsigned long long)v);
    if ((v = port_round_trip(REVOKED_PORT, 0x33)) != 0xff)
        return fail(why, len, "port %#x (given and taken back) gave %#llx, want 0xff", REVOKED_PORT,
                    (unsigned long long)v);
    if ((v = port_round_trip(DMA_PAGE_CH2, 0x33)) != 0xff)
        return fail(why, len, "port 0x81 (never given) gave %#llx, want 0xff", (unsigned long long)v);
    return NULL;
}

DEFINE_TESTS(
    { "setup", test_setup },
    { "no_iopl_gp", test_no_iopl_gp },
    { "rep_zero_count", test_rep_zero_count },
    { "set_iopl", test_set_iopl },
    { "bounce_frame_iopl", test_bounce_frame_iopl },
    { "pci_cf8", test_pci_cf8 },
    { "pci_id_32", test_pci_id_32 },
    { "pci_id_16", test_pci_id_16 },
    { "pci_id_8", test_pci_id_8 },
    { "in_out_held", test_in_out_held },
    { "denied_ports", test_denied_ports },
    { "rep_ins_outs", test_rep_ins_outs },
    { "rep_ins_unmapped", test_rep_ins_unmapped },
    { "rep_outs_unmapped", test_rep_outs_unmapped },
    { "prefixes", test_prefixes },
    { "user_mode", test_user_mode },
    { "cli_sti_iopl", test_cli_sti_iopl },
    { "io_breakpoint", test_io_breakpoint },
    { "io_single_step", test_io_single_step },
    { "architectural_iopl", test_architectural_iopl },
    { "vcpu_context_iopl_debugreg", test_vcpu_context },
    { "granted_ports", test_granted_ports },
    { "iopl_0_again", test_iopl_0_again },
)
