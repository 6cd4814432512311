/* Page-table churn by several vCPUs at once, with a ledger per worker and a final check. */
#include "churn.h"
#include <public/errno.h>
#include "events.h"
#include "guest.h"
#include "hypercall.h"
#include "mm.h"
#include "rand.h"

#define CHURN_POOL          16
#define CHURN_OWN           32
/* Writable mappings go only to a worker's first own slots, so that most pool
 * frames are free of them at any time and pins succeed often enough to race. */
#define CHURN_RW_SLOTS      2
#define CHURN_SHARED_FIRST  (SMP_MAX_VCPUS * CHURN_OWN)
#define CHURN_SHARED        16
#define PTE_RO              (PTE_P | PTE_U | PTE_A)

const char *const churn_op_names[CHURN_NR_OPS] = {
    "map_rw", "map_ro", "shared", "uva", "pin", "unpin", "send", "yield",
};

/* What each refusal may be (Xen 4.17): a writable mapping of a frame typed as a
 * page table is -EBUSY (mmu_update and update_va_mapping alike); a pin of a
 * frame that is mapped writable or already pinned, and an unpin of one that is
 * not pinned, are -EINVAL. Every other operation must succeed. */
static const int64_t refusal[CHURN_NR_OPS] = {
    [CHURN_MAP_RW] = -XEN_EBUSY, [CHURN_UVA] = -XEN_EBUSY,
    [CHURN_PIN] = -XEN_EINVAL, [CHURN_UNPIN] = -XEN_EINVAL,
};

struct ledger {
    uint64_t own[CHURN_OWN];            /* what each own slot must hold */
    uint64_t shared_last[CHURN_SHARED]; /* this worker's last write to each shared slot */
    bool shared_wrote[CHURN_SHARED];
    int32_t pins[CHURN_POOL];           /* accepted pins minus accepted unpins */
    uint64_t rng;
    struct churn_stats st;
    volatile uint32_t progress;         /* operations made so far */
} __attribute__((aligned(64)));

static struct {
    uint64_t va, table;                 /* slot 0's VA, and the L1's machine address */
    uint64_t pool[CHURN_POOL];
    unsigned int workers, ops, nr_ops;
    uint8_t op_list[CHURN_NR_OPS];
    unsigned int ipi_port[SMP_MAX_VCPUS];
    struct ledger ledger[SMP_MAX_VCPUS];
} churn;

int64_t churn_setup(uint64_t va, unsigned int workers, unsigned int ops)
{
    if (!workers || workers > SMP_MAX_VCPUS)
        return -XEN_EINVAL;
    int64_t rc = ensure_l1(va);
    if (rc)
        return rc;
    churn.va = va;
    churn.table = pte_maddr(va, 1);
    churn.workers = workers;
    churn.ops = ops;
    churn.nr_ops = 0;
    for (unsigned int op = 0; op < CHURN_NR_OPS; op++)
        if (ops & (1u << op))
            churn.op_list[churn.nr_ops++] = (uint8_t)op;
    for (unsigned int j = 0; j < CHURN_POOL; j++)
        if (!(churn.pool[j] = spare_mfn()))
            return -XEN_ENOMEM;
    memset(churn.ledger, 0, sizeof(churn.ledger));
    for (unsigned int k = 0; k < workers; k++) {
        churn.ledger[k].st.bad_op = -1;
        if (ops & (1u << CHURN_SEND)) {
            struct evtchn_bind_ipi b = { .vcpu = k };
            if ((rc = evtchn_op(EVTCHNOP_bind_ipi, &b)))
                return rc;
            churn.ipi_port[k] = b.port;
        }
    }
    return 0;
}

static uint64_t slot_ptr(unsigned int slot) { return churn.table + slot * 8ull; }
static uint64_t slot_va(unsigned int slot) { return churn.va + slot * PAGE_SIZE; }

/* A pool frame mapped with flags, or (one time in four) an empty entry. */
static uint64_t pick_pte(struct ledger *l, uint64_t flags)
{
    uint64_t r = splitmix64(&l->rng);
    if (r % 4 == 0)
        return 0;
    return churn.pool[(r >> 8) % CHURN_POOL] * PAGE_SIZE | flags;
}

