/*
 * The network in the kernel: options ip=a.b.c.d/n and gw=a.b.c.d bring the
 * stack (net/stack.c) up on the virtio-net device; udpecho=yes runs the UDP
 * echo service (RFC 862, port 7) after the self-tests, until a datagram
 * whose whole payload is UDPECHO_STOP arrives (it is echoed too), so a
 * host test can end the kernel when it has its answers.
 */
#include <net/service.h>
#include <cmdline.h>
#include <paravirt.h>
#include <virtio_net.h>

#define UDPECHO_PORT        7
#define UDPECHO_STOP        "pvguest-udpecho-stop"
#define UDPECHO_IDLE_NS     (100 * NSEC_PER_MSEC)     /* a wait for frames lasts at most this */
#define SEND_RETRY_NS       (1 * NSEC_PER_SEC)        /* a full transmit ring is retried this long */

static uint32_t opt_ip, opt_mask, opt_gw;
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

struct net_stack *net_get(void) { return up ? &the_stack : NULL; }

static uint64_t net_clock(void) { return clock_ns(); }

void net_start(void)
{
    struct netif *nif = virtio_net_netif();
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
    for (bool stop = false; !stop;) {
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
    /* The stop's echo must leave before the machine powers off (natively QEMU exits at once). */
    if (s->nif->ops->flush(s->nif, clock_ns() + SEND_RETRY_NS))
        warn("udpecho: the device has not sent every answer after 1 s");
    uint64_t us = (last - first) / NSEC_PER_USEC;
    printk("udpecho: stopped: %llu datagrams echoed (%llu not sent) in %llu.%03llu s of guest time\n",
           (unsigned long long)echoed, (unsigned long long)failed, (unsigned long long)(us / 1000000),
           (unsigned long long)(us / 1000 % 1000));
}

void net_run_services(void)
{
    if (!opt_udpecho)
        return;
    if (!up) {
        warn("udpecho: no network (ip= and a device are needed)");
        return;
    }
    udpecho(&the_stack);
    uint64_t irqs, sleeps, rxk, txk;
    bool irq;
    virtio_net_irq_stats(&irqs, &sleeps, &irq);
    virtio_net_kicks(&rxk, &txk);
    printk("virtio-net: %llu interrupts, %llu waits slept, doorbells %llu rx %llu tx\n", (unsigned long long)irqs,
           (unsigned long long)sleeps, (unsigned long long)rxk, (unsigned long long)txk);
    net_print_counters("udpecho");
}
