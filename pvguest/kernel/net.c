/*
 * The network in the kernel: options ip=a.b.c.d/n and gw=a.b.c.d bring the
 * stack (net/stack.c) up on the paravirtual device (netfront, in a PV domU
 * with a vif) or else the virtio-net device, unless netback took that one
 * for its bridge. After the self-tests, ping=a.b.c.d pings that address
 * PING_COUNT times and goes on answering pings until it has answered as
 * many (two domains that ping each other both finish), and udpecho=yes runs
 * the UDP echo service (RFC 862, port 7) until a datagram whose whole
 * payload is UDPECHO_STOP arrives (it is echoed too), so a host test can end
 * the kernel when it has its answers, or the toolstack asks the domain to
 * power off. udpsoak=a.b.c.d (the driver-domain soak) sends a datagram to
 * that echo service every UDPSOAK_GAP_NS until the toolstack asks the domain
 * to power off, counting the echoes and each time they resume after a
 * silence (the bridge's domain restarted), then sends UDPECHO_STOP.
 */
#include <net/service.h>
#include <cmdline.h>
#include <paravirt.h>
#include <virtio_net.h>

#define UDPECHO_PORT        7
#define UDPECHO_STOP        "pvguest-udpecho-stop"
#define UDPECHO_IDLE_NS     (100 * NSEC_PER_MSEC)     /* a wait for frames lasts at most this */
#define SEND_RETRY_NS       (1 * NSEC_PER_SEC)        /* a full transmit ring is retried this long */
#define PING_COUNT          10                        /* default of pings= */
#define PING_GAP_NS         (10 * NSEC_PER_MSEC)      /* between one answer and the next request, as ping -i 0.01 */
#define PING_DATA           56                        /* data bytes an echo request carries, as ping(8)'s */
#define PING_REPLY_NS       (1 * NSEC_PER_SEC)        /* a request unanswered this long is lost */
#define PING_TRIES          3                         /* times a lost request is sent */
#define PING_PEER_NS        (20 * NSEC_PER_SEC)       /* the peer's pings are awaited this long */
#define PING_ID             0x7076                    /* "pv" */

#define UDPSOAK_GAP_NS      (20 * NSEC_PER_MSEC)      /* between udpsoak's datagrams */
#define UDPSOAK_SILENCE_NS  (50 * NSEC_PER_MSEC)      /* no echo this long (2.5 datagrams' worth): an outage */

static uint32_t opt_ip, opt_mask, opt_gw, opt_ping, opt_pings = PING_COUNT, opt_udpsoak;
static bool opt_udpecho;
static struct net_stack the_stack;
static bool up;

static bool set_ip(const char *v) { return ipv4_parse_cidr(v, &opt_ip, &opt_mask); }
KERNEL_OPTION("ip", set_ip);
static bool set_gw(const char *v) { return ipv4_parse(v, &opt_gw); }
KERNEL_OPTION("gw", set_gw);
static bool set_udpecho(const char *v)
{
    if (v && !strcmp(v, "yes"))
        opt_udpecho = true;
    else if (v && !strcmp(v, "no"))
        opt_udpecho = false;
    else
        return false;
    return true;
}
KERNEL_OPTION("udpecho", set_udpecho);
static bool set_udpsoak(const char *v) { return ipv4_parse(v, &opt_udpsoak); }
KERNEL_OPTION("udpsoak", set_udpsoak);
static bool set_ping(const char *v) { return ipv4_parse(v, &opt_ping); }
KERNEL_OPTION("ping", set_ping);
static bool set_pings(const char *v)
{
    unsigned int n = 0;
    for (; v && *v >= '0' && *v <= '9' && n < 100000; v++)
        n = n * 10 + (unsigned int)(*v - '0');
    if (!v || *v || !n || n > 10000)
        return false;
    opt_pings = n;
    return true;
}
KERNEL_OPTION("pings", set_pings);

struct net_stack *net_get(void) { return up ? &the_stack : NULL; }

static uint64_t net_clock(void) { return clock_ns(); }

