/*
 * The network benchmark (bench/README.md, "Net"): the same source natively,
 * as PV dom0 (on QEMU's virtio-net through pvguest's driver) and in a PV domU
 * (netfront, through dom0's netback and bridge). Boot option
 *
 *   netbench=send:<ip>   send to a peer running netbench=recv (a handshake first)
 *   netbench=sink:<ip>   send to whatever swallows UDP at <ip>:<netbench_port> (the host,
 *                        through QEMU's user network: bench-net.scn, bench-net-host.scn)
 *   netbench=recv        count what a netbench=send peer sends, until its stop datagram
 *                        (answered with a stop)
 *   netbench_count=<n>   datagrams a figure (default 10000; bench/run.py's small: 256)
 *   netbench_port=<p>    sink's port (default NETBENCH_PORT; bench/run.py gives it the port
 *                        of a host socket that counts what arrives); a receiver's is NETBENCH_PORT
 *
 * needs the stack up (ip=). The sender sends, for each frame size, count UDP
 * datagrams to that address as fast as the device takes them (a full
 * transmit ring is retried, spinning, and counted), then waits until the
 * device has taken the last one (ops->flush). Two frame sizes: the minimum
 * Ethernet frame (60 bytes without the FCS, 64 on a wire: an 18-byte payload)
 * and the full MTU (a 1500-byte IP packet, a 1514-byte frame). Each figure is
 * one line:
 *
 *   NETBENCH setup=<who>_to_<whom> role=<send|recv> frame=<bytes> payload=<bytes> packets=<n>
 *            bytes=<frame bytes> ns=<guest ns> entries=<hypervisor entries> events=<events>
 *            [retries=<full ring refusals>] [kicks=<tx doorbells> irqs=<interrupts>]
 *
 * who/whom: native, dom0 (PV on virtio-net), domu (netfront), host. The
 * sender's ns runs from its first send to the flush's end; the receiver's from
 * the first datagram of the size to the last that arrived (packets: those
 * that did; a flooded receiver's back end drops what finds no buffer, so the
 * report sets them against the sender's). entries and events are the kernel's
 * counters (counters.h) over that time, all CPUs, as blkbench's; kicks and
 * irqs are virtio-net's where the kernel drives it.
 */
#include <netbench.h>
#include <cmdline.h>
#include <counters.h>
#include <paravirt.h>
#include <virtio_net.h>
#include <net/service.h>

#define NETBENCH_PORT       9                       /* discard (RFC 863); the receiver's, always */
#define SMALL_PAYLOAD       (NET_MIN_FRAME - ETH_HLEN - 20 - 8)     /* 18: a 60-byte frame */
#define LARGE_PAYLOAD       UDP_MAX_PAYLOAD                         /* 1472: a 1514-byte frame */
#define HELLO               "netbench-hello "       /* + the sender's kind */
#define READY               "netbench-ready"
#define STOP                "netbench-stop"
#define STOP_COPIES         5                       /* stops sent at most, STOP_EVERY_NS apart */
#define STOP_EVERY_NS       (20 * NSEC_PER_MSEC)
#define HELLO_EVERY_NS      (100 * NSEC_PER_MSEC)
#define PEER_WAIT_NS        (60 * NSEC_PER_SEC)     /* the receiver's first hello, the sender's first ready */
#define IDLE_NS             (10 * NSEC_PER_SEC)     /* a receiver that hears nothing this long gives up */
#define STALL_NS            (10 * NSEC_PER_SEC)     /* a ring refusing this long fails the figure */
#define DRAIN_EVERY         32                      /* sends between looks at what came in */

_Static_assert(SMALL_PAYLOAD == 18 && LARGE_PAYLOAD == 1472, "the frame sizes of bench/README.md");
/* Control datagrams are told from data by their length (a hello names a kind of 4 to 6 letters). */
_Static_assert(sizeof(HELLO) - 1 + 4 > SMALL_PAYLOAD && sizeof(STOP) - 1 != SMALL_PAYLOAD &&
               sizeof(READY) - 1 != SMALL_PAYLOAD, "control datagrams are shorter or longer than data");

enum mode { OFF, SEND, SINK, RECV };
static enum mode mode;
static uint32_t peer;
static unsigned int count = 10000;
static uint16_t port = NETBENCH_PORT;

