/* Counters of hypervisor entries, batch sizes, traps and events, and their report. */
#include <cmdline.h>
#include <counters.h>
#include <paravirt.h>
#include <sched.h>

static uint64_t entries[MAX_CPUS][COUNTER_ENTRIES];
static uint64_t batch_bins[COUNTER_BATCH_BINS];
static uint64_t traps[COUNTER_TRAPS];
static uint64_t events[COUNTER_EVENTS];

void counter_entry(unsigned int nr)
{
    uint64_t *slot = &entries[smp_processor_id()][MIN(nr, COUNTER_ENTRIES - 1u)];
    __atomic_fetch_add(slot, 1, __ATOMIC_RELAXED);
}

/* Entries numbered nr by every CPU. */
static uint64_t entries_of(unsigned int nr)
{
    uint64_t n = 0;
    for (unsigned int c = 0; c < MAX_CPUS; c++)
        n += __atomic_load_n(&entries[c][nr], __ATOMIC_RELAXED);
    return n;
}

uint64_t counter_total_entries(void)
{
    uint64_t n = 0;
    for (unsigned int i = 0; i < COUNTER_ENTRIES; i++)
        n += entries_of(i);
    return n;
}

uint64_t counter_cpu_entries(void)
{
    unsigned long f = irq_save();
    const uint64_t *mine = entries[smp_processor_id()];
    irq_restore(f);
    uint64_t n = 0;
    for (unsigned int i = 0; i < COUNTER_ENTRIES; i++)
        n += __atomic_load_n(&mine[i], __ATOMIC_RELAXED);
    return n;
}

void counter_batch(unsigned int n)
{
    unsigned int bin = 0;
    while (bin + 1 < COUNTER_BATCH_BINS && n >= (2u << bin))
        bin++;
    __atomic_fetch_add(&batch_bins[bin], 1, __ATOMIC_RELAXED);
}

uint64_t counter_batch_bin(unsigned int bin) { return bin < COUNTER_BATCH_BINS ? batch_bins[bin] : 0; }

uint64_t counter_batches(void)
{
    uint64_t n = 0;
    for (unsigned int i = 0; i < COUNTER_BATCH_BINS; i++)
        n += batch_bins[i];
    return n;
}

void counter_trap(unsigned int vector)
{
    if (vector < COUNTER_TRAPS)
        __atomic_fetch_add(&traps[vector], 1, __ATOMIC_RELAXED);
}

void counter_event(unsigned int channel)
{
    __atomic_fetch_add(&events[MIN(channel, COUNTER_EVENTS - 1u)], 1, __ATOMIC_RELAXED);
}

uint64_t counter_total_events(void)
{
    uint64_t n = 0;
    for (unsigned int i = 0; i < COUNTER_EVENTS; i++)
        n += __atomic_load_n(&events[i], __ATOMIC_RELAXED);
    return n;
}

static const char *const trap_names[COUNTER_TRAPS] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "9", "#TS", "#NP", "#SS", "#GP", "#PF", "15",
    "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
};

/* Appends "name count" items to a line, flushing it when full. */
struct line {
    char buf[96];           /* short enough that a hypervisor's console never splits it */
    size_t len;
    const char *head;
};

static void line_add(struct line *l, const char *name, uint64_t count)
{
    char item[48];
    int n = snprintf(item, sizeof(item), " %s=%llu", name, (unsigned long long)count);
    if (l->len + (size_t)n >= sizeof(l->buf)) {
        printk("# counters: %s:%s\n", l->head, l->buf);
        l->len = 0;
    }
    memcpy(l->buf + l->len, item, (size_t)n + 1);
    l->len += (size_t)n;
}

static void line_end(struct line *l)
{
    printk("# counters: %s:%s\n", l->head, l->len ? l->buf : " none");
}

void counters_print(const char *why)
{
    printk("# counters (%s, %s): %llu hypervisor entries, %llu batches\n", why, pv_ops.machine->name,
           (unsigned long long)counter_total_entries(), (unsigned long long)counter_batches());
    struct line l = { .head = "entries" };
    for (unsigned int i = 0; i < COUNTER_ENTRIES; i++)
        if (entries_of(i))
            line_add(&l, pv_ops.machine->entry_name(i), entries_of(i));
    line_end(&l);
    l = (struct line){ .head = "updates per batch" };
    for (unsigned int i = 0; i < COUNTER_BATCH_BINS; i++) {
        if (!batch_bins[i])
            continue;
        char name[24];
        if (i == 0)
            snprintf(name, sizeof(name), "1");
        else if (i + 1 == COUNTER_BATCH_BINS)
            snprintf(name, sizeof(name), "%u+", 1u << i);
        else
            snprintf(name, sizeof(name), "%u-%u", 1u << i, (2u << i) - 1);
        line_add(&l, name, batch_bins[i]);
    }
    line_end(&l);
    l = (struct line){ .head = "traps" };
    for (unsigned int i = 0; i < COUNTER_TRAPS; i++)
        if (traps[i])
            line_add(&l, trap_names[i] ? trap_names[i] : "?", traps[i]);
    line_end(&l);
    l = (struct line){ .head = "events by channel" };
    for (unsigned int i = 0; i < COUNTER_EVENTS; i++) {
        if (!events[i])
            continue;
        char name[16];
        snprintf(name, sizeof(name), i + 1 == COUNTER_EVENTS ? "%u+" : "%u", i);
        line_add(&l, name, events[i]);
    }
    line_end(&l);
}

/* counters=each also prints them after every self-test case (ktap.c reads it). */
bool counters_each_case;
static bool set_counters(const char *v)
{
    if (!v || !strcmp(v, "each"))
        counters_each_case = true;
    else if (strcmp(v, "shutdown"))
        return false;
    return true;
}
KERNEL_OPTION("counters", set_counters);