void net_start(void)
{
    /* The vif may come a while after boot (the toolstack writes it): waited for only when ip= asks for a network. */
    struct netif *nif = opt_ip && pv_ops.machine->net_device ? pv_ops.machine->net_device() : NULL;
    if (!nif && (nif = virtio_net_netif()) && nif->rx_notify) {
        printk("net: %s belongs to netback's bridge: no stack of ours on it\n", nif->name);
        nif = NULL;
    }
    if (!opt_ip) {
        if (nif)
            printk("net: %s present, no address (ip=a.b.c.d/n)\n", nif->name);
        return;
    }
    if (!nif) {
        warn("net: ip= given but there is no network device");
        return;
    }
    net_init(&the_stack, nif, net_clock, opt_ip, opt_mask, opt_gw);
    up = true;
    char ip[16], gw[16];
    ipv4_format(opt_ip, ip);
    ipv4_format(opt_gw, gw);
    unsigned int bits = 32 - (unsigned int)__builtin_ctz(opt_mask);
    printk("net: %s/%u%s%s on %s\n", ip, bits, opt_gw ? " gateway " : "", opt_gw ? gw : "", nif->name);
}

void net_print_counters(const char *when)
{
    if (!up)
        return;
    char line[640];
    size_t n = 0;
    const uint64_t *c = (const uint64_t *)&the_stack.ctr;
    for (size_t i = 0; i < NET_NR_COUNTERS; i++)
        if (c[i] && n < sizeof(line))
            n += (size_t)snprintf(line + n, sizeof(line) - n, " %s=%llu", net_counter_names[i], (unsigned long long)c[i]);
    printk("net: counters (%s):%s\n", when, n ? line : " none");
    const struct netif_stats *d = &the_stack.nif->stats;
    printk("net: %s: rx_frames=%llu rx_bytes=%llu rx_bad=%llu tx_frames=%llu tx_bytes=%llu tx_full=%llu tx_bad=%llu\n",
           the_stack.nif->name, (unsigned long long)d->rx_frames, (unsigned long long)d->rx_bytes,
           (unsigned long long)d->rx_bad, (unsigned long long)d->tx_frames, (unsigned long long)d->tx_bytes,
           (unsigned long long)d->tx_full, (unsigned long long)d->tx_bad);
}

/* udp_sendto, retrying while the device's ring is full (each refusal is counted as tx_dropped). */
static int send_retrying(struct net_stack *s, int sock, uint32_t dst, uint16_t port, const void *buf, size_t len)
{
    uint64_t deadline = clock_ns() + SEND_RETRY_NS;
    int rc;
    while ((rc = udp_sendto(s, sock, dst, port, buf, len)) == -NET_ENOSPC && clock_ns() < deadline)
        cpu_relax();
    return rc;
}

static bool shutdown_asked(void)
{
    return pv_ops.machine->shutdown_requested && pv_ops.machine->shutdown_requested();
}

static void udpecho(struct net_stack *s)
{
    int sock = udp_open(s, UDPECHO_PORT);
    if (sock < 0) {
        warn("udpecho: cannot bind port %u (%d)", UDPECHO_PORT, sock);
        return;
    }
    static uint8_t buf[UDP_MAX_PAYLOAD];
    uint64_t echoed = 0, failed = 0, first = 0, last = 0;
    char ip[16];
    ipv4_format(s->ip, ip);
    printk("udpecho: listening on %s:%u\n", ip, UDPECHO_PORT);
    for (bool stop = false; !stop && !shutdown_asked();) {
        if (net_poll(s, NET_SOCK_QLEN / 2) == 0) {     /* never more than the socket can queue */
            s->nif->ops->wait(s->nif, clock_ns() + UDPECHO_IDLE_NS);
            continue;
        }
        uint32_t src;
        uint16_t sport;
        for (int n; !stop && (n = udp_recvfrom(s, sock, buf, sizeof(buf), &src, &sport)) >= 0;) {
            stop = (size_t)n == sizeof(UDPECHO_STOP) - 1 && !memcmp(buf, UDPECHO_STOP, (size_t)n);
            if (send_retrying(s, sock, src, sport, buf, (size_t)n)) {
                failed++;
                continue;
            }
            last = clock_ns();
            if (!echoed++)
                first = last;
        }
    }
    udp_close(s, sock);
    uint64_t us = (last - first) / NSEC_PER_USEC;
    printk("udpecho: stopped: %llu datagrams echoed (%llu not sent) in %llu.%03llu s of guest time\n",
           (unsigned long long)echoed, (unsigned long long)failed, (unsigned long long)(us / 1000000),
           (unsigned long long)(us / 1000 % 1000));
}

