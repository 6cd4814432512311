/*
 * The self-test case "blk_rw" (domUs with blktest=yes and a vbd): sectors
 * written with their number, a generation, our domain id and an xxHash of
 * it all, 32 requests in flight, then flushed, read back and checked; a
 * read of 11 segments; 1 MiB indirect requests (generation 2), timed against
 * 11-segment ones; a discard; a request past the disk's end must fail. The
 * disk must read as zeros first: another domain's data in our extent fails
 * it. blkevil=yes adds a hostile front end (a flood first, then malformed
 * and rewritten requests); blkrecheck=<ms> checks every sector again later.
 */
#define XXH_INLINE_ALL
#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>
#include <cmdline.h>
#include <counters.h>
#include <ktap.h>
#include <mm.h>
#include <sched.h>
#include <xen/services.h>
#include <public/io/blkif.h>
#include <block/blkfront.h>
#include <block/blk_pattern.h>
#ifndef EIO
#define EIO 5
#endif

#define WAVE        BLKIF_RING_SIZE         /* requests in flight at once */
#define TEST_SECT   2048u                   /* sectors tested (or the disk, if smaller) */
#define WORDS       BLK_PATTERN_WORDS
#define READY_NS    (60 * NSEC_PER_SEC)
#define WAVE_NS     (20 * NSEC_PER_SEC)
#define HUGE_SECT   2048u                   /* a 1 MiB request: 256 indirect segments */
#define SEQ_ROUNDS  32                      /* 1 MiB transfers timed each way */
#define FLOOD_NS    (2 * NSEC_PER_SEC)
#define DISCARD_AT  16u
#define DISCARD_N   16u

static bool enabled;
static bool hostile;                        /* blkevil=yes: then bad requests and a jumping producer */
static uint8_t *bufs[WAVE];                 /* a page per request in flight */
static uint8_t *big;                        /* 11 contiguous pages (of 16) */
static uint8_t *huge;                       /* 1 MiB: 256 pages */
static uint64_t recheck_ms;                 /* blkrecheck=<ms>: 0 = no second check */
static struct semaphore done;
static int status[WAVE];

static bool set_blktest(const char *v)
{
    enabled = v && !strcmp(v, "yes");
    return enabled || (v && !strcmp(v, "no"));
}
KERNEL_OPTION("blktest", set_blktest);

static bool set_blkevil(const char *v)
{
    hostile = v && !strcmp(v, "yes");
    return hostile || (v && !strcmp(v, "no"));
}
KERNEL_OPTION("blkevil", set_blkevil);

static bool set_blkrecheck(const char *v)
{
    uint64_t n = 0;
    if (!v || !*v)
        return false;
    for (; *v; v++) {
        if (*v < '0' || *v > '9' || n > 1000000)
            return false;
        n = n * 10 + (uint64_t)(*v - '0');
    }
    recheck_ms = n;
    return true;
}
KERNEL_OPTION("blkrecheck", set_blkrecheck);

/* From blkfront_start: the buffers are taken at boot, not while self-tests count pages. */
void blk_selftest_prepare(void)
{
    sem_init(&done, 0);
    if (!enabled)
        return;
    for (unsigned int i = 0; i < WAVE; i++)
        if (!(bufs[i] = alloc_page()))
            enabled = false;
    if (!(big = alloc_pages(4)) || !(huge = alloc_pages(8)))
        enabled = false;
}

void blk_pattern_fill(uint64_t *w, uint64_t sector, uint64_t gen)
{
    w[1] = sector;
    w[2] = gen;
    w[3] = xenpv_domid();
    for (unsigned int i = 4; i < WORDS; i++)
        w[i] = sector * 0x9E3779B97F4A7C15ull ^ (gen << 40) ^ (w[3] << 56) ^ i;
    w[0] = XXH64(&w[1], (WORDS - 1) * 8, 0x626c6b);
}

int blk_pattern_check(const uint64_t *w, uint64_t sector, uint64_t gen)
{
    if (w[0] != XXH64(&w[1], (WORDS - 1) * 8, 0x626c6b))
        return 1;
    if (w[3] != xenpv_domid())
        return 2;
    if (w[1] != sector)
        return 3;
    if (w[2] != gen)
        return 4;
    return 0;
}

