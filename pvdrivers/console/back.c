/*
 * The console back end (dom0): a thread finds every domU with a console ring
 * (domctl getdomaininfo), maps the ring and binds its channel; each domU's
 * output is printed line by line on dom0's console as "[name] text", by the
 * channel's handler when it fires and by the thread every 100 ms. It drains
 * and lets go of a domain that stopped, and everything before dom0 powers
 * off (console_back_quiesce). The handler drains, not only the thread, so a
 * domU waiting for room does not wait for dom0's scheduler: dom0's threads
 * can be kept off the CPU for a second by a long stretch without preemption
 * (lazy-MMU work), while events still arrive. Serial input: Ctrl-B moves dom0's input
 * to the next connected domU and, after the last, back to dom0; the bytes go
 * into that domain's `in` ring. xl console attaches input to one domain
 * (console_back_attach): then only Ctrl-] is ours, and the other domains'
 * lines are suppressed (drained and counted, not printed) until it leaves.
 */
#include <paravirt.h>
#include <sched.h>
#include <spinlock.h>
#include <console/back.h>
#include <console/lines.h>
#include <console/ring.h>
#include <public/errno.h>
#include <xen/services.h>

#define OUT_SIZE        sizeof(((struct xencons_interface *)0)->out)
#define IN_SIZE         sizeof(((struct xencons_interface *)0)->in)
#define MAX_DOMID       32                      /* ids 1 .. MAX_DOMID - 1 are looked at, as wait= does */
#define POLL_NS         (100 * NSEC_PER_MSEC)   /* drain at least this often, even without a notification */
#define SCAN_EVERY      2                       /* look for new and stopped domains every this many polls */
#define SWITCH_KEY      0x02                    /* Ctrl-B */
#define DETACH_KEY      0x1d                    /* Ctrl-]: leaves xl console, as in xl */
#define NAME_MAX        24

/* Every field but the ring mapping's setup and teardown is under con_lock. */
struct con {
    bool live;                  /* connected: ring mapped, port bound */
    bool broken;                /* the domain broke its ring's indices: no more of its output */
    domid_t id;
    char name[NAME_MAX];
    uint64_t mfn;               /* its ring's frame: a new domain with the same id has another */
    struct xencons_interface *ring;
    evtchn_port_t port;         /* our end of its console channel */
    XENCONS_RING_IDX out_cons;  /* ours alone: the domain could scribble on the shared copies */
    XENCONS_RING_IDX in_prod;
    uint64_t in_dropped;        /* input bytes its full `in` ring could not take */
    struct conlines lines;
};

static struct con cons[MAX_DOMID];              /* indexed by domain id */
/* Domains not to try again (a map or bind failed) until the id is free again: by id. */
static bool failed[MAX_DOMID];
static struct semaphore back_mutex;             /* scans: connects and disconnects (thread context) */
/* cons[]' state and rings, input_target: taken by the thread, the channels' and the input handler. */
static spinlock_t con_lock = SPINLOCK_INIT;
static unsigned int input_target;               /* 0: dom0 itself, else a domain id (con_lock) */
/*
 * xl console's domain, or 0 (con_lock): input_target equals it while it is
 * set, and the other domains' lines are counted in suppressed, not printed.
 * Suppressed rather than held back: a pvguest writer waits for ring room, so
 * leaving their rings undrained would stall those domains for as long as a
 * person stays attached.
 */
static domid_t attached;
static uint64_t suppressed;
static bool running;
static struct semaphore kick_sem;               /* upped by console_back_kick: scan before the next poll */
static volatile bool scan_now;

static void drain(struct con *c);

/* A domU's channel fired (events masked): it wrote, or read input. */
static void back_event(void *arg)
{
    struct con *c = arg;
    spin_lock(&con_lock);
    drain(c);
    spin_unlock(&con_lock);
}

static void emit_line(void *ctx, const char *line, size_t len)
{
    const struct con *c = ctx;
    if (attached && c->id != attached) {
        suppressed++;
        return;
    }
    printk("[%s] %.*s\n", c->name, (int)len, line);
}

/* Prints what the domain wrote since the last time and frees its ring (con_lock). */
static void drain(struct con *c)
{
    if (!c->live || c->broken)
        return;
    XENCONS_RING_IDX prod = __atomic_load_n(&c->ring->out_prod, __ATOMIC_ACQUIRE);
    if (!xencons_valid(prod, c->out_cons, OUT_SIZE)) {
        c->broken = true;
        printk("console: domain %u (%s) broke its ring (out_prod %u, out_cons %u): no more of its output\n", c->id,
               c->name, prod, c->out_cons);
        return;
    }
    if (prod == c->out_cons)
        return;
    char buf[256];
    while (c->out_cons != prod) {
        size_t k = MIN(sizeof(buf), (size_t)xencons_used(prod, c->out_cons));
        xencons_get(c->ring->out, OUT_SIZE, c->out_cons, buf, k);
        c->out_cons += k;
        conlines_feed(&c->lines, buf, k, emit_line, c);
    }
    __atomic_store_n(&c->ring->out_cons, c->out_cons, __ATOMIC_RELEASE);    /* after the bytes were read */
    xenpv_evtchn_notify(c->port);               /* a writer waiting for room */
}

