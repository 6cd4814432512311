/* Host tests of hypervisor/common/multiboot2.c on synthetic boot information blobs. */
#include <hv/multiboot2.h>
#include "unit.h"

/* ---- a builder for multiboot2 information -------------------------------- */

#define MB_CAP 8192

struct mb {
    uint64_t store[MB_CAP / 8];     /* 8-byte aligned, as the loader guarantees */
    size_t len;
    size_t tag_off[64];             /* where each tag starts, for the fuzzers */
    unsigned int nr_tags;
};

static uint8_t *mb_bytes(struct mb *b) { return (uint8_t *)b->store; }

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

static void mb_init(struct mb *b)
{
    memset(b, 0, sizeof(*b));
    b->len = 8;                     /* total_size, reserved */
}

/* Appends a tag whose size field says size (normally 8 + plen), padded to 8 bytes. */
static uint8_t *mb_tag_sized(struct mb *b, uint32_t type, uint32_t size, const void *payload,
                             size_t plen)
{
    size_t padded = (8 + plen + 7) & ~(size_t)7;
    assert_true(b->len + padded <= MB_CAP);
    uint8_t *t = mb_bytes(b) + b->len;
    put32(t, type);
    put32(t + 4, size);
    if (plen)
        memcpy(t + 8, payload, plen);
    if (b->nr_tags < UNIT_ARRAY_SIZE(b->tag_off))
        b->tag_off[b->nr_tags++] = b->len;
    b->len += padded;
    return t;
}

static uint8_t *mb_tag(struct mb *b, uint32_t type, const void *payload, size_t plen)
{
    return mb_tag_sized(b, type, (uint32_t)(8 + plen), payload, plen);
}

static void mb_string(struct mb *b, uint32_t type, const char *s)
{
    mb_tag(b, type, s, strlen(s) + 1);
}

static void mb_module(struct mb *b, uint32_t start, uint32_t end, const char *cmdline)
{
    uint8_t p[256];
    size_t n = strlen(cmdline) + 1;
    assert_true(8 + n <= sizeof(p));
    put32(p, start);
    put32(p + 4, end);
    memcpy(p + 8, cmdline, n);
    mb_tag(b, MB2_TAG_MODULE, p, 8 + n);
}

struct mm { uint64_t base, len; uint32_t type; };

static void mb_mmap(struct mb *b, uint32_t esize, const struct mm *e, size_t n)
{
    static uint8_t p[8 + 200 * 64];
    assert_true(8 + n * esize <= sizeof(p));
    memset(p, 0, sizeof(p));
    put32(p, esize);
    put32(p + 4, 0);                /* entry_version */
    for (size_t i = 0; i < n; i++) {
        uint8_t *q = p + 8 + i * esize;
        put64(q, e[i].base);
        put64(q + 8, e[i].len);
        put32(q + 16, e[i].type);
    }
    mb_tag(b, MB2_TAG_MMAP, p, 8 + n * esize);
}

static const uint8_t rsdp_old[20] = "RSD PTR \x11OEMID1\x00\x00\x10\x0f\x00";
static const uint8_t rsdp_new[36] = "RSD PTR \x22OEMID2\x02\x00\x20\x0f\x00\x24\x00\x00\x00"
                                    "\x00\x30\x0f\x00\x00\x00\x00\x00\x5e\x00\x00";

/* Appends the end tag and writes total_size. */
static void mb_finish(struct mb *b)
{
    mb_tag(b, MB2_TAG_END, NULL, 0);
    put32(mb_bytes(b), (uint32_t)b->len);
    put32(mb_bytes(b) + 4, 0);
}

static const struct mm good_map[] = {
    { 0x0, 0x9fc00, MEM_AVAILABLE },
    { 0x9fc00, 0x400, MEM_RESERVED },
    { 0xf0000, 0x10000, MEM_RESERVED },
    { 0x100000, 0x7ee0000, MEM_AVAILABLE },
    { 0x7fe0000, 0x20000, MEM_ACPI_RECLAIM },
    { 0xfffc0000, 0x40000, MEM_RESERVED },
    { 0x100000000ull, 0x40000000ull, MEM_AVAILABLE },
};