static const unsigned int uva_flags[] = {
    UVMF_NONE, UVMF_INVLPG | UVMF_LOCAL, UVMF_TLB_FLUSH | UVMF_LOCAL, UVMF_INVLPG | UVMF_ALL, UVMF_TLB_FLUSH | UVMF_ALL,
};

static int64_t one_op(unsigned int worker, struct ledger *l, unsigned int op)
{
    uint64_t r = splitmix64(&l->rng);
    bool writable = op == CHURN_MAP_RW || (op == CHURN_UVA && (r >> 32) & 1);
    unsigned int own = (unsigned int)(r % (writable ? CHURN_RW_SLOTS : CHURN_OWN)), slot = worker * CHURN_OWN + own;
    uint64_t frame = churn.pool[(r >> 16) % CHURN_POOL];
    int64_t rc;

    switch (op) {
    case CHURN_MAP_RW:
    case CHURN_MAP_RO: {
        uint64_t val = op == CHURN_MAP_RW ? frame * PAGE_SIZE | PTE_DATA : pick_pte(l, PTE_RO);
        if (!(rc = mmu_update_one(slot_ptr(slot) | MMU_NORMAL_PT_UPDATE, val)))
            l->own[own] = val;
        return rc;
    }
    case CHURN_UVA: {
        uint64_t val = pick_pte(l, writable ? PTE_DATA : PTE_RO);
        unsigned int flags = uva_flags[(r >> 40) % ARRAY_SIZE(uva_flags)];
        if (!(rc = hypercall3(__HYPERVISOR_update_va_mapping, slot_va(slot), val, flags)))
            l->own[own] = val;
        return rc;
    }
    case CHURN_SHARED: {
        unsigned int s = (unsigned int)((r >> 24) % CHURN_SHARED);
        uint64_t val = pick_pte(l, PTE_RO);
        if (!(rc = mmu_update_one(slot_ptr(CHURN_SHARED_FIRST + s) | MMU_NORMAL_PT_UPDATE, val))) {
            l->shared_last[s] = val;
            l->shared_wrote[s] = true;
        }
        return rc;
    }
    case CHURN_PIN:
    case CHURN_UNPIN: {
        unsigned int j = (unsigned int)((r >> 16) % CHURN_POOL);
        if (!(rc = mmuext(op == CHURN_PIN ? MMUEXT_PIN_L1_TABLE : MMUEXT_UNPIN_TABLE, churn.pool[j], 0)))
            l->pins[j] += op == CHURN_PIN ? 1 : -1;
        return rc;
    }
    case CHURN_SEND:
        return evtchn_send(churn.ipi_port[(worker + 1) % churn.workers]);
    default:
        return hyp_sched_op(SCHEDOP_yield, NULL);
    }
}

void churn_run(unsigned int worker, uint64_t seed, unsigned long nops)
{
    struct ledger *l = &churn.ledger[worker];
    l->rng = seed;
    for (unsigned long i = 0; i < nops; i++) {
        unsigned int op = churn.op_list[splitmix64(&l->rng) % churn.nr_ops];
        int64_t rc = one_op(worker, l, op);
        if (!rc)
            l->st.done[op]++;
        else if (refusal[op] && rc == refusal[op])
            l->st.refused[op]++;
        else if (l->st.bad_op < 0) {
            l->st.bad_op = (int)op;
            l->st.bad_rc = rc;
        }
        atomic_set(&l->progress, (uint32_t)i + 1);
    }
}

bool churn_join(unsigned int worker)
{
    for (uint32_t seen = ~0u; !smp_join(worker);) {
        uint32_t now = atomic_read(&churn.ledger[worker].progress);
        if (now == seen)
            return false;
        seen = now;
    }
    return true;
}