static void req_done(void *arg, int st)
{
    status[(uintptr_t)arg] = st;
    sem_up(&done);
}

/* n requests of nsect sectors from sector on, buffer i for the ith: -1 if submitting failed, else the first bad status's index + 1 or 0. */
static int wave(int op, uint64_t sector, unsigned int n, unsigned int nsect, char *why, size_t len, const char **err)
{
    for (unsigned int i = 0; i < n; i++) {
        status[i] = 99;
        int rc = blkfront_submit(op, sector + (uint64_t)i * nsect, bufs[i], nsect, req_done, (void *)(uintptr_t)i);
        if (rc) {
            for (unsigned int j = 0; j < i; j++)
                sem_down_timeout(&done, WAVE_NS);
            *err = ktap_fail(why, len, "submitting request %u: %d", i, rc);
            return -1;
        }
    }
    for (unsigned int i = 0; i < n; i++)
        if (sem_down_timeout(&done, WAVE_NS)) {
            *err = ktap_fail(why, len, "%u of %u requests unanswered after %llu s", n - i, n,
                             (unsigned long long)(WAVE_NS / NSEC_PER_SEC));
            return -1;
        }
    for (unsigned int i = 0; i < n; i++)
        if (status[i] != BLKIF_RSP_OKAY) {
            *err = ktap_fail(why, len, "request %u (op %d, sector %llu) answered %d", i, op,
                             (unsigned long long)(sector + (uint64_t)i * nsect), status[i]);
            return -1;
        }
    return 0;
}

/* One raw request: its answer, or 100 if none came in timeout_ns. */
static int raw_status(const struct blkif_request *q, uint64_t timeout_ns)
{
    status[0] = 99;
    if (blkfront_submit_raw(q, req_done, (void *)0, NULL))
        return 101;
    return sem_down_timeout(&done, timeout_ns) ? 100 : status[0];
}

/* Reads n sectors (waves of 32 x 8) and checks each: generation gen, or zeros where discarded (if discarded). */
static const char *verify_all(uint64_t n, uint64_t gen, bool discarded, char *why, size_t len)
{
    const char *err = NULL;
    for (uint64_t s = 0; s < n; s += 8 * WAVE) {
        for (unsigned int i = 0; i < WAVE; i++)
            memset(bufs[i], 0xa5, PAGE_SIZE);
        if (wave(BLKIF_OP_READ, s, WAVE, 8, why, len, &err))
            return err;
        for (unsigned int i = 0; i < WAVE; i++)
            for (unsigned int k = 0; k < 8; k++) {
                uint64_t sec = s + i * 8 + k;
                const uint64_t *w = (const uint64_t *)(bufs[i] + k * 512);
                if (discarded && sec >= DISCARD_AT && sec < DISCARD_AT + DISCARD_N) {
                    for (unsigned int j = 0; j < WORDS; j++)
                        EXPECT(w[j] == 0, "discarded sector %llu does not read as zeros", (unsigned long long)sec);
                    continue;
                }
                int c = blk_pattern_check(w, sec, gen);
                EXPECT(!c, "sector %llu read back wrong (%s)", (unsigned long long)sec,
                       c == 1 ? "hash" : c == 2 ? "another domain's data" : c == 3 ? "another sector" : "old generation");
            }
    }
    return NULL;
}

/* total sectors from sector on, to or from buf, in requests of per sectors all in flight at once (<= 32). */
static int chunks(int op, uint64_t sector, uint8_t *buf, unsigned int total, unsigned int per, char *why, size_t len,
                  const char **err)
{
    unsigned int n = 0;
    for (unsigned int off = 0; off < total; off += per, n++) {
        unsigned int k = total - off < per ? total - off : per;
        status[n] = 99;
        int rc = blkfront_submit(op, sector + off, buf + (uint64_t)off * 512, k, req_done, (void *)(uintptr_t)n);
        if (rc) {
            for (unsigned int j = 0; j < n; j++)
                sem_down_timeout(&done, WAVE_NS);
            *err = ktap_fail(why, len, "submitting %u sectors at %llu: %d", k, (unsigned long long)(sector + off), rc);
            return -1;
        }
    }
    for (unsigned int i = 0; i < n; i++)
        if (sem_down_timeout(&done, WAVE_NS)) {
            *err = ktap_fail(why, len, "%u of %u requests unanswered", n - i, n);
            return -1;
        }
    for (unsigned int i = 0; i < n; i++)
        if (status[i] != BLKIF_RSP_OKAY) {
            *err = ktap_fail(why, len, "request %u of %u (op %d, %u sectors each) answered %d", i, n, op, per, status[i]);
            return -1;
        }
    return 0;
}

