/*
 * virtio-blk end to end: sectors that carry an xxHash of (sector, generation,
 * payload) are written, partly overwritten, flushed, read back and checked.
 * Runs wherever a virtio-blk device was probed, skipped otherwise.
 * Sector layout (also what tools/check_disk.py reads on the host):
 *   0 "PVGBLK01"  8 sector (le64)  16 generation (le64)  24 xxh64 of the sector with these 8 bytes zero  32 payload
 */
#include "selftest.h"
#include <virtio_blk.h>
#include <dma.h>
#include <mm.h>
#include <lib/string.h>
/* xxHash's own header-only form (libxxhash-dev), as the ring test and the test guests use it. */
#define XXH_INLINE_ALL
#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

#define BLK_TEST_FIRST      2048u       /* 1 MiB into the disk */
#define BLK_TEST_SECTORS    128u
#define BLK_TEST_REWRITTEN  64u         /* the first 64 get generation 2 */

static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static uint64_t get64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

static void blk_fill(uint8_t *s, uint64_t sector, uint64_t gen)
{
    memcpy(s, "PVGBLK01", 8);
    put64(s + 8, sector);
    put64(s + 16, gen);
    put64(s + 24, 0);
    uint64_t st = sector * 0x9e3779b97f4a7c15ull + gen + 1;
    for (unsigned int i = 32; i < SECTOR_SIZE; i += 8)
        put64(s + i, test_rand(&st));
    put64(s + 24, XXH64(s, SECTOR_SIZE, 0));
}

/* NULL if sector s is what blk_fill(sector, gen) wrote, else what is wrong. */
static const char *blk_check(const uint8_t *s, uint64_t sector, uint64_t gen)
{
    static uint8_t want[SECTOR_SIZE];
    if (memcmp(s, "PVGBLK01", 8))
        return "no magic";
    if (get64(s + 8) != sector)
        return "wrong sector number";
    if (get64(s + 16) != gen)
        return "wrong generation";
    uint8_t copy[SECTOR_SIZE];
    memcpy(copy, s, SECTOR_SIZE);
    put64(copy + 24, 0);
    if (XXH64(copy, SECTOR_SIZE, 0) != get64(s + 24))
        return "hash mismatch";
    blk_fill(want, sector, gen);
    return memcmp(s, want, SECTOR_SIZE) ? "payload differs" : NULL;
}

TEST(test_virtio_blk)
{
    struct vblk *b = virtio_blk_get();
    if (!b)
        return ktap_skip(why, len, "no virtio-blk device");
    if (virtio_blk_sectors(b) < BLK_TEST_FIRST + BLK_TEST_SECTORS)
        return ktap_fail(why, len, "disk of %llu sectors is too small", (unsigned long long)virtio_blk_sectors(b));
    /* 16 KiB + 1 page: requests start mid-page so segments split at page boundaries. */
    uint8_t *buf = alloc_pages(3);
    if (!buf)
        return ktap_fail(why, len, "no buffer");
    const char *err = NULL;
    int rc = 0;
    uint64_t t0 = clock_ns();
    /* Generation 1 everywhere, 32 sectors a request from a page-aligned buffer. */
    for (uint32_t s = 0; s < BLK_TEST_SECTORS && !rc; s += 32) {
        for (uint32_t i = 0; i < 32; i++)
            blk_fill(buf + i * SECTOR_SIZE, BLK_TEST_FIRST + s + i, 1);
        rc = virtio_blk_write(b, BLK_TEST_FIRST + s, buf, 32);
    }
    if (!rc)
        rc = virtio_blk_flush(b);
    /* Generation 2 over the first half, 8 sectors a request starting 1.5 KiB into a page. */
    uint8_t *odd = buf + 3 * SECTOR_SIZE;
    for (uint32_t s = 0; s < BLK_TEST_REWRITTEN && !rc; s += 8) {
        for (uint32_t i = 0; i < 8; i++)
            blk_fill(odd + i * SECTOR_SIZE, BLK_TEST_FIRST + s + i, 2);
        rc = virtio_blk_write(b, BLK_TEST_FIRST + s, odd, 8);
    }
    if (!rc)
        rc = virtio_blk_flush(b);
    if (rc) {
        free_pages(buf, 3);
        return ktap_fail(why, len, "write or flush failed: %d", rc);
    }
    /* Read back 16 at a time into a poisoned buffer and check every sector. */
    uint32_t bad = 0, first_bad = 0;
    for (uint32_t s = 0; s < BLK_TEST_SECTORS && !rc; s += 16) {
        memset(odd, 0xa5, 16 * SECTOR_SIZE);
        rc = virtio_blk_read(b, BLK_TEST_FIRST + s, odd, 16);
        for (uint32_t i = 0; i < 16 && !rc; i++) {
            uint32_t n = s + i;
            const char *e = blk_check(odd + i * SECTOR_SIZE, BLK_TEST_FIRST + n, n < BLK_TEST_REWRITTEN ? 2 : 1);
            if (e && !bad++)
                first_bad = n, err = e;
        }
    }
    uint64_t us = (clock_ns() - t0) / NSEC_PER_USEC;
    /* A range past the end is refused before the device sees it. */
    int past = virtio_blk_read(b, virtio_blk_sectors(b) - 1, buf, 2);
    free_pages(buf, 3);
    if (rc)
        return ktap_fail(why, len, "read failed: %d", rc);
    if (bad)
        return ktap_fail(why, len, "%u of %u sectors bad, first %u: %s", bad, BLK_TEST_SECTORS,
                         BLK_TEST_FIRST + first_bad, err);
    if (past != -EINVAL)
        return ktap_fail(why, len, "a read past the end returned %d, not -EINVAL", past);
    uint64_t kicks, saved;
    virtio_blk_kicks(b, &kicks, &saved);
    printk("# virtio-blk: %u sectors written, %u rewritten, flushed, read back and checked in %llu us"
           " (features %#llx; doorbells %llu rung, %llu skipped)\n",
           BLK_TEST_SECTORS, BLK_TEST_REWRITTEN, (unsigned long long)us, (unsigned long long)virtio_blk_features(b),
           (unsigned long long)kicks, (unsigned long long)saved);
    return NULL;
}

