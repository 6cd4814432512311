/*
 * Hostile-guest fuzzer: seeded random hypercalls over every number, with
 * arguments aimed at boundaries (tests/guests/fuzz/). Command line:
 *   seed=N[,N...]   one campaign per seed (default 1)
 *   calls=N         hypercalls per campaign (default 10000)
 *   avoid=C[,C...]  leave out a class of calls that trips a known bug, only
 *                   until it is fixed: timer (no deadline >= 2^63 in
 *                   set_timer_op, singleshot timers, poll), decrease (no
 *                   decrease_reservation or exchange), pte (no PWT/PCD above
 *                   L1, no reserved bits, no frames past the top of RAM)
 *   trace=N         print every call from the N-th of a campaign on
 *   victim=DOMID    wait until that domain offers us a port (a victim beside
 *                   us has hashed its memory: supervisor's ready=) before the
 *                   fuzz starts
 * A campaign passes when every call came back, the fuzzer kept control (no
 * trap it did not ask for), its own image is unchanged and the few results
 * it can judge alone are right. The last 32 calls are printed at the end
 * and on any failure; a table of calls and refusals per hypercall follows.
 */
#include "guest.h"
#include "hypercall.h"
#include "events.h"
#include "exceptions.h"
#include "mm.h"
#include "fuzz/fuzz.h"
#include <public/domctl.h>
#include <public/errno.h>
#include <public/memory.h>
#include <public/version.h>

const char test_title[] = "fuzz: random hypercalls aimed at boundaries; the machine survives";

#define RING 32
#define NR_BUCKETS 66           /* 0..63, then 64..127, then every larger number */
#define TOUCH ((uint64_t)-1)    /* ring marker: a read through the sacrificial range */
#define REPAIR_EVERY 1024
#define TOUCH_EVERY 16
#define VICTIM_ROUNDS 100000    /* yields while waiting for the victim's offer */

static struct ring_entry {
    uint64_t seq;
    struct fuzz_call c;
    int64_t res;
    bool done;
} ring[RING];
static uint64_t seq;

static struct { uint64_t calls, refused, ns; } stats[NR_BUCKETS];
static uint64_t total_calls, total_ns, total_campaign_ns;

static uint64_t trace_from = ~0ull;
static uint64_t image_hash;
extern char _stext[], _sdata[];

/* ---- setup ---- */

static uint32_t wake_port, wake_peer;
static uint32_t *wake_slots[16];
static unsigned int nr_wake_slots;

void fuzz_wake_slot(uint32_t *slot)
{
    if (nr_wake_slots < ARRAY_SIZE(wake_slots))
        wake_slots[nr_wake_slots++] = slot;
}

static int64_t set_our_callbacks(void)
{
    return hypercall3(__HYPERVISOR_set_callbacks, event_entry, fuzz_failsafe, 0);
}

/* A loopback pair: a send on wake_peer makes wake_port pending. */
static int64_t wake_ports_make(void)
{
    struct evtchn_alloc_unbound a = { .dom = DOMID_SELF, .remote_dom = DOMID_SELF };
    int64_t rc = evtchn_op(EVTCHNOP_alloc_unbound, &a);
    if (rc)
        return rc;
    struct evtchn_bind_interdomain b = { .remote_dom = DOMID_SELF, .remote_port = a.port };
    if ((rc = evtchn_op(EVTCHNOP_bind_interdomain, &b)))
        return rc;
    wake_port = a.port;
    wake_peer = b.local_port;
    return 0;
}

/*
 * Before block or poll: upcalls masked, our wake port pending, so neither can
 * sleep for long. False when the pair cannot be made again (the fuzz may have
 * closed it and taken every free port): the call must not be made then.
 */
static bool prepare_wake(void)
{
    events_mask();
    struct evtchn_status st = { .dom = DOMID_SELF, .port = wake_port };
    if ((evtchn_op(EVTCHNOP_status, &st) || st.status != EVTCHNSTAT_interdomain ||
         st.u.interdomain.port != wake_peer) && wake_ports_make())
        return false;
    struct evtchn_unmask u = { .port = wake_port };
    evtchn_op(EVTCHNOP_unmask, &u);
    if (evtchn_send(wake_peer) || !port_pending(wake_port))
        return false;
    for (unsigned int i = 0; i < nr_wake_slots; i++)
        *wake_slots[i] = wake_port;
    return true;
}