/* A blob as GRUB would hand over, with things we skip mixed in. */
static void build_good(struct mb *b, bool new_rsdp_first)
{
    uint8_t fb[24] = { 0 };
    uint8_t odd[5] = { 1, 2, 3, 4, 5 };
    uint8_t meminfo[8] = { 0x80, 2, 0, 0, 0, 0xfc, 1, 0 };

    mb_init(b);
    mb_string(b, MB2_TAG_CMDLINE, "console=com1 loglvl=7");
    mb_string(b, MB2_TAG_LOADER_NAME, "GRUB 2.06");
    mb_module(b, 0x200000, 0x264000, "dom0 kernel root=/dev/sda");
    mb_tag(b, MB2_TAG_BASIC_MEMINFO, meminfo, sizeof(meminfo));
    mb_module(b, 0x300000, 0x300c00, "initrd");
    mb_mmap(b, 24, good_map, UNIT_ARRAY_SIZE(good_map));
    if (new_rsdp_first) {
        mb_tag(b, MB2_TAG_ACPI_NEW, rsdp_new, sizeof(rsdp_new));
        mb_tag(b, MB2_TAG_ACPI_OLD, rsdp_old, sizeof(rsdp_old));
    } else {
        mb_tag(b, MB2_TAG_ACPI_OLD, rsdp_old, sizeof(rsdp_old));
        mb_tag(b, MB2_TAG_ACPI_NEW, rsdp_new, sizeof(rsdp_new));
    }
    mb_tag(b, MB2_TAG_FRAMEBUFFER, fb, sizeof(fb));
    mb_tag(b, 21, odd, sizeof(odd));    /* load base address, size not a multiple of 8 */
    mb_finish(b);
}

/* Parses a heap copy of exactly avail bytes, so ASan sees any read past them. */
static int parse_exact(const void *blob, size_t avail, struct boot_info *bi)
{
    void *p = malloc(avail ? avail : 1);
    assert_non_null(p);
    memcpy(p, blob, avail);
    int rc = mb2_parse(p, avail, bi);
    free(p);
    return rc;
}

static struct boot_info bi;

static void check_good(const struct mb *b)
{
    assert_int_equal(bi.mbi_size, b->len);
    assert_string_equal(bi.cmdline, "console=com1 loglvl=7");
    assert_string_equal(bi.loader, "GRUB 2.06");
    assert_int_equal(bi.nr_mods, 2);
    assert_int_equal(bi.mods[0].start, 0x200000);
    assert_int_equal(bi.mods[0].end, 0x264000);
    assert_string_equal(bi.mods[0].cmdline, "dom0 kernel root=/dev/sda");
    assert_int_equal(bi.mods[1].start, 0x300000);
    assert_int_equal(bi.mods[1].end, 0x300c00);
    assert_string_equal(bi.mods[1].cmdline, "initrd");
    assert_int_equal(bi.nr_mmap, UNIT_ARRAY_SIZE(good_map));
    for (size_t i = 0; i < UNIT_ARRAY_SIZE(good_map); i++) {
        assert_int_equal(bi.mmap[i].start, good_map[i].base);
        assert_int_equal(bi.mmap[i].end, good_map[i].base + good_map[i].len);
        assert_int_equal(bi.mmap[i].type, good_map[i].type);
    }
    assert_int_equal(bi.rsdp_len, 36);
    assert_memory_equal(bi.rsdp, rsdp_new, 36);
    assert_int_equal(bi.skipped_tags, 3);   /* basic meminfo, framebuffer, type 21 */
    assert_string_equal(bi.error, "");
}

