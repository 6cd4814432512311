/* The ARP cache: a small table searched linearly, entries aged out, the oldest replaced when full. */
#include <net/arp.h>
#include <lib/string.h>

void arp_cache_init(struct arp_cache *c)
{
    memset(c, 0, sizeof(*c));
}

void arp_entry_free(struct arp_entry *e)
{
    e->state = ARP_FREE;
    e->held_len = 0;
    e->tries = 0;
}

void arp_entry_resolve(struct arp_entry *e, const uint8_t *mac, uint64_t now)
{
    memcpy(e->mac, mac, ETH_ALEN);
    e->state = ARP_RESOLVED;
    e->when = now + ARP_TTL_NS;
    e->tries = 0;
}

static bool expired(const struct arp_entry *e, uint64_t now)
{
    return e->state == ARP_RESOLVED && now >= e->when;
}

struct arp_entry *arp_cache_find(struct arp_cache *c, uint32_t ip, uint64_t now)
{
    for (unsigned int i = 0; i < ARP_CACHE_SIZE; i++) {
        struct arp_entry *e = &c->e[i];
        if (e->state == ARP_FREE || e->ip != ip)
            continue;
        if (expired(e, now)) {
            arp_entry_free(e);
            return NULL;
        }
        return e;
    }
    return NULL;
}

struct arp_entry *arp_cache_lookup(struct arp_cache *c, uint32_t ip, uint64_t now)
{
    struct arp_entry *e = arp_cache_find(c, ip, now);
    return e && e->state == ARP_RESOLVED ? e : NULL;
}

struct arp_entry *arp_cache_alloc(struct arp_cache *c, uint32_t ip, uint64_t now, unsigned int *evicted_held)
{
    struct arp_entry *victim = NULL;
    *evicted_held = 0;
    for (unsigned int i = 0; i < ARP_CACHE_SIZE && !victim; i++)
        if (c->e[i].state == ARP_FREE || expired(&c->e[i], now))
            victim = &c->e[i];
    /* Resolved entries go first (they can be learnt again); the least time left goes first. */
    for (unsigned int i = 0; i < ARP_CACHE_SIZE && !victim; i++)
        if (c->e[i].state == ARP_RESOLVED) {
            struct arp_entry *v = &c->e[i];
            for (unsigned int j = i + 1; j < ARP_CACHE_SIZE; j++)
                if (c->e[j].state == ARP_RESOLVED && c->e[j].when < v->when)
                    v = &c->e[j];
            victim = v;
        }
    if (!victim) {
        victim = &c->e[0];
        for (unsigned int i = 1; i < ARP_CACHE_SIZE; i++)
            if (c->e[i].when < victim->when)
                victim = &c->e[i];
        *evicted_held = victim->held_len;
    }
    arp_entry_free(victim);
    victim->ip = ip;
    victim->state = ARP_PENDING;
    victim->when = now;
    return victim;
}

unsigned int arp_cache_count(const struct arp_cache *c, enum arp_state s)
{
    unsigned int n = 0;
    for (unsigned int i = 0; i < ARP_CACHE_SIZE; i++)
        n += c->e[i].state == s;
    return n;
}
