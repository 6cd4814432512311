/*
 * Host tests of pvguest's IP stack (pvguest/net/proto.c, arp_cache.c,
 * stack.c), compiled unchanged: each header parsed and built, checksums,
 * addresses, the ARP cache, and the whole stack over a fake interface that
 * records what it sends, with malformed input of every kind and a random
 * mutation run (each frame must be dropped and counted, never crash).
 */
#include <net/net.h>
#include "unit.h"

/* ---- a fake interface and clock ---- */

#define MAX_SENT 16
static uint8_t sent[MAX_SENT][ETH_FRAME_MAX];
static size_t sent_len[MAX_SENT];
static unsigned int nr_sent;
static bool ring_full;
static uint64_t now_ns;

static int fake_send(struct netif *nif, const void *frame, size_t len)
{
    (void)nif;
    assert_true(len >= NET_MIN_FRAME && len <= ETH_FRAME_MAX);
    if (ring_full || nr_sent == MAX_SENT)
        return -NET_ENOSPC;
    memcpy(sent[nr_sent], frame, len);
    sent_len[nr_sent++] = len;
    return 0;
}

static unsigned int fake_poll(struct netif *nif, netif_rx_fn fn, void *arg, unsigned int budget)
{
    (void)nif, (void)fn, (void)arg, (void)budget;
    return 0;
}

static const struct netif_ops fake_ops = { .send = fake_send, .poll = fake_poll };    /* the stack calls no other */
static struct netif fake_nif = { .ops = &fake_ops, .name = "fake", .mac = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 } };
static uint64_t fake_clock(void) { return now_ns; }

#define OUR_IP      0x0a00020fu     /* 10.0.2.15 */
#define PEER_IP     0x0a000202u     /* 10.0.2.2 */
#define OTHER_IP    0x0a000209u
static const uint8_t PEER_MAC[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };
static const uint8_t BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static struct net_stack *stack(void)
{
    static struct net_stack s;
    nr_sent = 0;
    ring_full = false;
    now_ns = 1000;
    net_init(&s, &fake_nif, fake_clock, OUR_IP, 0xffffff00u, 0);
    return &s;
}

/* Frames from the peer. */
static size_t arp_frame(uint8_t *f, uint16_t op, uint32_t spa, uint32_t tpa)
{
    eth_build(f, op == ARP_REQUEST ? BCAST : fake_nif.mac, PEER_MAC, ETHERTYPE_ARP);
    arp_build(f + ETH_HLEN, op, PEER_MAC, spa, op == ARP_REQUEST ? (const uint8_t[6]){ 0 } : fake_nif.mac, tpa);
    return ETH_HLEN + sizeof(struct arp_pkt);
}

static size_t udp_frame(uint8_t *f, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport, const void *data,
                        size_t len)
{
    eth_build(f, fake_nif.mac, PEER_MAC, ETHERTYPE_IPV4);
    memcpy(f + 42, data, len);
    udp_build(f + 34, src, dst, sport, dport, len);
    ipv4_build(f + 14, src, dst, IPPROTO_UDP, 7, 8 + len);
    return 42 + len;
}

static size_t ping_frame(uint8_t *f, uint32_t dst, size_t len)
{
    eth_build(f, fake_nif.mac, PEER_MAC, ETHERTYPE_IPV4);
    uint8_t *p = f + 34;
    p[0] = ICMP_ECHO_REQUEST, p[1] = 0;
    put_be16(p + 2, 0), put_be16(p + 4, 0x1234), put_be16(p + 6, 9);
    for (size_t i = 0; i < len; i++)
        p[8 + i] = (uint8_t)i;
    put_be16(p + 2, inet_fold(inet_sum(p, 8 + len, 0)));
    ipv4_build(f + 14, PEER_IP, dst, IPPROTO_ICMP, 1, 8 + len);
    return 34 + 8 + len;
}

/* Rewrites an IPv4 header's checksum after a test changed a field. */
static void ip_recsum(uint8_t *f)
{
    put_be16(f + 24, 0);
    put_be16(f + 24, inet_fold(inet_sum(f + 14, (size_t)(f[14] & 0xf) * 4, 0)));
}

/* ---- checksums and addresses ---- */

