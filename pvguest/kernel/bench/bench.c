/*
 * Kernel-level benchmarks, the same source natively and PV (bench/README.md):
 * mapping and unmapping 1024 pages batched (lazy-MMU mode) and unbatched,
 * building, switching to and tearing down an address space, a thread switch
 * (yield, and a semaphore ping-pong), a one-shot timer from arming to its
 * handler, a demand-zero page fault. Each is timed with rdtsc around one
 * operation (one sample), after untimed warm-up ones, and printed as
 *
 *   BENCH op=kernel_<name> batch=<n> unit=cycles reps=<r> min=.. median=.. p99=.. per=op|entry env=native|pv max=..
 *
 * The hypervisor entries (the kernel's counters) of each 1024-page map and
 * unmap are printed the same way with unit=entries (op=kernel_entries_<name>).
 *
 * Boot option: bench (1000 repetitions), bench=<reps> (1..4096), bench=small (20).
 * The 1024-page and address-space figures take a tenth of that (at least 3).
 */
#include <cmdline.h>
#include <counters.h>
#include <mm.h>
#include <pagetable.h>
#include <sched.h>
#include "bench.h"
#include <lib/bench_stats.h>
#include <lib/x86.h>     /* rdtsc_ordered: cycles, natively and as a PV guest */

#define MAX_REPS    4096u
#define NPAGES      1024u
#define AS_PAGES    64u
#define AS_BASE     0x40000000ull

static unsigned int bench_reps;         /* 0: not asked for */

static bool set_bench(const char *v)
{
    uint64_t n;
    if (!v)
        bench_reps = 1000;
    else if (!strcmp(v, "small"))
        bench_reps = 20;
    else if (cmdline_number(v, &n) && n >= 1 && n <= MAX_REPS)
        bench_reps = (unsigned int)n;
    else
        return false;
    return true;
}
KERNEL_OPTION("bench", set_bench);

static const char *env;
static uint64_t samples[MAX_REPS + MAX_REPS / 10 + 8], entries_a[MAX_REPS], entries_b[MAX_REPS];

/* Sorts v[0..n) and prints its BENCH line; per = n of the operation's batch (1: per=op). */
static void report(const char *op, unsigned int batch, const char *unit, uint64_t *v, unsigned int n,
                   unsigned int per)
{
    char a[32], b[32], c[32], d[32];
    if (!n) {
        printk("# bench: %s: no samples\n", op);
        return;
    }
    struct bench_stats st = bench_summarize(v, n);
    printk("BENCH op=%s batch=%u unit=%s reps=%u min=%s median=%s p99=%s per=%s env=%s max=%s\n", op, batch, unit,
           n, bench_fmt_per(a, sizeof(a), st.min, per), bench_fmt_per(b, sizeof(b), st.median, per),
           bench_fmt_per(c, sizeof(c), st.p99, per), per > 1 ? "entry" : "op", env,
           bench_fmt_per(d, sizeof(d), st.max, per));
}

static unsigned int warmup_of(unsigned int reps) { return MAX(2u, reps / 10); }
static unsigned int heavy_reps(void) { return MAX(3u, bench_reps / 10); }

static void bench_rdtsc(void)
{
    unsigned int reps = bench_reps, warm = warmup_of(reps);
    for (unsigned int i = 0; i < warm + reps; i++) {
        unsigned long f = irq_save();
        uint64_t t0 = rdtsc_ordered();
        uint64_t t1 = rdtsc_ordered();
        irq_restore(f);
        if (i >= warm)
            samples[i - warm] = t1 - t0;
    }
    report("kernel_rdtsc_overhead", 1, "cycles", samples, reps, 1);
}

/* ---- 1024 pages mapped and unmapped, batched and unbatched ---- */

static uint64_t pfns[NPAGES];
static uint64_t unmap_samples[MAX_REPS];

/* How the PTEs are written: lazy-MMU batches, one hypercall each, or (pt_write=direct) a store each. */
enum map_way { MAP_BATCHED, MAP_UNBATCHED, MAP_DIRECT };

