/*
 * blksoak=yes (domUs with a vbd): the driver-domain soak's disk workload.
 * Until the toolstack asks the domain to power off (control/shutdown), it
 * writes its first SOAK_SECT sectors over and over, one generation a pass,
 * in chunks of CHUNK sectors with DEPTH in flight, and reads each pass back
 * (PAUSE_NS between passes).
 * Every acknowledged write is logged with the xxh64 of the chunk written:
 *
 *     blksoak: ack <sector>+<n> gen <g> xxh64 <16 hex digits>
 *
 * so the host can check the disk image against the log afterwards
 * (tools/check_disk.py --acklog): the last acknowledged write of each chunk
 * must be there whole. Meanwhile the back end may vanish at any time (its
 * driver domain killed): blkfront keeps what was not answered and reissues
 * it to the next back end, so nothing here fails; it only waits. Each time
 * an answer follows a reconnection, the outage (last answer before it to the
 * first after) is printed. At the end every chunk is read and checked
 * against its last acknowledged generation: lost (zeros), torn (a bad hash),
 * stale (an older generation); the verdict goes to the log and to the
 * domain's data/soak for the toolstack.
 */
#define XXH_INLINE_ALL
#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>
#include <cmdline.h>
#include <mm.h>
#include <sched.h>
#include <xen/services.h>
#include <xenbus/xenbus.h>
#include <public/io/blkif.h>
#include <block/blkfront.h>
#include <block/blk_pattern.h>

#define CHUNK       256u                    /* sectors a request: 32 pages, an indirect request */
#define CHUNK_PAGES (CHUNK * 512 / PAGE_SIZE)
#define DEPTH       8u                      /* requests in flight */
#define SOAK_SECT   2048u                   /* sectors soaked (or the disk, if smaller) */
#define MAX_CHUNKS  (SOAK_SECT / CHUNK)
#define READY_NS    (60 * NSEC_PER_SEC)
#define ANSWER_NS   (120 * NSEC_PER_SEC)    /* an answer may wait for a whole restart of the back end */
#define PAUSE_NS    (10 * NSEC_PER_MSEC)    /* between passes: a paced workload (and a log of a sane size) */

static bool enabled;
static uint8_t *bufs[DEPTH];                /* CHUNK_PAGES contiguous pages each */
static struct semaphore done, finished;
static int status[DEPTH];
static uint64_t answered_at[DEPTH];
static unsigned int acked_gen[MAX_CHUNKS];

static struct {
    uint64_t acked, reads, passes;
    unsigned int outages;
    uint64_t outage_min_us, outage_max_us, outage_sum_us;
    unsigned int lost, torn, stale, misplaced, failed;
    bool ran;                           /* the thread was started: blk_soak_finish waits for it */
} st;

static bool set_blksoak(const char *v)
{
    enabled = v && !strcmp(v, "yes");
    return enabled || (v && !strcmp(v, "no"));
}
KERNEL_OPTION("blksoak", set_blksoak);

static void answered(void *arg, int rc)
{
    unsigned int i = (unsigned int)(uintptr_t)arg;
    status[i] = rc;
    answered_at[i] = clock_ns();
    sem_up(&done);
}

static uint64_t last_answer_ns;
static unsigned int seen_reconnects;

/*
 * n requests (op, chunk first + i, buffer i) and their answers: false if one
 * could not be submitted, went unanswered or failed. An answer after a
 * reconnection closes an outage, measured from the last answer before it.
 */
static bool wave(int op, unsigned int first, unsigned int n)
{
    for (unsigned int i = 0; i < n; i++) {
        status[i] = 99;
        int rc = blkfront_submit(op, (uint64_t)(first + i) * CHUNK, bufs[i], CHUNK, answered, (void *)(uintptr_t)i);
        if (rc) {
            printk("blksoak: submitting chunk %u failed: %d\n", first + i, rc);
            for (unsigned int j = 0; j < i; j++)
                sem_down_timeout(&done, ANSWER_NS);
            st.failed++;
            return false;
        }
    }
    for (unsigned int i = 0; i < n; i++)
        if (sem_down_timeout(&done, ANSWER_NS)) {
            printk("blksoak: %u of %u requests unanswered after %llu s\n", n - i, n,
                   (unsigned long long)(ANSWER_NS / NSEC_PER_SEC));
            st.failed++;
            return false;
        }
    unsigned int reconnects, reissued;
    blkfront_reissue_stats(&reconnects, &reissued);
    uint64_t first_answer = UINT64_MAX, last = 0;
    for (unsigned int i = 0; i < n; i++) {
        first_answer = MIN(first_answer, answered_at[i]);
        last = MAX(last, answered_at[i]);
    }
    if (reconnects != seen_reconnects && last_answer_ns) {
        uint64_t us = (first_answer - last_answer_ns) / 1000;
        st.outage_min_us = st.outages ? MIN(st.outage_min_us, us) : us;
        st.outage_max_us = MAX(st.outage_max_us, us);
        st.outage_sum_us += us;
        st.outages++;
        printk("blksoak: back end back (reconnection %u): outage %llu.%03llu ms from the last answer before it "
               "to the first after\n", reconnects, (unsigned long long)(us / 1000), (unsigned long long)(us % 1000));
    }
    seen_reconnects = reconnects;
    last_answer_ns = last;
    for (unsigned int i = 0; i < n; i++)
        if (status[i] != BLKIF_RSP_OKAY) {
            printk("blksoak: chunk %u (op %d) answered %d\n", first + i, op, status[i]);
            st.failed++;
            return false;
        }
    return true;
}

