/*
 * The hostile-guest fuzzer's shared state: its PRNG, what it knows about its
 * own memory (which frames it may trash, which keep it alive), and the call
 * it is about to make. fuzz.c runs campaigns; args.c picks boundary values;
 * calls.c builds each hypercall's arguments.
 */
#ifndef GUEST_FUZZ_H
#define GUEST_FUZZ_H

#include <stdbool.h>
#include <stdint.h>
#include "rand.h"

/* ---- PRNG (splitmix64) ---- */
extern uint64_t fuzz_state;
static inline uint64_t rnd64(void) { return splitmix64(&fuzz_state); }
static inline uint64_t rnd(uint64_t n) { return n ? rnd64() % n : 0; }
static inline bool chance(unsigned int one_in) { return rnd(one_in) == 0; }

/* ---- the fuzzer's own memory ---- */
/*
 * L4 slot 1 is the sacrificial tree: tables and mappings the fuzzer may
 * rewrite at random. Slot 2 holds the scratch arena the argument buffers live
 * in, followed by unmapped guard pages; its tables are never a target. Slot
 * 0 stays empty so that NULL and small pointers never reach memory. Pointers
 * handed to the hypervisor point only into scratch or at memory the guest
 * cannot write (so a mapping the fuzzer made can never alias its own code
 * under a pointer the hypervisor writes through).
 */
#define SAC_VA          (1ull << 39)
#define SAC_L1S         4                       /* 4 x 2 MiB mapped through sacrificial L1s */
#define SAC_BYTES       (SAC_L1S * 0x200000ull)
#define SCR_VA          (2ull << 39)
#define SCR_PAGES       32
#define SCR_SINK        SCR_VA                  /* first page: for areas the hypervisor keeps writing */
#define SCR_ARENA_VA    (SCR_VA + 4096)         /* then the arena, */
#define SCR_ARENA       ((SCR_PAGES - 1) * 4096ull)
#define SCR_END         (SCR_VA + SCR_PAGES * 4096ull)  /* then the unmapped guard */
#define POOL_MAX        1024

struct fuzz_mem {
    uint64_t l4_mfn;                /* our live L4 */
    uint64_t sac_table[2 + SAC_L1S];/* sacrificial L3, L2, L1s */
    uint64_t scratch_mfn[SCR_PAGES];
    uint64_t pool[POOL_MAX];        /* spare frames of ours, mapped nowhere at the start */
    unsigned int nr_pool;
    uint64_t max_mfn;               /* XENMEM_maximum_ram_page */
    uint64_t first_free_pfn;        /* pfns below are the live kernel (code, data, stack, tables) */
    bool privileged;
};
extern struct fuzz_mem fm;

/* Classes of frames to aim at (bit masks). */
enum {
    MF_POOL = 1 << 0,       /* ours, spare: may be trashed */
    MF_SAC = 1 << 1,        /* our sacrificial page tables */
    MF_SCRATCH = 1 << 2,    /* our scratch frames */
    MF_OWN_PT = 1 << 3,     /* our live page tables (must be refused for writes) */
    MF_OWN = 1 << 4,        /* our live kernel frames: code, data, stack (read-only uses) */
    MF_NEAR = 1 << 5,       /* neighbours of our frames */
    MF_SPECIAL = 1 << 6,    /* 0, max, max+1, huge, MMIO, VGA */
    MF_ANY = 1 << 7,        /* anything below the top of RAM: free, foreign, the hypervisor's */
    MF_SHINFO = 1 << 8,     /* our shared_info: writable, but pvclock lives there (never a write target) */
};
#define MF_TRASH   (MF_POOL | MF_SAC | MF_SCRATCH)
#define MF_BAD     (MF_NEAR | MF_SPECIAL | MF_ANY)
#define MF_ALL     (MF_TRASH | MF_OWN_PT | MF_OWN | MF_BAD | MF_SHINFO)

/* Classes the command line's avoid= took out (for known bugs being fixed elsewhere). */
enum { AVOID_TIMER = 1 << 0, AVOID_DECREASE = 1 << 1, AVOID_PTE = 1 << 2 };
extern unsigned int fuzz_avoid;

