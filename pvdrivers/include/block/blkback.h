/* blkback (block/back.c), as dom0's toolstack sees it. */
#ifndef BLOCK_BLKBACK_H
#define BLOCK_BLKBACK_H

/* vbds in blkback's table (xl's leak check). */
unsigned int blkback_vbds(void);

#endif