/* Checks chunk c in buffer i against generation gen: counts what is wrong; true if all is well. */
static bool check_chunk(unsigned int i, unsigned int c, unsigned int gen)
{
    bool ok = true;
    for (unsigned int k = 0; k < CHUNK; k++) {
        const uint64_t *w = (const uint64_t *)(bufs[i] + k * 512);
        uint64_t sector = (uint64_t)c * CHUNK + k;
        bool zero = true;
        for (unsigned int j = 0; j < BLK_PATTERN_WORDS && zero; j++)
            zero = !w[j];
        int bad = zero ? 5 : blk_pattern_check(w, sector, gen);
        if (!bad)
            continue;
        if (ok)
            printk("blksoak: sector %llu: %s (generation %u acknowledged)\n", (unsigned long long)sector,
                   bad == 5 ? "lost (zeros)" : bad == 1 ? "torn (bad hash)" : bad == 4 ? "stale generation" :
                   "misplaced", gen);
        ok = false;
        if (bad == 5)
            st.lost++;
        else if (bad == 1)
            st.torn++;
        else if (bad == 4)
            st.stale++;
        else
            st.misplaced++;
    }
    return ok;
}

/* Reads every chunk back and checks it against what was acknowledged. */
static bool read_pass(unsigned int chunks)
{
    for (unsigned int c = 0; c < chunks; c += DEPTH) {
        unsigned int n = MIN(DEPTH, chunks - c);
        if (!wave(BLKIF_OP_READ, c, n))
            return false;
        for (unsigned int i = 0; i < n; i++)
            check_chunk(i, c + i, acked_gen[c + i]);
        st.reads += n;
    }
    return true;
}

static bool write_pass(unsigned int chunks, unsigned int gen)
{
    for (unsigned int c = 0; c < chunks; c += DEPTH) {
        unsigned int n = MIN(DEPTH, chunks - c);
        for (unsigned int i = 0; i < n; i++)
            for (unsigned int k = 0; k < CHUNK; k++)
                blk_pattern_fill((uint64_t *)(bufs[i] + k * 512), (uint64_t)(c + i) * CHUNK + k, gen);
        if (!wave(BLKIF_OP_WRITE, c, n))
            return false;
        for (unsigned int i = 0; i < n; i++) {
            acked_gen[c + i] = gen;
            st.acked++;
            printk("blksoak: ack %u+%u gen %u xxh64 %016llx\n", (c + i) * CHUNK, CHUNK, gen,
                   (unsigned long long)XXH64(bufs[i], CHUNK * 512, 0));
        }
    }
    return true;
}

static void soak_thread(void *unused)
{
    (void)unused;
    uint64_t sectors = blkfront_wait_ready(READY_NS);
    unsigned int chunks = (unsigned int)(MIN(sectors, (uint64_t)SOAK_SECT) / CHUNK);
    if (!chunks) {
        printk("blksoak: no disk (or under %u sectors) after %llu s\n", CHUNK,
               (unsigned long long)(READY_NS / NSEC_PER_SEC));
        st.failed++;
        sem_up(&finished);
        thread_exit();
    }
    printk("blksoak: writing and reading back %u chunks of %u sectors, %u in flight, until told to stop\n", chunks,
           CHUNK, DEPTH);
    bool ok = true;
    for (unsigned int gen = 1; ok && !xenbus_shutdown_requested(); gen++) {
        ok = write_pass(chunks, gen) && read_pass(chunks);
        st.passes += ok;
        thread_sleep_ns(PAUSE_NS);
    }
    if (ok)
        ok = read_pass(chunks);     /* the final check: every chunk as last acknowledged */
    bool verified = ok && !st.lost && !st.torn && !st.stale && !st.misplaced;
    uint64_t avg = st.outages ? st.outage_sum_us / st.outages : 0;
    printk("blksoak: %llu passes: acknowledged_writes=%llu reads=%llu lost=%u torn=%u stale=%u misplaced=%u "
           "failed=%u verified=%s\n", (unsigned long long)st.passes, (unsigned long long)st.acked,
           (unsigned long long)st.reads, st.lost, st.torn, st.stale, st.misplaced, st.failed, verified ? "yes" : "no");
    printk("blksoak: %u outages: min %llu avg %llu max %llu ms\n", st.outages,
           (unsigned long long)(st.outage_min_us / 1000), (unsigned long long)(avg / 1000),
           (unsigned long long)(st.outage_max_us / 1000));
    int rc = xenbus_printf(0, "data/soak", "acked=%llu lost=%u torn=%u outages=%u outage_max_ms=%llu verified=%s",
                           (unsigned long long)st.acked, st.lost + st.stale + st.misplaced, st.torn, st.outages,
                           (unsigned long long)(st.outage_max_us / 1000), verified ? "yes" : "no");
    if (rc)
        printk("blksoak: writing data/soak failed: %d\n", rc);
    sem_up(&finished);
    thread_exit();
}

/* From blkfront_start: buffers at boot, the thread waits for the disk. */
void blk_soak_start(void)
{
    sem_init(&done, 0);
    sem_init(&finished, 0);
    if (!enabled)
        return;
    for (unsigned int i = 0; i < DEPTH; i++)
        if (!(bufs[i] = alloc_pages(5))) {     /* 32 pages: CHUNK_PAGES */
            printk("blksoak: no memory for its buffers\n");
            return;
        }
    _Static_assert(CHUNK_PAGES == 32, "alloc_pages(5) is one chunk");
    if (!thread_create("blksoak", soak_thread, NULL))
        printk("blksoak: no thread\n");
    else
        st.ran = true;
}

/* At power-off (the stops list): the soak ends at the toolstack's request; wait for its verdict. */
void blk_soak_finish(void)
{
    if (st.ran)
        sem_down(&finished);
}