/*
 * 1 MiB at sector 0 written as generation 2 and read back, SEQ_ROUNDS times
 * each way, as one indirect request of 256 segments and as 24 direct ones
 * of up to 11: the times and our hypervisor entries (the README's figure).
 */
static const char *sequential(uint64_t n, char *why, size_t len)
{
    EXPECT(blkfront_max_sectors() == HUGE_SECT, "the back end offers no 256-segment indirect requests (%u sectors at most)",
           blkfront_max_sectors());
    EXPECT(n >= HUGE_SECT, "disk too small for a 1 MiB request");
    const char *err = NULL;
    for (unsigned int k = 0; k < HUGE_SECT; k++)
        blk_pattern_fill((uint64_t *)(huge + k * 512), k, 2);
    uint64_t us[2][2], ent[2][2];
    static const unsigned int per[2] = { HUGE_SECT, BLKFRONT_MAX_SECTORS };
    for (unsigned int mode = 0; mode < 2; mode++)        /* a first untimed round each way */
        for (unsigned int w = 0; w < 2; w++)
            if (chunks(w ? BLKIF_OP_READ : BLKIF_OP_WRITE, 0, huge, HUGE_SECT, per[mode], why, len, &err))
                return err;
    for (unsigned int mode = 0; mode < 2; mode++)
        for (unsigned int w = 0; w < 2; w++) {
            uint64_t t0 = clock_ns(), e0 = counter_total_entries();
            for (unsigned int r = 0; r < SEQ_ROUNDS; r++)
                if (chunks(w ? BLKIF_OP_READ : BLKIF_OP_WRITE, 0, huge, HUGE_SECT, per[mode], why, len, &err))
                    return err;
            us[mode][w] = (clock_ns() - t0) / 1000 + 1;
            ent[mode][w] = (counter_total_entries() - e0) / SEQ_ROUNDS;
        }
    /* what the indirect read brings is what was written */
    memset(huge, 0xa5, HUGE_SECT * 512);
    if (chunks(BLKIF_OP_READ, 0, huge, HUGE_SECT, HUGE_SECT, why, len, &err))
        return err;
    for (unsigned int k = 0; k < HUGE_SECT; k++)
        EXPECT(!blk_pattern_check((const uint64_t *)(huge + k * 512), k, 2), "sector %u of the 1 MiB indirect read is wrong", k);
    printk("blkfront: sequential 1 MiB x %u: indirect (1 request, 256 segments) write %llu us, read %llu us "
           "(%llu / %llu MB/s), %llu / %llu of our hypervisor entries a MiB; direct (24 requests, <= 11 segments) "
           "write %llu us, read %llu us (%llu / %llu MB/s), %llu / %llu entries a MiB\n", SEQ_ROUNDS,
           (unsigned long long)us[0][0], (unsigned long long)us[0][1],
           (unsigned long long)(SEQ_ROUNDS * 1048576ull / us[0][0]), (unsigned long long)(SEQ_ROUNDS * 1048576ull / us[0][1]),
           (unsigned long long)ent[0][0], (unsigned long long)ent[0][1],
           (unsigned long long)us[1][0], (unsigned long long)us[1][1],
           (unsigned long long)(SEQ_ROUNDS * 1048576ull / us[1][0]), (unsigned long long)(SEQ_ROUNDS * 1048576ull / us[1][1]),
           (unsigned long long)ent[1][0], (unsigned long long)ent[1][1]);
    return verify_all(n, 2, false, why, len);
}

static bool discarded;      /* DISCARD_N sectors from DISCARD_AT were discarded (the back end offers discard) */

