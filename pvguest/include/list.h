/* Intrusive circular doubly linked lists. */
#ifndef PVGUEST_LIST_H
#define PVGUEST_LIST_H

#include <kernel.h>

struct list_head {
    struct list_head *next, *prev;
};

#define LIST_HEAD_INIT(name) { &(name), &(name) }

static inline void list_init(struct list_head *h) { h->next = h->prev = h; }
static inline bool list_empty(const struct list_head *h) { return h->next == h; }

static inline void list_insert_(struct list_head *n, struct list_head *prev, struct list_head *next)
{
    next->prev = n;
    n->next = next;
    n->prev = prev;
    prev->next = n;
}

static inline void list_add(struct list_head *n, struct list_head *h) { list_insert_(n, h, h->next); }
static inline void list_add_tail(struct list_head *n, struct list_head *h) { list_insert_(n, h->prev, h); }
/* Inserts n right before pos. */
static inline void list_add_before(struct list_head *n, struct list_head *pos) { list_insert_(n, pos->prev, pos); }

static inline void list_del(struct list_head *n)
{
    n->prev->next = n->next;
    n->next->prev = n->prev;
    n->next = n->prev = n;
}

#define list_entry(p, type, member) container_of(p, type, member)
#define list_first_entry(h, type, member) list_entry((h)->next, type, member)
#define list_for_each(p, h) for (struct list_head *p = (h)->next; p != (h); p = p->next)
#define list_for_each_safe(p, n, h) \
    for (struct list_head *p = (h)->next, *n = p->next; p != (h); p = n, n = p->next)

#endif /* PVGUEST_LIST_H */