const char *churn_join_failed(unsigned int worker, unsigned long nops, char *why, size_t len)
{
    static const char *const names[] = { "running", "runnable", "blocked", "offline" };
    struct vcpu_runstate_info r = { .state = -1 };
    int64_t rc = vcpu_op(VCPUOP_get_runstate_info, worker, &r);
    uint64_t now = pvclock_now(), ms = 1000000;
    if (rc || r.state < 0 || r.state > RUNSTATE_offline)
        return fail(why, len, "vCPU %u did not finish its %lu operations (%u made; its runstate: %lld)", worker, nops,
                    atomic_read(&churn.ledger[worker].progress), (long long)rc);
    return fail(why, len, "vCPU %u did not finish its %lu operations: %u made, then none; it has been %s for %llu ms "
                "(in all: running %llu ms, runnable %llu, blocked %llu, offline %llu)", worker, nops,
                atomic_read(&churn.ledger[worker].progress), names[r.state],
                (unsigned long long)((now - r.state_entry_time) / ms), (unsigned long long)(r.time[0] / ms),
                (unsigned long long)(r.time[1] / ms), (unsigned long long)(r.time[2] / ms),
                (unsigned long long)(r.time[3] / ms));
}

const struct churn_stats *churn_stats(unsigned int worker) { return &churn.ledger[worker].st; }

/* An entry as read back: the hypervisor may add the global bit to what was written. */
static uint64_t entry_at(unsigned int slot) { return read_pte(slot_va(slot), 1) & ~PTE_G; }

static bool frame_is(uint64_t pte, uint64_t mfn) { return (pte & PTE_P) && (pte & PTE_ADDR) >> 12 == mfn; }

const char *churn_check(char *why, size_t len)
{
    for (unsigned int k = 0; k < churn.workers; k++) {
        const struct ledger *l = &churn.ledger[k];
        if (l->st.bad_op >= 0)
            return fail(why, len, "worker %u: %s returned %lld", k, churn_op_names[l->st.bad_op],
                        (long long)l->st.bad_rc);
        for (unsigned int i = 0; i < CHURN_OWN; i++) {
            uint64_t got = entry_at(k * CHURN_OWN + i);
            if (got != l->own[i])
                return fail(why, len, "worker %u slot %u holds %#llx, its last accepted write was %#llx", k, i,
                            (unsigned long long)got, (unsigned long long)l->own[i]);
        }
    }
    for (unsigned int s = 0; s < CHURN_SHARED; s++) {
        uint64_t got = entry_at(CHURN_SHARED_FIRST + s);
        bool anyone = false, match = false;
        for (unsigned int k = 0; k < churn.workers; k++)
            if (churn.ledger[k].shared_wrote[s]) {
                anyone = true;
                match |= churn.ledger[k].shared_last[s] == got;
            }
        if (anyone ? !match : got != 0)
            return fail(why, len, "shared slot %u holds %#llx, no worker's last write", s, (unsigned long long)got);
    }
    for (unsigned int j = 0; j < CHURN_POOL; j++) {
        int32_t net = 0;
        for (unsigned int k = 0; k < churn.workers; k++)
            net += churn.ledger[k].pins[j];
        if (net != 0 && net != 1)
            return fail(why, len, "pool frame %u: %d more pins than unpins accepted", j, net);
        for (unsigned int k = 0; k < churn.workers && net; k++)
            for (unsigned int i = 0; i < CHURN_OWN; i++)
                if (frame_is(churn.ledger[k].own[i], churn.pool[j]) && (churn.ledger[k].own[i] & PTE_RW))
                    return fail(why, len, "pool frame %u is pinned and mapped writable by worker %u", j, k);
        int64_t rc = mmuext(MMUEXT_UNPIN_TABLE, churn.pool[j], 0);
        if (rc != (net ? 0 : -XEN_EINVAL))
            return fail(why, len, "pool frame %u: the ledger says %spinned, unpin gave %lld", j, net ? "" : "not ",
                        (long long)rc);
    }
    return NULL;
}

void churn_report(void)
{
    for (unsigned int k = 0; k < churn.workers; k++) {
        const struct churn_stats *st = &churn.ledger[k].st;
        char line[200];
        size_t n = (size_t)snprintf(line, sizeof(line), "# worker %u:", k);
        for (unsigned int op = 0; op < CHURN_NR_OPS && n < sizeof(line); op++)
            if (churn.ops & (1u << op))
                n += (size_t)snprintf(line + n, sizeof(line) - n, " %s %u/%u", churn_op_names[op], st->done[op],
                                      st->refused[op]);
        printk("%s (done/refused)\n", line);
    }
}