/*
 * DISCARD_N sectors discarded read as zeros, the others keep generation 2; a
 * discard past the end fails. Without feature-discard (a store with no discard
 * hook, e.g. virtio-blk) blkfront refuses one with -EOPNOTSUPP, as Linux's does.
 */
static const char *discard(uint64_t disk, uint64_t n, char *why, size_t len)
{
    if (!blkfront_can_discard()) {
        EXPECT(blkfront_submit(BLKIF_OP_DISCARD, DISCARD_AT, NULL, DISCARD_N, req_done, (void *)0) == -EOPNOTSUPP,
               "a discard the back end does not offer was submitted");
        printk("blkfront: self-test: no feature-discard: discards are refused before the ring\n");
        return verify_all(n, 2, false, why, len);
    }
    discarded = true;
    status[0] = 99;
    EXPECT(blkfront_submit(BLKIF_OP_DISCARD, DISCARD_AT, NULL, DISCARD_N, req_done, (void *)0) == 0, "discard not submitted");
    EXPECT(!sem_down_timeout(&done, WAVE_NS) && status[0] == BLKIF_RSP_OKAY, "discard answered %d", status[0]);
    status[0] = 99;
    EXPECT(blkfront_submit(BLKIF_OP_DISCARD, disk - 4, NULL, 8, req_done, (void *)0) == 0, "discard past the end not submitted");
    EXPECT(!sem_down_timeout(&done, WAVE_NS) && status[0] == BLKIF_RSP_ERROR, "a discard past the end answered %d",
           status[0]);
    return verify_all(n, 2, true, why, len);
}

static volatile unsigned int flood_bad;

static void flood_done(void *arg, int st)
{
    (void)arg;
    if (st != BLKIF_RSP_OKAY)
        __atomic_add_fetch(&flood_bad, 1, __ATOMIC_RELAXED);
    sem_up(&done);
}

/* A flood: reads of our disk, 32 in flight and replaced as each is answered, for FLOOD_NS. Back-pressure: submit waits. */
static const char *flood(uint64_t n, char *why, size_t len)
{
    uint64_t t0 = clock_ns(), submitted = 0, answered = 0;
    while (clock_ns() - t0 < FLOOD_NS) {
        if (submitted - answered == WAVE) {
            EXPECT(!sem_down_timeout(&done, WAVE_NS), "flood: no answer in %llu s", (unsigned long long)(WAVE_NS / NSEC_PER_SEC));
            answered++;
        }
        int rc = blkfront_submit(BLKIF_OP_READ, (submitted * 8) % (n - 8), bufs[submitted % WAVE], 8, flood_done, NULL);
        EXPECT(rc == 0, "flood: submitting failed: %d", rc);
        submitted++;
    }
    for (; answered < submitted; answered++)
        EXPECT(!sem_down_timeout(&done, WAVE_NS), "flood: %llu requests unanswered", (unsigned long long)(submitted - answered));
    EXPECT(!flood_bad, "flood: %u requests failed", flood_bad);
    printk("blkfront: hostile: a flood of %llu requests (32 in flight) answered in %llu ms\n",
           (unsigned long long)submitted, (unsigned long long)((clock_ns() - t0) / NSEC_PER_MSEC));
    return NULL;
}

/* An indirect request as a raw ring slot. */
static struct blkif_request indirect_req(uint8_t op, unsigned int nseg, grant_ref_t page)
{
    struct blkif_request_indirect ind = { .operation = BLKIF_OP_INDIRECT, .indirect_op = op,
                                          .nr_segments = (uint16_t)nseg, .sector_number = 0 };
    for (unsigned int i = 0; i < BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST; i++)
        ind.indirect_grefs[i] = page;
    struct blkif_request q;
    memset(&q, 0, sizeof(q));
    memcpy(&q, &ind, sizeof(ind));
    return q;
}

/*
 * Hostile indirect requests: each BLKIF_RSP_ERROR. Those with good data
 * grants (huge's 256 pages, read-only: writes) fail only by the back end's
 * checks: one running past our extent would land in the next domain's
 * (blk.scn puts the hostile domain first; the other's recheck would see it).
 */
