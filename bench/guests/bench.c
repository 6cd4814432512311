/*
 * Benchmark guest: what hypercalls, page-table updates, traps and events cost,
 * in TSC cycles, timed with rdtsc around each call (warm-up first, then many
 * repetitions). Built like the test guests (same framework, same Xen ELF notes),
 * so it boots as dom0 on our hypervisor and on Xen 4.17.
 *
 * Each figure is one line:
 *   BENCH op=<name> batch=<n> unit=cycles reps=<r> min=<x> median=<y> p99=<z> per=<op|entry> max=<m> [path=...]
 * per=entry: the cost of one call divided by its batch size (one decimal). max: the
 * slowest sample (an interrupt, a timer, a domain switch landed in it).
 *
 * Command line:
 *   reps=<n>|small   repetitions per figure (default 1000; small = 8)
 *   warmup=<n>       untimed repetitions first (default reps / 10, at least 2)
 *   role=ping|pong peer=<domid>   the cross-domain figures instead (two domUs)
 *   role=smp         the cross-CPU figures instead (dom0 with vcpus=2 on two CPUs)
 *   role=floor       the floor figures instead (the bench-floor hypervisor build only)
 *   role=xs | role=ringfront|ringback peer=<domid>   split-driver figures (bench_split.c)
 */
#include "events.h"
#include "exceptions.h"
#include "guest.h"
#include "hypercall.h"
#include "mm.h"
#include <lib/bench_stats.h>
#include <lib/pv_evtchn.h>
#include <lib/x86.h>
#include "smp.h"
#include "bench.h"
#include <public/errno.h>
#include <public/grant_table.h>
#include <public/memory.h>
#include <public/physdev.h>
#include <public/vcpu.h>

const char test_title[] = "bench: hypercall, page-table, trap and event costs in TSC cycles";

#define ALIAS_BASE   (GUEST_VIRT_BASE + 0x4000000ull)    /* 64 MiB up: free, 2 MiB aligned */
#define MAX_BATCH    512                                /* one L1 */
#define MAX_MULTI    64

unsigned int opt_reps = 1000, opt_warmup;
uint64_t samples[MAX_SAMPLES];

/* ---- command line ------------------------------------------------------- */


/* ---- measuring ---------------------------------------------------------- */

void report(const char *op, unsigned int batch, unsigned int n, bool per_entry, const char *extra)
{
    struct bench_stats st = bench_summarize(samples, n);
    char a[24], b[24], c[24], d[24];
    unsigned int div = per_entry ? batch : 1;
    printk("BENCH op=%s batch=%u unit=cycles reps=%u min=%s median=%s p99=%s per=%s max=%s%s%s\n", op, batch, n,
           bench_fmt_per(a, sizeof(a), st.min, div), bench_fmt_per(b, sizeof(b), st.median, div),
           bench_fmt_per(c, sizeof(c), st.p99, div), per_entry ? "entry" : "op",
           bench_fmt_per(d, sizeof(d), st.max, div), extra ? " " : "", extra ? extra : "");
}

typedef int64_t (*bench_fn)(unsigned int n);

/* Set while timing figures whose samples are long (remote flushes wait for the other CPU). */
static bool long_samples;

static unsigned int reps_for(unsigned int batch)
{
    /* Big batches and long samples: fewer repetitions, at least a quarter, so a run stays short. */
    unsigned int r = batch > 64 || long_samples ? opt_reps / 4 : opt_reps;
    if (r < 4)
        r = opt_reps < 4 ? opt_reps : 4;
    return r > MAX_SAMPLES ? MAX_SAMPLES : r;
}

/*
 * Times `timed(n)` (0 on success) reps times after the warm-up; pre and post run
 * untimed around each call. Returns NULL or why it failed.
 */
static const char *bench(const char *op, unsigned int n, bench_fn pre, bench_fn timed, bench_fn post,
                         bool per_entry, const char *extra, char *why, size_t len)
{
    unsigned int reps = reps_for(n), warm = opt_warmup, got = 0;
    for (unsigned int i = 0; i < warm + reps; i++) {
        int64_t rc;
        if (pre && (rc = pre(n)))
            return fail(why, len, "%s batch %u: preparing: %lld", op, n, (long long)rc);
        uint64_t t0 = rdtsc_ordered();
        rc = timed(n);
        uint64_t t1 = rdtsc_ordered();
        if (rc)
            return fail(why, len, "%s batch %u: %lld", op, n, (long long)rc);
        if (post && (rc = post(n)))
            return fail(why, len, "%s batch %u: cleaning up: %lld", op, n, (long long)rc);
        if (i >= warm)
            samples[got++] = t1 - t0;
    }
    report(op, n, got, per_entry, extra);
    return NULL;
}

/* ---- state shared by the figures ---------------------------------------- */

static uint64_t initial_pages;
static unsigned int ipi_port;
static uint64_t l4_mfn(void) { return virt_to_mfn((void *)start_info->pt_base); }

static struct mmu_update map_batch[MAX_BATCH], unmap_batch[MAX_BATCH];
static volatile uint64_t *alias_pte;        /* the alias range's first L1 entry, mapped read-only */
static struct multicall_entry uvm_calls[MAX_BATCH], version_calls[MAX_MULTI];

/* Upcalls: one 2-level scan pass, counting each port it finds pending. */
static volatile unsigned long port_hits[8];
static void count_port(unsigned int port)
{
    if (port < ARRAY_SIZE(port_hits))
        port_hits[port]++;
}