static void bench_map(uintptr_t a, enum map_way way)
{
    unsigned int reps = heavy_reps(), warm = 2;
    bool was = lazy_mmu_set_batching(way == MAP_BATCHED), was_direct = pt_write_direct;
    pt_write_direct = way == MAP_DIRECT;
    for (unsigned int i = 0; i < warm + reps; i++) {
        /* Interrupts off: no timer event inside a sample (or its entries counted). */
        unsigned long f = irq_save();
        uint64_t e0 = counter_cpu_entries(), t0 = rdtsc_ordered();
        int rc = vm_map_range(a, pfns, NPAGES, PROT_READ);
        uint64_t t1 = rdtsc_ordered(), e1 = counter_cpu_entries();
        vm_unmap_range(a, NPAGES);
        uint64_t t2 = rdtsc_ordered(), e2 = counter_cpu_entries();
        irq_restore(f);
        if (rc) {
            printk("# bench: vm_map_range failed: %d\n", rc);
            reps = i > warm ? i - warm : 0;
            break;
        }
        if (i >= warm) {
            samples[i - warm] = t1 - t0;
            unmap_samples[i - warm] = t2 - t1;
            entries_a[i - warm] = e1 - e0;
            entries_b[i - warm] = e2 - e1;
        }
    }
    lazy_mmu_set_batching(was);
    pt_write_direct = was_direct;
    static const char *const ways[] = { [MAP_BATCHED] = "batched", [MAP_UNBATCHED] = "unbatched",
                                        [MAP_DIRECT] = "direct" };
    const char *how = ways[way];
    char name[64];
    snprintf(name, sizeof(name), "kernel_map_1024_%s", how);
    report(name, NPAGES, "cycles", samples, reps, NPAGES);
    snprintf(name, sizeof(name), "kernel_unmap_1024_%s", how);
    report(name, NPAGES, "cycles", unmap_samples, reps, NPAGES);
    snprintf(name, sizeof(name), "kernel_entries_map_1024_%s", how);
    report(name, NPAGES, "entries", entries_a, reps, 1);
    snprintf(name, sizeof(name), "kernel_entries_unmap_1024_%s", how);
    report(name, NPAGES, "entries", entries_b, reps, 1);
}

static void bench_pages(void)
{
    unsigned int got = 0;
    for (; got < NPAGES; got++) {
        pfns[got] = alloc_pfn();
        if (pfns[got] == PFN_NONE)
            break;
    }
    void *r = got == NPAGES ? vm_alloc(NPAGES + PT_ENTRIES, VM_RESERVE) : NULL;
    if (r) {
        uintptr_t a = ALIGN_UP((uintptr_t)r, pt_span(2));
        bench_map(a, MAP_UNBATCHED);
        bench_map(a, MAP_BATCHED);
        bench_map(a, MAP_DIRECT);
        for (uintptr_t va = a; va < a + NPAGES * PAGE_SIZE; va += pt_span(2))
            pt_free_l1(kernel_root_pfn, va);
        vm_free(r);
    } else {
        printk("# bench: no memory for the 1024-page benchmarks\n");
    }
    while (got)
        free_pfn(pfns[--got]);
}

/* ---- address spaces: build (create + map 64 pages), switch there and back, tear down ---- */

static uint64_t switch_samples[MAX_REPS];

static void bench_aspace(void)
{
    unsigned int reps = heavy_reps(), warm = 2, got = 0;
    for (; got < AS_PAGES; got++) {
        pfns[got] = alloc_pfn();
        if (pfns[got] == PFN_NONE)
            break;
    }
    for (unsigned int i = 0; got == AS_PAGES && i < warm + reps; i++) {
        unsigned long f = irq_save();
        uint64_t t0 = rdtsc_ordered();
        struct aspace *as = aspace_create();
        int rc = as ? aspace_map_range(as, AS_BASE, pfns, AS_PAGES, PROT_READ) : -ENOMEM;
        uint64_t t1 = rdtsc_ordered();
        if (!rc) {
            aspace_switch(as);
            aspace_switch(NULL);
        }
        uint64_t t2 = rdtsc_ordered();
        if (as)
            aspace_destroy(as);
        uint64_t t3 = rdtsc_ordered();
        irq_restore(f);
        if (rc) {
            printk("# bench: building an address space failed: %d\n", rc);
            reps = i > warm ? i - warm : 0;
            break;
        }
        if (i >= warm) {
            samples[i - warm] = t1 - t0;
            switch_samples[i - warm] = t2 - t1;
            unmap_samples[i - warm] = t3 - t2;
        }
    }
    while (got)
        free_pfn(pfns[--got]);
    report("kernel_aspace_build", 1, "cycles", samples, reps, 1);
    report("kernel_aspace_switch", 1, "cycles", switch_samples, reps, 1);
    report("kernel_aspace_teardown", 1, "cycles", unmap_samples, reps, 1);
}

/* ---- thread switches ---- */

static volatile uint64_t stamp;
static volatile unsigned int nsamples;
static unsigned int target;

static void record(uint64_t t)
{
    if (nsamples < ARRAY_SIZE(samples))
        samples[nsamples] = t - stamp;
    nsamples++;
}

/* Both threads: stamp, yield; the other one, back from its own yield, takes the sample. */
static void yield_thread(void *arg)
{
    (void)arg;
    while (nsamples < target) {
        uint64_t t = rdtsc_ordered();
        if (stamp)
            record(t);
        stamp = rdtsc_ordered();
        thread_yield();
    }
}

static struct semaphore sem_a, sem_b;

