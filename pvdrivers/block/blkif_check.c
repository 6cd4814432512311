/*
 * blkback's validation of one request copied out of the ring (see
 * include/block/blkif_check.h): the guest's values are hostile.
 */
#include <block/blkif_check.h>

#define SECTORS_PER_PAGE 8u

int blkif_check_segments(const struct blkif_request_segment *seg, unsigned int n, uint64_t sector,
                         uint64_t disk_sectors, uint64_t *nsect)
{
    *nsect = 0;
    uint64_t total = 0;
    for (unsigned int i = 0; i < n; i++) {
        const struct blkif_request_segment *s = &seg[i];
        if (s->first_sect > s->last_sect || s->last_sect >= SECTORS_PER_PAGE)
            return BLKIF_RSP_ERROR;
        total += (uint64_t)s->last_sect - s->first_sect + 1;
    }
    /* total <= 8 * 2^16: the subtraction cannot wrap once total <= disk_sectors */
    if (!n || total > disk_sectors || sector > disk_sectors - total)
        return BLKIF_RSP_ERROR;
    *nsect = total;
    return BLKIF_RSP_OKAY;
}

int blkif_check_request(const struct blkif_request *req, uint64_t disk_sectors, const struct blkif_caps *caps,
                        uint64_t *nsect)
{
    *nsect = 0;
    switch (req->operation) {
    case BLKIF_OP_FLUSH_DISKCACHE:
        return BLKIF_RSP_OKAY;          /* segments, if any, are ignored (as Xen's blkback) */
    case BLKIF_OP_READ:
    case BLKIF_OP_WRITE:
        if (req->nr_segments == 0 || req->nr_segments > BLKIF_MAX_SEGMENTS_PER_REQUEST)
            return BLKIF_RSP_ERROR;
        return blkif_check_segments(req->seg, req->nr_segments, req->sector_number, disk_sectors, nsect);
    case BLKIF_OP_DISCARD: {
        struct blkif_request_discard d;
        __builtin_memcpy(&d, req, sizeof(d));
        if (!caps->discard || (d.flag & BLKIF_DISCARD_SECURE))
            return BLKIF_RSP_EOPNOTSUPP;
        if ((d.flag & ~BLKIF_DISCARD_SECURE) || !d.nr_sectors || d.nr_sectors > disk_sectors ||
            d.sector_number > disk_sectors - d.nr_sectors)
            return BLKIF_RSP_ERROR;
        *nsect = d.nr_sectors;
        return BLKIF_RSP_OKAY;
    }
    case BLKIF_OP_INDIRECT: {
        struct blkif_request_indirect ind;
        __builtin_memcpy(&ind, req, sizeof(ind));
        if (!caps->max_indirect)
            return BLKIF_RSP_EOPNOTSUPP;
        if ((ind.indirect_op != BLKIF_OP_READ && ind.indirect_op != BLKIF_OP_WRITE) || !ind.nr_segments ||
            ind.nr_segments > caps->max_indirect ||
            blkif_indirect_pages(ind.nr_segments) > BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST)
            return BLKIF_RSP_ERROR;
        return BLKIF_RSP_OKAY;
    }
    default:
        return BLKIF_RSP_EOPNOTSUPP;
    }
}
