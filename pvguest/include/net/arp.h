/*
 * The ARP cache (net/arp_cache.c): IPv4 address to MAC, with ageing, and one
 * datagram held per address being resolved. Pure (host-tested).
 */
#ifndef PVGUEST_NET_ARP_H
#define PVGUEST_NET_ARP_H

#include <net/proto.h>

#define ARP_CACHE_SIZE      16
#define ARP_TTL_NS          (60ull * 1000000000ull)     /* a resolved entry lives this long */
#define ARP_RETRY_NS        (1000000000ull)             /* a request is repeated this often */
#define ARP_MAX_TRIES       3                           /* then the entry and its datagram are dropped */

enum arp_state { ARP_FREE, ARP_PENDING, ARP_RESOLVED };

struct arp_entry {
    uint32_t ip;
    uint8_t mac[ETH_ALEN];
    uint8_t state;                  /* enum arp_state */
    uint8_t tries;                  /* requests sent while pending */
    uint64_t when;                  /* resolved: expiry; pending: time of the last request */
    uint16_t held_len;              /* pending: the IP datagram waiting (0: none) */
    uint8_t held[ETH_MTU];
};

struct arp_cache {
    struct arp_entry e[ARP_CACHE_SIZE];
};

void arp_cache_init(struct arp_cache *c);
/* The resolved entry for ip, or NULL (an expired one is freed here). */
struct arp_entry *arp_cache_lookup(struct arp_cache *c, uint32_t ip, uint64_t now);
/* The entry for ip in any state (unexpired), or NULL. */
struct arp_entry *arp_cache_find(struct arp_cache *c, uint32_t ip, uint64_t now);
/*
 * A free entry for ip (pending, no datagram), else the one resolved longest
 * ago, else the oldest pending one (its datagram lost: *evicted_held says
 * how many bytes). Never NULL.
 */
struct arp_entry *arp_cache_alloc(struct arp_cache *c, uint32_t ip, uint64_t now, unsigned int *evicted_held);
/* Marks e resolved to mac until now + ARP_TTL_NS. */
void arp_entry_resolve(struct arp_entry *e, const uint8_t *mac, uint64_t now);
void arp_entry_free(struct arp_entry *e);
/* Entries in each state (tests, counters). */
unsigned int arp_cache_count(const struct arp_cache *c, enum arp_state s);

#endif /* PVGUEST_NET_ARP_H */
