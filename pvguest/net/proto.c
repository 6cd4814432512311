/* Ethernet, ARP, IPv4, ICMP echo and UDP headers: checks on what arrives, builders for what leaves, checksums. */
#include <net/proto.h>
#include <lib/string.h>

uint32_t inet_sum(const void *data, size_t len, uint32_t sum)
{
    const uint8_t *p = data;
    for (; len >= 2; p += 2, len -= 2)
        sum += be16(p);
    if (len)
        sum += (uint32_t)p[0] << 8;             /* an odd byte is padded with a zero (RFC 1071) */
    /* No overflow: a frame is at most 757 words of 0xffff on top of a folded sum. */
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return sum;
}

uint16_t inet_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

uint16_t udp_checksum(uint32_t src, uint32_t dst, const uint8_t *udp, size_t len)
{
    uint32_t sum = (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + IPPROTO_UDP + (uint32_t)len;
    return inet_fold(inet_sum(udp, len, sum));
}

bool mac_is_broadcast(const uint8_t *m)
{
    for (unsigned int i = 0; i < ETH_ALEN; i++)
        if (m[i] != 0xff)
            return false;
    return true;
}

bool ipv4_is_martian_src(uint32_t ip)
{
    uint8_t a = (uint8_t)(ip >> 24);
    return a == 0 || a == 127 || a >= 224;
}

/* One decimal octet 0..255 without leading junk; *s moves past it. */
static bool octet(const char **s, uint32_t *v)
{
    const char *p = *s;
    uint32_t n = 0;
    unsigned int digits = 0;
    while (*p >= '0' && *p <= '9' && digits < 4) {
        n = n * 10 + (uint32_t)(*p++ - '0');
        digits++;
    }
    if (digits == 0 || digits > 3 || n > 255)
        return false;
    *s = p;
    *v = n;
    return true;
}

static bool parse_dotted(const char **s, uint32_t *ip)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        uint32_t o;
        if (!octet(s, &o))
            return false;
        v = v << 8 | o;
        if (i < 3 && *(*s)++ != '.')
            return false;
    }
    *ip = v;
    return true;
}

bool ipv4_parse(const char *s, uint32_t *ip)
{
    return s && parse_dotted(&s, ip) && *s == '\0';
}

bool ipv4_parse_cidr(const char *s, uint32_t *ip, uint32_t *mask)
{
    uint32_t a, bits = 24;
    if (!s || !parse_dotted(&s, &a))
        return false;
    if (*s == '/') {
        s++;
        if (!octet(&s, &bits) || bits < 1 || bits > 31)
            return false;
    }
    if (*s != '\0')
        return false;
    *ip = a;
    *mask = ~0u << (32 - bits);
    return true;
}

void ipv4_format(uint32_t ip, char *buf)
{
    char *p = buf;
    for (int i = 3; i >= 0; i--) {
        unsigned int o = ip >> (8 * i) & 0xff;
        if (o >= 100)
            *p++ = (char)('0' + o / 100);
        if (o >= 10)
            *p++ = (char)('0' + o / 10 % 10);
        *p++ = (char)('0' + o % 10);
        if (i)
            *p++ = '.';
    }
    *p = '\0';
}

int eth_parse(const uint8_t *frame, size_t len, const struct eth_hdr **h, const uint8_t **payload)
{
    if (len < ETH_HLEN || len > ETH_FRAME_MAX)
        return -1;
    *h = (const struct eth_hdr *)frame;
    *payload = frame + ETH_HLEN;
    return (int)(len - ETH_HLEN);
}

int arp_parse(const uint8_t *p, size_t len, const struct arp_pkt **a)
{
    if (len < sizeof(struct arp_pkt))
        return -1;
    const struct arp_pkt *x = (const struct arp_pkt *)p;
    uint16_t op = be16(x->oper);
    if (be16(x->htype) != 1 || be16(x->ptype) != ETHERTYPE_IPV4 || x->hlen != ETH_ALEN || x->plen != 4 ||
        (op != ARP_REQUEST && op != ARP_REPLY))
        return -1;
    *a = x;
    return 0;
}

