/*
 * Batch: one mmu_update of count=<n> entries (default 262144) in a single
 * hypercall; with pin=<n>, also one MMUEXT_PIN_L3_TABLE of an L3 over three
 * L2s whose n L1 tables each are full (3 * n * 512 entries to validate in one
 * pin); with multicall=1, also the same mmu_update as the middle entry of a
 * three-entry multicall. Each of these must be preempted and continued: the
 * batches so that the domain peer=<domid> (the ticker, which offers port 1
 * and notifies us on every turn it gets) runs meanwhile, the pin as seen by
 * an event of our own (test_pin). Each checks what ended up in the tables,
 * not only the return codes, and the pin must fail once its last entry is
 * made bad.
 *
 * The tables are written through a writable window that mmu_update maps and
 * unmaps. That relies on the hypervisor flushing when an update drops a
 * reference (ours does; Xen leaves that to the guest), so a missing flush
 * shows here as writes that went to the previous table.
 */
#include "events.h"
#include "exceptions.h"
#include "guest.h"
#include "hypercall.h"
#include "mm.h"
#include <lib/x86.h>
#include <public/errno.h>

const char test_title[] = "batch: a huge mmu_update batch completes, other domains run meanwhile";

#define MAX_ENTRIES (1u << 19)
#define TARGET_VA   (GUEST_VIRT_BASE + 0x4000000ull)

static struct mmu_update reqs[MAX_ENTRIES];

/*
 * Phases: each long hypercall is bracketed by phase_start and phase_end, with
 * events unmasked. The peer notifies us on every turn it gets; when it gets one
 * because our hypercall was preempted, the notification's upcall comes in on the
 * way back, before the hypercall is re-issued (nr_upcalls_in_hypercall). So the
 * peer ran between two pieces of the call: no clock decides. The duration is
 * printed because a hypercall shorter than a scheduler slice (30 ms under both
 * policies) need not be preempted, which would explain a failure.
 */
static unsigned int peer_port;

static const char *test_peer_connects(char *why, size_t len)
{
    domid_t peer = events_init_for_peer(why, len);
    if (peer == DOMID_INVALID)
        return why;
    int64_t rc;
    if ((rc = evtchn_connect(peer, &peer_port)))
        return fail(why, len, "binding to a port of %u: %lld", peer, (long long)rc);
    events_unmask();
    return NULL;
}

static uint64_t phase_start(void)
{
    nr_upcalls_in_hypercall = 0;
    return pvclock_now();
}

struct phase { unsigned int peer_turns; uint64_t ms; };

static struct phase phase_end(uint64_t t0)
{
    return (struct phase){ nr_upcalls_in_hypercall, (pvclock_now() - t0) / 1000000 };
}

static const char *phase_verdict(struct phase p, const char *what, char *why, size_t len)
{
    if (p.peer_turns)
        return NULL;
    return fail(why, len, "the peer never ran inside the %llu ms %s", (unsigned long long)p.ms, what);
}

/* Lets the peer stop ticking; it fails if we end without this. */
static const char *test_peer_told_done(char *why, size_t len)
{
    if (!peer_port)
        return fail(why, len, "no peer connected");
    int64_t rc = evtchn_send(peer_port);
    return rc ? fail(why, len, "notifying the peer: %lld", (long long)rc) : NULL;
}

static unsigned int count_option(void)
{
    unsigned long n = guest_option_num("count", 262144);
    return n && n <= MAX_ENTRIES ? (unsigned int)n : 262144;
}

/* Pages with a distinct first word: a read through a mapping tells which one it reached. */
#define MARK_MAGIC 0x6d61726b00000000ull
static uint64_t marked[512][512] __attribute__((aligned(4096)));

/*
 * The batch sweeps the 512 PTEs of TARGET_VA's L1 over and over: odd sweeps
 * unmap, even ones map marked page (pte + sweep + shift) % 512, and the last
 * 512 entries always map, so every PTE ends up mapping a known page.
 */