static void test_checksum(void **state)
{
    (void)state;
    /* RFC 1071's example: the words 0001 f203 f4f5 f6f7 sum to ddf2. */
    static const uint8_t rfc[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
    assert_int_equal(inet_sum(rfc, sizeof(rfc), 0), 0xddf2);
    assert_int_equal(inet_fold(inet_sum(rfc, sizeof(rfc), 0)), 0x220d);
    /* An odd length pads with a zero byte. */
    static const uint8_t odd[] = { 0x12, 0x34, 0x56 };
    assert_int_equal(inet_sum(odd, 3, 0), 0x1234 + 0x5600);
    /* A real IPv4 header (checksum b861) verifies to zero. */
    static const uint8_t ip[] = { 0x45, 0, 0, 0x73, 0, 0, 0x40, 0, 0x40, 0x11, 0xb8, 0x61,
                                  0xc0, 0xa8, 0, 1, 0xc0, 0xa8, 0, 0xc7 };
    assert_int_equal(inet_fold(inet_sum(ip, sizeof(ip), 0)), 0);
    uint8_t b[20];
    ipv4_build(b, 0xc0a80001, 0xc0a800c7, IPPROTO_UDP, 0, 0x73 - 20);
    assert_int_equal(inet_fold(inet_sum(b, 20, 0)), 0);
    /* Carries wrap around: ffff + ffff + 0001 is 1 in ones' complement. */
    static const uint8_t ones[] = { 0xff, 0xff, 0xff, 0xff, 0x00, 0x01 };
    assert_int_equal(inet_sum(ones, sizeof(ones), 0), 1);
    /* UDP: a computed zero travels as ffff, and both verify. */
    uint8_t u[8 + 4] = { 0 };
    memcpy(u + 8, "abcd", 4);
    udp_build(u, OUR_IP, PEER_IP, 7, 4000, 4);
    assert_int_equal(udp_checksum(OUR_IP, PEER_IP, u, sizeof(u)), 0);
    assert_int_not_equal(be16(u + 6), 0);
}

static void test_addresses(void **state)
{
    (void)state;
    uint32_t ip, mask;
    assert_true(ipv4_parse_cidr("10.0.2.15/24", &ip, &mask));
    assert_int_equal(ip, OUR_IP);
    assert_int_equal(mask, 0xffffff00u);
    assert_true(ipv4_parse_cidr("192.168.1.1/16", &ip, &mask));
    assert_int_equal(mask, 0xffff0000u);
    assert_true(ipv4_parse_cidr("10.0.0.1", &ip, &mask));      /* /24 by default */
    assert_int_equal(mask, 0xffffff00u);
    assert_true(ipv4_parse_cidr("1.2.3.4/31", &ip, &mask));
    assert_int_equal(mask, 0xfffffffeu);
    static const char *const bad[] = { "", "10.0.2", "10.0.2.15.1", "256.0.0.1", "10.0.2.15/0", "10.0.2.15/32",
                                       "10.0.2.15/", "10.0.2.15/24x", "a.b.c.d", "1..2.3", "10.0.2.15 ",
                                       "0010.0.0.1", "-1.0.0.0", "10.0.2.15/999" };
    for (size_t i = 0; i < UNIT_ARRAY_SIZE(bad); i++)
        assert_false(ipv4_parse_cidr(bad[i], &ip, &mask));
    assert_false(ipv4_parse_cidr(NULL, &ip, &mask));
    assert_true(ipv4_parse("255.255.255.255", &ip));
    assert_int_equal(ip, 0xffffffffu);
    assert_false(ipv4_parse("1.2.3.4/8", &ip));
    char buf[16];
    ipv4_format(0xffffffffu, buf);
    assert_string_equal(buf, "255.255.255.255");
    ipv4_format(OUR_IP, buf);
    assert_string_equal(buf, "10.0.2.15");
    ipv4_format(0, buf);
    assert_string_equal(buf, "0.0.0.0");
    assert_true(ipv4_is_martian_src(0x7f000001));
    assert_true(ipv4_is_martian_src(0xe0000001));
    assert_true(ipv4_is_martian_src(0));
    assert_false(ipv4_is_martian_src(PEER_IP));
}

/* ---- each header: parse what was built, refuse what is malformed ---- */

static void test_eth_and_arp_headers(void **state)
{
    (void)state;
    uint8_t f[ETH_FRAME_MAX + 1];
    size_t n = arp_frame(f, ARP_REQUEST, PEER_IP, OUR_IP);
    const struct eth_hdr *h;
    const uint8_t *p;
    assert_int_equal(eth_parse(f, n, &h, &p), 28);
    assert_int_equal(be16(h->type), ETHERTYPE_ARP);
    assert_memory_equal(h->src, PEER_MAC, 6);
    const struct arp_pkt *a;
    assert_int_equal(arp_parse(p, 28, &a), 0);
    assert_int_equal(be32(a->spa), PEER_IP);
    assert_int_equal(be32(a->tpa), OUR_IP);
    assert_int_equal(arp_parse(p, 27, &a), -1);                /* short */
    assert_int_equal(eth_parse(f, 13, &h, &p), -1);
    assert_int_equal(eth_parse(f, ETH_FRAME_MAX + 1, &h, &p), -1);
    /* Each fixed field wrong in turn. */
    static const struct { size_t off; uint8_t v; } bad[] = { { 1, 6 }, { 2, 0x86 }, { 4, 8 }, { 5, 16 }, { 7, 3 }, { 7, 0 } };
    for (size_t i = 0; i < UNIT_ARRAY_SIZE(bad); i++) {
        uint8_t c[28];
        memcpy(c, p, 28);
        c[bad[i].off] = bad[i].v;
        assert_int_equal(arp_parse(c, 28, &a), -1);
    }
}

static void test_ipv4_header(void **state)
{
    (void)state;
    uint8_t f[ETH_FRAME_MAX];
    size_t n = udp_frame(f, PEER_IP, OUR_IP, 1000, 7, "hello", 5);
    const struct ipv4_hdr *h;
    const uint8_t *p;
    bool frag;
    assert_int_equal(ipv4_parse_hdr(f + 14, n - 14, &h, &p, &frag), 13);
    assert_false(frag);
    assert_int_equal(h->proto, IPPROTO_UDP);
    assert_int_equal(be32(h->src), PEER_IP);
    /* Ethernet padding after the datagram is cut off. */
    assert_int_equal(ipv4_parse_hdr(f + 14, 46, &h, &p, &frag), 13);
    /* Shorter than its total length, or than a header. */
    assert_int_equal(ipv4_parse_hdr(f + 14, 32, &h, &p, &frag), -1);
    assert_int_equal(ipv4_parse_hdr(f + 14, 19, &h, &p, &frag), -1);
    /* Version 6, IHL 4, total length below the header, a checksum off by one. */
    uint8_t c[128];                                             /* room for a 60-byte header's checksum */
    memcpy(c, f, 64);
    c[14] = 0x65, ip_recsum(c);
    assert_int_equal(ipv4_parse_hdr(c + 14, 33, &h, &p, &frag), -1);
    memcpy(c, f, 64), c[14] = 0x44, ip_recsum(c);
    assert_int_equal(ipv4_parse_hdr(c + 14, 33, &h, &p, &frag), -1);
    memcpy(c, f, 64), put_be16(c + 16, 19), ip_recsum(c);
    assert_int_equal(ipv4_parse_hdr(c + 14, 33, &h, &p, &frag), -1);
    memcpy(c, f, 64), c[25] ^= 1;
    assert_int_equal(ipv4_parse_hdr(c + 14, 33, &h, &p, &frag), -1);
    /* IHL 15 claims 60 bytes of header in a 33-byte datagram. */
    memcpy(c, f, 64), c[14] = 0x4f, ip_recsum(c);
    assert_int_equal(ipv4_parse_hdr(c + 14, 33, &h, &p, &frag), -1);
    /* Options (IHL 6) are skipped. */
    uint8_t o[64] = { 0 };
    memcpy(o, f, 34);
    o[14] = 0x46;
    put_be16(o + 16, 24 + 13);
    memcpy(o + 38, f + 34, 13);
    ip_recsum(o);
    assert_int_equal(ipv4_parse_hdr(o + 14, 37, &h, &p, &frag), 13);
    assert_ptr_equal(p, o + 38);
    /* Fragments parse but are flagged: MF, and an offset. */
    memcpy(c, f, 64), put_be16(c + 20, IP_MF), ip_recsum(c);
    assert_int_equal(ipv4_parse_hdr(c + 14, 33, &h, &p, &frag), 13);
    assert_true(frag);
    memcpy(c, f, 64), put_be16(c + 20, 185), ip_recsum(c);
    assert_int_equal(ipv4_parse_hdr(c + 14, 33, &h, &p, &frag), 13);
    assert_true(frag);
}

static void test_icmp_and_udp_headers(void **state)
{
    (void)state;
    uint8_t f[ETH_FRAME_MAX];
    size_t n = ping_frame(f, OUR_IP, 5);
    const struct icmp_echo *e;
    assert_int_equal(icmp_parse_echo(f + 34, n - 34, &e), 5);
    assert_int_equal(be16(e->id), 0x1234);
    assert_int_equal(icmp_parse_echo(f + 34, 7, &e), -1);      /* short */
    f[40] ^= 0x80;
    assert_int_equal(icmp_parse_echo(f + 34, n - 34, &e), -1); /* checksum */
    n = ping_frame(f, OUR_IP, 0);
    f[35] = 1, put_be16(f + 36, 0), put_be16(f + 36, inet_fold(inet_sum(f + 34, 8, 0)));
    assert_int_equal(icmp_parse_echo(f + 34, 8, &e), -1);      /* code 1 */

    n = udp_frame(f, PEER_IP, OUR_IP, 1000, 7, "hello", 5);
    const struct udp_hdr *u;
    const uint8_t *p;
    assert_int_equal(udp_parse(f + 34, 13, PEER_IP, OUR_IP, &u, &p), 5);
    assert_memory_equal(p, "hello", 5);
    assert_int_equal(be16(u->src_port), 1000);
    assert_int_equal(udp_parse(f + 34, 13, PEER_IP, OTHER_IP, &u, &p), -1);      /* pseudo-header differs */
    assert_int_equal(udp_parse(f + 34, 12, PEER_IP, OUR_IP, &u, &p), -1);        /* length beyond the IP payload */
    assert_int_equal(udp_parse(f + 34, 7, PEER_IP, OUR_IP, &u, &p), -1);
    uint8_t c[16];
    memcpy(c, f + 34, 13);
    put_be16(c + 4, 7);
    assert_int_equal(udp_parse(c, 13, PEER_IP, OUR_IP, &u, &p), -1);             /* length below the header */
    memcpy(c, f + 34, 13), put_be16(c + 6, 0);
    assert_int_equal(udp_parse(c, 13, PEER_IP, OTHER_IP, &u, &p), 5);            /* no checksum sent */
    memcpy(c, f + 34, 13), put_be16(c + 4, 10), put_be16(c + 6, 0);
    assert_int_equal(udp_parse(c, 13, PEER_IP, OUR_IP, &u, &p), 2);              /* shorter than the IP payload */
}

/* ---- the ARP cache ---- */

static void test_arp_cache(void **state)
{
    (void)state;
    static struct arp_cache c;
    arp_cache_init(&c);
    unsigned int ev;
    assert_null(arp_cache_lookup(&c, PEER_IP, 0));
    struct arp_entry *e = arp_cache_alloc(&c, PEER_IP, 10, &ev);
    assert_int_equal(ev, 0);
    assert_null(arp_cache_lookup(&c, PEER_IP, 10));            /* pending is not resolved */
    assert_ptr_equal(arp_cache_find(&c, PEER_IP, 10), e);
    arp_entry_resolve(e, PEER_MAC, 10);
    assert_ptr_equal(arp_cache_lookup(&c, PEER_IP, 10 + ARP_TTL_NS - 1), e);
    assert_memory_equal(e->mac, PEER_MAC, 6);
    assert_null(arp_cache_lookup(&c, PEER_IP, 10 + ARP_TTL_NS));       /* aged out, and freed */
    assert_int_equal(arp_cache_count(&c, ARP_FREE), ARP_CACHE_SIZE);
    /* Full of resolved entries: the one with the least time left goes. */
    for (uint32_t i = 0; i < ARP_CACHE_SIZE; i++)
        arp_entry_resolve(arp_cache_alloc(&c, 0x0a000100 + i, 100 + i, &ev), PEER_MAC, 100 + (i == 5 ? 0 : 50 + i));
    assert_int_equal(arp_cache_count(&c, ARP_RESOLVED), ARP_CACHE_SIZE);
    e = arp_cache_alloc(&c, OTHER_IP, 200, &ev);
    assert_int_equal(ev, 0);
    assert_null(arp_cache_find(&c, 0x0a000105, 200));
    assert_ptr_equal(arp_cache_find(&c, OTHER_IP, 200), e);
    assert_non_null(arp_cache_find(&c, 0x0a000104, 200));
    /* Full of pending entries holding datagrams: the oldest goes, its datagram counted. */
    arp_cache_init(&c);
    for (uint32_t i = 0; i < ARP_CACHE_SIZE; i++) {
        e = arp_cache_alloc(&c, 0x0a000100 + i, 1000 - i, &ev);
        e->held_len = (uint16_t)(100 + i);
    }
    e = arp_cache_alloc(&c, OTHER_IP, 2000, &ev);
    assert_int_equal(ev, 100 + ARP_CACHE_SIZE - 1);
    assert_null(arp_cache_find(&c, 0x0a000100 + ARP_CACHE_SIZE - 1, 2000));
    assert_int_equal(e->held_len, 0);
    assert_int_equal(e->state, ARP_PENDING);
}

/* ---- the stack over the fake interface ---- */

static void test_arp_request_answered_and_learnt(void **state)
{
    (void)state;
    struct net_stack *s = stack();
    uint8_t f[ETH_FRAME_MAX];
    net_input(s, f, arp_frame(f, ARP_REQUEST, PEER_IP, OUR_IP));
    assert_int_equal(s->ctr.arp_requests_in, 1);
    assert_int_equal(nr_sent, 1);
    assert_int_equal(sent_len[0], NET_MIN_FRAME);              /* padded */
    const struct eth_hdr *h;
    const uint8_t *p;
    assert_int_equal(eth_parse(sent[0], sent_len[0], &h, &p), NET_MIN_FRAME - 14);
    assert_memory_equal(h->dst, PEER_MAC, 6);
    assert_memory_equal(h->src, fake_nif.mac, 6);
    const struct arp_pkt *a;
    assert_int_equal(arp_parse(p, 28, &a), 0);
    assert_int_equal(be16(a->oper), ARP_REPLY);
    assert_int_equal(be32(a->spa), OUR_IP);
    assert_memory_equal(a->sha, fake_nif.mac, 6);
    assert_int_equal(be32(a->tpa), PEER_IP);
    assert_non_null(arp_cache_lookup(&s->arp, PEER_IP, now_ns));
    /* A request for someone else is not answered and its sender not learnt. */
    nr_sent = 0;
    net_input(s, f, arp_frame(f, ARP_REQUEST, OTHER_IP, 0x0a000203));
    assert_int_equal(nr_sent, 0);
    assert_null(arp_cache_find(&s->arp, OTHER_IP, now_ns));
    /* A sender claiming our address, a broadcast one or loopback is refused. */
    net_input(s, f, arp_frame(f, ARP_REQUEST, OUR_IP, OUR_IP));
    net_input(s, f, arp_frame(f, ARP_REQUEST, 0x0a0002ff, OUR_IP));
    net_input(s, f, arp_frame(f, ARP_REQUEST, 0x7f000001, OUR_IP));
    assert_int_equal(s->ctr.arp_bad, 3);
    assert_int_equal(nr_sent, 0);
}

static void test_udp_socket_round_trip(void **state)
{
    (void)state;
    struct net_stack *s = stack();
    uint8_t f[ETH_FRAME_MAX], buf[2048];
    net_input(s, f, arp_frame(f, ARP_REQUEST, PEER_IP, OUR_IP));
    nr_sent = 0;
    int k = udp_open(s, 7);
    assert_true(k >= 0);
    assert_int_equal(udp_open(s, 7), -NET_EADDRINUSE);
    assert_int_equal(udp_open(s, 0), -NET_EINVAL);
    uint32_t src;
    uint16_t sport;
    assert_int_equal(udp_recvfrom(s, k, buf, sizeof(buf), &src, &sport), -NET_EAGAIN);
    assert_int_equal(udp_recvfrom(s, k + 1, buf, sizeof(buf), &src, &sport), -NET_EINVAL);
    net_input(s, f, udp_frame(f, PEER_IP, OUR_IP, 40000, 7, "ping!", 5));
    assert_int_equal(udp_recvfrom(s, k, buf, sizeof(buf), &src, &sport), 5);
    assert_memory_equal(buf, "ping!", 5);
    assert_int_equal(src, PEER_IP);
    assert_int_equal(sport, 40000);
    assert_int_equal(udp_sendto(s, k, src, sport, buf, 5), 0);
    assert_int_equal(nr_sent, 1);
    /* The reply parses back whole, to the learnt MAC. */
    const struct eth_hdr *h;
    const uint8_t *p, *q, *d;
    const struct ipv4_hdr *ip;
    const struct udp_hdr *u;
    bool frag;
    assert_true(eth_parse(sent[0], sent_len[0], &h, &p) > 0);
    assert_memory_equal(h->dst, PEER_MAC, 6);
    int n = ipv4_parse_hdr(p, sent_len[0] - 14, &ip, &q, &frag);
    assert_int_equal(n, 13);
    assert_int_equal(be32(ip->src), OUR_IP);
    assert_int_equal(be32(ip->dst), PEER_IP);
    assert_int_equal(be16(ip->frag), IP_DF);
    assert_int_equal(udp_parse(q, (size_t)n, OUR_IP, PEER_IP, &u, &d), 5);
    assert_int_equal(be16(u->src_port), 7);
    assert_int_equal(be16(u->dst_port), 40000);
    assert_memory_equal(d, "ping!", 5);
    /* Largest datagram, one too many, and a full ring. */
    memset(buf, 0xab, sizeof(buf));
    assert_int_equal(udp_sendto(s, k, PEER_IP, 9, buf, UDP_MAX_PAYLOAD), 0);
    assert_int_equal(sent_len[1], ETH_FRAME_MAX);
    assert_int_equal(udp_sendto(s, k, PEER_IP, 9, buf, UDP_MAX_PAYLOAD + 1), -NET_EMSGSIZE);
    ring_full = true;
    assert_int_equal(udp_sendto(s, k, PEER_IP, 9, buf, 1), -NET_ENOSPC);
    assert_int_equal(s->ctr.tx_dropped, 1);
    ring_full = false;
    /* Off-link without a gateway. */
    assert_int_equal(udp_sendto(s, k, 0x08080808, 53, buf, 1), -NET_EHOSTUNREACH);
    assert_int_equal(s->ctr.no_route, 1);
    /* The queue holds NET_SOCK_QLEN datagrams, then drops and counts. */
    for (int i = 0; i < NET_SOCK_QLEN + 3; i++)
        net_input(s, f, udp_frame(f, PEER_IP, OUR_IP, (uint16_t)(1000 + i), 7, "x", 1));
    assert_int_equal(s->ctr.udp_queue_full, 3);
    for (int i = 0; i < NET_SOCK_QLEN; i++) {
        assert_int_equal(udp_recvfrom(s, k, buf, 1, &src, &sport), 1);
        assert_int_equal(sport, 1000 + i);                      /* in order */
    }
    assert_int_equal(udp_recvfrom(s, k, buf, 1, &src, &sport), -NET_EAGAIN);
    /* No socket on the port; a closed socket. */
    net_input(s, f, udp_frame(f, PEER_IP, OUR_IP, 1, 8, "x", 1));
    assert_int_equal(s->ctr.udp_no_port, 1);
    udp_close(s, k);
    net_input(s, f, udp_frame(f, PEER_IP, OUR_IP, 1, 7, "x", 1));
    assert_int_equal(s->ctr.udp_no_port, 2);
    assert_int_equal(udp_sendto(s, k, PEER_IP, 9, buf, 1), -NET_EINVAL);
}

static void test_arp_resolution_holds_and_gives_up(void **state)
{
    (void)state;
    struct net_stack *s = stack();
    uint8_t f[ETH_FRAME_MAX];
    int k = udp_open(s, 5000);
    assert_int_equal(udp_sendto(s, k, PEER_IP, 9, "first", 5), 0);
    assert_int_equal(udp_sendto(s, k, PEER_IP, 9, "second", 6), 0);  /* replaces the held one */
    assert_int_equal(nr_sent, 1);                                   /* one request, not two */
    assert_int_equal(s->ctr.arp_held_dropped, 1);
    const struct arp_pkt *a;
    assert_int_equal(arp_parse(sent[0] + 14, 28, &a), 0);
    assert_int_equal(be16(a->oper), ARP_REQUEST);
    assert_memory_equal(sent[0], BCAST, 6);
    assert_int_equal(be32(a->tpa), PEER_IP);
    /* The reply sends the held datagram. */
    net_input(s, f, arp_frame(f, ARP_REPLY, PEER_IP, OUR_IP));
    assert_int_equal(nr_sent, 2);
    assert_memory_equal(sent[1], PEER_MAC, 6);
    assert_memory_equal(sent[1] + 42, "second", 6);
    /* A silent address: requests every second, three in all, then the datagram is dropped. */
    nr_sent = 0;
    assert_int_equal(udp_sendto(s, k, OTHER_IP, 9, "lost", 4), 0);
    net_tick(s);
    assert_int_equal(nr_sent, 1);
    for (int i = 0; i < 3; i++) {
        now_ns += ARP_RETRY_NS;
        net_tick(s);
    }
    assert_int_equal(nr_sent, 3);
    assert_int_equal(s->ctr.arp_failed, 1);
    assert_null(arp_cache_find(&s->arp, OTHER_IP, now_ns));
    /* A gateway carries off-link datagrams. */
    s->gw = PEER_IP;
    nr_sent = 0;
    assert_int_equal(udp_sendto(s, k, 0x08080808, 53, "dns", 3), 0);
    assert_int_equal(nr_sent, 1);
    assert_memory_equal(sent[0], PEER_MAC, 6);
    const struct ipv4_hdr *ip = (const struct ipv4_hdr *)(sent[0] + 14);
    assert_int_equal(be32(ip->dst), 0x08080808);
}

static void test_ping_answered(void **state)
{
    (void)state;
    struct net_stack *s = stack();
    uint8_t f[ETH_FRAME_MAX];
    net_input(s, f, arp_frame(f, ARP_REQUEST, PEER_IP, OUR_IP));
    nr_sent = 0;
    size_t n = ping_frame(f, OUR_IP, 56);
    net_input(s, f, n);
    assert_int_equal(s->ctr.icmp_echo_in, 1);
    assert_int_equal(nr_sent, 1);
    const struct icmp_echo *e;
    assert_int_equal(icmp_parse_echo(sent[0] + 34, 64, &e), 56);
    assert_int_equal(e->type, ICMP_ECHO_REPLY);
    assert_int_equal(be16(e->id), 0x1234);
    assert_int_equal(be16(e->seq), 9);
    assert_memory_equal(sent[0] + 42, f + 42, 56);
    /* A broadcast ping is counted, not answered. */
    n = ping_frame(f, 0x0a0002ff, 8);
    net_input(s, f, n);
    assert_int_equal(s->ctr.icmp_ignored, 1);
    assert_int_equal(nr_sent, 1);
    /* Our own ping, and its reply counted. */
    assert_int_equal(net_ping(s, PEER_IP, 1, 2, "abc", 3), 0);
    assert_int_equal(nr_sent, 2);
    sent[1][34] = ICMP_ECHO_REPLY;
    put_be16(sent[1] + 36, 0);
    put_be16(sent[1] + 36, inet_fold(inet_sum(sent[1] + 34, 11, 0)));
    memcpy(sent[1], fake_nif.mac, 6);
    memcpy(sent[1] + 6, PEER_MAC, 6);
    put_be32(sent[1] + 26, PEER_IP);
    put_be32(sent[1] + 30, OUR_IP);
    ip_recsum(sent[1]);
    net_input(s, sent[1], sent_len[1]);
    assert_int_equal(s->ctr.icmp_echo_replies_in, 1);
    /* ... and recorded for the pinger: who answered, which request, what came back. */
    assert_int_equal(s->echo.count, 1);
    assert_int_equal(s->echo.src, PEER_IP);
    assert_int_equal(s->echo.id, 1);
    assert_int_equal(s->echo.seq, 2);
    assert_int_equal(s->echo.len, 3);
    assert_memory_equal(s->echo.data, "abc", 3);
}

static void test_malformed_dropped_and_counted(void **state)
{
    (void)state;
    struct net_stack *s = stack();
    uint8_t f[ETH_FRAME_MAX], c[ETH_FRAME_MAX];
    int k = udp_open(s, 7);
    size_t n = udp_frame(f, PEER_IP, OUR_IP, 1000, 7, "hello", 5);
#define DROP(len, counter)                                              \
    do {                                                                \
        uint64_t before_ = s->ctr.counter;                              \
        net_input(s, c, (len));                                         \
        assert_int_equal(s->ctr.counter, before_ + 1);                  \
    } while (0)
    memcpy(c, f, n);
    DROP(10, eth_bad);
    c[6] |= 1;
    DROP(n, eth_bad_src);                                       /* multicast source */
    memcpy(c, f, n), c[0] ^= 2;
    DROP(n, eth_not_for_us);
    memcpy(c, f, n), put_be16(c + 12, 0x86dd);
    DROP(n, eth_unknown_type);
    memcpy(c, f, n), c[25] ^= 1;
    DROP(n, ip_bad);                                            /* header checksum */
    memcpy(c, f, n);
    DROP(30, ip_bad);                                           /* truncated */
    memcpy(c, f, n), put_be16(c + 20, IP_MF), ip_recsum(c);
    DROP(n, ip_fragments);
    memcpy(c, f, n), put_be16(c + 20, 1), ip_recsum(c);
    DROP(n, ip_fragments);
    memcpy(c, f, n), put_be32(c + 30, OTHER_IP), ip_recsum(c);
    DROP(n, ip_not_for_us);
    memcpy(c, f, n), put_be32(c + 26, 0x7f000001), ip_recsum(c);
    DROP(n, ip_bad_src);
    memcpy(c, f, n), put_be32(c + 26, OUR_IP), ip_recsum(c);
    DROP(n, ip_bad_src);
    memcpy(c, f, n), c[23] = 6, ip_recsum(c);
    DROP(n, ip_unknown_proto);                                  /* TCP */
    memcpy(c, f, n), c[45] ^= 1;
    DROP(n, udp_bad);                                           /* payload changed: checksum */
    memcpy(c, f, n), put_be16(c + 38, 200);
    DROP(n, udp_bad);                                           /* UDP length past the datagram */
    memcpy(c, f, n), c[23] = IPPROTO_ICMP, ip_recsum(c);
    DROP(n, icmp_bad);
    memcpy(c, f, 42), arp_frame(c, ARP_REQUEST, PEER_IP, OUR_IP), c[14 + 5] = 6;
    DROP(42, arp_bad);
#undef DROP
    /* None of it reached the socket, and nothing was sent. */
    uint32_t src;
    uint16_t sport;
    assert_int_equal(udp_recvfrom(s, k, c, sizeof(c), &src, &sport), -NET_EAGAIN);
    assert_int_equal(nr_sent, 0);
}

/* Random frames and random mutations of good ones: every one is taken and counted, nothing crashes (ASan, UBSan). */
static void test_random_frames(void **state)
{
    (void)state;
    struct net_stack *s = stack();
    udp_open(s, 7);
    uint8_t good[4][ETH_FRAME_MAX], c[ETH_FRAME_MAX + 8];           /* frames up to 8 bytes too long too */
    size_t glen[4];
    glen[0] = udp_frame(good[0], PEER_IP, OUR_IP, 1000, 7, "hello world", 11);
    glen[1] = ping_frame(good[1], OUR_IP, 40);
    glen[2] = arp_frame(good[2], ARP_REQUEST, PEER_IP, OUR_IP);
    glen[3] = arp_frame(good[3], ARP_REPLY, OTHER_IP, OUR_IP);
    srand(15);
    const unsigned int rounds = 200000;
    uint32_t src;
    uint16_t sport;
    for (unsigned int i = 0; i < rounds; i++) {
        size_t len;
        if (i % 4 == 0) {
            len = (size_t)rand() % (ETH_FRAME_MAX + 8);
            for (size_t j = 0; j < len; j++)
                c[j] = (uint8_t)rand();
            if (i % 8 == 0)
                memcpy(c, fake_nif.mac, 6);
        } else {
            unsigned int g = (unsigned int)rand() % 4;
            len = glen[g];
            memcpy(c, good[g], len);
            for (int m = rand() % 4; m >= 0; m--)
                c[(size_t)rand() % len] ^= (uint8_t)(1 + rand() % 255);
            if (rand() % 4 == 0)
                len = (size_t)rand() % (len + 1);
        }
        nr_sent = 0;
        net_input(s, c, len);
        while (udp_recvfrom(s, 0, c, sizeof(c), &src, &sport) >= 0)
            ;
        if (i % 1000 == 0)
            net_tick(s), now_ns += ARP_RETRY_NS / 2;
    }
    assert_int_equal(s->ctr.rx_frames, rounds);
    /* Every frame ended in exactly one place: delivered, answered, or one drop counter. */
    const struct net_counters *k = &s->ctr;
    uint64_t ends = k->eth_bad + k->eth_bad_src + k->eth_not_for_us + k->eth_unknown_type + k->arp_bad +
                    k->arp_requests_in + k->arp_replies_in + k->ip_bad + k->ip_fragments + k->ip_not_for_us +
                    k->ip_bad_src + k->ip_unknown_proto + k->icmp_bad + k->icmp_echo_in + k->icmp_echo_replies_in +
                    k->udp_bad + k->udp_in;
    assert_int_equal(ends, rounds);
    assert_true(k->udp_in > 0 && k->icmp_echo_in > 0 && k->arp_requests_in > 0);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checksum),
        cmocka_unit_test(test_addresses),
        cmocka_unit_test(test_eth_and_arp_headers),
        cmocka_unit_test(test_ipv4_header),
        cmocka_unit_test(test_icmp_and_udp_headers),
        cmocka_unit_test(test_arp_cache),
        cmocka_unit_test(test_arp_request_answered_and_learnt),
        cmocka_unit_test(test_udp_socket_round_trip),
        cmocka_unit_test(test_arp_resolution_holds_and_gives_up),
        cmocka_unit_test(test_ping_answered),
        cmocka_unit_test(test_malformed_dropped_and_counted),
        cmocka_unit_test(test_random_frames),
    };
    return unit_run(argc, argv, "net", tests, UNIT_ARRAY_SIZE(tests));
}