static const char *test_setup(char *why, size_t len)
{
    int64_t rc;
    if ((rc = exceptions_install()) || (rc = events_init()) || (rc = set_our_callbacks()))
        return fail(why, len, "traps, events or callbacks: %lld", (long long)rc);
    fm.privileged = start_info->flags & SIF_PRIVILEGED;
    fm.max_mfn = (uint64_t)hypercall2(__HYPERVISOR_memory_op, XENMEM_maximum_ram_page, 0);
    fm.l4_mfn = virt_to_mfn((void *)start_info->pt_base);
    fm.first_free_pfn = start_info->first_p2m_pfn;
    for (unsigned int i = 0; i < SAC_L1S; i++)
        if (ensure_l1(SAC_VA + i * 0x200000ull))
            return fail(why, len, "sacrificial page tables");
    fm.sac_table[0] = pte_maddr(SAC_VA, 3) >> 12;
    fm.sac_table[1] = pte_maddr(SAC_VA, 2) >> 12;
    for (unsigned int i = 0; i < SAC_L1S; i++)
        fm.sac_table[2 + i] = pte_maddr(SAC_VA + i * 0x200000ull, 1) >> 12;
    if (ensure_l1(SCR_VA))
        return fail(why, len, "scratch page tables");
    for (unsigned int i = 0; i < SCR_PAGES; i++) {
        fm.scratch_mfn[i] = spare_mfn();
        if (!fm.scratch_mfn[i] ||
            hypercall3(__HYPERVISOR_update_va_mapping, SCR_VA + i * PAGE_SIZE, fm.scratch_mfn[i] << 12 | PTE_DATA, 0))
            return fail(why, len, "mapping scratch page %u", i);
    }
    while (fm.nr_pool < POOL_MAX && (fm.pool[fm.nr_pool] = spare_mfn()))
        fm.nr_pool++;
    own_frames_note();
    if ((rc = wake_ports_make()))
        return fail(why, len, "wake ports: %lld", (long long)rc);
    image_hash = hash_memory(_stext, (uint64_t)(_sdata - _stext));
    const char *avoid = guest_option("avoid");
    for (const char *p = avoid; p && *p && *p != ' '; p++) {
        if (!strncmp(p, "timer", 5)) fuzz_avoid |= AVOID_TIMER;
        if (!strncmp(p, "decrease", 8)) fuzz_avoid |= AVOID_DECREASE;
        if (!strncmp(p, "pte", 3)) fuzz_avoid |= AVOID_PTE;
    }
    trace_from = guest_option_num("trace", ~0ul);
    if (guest_option("victim")) {
        unsigned int port;
        unsigned long rounds;
        domid_t victim = (domid_t)guest_option_num("victim", 0);
        if ((rc = evtchn_await_offer(victim, VICTIM_ROUNDS, &port, &rounds)))
            return fail(why, len, "domain %u offered no port in %u rounds: %lld", victim, VICTIM_ROUNDS, (long long)rc);
        printk("# victim %u ready after %lu rounds\n", victim, rounds);
    }
    printk("# %s domain, %u pool frames, max mfn %#llx, avoid=%s\n", fm.privileged ? "privileged" : "unprivileged",
           fm.nr_pool, (unsigned long long)fm.max_mfn, fuzz_avoid ? avoid : "nothing");
    return NULL;
}

/* ---- one call ---- */

static int64_t raw_hypercall(const struct fuzz_call *c)
{
    register uint64_t a1 __asm__("rdi") = c->a[0];
    register uint64_t a2 __asm__("rsi") = c->a[1];
    register uint64_t a3 __asm__("rdx") = c->a[2];
    register uint64_t a4 __asm__("r10") = c->a[3];
    register uint64_t a5 __asm__("r8") = c->a[4];
    uint64_t rax = c->nr;
    /* SYSCALL directly (what a stub does): numbers past the 128 stubs reach the hypervisor too. */
    __asm__ volatile("syscall" : "+a"(rax), "+r"(a1), "+r"(a2), "+r"(a3), "+r"(a4), "+r"(a5)
                     :: "rcx", "r11", "memory", "cc");
    return (int64_t)rax;
}