static void fill_batch(unsigned int n, unsigned int shift)
{
    uint64_t l1 = pte_maddr(TARGET_VA, 1);    /* TARGET_VA starts an L1 */
    for (unsigned int k = 0; k < 512; k++)
        marked[k][0] = MARK_MAGIC + k;
    for (unsigned int i = 0; i < n; i++) {
        unsigned int pte = i % 512, sweep = i / 512;
        reqs[i].ptr = l1 + pte * 8;
        reqs[i].val = (sweep & 1) && i + 512 < n
                          ? 0
                          : virt_to_mfn(marked[(pte + sweep + shift) % 512]) * PAGE_SIZE | PTE_P | PTE_U | PTE_A;
    }
}

/* Every PTE the batch wrote holds its last value, and a read through it reaches that page. */
static const char *check_batch(unsigned int n, char *why, size_t len)
{
    for (unsigned int pte = 0; pte < 512 && pte < n; pte++) {
        unsigned int last = (n - 1) - ((n - 1 - pte) % 512);     /* the last request for this PTE */
        uint64_t va = TARGET_VA + pte * PAGE_SIZE, want = reqs[last].val, got = read_pte(va, 1);
        const uint64_t bits = PTE_ADDR | PTE_P | PTE_RW;
        if ((got & bits) != (want & bits))
            return fail(why, len, "PTE %u holds %#llx, the batch wrote %#llx last", pte, (unsigned long long)got,
                        (unsigned long long)want);
        uint64_t seen = *(volatile uint64_t *)va, mark = MARK_MAGIC + (uint64_t)(m2p()[want >> 12] -
                        m2p()[virt_to_mfn(marked[0])]);
        if (seen != mark)
            return fail(why, len, "a read through PTE %u found %#llx, want %#llx", pte, (unsigned long long)seen,
                        (unsigned long long)mark);
    }
    return NULL;
}

static const char *test_batch(char *why, size_t len)
{
    unsigned int n = count_option();
    if (ensure_l1(TARGET_VA))
        return fail(why, len, "no L1 for the target");
    fill_batch(n, 0);
    printk("# batch of %u updates started\n", n);
    uint32_t done = 0;
    uint64_t t0 = phase_start();
    int64_t rc = mmu_update_batch(reqs, n, &done);
    struct phase p = phase_end(t0);
    printk("# batch done: rc %lld, %u done in %llu ms, %u of the peer's turns inside\n", (long long)rc, done,
           (unsigned long long)p.ms, p.peer_turns);
    if (rc || done != n)
        return fail(why, len, "rc %lld, done %u of %u", (long long)rc, done, n);
    const char *res = check_batch(n, why, len);
    return res ? res : phase_verdict(p, "batch", why, len);
}

#define FILL_VA     (GUEST_VIRT_BASE + 0x8000000ull)
#define READBACK_VA (GUEST_VIRT_BASE + 0xc000000ull)    /* the tables read-only, 513 pages */

/*
 * The pin: an L3 over PIN_L2S L2s, each over n (pin=<n>) full L1s. Its work
 * must outlast the longest scheduler slice (30 ms under both policies), so
 * that it is preempted wherever the slices fall: one L2 of 512 full L1s
 * validates in about 23 ms under icount (issue 18's hypervisor), so three
 * take about 70 ms. A table is named by (g, k): k < n is L1 k of group g,
 * k == n the group's L2; g == PIN_L2S, k == n is the L3.
 */
#define PIN_L2S 3

static uint64_t pin_l3, pin_l2[PIN_L2S], pin_l1[PIN_L2S][512];

static uint64_t table_mfn(unsigned int n, unsigned int g, unsigned int k)
{
    return g == PIN_L2S ? pin_l3 : k < n ? pin_l1[g][k] : pin_l2[g];
}

/* What the pin test puts in entry i of table (g, k). */
static uint64_t table_entry(unsigned int n, unsigned int g, unsigned int k, unsigned int i)
{
    const uint64_t table = PTE_P | PTE_RW | PTE_U | PTE_A;
    if (g == PIN_L2S)
        return i < PIN_L2S ? pin_l2[i] * PAGE_SIZE | table : 0;
    if (k < n)
        return pfn_to_mfn(i) * PAGE_SIZE | PTE_P | PTE_U | PTE_A;
    return i < n ? pin_l1[g][i] * PAGE_SIZE | table : 0;
}