static void test_good(void **state)
{
    (void)state;
    static struct mb b;
    build_good(&b, false);
    assert_int_equal(parse_exact(mb_bytes(&b), b.len, &bi), 0);
    check_good(&b);

    /* the ACPI 2.0 RSDP wins whichever comes first */
    build_good(&b, true);
    assert_int_equal(parse_exact(mb_bytes(&b), b.len, &bi), 0);
    check_good(&b);

    /* more bytes available than the information uses is fine */
    assert_int_equal(mb2_parse(mb_bytes(&b), MB_CAP, &bi), 0);
    check_good(&b);
}

static void test_good_variants(void **state)
{
    (void)state;
    static struct mb b;
    static const struct mm one[] = { { 0, 0, MEM_AVAILABLE }, { 0x100000, 0x1000000, MEM_AVAILABLE } };

    /* only the old RSDP; a wider mmap entry (32 bytes); a repeated cmdline keeps the first */
    mb_init(&b);
    mb_string(&b, MB2_TAG_CMDLINE, "first");
    mb_string(&b, MB2_TAG_CMDLINE, "second");
    mb_tag(&b, MB2_TAG_ACPI_OLD, rsdp_old, sizeof(rsdp_old));
    mb_mmap(&b, 32, one, UNIT_ARRAY_SIZE(one));
    mb_mmap(&b, 24, good_map, UNIT_ARRAY_SIZE(good_map));   /* a second map is ignored */
    mb_finish(&b);
    assert_int_equal(parse_exact(mb_bytes(&b), b.len, &bi), 0);
    assert_string_equal(bi.cmdline, "first");
    assert_string_equal(bi.loader, "");
    assert_int_equal(bi.nr_mods, 0);
    assert_int_equal(bi.rsdp_len, 20);
    assert_memory_equal(bi.rsdp, rsdp_old, 20);
    assert_int_equal(bi.nr_mmap, 1);        /* the zero-length entry is dropped */
    assert_int_equal(bi.mmap[0].start, 0x100000);
    assert_int_equal(bi.mmap[0].end, 0x1100000);
    assert_int_equal(bi.skipped_tags, 0);

    /* exactly BOOT_MAX_MODULES modules and BOOT_MAX_REGIONS regions fit */
    static struct mm many[BOOT_MAX_REGIONS];
    for (unsigned int i = 0; i < BOOT_MAX_REGIONS; i++)
        many[i] = (struct mm){ (uint64_t)i << 20, 1 << 20, MEM_AVAILABLE };
    mb_init(&b);
    for (unsigned int i = 0; i < BOOT_MAX_MODULES; i++)
        mb_module(&b, i * 0x1000, i * 0x1000 + 0x1000, "m");
    mb_module(&b, 0x5000, 0x5000, "");      /* empty module: end == start is fine */
    mb_mmap(&b, 24, many, BOOT_MAX_REGIONS);
    mb_finish(&b);
    assert_int_equal(parse_exact(mb_bytes(&b), b.len, &bi), -1);
    assert_contains(bi.error, "more than 16 modules");
    mb_init(&b);
    for (unsigned int i = 0; i < BOOT_MAX_MODULES - 1; i++)
        mb_module(&b, i * 0x1000, i * 0x1000 + 0x1000, "m");
    mb_module(&b, 0x5000, 0x5000, "");
    mb_mmap(&b, 24, many, BOOT_MAX_REGIONS);
    mb_finish(&b);
    assert_int_equal(parse_exact(mb_bytes(&b), b.len, &bi), 0);
    assert_int_equal(bi.nr_mods, BOOT_MAX_MODULES);
    assert_int_equal(bi.mods[BOOT_MAX_MODULES - 1].start, 0x5000);
    assert_int_equal(bi.nr_mmap, BOOT_MAX_REGIONS);

    /* a command line longer than the copy is cut, still terminated */
    static char longline[BOOT_CMDLINE_LEN + 100];
    memset(longline, 'c', sizeof(longline) - 1);
    longline[sizeof(longline) - 1] = '\0';
    mb_init(&b);
    mb_string(&b, MB2_TAG_CMDLINE, longline);
    mb_mmap(&b, 24, good_map, 1);
    mb_finish(&b);
    assert_int_equal(parse_exact(mb_bytes(&b), b.len, &bi), 0);
    assert_int_equal(strlen(bi.cmdline), BOOT_CMDLINE_LEN - 1);

    /* the smallest valid information: header, map, end */
    mb_init(&b);
    mb_mmap(&b, 24, good_map, 1);
    mb_finish(&b);
    assert_int_equal(parse_exact(mb_bytes(&b), b.len, &bi), 0);
    assert_int_equal(bi.rsdp_len, 0);
}

