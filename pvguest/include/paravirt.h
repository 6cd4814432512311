/*
 * The paravirtual interface: everything the arch-neutral kernel asks of the
 * machine, in one ops table with two implementations chosen at link time:
 *   native  (arch/x86_64/native)  privileged instructions, the local APIC, COM1;
 *   xen-pv  (arch/x86_64/xen)     hypercalls (batched), the upcall mask, event channels.
 * The core calls only the pv_*() wrappers below, never a backend directly.
 * Per-CPU state (interrupt flag, one-shot timer, bound IPIs and VIRQs) is the
 * calling CPU's: a caller keeps interrupts or preemption off around it.
 */
#ifndef PVGUEST_PARAVIRT_H
#define PVGUEST_PARAVIRT_H

#include <kernel.h>

typedef uint64_t pte_t;                 /* a page-table entry as the MMU reads it */
typedef void (*irq_handler_t)(void *arg);

/* What a mapping allows, for make_pte(). */
#define PROT_READ   0x0u                /* kernel read-only data */
#define PROT_WRITE  0x1u                /* kernel read-write data */
#define PROT_TABLE  0x2u                /* an entry that points to a lower page table */
#define PROT_IO     0x4u                /* uncached device memory (with PROT_WRITE) */

/* Virtual IRQ sources that bind_virq() knows. */
#define PV_VIRQ_TIMER   0               /* the one-shot timer of pv_time_ops */
#define PV_VIRQ_CONSOLE 1               /* console input arrived (native COM1; PV dom0 only) */

/* Reasons for shutdown(). */
#define PV_SHUTDOWN_POWEROFF 0
#define PV_SHUTDOWN_CRASH    1          /* a panic: end now */
#define PV_SHUTDOWN_TESTFAIL 2          /* a self-test failed: end as after the tests, but as a failure */

struct pv_cpu_ops {
    /* Virtual interrupt flag: native IF, PV the vcpu_info upcall mask (never cli). */
    unsigned long (*irq_save)(void);                /* disable; returns the old state */
    void (*irq_restore)(unsigned long flags);       /* an enable delivers what is pending */
    void (*irq_disable)(void);
    void (*irq_enable)(void);
    bool (*irqs_enabled)(void);
    /* Enables interrupts and waits for one, atomically; returns with them enabled. */
    void (*safe_halt)(void);
    /*
     * Installs handlers for the n exception vectors listed (the backend has an
     * entry stub for each); every exception reaches trap_exception() with
     * interrupts off.
     */
    void (*set_trap_table)(const uint8_t *vectors, unsigned int n);
    /* The stack the CPU switches to when entering the kernel from user mode. */
    void (*load_kernel_stack)(uintptr_t top);
    void (*set_fs_base)(uint64_t base);
    void (*set_gs_base)(uint64_t base);
    uint64_t (*fault_address)(void);                /* CR2 of the last #PF */
};

struct pv_mmu_ops {
    /* Entries hold machine frames on PV: these translate through the P2M and M2P. */
    pte_t (*make_pte)(uint64_t pfn, unsigned int prot);
    uint64_t (*pte_pfn)(pte_t pte);
    /*
     * ptep is the direct-map address of an entry in a page table of ours (any
     * level). In lazy mode updates and flushes may be queued; they reach the
     * MMU in order when the mode ends, the queue fills, or before_read() is
     * called for entries with queued writes.
     */
    void (*set_pte)(pte_t *ptep, pte_t val);
    void (*set_ptes)(pte_t *ptep, const pte_t *vals, unsigned int n);   /* n entries of one table */
    void (*switch_root)(uint64_t root_pfn);        /* load an address space (root pinned) */
    void (*flush_page)(uintptr_t va);
    void (*flush_all)(void);
    /* Page-table pages: alloc makes a zeroed page usable as a table at level
     * (PV: read-only everywhere), release makes it ordinary memory again; a
     * table is pinned while in use and unpinned before release. */
    void (*alloc_pt)(unsigned int level, uint64_t pfn);
    void (*release_pt)(unsigned int level, uint64_t pfn);
    void (*pin_pt)(unsigned int level, uint64_t pfn);
    void (*unpin_pt)(uint64_t pfn);
    /* Called before the kernel reads n entries from ptep: applies queued writes to them. */
    void (*before_read)(const pte_t *ptep, unsigned int n);
    void (*lazy_enter)(void);
    void (*lazy_leave)(void);                       /* flushes the queue */
    void (*lazy_flush)(void);                       /* flushes, stays lazy */
};

struct pv_time_ops {
    void (*init)(void);
    uint64_t (*clock_ns)(void);                     /* monotonic ns since boot */
    /* Raises PV_VIRQ_TIMER at (or after) deadline; 0 cancels. */
    void (*set_oneshot)(uint64_t deadline_ns);
    /* On each secondary CPU, before its first set_oneshot (init ran once, on the boot CPU). */
    void (*init_cpu)(void);
};

struct pv_console_ops {
    void (*write)(const char *s, size_t n);
    /* Input that has arrived, without waiting: bytes stored (0 if none). */
    size_t (*read)(char *buf, size_t n);
};

struct pv_irq_ops {
    void (*init)(void);
    /*
     * Each returns a channel number (>= 0) or a negative error. Handlers run
     * with interrupts off, on the CPU the source is bound to: bind_virq
     * binds a per-CPU source (the timer) for the calling CPU, so each CPU
     * binds its own; bind_ipi binds a channel on every CPU online then.
     */
    int (*bind_virq)(unsigned int virq, irq_handler_t fn, void *arg);
    /*
     * A device interrupt line by its GSI (a PCI function's interrupt line
     * register): native, an 8259 input (ISA IRQs below 16); PV, the GSI
     * mapped to a pirq and bound, with PHYSDEVOP_eoi after fn. fn must
     * quieten the device (a level line fires again until it does).
     */
    int (*bind_irq)(unsigned int irq, irq_handler_t fn, void *arg);
    int (*bind_ipi)(irq_handler_t fn, void *arg);                     /* a channel to every CPU */
    void (*notify)(int channel);                                      /* raise a bound IPI channel here */
    void (*notify_cpu)(int channel, unsigned int cpu);                /* ... on CPU cpu */
};