/* Records which of our frames keep us alive (all but pool, sacrificial and scratch); is_own() asks. */
void own_frames_note(void);
bool is_own(uint64_t mfn);
uint64_t rand_mfn(unsigned int classes);
/*
 * A frame of `classes` that is never one of ours that keeps us alive unless
 * its class is in `trusted` (classes the call must refuse, or the caller
 * checked). For calls that write into the frame or run on it when accepted:
 * clear, copy, descriptors (trusting our live page tables, which must be
 * refused) and new base pointers.
 */
uint64_t rand_safe_mfn(unsigned int classes, unsigned int trusted);
/* A PTE for a table of `level` (1-4) pointing at a frame of `classes`, random flags. */
uint64_t rand_pte(unsigned int level, unsigned int classes);
/*
 * Machine address of an entry the fuzzer may rewrite (sacrificial tables,
 * free L4 slots, pool frames), or a bad one; *level is 1 when it is surely
 * an L1 entry, else 0.
 */
uint64_t rand_pte_ptr(unsigned int *level);
/* A virtual address to (re)map or flush: sacrificial, free L4 slots, or one the hypervisor must refuse. */
uint64_t rand_va(void);
/*
 * A guest pointer the hypervisor must fail to write through (unmapped,
 * read-only, its own, non-canonical). Some of these can be read: our page
 * tables and the M2P, read as a structure, make valid-looking requests
 * (an mmu_update made of our own PTEs edits our live tables), so only
 * output buffers get them.
 */
uint64_t bad_ptr(void);
/* One nothing can be read from either. */
uint64_t unmapped_ptr(void);
/* Usually p; sometimes an unmapped pointer instead. */
uint64_t maybe_bad(void *p);
uint64_t rand_domid(void);
uint64_t rand_port(void);
uint64_t rand_vcpu(void);
uint64_t rand_count(void);      /* element counts: 0, 1, small, boundaries, huge */
uint64_t rand_deadline(void);   /* absolute ns: past, now, soon, far, >= 2^63 (unless avoid=timer) */
uint64_t rand_word(void);       /* any register value */

/*
 * Scratch arena: reset before each top-level call; zeroed after use. Buffers
 * never overlap (a later buffer must not rewrite a checked one, such as a
 * callback address): one call's generator takes at most ARENA_PER_CALL.
 */
#define ARENA_PER_CALL 8192
void *arena_alloc(uint64_t bytes);
uint64_t arena_room(void);
/*
 * A copy of p's bytes that ends where the guard begins: for a count larger
 * than the array (the hypervisor reads past our elements into the guard, not
 * into our other buffers). NULL when the arena has no room for it.
 */
void *arena_tail(const void *p, uint64_t bytes);
void arena_reset(void);

/* ---- one call ---- */
/* What must happen around the call so the fuzzer keeps control. */
enum {
    PRE_WAKE = 1 << 0,          /* an event is pending before block/poll */
    POST_TRAPS = 1 << 1,        /* re-install our trap table */
    POST_CALLBACKS = 1 << 2,    /* re-register our callbacks, drop an NMI callback */
    POST_WATCHDOG = 1 << 3,     /* destroy any watchdog the call created */
    POST_SCHED = 1 << 4,        /* give ourselves the default weight, no cap */
    CALL_IRET = 1 << 5,         /* the controlled iret (not a plain hypercall) */
};

struct fuzz_call {
    uint64_t nr;
    uint64_t a[5];
    uint64_t d[2];              /* the first batch element, for the ring buffer */
    unsigned int flags;
};

/* A port number the call reads: fuzz.c writes its pending wake port there before the call. */
void fuzz_wake_slot(uint32_t *slot);

/* Fills c with a random call; depth > 0 inside a multicall (no control-flow calls there). */
void gen_call(struct fuzz_call *c, unsigned int depth);
const char *hypercall_name(uint64_t nr);

/* Oracles the fuzzer checks itself: a message when the result is wrong. */
const char *check_result(const struct fuzz_call *c, int64_t res);

/* The failsafe callback (fuzz/entry.S): resumes the interrupted code. */
extern char fuzz_failsafe[];
extern volatile uint64_t fuzz_failsafe_count;

#endif