static const char *hostile_indirect(uint64_t disk, char *why, size_t len)
{
    static grant_ref_t data[256];
    struct blkif_request_segment *page = (struct blkif_request_segment *)(big + 12 * PAGE_SIZE);
    int ref = xenpv_grant_access(blkfront_backend_id(), virt_to_pfn(page), true);
    EXPECT(ref >= 0, "granting an indirect page: %d", ref);
    unsigned int granted = 0;
    const char *err = NULL;
    while (granted < 256) {
        int r = xenpv_grant_access(blkfront_backend_id(), virt_to_pfn(huge + granted * PAGE_SIZE), true);
        if (r < 0) {
            err = ktap_fail(why, len, "granting page %u: %d", granted, r);
            break;
        }
        data[granted++] = (grant_ref_t)r;
    }
    struct { const char *what; uint8_t op; unsigned int nseg; bool good_page, good_data; uint64_t from_end;
             int bad_seg; uint8_t first, last; } bad[] = {
        { "257 indirect segments (256 offered)", BLKIF_OP_WRITE, 257, true, true, 4000, -1, 0, 7 },
        { "65535 indirect segments", BLKIF_OP_WRITE, 65535, true, true, 4000, -1, 0, 7 },
        { "0 indirect segments", BLKIF_OP_READ, 0, true, true, 4000, -1, 0, 7 },
        { "a bad indirect page grant reference", BLKIF_OP_READ, 4, false, true, 4000, -1, 0, 7 },
        { "bad data grant references in the indirect page", BLKIF_OP_WRITE, 4, true, false, 4000, -1, 0, 7 },
        { "an indirect write running past our extent", BLKIF_OP_WRITE, 256, true, true, 1024, -1, 0, 7 },
        { "an indirect write starting past our extent", BLKIF_OP_WRITE, 8, true, true, 0, -1, 0, 7 },
        { "first_sect > last_sect deep in the indirect page", BLKIF_OP_WRITE, 200, true, true, 4000, 150, 7, 3 },
        { "last_sect 8 deep in the indirect page", BLKIF_OP_WRITE, 200, true, true, 4000, 199, 0, 8 },
        { "an indirect flush", BLKIF_OP_FLUSH_DISKCACHE, 4, true, true, 4000, -1, 0, 7 },
    };
    for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]) && !err; i++) {
        for (unsigned int k = 0; k < 256; k++)
            page[k] = (struct blkif_request_segment){ .gref = bad[i].good_data ? data[k] : 0xfffff, .first_sect = 0,
                                                      .last_sect = 7 };
        if (bad[i].bad_seg >= 0) {
            page[bad[i].bad_seg].first_sect = bad[i].first;
            page[bad[i].bad_seg].last_sect = bad[i].last;
        }
        struct blkif_request q = indirect_req(bad[i].op, bad[i].nseg, bad[i].good_page ? (grant_ref_t)ref : 0xfffff);
        struct blkif_request_indirect ind;
        memcpy(&ind, &q, sizeof(ind));
        ind.sector_number = disk - bad[i].from_end;
        memcpy(&q, &ind, sizeof(ind));
        int st = raw_status(&q, WAVE_NS);
        if (st != BLKIF_RSP_ERROR)
            err = ktap_fail(why, len, "%s answered %d, want BLKIF_RSP_ERROR", bad[i].what, st);
    }
    /* direct writes from a good grant, past our extent */
    for (unsigned int i = 0; i < 2 && !err; i++) {
        struct blkif_request q = { .operation = BLKIF_OP_WRITE, .nr_segments = 1, .sector_number = disk - 4 + i * 4 };
        q.seg[0] = (struct blkif_request_segment){ .gref = data[0], .first_sect = 0, .last_sect = 7 };
        int st = raw_status(&q, WAVE_NS);
        if (st != BLKIF_RSP_ERROR)
            err = ktap_fail(why, len, "a direct write %s our extent answered %d", i ? "starting past" : "running past", st);
    }
    for (unsigned int k = 0; k < granted; k++)
        if (xenpv_grant_end_access(data[k]) && !err)
            err = ktap_fail(why, len, "the back end still holds data page %u", k);
    if (xenpv_grant_end_access((grant_ref_t)ref) && !err)
        return ktap_fail(why, len, "the back end still holds our indirect page");
    return err;
}