static void bench_upcall(void)
{
    evtchn_2l_scan(shinfo, events_vcpu_info(smp_this_vcpu()), count_port);
}

static void clear_event_state(void)
{
    struct vcpu_info *vi = &shinfo->vcpu_info[0];
    vi->evtchn_upcall_pending = 0;
    vi->evtchn_pending_sel = 0;
}

const char *test_setup(char *why, size_t len)
{
    int64_t rc;
    const char *r = guest_option("reps");
    opt_reps = r && !strncmp(r, "small", 5) ? 8 : (unsigned int)guest_option_num("reps", 1000);
    if (!opt_reps)
        opt_reps = 1;
    opt_warmup = (unsigned int)guest_option_num("warmup", opt_reps / 10 < 2 ? 2 : opt_reps / 10);
    initial_pages = start_info->first_p2m_pfn;
    if ((rc = exceptions_install()) || (rc = events_init()))
        return fail(why, len, "setup: %lld", (long long)rc);
    event_upcall_handler = bench_upcall;
    /* Xen gives PV guests a 100 Hz periodic timer; its events would land in our figures. */
    if ((rc = hypercall3(__HYPERVISOR_vcpu_op, VCPUOP_stop_periodic_timer, 0, 0)))
        return fail(why, len, "stop periodic timer: %lld", (long long)rc);
    if (ensure_l1(ALIAS_BASE))
        return fail(why, len, "could not build an L1 for the alias range");
    uint64_t l1 = pte_maddr(ALIAS_BASE, 1);
    if (!(alias_pte = pte_virt(ALIAS_BASE, 1)))
        return fail(why, len, "the alias range's L1 is not mapped");
    for (unsigned int i = 0; i < MAX_BATCH; i++) {
        uint64_t va = ALIAS_BASE + i * PAGE_SIZE, val = pfn_to_mfn(i % initial_pages) * PAGE_SIZE | PTE_P | PTE_U | PTE_A;
        map_batch[i].ptr = (l1 + i * 8) | MMU_NORMAL_PT_UPDATE;
        map_batch[i].val = val;
        unmap_batch[i].ptr = map_batch[i].ptr;
        unmap_batch[i].val = 0;
        uvm_calls[i].op = __HYPERVISOR_update_va_mapping;
        uvm_calls[i].args[0] = va;
        uvm_calls[i].args[1] = val;
        uvm_calls[i].args[2] = UVMF_NONE;
    }
    for (unsigned int i = 0; i < MAX_MULTI; i++) {
        version_calls[i].op = __HYPERVISOR_xen_version;
        version_calls[i].args[0] = XENVER_version;
    }
    char extra[16] = "";
    hyp_xen_version(XENVER_extraversion, extra);
    extra[sizeof(extra) - 1] = '\0';
    int64_t ver = hyp_xen_version(XENVER_version, NULL);
    printk("BENCHINFO version=%lld.%lld extraversion=%s dom0=%d reps=%u warmup=%u pages=%llu\n",
           (long long)(ver >> 16), (long long)(ver & 0xffff), extra[0] ? extra : "-",
           !!(start_info->flags & SIF_INITDOMAIN), opt_reps, opt_warmup,
           (unsigned long long)start_info->nr_pages);
    return NULL;
}

/* ---- single-domain figures ---------------------------------------------- */

static int64_t op_nothing(unsigned int n) { (void)n; return 0; }
static int64_t op_xen_version(unsigned int n) { (void)n; return hyp_xen_version(XENVER_version, NULL) > 0 ? 0 : -1; }
static int64_t op_console(unsigned int n)
{
    (void)n;
    static const char line[] = "# console 16 B.\n";
    _Static_assert(sizeof(line) == 17, "16 bytes and the NUL");
    int64_t rc = hyp_console_write(line, 16);
    return rc < 0 ? rc : 0;
}
static int64_t op_reservation(unsigned int n)
{
    (void)n;
    domid_t self = DOMID_SELF;
    return hypercall2(__HYPERVISOR_memory_op, XENMEM_current_reservation, &self) > 0 ? 0 : -1;
}
static int64_t op_yield(unsigned int n) { (void)n; return hyp_sched_op(SCHEDOP_yield, NULL); }

static const char *test_hypercalls(char *why, size_t len)
{
    const char *r;
    if ((r = bench("rdtsc_overhead", 1, NULL, op_nothing, NULL, false, NULL, why, len)) ||
        (r = bench("xen_version", 1, NULL, op_xen_version, NULL, false, NULL, why, len)) ||
        (r = bench("console_io_write_16", 1, NULL, op_console, NULL, false, NULL, why, len)) ||
        (r = bench("memory_op_current_reservation", 1, NULL, op_reservation, NULL, false, NULL, why, len)) ||
        (r = bench("sched_yield_alone", 1, NULL, op_yield, NULL, false, NULL, why, len)))
        return r;
    return NULL;
}

static const unsigned int batch_sizes[] = { 1, 2, 4, 8, 16, 32, 64, 128, 256, 512 };

static int64_t op_mmu_map(unsigned int n)
{
    uint32_t done = 0;
    int64_t rc = mmu_update_batch(map_batch, n, &done);
    return rc ? rc : (int64_t)(n - done);
}
static int64_t op_mmu_unmap(unsigned int n)
{
    uint32_t done = 0;
    int64_t rc = mmu_update_batch(unmap_batch, n, &done);
    return rc ? rc : (int64_t)(n - done);
}