/* Writes table (g, k) through the writable window, then takes the window away. */
static int64_t fill_table(unsigned int n, unsigned int g, unsigned int k, uint64_t last_entry)
{
    uint64_t window = pte_maddr(FILL_VA, 1);
    int64_t rc = mmu_update_one(window, table_mfn(n, g, k) * PAGE_SIZE | PTE_DATA);
    if (rc)
        return rc;
    /* The window mapped the previous table: its translation may still be cached (Xen flushes nothing either). */
    if ((rc = mmuext(MMUEXT_TLB_FLUSH_LOCAL, 0, 0)))
        return rc;
    uint64_t *t = (uint64_t *)FILL_VA;
    for (unsigned int i = 0; i < 511; i++)
        t[i] = table_entry(n, g, k, i);
    t[511] = last_entry;
    return mmu_update_one(window, 0);
}

/* Maps group g's tables (g == PIN_L2S: the L3) read-only at READBACK_VA; compares each entry with what was written. */
static const char *check_group(unsigned int n, unsigned int g, char *why, size_t len)
{
    static struct mmu_update map[513];
    unsigned int first = g == PIN_L2S ? n : 0;
    for (unsigned int k = first; k <= n; k++)
        map[k - first] = (struct mmu_update){ .ptr = pte_maddr(READBACK_VA + (k - first) * PAGE_SIZE, 1),
                                              .val = table_mfn(n, g, k) * PAGE_SIZE | PTE_P | PTE_U | PTE_A };
    int64_t rc = mmu_update_batch(map, n + 1 - first, NULL);
    if (rc)
        return fail(why, len, "mapping the tables read-only: %lld", (long long)rc);
    /* The previous group's tables were mapped there: their translations may still be cached. */
    if ((rc = mmuext(MMUEXT_TLB_FLUSH_LOCAL, 0, 0)))
        return fail(why, len, "flushing the read-back window: %lld", (long long)rc);
    const char *res = NULL;
    for (unsigned int k = first; k <= n && !res; k++) {
        const uint64_t *t = (const uint64_t *)(READBACK_VA + (k - first) * PAGE_SIZE);
        for (unsigned int i = 0; i < 512; i++)
            if (t[i] != table_entry(n, g, k, i)) {
                res = fail(why, len, "%s %u.%u entry %u holds %#llx, %#llx was written",
                           g == PIN_L2S ? "L3" : k < n ? "L1" : "L2", g, k, i, (unsigned long long)t[i],
                           (unsigned long long)table_entry(n, g, k, i));
                break;
            }
    }
    for (unsigned int k = first; k <= n; k++)
        map[k - first].val = 0;
    if ((rc = mmu_update_batch(map, n + 1 - first, NULL)) && !res)
        res = fail(why, len, "unmapping the tables: %lld", (long long)rc);
    return res;
}

static const char *check_tables(unsigned int n, char *why, size_t len)
{
    const char *res = NULL;
    uint64_t t0 = rdtsc_ordered();
    for (unsigned int g = 0; g <= PIN_L2S && !res; g++)
        res = check_group(n, g, why, len);
    printk("# read back %u entries in %llu TSC cycles\n", (PIN_L2S * (n + 1) + 1) * 512,
           (unsigned long long)(rdtsc_ordered() - t0));
    return res;
}

static unsigned int pin_tables(void)
{
    unsigned int n = (unsigned int)guest_option_num("pin", 0);
    return n <= 512 ? n : 0;
}

/*
 * Whether the pin was continued is read off the pin itself, not off the
 * ticker (its notification had to happen to be pending at a continuation,
 * and whether the pin was preempted at all hung on where the slices fell:
 * both moved with any change of speed). An event of our own is made pending
 * with upcalls masked and unmasked just before the pin, with no hypercall
 * between: the hypervisor delivers it on its first return to us, which for
 * a continued pin is between two pieces, onto the SYSCALL it rewound to
 * (counted in nr_upcalls_in_hypercall), and for a pin done in one go is its
 * return (onto the instruction after the SYSCALL). An interrupt in the few
 * instructions between the unmask and the SYSCALL could deliver it before
 * the pin starts: the upcall's RIP then names neither, and the pin is tried
 * again.
 */
