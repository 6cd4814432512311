/* A blk_store in dom0's RAM: one page per 8 sectors, zeroed at creation; a discard zeroes. */
#include <mm.h>
#include <block/blk_store.h>

#define SECT_PER_PAGE (PAGE_SIZE / BLK_SECTOR_SIZE)

struct ramstore {
    struct blk_store s;
    uint8_t **pages;
};

static int ram_rw(struct blk_store *s, bool write, uint64_t sector, void *buf, unsigned int nsect)
{
    struct ramstore *r = s->priv;
    if (sector > s->sectors || nsect > s->sectors - sector)
        return -EINVAL;
    uint8_t *b = buf;
    for (unsigned int i = 0; i < nsect; i++, sector++, b += BLK_SECTOR_SIZE) {
        uint8_t *p = r->pages[sector / SECT_PER_PAGE] + (sector % SECT_PER_PAGE) * BLK_SECTOR_SIZE;
        if (write)
            memcpy(p, b, BLK_SECTOR_SIZE);
        else
            memcpy(b, p, BLK_SECTOR_SIZE);
    }
    return 0;
}

static int ram_flush(struct blk_store *s)
{
    (void)s;
    return 0;           /* RAM: every write is as durable as it will be */
}

static int ram_discard(struct blk_store *s, uint64_t sector, uint64_t nsect)
{
    struct ramstore *r = s->priv;
    if (sector > s->sectors || nsect > s->sectors - sector)
        return -EINVAL;
    for (; nsect; nsect--, sector++)
        memset(r->pages[sector / SECT_PER_PAGE] + (sector % SECT_PER_PAGE) * BLK_SECTOR_SIZE, 0, BLK_SECTOR_SIZE);
    return 0;
}

struct blk_store *blk_ramstore_create(uint64_t sectors)
{
    uint64_t npages = (sectors + SECT_PER_PAGE - 1) / SECT_PER_PAGE;
    struct ramstore *r = kzalloc(sizeof(*r));
    if (!r || !npages || npages > (1u << 16))
        return NULL;
    unsigned int order = 0;
    while ((PAGE_SIZE << order) < npages * sizeof(uint8_t *))
        order++;
    if (!(r->pages = alloc_pages(order)))
        return NULL;
    for (uint64_t i = 0; i < npages; i++) {
        if (!(r->pages[i] = alloc_page()))
            return NULL;            /* at boot: what was taken stays taken, the store is not made */
        memset(r->pages[i], 0, PAGE_SIZE);
    }
    r->s = (struct blk_store){ .sectors = sectors, .rw = ram_rw, .flush = ram_flush,
                              .discard = ram_discard, .priv = r };
    return &r->s;
}
