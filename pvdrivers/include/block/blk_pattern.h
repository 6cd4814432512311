/*
 * The sectors the block workloads write (block/selftest_blk.c's blk_rw and
 * block/soak_blk.c's blksoak), and tools/check_disk.py's blkfront layout:
 * eight-byte words [xxh64(words 1..63, seed 0x626c6b), sector, generation,
 * our domain id, payload derived from the three].
 */
#ifndef BLOCK_BLK_PATTERN_H
#define BLOCK_BLK_PATTERN_H

#include <stdint.h>

#define BLK_PATTERN_WORDS (512 / 8)

/* Fills one sector's words for (sector, gen) in our domain. */
void blk_pattern_fill(uint64_t *w, uint64_t sector, uint64_t gen);
/* 0 if the sector is (sector, gen, us) with a good hash; else 1 hash, 2 another domain's, 3 another sector's, 4 another generation. */
int blk_pattern_check(const uint64_t *w, uint64_t sector, uint64_t gen);

#endif
