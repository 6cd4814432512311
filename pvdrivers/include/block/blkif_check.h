/*
 * blkback's request validation, pure (no grants, no store): compiled into
 * pvguest and into the host unit test tests/unit/test_blkif_check.c.
 */
#ifndef PVD_BLOCK_BLKIF_CHECK_H
#define PVD_BLOCK_BLKIF_CHECK_H

#include <stdbool.h>
#include <stdint.h>
#include <public/io/blkif.h>

/* What the back end offers (its feature-* keys). */
struct blkif_caps {
    unsigned int max_indirect;      /* feature-max-indirect-segments: 0 = no BLKIF_OP_INDIRECT */
    bool discard;                   /* feature-discard */
};

#define BLKIF_SEGS_PER_INDIRECT_PAGE (4096u / sizeof(struct blkif_request_segment))   /* 512 */

/*
 * Checks a request already copied out of the ring (the slot's 112 bytes,
 * whatever its operation) against a disk (the guest's extent) of
 * disk_sectors 512-byte sectors. Returns BLKIF_RSP_OKAY, BLKIF_RSP_ERROR for
 * a malformed request or BLKIF_RSP_EOPNOTSUPP for an operation not offered
 * (barrier, discard or indirect without the feature, unknown):
 * - READ / WRITE: nr_segments 1..11, each segment first_sect <= last_sect <= 7,
 *   all sectors inside the disk (no wrap); *nsect: the sector count;
 * - FLUSH_DISKCACHE: OKAY (segments ignored), *nsect 0;
 * - DISCARD: nr_sectors >= 1 inside the disk, no BLKIF_DISCARD_SECURE (not
 *   offered: EOPNOTSUPP); *nsect: nr_sectors;
 * - INDIRECT: indirect_op READ or WRITE, nr_segments 1..caps->max_indirect;
 *   *nsect 0: the segments, once fetched, go to blkif_check_segments.
 */
int blkif_check_request(const struct blkif_request *req, uint64_t disk_sectors, const struct blkif_caps *caps,
                        uint64_t *nsect);

/* The segment list of a read or write (n of them, already copied) from sector on: OKAY and *nsect, or ERROR. */
int blkif_check_segments(const struct blkif_request_segment *seg, unsigned int n, uint64_t sector,
                         uint64_t disk_sectors, uint64_t *nsect);

/* Indirect pages an indirect request of nr_segments names (1 per 512 segments). */
static inline unsigned int blkif_indirect_pages(unsigned int nr_segments)
{
    return (nr_segments + BLKIF_SEGS_PER_INDIRECT_PAGE - 1) / BLKIF_SEGS_PER_INDIRECT_PAGE;
}

#endif