/* A wakes B and blocks; B, woken, takes the sample (A to B), wakes A and blocks; A takes the next. */
static void sem_thread_a(void *arg)
{
    unsigned int rounds = (unsigned int)(uintptr_t)arg;
    for (unsigned int i = 0; i < rounds; i++) {
        sem_up(&sem_b);
        stamp = rdtsc_ordered();
        sem_down(&sem_a);
        record(rdtsc_ordered());
    }
}

static void sem_thread_b(void *arg)
{
    unsigned int rounds = (unsigned int)(uintptr_t)arg;
    for (unsigned int i = 0; i < rounds; i++) {
        sem_down(&sem_b);
        record(rdtsc_ordered());
        sem_up(&sem_a);
        stamp = rdtsc_ordered();
    }
}

static void pair(const char *name, void (*fa)(void *), void (*fb)(void *), void *arg)
{
    struct thread *a = thread_create(name, fa, arg), *b = a ? thread_create(name, fb, arg) : NULL;
    if (!a || !b) {
        printk("# bench: thread_create failed\n");
        if (a)
            thread_join(a);
        return;
    }
    thread_join(a);
    thread_join(b);
}

static void bench_switch(void)
{
    unsigned int reps = bench_reps, warm = warmup_of(reps);
    nsamples = 0;
    stamp = 0;
    target = warm + reps;
    pair("bench-yield", yield_thread, yield_thread, NULL);
    unsigned int n = MIN(nsamples, target);
    report("kernel_thread_switch_yield", 1, "cycles", samples + warm, n > warm ? n - warm : 0, 1);

    nsamples = 0;
    stamp = 0;
    sem_init(&sem_a, 0);
    sem_init(&sem_b, 0);
    pair("bench-sem", sem_thread_a, sem_thread_b, (void *)(uintptr_t)((warm + reps + 1) / 2));
    n = MIN(nsamples, (unsigned int)ARRAY_SIZE(samples));
    n = MIN(n, warm + reps);
    report("kernel_thread_switch_sem", 1, "cycles", samples + warm, n > warm ? n - warm : 0, 1);
}

/* ---- one-shot timer: from arming (due now) to its handler ---- */

static volatile uint64_t fired_tsc;

static void bench_timer_fn(struct timer *t)
{
    (void)t;
    fired_tsc = rdtsc_ordered();
}

static void bench_timer(void)
{
    static struct timer t;
    unsigned int reps = bench_reps, warm = warmup_of(reps);
    timer_init(&t, bench_timer_fn, NULL);
    for (unsigned int i = 0; i < warm + reps; i++) {
        fired_tsc = 0;
        uint64_t give_up = clock_ns() + NSEC_PER_SEC;
        uint64_t t0 = rdtsc_ordered();
        timer_arm(&t, clock_ns());
        while (!READ_ONCE(fired_tsc) && clock_ns() < give_up)
            barrier();
        if (!fired_tsc) {
            timer_cancel(&t);
            printk("# bench: a timer due now did not fire within a second\n");
            reps = i > warm ? i - warm : 0;
            break;
        }
        if (i >= warm)
            samples[i - warm] = fired_tsc - t0;
    }
    report("kernel_timer_oneshot", 1, "cycles", samples, reps, 1);
}

/* ---- demand-zero page faults ---- */

#define FAULT_ROUND 64u

static void bench_fault(void)
{
    unsigned int reps = bench_reps, warm = warmup_of(reps), done = 0;
    while (done < warm + reps) {
        uint8_t *p = vm_alloc(FAULT_ROUND, VM_DEMAND_ZERO);
        if (!p) {
            printk("# bench: vm_alloc(VM_DEMAND_ZERO) failed\n");
            break;
        }
        for (unsigned int i = 0; i < FAULT_ROUND && done < warm + reps; i++, done++) {
            unsigned long f = irq_save();
            uint64_t t0 = rdtsc_ordered();
            WRITE_ONCE(*(uint64_t *)(p + i * PAGE_SIZE), 1);
            uint64_t t1 = rdtsc_ordered();
            irq_restore(f);
            if (done >= warm)
                samples[done - warm] = t1 - t0;
        }
        vm_free(p);
    }
    report("kernel_demand_zero_fault", 1, "cycles", samples, done > warm ? done - warm : 0, 1);
}

void bench_run_if_requested(void)
{
    if (!bench_reps)
        return;
    env = strcmp(pv_ops.machine->name, "native") ? "pv" : "native";
    printk("BENCHINFO kernel=pvguest env=%s machine=%s reps=%u heavy_reps=%u mmu_batch=%u\n", env,
           pv_ops.machine->name, bench_reps, heavy_reps(), mmu_batch_size);
    uint64_t free0 = page_free_count();
    bench_rdtsc();
    bench_pages();
    bench_aspace();
    bench_switch();
    bench_timer();
    bench_fault();
    printk("# bench: done (%lld pages not given back)\n", (long long)(free0 - page_free_count()));
}