/*
 * udpsoak=: a numbered datagram to opt_udpsoak's echo service every
 * UDPSOAK_GAP_NS until the toolstack asks us to power off; echoes are counted
 * (their number checked) and each return after UDPSOAK_SILENCE_NS without
 * one is an outage, printed with its length. Then UDPECHO_STOP, a few times.
 * True if echoes came back after the last outage (traffic carried on).
 */
static bool udpsoak(struct net_stack *s)
{
    int sock = udp_open(s, 0x7073);         /* "ps": any free port would do */
    if (sock < 0) {
        warn("udpsoak: cannot bind a port (%d)", sock);
        return false;
    }
    char ip[16];
    ipv4_format(opt_udpsoak, ip);
    printk("udpsoak: a datagram to %s:%u every %llu ms until told to stop\n", ip, UDPECHO_PORT,
           (unsigned long long)(UDPSOAK_GAP_NS / NSEC_PER_MSEC));
    uint64_t sent = 0, echoed = 0, bad = 0, unsent = 0, last_echo = clock_ns();
    unsigned int outages = 0;
    uint64_t longest = 0;
    bool silent = false;
    while (!shutdown_asked()) {
        uint64_t seq = sent + 1;
        if (udp_sendto(s, sock, opt_udpsoak, UDPECHO_PORT, &seq, sizeof(seq)))
            unsent++;
        else
            sent = seq;
        uint64_t deadline = clock_ns() + UDPSOAK_GAP_NS;
        while (clock_ns() < deadline) {
            if (net_poll(s, NET_SOCK_QLEN / 2) == 0)
                s->nif->ops->wait(s->nif, deadline);
            uint64_t got;
            uint32_t src;
            uint16_t sport;
            for (int n; (n = udp_recvfrom(s, sock, &got, sizeof(got), &src, &sport)) >= 0;) {
                if (n != sizeof(got) || src != opt_udpsoak || !got || got > sent) {
                    bad++;
                    continue;
                }
                uint64_t now = clock_ns();
                if (silent) {
                    uint64_t ms = (now - last_echo) / NSEC_PER_MSEC;
                    longest = MAX(longest, ms);
                    printk("udpsoak: echoes back after %llu ms of silence (outage %u)\n", (unsigned long long)ms,
                           ++outages);
                    silent = false;
                }
                echoed++;
                last_echo = now;
            }
        }
        if (!silent && clock_ns() - last_echo > UDPSOAK_SILENCE_NS)
            silent = true;
    }
    bool carried_on = !silent && echoed;
    for (unsigned int i = 0; i < 3; i++)
        udp_sendto(s, sock, opt_udpsoak, UDPECHO_PORT, UDPECHO_STOP, sizeof(UDPECHO_STOP) - 1);
    udp_close(s, sock);
    printk("udpsoak: %llu sent (%llu not sent), %llu echoed, %llu bad; %u outages, longest %llu ms; %s\n",
           (unsigned long long)sent, (unsigned long long)unsent, (unsigned long long)echoed, (unsigned long long)bad,
           outages, (unsigned long long)longest, carried_on ? "traffic carried on after the last" :
           "silent at the end");
    return carried_on && !bad;
}

/* Polls (answering whatever comes) until deadline. */
static void poll_until(struct net_stack *s, uint64_t deadline)
{
    while (clock_ns() < deadline)
        if (net_poll(s, NET_SOCK_QLEN) == 0)
            s->nif->ops->wait(s->nif, MIN(deadline, clock_ns() + UDPECHO_IDLE_NS));
}

/*
 * ping=: pings= (PING_COUNT) echo requests to opt_ping, one at a time, PING_GAP_NS apart, each awaited
 * PING_REPLY_NS and sent again up to PING_TRIES times (a flood elsewhere on
 * the bridge may fill our ring: each retry is counted); the stack is polled
 * meanwhile, so the peer's pings are answered too. Then polls until as
 * many of the peer's pings have come in (at most PING_PEER_NS). True if
 * every request was answered intact.
 */