/* ---- refusals ------------------------------------------------------------ */

enum refusal {
    R_TOTAL_SMALL, R_TOTAL_ZERO, R_TOTAL_OVER_AVAIL, R_AVAIL_TINY, R_TAG_SIZE_SMALL,
    R_TAG_SIZE_ZERO, R_TAG_PAST_END, R_NO_END, R_END_CUT, R_CMDLINE_NO_NUL,
    R_LOADER_NO_NUL, R_MOD_END_BEFORE_START, R_MOD_SHORT, R_MOD_CMDLINE_NO_NUL, R_MOD_TOO_MANY,
    R_MMAP_SHORT, R_MMAP_ESIZE_16, R_MMAP_ESIZE_0, R_MMAP_ESIZE_28, R_MMAP_WRAP, R_NO_MMAP,
    R_MMAP_ALL_EMPTY, R_REGIONS_TOO_MANY, R_ACPI_OLD_SHORT, R_ACPI_NEW_SHORT,
};

static const struct {
    enum refusal r;
    const char *what;
    const char *error;      /* substring bi.error must hold */
} refusals[] = {
    { R_TOTAL_SMALL, "total_size 15", "total_size 15 is too small" },
    { R_TOTAL_ZERO, "total_size 0", "total_size 0 is too small" },
    { R_TOTAL_OVER_AVAIL, "truncated buffer", "exceeds the" },
    { R_AVAIL_TINY, "avail 4", "truncated (4 bytes)" },
    { R_TAG_SIZE_SMALL, "tag size 7", "has size 7" },
    { R_TAG_SIZE_ZERO, "tag size 0", "has size 0" },
    { R_TAG_PAST_END, "tag past end", "runs past the end" },
    { R_NO_END, "no end tag", "no end tag" },
    { R_END_CUT, "end tag cut by total_size", "no end tag" },
    { R_CMDLINE_NO_NUL, "cmdline without NUL", "command line is not NUL-terminated" },
    { R_LOADER_NO_NUL, "loader name without NUL", "boot loader name is not NUL-terminated" },
    { R_MOD_END_BEFORE_START, "module end < start", "before it starts" },
    { R_MOD_SHORT, "module tag 16 bytes", "module tag at offset 0x8 is too short" },
    { R_MOD_CMDLINE_NO_NUL, "module cmdline without NUL", "module 1 command line is not NUL" },
    { R_MOD_TOO_MANY, "BOOT_MAX_MODULES + 1", "more than 16 modules" },
    { R_MMAP_SHORT, "mmap tag 12 bytes", "memory map tag at offset 0x8 is too short" },
    { R_MMAP_ESIZE_16, "entry size 16", "memory map entry size 16 is invalid" },
    { R_MMAP_ESIZE_0, "entry size 0", "memory map entry size 0 is invalid" },
    { R_MMAP_ESIZE_28, "entry size 28", "memory map entry size 28 is invalid" },
    { R_MMAP_WRAP, "wrapping entry", "wraps around" },
    { R_NO_MMAP, "no mmap", "no memory map" },
    { R_MMAP_ALL_EMPTY, "only empty entries", "no memory map" },
    { R_REGIONS_TOO_MANY, "BOOT_MAX_REGIONS + 1", "more than 128 memory map entries" },
    { R_ACPI_OLD_SHORT, "old RSDP 19 bytes", "ACPI RSDP tag is too short (19 bytes)" },
    { R_ACPI_NEW_SHORT, "new RSDP 20 bytes", "ACPI RSDP tag is too short (20 bytes)" },
};