static bool set_netbench(const char *v)
{
    if (!v)
        return false;
    if (!strcmp(v, "recv"))
        return mode = RECV, true;
    if (!strncmp(v, "send:", 5) && ipv4_parse(v + 5, &peer))
        return mode = SEND, true;
    if (!strncmp(v, "sink:", 5) && ipv4_parse(v + 5, &peer))
        return mode = SINK, true;
    return false;
}
KERNEL_OPTION("netbench", set_netbench);

/* A decimal number in lo..hi. */
static bool parse_num(const char *v, uint64_t lo, uint64_t hi, uint64_t *out)
{
    uint64_t n = 0;
    for (const char *p = v; p && *p; p++) {
        if (*p < '0' || *p > '9' || (n = n * 10 + (uint64_t)(*p - '0')) > hi)
            return false;
    }
    if (!v || !*v || n < lo)
        return false;
    *out = n;
    return true;
}

static bool set_count(const char *v)
{
    uint64_t n;
    return parse_num(v, 2, 1000000, &n) && (count = (unsigned int)n, true);
}
KERNEL_OPTION("netbench_count", set_count);

static bool set_port(const char *v)
{
    uint64_t n;
    return parse_num(v, 1, 65535, &n) && (port = (uint16_t)n, true);
}
KERNEL_OPTION("netbench_port", set_port);

static const unsigned int payloads[] = { SMALL_PAYLOAD, LARGE_PAYLOAD };
#define NR_SIZES (sizeof(payloads) / sizeof(payloads[0]))

static unsigned int frame_of(unsigned int payload)
{
    return MAX(ETH_HLEN + 20 + 8 + payload, (unsigned int)NET_MIN_FRAME);
}

/* What this kernel is, as the lines name it. */
static const char *kind(const struct net_stack *s)
{
    if (!strcmp(pv_ops.machine->name, "native"))
        return "native";
    return s->nif == virtio_net_netif() ? "dom0" : "domu";
}

/* A snapshot of the counters a figure reports. */
struct snap {
    uint64_t ns, entries, events, tx_full, kicks, irqs;
};

static void take(struct snap *p, const struct net_stack *s)
{
    p->ns = clock_ns();
    p->entries = counter_total_entries();
    p->events = counter_total_events();
    p->tx_full = s->nif->stats.tx_full;
    p->kicks = p->irqs = 0;
    if (s->nif == virtio_net_netif()) {
        uint64_t rxk, sleeps;
        bool attached;
        virtio_net_kicks(&rxk, &p->kicks);
        virtio_net_irq_stats(&p->irqs, &sleeps, &attached);
    }
}

static void print_line(const char *setup, const char *role, unsigned int payload, unsigned int packets,
                       const struct snap *a, const struct snap *b, const struct net_stack *s)
{
    char extra[96] = "";
    size_t n = 0;
    if (!strcmp(role, "send"))
        n += (size_t)snprintf(extra, sizeof(extra), " retries=%llu", (unsigned long long)(b->tx_full - a->tx_full));
    if (s->nif == virtio_net_netif())
        snprintf(extra + n, sizeof(extra) - n, " kicks=%llu irqs=%llu", (unsigned long long)(b->kicks - a->kicks),
                 (unsigned long long)(b->irqs - a->irqs));
    unsigned int frame = frame_of(payload);
    printk("NETBENCH setup=%s role=%s frame=%u payload=%u packets=%u bytes=%llu ns=%llu entries=%llu events=%llu%s\n",
           setup, role, frame, payload, packets, (unsigned long long)packets * frame, (unsigned long long)(b->ns - a->ns),
           (unsigned long long)(b->entries - a->entries), (unsigned long long)(b->events - a->events), extra);
}

/* Takes what came in and empties the socket; returns the datagrams it held that are exactly msg. */
static unsigned int drain(struct net_stack *s, int sock, const char *msg)
{
    static uint8_t buf[UDP_MAX_PAYLOAD];
    unsigned int matched = 0;
    net_poll(s, NET_SOCK_QLEN / 2);         /* never more than the socket can queue */
    uint32_t src;
    uint16_t sport;
    for (int n; (n = udp_recvfrom(s, sock, buf, sizeof(buf), &src, &sport)) >= 0;)
        matched += src == peer && (size_t)n == strlen(msg) && !memcmp(buf, msg, (size_t)n);
    return matched;
}

