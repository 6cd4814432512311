/*
 * Page-table churn for several vCPUs of one guest at once: each worker makes
 * seeded random mmu_updates, update_va_mappings, pins and unpins over one
 * shared L1 table and a small pool of frames (plus, if asked, event sends and
 * yields), and keeps a ledger of what the hypervisor accepted. Once every
 * worker has stopped, churn_check() compares the tables and the pins with the
 * ledgers: a slot a worker owns holds exactly what that worker last wrote, a
 * slot all of them write holds one worker's last write, every pin accepted and
 * not undone is still there, and no frame is pinned while mapped writable.
 *
 * Slots: worker k owns slots k*CHURN_OWN .. k*CHURN_OWN+CHURN_OWN-1 and maps
 * pool frames read-only there (writable in the first two only); slots from CHURN_SHARED_FIRST are
 * written by everyone, read-only only. The pool's frames are pinned as L1
 * tables and unpinned at random, so writable mappings and pins refuse each
 * other: the refusals are counted, and a refusal with another error fails.
 */
#ifndef GUEST_CHURN_H
#define GUEST_CHURN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "smp.h"

enum churn_op {
    CHURN_MAP_RW,       /* mmu_update: own slot -> pool frame, writable */
    CHURN_MAP_RO,       /* mmu_update: own slot -> pool frame read-only, or empty */
    CHURN_SHARED,       /* mmu_update: shared slot -> pool frame read-only, or empty */
    CHURN_UVA,          /* update_va_mapping on an own slot, with random flush flags */
    CHURN_PIN,          /* MMUEXT_PIN_L1_TABLE of a pool frame */
    CHURN_UNPIN,        /* MMUEXT_UNPIN_TABLE of a pool frame */
    CHURN_SEND,         /* EVTCHNOP_send to the next worker's IPI port */
    CHURN_YIELD,        /* SCHEDOP_yield */
    CHURN_NR_OPS
};
#define CHURN_MM_OPS  ((1u << CHURN_MAP_RW) | (1u << CHURN_MAP_RO) | (1u << CHURN_SHARED) | (1u << CHURN_UVA) | \
                       (1u << CHURN_PIN) | (1u << CHURN_UNPIN))
#define CHURN_ALL_OPS ((1u << CHURN_NR_OPS) - 1)

extern const char *const churn_op_names[CHURN_NR_OPS];

struct churn_stats {
    uint32_t done[CHURN_NR_OPS];
    uint32_t refused[CHURN_NR_OPS];
    int64_t bad_rc;                 /* first result no rule allows, with its op */
    int bad_op;                     /* -1: none */
};

/* Builds the L1 at va (2 MiB aligned) and the pool; binds an IPI port per worker
 * when ops include CHURN_SEND. Call on vCPU 0 before any worker starts. */
int64_t churn_setup(uint64_t va, unsigned int workers, unsigned int ops);
/* Worker `worker` (its vCPU id) makes nops operations from ops, seeded with seed. */
void churn_run(unsigned int worker, uint64_t seed, unsigned long nops);
const struct churn_stats *churn_stats(unsigned int worker);
/* smp_join for a worker on its own vCPU, waiting longer while it still makes
 * progress: a long run is not cut short by the bound on one wait. */
bool churn_join(unsigned int worker);
/* After churn_join(worker) failed: why, with what the hypervisor says the
 * worker's vCPU was doing (its runstate), so a stall tells starved from stuck. */
const char *churn_join_failed(unsigned int worker, unsigned long nops, char *why, size_t len);
/* After every worker stopped: NULL when the tables and pins match the ledgers
 * (and leaves the pool unpinned), else why not. */
const char *churn_check(char *why, size_t len);
/* Prints each worker's counts as KTAP comments. */
void churn_report(void);

#endif