#define SYSCALL_INSN 0x050f                 /* 0f 05, read as a little-endian word */
#define PIN_TRIES    3

static unsigned int self_port;

static int64_t pin_with_own_event_pending(struct phase *p)
{
    events_mask();
    int64_t rc = evtchn_send(self_port);
    if (rc)
        return rc;
    uint64_t t0 = phase_start();
    events_unmask();
    rc = mmuext(MMUEXT_PIN_L3_TABLE, pin_l3, 0);
    *p = phase_end(t0);
    return rc;
}

/* A writable mapping of a table the pin validated must be refused: the validation reached it. */
static const char *check_validated(unsigned int n, char *why, size_t len)
{
    uint64_t window = pte_maddr(FILL_VA, 1);
    const unsigned int probe[][2] = { { 0, 0 }, { 0, n }, { PIN_L2S - 1, n - 1 }, { PIN_L2S - 1, n } };
    for (unsigned int j = 0; j < 4; j++) {
        unsigned int g = probe[j][0], k = probe[j][1];
        if (!mmu_update_one(window, table_mfn(n, g, k) * PAGE_SIZE | PTE_DATA)) {
            mmu_update_one(window, 0);
            return fail(why, len, "%s %u.%u under the pinned L3 could be mapped writable: never validated",
                        k < n ? "L1" : "L2", g, k);
        }
    }
    return NULL;
}

/* One pin validates PIN_L2S * n full L1s (the tables written through the window first), continued at least once. */
static const char *test_pin(char *why, size_t len)
{
    unsigned int n = pin_tables();
    if (!n)
        return NULL;                        /* not asked for */
    pin_l3 = spare_mfn();
    for (unsigned int g = 0; g < PIN_L2S; g++) {
        pin_l2[g] = spare_mfn();
        for (unsigned int k = 0; k < n; k++)
            pin_l1[g][k] = spare_mfn();
    }
    if (!pin_l1[PIN_L2S - 1][n - 1] || ensure_l1(FILL_VA) || ensure_l1(READBACK_VA) ||
        ensure_l1(READBACK_VA + 512 * PAGE_SIZE))
        return fail(why, len, "not enough spare frames for %u tables", PIN_L2S * (n + 1) + 1);
    for (unsigned int g = 0; g <= PIN_L2S; g++)
        for (unsigned int k = g == PIN_L2S ? n : 0; k <= n; k++)
            if (fill_table(n, g, k, table_entry(n, g, k, 511)))
                return fail(why, len, "mapping table %u.%u to fill it", g, k);
    int64_t rc;
    if (!self_port) {
        struct evtchn_bind_ipi b = { .vcpu = 0 };
        if ((rc = evtchn_op(EVTCHNOP_bind_ipi, &b)))
            return fail(why, len, "binding an IPI port to ourselves: %lld", (long long)rc);
        self_port = b.port;
    }
    for (unsigned int attempt = 1;; attempt++) {
        printk("# pin of an L3 over %u L2s of %u full L1s (%u entries) started\n", PIN_L2S, n, PIN_L2S * n * 512);
        struct phase p = { 0, 0 };
        rc = pin_with_own_event_pending(&p);
        uint64_t rip = upcall_rip;
        printk("# pin done: rc %lld in %llu ms, %u upcalls between its pieces\n", (long long)rc,
               (unsigned long long)p.ms, p.peer_turns);
        if (rc)
            return fail(why, len, "pin: %lld", (long long)rc);
        const char *res = check_validated(n, why, len);
        if (res)
            return res;
        if ((rc = mmuext(MMUEXT_UNPIN_TABLE, pin_l3, 0)))
            return fail(why, len, "unpin: %lld", (long long)rc);
        if (p.peer_turns)
            return NULL;
        if (*(const uint16_t *)(rip - 2) == SYSCALL_INSN)
            return fail(why, len, "the %llu ms pin was never continued: our pending event came in at its return",
                        (unsigned long long)p.ms);
        if (attempt == PIN_TRIES)
            return fail(why, len, "our pending event came in before the pin started, %u times", PIN_TRIES);
        printk("# our pending event came in before the pin started (rip %#llx): again\n", (unsigned long long)rip);
    }
}