static void sanitize_name(char *out, const uint8_t *name, domid_t id)
{
    size_t n = 0;
    for (; n < NAME_MAX - 1 && name[n]; n++) {
        char ch = (char)name[n];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' ||
                  ch == '-' || ch == '.';
        if (!ok)
            break;
        out[n] = ch;
    }
    if (!n || name[n] || !((out[0] >= 'a' && out[0] <= 'z') || (out[0] >= 'A' && out[0] <= 'Z'))) {
        snprintf(out, NAME_MAX, "dom%u", id);   /* the log splitter wants a letter first and no odd bytes */
        return;
    }
    out[n] = 0;
}

/* back_mutex held; c is not live, so nothing else looks at it. */
static void connect(domid_t id, const struct pv_domctl_info *info)
{
    struct con *c = &cons[id];
    memset(c, 0, sizeof(*c));
    c->id = id;
    sanitize_name(c->name, info->name, id);
    c->mfn = info->console_mfn;
    c->ring = xenpv_map_foreign(id, info->console_mfn, true);
    if (!c->ring) {
        printk("console: cannot map domain %u (%s)'s console ring (mfn %#llx)\n", id, c->name,
               (unsigned long long)info->console_mfn);
        failed[id] = true;
        return;
    }
    int port = xenpv_evtchn_bind_interdomain(id, info->console_port, back_event, c);
    if (port < 0) {
        printk("console: cannot bind domain %u (%s)'s console port %u: %d\n", id, c->name, info->console_port, port);
        xenpv_unmap_foreign(c->ring);
        failed[id] = true;
        return;
    }
    c->port = (evtchn_port_t)port;
    printk("console: connected to domain %u (%s): ring mfn %#llx, port %u\n", id, c->name,
           (unsigned long long)info->console_mfn, c->port);
    unsigned long f = spin_lock_irqsave(&con_lock);
    c->out_cons = __atomic_load_n(&c->ring->out_cons, __ATOMIC_RELAXED);
    c->in_prod = __atomic_load_n(&c->ring->in_prod, __ATOMIC_RELAXED);
    c->live = true;                             /* the handler may drain from now on */
    drain(c);
    spin_unlock_irqrestore(&con_lock, f);
}

/* The domain stopped (nothing more will come) or is going: print the rest and let go of its ring and port. */
static void disconnect(struct con *c, const char *why)
{
    unsigned long f = spin_lock_irqsave(&con_lock);
    drain(c);
    conlines_flush(&c->lines, emit_line, c);
    c->live = false;                            /* the handler leaves it alone from now on */
    bool had_input = input_target == c->id;
    if (had_input)
        input_target = 0;
    if (attached == c->id)
        attached = 0;                           /* xl console sees it gone (console_back_attached) */
    spin_unlock_irqrestore(&con_lock, f);
    xenpv_evtchn_close(c->port);
    xenpv_unmap_foreign(c->ring);
    c->ring = NULL;
    printk("console: domain %u (%s) %s: disconnected%s\n", c->id, c->name, why,
           had_input ? "; input goes to dom0 again" : "");
}

/* Connects new domains, disconnects stopped ones (back_mutex). False if domctl does not work here. */
static bool scan(void)
{
    struct pv_domctl_info info;
    for (domid_t id = 1; id < MAX_DOMID; id++) {
        struct con *c = &cons[id];
        int rc = xenpv_domain_info(id, &info);
        if (rc == -XEN_ESRCH) {
            if (c->live)
                disconnect(c, "is gone");
            failed[id] = false;
            continue;
        }
        if (rc) {
            printk("console: domctl getdomaininfo(%u) failed: %d; not serving domU consoles\n", id, rc);
            return false;
        }
        bool running_now = info.flags & PV_DOMINF_running;
        if (c->live && !running_now)
            disconnect(c, "stopped");
        else if (c->live && info.console_mfn != c->mfn)
            disconnect(c, "was replaced by a new domain");     /* the id was freed and taken again */
        else if (!c->live && running_now && !failed[id] && info.console_mfn && info.console_port)
            connect(id, &info);
    }
    return true;
}

/* Every ring, in case a notification was lost; with flush, unfinished lines too. */
static void drain_all(bool flush)
{
    unsigned long f = spin_lock_irqsave(&con_lock);
    for (domid_t id = 1; id < MAX_DOMID; id++) {
        drain(&cons[id]);
        if (flush && cons[id].live)
            conlines_flush(&cons[id].lines, emit_line, &cons[id]);
    }
    spin_unlock_irqrestore(&con_lock, f);
}

void console_back_kick(void)
{
    if (!__atomic_load_n(&running, __ATOMIC_ACQUIRE))
        return;
    __atomic_store_n(&scan_now, true, __ATOMIC_RELEASE);
    sem_up(&kick_sem);
}

/* VIRQ_DOM_EXC (events masked): a domain stopped or its destruction is done. */
static void dom_exc_event(void *arg)
{
    (void)arg;
    console_back_kick();
}