/* udp_sendto, spinning while the device's ring is full (each refusal is counted in tx_full). */
static int send_one(struct net_stack *s, int sock, const void *buf, size_t len)
{
    uint64_t deadline = clock_ns() + STALL_NS;
    int rc;
    while ((rc = udp_sendto(s, sock, peer, mode == SINK ? port : NETBENCH_PORT, buf, len)) == -NET_ENOSPC && clock_ns() < deadline) {
        net_poll(s, NET_SOCK_QLEN / 2);     /* what comes in meanwhile must not fill the device's rx ring */
        cpu_relax();
    }
    return rc;
}

/* SEND: hello every HELLO_EVERY_NS until the peer's ready (or PEER_WAIT_NS). */
static bool handshake(struct net_stack *s, int sock, const char *who)
{
    char hello[32];
    int len = snprintf(hello, sizeof(hello), HELLO "%s", who);
    uint64_t deadline = clock_ns() + PEER_WAIT_NS;
    while (clock_ns() < deadline) {
        send_one(s, sock, hello, (size_t)len);
        uint64_t next = clock_ns() + HELLO_EVERY_NS;
        while (clock_ns() < next) {
            if (drain(s, sock, READY))
                return true;
            s->nif->ops->wait(s->nif, next);
        }
    }
    return false;
}

static bool sender(struct net_stack *s, int sock, const char *who)
{
    char ip[16];
    ipv4_format(peer, ip);
    if (mode == SEND && !handshake(s, sock, who)) {
        printk("# netbench: %s never answered\n", ip);
        return false;
    }
    if (mode == SINK) {
        /* A datagram, untimed, and ARP's answer awaited: the first timed send must not wait for ARP. */
        send_one(s, sock, STOP, sizeof(STOP) - 1);
        uint64_t deadline = clock_ns() + PEER_WAIT_NS;
        while (!arp_cache_lookup(&s->arp, peer, clock_ns()) && clock_ns() < deadline) {
            drain(s, sock, STOP);
            s->nif->ops->wait(s->nif, clock_ns() + HELLO_EVERY_NS);
        }
        if (!arp_cache_lookup(&s->arp, peer, clock_ns())) {
            printk("# netbench: %s: no ARP answer\n", ip);
            return false;
        }
    }
    char setup[32];
    snprintf(setup, sizeof(setup), "%s_to_%s", who, mode == SINK ? "host" : "domu");
    static uint8_t buf[UDP_MAX_PAYLOAD];
    for (size_t k = 0; k < NR_SIZES; k++) {
        unsigned int payload = payloads[k];
        memset(buf, 0x5a, payload);
        struct snap a, b;
        take(&a, s);
        for (unsigned int i = 0; i < count; i++) {
            memcpy(buf, &i, sizeof(i));
            int rc = send_one(s, sock, buf, payload);
            if (rc) {
                printk("# netbench: %s: datagram %u of %u bytes not sent (%d)\n", ip, i, payload, rc);
                return false;
            }
            if (i % DRAIN_EVERY == DRAIN_EVERY - 1)
                drain(s, sock, READY);
        }
        int rc = s->nif->ops->flush(s->nif, clock_ns() + STALL_NS);
        take(&b, s);
        if (rc) {
            printk("# netbench: the device has not taken every frame after %llu s\n",
                   (unsigned long long)(STALL_NS / NSEC_PER_SEC));
            return false;
        }
        print_line(setup, "send", payload, count, &a, &b, s);
    }
    /*
     * A sink has nothing to stop. The receiver may still be working through its ring: stops, apart,
     * until it answers one (it then shuts down, and netback's copies into its revoked buffers would
     * fail: no more after the answer).
     */
    bool acked = mode == SINK;
    for (unsigned int i = 0; i < STOP_COPIES && !acked; i++) {
        send_one(s, sock, STOP, sizeof(STOP) - 1);
        uint64_t next = clock_ns() + STOP_EVERY_NS;
        while (!acked && clock_ns() < next) {
            acked = drain(s, sock, STOP) != 0;
            if (!acked)
                s->nif->ops->wait(s->nif, next);
        }
    }
    if (!acked)
        printk("# netbench: %s did not answer the stop\n", ip);
    return true;
}

