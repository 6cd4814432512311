/*
 * The console front end (a domU): once started, printk's output goes into the
 * console ring the builder gave us (start_info.console.domU), which dom0's
 * back end prints, and console input arrives in its `in` half. console_io
 * stays for the lines before the start and for a panic (xen/console.c).
 * Boot options: console=ring (default) or console=hv (keep console_io);
 * console_burst=N prints N numbered lines at once, to show a full ring loses nothing;
 * console_hostile breaks the ring's out_prod on purpose, to show the back end copes;
 * console_wait makes the start wait (10 s at most) until dom0's back end serves us.
 */
#include <cmdline.h>
#include <paravirt.h>
#include <sched.h>
#include <console/ring.h>
#include <xen/services.h>

#define OUT_SIZE    sizeof(((struct xencons_interface *)0)->out)
#define IN_SIZE     sizeof(((struct xencons_interface *)0)->in)
#define WAIT_SLICE  (10 * NSEC_PER_MSEC)      /* a poll's longest sleep: a lost notification costs this much */
#define PANIC_WAIT  (1000 * NSEC_PER_MSEC)     /* how long a panic lets the back end take what is queued */

static struct xencons_interface *ring;
static evtchn_port_t port;
/* Ours alone (the back end could scribble on the shared copies): console lock for out, vCPU 0's handler for in. */
static XENCONS_RING_IDX out_prod, in_cons;
static bool broken;                 /* the back end broke the ring's indices: console_io from then on */
static uint64_t full_waits;         /* times a writer found the ring full and waited */
static bool use_ring = true;
static uint64_t burst_lines;
static bool hostile, wait_backend;

static bool set_console(const char *v)
{
    if (v && !strcmp(v, "ring"))
        use_ring = true;
    else if (v && !strcmp(v, "hv"))
        use_ring = false;
    else
        return false;
    return true;
}
KERNEL_OPTION("console", set_console);

static bool set_burst(const char *v)
{
    return v && cmdline_number(v, &burst_lines) && burst_lines <= 100000;
}
KERNEL_OPTION("console_burst", set_burst);

static bool set_hostile(const char *v)
{
    hostile = !v || !strcmp(v, "1") || !strcmp(v, "yes");
    return hostile || !strcmp(v, "0") || !strcmp(v, "no");
}
KERNEL_OPTION("console_hostile", set_hostile);

static bool set_wait_backend(const char *v)
{
    wait_backend = !v || !strcmp(v, "1") || !strcmp(v, "yes");
    return wait_backend || !strcmp(v, "0") || !strcmp(v, "no");
}
KERNEL_OPTION("console_wait", set_wait_backend);

/* Until dom0's back end has bound our channel, 10 s at most. */
static void wait_for_backend(void)
{
    for (unsigned int i = 0; i < 1000 && !xenpv_evtchn_connected(port); i++)
        thread_sleep_ns(10 * NSEC_PER_MSEC);
}

/* The back end's index, read once: out_cons must stay within OUT_SIZE behind our out_prod. */
static bool out_cons_ok(XENCONS_RING_IDX *cons)
{
    *cons = __atomic_load_n(&ring->out_cons, __ATOMIC_ACQUIRE);
    return xencons_valid(out_prod, *cons, OUT_SIZE);
}

static void ring_broken(const char *what, XENCONS_RING_IDX prod, XENCONS_RING_IDX cons)
{
    WRITE_ONCE(broken, true);
    char msg[160];
    int n = snprintf(msg, sizeof(msg), "pvguest: console: the back end broke the ring (%s: prod %u, cons %u); "
                     "console_io from now on\n", what, prod, cons);
    xenpv_console_io_write(msg, (size_t)MIN(n, (int)sizeof(msg) - 1));
}

/* With the console lock held and events masked (xenpv_console_hooks.write), on any vCPU. */
static void front_write(const char *s, size_t n)
{
    if (READ_ONCE(broken)) {
        xenpv_console_io_write(s, n);
        return;
    }
    bool owed = false;          /* a notification our waits took from the input handler */
    while (n) {
        XENCONS_RING_IDX cons;
        if (!out_cons_ok(&cons)) {
            ring_broken("out", out_prod, cons);
            xenpv_console_io_write(s, n);
            break;
        }
        size_t k = MIN(n, xencons_space(out_prod, cons, OUT_SIZE));
        if (!k) {
            /* Full: tell the back end (it may not have heard of these bytes yet) and wait for it to take some. */
            full_waits++;
            xenpv_evtchn_notify(port);
            owed |= xenpv_evtchn_wait(port, clock_ns() + WAIT_SLICE);
            continue;
        }
        xencons_put(ring->out, OUT_SIZE, out_prod, s, k);
        out_prod += k;
        __atomic_store_n(&ring->out_prod, out_prod, __ATOMIC_RELEASE);     /* the bytes before the index */
        s += k;
        n -= k;
    }
    xenpv_evtchn_notify(port);
    if (owed)
        xenpv_evtchn_repend(port);
}