/* HYPERVISOR_iret back to the next instruction, with the call's rflags and iret flags. */
static void controlled_iret(const struct fuzz_call *c)
{
    __asm__ volatile("mov %%rsp, %%rax\n\t"
                     "pushq %[ss]\n\t"
                     "pushq %%rax\n\t"
                     "pushq %[rflags]\n\t"
                     "pushq %[cs]\n\t"
                     "lea 1f(%%rip), %%rax\n\t"
                     "pushq %%rax\n\t"
                     "pushq %[flags]\n\t"
                     "jmp hypercall_page + %c[iret] * 32\n"
                     "1:"
                     :: [ss] "i"(FLAT_KERNEL_SS), [cs] "i"(FLAT_KERNEL_CS & ~3) /* RPL 0: back to kernel mode */, [rflags] "r"(c->a[0]),
                        [flags] "r"(c->a[1]), [iret] "i"(__HYPERVISOR_iret)
                     : "rax", "rcx", "r11", "memory", "cc");
}

static void print_call(const char *tag, const struct ring_entry *e)
{
    const struct fuzz_call *c = &e->c;
    if (c->nr == TOUCH) {
        printk("# %s %llu touch va=%#llx -> %s\n", tag, (unsigned long long)e->seq, (unsigned long long)c->a[0],
               e->res ? "fault" : "read");
        return;
    }
    char res[24];
    if (e->done)
        snprintf(res, sizeof(res), "%lld", (long long)e->res);
    else
        snprintf(res, sizeof(res), "(running)");
    printk("# %s %llu %s(%llu) %#llx %#llx %#llx %#llx %#llx [%#llx %#llx] -> %s\n", tag,
           (unsigned long long)e->seq, hypercall_name(c->nr), (unsigned long long)c->nr,
           (unsigned long long)c->a[0], (unsigned long long)c->a[1], (unsigned long long)c->a[2],
           (unsigned long long)c->a[3], (unsigned long long)c->a[4], (unsigned long long)c->d[0],
           (unsigned long long)c->d[1], res);
}

/* A traced multicall shows its entries (one level), for reproducers. */
static void print_entries(const struct fuzz_call *c)
{
    if (c->nr != __HYPERVISOR_multicall || c->a[0] < SCR_ARENA_VA || c->a[0] >= SCR_END)
        return;
    const struct multicall_entry *m = (const struct multicall_entry *)c->a[0];
    for (uint64_t k = 0; k < c->a[1] && k < 8 && (uint64_t)(m + k + 1) <= SCR_END; k++)
        printk("#   entry %llu: %s(%llu) %#llx %#llx %#llx %#llx %#llx\n", (unsigned long long)k,
               hypercall_name(m[k].op), (unsigned long long)m[k].op, (unsigned long long)m[k].args[0],
               (unsigned long long)m[k].args[1], (unsigned long long)m[k].args[2],
               (unsigned long long)m[k].args[3], (unsigned long long)m[k].args[4]);
}

static void print_ring(void)
{
    printk("# last %u calls (number, 5 arguments, [first batch element], result):\n", RING);
    for (uint64_t s = seq > RING ? seq - RING : 0; s < seq; s++)
        print_call("ring", &ring[s % RING]);
}

static struct ring_entry *record(const struct fuzz_call *c)
{
    struct ring_entry *e = &ring[seq % RING];
    e->seq = seq++;
    e->c = *c;
    e->done = false;
    return e;
}

static void restore_after(unsigned int flags)
{
    if (flags & POST_TRAPS)
        exceptions_install();
    if (flags & POST_CALLBACKS) {
        set_our_callbacks();
        struct callback_unregister nmi = { .type = CALLBACKTYPE_nmi };
        hypercall2(__HYPERVISOR_callback_op, CALLBACKOP_unregister, &nmi);
    }
    if (flags & POST_WATCHDOG)
        for (uint32_t id = 1; id <= 2; id++) {
            struct sched_watchdog w = { .id = id, .timeout = 0 };
            hyp_sched_op(SCHEDOP_watchdog, &w);
        }
    if ((flags & POST_SCHED) && fm.privileged) {
        struct pv_domctl op = { .cmd = PV_DOMCTL_setschedparams, .interface_version = PV_DOMCTL_INTERFACE_VERSION,
                                .domain = DOMID_SELF };
        op.u.sched.weight = 256;
        hypercall1(__HYPERVISOR_domctl, &op);
    }
}

