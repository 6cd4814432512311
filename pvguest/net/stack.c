/* The IPv4 stack: Ethernet demultiplexing, ARP, IPv4 in and out, ICMP echo, UDP sockets. */
#include <net/net.h>
#include <lib/string.h>

#define IP_OFF  ETH_HLEN
#define L4_OFF  (ETH_HLEN + sizeof(struct ipv4_hdr))

const char *const net_counter_names[] = {
#define NET_COUNTER_NAME(n) #n,
    NET_COUNTERS(NET_COUNTER_NAME)
#undef NET_COUNTER_NAME
};
_Static_assert(sizeof(net_counter_names) / sizeof(net_counter_names[0]) == NET_NR_COUNTERS, "a name per counter");

static const uint8_t mac_bcast[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t mac_zero[ETH_ALEN];

void net_init(struct net_stack *s, struct netif *nif, uint64_t (*now)(void), uint32_t ip, uint32_t mask, uint32_t gw)
{
    memset(s, 0, sizeof(*s));
    s->nif = nif;
    s->now = now;
    s->ip = ip;
    s->mask = mask;
    s->gw = gw;
    arp_cache_init(&s->arp);
}

static uint32_t subnet_bcast(const struct net_stack *s) { return (s->ip & s->mask) | ~s->mask; }

/* Pads and hands s->tx's first len bytes to the device. */
static int frame_send(struct net_stack *s, size_t len)
{
    if (len < NET_MIN_FRAME) {
        memset(s->tx + len, 0, NET_MIN_FRAME - len);
        len = NET_MIN_FRAME;
    }
    int rc = s->nif->ops->send(s->nif, s->tx, len);
    if (rc) {
        s->ctr.tx_dropped++;
        return -NET_ENOSPC;
    }
    s->ctr.tx_frames++;
    return 0;
}

static int arp_send(struct net_stack *s, uint16_t oper, const uint8_t *dst_mac, const uint8_t *tha, uint32_t tpa)
{
    eth_build(s->tx, dst_mac, s->nif->mac, ETHERTYPE_ARP);
    arp_build(s->tx + ETH_HLEN, oper, s->nif->mac, s->ip, tha, tpa);
    if (oper == ARP_REQUEST)
        s->ctr.arp_requests_out++;
    else
        s->ctr.arp_replies_out++;
    return frame_send(s, ETH_HLEN + sizeof(struct arp_pkt));
}

/* Sends a datagram an entry held now that its address resolved. */
static void send_held(struct net_stack *s, struct arp_entry *e)
{
    if (!e->held_len)
        return;
    eth_build(s->tx, e->mac, s->nif->mac, ETHERTYPE_IPV4);
    memcpy(s->tx + IP_OFF, e->held, e->held_len);
    size_t len = ETH_HLEN + e->held_len;
    e->held_len = 0;
    frame_send(s, len);
}

/*
 * Sends the IPv4 datagram whose payload of len bytes is at s->tx + L4_OFF:
 * header, next hop, link address (held for ARP if unknown).
 */
static int ip_output(struct net_stack *s, uint32_t dst, uint8_t proto, size_t len)
{
    if (len > IP_MAX_PAYLOAD)
        return -NET_EMSGSIZE;
    ipv4_build(s->tx + IP_OFF, s->ip, dst, proto, s->ip_id++, len);
    s->ctr.ip_out++;
    size_t dlen = sizeof(struct ipv4_hdr) + len;
    if (dst == 0xffffffffu || dst == subnet_bcast(s)) {
        eth_build(s->tx, mac_bcast, s->nif->mac, ETHERTYPE_IPV4);
        return frame_send(s, ETH_HLEN + dlen);
    }
    uint32_t hop = (dst & s->mask) == (s->ip & s->mask) ? dst : s->gw;
    if (hop == 0) {
        s->ctr.no_route++;
        return -NET_EHOSTUNREACH;
    }
    uint64_t now = s->now();
    struct arp_entry *e = arp_cache_find(&s->arp, hop, now);
    if (e && e->state == ARP_RESOLVED) {
        eth_build(s->tx, e->mac, s->nif->mac, ETHERTYPE_IPV4);
        return frame_send(s, ETH_HLEN + dlen);
    }
    /* Unresolved: hold this datagram (one per address, the newest: RFC 1122 2.3.2.2) and ask. */
    if (!e) {
        unsigned int evicted = 0;
        e = arp_cache_alloc(&s->arp, hop, now, &evicted);
        if (evicted)
            s->ctr.arp_held_dropped++;
    } else if (e->held_len) {
        s->ctr.arp_held_dropped++;
    }
    memcpy(e->held, s->tx + IP_OFF, dlen);
    e->held_len = (uint16_t)dlen;
    if (e->tries == 0 || now - e->when >= ARP_RETRY_NS) {
        e->tries++;
        e->when = now;
        arp_send(s, ARP_REQUEST, mac_bcast, mac_zero, hop);
    }
    return 0;
}

void net_tick(struct net_stack *s)
{
    uint64_t now = s->now();
    for (unsigned int i = 0; i < ARP_CACHE_SIZE; i++) {
        struct arp_entry *e = &s->arp.e[i];
        if (e->state != ARP_PENDING || now - e->when < ARP_RETRY_NS)
            continue;
        if (e->tries >= ARP_MAX_TRIES) {
            s->ctr.arp_failed++;
            arp_entry_free(e);
            continue;
        }
        e->tries++;
        e->when = now;
        arp_send(s, ARP_REQUEST, mac_bcast, mac_zero, e->ip);
    }
}

static void arp_input(struct net_stack *s, const uint8_t *p, size_t len)
{
    const struct arp_pkt *a;
    if (arp_parse(p, len, &a) < 0) {
        s->ctr.arp_bad++;
        return;
    }
    uint32_t spa = be32(a->spa), tpa = be32(a->tpa);
    /* A sender claiming a special address, ours, or a multicast MAC is not learnt from or answered. */
    if (ipv4_is_martian_src(spa) || spa == s->ip || spa == subnet_bcast(s) || mac_is_multicast(a->sha)) {
        s->ctr.arp_bad++;
        return;
    }
    bool request = be16(a->oper) == ARP_REQUEST;
    if (request)
        s->ctr.arp_requests_in++;
    else
        s->ctr.arp_replies_in++;
    /* RFC 826: update a known sender; learn it if the packet is for us. */
    uint64_t now = s->now();
    struct arp_entry *e = arp_cache_find(&s->arp, spa, now);
    if (!e && tpa == s->ip) {
        unsigned int evicted = 0;
        e = arp_cache_alloc(&s->arp, spa, now, &evicted);
        if (evicted)
            s->ctr.arp_held_dropped++;
    }
    if (e) {
        arp_entry_resolve(e, a->sha, now);
        send_held(s, e);
    }
    if (request && tpa == s->ip) {
        arp_send(s, ARP_REPLY, a->sha, a->sha, spa);   /* a is in the received frame, not in s->tx */
    }
}

static void icmp_input(struct net_stack *s, uint32_t src, bool to_bcast, const uint8_t *p, size_t len)
{
    const struct icmp_echo *e;
    int data = icmp_parse_echo(p, len, &e);
    if (data < 0) {
        s->ctr.icmp_bad++;
        return;
    }
    if (e->type == ICMP_ECHO_REPLY) {
        s->ctr.icmp_echo_replies_in++;
        struct net_echo_reply *r = &s->echo;
        r->count++;
        r->src = src;
        r->id = be16(e->id);
        r->seq = be16(e->seq);
        r->len = (uint16_t)data;
        memcpy(r->data, p + sizeof(*e), (size_t)data < sizeof(r->data) ? (size_t)data : sizeof(r->data));
        return;
    }
    s->ctr.icmp_echo_in++;
    if (to_bcast || len > IP_MAX_PAYLOAD) {     /* no answers to broadcast pings (as Linux by default) */
        s->ctr.icmp_ignored++;
        return;
    }
    uint8_t *r = s->tx + L4_OFF;
    memmove(r, p, len);
    r[0] = ICMP_ECHO_REPLY;
    put_be16(r + 2, 0);
    put_be16(r + 2, inet_fold(inet_sum(r, len, 0)));
    ip_output(s, src, IPPROTO_ICMP, len);
}

static void udp_input(struct net_stack *s, uint32_t src, uint32_t dst, const uint8_t *p, size_t len)
{
    const struct udp_hdr *u;
    const uint8_t *data;
    int n = udp_parse(p, len, src, dst, &u, &data);
    if (n < 0 || (size_t)n > UDP_MAX_PAYLOAD) {     /* the second cannot happen in a frame of ETH_FRAME_MAX */
        s->ctr.udp_bad++;
        return;
    }
    s->ctr.udp_in++;
    uint16_t dport = be16(u->dst_port);
    struct udp_sock *k = NULL;
    for (unsigned int i = 0; i < NET_MAX_SOCKS && !k; i++)
        if (s->sock[i].open && s->sock[i].port == dport)
            k = &s->sock[i];
    if (!k) {
        s->ctr.udp_no_port++;                   /* no ICMP port unreachable is sent */
        return;
    }
    if (k->count == NET_SOCK_QLEN) {
        s->ctr.udp_queue_full++;
        return;
    }
    struct udp_dgram *d = &k->q[(k->head + k->count) % NET_SOCK_QLEN];
    d->src = src;
    d->sport = be16(u->src_port);
    d->len = (uint16_t)n;
    memcpy(d->data, data, (size_t)n);
    k->count++;
}

static void ipv4_input(struct net_stack *s, const uint8_t *p, size_t len)
{
    const struct ipv4_hdr *h;
    const uint8_t *payload;
    bool frag;
    int n = ipv4_parse_hdr(p, len, &h, &payload, &frag);
    if (n < 0) {
        s->ctr.ip_bad++;
        return;
    }
    s->ctr.ip_in++;
    if (frag) {
        s->ctr.ip_fragments++;
        return;
    }
    uint32_t src = be32(h->src), dst = be32(h->dst);
    bool bcast = dst == 0xffffffffu || dst == subnet_bcast(s);
    if (dst != s->ip && !bcast) {
        s->ctr.ip_not_for_us++;
        return;
    }
    if (ipv4_is_martian_src(src) || src == s->ip || src == subnet_bcast(s)) {
        s->ctr.ip_bad_src++;
        return;
    }
    if (h->proto == IPPROTO_ICMP)
        icmp_input(s, src, bcast, payload, (size_t)n);
    else if (h->proto == IPPROTO_UDP)
        udp_input(s, src, dst, payload, (size_t)n);
    else
        s->ctr.ip_unknown_proto++;
}

void net_input(void *stack, const uint8_t *frame, size_t len)
{
    struct net_stack *s = stack;
    const struct eth_hdr *h;
    const uint8_t *payload;
    s->ctr.rx_frames++;
    int n = eth_parse(frame, len, &h, &payload);
    if (n < 0) {
        s->ctr.eth_bad++;
        return;
    }
    if (mac_is_multicast(h->src)) {
        s->ctr.eth_bad_src++;
        return;
    }
    if (memcmp(h->dst, s->nif->mac, ETH_ALEN) && !mac_is_broadcast(h->dst)) {
        s->ctr.eth_not_for_us++;
        return;
    }
    uint16_t type = be16(h->type);
    if (type == ETHERTYPE_ARP)
        arp_input(s, payload, (size_t)n);
    else if (type == ETHERTYPE_IPV4)
        ipv4_input(s, payload, (size_t)n);
    else
        s->ctr.eth_unknown_type++;
}

unsigned int net_poll(struct net_stack *s, unsigned int budget)
{
    unsigned int n = s->nif->ops->poll(s->nif, net_input, s, budget);
    net_tick(s);
    return n;
}

int net_ping(struct net_stack *s, uint32_t dst, uint16_t id, uint16_t seq, const void *data, size_t len)
{
    if (len > IP_MAX_PAYLOAD - sizeof(struct icmp_echo))
        return -NET_EMSGSIZE;
    uint8_t *p = s->tx + L4_OFF;
    struct icmp_echo *e = (struct icmp_echo *)p;
    e->type = ICMP_ECHO_REQUEST;
    e->code = 0;
    put_be16(e->csum, 0);
    put_be16(e->id, id);
    put_be16(e->seq, seq);
    memcpy(p + sizeof(*e), data, len);
    put_be16(e->csum, inet_fold(inet_sum(p, sizeof(*e) + len, 0)));
    return ip_output(s, dst, IPPROTO_ICMP, sizeof(*e) + len);
}

static struct udp_sock *sock_get(struct net_stack *s, int sock)
{
    return sock >= 0 && sock < NET_MAX_SOCKS && s->sock[sock].open ? &s->sock[sock] : NULL;
}

int udp_open(struct net_stack *s, uint16_t port)
{
    if (port == 0)
        return -NET_EINVAL;
    int free = -1;
    for (int i = 0; i < NET_MAX_SOCKS; i++) {
        if (s->sock[i].open && s->sock[i].port == port)
            return -NET_EADDRINUSE;
        if (!s->sock[i].open && free < 0)
            free = i;
    }
    if (free < 0)
        return -NET_ENOSPC;
    struct udp_sock *k = &s->sock[free];
    k->open = true;
    k->port = port;
    k->head = k->count = 0;
    return free;
}

void udp_close(struct net_stack *s, int sock)
{
    struct udp_sock *k = sock_get(s, sock);
    if (k)
        k->open = false;
}

int udp_sendto(struct net_stack *s, int sock, uint32_t dst, uint16_t dport, const void *buf, size_t len)
{
    struct udp_sock *k = sock_get(s, sock);
    if (!k || dport == 0)
        return -NET_EINVAL;
    if (len > UDP_MAX_PAYLOAD)
        return -NET_EMSGSIZE;
    uint8_t *u = s->tx + L4_OFF;
    memmove(u + sizeof(struct udp_hdr), buf, len);     /* buf may be a received datagram's bytes */
    udp_build(u, s->ip, dst, k->port, dport, len);
    return ip_output(s, dst, IPPROTO_UDP, sizeof(struct udp_hdr) + len);
}

int udp_recvfrom(struct net_stack *s, int sock, void *buf, size_t cap, uint32_t *src, uint16_t *sport)
{
    struct udp_sock *k = sock_get(s, sock);
    if (!k)
        return -NET_EINVAL;
    if (k->count == 0)
        return -NET_EAGAIN;
    struct udp_dgram *d = &k->q[k->head];
    size_t n = d->len < cap ? d->len : cap;
    memcpy(buf, d->data, n);
    *src = d->src;
    *sport = d->sport;
    k->head = (k->head + 1) % NET_SOCK_QLEN;
    k->count--;
    return (int)n;
}