/* Builds the blob for one refusal; returns the number of bytes to offer. */
static size_t build_refusal(struct mb *b, enum refusal r)
{
    static const struct mm one[] = { { 0x100000, 0x1000000, MEM_AVAILABLE } };
    static struct mm many[BOOT_MAX_REGIONS + 1];
    uint8_t junk[32];
    memset(junk, 'j', sizeof(junk));

    mb_init(b);
    switch (r) {
    case R_TOTAL_SMALL:
        mb_finish(b);
        put32(mb_bytes(b), 15);
        return b->len;
    case R_TOTAL_ZERO:
        mb_finish(b);
        put32(mb_bytes(b), 0);
        return b->len;
    case R_TOTAL_OVER_AVAIL:
        mb_mmap(b, 24, one, 1);
        mb_finish(b);
        return b->len - 1;
    case R_AVAIL_TINY:
        mb_finish(b);
        return 4;
    case R_TAG_SIZE_SMALL:
        mb_tag_sized(b, 77, 7, NULL, 0);
        break;
    case R_TAG_SIZE_ZERO:
        mb_tag_sized(b, MB2_TAG_CMDLINE, 0, NULL, 0);
        break;
    case R_TAG_PAST_END:
        mb_mmap(b, 24, one, 1);
        mb_tag_sized(b, MB2_TAG_CMDLINE, 32, "abc", 4);     /* 8 + 8 bytes there, claims 32 */
        mb_finish(b);
        put32(mb_bytes(b), (uint32_t)(b->len - 8));         /* total_size ends inside it */
        return b->len;
    case R_NO_END:
        mb_mmap(b, 24, one, 1);
        put32(mb_bytes(b), (uint32_t)b->len);
        return b->len;
    case R_END_CUT:
        mb_mmap(b, 24, one, 1);
        mb_finish(b);
        put32(mb_bytes(b), (uint32_t)b->len - 4);
        return b->len;
    case R_CMDLINE_NO_NUL:
        mb_tag(b, MB2_TAG_CMDLINE, "no terminator", 13);
        break;
    case R_LOADER_NO_NUL:
        mb_tag(b, MB2_TAG_LOADER_NAME, "GRUB", 4);
        break;
    case R_MOD_END_BEFORE_START:
        mb_module(b, 0x300000, 0x2fffff, "backwards");
        break;
    case R_MOD_SHORT: {
        uint8_t p[8] = { 0, 0, 0x20, 0, 0, 0, 0x30, 0 };
        mb_tag(b, MB2_TAG_MODULE, p, sizeof(p));
        break;
    }
    case R_MOD_CMDLINE_NO_NUL: {
        uint8_t p[12] = { 0, 0, 0x20, 0, 0, 0, 0x30, 0, 'a', 'b', 'c', 'd' };
        mb_module(b, 0x100000, 0x101000, "fine");
        mb_tag(b, MB2_TAG_MODULE, p, sizeof(p));
        break;
    }
    case R_MOD_TOO_MANY:
        for (unsigned int i = 0; i < BOOT_MAX_MODULES + 1; i++)
            mb_module(b, i * 0x1000, i * 0x1000 + 0x1000, "m");
        break;
    case R_MMAP_SHORT: {
        uint8_t p[4] = { 24, 0, 0, 0 };
        mb_tag(b, MB2_TAG_MMAP, p, sizeof(p));
        break;
    }
    case R_MMAP_ESIZE_16:
        mb_mmap(b, 16, one, 1);
        break;
    case R_MMAP_ESIZE_0:
        mb_mmap(b, 0, one, 0);
        break;
    case R_MMAP_ESIZE_28:
        mb_mmap(b, 28, one, 1);
        break;
    case R_MMAP_WRAP: {
        static const struct mm wrap[] = {
            { 0x100000, 0x1000000, MEM_AVAILABLE },
            { 0xfffffffffffff000ull, 0x2000, MEM_RESERVED },
        };
        mb_mmap(b, 24, wrap, 2);
        break;
    }
    case R_NO_MMAP:
        mb_string(b, MB2_TAG_CMDLINE, "x");
        mb_finish(b);
        return b->len;
    case R_MMAP_ALL_EMPTY: {
        static const struct mm empty[] = { { 0x100000, 0, MEM_AVAILABLE }, { 0, 0, MEM_RESERVED } };
        mb_mmap(b, 24, empty, 2);
        mb_finish(b);
        return b->len;
    }
    case R_REGIONS_TOO_MANY:
        for (unsigned int i = 0; i < BOOT_MAX_REGIONS + 1; i++)
            many[i] = (struct mm){ (uint64_t)i << 20, 1 << 20, MEM_AVAILABLE };
        mb_mmap(b, 24, many, BOOT_MAX_REGIONS + 1);
        mb_finish(b);
        return b->len;
    case R_ACPI_OLD_SHORT:
        mb_tag(b, MB2_TAG_ACPI_OLD, rsdp_old, 19);
        break;
    case R_ACPI_NEW_SHORT:
        mb_tag(b, MB2_TAG_ACPI_NEW, rsdp_new, 20);
        break;
    }
    /* the refused tag, then an otherwise valid remainder */
    mb_mmap(b, 24, one, 1);
    mb_finish(b);
    return b->len;
}

