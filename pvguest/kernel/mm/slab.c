/*
 * The small-object allocator: kmalloc caches of 16..2048 bytes, each slab
 * one page with its header first. Interrupts off is the lock. A slab is on
 * its cache's partial list while it has a free object, on the full list
 * otherwise; at most one empty slab is kept per cache.
 */
#include <list.h>
#include <mm.h>
#include <spinlock.h>

static spinlock_t slab_lock = SPINLOCK_INIT;   /* every list and count in this file */

#define SLAB_MAGIC 0x51ab51abu

struct kmem_cache {
    const char *name;
    uint32_t size;
    uint32_t per_slab;
    struct list_head partial, full;
    uint32_t nr_empty;
};

struct slab {
    uint32_t magic;
    uint32_t inuse;
    struct kmem_cache *cache;
    struct list_head node;
    void *free;                 /* singly linked through the free objects */
};

#define SLAB_HEADER ALIGN_UP(sizeof(struct slab), 16)

static struct kmem_cache caches[] = {
    { .name = "kmalloc-16", .size = 16 },     { .name = "kmalloc-32", .size = 32 },
    { .name = "kmalloc-64", .size = 64 },     { .name = "kmalloc-128", .size = 128 },
    { .name = "kmalloc-256", .size = 256 },   { .name = "kmalloc-512", .size = 512 },
    { .name = "kmalloc-1024", .size = 1024 }, { .name = "kmalloc-2048", .size = 2048 },
};
static uint64_t nr_slab_pages;

void slab_init(void)
{
    for (unsigned int i = 0; i < ARRAY_SIZE(caches); i++) {
        list_init(&caches[i].partial);
        list_init(&caches[i].full);
        caches[i].per_slab = (uint32_t)((PAGE_SIZE - SLAB_HEADER) / caches[i].size);
    }
}

uint64_t slab_pages(void) { return READ_ONCE(nr_slab_pages); }

static struct kmem_cache *cache_for(size_t size)
{
    for (unsigned int i = 0; i < ARRAY_SIZE(caches); i++)
        if (size <= caches[i].size)
            return &caches[i];
    return NULL;
}

static struct slab *slab_grow(struct kmem_cache *c, const char *who)
{
    struct slab *s = alloc_pages_(0, who);
    if (!s)
        return NULL;
    s->magic = SLAB_MAGIC;
    s->inuse = 0;
    s->cache = c;
    s->free = NULL;
    char *obj = (char *)s + SLAB_HEADER;
    for (uint32_t i = 0; i < c->per_slab; i++) {
        void **o = (void **)(obj + (size_t)(c->per_slab - 1 - i) * c->size);
        *o = s->free;
        s->free = o;
    }
    list_add(&s->node, &c->partial);
    c->nr_empty++;
    nr_slab_pages++;
    return s;
}

void *kmalloc_(size_t size, const char *who)
{
    struct kmem_cache *c = cache_for(size);
    if (!size || !c) {
        printk("pvguest: slab: refusing a %zu-byte object for %s (1..%u bytes)\n", size, who, SLAB_MAX_SIZE);
        return NULL;
    }
    unsigned long f = spin_lock_irqsave(&slab_lock);
    struct slab *s;
    if (list_empty(&c->partial)) {
        if (!slab_grow(c, who)) {
            spin_unlock_irqrestore(&slab_lock, f);
            printk("pvguest: slab: out of memory: cannot grow %s for a %zu-byte object for %s\n", c->name, size, who);
            return NULL;
        }
    }
    s = list_first_entry(&c->partial, struct slab, node);
    void **o = s->free;
    s->free = *o;
    if (s->inuse++ == 0)
        c->nr_empty--;
    if (!s->free) {
        list_del(&s->node);
        list_add(&s->node, &c->full);
    }
    spin_unlock_irqrestore(&slab_lock, f);
    return o;
}

void *kzalloc_(size_t size, const char *who)
{
    void *p = kmalloc_(size, who);
    if (p)
        memset(p, 0, size);
    return p;
}

void kfree(void *p)
{
    if (!p)
        return;
    struct slab *s = (struct slab *)ALIGN_DOWN((uintptr_t)p, PAGE_SIZE);
    if (s->magic != SLAB_MAGIC)
        panic("slab: kfree(%p): not a slab object", p);
    struct kmem_cache *c = s->cache;
    uintptr_t off = (uintptr_t)p - (uintptr_t)s;
    if (off < SLAB_HEADER || (off - SLAB_HEADER) % c->size || !s->inuse)
        panic("slab: kfree(%p): not the start of a live %s object", p, c->name);
    unsigned long f = spin_lock_irqsave(&slab_lock);
    bool was_full = !s->free;
    *(void **)p = s->free;
    s->free = p;
    if (was_full) {
        list_del(&s->node);
        list_add(&s->node, &c->partial);
    }
    if (--s->inuse == 0) {
        if (c->nr_empty) {          /* keep one empty slab per cache, give the rest back */
            list_del(&s->node);
            s->magic = 0;
            nr_slab_pages--;
            free_pages(s, 0);
        } else {
            c->nr_empty++;
        }
    }
    spin_unlock_irqrestore(&slab_lock, f);
}