/*
 * A write rewritten in the shared ring after it was published (sector past
 * our extent, a bad grant, first_sect > last_sect, back and forth) until
 * answered: the back end serves the request as it copied it once, refused
 * (ERROR, nothing written) or served (OKAY). Its copy may catch our rewrite
 * halfway, field by field: served, it is a valid mix of the two versions,
 * so our data lands at our sector and the sectors written are 0..7, 0..3
 * (good first_sect, bad last_sect) or 7 alone (the reverse); any other set,
 * or a sector half written, is a request acted on as two different copies.
 * Only bytes from 16 on are rewritten: the first 16 become the response's
 * once the back end answers in the same slot (a front end scribbling there
 * loses its own answer).
 */
static const char *rewritten(char *why, size_t len, uint64_t disk)
{
    const uint64_t at = 40;
    for (unsigned int k = 0; k < 8; k++)
        blk_pattern_fill((uint64_t *)(bufs[0] + k * 512), at + k, 3);
    int ref = xenpv_grant_access(blkfront_backend_id(), virt_to_pfn(bufs[0]), true);
    EXPECT(ref >= 0, "granting a page: %d", ref);
    struct blkif_request q = { .operation = BLKIF_OP_WRITE, .nr_segments = 1, .sector_number = at };
    q.seg[0] = (struct blkif_request_segment){ .gref = (grant_ref_t)ref, .first_sect = 0, .last_sect = 7 };
    volatile struct blkif_request *slot = NULL;
    status[0] = 99;
    EXPECT(!blkfront_submit_raw(&q, req_done, (void *)0, &slot) && slot, "the write was not queued");
    unsigned int flips = 0;
    uint64_t t0 = clock_ns();
    while (__atomic_load_n(&status[0], __ATOMIC_ACQUIRE) == 99 && clock_ns() - t0 < WAVE_NS) {
        bool evil = !(flips & 1);
        slot->sector_number = evil ? disk + 1000 : at;      /* inside the other domain's extent of the store */
        slot->seg[0].gref = evil ? 0xfffff : (grant_ref_t)ref;
        slot->seg[0].first_sect = evil ? 7 : 0;
        slot->seg[0].last_sect = evil ? 3 : 7;
        flips++;
        if (!(flips & 255))
            thread_yield();
    }
    EXPECT(!sem_down_timeout(&done, WAVE_NS), "the rewritten write was never answered");
    int st = status[0];
    EXPECT(!xenpv_grant_end_access((grant_ref_t)ref), "the back end still holds the page");
    EXPECT(st == BLKIF_RSP_OKAY || st == BLKIF_RSP_ERROR, "the rewritten write answered %d", st);
    const char *err = NULL;
    memset(bufs[1], 0xa5, PAGE_SIZE);
    status[0] = 99;
    EXPECT(blkfront_submit(BLKIF_OP_READ, at, bufs[1], 8, req_done, (void *)0) == 0 && !sem_down_timeout(&done, WAVE_NS) &&
           status[0] == BLKIF_RSP_OKAY, "reading the rewritten write's sectors back failed");
    unsigned int written = 0;           /* bit k: sector at + k holds the rewritten write's data */
    for (unsigned int k = 0; k < 8; k++) {
        const uint64_t *w = (const uint64_t *)(bufs[1] + k * 512);
        bool now = !blk_pattern_check(w, at + k, 3);
        EXPECT(now || !blk_pattern_check(w, at + k, 2),
               "sector %llu after the rewritten write (answered %d) is neither all old nor all new", (unsigned long long)(at + k), st);
        written |= (unsigned int)now << k;
    }
    if (st == BLKIF_RSP_OKAY)
        EXPECT(written == 0xff || written == 0x0f || written == 0x80,
               "the rewritten write, answered OKAY, wrote sectors %#x (bit k: sector %llu + k): no single copy of it",
               written, (unsigned long long)at);
    else
        EXPECT(!written, "the rewritten write, refused, wrote sectors %#x (bit k: sector %llu + k)", written,
               (unsigned long long)at);
    /* sector 40's generation 3 stays: put generation 2 back so the later checks see one generation */
    for (unsigned int k = 0; k < 8; k++)
        blk_pattern_fill((uint64_t *)(bufs[0] + k * 512), at + k, 2);
    if (wave(BLKIF_OP_WRITE, at, 1, 8, why, len, &err))
        return err;
    printk("blkfront: hostile: a write rewritten %u times in the ring after publishing was answered %d, "
           "served as first copied (sectors written %#x of 0xff)\n", flips, st, written);
    return NULL;
}

