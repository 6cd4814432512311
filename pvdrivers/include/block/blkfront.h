/*
 * blkfront's asynchronous API (domUs, the first vbd): requests go on the
 * granted ring at once, their callbacks run in the blkfront thread when the
 * back end answers. Requests survive the back end going away: they are
 * reissued when it is Connected again.
 */
#ifndef PVD_BLOCK_BLKFRONT_H
#define PVD_BLOCK_BLKFRONT_H

#include <stdbool.h>
#include <stdint.h>

#define BLKFRONT_MAX_SECTORS 88         /* a direct request: 11 segments of a page each */
#define BLKFRONT_MAX_INDIRECT 256       /* segments of an indirect request we use at most (1 MiB) */

/* status: BLKIF_RSP_OKAY (0), BLKIF_RSP_ERROR, BLKIF_RSP_EOPNOTSUPP, or -EIO if the device was removed. */
typedef void (*blkfront_done_t)(void *arg, int status);

/* Waits up to timeout_ns for the disk to be Connected: its size in sectors, or 0. */
uint64_t blkfront_wait_ready(uint64_t timeout_ns);
/* The largest read or write one request may carry: 88, or 8 * the indirect segments the back end offers (<= 256). */
unsigned int blkfront_max_sectors(void);
/* The back end offers feature-discard. */
bool blkfront_can_discard(void);
/*
 * Queues a read or write (op: BLKIF_OP_READ / _WRITE) of nsect sectors
 * (1..blkfront_max_sectors(); over 88 goes as BLKIF_OP_INDIRECT) at sector,
 * to or from buf (page-aligned, nsect * 512 bytes), a flush
 * (BLKIF_OP_FLUSH_DISKCACHE; buf NULL, nsect 0) or a discard
 * (BLKIF_OP_DISCARD; buf NULL, nsect >= 1). Waits while all 32 slots are in
 * flight. While the back end is away (after it was Connected once) the
 * request waits for it. 0, or a negative errno (never connected, bad
 * arguments, no grant reference, -EOPNOTSUPP: discard not offered): then
 * done is not called.
 */
int blkfront_submit(int op, uint64_t sector, void *buf, unsigned int nsect, blkfront_done_t done, void *arg);

/* Tests only (a hostile front end): queues raw as it is (its id replaced), no grants made or ended; *slot: where it sits in the shared ring. */
struct blkif_request;
int blkfront_submit_raw(const struct blkif_request *raw, blkfront_done_t done, void *arg,
                        volatile struct blkif_request **slot);
/* Tests only: the back end's domain (to grant it pages by hand). */
uint16_t blkfront_backend_id(void);
/* Tests only: publishes a request producer three rings ahead and notifies the back end. */
void blkfront_break_ring(void);
/* Tests only: how many times requests were reissued after the back end came back, and how many. */
void blkfront_reissue_stats(unsigned int *reconnects, unsigned int *reissued);

#endif