static void test_refusals(void **state)
{
    (void)state;
    static struct mb b;
    for (size_t i = 0; i < UNIT_ARRAY_SIZE(refusals); i++) {
        size_t avail = build_refusal(&b, refusals[i].r);
        int rc = parse_exact(mb_bytes(&b), avail, &bi);
        if (rc != -1 || !strstr(bi.error, refusals[i].error))
            fail_msg("%s: rc %d error \"%s\", want \"%s\"", refusals[i].what, rc, bi.error,
                     refusals[i].error);
    }
}

static void test_pointer_refusals(void **state)
{
    (void)state;
    static struct mb b;
    build_good(&b, false);

    assert_int_equal(mb2_parse(NULL, b.len, &bi), -1);
    assert_contains(bi.error, "no boot information");

    /* a misaligned copy of a good blob */
    for (size_t mis = 1; mis < 8; mis++) {
        uint8_t *p = malloc(b.len + 8);
        assert_non_null(p);
        memcpy(p + mis, mb_bytes(&b), b.len);
        assert_int_equal(mb2_parse(p + mis, b.len, &bi), -1);
        assert_contains(bi.error, "not 8-byte aligned");
        free(p);
    }

    /* avail below the header */
    for (size_t avail = 0; avail < 8; avail++) {
        assert_int_equal(parse_exact(mb_bytes(&b), avail, &bi), -1);
        assert_contains(bi.error, "truncated");
    }

    /* bi is cleared first, whatever was there */
    memset(&bi, 0xa5, sizeof(bi));
    assert_int_equal(mb2_parse(NULL, 0, &bi), -1);
    assert_int_equal(bi.nr_mods, 0);
    assert_int_equal(bi.nr_mmap, 0);
    assert_int_equal(bi.rsdp_len, 0);
}

/* ---- fuzz-ish: truncations and corrupted headers, with ASan watching ---- */

/* On success the result must be sane; on failure the error must say something. */
static void check_outcome(int rc, const char *what, size_t a, size_t b)
{
    if (rc == -1) {
        if (!bi.error[0])
            fail_msg("%s %zu/%zu: refused without an error", what, a, b);
        assert_true(memchr(bi.error, '\0', sizeof(bi.error)) != NULL);
        return;
    }
    if (rc != 0)
        fail_msg("%s %zu/%zu: returned %d", what, a, b, rc);
    assert_true(bi.nr_mods <= BOOT_MAX_MODULES);
    assert_true(bi.nr_mmap >= 1 && bi.nr_mmap <= BOOT_MAX_REGIONS);
    assert_true(bi.rsdp_len == 0 || bi.rsdp_len == 20 || bi.rsdp_len == 36);
    assert_true(memchr(bi.cmdline, '\0', sizeof(bi.cmdline)) != NULL);
    assert_true(memchr(bi.loader, '\0', sizeof(bi.loader)) != NULL);
    for (unsigned int i = 0; i < bi.nr_mods; i++) {
        assert_true(bi.mods[i].end >= bi.mods[i].start);
        assert_true(memchr(bi.mods[i].cmdline, '\0', sizeof(bi.mods[i].cmdline)) != NULL);
    }
    for (unsigned int i = 0; i < bi.nr_mmap; i++)
        assert_true(bi.mmap[i].end > bi.mmap[i].start);
}