int ipv4_parse_hdr(const uint8_t *p, size_t len, const struct ipv4_hdr **h, const uint8_t **payload, bool *is_fragment)
{
    if (len < sizeof(struct ipv4_hdr))
        return -1;
    const struct ipv4_hdr *x = (const struct ipv4_hdr *)p;
    size_t ihl = (size_t)(x->ver_ihl & 0xf) * 4, total = be16(x->total_len);
    if (x->ver_ihl >> 4 != 4 || ihl < sizeof(struct ipv4_hdr) || total < ihl || total > len)
        return -1;
    if (inet_fold(inet_sum(p, ihl, 0)) != 0)
        return -1;
    uint16_t frag = be16(x->frag);
    *is_fragment = (frag & IP_MF) || (frag & IP_OFFMASK);
    *h = x;
    *payload = p + ihl;
    return (int)(total - ihl);
}

int icmp_parse_echo(const uint8_t *p, size_t len, const struct icmp_echo **e)
{
    if (len < sizeof(struct icmp_echo) || inet_fold(inet_sum(p, len, 0)) != 0)
        return -1;
    const struct icmp_echo *x = (const struct icmp_echo *)p;
    if ((x->type != ICMP_ECHO_REQUEST && x->type != ICMP_ECHO_REPLY) || x->code != 0)
        return -1;
    *e = x;
    return (int)(len - sizeof(*x));
}

int udp_parse(const uint8_t *p, size_t len, uint32_t src, uint32_t dst, const struct udp_hdr **u, const uint8_t **payload)
{
    if (len < sizeof(struct udp_hdr))
        return -1;
    const struct udp_hdr *x = (const struct udp_hdr *)p;
    size_t ulen = be16(x->len);
    if (ulen < sizeof(*x) || ulen > len)
        return -1;
    /* A zero checksum means the sender computed none (RFC 768); a computed 0 travels as 0xffff. */
    if (be16(x->csum) != 0 && udp_checksum(src, dst, p, ulen) != 0)
        return -1;
    *u = x;
    *payload = p + sizeof(*x);
    return (int)(ulen - sizeof(*x));
}

void eth_build(uint8_t *p, const uint8_t *dst, const uint8_t *src, uint16_t type)
{
    struct eth_hdr *h = (struct eth_hdr *)p;
    memcpy(h->dst, dst, ETH_ALEN);
    memcpy(h->src, src, ETH_ALEN);
    put_be16(h->type, type);
}

void arp_build(uint8_t *p, uint16_t oper, const uint8_t *sha, uint32_t spa, const uint8_t *tha, uint32_t tpa)
{
    struct arp_pkt *a = (struct arp_pkt *)p;
    put_be16(a->htype, 1);
    put_be16(a->ptype, ETHERTYPE_IPV4);
    a->hlen = ETH_ALEN;
    a->plen = 4;
    put_be16(a->oper, oper);
    memcpy(a->sha, sha, ETH_ALEN);
    put_be32(a->spa, spa);
    memcpy(a->tha, tha, ETH_ALEN);
    put_be32(a->tpa, tpa);
}

void ipv4_build(uint8_t *p, uint32_t src, uint32_t dst, uint8_t proto, uint16_t id, size_t payload_len)
{
    struct ipv4_hdr *h = (struct ipv4_hdr *)p;
    h->ver_ihl = 0x45;
    h->tos = 0;
    put_be16(h->total_len, (uint16_t)(sizeof(*h) + payload_len));
    put_be16(h->id, id);
    put_be16(h->frag, IP_DF);               /* we never fragment */
    h->ttl = IP_TTL;
    h->proto = proto;
    put_be16(h->csum, 0);
    put_be32(h->src, src);
    put_be32(h->dst, dst);
    put_be16(h->csum, inet_fold(inet_sum(h, sizeof(*h), 0)));
}

void udp_build(uint8_t *p, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport, size_t len)
{
    struct udp_hdr *u = (struct udp_hdr *)p;
    size_t ulen = sizeof(*u) + len;
    put_be16(u->src_port, sport);
    put_be16(u->dst_port, dport);
    put_be16(u->len, (uint16_t)ulen);
    put_be16(u->csum, 0);
    uint16_t c = udp_checksum(src, dst, p, ulen);
    put_be16(u->csum, c ? c : 0xffff);
}