static const char *test_mmu_update(char *why, size_t len)
{
    const char *r;
    for (unsigned int i = 0; i < ARRAY_SIZE(batch_sizes); i++)
        if ((r = bench("mmu_update", batch_sizes[i], NULL, op_mmu_map, op_mmu_unmap, true, NULL, why, len)))
            return r;
    for (unsigned int i = 0; i < ARRAY_SIZE(batch_sizes); i++)
        if ((r = bench("mmu_update_unmap", batch_sizes[i], op_mmu_map, op_mmu_unmap, NULL, true, NULL, why, len)))
            return r;
    return NULL;
}

static int64_t op_uvm_direct(unsigned int n)
{
    (void)n;
    return hypercall3(__HYPERVISOR_update_va_mapping, uvm_calls[0].args[0], uvm_calls[0].args[1], UVMF_NONE);
}
static int64_t op_uvm_multicall(unsigned int n)
{
    int64_t rc = hypercall2(__HYPERVISOR_multicall, uvm_calls, n);
    if (rc)
        return rc;
    for (unsigned int i = 0; i < n; i++)
        if (uvm_calls[i].result)
            return (int64_t)uvm_calls[i].result;
    return 0;
}

static const char *test_update_va_mapping(char *why, size_t len)
{
    const char *r;
    if ((r = bench("update_va_mapping", 1, NULL, op_uvm_direct, op_mmu_unmap, false, NULL, why, len)))
        return r;
    for (unsigned int i = 0; i < ARRAY_SIZE(batch_sizes); i++)
        if ((r = bench("multicall_update_va_mapping", batch_sizes[i], NULL, op_uvm_multicall, op_mmu_unmap, true,
                       NULL, why, len)))
            return r;
    return NULL;
}

/* A PTE written by a plain store (writable page tables: trapped, validated, emulated); read back. */
static int64_t op_ptwr_map(unsigned int n)
{
    (void)n;
    *alias_pte = map_batch[0].val;
    return (*alias_pte & PTE_ADDR) != (map_batch[0].val & PTE_ADDR);
}
static int64_t op_ptwr_unmap(unsigned int n)
{
    (void)n;
    *alias_pte = 0;
    return *alias_pte != 0;
}

static const char *test_ptwr(char *why, size_t len)
{
    const char *r;
    if ((r = bench("ptwr_store", 1, NULL, op_ptwr_map, op_mmu_unmap, false, NULL, why, len)))
        return r;
    return bench("ptwr_store_unmap", 1, op_mmu_map, op_ptwr_unmap, NULL, false, NULL, why, len);
}

static const unsigned int multi_sizes[] = { 1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 24, 32, 48, 64 };

static int64_t op_multicall_version(unsigned int n)
{
    int64_t rc = hypercall2(__HYPERVISOR_multicall, version_calls, n);
    return rc ? rc : (int64_t)version_calls[n - 1].result > 0 ? 0 : -1;
}

static const char *test_multicall(char *why, size_t len)
{
    const char *r;
    for (unsigned int i = 0; i < ARRAY_SIZE(multi_sizes); i++)
        if ((r = bench("multicall_xen_version", multi_sizes[i], NULL, op_multicall_version, NULL, true, NULL, why,
                       len)))
            return r;
    return NULL;
}

static uint64_t pin_mfn;
static unsigned int pin_cmd;        /* MMUEXT_PIN_L<n>_TABLE of the level being measured */
static int64_t op_pin(unsigned int n) { (void)n; return mmuext(pin_cmd, pin_mfn, 0); }
static int64_t op_unpin(unsigned int n) { (void)n; return mmuext(MMUEXT_UNPIN_TABLE, pin_mfn, 0); }
static int64_t op_new_baseptr(unsigned int n) { (void)n; return mmuext(MMUEXT_NEW_BASEPTR, l4_mfn(), 0); }
static int64_t op_flush_local(unsigned int n) { (void)n; return mmuext(MMUEXT_TLB_FLUSH_LOCAL, 0, 0); }
static int64_t op_invlpg_local(unsigned int n) { (void)n; return mmuext(MMUEXT_INVLPG_LOCAL, ALIAS_BASE, 0); }

/* Every level pinned and unpinned: the same frame, unpinned in between, takes each type in turn. */
static const struct {
    const char *pin, *unpin;
    unsigned int cmd;
} pin_levels[] = {
    { "mmuext_pin_l1", "mmuext_unpin_l1", MMUEXT_PIN_L1_TABLE },
    { "mmuext_pin_l2", "mmuext_unpin_l2", MMUEXT_PIN_L2_TABLE },
    { "mmuext_pin_l3", "mmuext_unpin_l3", MMUEXT_PIN_L3_TABLE },
    { "mmuext_pin_l4", "mmuext_unpin_l4", MMUEXT_PIN_L4_TABLE },
};

static const char *test_mmuext(char *why, size_t len)
{
    const char *r;
    pin_mfn = spare_mfn();          /* zeroed and mapped nowhere: validates as an empty table of any level */
    if (!pin_mfn)
        return fail(why, len, "no spare frame to pin");
    for (unsigned int i = 0; i < ARRAY_SIZE(pin_levels); i++) {
        pin_cmd = pin_levels[i].cmd;
        if ((r = bench(pin_levels[i].pin, 1, NULL, op_pin, op_unpin, false, NULL, why, len)) ||
            (r = bench(pin_levels[i].unpin, 1, op_pin, op_unpin, NULL, false, NULL, why, len)))
            return r;
    }
    if ((r = bench("mmuext_new_baseptr", 1, NULL, op_new_baseptr, NULL, false, NULL, why, len)) ||
        (r = bench("mmuext_tlb_flush_local", 1, NULL, op_flush_local, NULL, false, NULL, why, len)) ||
        (r = bench("mmuext_invlpg_local", 1, NULL, op_invlpg_local, NULL, false, NULL, why, len)))
        return r;
    return NULL;
}