static void test_truncations(void **state)
{
    (void)state;
    static struct mb b;
    build_good(&b, false);
    size_t full = b.len;

    for (size_t len = 0; len <= full; len++) {
        /* the buffer is cut but total_size still claims everything */
        int rc = parse_exact(mb_bytes(&b), len, &bi);
        check_outcome(rc, "cut", len, full);
        assert_int_equal(rc, len == full ? 0 : -1);

        /* the buffer and total_size both cut: the tags must be checked */
        if (len >= 4) {
            static struct mb c;
            c = b;
            put32(mb_bytes(&c), (uint32_t)len);
            rc = parse_exact(mb_bytes(&c), len, &bi);
            check_outcome(rc, "cut+size", len, full);
            assert_int_equal(rc, len == full ? 0 : -1);
        }
    }
}

static void test_corrupted_headers(void **state)
{
    (void)state;
    static struct mb b, c;
    build_good(&b, false);
    unsigned long runs = 0;

    /* every value of every byte of the information header and of each tag header */
    for (unsigned int t = 0; t <= b.nr_tags; t++) {
        size_t base = t == 0 ? 0 : b.tag_off[t - 1];
        for (size_t i = base; i < base + 8; i++) {
            for (unsigned int v = 0; v < 256; v++) {
                c = b;
                mb_bytes(&c)[i] = (uint8_t)v;
                check_outcome(parse_exact(mb_bytes(&c), c.len, &bi), "header byte", i, v);
                runs++;
            }
        }
    }

    /* every single-bit flip anywhere in the blob */
    for (size_t i = 0; i < b.len; i++) {
        for (unsigned int bit = 0; bit < 8; bit++) {
            c = b;
            mb_bytes(&c)[i] ^= (uint8_t)(1u << bit);
            check_outcome(parse_exact(mb_bytes(&c), c.len, &bi), "bit flip", i, bit);
            runs++;
        }
    }
    assert_true(runs > 10000);
}

/* ---- regressions: bugs these tests found, now fixed ---------------------- */

/*
 * A memory map tag of 16 bytes (no entries) with entry_size 0xfffffff8 passes
 * the "esize >= 24 && esize % 8 == 0" check; "p + esize <= size" then wraps in
 * 32 bits (16 + 0xfffffff8 == 8), so parse_mmap reads 24-byte entries at tag+16
 * and tag+8, past the tag and here past the end of the information.
 */
static void test_mmap_entry_size_wraps(void **state)
{
    (void)state;
    static struct mb b;
    uint8_t p[8] = { 0xf8, 0xff, 0xff, 0xff, 0, 0, 0, 0 };
    mb_init(&b);
    mb_tag(&b, MB2_TAG_MMAP, p, sizeof(p));
    mb_finish(&b);
    assert_int_equal(b.len, 32);
    assert_int_equal(parse_exact(mb_bytes(&b), b.len, &bi), -1);
    assert_contains(bi.error, "memory map");
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),
        cmocka_unit_test(test_good_variants),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_pointer_refusals),
        cmocka_unit_test(test_truncations),
        cmocka_unit_test(test_corrupted_headers),
        cmocka_unit_test(test_mmap_entry_size_wraps),
    };
    return unit_run(argc, argv, "multiboot2", tests, UNIT_ARRAY_SIZE(tests));
}