static void back_thread(void *arg)
{
    (void)arg;
    for (unsigned int polls = 1;; polls++) {
        sem_down_timeout(&kick_sem, POLL_NS);
        bool ok = true;
        if (__atomic_exchange_n(&scan_now, false, __ATOMIC_ACQ_REL) || polls % SCAN_EVERY == 0) {
            sem_down(&back_mutex);
            ok = scan();
            sem_up(&back_mutex);
        }
        drain_all(false);
        if (!ok)
            break;
    }
    thread_exit();
}

/* ---- serial input (dom0's console input handler, events masked) ---- */

static void announce_target(void)
{
    unsigned int t = input_target;
    if (t)
        printk("console: input goes to domain %u (%s); Ctrl-B for the next\n", t, cons[t].name);
    else
        printk("console: input goes to dom0; Ctrl-B for the next domain\n");
}

/* con_lock held: the next connected domain after the current target, or dom0 after the last. */
static void next_target(void)
{
    for (unsigned int id = input_target + 1; id < MAX_DOMID; id++)
        if (cons[id].live && !cons[id].broken) {
            input_target = id;
            return;
        }
    input_target = 0;
}

/* con_lock held: one byte into c's `in` ring; false if it would not fit. */
static bool put_input(struct con *c, char ch)
{
    XENCONS_RING_IDX in_cons = __atomic_load_n(&c->ring->in_cons, __ATOMIC_ACQUIRE);
    if (!xencons_valid(c->in_prod, in_cons, IN_SIZE) || !xencons_space(c->in_prod, in_cons, IN_SIZE))
        return false;
    xencons_put(c->ring->in, IN_SIZE, c->in_prod, &ch, 1);
    c->in_prod++;
    __atomic_store_n(&c->ring->in_prod, c->in_prod, __ATOMIC_RELEASE);
    return true;
}

static size_t back_filter_input(char *buf, size_t n)
{
    size_t kept = 0;
    bool switched = false;
    struct con *notify = NULL;
    unsigned long f = spin_lock_irqsave(&con_lock);
    for (size_t i = 0; i < n; i++) {
        if (attached && buf[i] == DETACH_KEY) {
            attached = 0;                       /* xl, which gets the key, detaches for good */
            input_target = 0;
            buf[kept++] = buf[i];
            continue;
        }
        if (!attached && buf[i] == SWITCH_KEY) {
            next_target();
            switched = true;
            continue;
        }
        struct con *c = &cons[input_target];
        if (!input_target || !c->live) {
            buf[kept++] = buf[i];
            continue;
        }
        if (put_input(c, buf[i]))
            notify = c;
        else
            c->in_dropped++;    /* a full ring drops input rather than block, as the hypervisor's does */
    }
    if (notify && notify->live)
        xenpv_evtchn_notify(notify->port);      /* under the lock: disconnect closes the port only after it */
    spin_unlock_irqrestore(&con_lock, f);
    if (switched)
        announce_target();
    return kept;
}

int console_back_attach(domid_t id)
{
    if (id == 0 || id >= MAX_DOMID)
        return -XEN_EINVAL;
    int rc = 0;
    unsigned long f = spin_lock_irqsave(&con_lock);
    if (attached)
        rc = -XEN_EBUSY;
    else if (!running || !cons[id].live || cons[id].broken)
        rc = -XEN_ENODEV;
    else {
        attached = id;
        input_target = id;
        suppressed = 0;
    }
    spin_unlock_irqrestore(&con_lock, f);
    return rc;
}

uint64_t console_back_detach(void)
{
    unsigned long f = spin_lock_irqsave(&con_lock);
    if (attached) {
        attached = 0;
        input_target = 0;
    }
    uint64_t n = suppressed;
    suppressed = 0;
    spin_unlock_irqrestore(&con_lock, f);
    return n;
}

domid_t console_back_attached(void)
{
    return __atomic_load_n(&attached, __ATOMIC_ACQUIRE);
}

static const struct xenpv_console_hooks back_hooks = { .filter_input = back_filter_input };

void console_back_start(void)
{
    if (!xenpv_is_dom0())
        return;
    sem_init(&back_mutex, 1);
    sem_init(&kick_sem, 0);
    xenpv_console_attach(&back_hooks);         /* before a domU connects: Ctrl-B must not reach dom0 */
    sem_down(&back_mutex);
    bool ok = scan();
    sem_up(&back_mutex);
    if (!ok)
        return;
    if (!thread_create("console-back", back_thread, NULL)) {
        printk("console: no thread for the back end: domU consoles are not served\n");
        return;
    }
    __atomic_store_n(&running, true, __ATOMIC_RELEASE);
    int rc = xenpv_dom_exc_subscribe(dom_exc_event, NULL);
    if (rc)
        printk("console: no VIRQ_DOM_EXC (%d): stopped domains are found by the poll\n", rc);
    printk("console: back end serving domU consoles; Ctrl-B moves serial input to the next domain\n");
}

void console_back_quiesce(void)
{
    if (!running)
        return;
    sem_down(&back_mutex);
    scan();
    sem_up(&back_mutex);
    drain_all(true);
}