/* Secondary CPUs (kernel/smp.c brings them up). */
struct pv_smp_ops {
    /* CPUs the machine gives us, at least 1: native, enabled local APICs in the
     * MADT; PV, the vCPUs the domain has (VCPUOP_is_up does not say -ENOENT). */
    unsigned int (*nr_possible)(void);
    /*
     * Starts CPU cpu (1 .. nr_possible - 1) running entry() with interrupts
     * off on the stack that ends at stack_top; entry never returns. 0, or a
     * negative error (reported by the backend) and the CPU stays down.
     */
    int (*start_cpu)(unsigned int cpu, uintptr_t stack_top, void (*entry)(void));
    /* One step of a spin-wait: pause, and serve what other CPUs wait for from this one. */
    void (*relax)(void);
};

struct pv_machine_ops {
    const char *name;                               /* "native" or "xen-pv" */
    /* Finishes the kernel address space: direct map of all memory, fixmaps. */
    void (*mm_init)(void);
    /* Name of hypervisor entry (or privileged MMU operation) number nr, for the counters. */
    const char *(*entry_name)(unsigned int nr);
    __noreturn void (*shutdown)(int reason);
    /* Starts the split drivers once threads, timers and every CPU run (PV only; NULL natively). */
    void (*start_drivers)(void);
    /* The paravirtual network device (netfront), once connected, or NULL (PV only; NULL natively). */
    struct netif *(*net_device)(void);
    /* The toolstack asked this domain to power off (control/shutdown; PV only; NULL natively). */
    bool (*shutdown_requested)(void);
};

struct paravirt_ops {
    const struct pv_cpu_ops *cpu;
    const struct pv_mmu_ops *mmu;
    const struct pv_time_ops *time;
    const struct pv_console_ops *console;
    const struct pv_irq_ops *irq;
    const struct pv_machine_ops *machine;
    const struct pv_smp_ops *smp;
};

/* Defined by the backend linked into this image. */
extern const struct paravirt_ops pv_ops;

static inline unsigned long irq_save(void) { return pv_ops.cpu->irq_save(); }
static inline void irq_restore(unsigned long f) { pv_ops.cpu->irq_restore(f); }
static inline void irq_disable(void) { pv_ops.cpu->irq_disable(); }
static inline void irq_enable(void) { pv_ops.cpu->irq_enable(); }
static inline bool irqs_enabled(void) { return pv_ops.cpu->irqs_enabled(); }

static inline pte_t pv_make_pte(uint64_t pfn, unsigned int prot) { return pv_ops.mmu->make_pte(pfn, prot); }
static inline uint64_t pv_pte_pfn(pte_t pte) { return pv_ops.mmu->pte_pfn(pte); }
static inline void pv_set_pte(pte_t *p, pte_t v) { pv_ops.mmu->set_pte(p, v); }
static inline void pv_set_ptes(pte_t *p, const pte_t *v, unsigned int n) { pv_ops.mmu->set_ptes(p, v, n); }
static inline void pv_flush_page(uintptr_t va) { pv_ops.mmu->flush_page(va); }
static inline void pv_flush_all(void) { pv_ops.mmu->flush_all(); }
static inline void pv_before_read(const pte_t *p, unsigned int n) { pv_ops.mmu->before_read(p, n); }

static inline uint64_t clock_ns(void) { return pv_ops.time->clock_ns(); }
static inline void cpu_relax(void) { pv_ops.smp->relax(); }

/*
 * The MMU lock (kernel/mm/lazy_mmu.c): recursive on one CPU, preemption off
 * while held. Every change to page tables and every pv_ops.mmu call but
 * switch_root holds it; switch_root queues only when the caller holds it in
 * lazy mode.
 */
void mmu_lock(void);
void mmu_unlock(void);
bool mmu_lock_mine(void);

/*
 * Lazy-MMU mode (kernel/mm/lazy_mmu.c): between enter and leave, page-table
 * updates and flushes may be queued and sent as batches. Nests; holds the
 * MMU lock (so preemption is off, and one CPU at a time is lazy); the code
 * inside must not block. With the boot option mmu_batch=0 it is a no-op (every update goes
 * out alone), which the batching self-tests use for comparison.
 */
void lazy_mmu_enter(void);
void lazy_mmu_leave(void);
void lazy_mmu_flush(void);
bool lazy_mmu_active(void);
/* Turns batching off (false) or on; returns the previous setting. Only outside lazy mode. */
bool lazy_mmu_set_batching(bool on);
bool lazy_mmu_batching(void);
/*
 * Boot option pt_write=direct: outside lazy mode, entries of the kernel's
 * own L1 tables are written by plain stores, which a PV hypervisor traps and
 * emulates (writable page tables), instead of by hypercall; lazy mode still
 * batches. pt_write=hypercall (the default) keeps every change a hypercall.
 * Natively every write is a store anyway.
 */
extern bool pt_write_direct;
/* Queue capacity the backend uses (boot option mmu_batch=N, 1..MMU_BATCH_MAX). */
extern unsigned int mmu_batch_size;
#define MMU_BATCH_MAX     1024u
#define MMU_BATCH_DEFAULT 256u

#endif /* PVGUEST_PARAVIRT_H */
