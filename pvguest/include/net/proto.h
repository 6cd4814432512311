/*
 * Ethernet, ARP, IPv4, ICMP and UDP headers: layouts, parsing, building and
 * the Internet checksum (net/proto.c). Pure: no hardware, no allocation, so
 * the host unit test (tests/unit/test_net.c) compiles the same file.
 *
 * Every header is a struct of bytes (multi-byte fields as big-endian byte
 * arrays read with be16()/be32()): no padding, no alignment demands on a
 * frame's buffer, the wire layout exactly.
 */
#ifndef PVGUEST_NET_PROTO_H
#define PVGUEST_NET_PROTO_H

#include <net/netif.h>

/* Errors the stack returns (negated); the values are Linux's, as kernel.h's. */
#define NET_EAGAIN          11
#define NET_EINVAL          22
#define NET_ENOSPC          28
#define NET_EMSGSIZE        90
#define NET_EADDRINUSE      98
#define NET_EHOSTUNREACH    113

#define ETHERTYPE_IPV4      0x0800
#define ETHERTYPE_ARP       0x0806
#define IPPROTO_ICMP        1
#define IPPROTO_UDP         17

struct eth_hdr {
    uint8_t dst[ETH_ALEN];
    uint8_t src[ETH_ALEN];
    uint8_t type[2];
};
_Static_assert(sizeof(struct eth_hdr) == ETH_HLEN, "Ethernet header is 14 bytes");
_Static_assert(__builtin_offsetof(struct eth_hdr, type) == 12, "ethertype at 12");

/* ARP for IPv4 over Ethernet (RFC 826). */
struct arp_pkt {
    uint8_t htype[2], ptype[2];
    uint8_t hlen, plen;
    uint8_t oper[2];
    uint8_t sha[ETH_ALEN], spa[4];
    uint8_t tha[ETH_ALEN], tpa[4];
};
_Static_assert(sizeof(struct arp_pkt) == 28, "ARP packet is 28 bytes");
_Static_assert(__builtin_offsetof(struct arp_pkt, sha) == 8, "sha at 8");
_Static_assert(__builtin_offsetof(struct arp_pkt, spa) == 14, "spa at 14");
_Static_assert(__builtin_offsetof(struct arp_pkt, tha) == 18, "tha at 18");
_Static_assert(__builtin_offsetof(struct arp_pkt, tpa) == 24, "tpa at 24");
#define ARP_REQUEST 1
#define ARP_REPLY   2

/* IPv4 (RFC 791), without options as we send it. */
struct ipv4_hdr {
    uint8_t ver_ihl, tos;
    uint8_t total_len[2];
    uint8_t id[2];
    uint8_t frag[2];                /* flags (DF 0x4000, MF 0x2000) and fragment offset */
    uint8_t ttl, proto;
    uint8_t csum[2];
    uint8_t src[4], dst[4];
};
_Static_assert(sizeof(struct ipv4_hdr) == 20, "IPv4 header is 20 bytes");
_Static_assert(__builtin_offsetof(struct ipv4_hdr, frag) == 6, "flags/fragment at 6");
_Static_assert(__builtin_offsetof(struct ipv4_hdr, csum) == 10, "header checksum at 10");
_Static_assert(__builtin_offsetof(struct ipv4_hdr, src) == 12, "source at 12");
_Static_assert(__builtin_offsetof(struct ipv4_hdr, dst) == 16, "destination at 16");
#define IP_DF       0x4000
#define IP_MF       0x2000
#define IP_OFFMASK  0x1fff
#define IP_TTL      64

/* ICMP echo request/reply (RFC 792). */
struct icmp_echo {
    uint8_t type, code;
    uint8_t csum[2];
    uint8_t id[2], seq[2];
};
_Static_assert(sizeof(struct icmp_echo) == 8, "ICMP echo header is 8 bytes");
#define ICMP_ECHO_REPLY     0
#define ICMP_ECHO_REQUEST   8