static int64_t op_int3(unsigned int n)
{
    (void)n;
    TRY_INSN("int3", "i"(0));
    return last_exc.vector == 3 ? 0 : -1;
}
static int64_t op_ud2(unsigned int n)
{
    (void)n;
    TRY_INSN("ud2", "i"(0));
    return last_exc.vector == 6 ? 0 : -1;
}

static const char *test_traps(char *why, size_t len)
{
    const char *r;
    if ((r = bench("trap_int3", 1, NULL, op_int3, NULL, false, NULL, why, len)) ||
        (r = bench("trap_ud2", 1, NULL, op_ud2, NULL, false, NULL, why, len)))
        return r;
    return NULL;
}

/*
 * A privileged instruction in a PV kernel (ring 3) faults with #GP. The
 * hypervisor emulates some (mov to %cr3 is a new base pointer, mov from %cr0
 * its view of CR0) and bounces the rest to the guest's handler (cli). path=
 * says which happened; the hypercall doing the same effect is measured next
 * to it. Forced-emulation CPUID (#UD) is the hypervisor's CPUID view.
 */
static uint64_t cr3_value;
static int64_t op_cr3_write(unsigned int n)
{
    (void)n;
    TRY_INSN("mov %0, %%cr3", "r"(cr3_value));
    return last_exc.vector == 13 || last_exc.vector == ~0ull ? 0 : -1;
}
static int64_t op_cr0_read(unsigned int n)
{
    (void)n;
    uint64_t v = 0;
    TRY_INSN("mov %%cr0, %%rdx\n\tmov %%rdx, (%0)", "r"(&v));
    return last_exc.vector == 13 || v ? 0 : -1;
}
static int64_t op_forced_cpuid(unsigned int n)
{
    (void)n;
    uint32_t a = 0x40000000, b, c = 0, d;
    __asm__ volatile("ud2; .ascii \"xen\"; cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
    return b == 0x566e6558 ? 0 : -1;    /* "XenV" */
}
static int64_t op_cli(unsigned int n)
{
    (void)n;
    TRY_INSN("cli", "i"(0));
    return last_exc.vector == 13 || last_exc.vector == ~0ull ? 0 : -1;
}
static int64_t op_mask_write(unsigned int n)
{
    (void)n;
    ((volatile struct vcpu_info *)&shinfo->vcpu_info[0])->evtchn_upcall_mask = 1;
    return 0;
}

static const char *path_of(int64_t (*fn)(unsigned int), char *why, size_t len)
{
    if (fn(1))
        return fail(why, len, "unexpected vector %lld", (long long)last_exc.vector);
    return last_exc.vector == 13 ? "path=gp-bounced-to-guest" : "path=emulated-by-hypervisor";
}

static const char *test_privileged(char *why, size_t len)
{
    const char *r, *path;
    cr3_value = l4_mfn() << 12;
    if (!(path = path_of(op_cr3_write, why, len)) || path == why)
        return why;
    if ((r = bench("trap_privileged_cr3_write", 1, NULL, op_cr3_write, NULL, false, path, why, len)) ||
        (r = bench("hcall_new_baseptr", 1, NULL, op_new_baseptr, NULL, false, NULL, why, len)))
        return r;
    if (!(path = path_of(op_cr0_read, why, len)) || path == why)
        return why;
    if ((r = bench("trap_privileged_cr0_read", 1, NULL, op_cr0_read, NULL, false, path, why, len)) ||
        (r = bench("forced_cpuid", 1, NULL, op_forced_cpuid, NULL, false, NULL, why, len)))
        return r;
    if (!(path = path_of(op_cli, why, len)) || path == why)
        return why;
    if ((r = bench("trap_privileged_cli", 1, NULL, op_cli, NULL, false, path, why, len)) ||
        (r = bench("upcall_mask_write", 1, NULL, op_mask_write, NULL, false, "path=no-trap", why, len)))
        return r;
    return NULL;
}

/* ---- I/O ports: a PCI configuration read through the emulated 0xCFC ------ */

static int64_t set_iopl(uint32_t iopl)
{
    struct physdev_set_iopl op = { .iopl = iopl };
    return hypercall2(__HYPERVISOR_physdev_op, PHYSDEVOP_set_iopl, &op);
}

static volatile uint32_t io_value;
static int64_t op_io_read(unsigned int n)
{
    (void)n;
    uint32_t v;
    __asm__ volatile("inl %w1, %0" : "=a"(v) : "Nd"((uint16_t)0xcfc));
    io_value = v;
    return 0;
}

/* dom0 with IOPL 1 reads the host bridge's ID (0:0.0 offset 0) at 0xCFC; IOPL back to 0 after. */
static const char *test_io_port(char *why, size_t len)
{
    int64_t rc = set_iopl(1);
    if (rc)
        return fail(why, len, "PHYSDEVOP_set_iopl: %lld", (long long)rc);
    __asm__ volatile("outl %0, %w1" :: "a"(0x80000000u), "Nd"((uint16_t)0xcf8));
    const char *r = bench("trap_io_port_read", 1, NULL, op_io_read, NULL, false, "path=emulated-by-hypervisor",
                          why, len);
    set_iopl(0);
    if (!r && (io_value & 0xffff) != 0x8086)
        return fail(why, len, "0xCFC read %#x, not an Intel vendor ID", io_value);
    return r;
}

static int64_t op_send(unsigned int n) { (void)n; return evtchn_send(ipi_port); }
/* The same call under its own name, so that bench/phases.py can trace the upcall case apart. */
static int64_t op_send_upcall(unsigned int n) { (void)n; return evtchn_send(ipi_port); }
static int64_t send_cleanup(unsigned int n)
{
    (void)n;
    port_clear(ipi_port);
    clear_event_state();
    return 0;
}
static unsigned long hits_before;
static int64_t upcall_pre(unsigned int n)
{
    (void)n;
    hits_before = port_hits[ipi_port];
    events_unmask();
    return 0;
}
static int64_t upcall_post(unsigned int n)
{
    (void)n;
    events_mask();
    return port_hits[ipi_port] == hits_before + 1 ? 0 : -XEN_EINVAL;
}

static const char *test_events(char *why, size_t len)
{
    const char *r;
    struct evtchn_bind_ipi b = { .vcpu = 0 };
    int64_t rc = evtchn_op(EVTCHNOP_bind_ipi, &b);
    if (rc || b.port >= ARRAY_SIZE(port_hits))
        return fail(why, len, "bind_ipi: %lld, port %u", (long long)rc, b.port);
    ipi_port = b.port;
    send_cleanup(0);
    if ((r = bench("evtchn_send_masked", 1, NULL, op_send, send_cleanup, false, NULL, why, len)) ||
        (r = bench("evtchn_send_self_upcall", 1, upcall_pre, op_send_upcall, upcall_post, false, NULL, why, len)))
        return r;
    return NULL;
}

/* ---- cross-domain figures (two domUs: role=ping and role=pong) ----------- */

static domid_t peer;
static unsigned int xport;
static bool ping;

static void wait_poll(void)
{
    poll_port(xport, 0);
    port_clear(xport);
}

static void wait_yield(void)
{
    while (!port_pending(xport))
        hyp_sched_op(SCHEDOP_yield, NULL);
    port_clear(xport);
}

static unsigned long xhits;
static void wait_upcall(void)
{
    /* Events masked while we look; SCHEDOP_block unmasks them and sleeps unless one is pending. */
    while (port_hits[xport] == xhits) {
        hyp_sched_op(SCHEDOP_block, NULL);
        events_mask();
    }
    xhits++;
}

static const char *xdom(const char *op, void (*wait)(void), char *why, size_t len)
{
    /*
     * One more round after the timed ones, untimed: after its last answer the pong
     * goes on to its next phase or shuts down (a teardown of thousands of frames),
     * which must not land in a timed round.
     */
    unsigned int reps = reps_for(1), total = opt_warmup + reps + 1, got = 0;
    xhits = port_hits[xport];
    for (unsigned int i = 0; i < total; i++) {
        if (ping) {
            uint64_t t0 = rdtsc_ordered();
            evtchn_send(xport);
            wait();
            uint64_t t1 = rdtsc_ordered();
            if (i >= opt_warmup && got < reps)
                samples[got++] = t1 - t0;
        } else {
            wait();
            evtchn_send(xport);
        }
    }
    if (ping)
        report(op, 1, got, false, NULL);
    else
        printk("# %s: answered %u round trips\n", op, total);
    (void)why;
    (void)len;
    return NULL;
}

static const char *test_xdom_setup(char *why, size_t len)
{
    int64_t rc;
    peer = (domid_t)guest_option_num("peer", 0);
    ping = guest_option_is("role", "ping");
    if (ping) {
        /* The peer may not have offered its port yet; binding clears the notification it brings. */
        if ((rc = evtchn_connect(peer, &xport)))
            return fail(why, len, "binding to a port of %u: %lld", peer, (long long)rc);
    } else {
        if ((rc = evtchn_offer(peer, &xport)))
            return fail(why, len, "alloc_unbound: %lld", (long long)rc);
    }
    if (xport >= ARRAY_SIZE(port_hits))
        return fail(why, len, "port %u too high", xport);
    return NULL;
}

static const char *test_xdom_poll(char *why, size_t len)
{
    return xdom("xdom_evtchn_pingpong_poll", wait_poll, why, len);
}
static const char *test_xdom_yield(char *why, size_t len)
{
    return xdom("xdom_evtchn_pingpong_yield", wait_yield, why, len);
}
static const char *test_xdom_upcall(char *why, size_t len)
{
    return xdom("xdom_evtchn_pingpong_block_upcall", wait_upcall, why, len);
}


/* ---- cross-CPU figures (role=smp: dom0 with vcpus=2 on -smp 2) ------------ */

/*
 * vCPU 1 runs guest code on the other CPU while vCPU 0 times flushes that
 * must reach it (a shootdown) and event round trips with it. Each figure that
 * needs vCPU 1 running checks afterwards that it made progress throughout.
 */
#define SMP_PEER 1

static volatile uint32_t peer_stop, peer_progress;
static volatile uint64_t touch_page[PAGE_SIZE / 8] __attribute__((aligned(PAGE_SIZE)));

/* vCPU 1: spins writing a page of its own (its TLB holds the entries a flush must drop). */
static void peer_spin(void *arg)
{
    (void)arg;
    events_mask();
    while (!atomic_read(&peer_stop)) {
        for (unsigned int i = 0; i < ARRAY_SIZE(touch_page); i += 64)
            touch_page[i]++;
        atomic_inc(&peer_progress);
    }
}

static struct vcpu_runstate_info peer_runstate(void)
{
    struct vcpu_runstate_info r = { .state = -1 };
    vcpu_op(VCPUOP_get_runstate_info, SMP_PEER, &r);
    return r;
}

static const char *peer_start(void (*job)(void *), char *why, size_t len)
{
    atomic_set(&peer_stop, 0);
    uint32_t before = atomic_read(&peer_progress);
    int64_t rc = smp_run(SMP_PEER, job, NULL);
    if (rc)
        return fail(why, len, "bringing up vCPU %u: %lld", SMP_PEER, (long long)rc);
    if (job == peer_spin && !smp_wait_ge(&peer_progress, before + 16))
        return fail(why, len, "vCPU %u never ran its job", SMP_PEER);
    return NULL;
}

static const char *peer_stop_and_join(char *why, size_t len)
{
    atomic_set(&peer_stop, 1);
    if (!smp_join(SMP_PEER) || !smp_wait_down(SMP_PEER))
        return fail(why, len, "vCPU %u did not finish its job", SMP_PEER);
    return NULL;
}

static int64_t op_flush_all(unsigned int n) { (void)n; return mmuext(MMUEXT_TLB_FLUSH_ALL, 0, 0); }
static int64_t op_invlpg_all(unsigned int n) { (void)n; return mmuext(MMUEXT_INVLPG_ALL, ALIAS_BASE, 0); }
static int64_t uvm_flags(unsigned long flags)
{
    return hypercall3(__HYPERVISOR_update_va_mapping, uvm_calls[0].args[0], uvm_calls[0].args[1], flags);
}
static int64_t op_uvm_invlpg_all(unsigned int n) { (void)n; return uvm_flags(UVMF_INVLPG | UVMF_ALL); }
static int64_t op_uvm_invlpg_local(unsigned int n) { (void)n; return uvm_flags(UVMF_INVLPG | UVMF_LOCAL); }

static const struct {
    const char *alone, *remote;     /* the name with vCPU 1 down / spinning on the other CPU */
    bench_fn timed, post;
} flush_ops[] = {
    { "mmuext_tlb_flush_local_alone", "mmuext_tlb_flush_local_remote", op_flush_local, NULL },
    { "mmuext_tlb_flush_all_alone", "mmuext_tlb_flush_all_remote", op_flush_all, NULL },
    { "mmuext_invlpg_all_alone", "mmuext_invlpg_all_remote", op_invlpg_all, NULL },
    { "update_va_mapping_invlpg_all_alone", "update_va_mapping_invlpg_all_remote", op_uvm_invlpg_all,
      op_mmu_unmap },
    { "update_va_mapping_invlpg_local_alone", "update_va_mapping_invlpg_local_remote", op_uvm_invlpg_local,
      op_mmu_unmap },
};

static const char *flush_set(bool remote, char *why, size_t len)
{
    const char *r;
    for (unsigned int i = 0; i < ARRAY_SIZE(flush_ops); i++)
        if ((r = bench(remote ? flush_ops[i].remote : flush_ops[i].alone, 1, NULL, flush_ops[i].timed,
                       flush_ops[i].post, false, NULL, why, len)))
            return r;
    return NULL;
}

static const char *test_smp_setup(char *why, size_t len)
{
    unsigned int vcpus = (unsigned int)guest_option_num("vcpus", 1);
    if (vcpus < 2)
        return fail(why, len, "vcpus=%u: the cross-CPU figures need vcpus=2", vcpus);
    return NULL;
}

static const char *test_flush_alone(char *why, size_t len)
{
    return flush_set(false, why, len);
}

static const char *test_flush_remote(char *why, size_t len)
{
    const char *r;
    if ((r = peer_start(peer_spin, why, len)))
        return r;
    uint32_t before = atomic_read(&peer_progress);
    long_samples = true;
    r = flush_set(true, why, len);
    long_samples = false;
    uint32_t after = atomic_read(&peer_progress);
    struct vcpu_runstate_info rs = peer_runstate();
    const char *s = peer_stop_and_join(why, len);
    if (r || s)
        return r ? r : s;
    if (after == before || rs.state != RUNSTATE_running)
        return fail(why, len, "vCPU %u was not running throughout (progress %u to %u, runstate %d)", SMP_PEER,
                    before, after, rs.state);
    printk("# vCPU %u made %u rounds over its page meanwhile\n", SMP_PEER, after - before);
    return NULL;
}

/*
 * Event round trips: vCPU 0 sends on to_peer (an IPI port bound to vCPU 1);
 * vCPU 1 waits for it, then sends on to_boss (bound to vCPU 0); vCPU 0 spins
 * with upcalls unmasked until the reply's upcall has run. One sample is send to
 * upcall. vCPU 1 waits by SCHEDOP_poll (block/wake, no upcall) or SCHEDOP_block
 * (block/wake and an upcall on vCPU 1).
 */
static unsigned int to_peer, to_boss;
static volatile uint32_t rt_total;
static bool peer_blocks;

static void peer_answer(void *arg)
{
    (void)arg;
    events_mask();
    unsigned long seen = port_hits[to_peer];
    for (uint32_t i = 0; i < atomic_read(&rt_total); i++) {
        if (peer_blocks) {
            while (port_hits[to_peer] == seen) {
                hyp_sched_op(SCHEDOP_block, NULL);      /* unmasks; sleeps unless an event is pending */
                events_mask();
            }
            seen++;
        } else {
            poll_port(to_peer, 0);
            port_clear(to_peer);
        }
        evtchn_send(to_boss);
    }
}

static const char *roundtrip(const char *op, bool blocks, char *why, size_t len)
{
    unsigned int reps = reps_for(1), got = 0;
    const char *r;
    peer_blocks = blocks;
    atomic_set(&rt_total, opt_warmup + reps);
    port_clear(to_peer);
    port_clear(to_boss);
    if ((r = peer_start(peer_answer, why, len)))
        return r;
    for (unsigned int i = 0; i < opt_warmup + reps; i++) {
        unsigned long seen = port_hits[to_boss];
        events_unmask();
        uint64_t t0 = rdtsc_ordered();
        evtchn_send(to_peer);
        unsigned long spins = 0;
        while (port_hits[to_boss] == seen && ++spins < SMP_WAIT_ROUNDS * 16)
            __builtin_ia32_pause();
        uint64_t t1 = rdtsc_ordered();
        events_mask();
        if (port_hits[to_boss] == seen) {
            atomic_set(&rt_total, 0);
            return fail(why, len, "%s: no reply to round trip %u", op, i);
        }
        if (i >= opt_warmup)
            samples[got++] = t1 - t0;
    }
    if (!smp_join(SMP_PEER) || !smp_wait_down(SMP_PEER))
        return fail(why, len, "vCPU %u did not finish its round trips", SMP_PEER);
    report(op, 1, got, false, NULL);
    return NULL;
}

static const char *test_roundtrip_setup(char *why, size_t len)
{
    struct evtchn_bind_ipi a = { .vcpu = SMP_PEER }, b = { .vcpu = 0 };
    int64_t rc;
    if ((rc = evtchn_op(EVTCHNOP_bind_ipi, &a)) || (rc = evtchn_op(EVTCHNOP_bind_ipi, &b)))
        return fail(why, len, "bind_ipi: %lld", (long long)rc);
    if (a.port >= ARRAY_SIZE(port_hits) || b.port >= ARRAY_SIZE(port_hits))
        return fail(why, len, "ports %u, %u too high", a.port, b.port);
    to_peer = a.port;
    to_boss = b.port;
    return NULL;
}

static const char *test_roundtrip_poll(char *why, size_t len)
{
    return roundtrip("evtchn_ipi_roundtrip_cross_cpu_poll", false, why, len);
}
static const char *test_roundtrip_block(char *why, size_t len)
{
    return roundtrip("evtchn_ipi_roundtrip_cross_cpu_block_upcall", true, why, len);
}

/* ---- grant tables: a self-grant mapped and unmapped, and copied ---------- */

#define GRANT_TABLE_VA  (GUEST_VIRT_BASE + 0x8000000ull)   /* 128 MiB up: our table's frame */
#define GRANT_MAP_VA    (GUEST_VIRT_BASE + 0x8400000ull)   /* where the grant is mapped */
#define GRANT_REF       8u

static uint8_t grant_src[PAGE_SIZE] __attribute__((aligned(4096)));
static uint8_t grant_dst[PAGE_SIZE] __attribute__((aligned(4096)));
static struct gnttab_map_grant_ref grant_map;
static struct gnttab_copy grant_copy;

static int64_t op_grant_map_unmap(unsigned int n)
{
    (void)n;
    grant_map.host_addr = GRANT_MAP_VA;
    grant_map.flags = GNTMAP_host_map;
    grant_map.ref = GRANT_REF;
    grant_map.dom = 0;
    int64_t rc = hypercall3(__HYPERVISOR_grant_table_op, GNTTABOP_map_grant_ref, &grant_map, 1);
    if (rc || grant_map.status)
        return rc ? rc : grant_map.status;
    struct gnttab_unmap_grant_ref un = { .host_addr = GRANT_MAP_VA, .handle = grant_map.handle };
    rc = hypercall3(__HYPERVISOR_grant_table_op, GNTTABOP_unmap_grant_ref, &un, 1);
    return rc ? rc : un.status;
}

static int64_t op_grant_copy(unsigned int n)
{
    (void)n;
    int64_t rc = hypercall3(__HYPERVISOR_grant_table_op, GNTTABOP_copy, &grant_copy, 1);
    return rc ? rc : grant_copy.status;
}

static const char *test_grants(char *why, size_t len)
{
    xen_pfn_t frame;
    struct gnttab_setup_table st = { .dom = DOMID_SELF, .nr_frames = 1, .frame_list = (uint64_t)&frame };
    int64_t rc = hypercall3(__HYPERVISOR_grant_table_op, GNTTABOP_setup_table, &st, 1);
    if (rc || st.status)
        return fail(why, len, "setup_table: %lld status %d", (long long)rc, st.status);
    if (ensure_l1(GRANT_TABLE_VA) || ensure_l1(GRANT_MAP_VA) ||
        hypercall3(__HYPERVISOR_update_va_mapping, GRANT_TABLE_VA, frame << 12 | PTE_DATA, UVMF_INVLPG))
        return fail(why, len, "mapping the grant table");
    /* dom0 grants its own page to itself (domid 0): grant_src, writable. */
    struct grant_entry_v1 *gt = (struct grant_entry_v1 *)GRANT_TABLE_VA;
    gt[GRANT_REF].frame = (uint32_t)virt_to_mfn(grant_src);
    gt[GRANT_REF].domid = 0;
    __atomic_store_n(&gt[GRANT_REF].flags, (uint16_t)GTF_permit_access, __ATOMIC_RELEASE);
    grant_copy = (struct gnttab_copy){ .len = PAGE_SIZE, .flags = GNTCOPY_source_gref };
    grant_copy.source.u.ref = GRANT_REF;
    grant_copy.source.domid = DOMID_SELF;
    grant_copy.dest.u.gmfn = virt_to_mfn(grant_dst);
    grant_copy.dest.domid = DOMID_SELF;
    for (unsigned int i = 0; i < PAGE_SIZE; i++)
        grant_src[i] = (uint8_t)i;
    const char *r;
    if ((r = bench("grant_map_unmap", 1, NULL, op_grant_map_unmap, NULL, false, NULL, why, len)) ||
        (r = bench("grant_copy_4k", 1, NULL, op_grant_copy, NULL, false, NULL, why, len)))
        return r;
    if (memcmp(grant_src, grant_dst, PAGE_SIZE))
        return fail(why, len, "the copied page differs");
    gt[GRANT_REF].flags = 0;
    return NULL;
}

/* ---- the floor (role=floor, on the bench-floor hypervisor build only) ---- */

/*
 * What a hot path cannot go below (bench/README.md, "The floor"): a SYSCALL into a
 * hypervisor path that does nothing and SYSRETs back, an exception taken and returned
 * with no bounce (int $BENCH_FLOOR_VECTOR to a bare iretq), and a TLB flush alone (the
 * SYSCALL floor with a CR3 reload). bench/bench.mk gives this file and that build the
 * numbers; any other hypervisor answers the SYSCALL with -ENOSYS, which fails the case.
 */
static int64_t floor_call(uint64_t nr)
{
    int64_t rax = (int64_t)nr;
    __asm__ volatile("syscall" : "+a"(rax) :: "rcx", "r11", "memory");
    return rax;
}
static int64_t op_floor_syscall(unsigned int n) { (void)n; return floor_call(BENCH_FLOOR_SYSCALL_NR); }
static int64_t op_floor_flush(unsigned int n) { (void)n; return floor_call(BENCH_FLOOR_FLUSH_NR); }
static int64_t op_floor_exception(unsigned int n)
{
    (void)n;
    __asm__ volatile("int %0" :: "i"(BENCH_FLOOR_VECTOR) : "memory");
    return 0;
}

static const char *test_floor(char *why, size_t len)
{
    int64_t rc = floor_call(BENCH_FLOOR_SYSCALL_NR);
    if (rc)
        return fail(why, len, "the floor SYSCALL answered %lld: not the bench-floor hypervisor build", (long long)rc);
    const char *r;
    if ((r = bench("floor_syscall", 1, NULL, op_floor_syscall, NULL, false, NULL, why, len)) ||
        (r = bench("floor_exception", 1, NULL, op_floor_exception, NULL, false, NULL, why, len)) ||
        (r = bench("floor_tlb_flush", 1, NULL, op_floor_flush, NULL, false, NULL, why, len)))
        return r;
    return NULL;
}

/* ---- which cases run ---------------------------------------------------- */

static const struct test_case single_cases[] = {
    { "setup", test_setup },
    { "hypercall_round_trips", test_hypercalls },
    { "mmu_update_batches", test_mmu_update },
    { "update_va_mapping_batches", test_update_va_mapping },
    { "ptwr_store", test_ptwr },
    { "multicall_entries", test_multicall },
    { "mmuext_ops", test_mmuext },
    { "trap_bounces", test_traps },
    { "privileged_insn_vs_hypercall", test_privileged },
    { "io_port_read", test_io_port },
    { "event_channel_self", test_events },
    { "grant_tables", test_grants },
};

static const struct test_case xdom_cases[] = {
    { "setup", test_setup },
    { "xdom_bind", test_xdom_setup },
    { "xdom_pingpong_poll", test_xdom_poll },
    { "xdom_pingpong_yield", test_xdom_yield },
    { "xdom_pingpong_block_upcall", test_xdom_upcall },
};

static const struct test_case floor_cases[] = {
    { "setup", test_setup },
    { "floor", test_floor },
};

static const struct test_case smp_cases[] = {
    { "setup", test_setup },
    { "smp_setup", test_smp_setup },
    { "flush_alone", test_flush_alone },
    { "flush_remote", test_flush_remote },
    { "roundtrip_setup", test_roundtrip_setup },
    { "roundtrip_cross_cpu_poll", test_roundtrip_poll },
    { "roundtrip_cross_cpu_block_upcall", test_roundtrip_block },
};

const struct test_case *guest_cases(unsigned int *n)
{
    const struct test_case *split = bench_split_cases(n);
    if (split)
        return split;
    if (guest_option_is("role", "smp")) {
        *n = ARRAY_SIZE(smp_cases);
        return smp_cases;
    }
    if (guest_option_is("role", "floor")) {
        *n = ARRAY_SIZE(floor_cases);
        return floor_cases;
    }
    if (guest_option("role")) {
        *n = ARRAY_SIZE(xdom_cases);
        return xdom_cases;
    }
    *n = ARRAY_SIZE(single_cases);
    return single_cases;
}
