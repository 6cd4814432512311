/*
 * Idler: says it is up, then blocks: a domain for the toolstack to list,
 * pause and destroy. Its front end for xl's shutdown is a xenstore watch on
 * control/shutdown, as a Linux guest's: "poweroff" ends its one case (and
 * the domain powers off), "reboot" shuts it down with reason reboot; the
 * node is cleared first, as Linux acknowledges it. Without a store ring
 * (a boot-time domain with none), or without a spare frame for the page
 * table that maps shared_info (4 MiB: the initial mapping is all of it), it
 * says so and just blocks until it is destroyed.
 *
 * While it watches, it also answers its console ring (xl console): each
 * line typed into its `in` ring comes back on its `out` ring as
 * "got: <line>" (printable bytes only, at most LINE_MAX of a line), which
 * dom0's back end shows as "[name] got: ...". A back end that breaks the
 * ring's indices is no longer read. ringtick=yes makes it also write
 * "tick <n>" to its ring every TICK_NS, a domain whose ring lines xl
 * console must suppress while attached to another.
 *
 * With a module (xl's ramdisk=, start_info.mod_start/mod_len) it first
 * prints the module's address, length and FNV-1a 64 hash, which the test
 * compares with the file's. crash=yes makes it crash at once (SHUTDOWN_crash),
 * a domain that on_crash=restart would rebuild for ever.
 *
 * timerspin=yes makes it, once its watch is set (xl's leak loop waits for
 * that), a domain that is always arming a timer instead:
 * VCPUOP_set_singleshot_timer a second ahead, again and again, so whenever
 * the toolstack destroys it the vCPU may be arming one on another CPU just
 * as the hypervisor stops its timers (xl's leak loop over spinner.cfg).
 */
#include "events.h"
#include "guest.h"
#include "hypercall.h"
#include "mm.h"
#include "xs.h"
#include <public/errno.h>
#include <public/io/console.h>
#include <public/sched.h>
#include <public/vcpu.h>

const char test_title[] = "idler: blocks until destroyed or shut down";

#define WAKE_NS 1000000000ull               /* a watch wait's bound; the loop waits again */

#define LINE_MAX 80
#define TICK_NS  200000000ull               /* ringtick=yes: a ring line this often */

static struct xencons_interface *cons;      /* NULL: no console ring, or its back end broke it */
static char line[LINE_MAX + 1];
static size_t line_len;

/* Puts s on the `out` ring, as much as fits now (the back end drains it), and notifies. */
static void cons_write(const char *s)
{
    XENCONS_RING_IDX prod = cons->out_prod;
    XENCONS_RING_IDX oc = __atomic_load_n(&cons->out_cons, __ATOMIC_ACQUIRE);
    if (prod - oc > sizeof(cons->out)) {
        cons = NULL;
        return;
    }
    for (; *s && prod - oc < sizeof(cons->out); s++)
        cons->out[MASK_XENCONS_IDX(prod++, cons->out)] = (uint8_t)*s;
    __atomic_store_n(&cons->out_prod, prod, __ATOMIC_RELEASE);
    evtchn_send(start_info->console.domU.evtchn);
}

/* Reads what was typed; each finished line is answered "got: <line>". */
static void cons_echo(void)
{
    if (!cons)
        return;
    XENCONS_RING_IDX c = cons->in_cons, p = __atomic_load_n(&cons->in_prod, __ATOMIC_ACQUIRE);
    if (p - c > sizeof(cons->in)) {
        printk("# idler: the console back end broke the in ring (prod %u, cons %u): not reading it\n", p, c);
        cons = NULL;
        return;
    }
    if (p == c)
        return;
    for (; c != p; c++) {
        char ch = (char)cons->in[MASK_XENCONS_IDX(c, cons->in)];
        if (ch != '\r' && ch != '\n') {
            if (line_len < LINE_MAX && ch >= 0x20 && ch < 0x7f)
                line[line_len++] = ch;
            continue;
        }
        if (!line_len)
            continue;
        line[line_len] = '\0';
        line_len = 0;
        cons_write("got: ");
        if (cons)
            cons_write(line);
        if (cons)
            cons_write("\n");
        if (!cons)
            return;
    }
    __atomic_store_n(&cons->in_cons, c, __ATOMIC_RELEASE);
    evtchn_send(start_info->console.domU.evtchn);
}