/* The tables the pin validated hold exactly what was written (read through read-only mappings). */
static const char *test_pin_tables_as_written(char *why, size_t len)
{
    unsigned int n = pin_tables();
    return n ? check_tables(n, why, len) : NULL;
}

/*
 * The pin validates every entry: the same tables with a bad entry as the very
 * last one it reaches (the last L1's last entry: a writable mapping of our
 * own L4) must be refused.
 */
static const char *test_pin_refuses_bad_last_entry(char *why, size_t len)
{
    unsigned int n = pin_tables();
    if (!n)
        return NULL;
    uint64_t bad = virt_to_mfn((void *)start_info->pt_base) * PAGE_SIZE | PTE_DATA;
    if (fill_table(n, PIN_L2S - 1, n - 1, bad))
        return fail(why, len, "mapping the last L1 to spoil it");
    printk("# pin with a bad last entry started\n");
    int64_t rc = mmuext(MMUEXT_PIN_L3_TABLE, pin_l3, 0);
    printk("# pin with a bad last entry done: rc %lld\n", (long long)rc);
    if (rc == -XEN_EINVAL)
        return NULL;
    if (!rc)
        mmuext(MMUEXT_UNPIN_TABLE, pin_l3, 0);
    return fail(why, len, "pin with a writable mapping of the L4 as its last entry: %lld, want -EINVAL",
                (long long)rc);
}

/*
 * The huge batch again, inside a multicall: the nested call is continued as
 * Xen does (its entry rewritten, the multicall resumed at it), so other
 * domains run meanwhile, and every entry still gets its own result.
 */
static const char *test_batch_in_multicall(char *why, size_t len)
{
    if (!guest_option_is("multicall", "1"))
        return NULL;                        /* not asked for */
    unsigned int n = count_option();
    fill_batch(n, 1);                       /* every PTE ends on another page than the first batch left */
    static struct multicall_entry calls[3];
    uint32_t done = 0;
    calls[0] = (struct multicall_entry){ .op = __HYPERVISOR_xen_version, .args = { XENVER_version } };
    calls[1] = (struct multicall_entry){ .op = __HYPERVISOR_mmu_update,
                                         .args = { (uint64_t)reqs, n, (uint64_t)&done, DOMID_SELF } };
    calls[2] = calls[0];
    int64_t version = hyp_xen_version(XENVER_version, NULL);
    printk("# multicall with a batch of %u updates started\n", n);
    uint64_t t0 = phase_start();
    int64_t rc = hypercall2(__HYPERVISOR_multicall, calls, 3);
    struct phase p = phase_end(t0);
    printk("# multicall done: rc %lld, %u done in %llu ms, %u of the peer's turns inside\n", (long long)rc, done,
           (unsigned long long)p.ms, p.peer_turns);
    if (rc || done != n)
        return fail(why, len, "rc %lld, done %u of %u", (long long)rc, done, n);
    if ((int64_t)calls[0].result != version || calls[1].result || (int64_t)calls[2].result != version)
        return fail(why, len, "results %#llx %lld %#llx", (unsigned long long)calls[0].result,
                    (long long)calls[1].result, (unsigned long long)calls[2].result);
    const char *res = check_batch(n, why, len);
    return res ? res : phase_verdict(p, "multicall", why, len);
}

/*
 * The timed phases (batch, pin, multicall) come first, while the ticker still
 * runs; once the ticker is told we are done, the checks that need no peer.
 */
DEFINE_TESTS({ "peer_connects", test_peer_connects }, { "huge_batch_completes", test_batch },
             { "huge_pin_completes", test_pin }, { "huge_batch_in_multicall", test_batch_in_multicall },
             { "peer_told_done", test_peer_told_done },
             { "huge_pin_tables_as_written", test_pin_tables_as_written },
             { "pin_refuses_bad_last_entry", test_pin_refuses_bad_last_entry })