/* Runs one call through the ring and the statistics; returns its result. */
static int64_t issue(struct fuzz_call *c, uint64_t index)
{
    if ((c->flags & PRE_WAKE) && !prepare_wake()) {
        /* Nothing could wake a block: a harmless call instead, so the ring shows what ran. */
        *c = (struct fuzz_call){ .nr = __HYPERVISOR_xen_version, .a = { XENVER_version } };
    }
    struct ring_entry *e = record(c);
    if (index >= trace_from) {
        print_call("call", e);
        print_entries(c);
    }
    int64_t res = 0;
    uint64_t t0 = pvclock_now();
    if (c->flags & CALL_IRET)
        controlled_iret(c);
    else
        res = raw_hypercall(c);
    uint64_t ns = pvclock_now() - t0;
    total_ns += ns;
    e->res = res;
    e->done = true;
    if (index >= trace_from)
        printk("# done %llu -> %lld\n", (unsigned long long)e->seq, (long long)res);
    restore_after(c->flags);
    unsigned int b = c->nr < 64 ? (unsigned int)c->nr : c->nr < 128 ? 64 : 65;
    stats[b].calls++;
    stats[b].refused += res < 0;
    stats[b].ns += ns;
    total_calls++;
    return res;
}

/* Puts the sacrificial tree back into slot 1 (the fuzz may have unhooked any of it). */
static void repair(uint64_t index)
{
    struct mmu_update *u = arena_alloc((2 + SAC_L1S) * sizeof(*u));
    const uint64_t link = PTE_P | PTE_RW | PTE_U | PTE_A;
    u[0] = (struct mmu_update){ fm.l4_mfn << 12 | ((SAC_VA >> 39) & 511) * 8, fm.sac_table[0] << 12 | link };
    u[1] = (struct mmu_update){ fm.sac_table[0] << 12, fm.sac_table[1] << 12 | link };
    for (unsigned int i = 0; i < SAC_L1S; i++)
        u[2 + i] = (struct mmu_update){ fm.sac_table[1] << 12 | i * 8, fm.sac_table[2 + i] << 12 | link };
    struct fuzz_call c = { .nr = __HYPERVISOR_mmu_update, .a = { (uint64_t)u, 2 + SAC_L1S, 0, DOMID_SELF } };
    c.d[0] = u[0].ptr;
    c.d[1] = u[0].val;
    issue(&c, index);
}

/* Reads through a random sacrificial address; a fault there is expected and caught. */
static void touch(void)
{
    struct fuzz_call c = { .nr = TOUCH, .a = { SAC_VA + rnd(SAC_BYTES / 8) * 8 } };
    struct ring_entry *e = record(&c);
    uint64_t before = last_exc.count;
    TRY_INSN("movq (%0), %%rdx", "r"(c.a[0]));
    e->res = last_exc.count != before;
    e->done = true;
}

/* ---- campaigns ---- */

static void *campaign_jb[5];
extern char fuzz_landing[];

void fuzz_lost_control(void);
void fuzz_lost_control(void)
{
    __builtin_longjmp(campaign_jb, 1);
}

static bool lost;