/*
 * Until the store has a message for us (true) or deadline (false), answering
 * the console meanwhile: one SCHEDOP_poll on both ports. Their pending bits
 * are cleared before the rings are looked at, so nothing that arrives after
 * the look is missed.
 */
static bool wait_store_or_console(uint64_t deadline)
{
    static evtchn_port_t ports[2];
    static uint64_t next_tick, ticks;
    bool tick = cons && guest_option_is("ringtick", "yes");
    unsigned int n = 0;
    ports[n++] = start_info->store_evtchn;
    if (cons)
        ports[n++] = start_info->console.domU.evtchn;
    for (;;) {
        for (unsigned int i = 0; i < n; i++)
            port_clear(ports[i]);
        cons_echo();
        if (xs_pending())
            return true;
        uint64_t now = pvclock_now();
        if (tick && now >= next_tick) {
            char msg[32];
            snprintf(msg, sizeof(msg), "tick %llu\n", (unsigned long long)++ticks);
            cons_write(msg);
            next_tick = now + TICK_NS;
            tick = cons != NULL;
        }
        if (now >= deadline)
            return false;
        struct sched_poll sp = { .ports = (uint64_t)ports, .nr_ports = n,
                                 .timeout = tick && next_tick < deadline ? next_tick : deadline };
        hyp_sched_op(SCHEDOP_poll, &sp);
    }
}

static void block_forever(void)
{
    for (;;)
        hyp_sched_op(SCHEDOP_block, NULL);
}

/* FNV-1a, 64 bits: a check any change of a byte, its order or the length fails. */
static uint64_t fnv1a64(const uint8_t *p, uint64_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (uint64_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

static const char *test_idle(char *why, size_t len)
{
    struct xs_msg r;
    if (start_info->mod_start && start_info->mod_len)
        printk("# idler: module at %#llx, %llu bytes, fnv1a64 %016llx, flags %#x\n",
               (unsigned long long)start_info->mod_start, (unsigned long long)start_info->mod_len,
               (unsigned long long)fnv1a64((const uint8_t *)start_info->mod_start, start_info->mod_len),
               start_info->flags);
    if (guest_option_is("crash", "yes")) {
        printk("# idler: crash=yes: crashing at once\n");
        guest_shutdown(SHUTDOWN_crash);
    }
    if (events_init() || xs_init()) {
        printk("# idler: up, no store ring or no spare frame: blocking until destroyed\n");
        block_forever();
    }
    /* xenstored introduces us a moment after we start: the request waits in the ring. */
    int64_t rc;
    do
        rc = xs_request_strs(XS_WATCH, 0, &r, 2, "control/shutdown", "shutdown");
    while (rc == -XEN_ETIMEDOUT);
    if (xs_error(&r))
        return fail(why, len, "WATCH control/shutdown: %s", xs_error(&r));
    if (guest_option_is("timerspin", "yes")) {
        printk("# idler: up, arming timers until destroyed\n");
        for (;;) {
            struct vcpu_set_singleshot_timer t = { .timeout_abs_ns = pvclock_now() + 1000000000ull };
            rc = hypercall3(__HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, 0, &t);
            if (rc)
                return fail(why, len, "set_singleshot_timer: %lld", (long long)rc);
        }
    }
    if (start_info->console.domU.mfn && start_info->console.domU.evtchn)
        cons = mfn_to_virt(start_info->console.domU.mfn);
    printk("# idler: up, watching control/shutdown%s\n", cons ? "; answering its console ring" : "");
    for (;;) {
        if (!wait_store_or_console(pvclock_now() + WAKE_NS) || xs_watch_event(&r, WAKE_NS))
            continue;
        if (xs_request_strs(XS_READ, 0, &r, 1, "control/shutdown") || xs_error(&r) || !r.body[0])
            continue;               /* gone (being destroyed) or empty (our own acknowledgement) */
        bool poweroff = !strcmp(r.body, "poweroff"), reboot = !strcmp(r.body, "reboot");
        if (!poweroff && !reboot) {
            printk("# idler: control/shutdown says '%s': ignored\n", r.body);
            continue;
        }
        printk("# idler: control/shutdown says %s\n", r.body);
        static const char empty[] = "control/shutdown";     /* WRITE path\0 and no value: "" */
        xs_request(XS_WRITE, 0, empty, sizeof(empty), &r);
        if (reboot)
            guest_shutdown(SHUTDOWN_reboot);
        return NULL;                /* the run ends and the domain powers off */
    }
}

DEFINE_TESTS({ "idle", test_idle })