/* Input from the back end; only from the console input handler (vCPU 0, events masked). */
static size_t front_read(char *buf, size_t n)
{
    if (READ_ONCE(broken))
        return 0;
    XENCONS_RING_IDX prod = __atomic_load_n(&ring->in_prod, __ATOMIC_ACQUIRE);
    if (!xencons_valid(prod, in_cons, IN_SIZE)) {
        ring_broken("in", prod, in_cons);
        return 0;
    }
    size_t k = MIN(n, xencons_used(prod, in_cons));
    if (!k)
        return 0;
    xencons_get(ring->in, IN_SIZE, in_cons, buf, k);
    in_cons += k;
    __atomic_store_n(&ring->in_cons, in_cons, __ATOMIC_RELEASE);       /* the bytes were read before */
    xenpv_evtchn_notify(port);
    return k;
}

/*
 * At the first panic line (which goes to console_io): give the back end a
 * moment (to connect, if it has not yet, and) to print what is queued, so the
 * panic comes after it. If it does not and nobody is at the other end of our
 * channel (no back end, or dom0 died), write the rest to console_io
 * ourselves; if the back end is there but slow, it prints the rest after we
 * are dead (the ring page stays while it has it mapped).
 */
static void front_panic_flush(void)
{
    if (READ_ONCE(broken))
        return;
    uint64_t deadline = clock_ns() + PANIC_WAIT;
    XENCONS_RING_IDX cons;
    xenpv_evtchn_notify(port);
    while (out_cons_ok(&cons) && cons != out_prod && clock_ns() < deadline)
        xenpv_evtchn_wait(port, MIN(deadline, clock_ns() + WAIT_SLICE));
    if (!out_cons_ok(&cons) || cons == out_prod || xenpv_evtchn_connected(port))
        return;
    char buf[128];
    while (cons != out_prod) {
        size_t k = MIN(sizeof(buf), (size_t)xencons_used(out_prod, cons));
        xencons_get(ring->out, OUT_SIZE, cons, buf, k);
        xenpv_console_io_write(buf, k);
        cons += k;
    }
}

static const struct xenpv_console_hooks front_hooks = {
    .write = front_write,
    .read = front_read,
    .panic_flush = front_panic_flush,
};

/* console_burst=N: N numbered lines in one go, several times the ring's size. */
static void burst(void)
{
    uint64_t waits_before = full_waits;
    for (uint64_t i = 1; i <= burst_lines; i++)
        printk("# console burst %05llu of %05llu: abcdefghijklmnopqrstuvwxyz0123456789\n", (unsigned long long)i,
               (unsigned long long)burst_lines);
    printk("# console burst: %llu lines; the ring was full %llu times\n", (unsigned long long)burst_lines,
           (unsigned long long)(full_waits - waits_before));
}

void console_front_start(void)
{
    const struct start_info *si = xenpv_start_info();
    if (xenpv_is_dom0() || !use_ring)
        return;
    if (!si->console.domU.mfn || !si->console.domU.evtchn) {
        printk("pvguest: console: no console ring in start_info: console_io only\n");
        return;
    }
    ring = xenpv_own_frame(si->console.domU.mfn);
    if (!ring) {
        printk("pvguest: console: the console ring (mfn %#llx) is not in our initial mapping: console_io only\n",
               (unsigned long long)si->console.domU.mfn);
        return;
    }
    port = si->console.domU.evtchn;
    out_prod = __atomic_load_n(&ring->out_prod, __ATOMIC_RELAXED);
    in_cons = __atomic_load_n(&ring->in_cons, __ATOMIC_RELAXED);
    printk("pvguest: console: output goes to the console ring (mfn %#llx, port %u) from here on\n",
           (unsigned long long)si->console.domU.mfn, port);
    xenpv_console_attach(&front_hooks);
    printk("pvguest: console: this line came through the console ring\n");
    if (wait_backend || hostile)
        wait_for_backend();
    if (burst_lines)
        burst();
    if (hostile) {
        /* A producer index more than the ring's size ahead: the back end must refuse it, and go on serving others. */
        unsigned long f = irq_save();
        __atomic_store_n(&ring->out_prod, out_prod + 2 * OUT_SIZE, __ATOMIC_RELEASE);
        WRITE_ONCE(broken, true);
        irq_restore(f);
        xenpv_evtchn_notify(port);
        printk("pvguest: console: console_hostile: out_prod moved %u bytes ahead; console_io from here on\n",
               (unsigned int)(2 * OUT_SIZE));
    }
}