static const char *campaign(uint64_t seed, uint64_t calls, char *why, size_t len)
{
    if (lost)
        return fail(why, len, "SKIP: an earlier campaign lost control");
    const char *bad = NULL;
    fuzz_state = seed;
    uint64_t t0 = pvclock_now(), ns0 = total_ns, calls0 = total_calls;
    static volatile uint64_t i;         /* read after the longjmp */
    i = 0;
    if (__builtin_setjmp(campaign_jb)) {
        lost = true;
        printk("# lost control: exception %llu (error %#llx, cr2 %#llx) at %#llx during call %llu\n",
               (unsigned long long)last_exc.vector, (unsigned long long)last_exc.error_code,
               (unsigned long long)shinfo->vcpu_info[0].arch.cr2, (unsigned long long)last_exc.rip,
               (unsigned long long)i);
        print_ring();
        return fail(why, len, "lost control at call %llu: exception %llu at %#llx", (unsigned long long)i,
                    (unsigned long long)last_exc.vector, (unsigned long long)last_exc.rip);
    }
    exc_resume = (uint64_t)fuzz_landing;
    for (i = 0; i < calls && !bad; i++) {
        arena_reset();
        nr_wake_slots = 0;
        if (i % REPAIR_EVERY == 0) {
            repair(i);
            continue;
        }
        struct fuzz_call c = { 0 };
        gen_call(&c, 0);
        int64_t res = issue(&c, i);
        if ((bad = check_result(&c, res)))
            print_call("wrong", &ring[(seq - 1) % RING]);
        if (i % TOUCH_EVERY == 0) {
            touch();
            exc_resume = (uint64_t)fuzz_landing;
        }
    }
    exc_resume = 0;
    total_campaign_ns += pvclock_now() - t0;
    uint64_t ms = (pvclock_now() - t0) / 1000000;
    printk("# campaign seed=%llu: %llu calls in %llu ms (%llu calls/s; %llu ms inside the hypervisor)\n",
           (unsigned long long)seed, (unsigned long long)(total_calls - calls0), (unsigned long long)ms,
           (unsigned long long)((total_calls - calls0) * 1000 / (ms ? ms : 1)),
           (unsigned long long)((total_ns - ns0) / 1000000));
    print_ring();
    if (bad)
        return fail(why, len, "call %llu: %s", (unsigned long long)(i - 1), bad);
    uint64_t h = hash_memory(_stext, (uint64_t)(_sdata - _stext));
    if (h != image_hash)
        return fail(why, len, "our code changed under us (xxh64 %016llx, was %016llx)", (unsigned long long)h,
                    (unsigned long long)image_hash);
    return NULL;
}

#define MAX_SEEDS 8
static uint64_t seeds[MAX_SEEDS];
static unsigned int nr_seeds;
static uint64_t calls_per_seed;
static char case_names[MAX_SEEDS][64];

#define CASE(k) \
    static const char *campaign_##k(char *why, size_t len) { return campaign(seeds[k], calls_per_seed, why, len); }
CASE(0) CASE(1) CASE(2) CASE(3) CASE(4) CASE(5) CASE(6) CASE(7)
static const char *(*const campaign_fns[MAX_SEEDS])(char *, size_t) = {
    campaign_0, campaign_1, campaign_2, campaign_3, campaign_4, campaign_5, campaign_6, campaign_7,
};

/* The totals over every campaign: calls, rate, and calls and refusals per hypercall. */
static const char *test_summary(char *why, size_t len)
{
    (void)why;
    (void)len;
    uint64_t ms = total_campaign_ns / 1000000;
    printk("# fuzz summary: calls=%llu ms=%llu calls_per_s=%llu hypervisor_ms=%llu failsafe=%llu\n",
           (unsigned long long)total_calls, (unsigned long long)ms,
           (unsigned long long)(total_calls * 1000 / (ms ? ms : 1)), (unsigned long long)(total_ns / 1000000),
           (unsigned long long)fuzz_failsafe_count);
    printk("# hc  nr name                           calls  refused       ms\n");
    for (unsigned int b = 0; b < NR_BUCKETS; b++)
        if (stats[b].calls)
            printk("# hc %3u %-28s %8llu %8llu %8llu\n", b, hypercall_name(b == 65 ? ~0ull : b),
                   (unsigned long long)stats[b].calls, (unsigned long long)stats[b].refused,
                   (unsigned long long)(stats[b].ns / 1000000));
    return NULL;
}

const struct test_case *guest_cases(unsigned int *n)
{
    static struct test_case cases[MAX_SEEDS + 2];
    unsigned int c = 0;
    calls_per_seed = guest_option_num("calls", 10000);
    const char *p = guest_option("seed");
    for (; p && nr_seeds < MAX_SEEDS && *p >= '0' && *p <= '9'; p++) {
        uint64_t v = 0;
        for (; *p >= '0' && *p <= '9'; p++)
            v = v * 10 + (uint64_t)(*p - '0');
        seeds[nr_seeds++] = v;
        if (*p != ',')
            break;
    }
    if (!nr_seeds)
        seeds[nr_seeds++] = 1;
    cases[c++] = (struct test_case){ "setup", test_setup };
    for (unsigned int k = 0; k < nr_seeds; k++) {
        snprintf(case_names[k], sizeof(case_names[k]), "campaign seed=%llu calls=%llu",
                 (unsigned long long)seeds[k], (unsigned long long)calls_per_seed);
        cases[c++] = (struct test_case){ case_names[k], campaign_fns[k] };
    }
    cases[c++] = (struct test_case){ "summary", test_summary };
    *n = c;
    return cases;
}