/* A hostile front end: each malformed request answered BLKIF_RSP_ERROR, a jumping producer disconnects us. */
static const char *hostile_requests(uint64_t disk, char *why, size_t len)
{
    static const struct { const char *what; uint8_t op, nseg, first, last; uint32_t gref; int sector_from_end; int want; } bad[] = {
        { "a bad grant reference", BLKIF_OP_READ, 1, 0, 7, 0xfffff, 100, BLKIF_RSP_ERROR },
        { "a bad grant reference to write from", BLKIF_OP_WRITE, 1, 0, 7, 0x7ffff, 100, BLKIF_RSP_ERROR },
        { "sectors past the extent", BLKIF_OP_READ, 1, 0, 7, 0xfffff, 4, BLKIF_RSP_ERROR },
        { "12 segments", BLKIF_OP_READ, 12, 0, 7, 0xfffff, 200, BLKIF_RSP_ERROR },
        { "no segment", BLKIF_OP_WRITE, 0, 0, 7, 0xfffff, 200, BLKIF_RSP_ERROR },
        { "first_sect > last_sect", BLKIF_OP_READ, 1, 5, 4, 0xfffff, 200, BLKIF_RSP_ERROR },
        { "last_sect 8", BLKIF_OP_READ, 1, 0, 8, 0xfffff, 200, BLKIF_RSP_ERROR },
        { "a secure discard (discard-secure 0)", BLKIF_OP_DISCARD, 1, 0, 7, 0xfffff, 200, BLKIF_RSP_EOPNOTSUPP },
        { "an unknown operation", 77, 1, 0, 7, 0xfffff, 200, BLKIF_RSP_EOPNOTSUPP },
    };
    for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct blkif_request q = { .operation = bad[i].op, .nr_segments = bad[i].nseg,
                                   .sector_number = disk - (uint64_t)bad[i].sector_from_end };
        for (unsigned int k = 0; k < BLKIF_MAX_SEGMENTS_PER_REQUEST; k++)
            q.seg[k] = (struct blkif_request_segment){ .gref = bad[i].gref, .first_sect = bad[i].first,
                                                       .last_sect = bad[i].last };
        int st = raw_status(&q, WAVE_NS);
        EXPECT(st == bad[i].want, "%s answered %d, want %d", bad[i].what, st, bad[i].want);
    }
    const char *err = hostile_indirect(disk, why, len);
    if (err || (err = rewritten(why, len, disk)))
        return err;
    /* still served after all that */
    if (wave(BLKIF_OP_READ, 0, 4, 8, why, len, &(const char *){ NULL }))
        return ktap_fail(why, len, "honest reads failed after the malformed requests");
    blkfront_break_ring();
    thread_sleep_ns(300 * NSEC_PER_MSEC);
    struct blkif_request q = { .operation = BLKIF_OP_FLUSH_DISKCACHE };
    int st = raw_status(&q, 2 * NSEC_PER_SEC);
    EXPECT(st == 100 || st == -EIO, "after our producer jumped the back end still answered (%d)", st);
    printk("blkfront: hostile: %u malformed and 12 malformed indirect or overrunning requests refused, the producer jump disconnected us\n",
           (unsigned int)(sizeof(bad) / sizeof(bad[0])));
    return NULL;
}