/*
 * dma_alloc_contiguous: an order-2 block whose bus frames are contiguous and
 * aligned (PV: made so by XENMEM_exchange), holding what is written, and
 * given back whole: each of its frames is free again right after the free.
 * Runs everywhere (no device needed). Not the free-page count: on dom0 the
 * back ends allocate meanwhile (blkback for the domUs' first requests took 4
 * pages during this test once).
 */
TEST(test_dma_contiguous)
{
    for (unsigned int round = 0; round < 2; round++) {
        uint8_t *p = dma_alloc_contiguous(2);
        if (!p)
            return ktap_fail(why, len, "no order-2 block (round %u)", round);
        uint64_t first = dma_addr(virt_to_pfn(p));
        if (first & 3) {
            dma_free_contiguous(p, 2);
            return ktap_fail(why, len, "bus frame %#llx is not aligned to 4 frames", (unsigned long long)first);
        }
        for (uint64_t k = 0; k < 4; k++)
            if (dma_addr(virt_to_pfn(p) + k) != first + k) {
                dma_free_contiguous(p, 2);
                return ktap_fail(why, len, "frame %llu of the block is at %#llx, not %#llx", (unsigned long long)k,
                                 (unsigned long long)dma_addr(virt_to_pfn(p) + k), (unsigned long long)(first + k));
            }
        if (round == 0)
            printk("# dma: an order-2 block: pfn %#llx at bus frames %#llx..%#llx\n",
                   (unsigned long long)virt_to_pfn(p), (unsigned long long)first, (unsigned long long)(first + 3));
        for (unsigned int i = 0; i < 4 * PAGE_SIZE; i += 8)
            put64(p + i, i * 0x9e3779b97f4a7c15ull + round);
        for (unsigned int i = 0; i < 4 * PAGE_SIZE; i += 8)
            if (get64(p + i) != i * 0x9e3779b97f4a7c15ull + round) {
                dma_free_contiguous(p, 2);
                return ktap_fail(why, len, "byte %u of the block did not keep what was written", i);
            }
        /* With this CPU's handlers held off, nothing here can take a frame between the free and the look. */
        uint64_t pfn = virt_to_pfn(p);
        unsigned long f = irq_save();
        dma_free_contiguous(p, 2);
        unsigned int kept = 0;
        for (uint64_t k = 0; k < 4; k++)
            kept += pfn_is_allocated(pfn + k);
        irq_restore(f);
        if (kept)
            return ktap_fail(why, len, "%u of the 4 frames at pfn %#llx still allocated after the free (round %u)",
                             kept, (unsigned long long)pfn, round);
    }
    return NULL;
}