static bool ping_peer(struct net_stack *s)
{
    char ip[16];
    ipv4_format(opt_ping, ip);
    uint8_t data[PING_DATA];
    unsigned int answered = 0, retried = 0;
    uint64_t rtt_min = UINT64_MAX, rtt_max = 0, rtt_sum = 0;
    for (uint16_t seq = 1; seq <= opt_pings; seq++) {
        if (seq > 1)
            poll_until(s, clock_ns() + PING_GAP_NS);
        for (unsigned int i = 0; i < sizeof(data); i++)
            data[i] = (uint8_t)(seq * 31 + i);
        bool got = false;
        for (unsigned int try = 0; try < PING_TRIES && !got; try++) {
            retried += try > 0;
            uint64_t count = s->echo.count, sent = clock_ns(), deadline = sent + PING_REPLY_NS;
            int rc = net_ping(s, opt_ping, PING_ID, seq, data, sizeof(data));
            if (rc)
                printk("ping: %s: request %u not sent (%d)\n", ip, seq, rc);
            while (!rc && !got && clock_ns() < deadline) {
                if (net_poll(s, NET_SOCK_QLEN) == 0)
                    s->nif->ops->wait(s->nif, MIN(deadline, clock_ns() + UDPECHO_IDLE_NS));
                got = s->echo.count != count && s->echo.src == opt_ping && s->echo.id == PING_ID &&
                      s->echo.seq == seq && s->echo.len == sizeof(data) && !memcmp(s->echo.data, data, sizeof(data));
            }
            if (got) {
                uint64_t rtt = clock_ns() - sent;
                answered++;
                rtt_sum += rtt;
                rtt_min = MIN(rtt_min, rtt);
                rtt_max = MAX(rtt_max, rtt);
            }
        }
    }
    uint64_t peer_deadline = clock_ns() + PING_PEER_NS;
    while (s->ctr.icmp_echo_in < opt_pings && clock_ns() < peer_deadline)
        if (net_poll(s, NET_SOCK_QLEN) == 0)
            s->nif->ops->wait(s->nif, clock_ns() + UDPECHO_IDLE_NS);
    printk("ping: %s: %u of %u answered (%u retried), rtt min/avg/max %llu/%llu/%llu us; %llu pings answered here\n",
           ip, answered, opt_pings, retried, (unsigned long long)(answered ? rtt_min / NSEC_PER_USEC : 0),
           (unsigned long long)(answered ? rtt_sum / answered / NSEC_PER_USEC : 0),
           (unsigned long long)(rtt_max / NSEC_PER_USEC), (unsigned long long)s->ctr.icmp_echo_in);
    return answered == opt_pings;
}

bool net_run_services(void)
{
    if (!opt_udpecho && !opt_ping && !opt_udpsoak)
        return true;
    if (!up) {
        warn("net: no network for ping=, udpecho= or udpsoak= (ip= and a device are needed)");
        return false;
    }
    bool ok = !opt_ping || ping_peer(&the_stack);
    if (opt_udpecho)
        udpecho(&the_stack);
    if (opt_udpsoak)
        ok &= udpsoak(&the_stack);
    /* The last answers must leave before the domain or machine goes (natively QEMU exits at once). */
    if (the_stack.nif->ops->flush(the_stack.nif, clock_ns() + SEND_RETRY_NS))
        warn("net: the device has not sent every frame after 1 s");
    if (the_stack.nif == virtio_net_netif()) {
        uint64_t irqs, sleeps, rxk, txk;
        bool irq;
        virtio_net_irq_stats(&irqs, &sleeps, &irq);
        virtio_net_kicks(&rxk, &txk);
        printk("virtio-net: %llu interrupts, %llu waits slept, doorbells %llu rx %llu tx\n", (unsigned long long)irqs,
               (unsigned long long)sleeps, (unsigned long long)rxk, (unsigned long long)txk);
    }
    net_print_counters(opt_udpecho ? "udpecho" : "ping");
    return ok;
}