const char *test_blk_rw(char *why, size_t len)
{
    if (!enabled)
        return ktap_skip(why, len, "no blktest=yes");
    uint64_t disk = blkfront_wait_ready(READY_NS);
    EXPECT(disk, "no vbd connected in %llu s", (unsigned long long)(READY_NS / NSEC_PER_SEC));
    uint64_t n = disk < TEST_SECT ? disk & ~7ull : TEST_SECT;
    EXPECT(n >= 8 * WAVE, "disk of %llu sectors: too small to test", (unsigned long long)disk);
    const char *err = NULL;
    /* 0: a hostile front end floods first (reads only), while the other domain does its work */
    if (hostile && (err = flood(n, why, len)))
        return err;
    uint64_t t0 = clock_ns();
    /* 1: untouched, the disk reads as zeros */
    for (uint64_t s = 0; s < n; s += 8 * WAVE) {
        if (wave(BLKIF_OP_READ, s, WAVE, 8, why, len, &err))
            return err;
        for (unsigned int i = 0; i < WAVE; i++)
            for (unsigned int k = 0; k < PAGE_SIZE / 8; k++)
                EXPECT(((uint64_t *)bufs[i])[k] == 0, "sector %llu was not zero before we wrote it: %#llx",
                       (unsigned long long)(s + i * 8 + k / WORDS), (unsigned long long)((uint64_t *)bufs[i])[k]);
    }
    /* 2: written, 32 requests in flight, then flushed */
    for (uint64_t s = 0; s < n; s += 8 * WAVE) {
        for (unsigned int i = 0; i < WAVE; i++)
            for (unsigned int k = 0; k < 8; k++)
                blk_pattern_fill((uint64_t *)(bufs[i] + k * 512), s + i * 8 + k, 1);
        if (wave(BLKIF_OP_WRITE, s, WAVE, 8, why, len, &err))
            return err;
    }
    status[0] = 99;
    EXPECT(blkfront_submit(BLKIF_OP_FLUSH_DISKCACHE, 0, NULL, 0, req_done, (void *)0) == 0, "flush not submitted");
    EXPECT(!sem_down_timeout(&done, WAVE_NS) && status[0] == BLKIF_RSP_OKAY, "flush answered %d", status[0]);
    /* 3: read back and checked */
    if ((err = verify_all(n, 1, false, why, len)))
        return err;
    uint64_t ns = clock_ns() - t0;
    /* 4: one read of 11 segments (88 sectors), from an odd sector */
    memset(big, 0, 11 * PAGE_SIZE);
    status[0] = 99;
    EXPECT(blkfront_submit(BLKIF_OP_READ, 5, big, BLKFRONT_MAX_SECTORS, req_done, (void *)0) == 0, "88-sector read not submitted");
    EXPECT(!sem_down_timeout(&done, WAVE_NS) && status[0] == BLKIF_RSP_OKAY, "88-sector read answered %d", status[0]);
    for (unsigned int k = 0; k < BLKFRONT_MAX_SECTORS; k++)
        EXPECT(!blk_pattern_check((const uint64_t *)(big + k * 512), 5 + k, 1), "sector %u of the 11-segment read is wrong", 5 + k);
    /* 5: 1 MiB indirect requests against 11-segment ones (generation 2 everywhere after), 6: a discard */
    if ((err = sequential(n, why, len)) || (err = discard(disk, n, why, len)))
        return err;
    /* 7: past the end of the disk: an error, nothing else */
    status[0] = 99;
    EXPECT(blkfront_submit(BLKIF_OP_WRITE, disk - 4, bufs[0], 8, req_done, (void *)0) == 0, "write past the end not submitted");
    EXPECT(!sem_down_timeout(&done, WAVE_NS) && status[0] == BLKIF_RSP_ERROR,
           "a write past the end of the disk answered %d, want BLKIF_RSP_ERROR", status[0]);
    printk("blkfront: self-test: %llu sectors read as zeros, written, flushed and read back in %llu ms "
           "(%u requests in flight)\n", (unsigned long long)n, (unsigned long long)(ns / NSEC_PER_MSEC), WAVE);
    if (hostile && (err = hostile_requests(disk, why, len)))
        return err;
    if (recheck_ms) {
        /* 8: later (the other domain's hostile phase over): every sector as we left it */
        thread_sleep_ns(recheck_ms * NSEC_PER_MSEC);
        if ((err = verify_all(n, 2, discarded, why, len)))
            return err;
        printk("blkfront: self-test: %llu sectors still intact %llu ms later\n", (unsigned long long)n,
               (unsigned long long)recheck_ms);
    }
    return NULL;
}
