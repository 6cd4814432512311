/*
 * Domain references, the one lookup and its rights check, and slots: who
 * may hold a domain, and when its slot is free again. Pure (host-tested):
 * the environment is domain_free() and domain_ref_bug().
 */
#include <hv/domain.h>
#include <public/errno.h>

struct domain domains[MAX_DOMAINS];

#define REF_COUNT_MASK  (~DOMAIN_REF_DYING)

_Static_assert(offsetof(struct domain, state) == 0, "domain_claim_slot zeroes everything after state");

bool domain_get(struct domain *d)
{
    uint32_t old = __atomic_load_n(&d->refcnt, __ATOMIC_RELAXED);
    do {
        /* No count: free, half-built or freed; DYING: no new holders; a full count: refused. */
        if (old == 0 || (old & DOMAIN_REF_DYING) || (old & REF_COUNT_MASK) == REF_COUNT_MASK)
            return false;
    } while (!__atomic_compare_exchange_n(&d->refcnt, &old, old + 1, true, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED));
    return true;
}

void domain_put(struct domain *d)
{
    uint32_t old = __atomic_fetch_sub(&d->refcnt, 1, __ATOMIC_ACQ_REL);
    if (!(old & REF_COUNT_MASK))
        domain_ref_bug(d, "domain_put without a reference");
    /* The domain's own reference goes only in domain_kill: a count reaching zero means dying. */
    if (old != (DOMAIN_REF_DYING | 1))
        return;
    domain_free(d);
    __atomic_store_n(&d->refcnt, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&d->state, DOMAIN_FREE, __ATOMIC_RELEASE);
}

bool domain_kill(struct domain *d)
{
    uint32_t old = __atomic_fetch_or(&d->refcnt, DOMAIN_REF_DYING, __ATOMIC_ACQ_REL);
    if (old & DOMAIN_REF_DYING)
        return false;
    domain_put(d);
    return true;
}

int domain_lookup(struct domain *caller, domid_t id, unsigned int need, struct domain **out)
{
    unsigned int rights = need & DOMAIN_RIGHTS_ALL;
    if (id == DOMID_SELF && (need & DOMAIN_LOOKUP_SELF_ID))
        id = caller->id;
    bool self = id == caller->id;
    if ((!self || (need & DOMAIN_LOOKUP_RIGHTS_ON_SELF)) && !domain_has_rights(caller, rights))
        return -XEN_EPERM;
    if (id >= MAX_DOMAINS)
        return -XEN_ESRCH;
    struct domain *d = &domains[id];
    if (!domain_get(d))
        return -XEN_ESRCH;
    if (!domain_lookup_state_ok(d, need)) {
        domain_put(d);
        return -XEN_ESRCH;
    }
    *out = d;
    return 0;
}

struct domain *domain_claim_slot(void)
{
    for (unsigned int i = 0; i < MAX_DOMAINS; i++) {
        struct domain *d = &domains[i];
        enum domain_state expect = DOMAIN_FREE;
        if (!__atomic_compare_exchange_n(&d->state, &expect, DOMAIN_CREATING, false, __ATOMIC_ACQUIRE,
                                         __ATOMIC_RELAXED))
            continue;
        /* Everything below state; state itself stays CREATING so nobody else claims the slot. */
        memset((char *)d + sizeof(d->state), 0, sizeof(*d) - sizeof(d->state));
        d->id = (domid_t)i;
        return d;
    }
    return NULL;
}

void domain_publish(struct domain *d)
{
    /* The count last: a domain_get that sees it sees the domain complete (its acquire pairs with this). */
    __atomic_store_n(&d->state, DOMAIN_RUNNING, __ATOMIC_RELAXED);
    __atomic_store_n(&d->refcnt, 1, __ATOMIC_RELEASE);
}

void domain_unclaim(struct domain *d)
{
    __atomic_store_n(&d->state, DOMAIN_FREE, __ATOMIC_RELEASE);
}