/* UDP (RFC 768). */
struct udp_hdr {
    uint8_t src_port[2], dst_port[2];
    uint8_t len[2];
    uint8_t csum[2];
};
_Static_assert(sizeof(struct udp_hdr) == 8, "UDP header is 8 bytes");
_Static_assert(__builtin_offsetof(struct udp_hdr, csum) == 6, "UDP checksum at 6");

#define IP_MAX_PAYLOAD  (ETH_MTU - sizeof(struct ipv4_hdr))
#define UDP_MAX_PAYLOAD (IP_MAX_PAYLOAD - sizeof(struct udp_hdr))   /* 1472 */

static inline uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }
static inline void put_be16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

/* Internet checksum (RFC 1071): the ones'-complement sum of 16-bit words, folded, not yet complemented. */
uint32_t inet_sum(const void *data, size_t len, uint32_t sum);
/* The checksum field's value: the complemented fold of sum (0 for a correct packet summed whole). */
uint16_t inet_fold(uint32_t sum);
/* UDP's checksum over the pseudo-header, header and data (udp's csum field as it is). */
uint16_t udp_checksum(uint32_t src, uint32_t dst, const uint8_t *udp, size_t len);

/* Addresses. A parsed address is host-order. */
bool ipv4_parse(const char *s, uint32_t *ip);
/* "a.b.c.d/n" (n 1..31; "/n" may be left out: /24); false for anything else. */
bool ipv4_parse_cidr(const char *s, uint32_t *ip, uint32_t *mask);
/* "a.b.c.d" into buf (16 bytes at least). */
void ipv4_format(uint32_t ip, char *buf);
static inline bool mac_is_multicast(const uint8_t *m) { return m[0] & 1; }
bool mac_is_broadcast(const uint8_t *m);
/* 0.0.0.0/8, 127/8, 224/4 and above: never a source we answer. */
bool ipv4_is_martian_src(uint32_t ip);

/*
 * Parsers: each checks one layer of a received packet. They return the
 * layer's payload length (>= 0) with *payload set, or -1 for a malformed
 * packet. The caller counts.
 */
int eth_parse(const uint8_t *frame, size_t len, const struct eth_hdr **h, const uint8_t **payload);
/* Only Ethernet/IPv4 requests and replies with consistent lengths; 0 or -1. */
int arp_parse(const uint8_t *p, size_t len, const struct arp_pkt **a);
/*
 * Version, header length, total length (trailing Ethernet padding cut
 * off), header checksum. Options are accepted and skipped. Fragments are
 * well-formed here: *is_fragment says so (the stack drops them).
 */
int ipv4_parse_hdr(const uint8_t *p, size_t len, const struct ipv4_hdr **h, const uint8_t **payload, bool *is_fragment);
/* Length and checksum over the whole message; -1 unless an echo request or reply. */
int icmp_parse_echo(const uint8_t *p, size_t len, const struct icmp_echo **e);
/* Length (within len; the rest is cut off) and checksum (0: none sent) against src/dst. */
int udp_parse(const uint8_t *p, size_t len, uint32_t src, uint32_t dst, const struct udp_hdr **u, const uint8_t **payload);

/* Builders: write a header at p (room for it is the caller's). */
void eth_build(uint8_t *p, const uint8_t *dst, const uint8_t *src, uint16_t type);
void arp_build(uint8_t *p, uint16_t oper, const uint8_t *sha, uint32_t spa, const uint8_t *tha, uint32_t tpa);
/* payload_len bytes follow the header; the header checksum is filled in. */
void ipv4_build(uint8_t *p, uint32_t src, uint32_t dst, uint8_t proto, uint16_t id, size_t payload_len);
/* The UDP header for len payload bytes already at p + 8, its checksum filled in (0 sent as 0xffff). */
void udp_build(uint8_t *p, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport, size_t len);

#endif /* PVGUEST_NET_PROTO_H */