/* RECV: per size, the datagrams that arrived, and the counters at the first and the last. */
static bool receiver(struct net_stack *s, int sock, const char *who)
{
    static uint8_t buf[UDP_MAX_PAYLOAD];
    struct snap first[NR_SIZES], last[NR_SIZES];
    unsigned int got[NR_SIZES] = { 0 };
    char from[16] = "", setup[32];
    bool stopped = false, heard = false;
    uint64_t deadline = clock_ns() + PEER_WAIT_NS;
    printk("# netbench: receiving on port %u\n", NETBENCH_PORT);
    while (!stopped && clock_ns() < deadline) {
        if (net_poll(s, NET_SOCK_QLEN / 2) == 0) {
            s->nif->ops->wait(s->nif, MIN(deadline, clock_ns() + HELLO_EVERY_NS));
            continue;
        }
        uint32_t src;
        uint16_t sport;
        for (int n; !stopped && (n = udp_recvfrom(s, sock, buf, sizeof(buf), &src, &sport)) >= 0;) {
            size_t len = (size_t)n;
            if (len > sizeof(HELLO) - 1 && len < sizeof(HELLO) + 8 && !memcmp(buf, HELLO, sizeof(HELLO) - 1)) {
                if (!heard)
                    memcpy(from, buf + sizeof(HELLO) - 1, len - (sizeof(HELLO) - 1));
                heard = true;
                peer = src;
                udp_sendto(s, sock, src, sport, READY, sizeof(READY) - 1);
                deadline = clock_ns() + IDLE_NS;
                continue;
            }
            if (!heard || src != peer)
                continue;
            deadline = clock_ns() + IDLE_NS;
            stopped = len == sizeof(STOP) - 1 && !memcmp(buf, STOP, len);
            if (stopped)        /* the answer: the sender sends no more stops */
                udp_sendto(s, sock, src, sport, STOP, sizeof(STOP) - 1);
            for (size_t k = 0; k < NR_SIZES; k++)
                if (len == payloads[k])
                    take(got[k]++ ? &last[k] : &first[k], s);
        }
    }
    if (!stopped) {
        printk("# netbench: %s\n", heard ? "the sender went quiet before its stop" : "no sender");
        return false;
    }
    snprintf(setup, sizeof(setup), "%s_to_%s", from, who);
    bool ok = true;
    for (size_t k = 0; k < NR_SIZES; k++) {
        if (got[k] < 2) {
            printk("# netbench: %u datagrams of %u bytes arrived: too few to time\n", got[k], payloads[k]);
            ok = false;
            continue;
        }
        print_line(setup, "recv", payloads[k], got[k], &first[k], &last[k], s);
    }
    return ok;
}

bool netbench_run_if_requested(void)
{
    if (mode == OFF)
        return true;
    struct net_stack *s = net_get();
    if (!s) {
        printk("# netbench: no network (ip= and a device are needed)\n");
        printk("# netbench: FAILED\n");
        return false;
    }
    int sock = udp_open(s, NETBENCH_PORT);
    if (sock < 0) {
        printk("# netbench: cannot bind port %u (%d)\n", NETBENCH_PORT, sock);
        printk("# netbench: FAILED\n");
        return false;
    }
    const char *who = kind(s);
    printk("NETBENCHINFO setup=%s mode=%s count=%u port=%u dev=%s\n", who,
           mode == RECV ? "recv" : mode == SEND ? "send" : "sink", count, mode == SINK ? port : NETBENCH_PORT,
           s->nif->name);
    bool ok = mode == RECV ? receiver(s, sock, who) : sender(s, sock, who);
    /* The last stop or its answer must leave before the domain or machine goes. */
    if (s->nif->ops->flush(s->nif, clock_ns() + STALL_NS))
        printk("# netbench: the device has not sent every frame after %llu s\n",
               (unsigned long long)(STALL_NS / NSEC_PER_SEC));
    udp_close(s, sock);
    net_print_counters("netbench");
    printk("# netbench: %s\n", ok ? "done" : "FAILED");
    return ok;
}
