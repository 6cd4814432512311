/* Host tests of lib/elf.c on synthetic ELF64 PV kernels built in memory. */
#include <lib/elf.h>
#include "unit.h"

#define PT_LOAD     1
#define PT_NOTE     4
#define PF_X        1
#define PF_W        2
#define PF_R        4

/* Xen note types, as in hypercall-abi/include/public/elfnote.h (not on this include path). */
enum {
    XN_ENTRY = 1, XN_HYPERCALL_PAGE = 2, XN_VIRT_BASE = 3, XN_PADDR_OFFSET = 4,
    XN_XEN_VERSION = 5, XN_GUEST_OS = 6, XN_GUEST_VERSION = 7, XN_LOADER = 8, XN_PAE_MODE = 9,
    XN_FEATURES = 10, XN_BSD_SYMTAB = 11, XN_HV_START_LOW = 12, XN_L1_MFN_VALID = 13,
    XN_INIT_P2M = 15, XN_MOD_START_PFN = 16, XN_SUPPORTED_FEATURES = 17,
    XN_CRASH_INFO = 0x1000001,
};

#define VB          0xffffffff80000000ull   /* the test guests' GUEST_VIRT_BASE */
#define HOLE_START  0xffff800000000000ull
#define HOLE_END    0xffff880000000000ull

/* ---- a builder for ELF64 images ------------------------------------------- */

#define EB_MAX_SEGS     24
#define EB_MAX_NOTES    80
#define EB_DESC_MAX     300

struct eb_seg {
    uint32_t type, flags;
    uint64_t paddr, filesz, memsz;
    bool fixed_off;                 /* use off as given; no file bytes are laid out */
    uint64_t off;
};

struct eb_note {
    char name[8];
    uint32_t namelen, namesz;       /* bytes written (padded to 4), and the header's namesz */
    uint32_t type;
    uint8_t desc[EB_DESC_MAX];
    uint32_t desclen, descsz;       /* likewise for the descriptor */
};

struct eb {
    struct eb_seg seg[EB_MAX_SEGS];
    unsigned int nr_segs;
    struct eb_note note[EB_MAX_NOTES];
    unsigned int nr_notes;
    bool no_note_phdr;              /* lay the notes out but describe them by no PT_NOTE */
    uint32_t note_extra;            /* bytes after the last note still inside PT_NOTE */
    uint64_t e_entry;
    /* filled by eb_build */
    uint8_t *buf;
    size_t size, phoff, notes_off, notes_len;
    unsigned int phnum, note_phdr;  /* index of the PT_NOTE header */
    size_t note_hdr[EB_MAX_NOTES];  /* file offset of each note header */
    size_t seg_off[EB_MAX_SEGS];
};

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

static void eb_init(struct eb *b)
{
    free(b->buf);
    memset(b, 0, sizeof(*b));
}

static struct eb_seg *eb_seg(struct eb *b, uint32_t type, uint32_t flags, uint64_t paddr,
                             uint64_t filesz, uint64_t memsz)
{
    assert_true(b->nr_segs < EB_MAX_SEGS);
    struct eb_seg *s = &b->seg[b->nr_segs++];
    *s = (struct eb_seg){ type, flags, paddr, filesz, memsz, false, 0 };
    return s;
}

static struct eb_seg *eb_load(struct eb *b, uint64_t paddr, uint64_t filesz, uint64_t memsz)
{
    return eb_seg(b, PT_LOAD, PF_R | PF_W | PF_X, paddr, filesz, memsz);
}

/* A PT_LOAD whose file part is (off, filesz) exactly as given. */
static void eb_load_at(struct eb *b, uint64_t paddr, uint64_t off, uint64_t filesz, uint64_t memsz)
{
    struct eb_seg *s = eb_load(b, paddr, filesz, memsz);
    s->fixed_off = true;
    s->off = off;
}

/* The general note: name (namelen bytes written), desc (desclen bytes), any header sizes. */
static struct eb_note *eb_note_raw(struct eb *b, const char *name, uint32_t namelen, uint32_t namesz,
                                   uint32_t type, const void *desc, uint32_t desclen, uint32_t descsz)
{
    assert_true(b->nr_notes < EB_MAX_NOTES);
    assert_true(namelen <= sizeof(b->note[0].name) && desclen <= EB_DESC_MAX);
    struct eb_note *n = &b->note[b->nr_notes++];
    memset(n, 0, sizeof(*n));
    memcpy(n->name, name, namelen);
    n->namelen = namelen;
    n->namesz = namesz;
    n->type = type;
    if (desclen)
        memcpy(n->desc, desc, desclen);
    n->desclen = desclen;
    n->descsz = descsz;
    return n;
}

static void eb_note_bytes(struct eb *b, uint32_t type, const void *desc, uint32_t len)
{
    eb_note_raw(b, "Xen", 4, 4, type, desc, len, len);
}

/* A number of size bytes (little-endian, the low bytes of v). */
static void eb_note_num(struct eb *b, uint32_t type, uint64_t v, uint32_t size)
{
    uint8_t d[16] = { 0 };
    memcpy(d, &v, size < 8 ? size : 8);
    eb_note_bytes(b, type, d, size);
}

static void eb_note_str(struct eb *b, uint32_t type, const char *s)
{
    eb_note_bytes(b, type, s, (uint32_t)strlen(s) + 1);
}

static struct eb_note *eb_find(struct eb *b, uint32_t type)
{
    for (unsigned int i = 0; i < b->nr_notes; i++)
        if (b->note[i].type == type && !memcmp(b->note[i].name, "Xen", 4))
            return &b->note[i];
    return NULL;
}

static void eb_drop(struct eb *b, uint32_t type)
{
    struct eb_note *n = eb_find(b, type);
    assert_non_null(n);
    unsigned int i = (unsigned int)(n - b->note);
    memmove(&b->note[i], &b->note[i + 1], (b->nr_notes - i - 1) * sizeof(b->note[0]));
    b->nr_notes--;
}

/* Replaces (or adds) a Xen note. */
static void eb_set_num(struct eb *b, uint32_t type, uint64_t v, uint32_t size)
{
    if (eb_find(b, type))
        eb_drop(b, type);
    eb_note_num(b, type, v, size);
}

static void eb_set_str(struct eb *b, uint32_t type, const char *s)
{
    if (eb_find(b, type))
        eb_drop(b, type);
    eb_note_str(b, type, s);
}

static size_t align_up(size_t v, size_t a) { return (v + a - 1) & ~(a - 1); }

/*
 * Lays the image out into an exactly-sized heap buffer: ELF header, program
 * headers (the segments, then PT_NOTE), the notes, then each segment's file bytes.
 */
static void eb_build(struct eb *b)
{
    bool note_phdr = b->nr_notes && !b->no_note_phdr;
    b->phnum = b->nr_segs + note_phdr;
    b->phoff = 64;
    b->notes_off = b->phoff + (size_t)b->phnum * 56;

    size_t cur = b->notes_off;
    for (unsigned int i = 0; i < b->nr_notes; i++) {
        b->note_hdr[i] = cur;
        cur += 12 + align_up(b->note[i].namelen, 4) + align_up(b->note[i].desclen, 4);
    }
    cur += b->note_extra;
    b->notes_len = cur - b->notes_off;
    for (unsigned int i = 0; i < b->nr_segs; i++) {
        struct eb_seg *s = &b->seg[i];
        if (s->fixed_off) {
            b->seg_off[i] = s->off;
            continue;
        }
        cur = align_up(cur, 16);
        b->seg_off[i] = cur;
        assert_true(s->filesz < 0x100000);
        cur += s->filesz;
    }
    b->size = cur;

    free(b->buf);
    b->buf = calloc(1, b->size ? b->size : 1);
    assert_non_null(b->buf);
    uint8_t *e = b->buf;
    memcpy(e, "\177ELF\2\1\1", 7);
    put16(e + 16, 2);                   /* ET_EXEC */
    put16(e + 18, 62);                  /* EM_X86_64 */
    put32(e + 20, 1);
    put64(e + 24, b->e_entry);
    put64(e + 32, b->phoff);
    put16(e + 52, 64);
    put16(e + 54, 56);
    put16(e + 56, (uint16_t)b->phnum);
    put16(e + 58, 64);

    for (unsigned int i = 0; i < b->nr_segs; i++) {
        const struct eb_seg *s = &b->seg[i];
        uint8_t *ph = e + b->phoff + (size_t)i * 56;
        put32(ph, s->type);
        put32(ph + 4, s->flags);
        put64(ph + 8, b->seg_off[i]);
        put64(ph + 16, s->paddr + VB);  /* p_vaddr: ignored by the parser */
        put64(ph + 24, s->paddr);
        put64(ph + 32, s->filesz);
        put64(ph + 40, s->memsz);
        put64(ph + 48, 0x1000);
        if (!s->fixed_off)
            for (uint64_t j = 0; j < s->filesz; j++)
                e[b->seg_off[i] + j] = (uint8_t)(i * 17 + j);
    }
    if (note_phdr) {
        b->note_phdr = b->nr_segs;
        uint8_t *ph = e + b->phoff + (size_t)b->nr_segs * 56;
        put32(ph, PT_NOTE);
        put32(ph + 4, PF_R);
        put64(ph + 8, b->notes_off);
        put64(ph + 32, b->notes_len);
        put64(ph + 40, b->notes_len);
        put64(ph + 48, 4);
    }
    for (unsigned int i = 0; i < b->nr_notes; i++) {
        const struct eb_note *n = &b->note[i];
        uint8_t *p = e + b->note_hdr[i];
        put32(p, n->namesz);
        put32(p + 4, n->descsz);
        put32(p + 8, n->type);
        memcpy(p + 12, n->name, n->namelen);
        memcpy(p + 12 + align_up(n->namelen, 4), n->desc, n->desclen);
    }
}

/* Patches a program header field of segment i after eb_build. */
static void ph_put64(struct eb *b, unsigned int i, size_t field, uint64_t v)
{
    put64(b->buf + b->phoff + (size_t)i * 56 + field, v);
}

/* ---- the images ------------------------------------------------------------ */

#define FEATURES_GOOD "!writable_page_tables|pae_pgdir_above_4gb"

/* The kernel layout of the test guests (tests/guests/lib/head.S), linked at vb. */
static void eb_good_at(struct eb *b, uint64_t vb)
{
    eb_init(b);
    eb_seg(b, PT_LOAD, PF_R | PF_X, 0, 0x2000, 0x2000);        /* text, notes, hypercall page */
    eb_seg(b, PT_LOAD, PF_R | PF_W, 0x2000, 0x180, 0x1000);    /* data and bss */
    b->e_entry = vb + 0x20;
    eb_note_str(b, XN_GUEST_OS, "hvtest");
    eb_note_str(b, XN_GUEST_VERSION, "1");
    eb_note_str(b, XN_XEN_VERSION, "xen-3.0");
    eb_note_str(b, XN_LOADER, "generic");
    eb_note_num(b, XN_VIRT_BASE, vb, 8);
    eb_note_num(b, XN_PADDR_OFFSET, 0, 8);
    eb_note_num(b, XN_ENTRY, vb + 0x10, 8);
    eb_note_num(b, XN_HYPERCALL_PAGE, vb + 0x1000, 8);
    eb_note_str(b, XN_FEATURES, FEATURES_GOOD);
    eb_note_num(b, XN_SUPPORTED_FEATURES, 1u << 11, 4);
    eb_note_str(b, XN_PAE_MODE, "yes");
}

static void eb_good(struct eb *b) { eb_good_at(b, VB); }

static struct elf_image img;
static char err[160];

/* Parses a heap copy of exactly len bytes of b's image, so ASan sees any read past them. */
static int parse_len(const struct eb *b, size_t len)
{
    uint8_t *p = malloc(len ? len : 1);
    assert_non_null(p);
    memcpy(p, b->buf, len);
    memset(err, 0x5a, sizeof(err));
    err[sizeof(err) - 1] = '\0';
    int rc = elf_parse(&img, p, len, err, sizeof(err));
    free(p);
    img.data = NULL;                    /* it pointed into the freed copy */
    return rc;
}

static int parse(const struct eb *b)
{
    memset(err, 0, sizeof(err));
    return elf_parse(&img, b->buf, b->size, err, sizeof(err));
}

static void expect_ok(const struct eb *b, const char *what)
{
    int rc = parse(b);
    if (rc != 0)
        fail_msg("%s: rc %d \"%s\"", what, rc, err);
}

static void expect_refused(const struct eb *b, const char *what, const char *want)
{
    int rc = parse(b);
    if (rc != -1 || !strstr(err, want))
        fail_msg("%s: rc %d error \"%s\", want \"%s\"", what, rc, err, want);
}

/* ---- 1. the good kernel --------------------------------------------------- */

static void test_good(void **state)
{
    (void)state;
    static struct eb b;
    eb_good(&b);
    eb_build(&b);
    memset(&img, 0xa5, sizeof(img));
    expect_ok(&b, "good");

    assert_ptr_equal(img.data, b.buf);
    assert_int_equal(img.size, b.size);
    assert_int_equal(img.nr_segs, 2);
    assert_int_equal(img.segs[0].va, VB);
    assert_int_equal(img.segs[0].offset, b.seg_off[0]);
    assert_int_equal(img.segs[0].filesz, 0x2000);
    assert_int_equal(img.segs[0].memsz, 0x2000);
    assert_int_equal(img.segs[0].flags, PF_R | PF_X);
    assert_int_equal(img.segs[1].va, VB + 0x2000);
    assert_int_equal(img.segs[1].offset, b.seg_off[1]);
    assert_int_equal(img.segs[1].filesz, 0x180);
    assert_int_equal(img.segs[1].memsz, 0x1000);
    assert_int_equal(img.segs[1].flags, PF_R | PF_W);
    assert_true(img.segs[0].offset + img.segs[0].filesz <= b.size);
    assert_true(img.segs[1].offset + img.segs[1].filesz == b.size);
    assert_int_equal(img.virt_kstart, VB);
    assert_int_equal(img.virt_kend, VB + 0x3000);
    assert_int_equal(img.virt_entry, VB + 0x10);        /* the ENTRY note, not e_entry */

    const struct xen_notes *x = &img.xen;
    assert_string_equal(x->guest_os, "hvtest");
    assert_string_equal(x->guest_version, "1");
    assert_string_equal(x->xen_version, "xen-3.0");
    assert_string_equal(x->loader, "generic");
    assert_string_equal(x->pae_mode, "yes");
    assert_true(x->has_virt_base);
    assert_int_equal(x->virt_base, VB);
    assert_true(x->has_paddr_offset);
    assert_int_equal(x->paddr_offset, 0);
    assert_true(x->has_entry);
    assert_int_equal(x->entry, VB + 0x10);
    assert_true(x->has_hypercall_page);
    assert_int_equal(x->hypercall_page, VB + 0x1000);
    assert_false(x->has_init_p2m);
    assert_int_equal(x->init_p2m, 0);
    assert_false(x->mod_start_pfn);
    assert_true(x->has_supported_features);
    assert_int_equal(x->supported_features, (1u << 0) | (1u << 4) | (1u << 11));
    assert_int_equal(x->required_features, 1u << 0);
    assert_int_equal(x->nr_notes, 11);

    /* the same image again: img is cleared first, nothing accumulates */
    expect_ok(&b, "good twice");
    assert_int_equal(img.xen.nr_notes, 11);
    assert_int_equal(img.nr_segs, 2);

    /* a tiny error buffer still works, and a 0-length one is never written */
    char small[8];
    assert_int_equal(elf_parse(&img, b.buf, 10, small, sizeof(small)), -1);
    assert_int_equal(strlen(small), sizeof(small) - 1);
    assert_int_equal(elf_parse(&img, b.buf, 10, NULL, 0), -1);
}

/* ---- 2. defaults and accepted variants ------------------------------------- */

static void test_defaults(void **state)
{
    (void)state;
    static struct eb b;

    /* no VIRT_BASE/PADDR_OFFSET: both 0 and VA = paddr */
    eb_init(&b);
    eb_load(&b, 0x100000, 0x1000, 0x3000);
    eb_load(&b, 0x400000, 0x10, 0x1000);
    b.e_entry = 0x100040;
    eb_note_str(&b, XN_XEN_VERSION, "xen-3.0");
    eb_note_str(&b, XN_LOADER, "generic");
    eb_note_num(&b, XN_HYPERCALL_PAGE, 0x102000, 8);
    eb_build(&b);
    expect_ok(&b, "no VIRT_BASE");
    assert_false(img.xen.has_virt_base);
    assert_false(img.xen.has_paddr_offset);
    assert_int_equal(img.xen.virt_base, 0);
    assert_int_equal(img.xen.paddr_offset, 0);
    assert_int_equal(img.segs[0].va, 0x100000);
    assert_int_equal(img.segs[1].va, 0x400000);
    assert_int_equal(img.virt_kstart, 0x100000);
    assert_int_equal(img.virt_kend, 0x401000);
    /* no ENTRY note: e_entry */
    assert_false(img.xen.has_entry);
    assert_int_equal(img.virt_entry, 0x100040);
    assert_false(img.xen.has_supported_features);
    assert_int_equal(img.xen.supported_features, 0);
    assert_int_equal(img.xen.required_features, 0);
    assert_string_equal(img.xen.guest_os, "");
    assert_int_equal(img.xen.nr_notes, 3);

    /* the good kernel without its ENTRY note: e_entry */
    eb_good(&b);
    eb_drop(&b, XN_ENTRY);
    eb_build(&b);
    expect_ok(&b, "no ENTRY");
    assert_int_equal(img.virt_entry, VB + 0x20);
    /* ... and without a HYPERCALL_PAGE note: none */
    eb_drop(&b, XN_HYPERCALL_PAGE);
    eb_build(&b);
    expect_ok(&b, "no HYPERCALL_PAGE");
    assert_false(img.xen.has_hypercall_page);

    /* a Linux-style kernel: GUEST_OS linux, no LOADER, loaded at 16 MiB */
    eb_init(&b);
    eb_seg(&b, PT_LOAD, PF_R | PF_X, 0x1000000, 0x800, 0x2000);
    eb_seg(&b, PT_LOAD, PF_R | PF_W, 0x1200000, 0x100, 0x8000);
    b.e_entry = VB + 0x1000000;
    eb_note_str(&b, XN_GUEST_OS, "linux");
    eb_note_str(&b, XN_GUEST_VERSION, "2.6");
    eb_note_str(&b, XN_XEN_VERSION, "xen-3.0");
    eb_note_num(&b, XN_VIRT_BASE, VB, 8);
    eb_note_num(&b, XN_ENTRY, VB + 0x1000180, 8);
    eb_note_num(&b, XN_HYPERCALL_PAGE, VB + 0x1001000, 8);
    eb_note_str(&b, XN_FEATURES, "!writable_page_tables|pae_pgdir_above_4gb");
    eb_note_num(&b, XN_HV_START_LOW, 0xffff800000000000ull, 8);
    eb_note_num(&b, XN_L1_MFN_VALID, 0, 16);                    /* two numbers: ignored */
    eb_note_num(&b, XN_INIT_P2M, 0xffffea0000000000ull, 8);
    eb_note_num(&b, XN_MOD_START_PFN, 1, 4);
    eb_note_str(&b, XN_PAE_MODE, "yes");
    eb_build(&b);
    expect_ok(&b, "linux");
    assert_int_equal(img.virt_kstart, VB + 0x1000000);
    assert_int_equal(img.virt_kend, VB + 0x1208000);
    assert_int_equal(img.segs[1].va, VB + 0x1200000);
    assert_int_equal(img.virt_entry, VB + 0x1000180);
    assert_false(img.xen.has_paddr_offset);
    assert_true(img.xen.has_init_p2m);
    assert_int_equal(img.xen.init_p2m, 0xffffea0000000000ull);
    assert_true(img.xen.mod_start_pfn);
    assert_string_equal(img.xen.loader, "");
    /* ... with some other LOADER, and version strings with suffixes */
    eb_set_str(&b, XN_LOADER, "elfboot");
    eb_set_str(&b, XN_GUEST_OS, "linux-6.1");
    eb_set_str(&b, XN_XEN_VERSION, "xen-3.0-unstable");
    eb_build(&b);
    expect_ok(&b, "linux other loader");
    assert_string_equal(img.xen.loader, "elfboot");
    assert_string_equal(img.xen.xen_version, "xen-3.0-unstable");
    /* ... and a LOADER starting "generic" without linux */
    eb_set_str(&b, XN_LOADER, "generic-ish");
    eb_set_str(&b, XN_GUEST_OS, "Linux");
    eb_build(&b);
    expect_ok(&b, "generic prefix");
    /* ... but neither: refused */
    eb_set_str(&b, XN_LOADER, "Generic");
    eb_build(&b);
    expect_refused(&b, "neither generic nor linux", "LOADER must be");
}

static void test_numbers(void **state)
{
    (void)state;
    static struct eb b;
    static const struct { uint32_t size; uint64_t want; } sizes[] = {
        { 1, 0x11 }, { 2, 0x2211 }, { 4, 0x44332211 }, { 8, 0x8877665544332211ull },
    };
    for (size_t i = 0; i < UNIT_ARRAY_SIZE(sizes); i++) {
        eb_good(&b);
        eb_note_num(&b, XN_INIT_P2M, 0x8877665544332211ull, sizes[i].size);
        eb_set_num(&b, XN_SUPPORTED_FEATURES, 0xfffff002, sizes[i].size);
        eb_note_num(&b, XN_MOD_START_PFN, 0x0100, sizes[i].size);
        eb_build(&b);
        expect_ok(&b, "number size");
        assert_int_equal(img.xen.init_p2m, sizes[i].want);
        assert_true(img.xen.has_init_p2m);
        uint32_t sf = (uint32_t)(0xfffff002u & (sizes[i].size >= 4 ? 0xffffffffu : (1u << (8 * sizes[i].size)) - 1));
        assert_int_equal(img.xen.supported_features, sf | (1u << 0) | (1u << 4));
        assert_int_equal(img.xen.mod_start_pfn, sizes[i].size >= 2);
    }

    /* small entry/virt-base numbers, with the kernel low */
    eb_init(&b);
    eb_load(&b, 0x10, 0x20, 0x40);
    eb_note_str(&b, XN_XEN_VERSION, "xen-3.0");
    eb_note_str(&b, XN_LOADER, "generic");
    eb_note_num(&b, XN_ENTRY, 0x4f, 1);
    eb_note_num(&b, XN_VIRT_BASE, 0x8, 2);
    eb_note_num(&b, XN_PADDR_OFFSET, 0x4, 4);
    eb_build(&b);
    expect_ok(&b, "small numbers");
    assert_int_equal(img.virt_entry, 0x4f);
    assert_int_equal(img.virt_kstart, 0x14);
    assert_int_equal(img.virt_kend, 0x54);
    assert_int_equal(img.segs[0].va, 0x14);

    /* SUPPORTED_FEATURES of 8 bytes: the high half is dropped (submap 0 only) */
    eb_good(&b);
    eb_set_num(&b, XN_SUPPORTED_FEATURES, 0xffffffff00000800ull, 8);
    eb_build(&b);
    expect_ok(&b, "64-bit feature bitmap");
    assert_int_equal(img.xen.supported_features, (1u << 0) | (1u << 4) | (1u << 11));

    /* the last note of a given type wins */
    eb_good(&b);
    eb_note_str(&b, XN_GUEST_OS, "second");
    eb_build(&b);
    expect_ok(&b, "repeated note");
    assert_string_equal(img.xen.guest_os, "second");
}

static void test_ignored(void **state)
{
    (void)state;
    static struct eb b;
    uint8_t junk[24];
    memset(junk, 0xee, sizeof(junk));

    /* unknown note types and notes not named "Xen", whatever their payload */
    eb_good(&b);
    eb_note_bytes(&b, XN_BSD_SYMTAB, "yes", 4);
    eb_note_bytes(&b, XN_L1_MFN_VALID, junk, 24);
    eb_note_bytes(&b, XN_CRASH_INFO, junk, 3);
    eb_note_bytes(&b, 0xffffffff, junk, 0);
    eb_note_raw(&b, "GNU", 4, 4, XN_XEN_VERSION, "xen-2.0", 8, 8);
    eb_note_raw(&b, "GNU", 4, 4, XN_ENTRY, junk, 3, 3);
    eb_note_raw(&b, "XEN", 4, 4, XN_GUEST_OS, junk, 5, 5);              /* not NUL-terminated */
    eb_note_raw(&b, "Xen", 3, 3, XN_GUEST_OS, "xx", 3, 3);              /* namesz 3: no NUL */
    eb_note_raw(&b, "Xenon", 6, 6, XN_LOADER, "bad", 4, 4);
    eb_note_raw(&b, "", 0, 0, XN_ENTRY, junk, 5, 5);
    eb_note_raw(&b, "Xen\0\0\0\0", 8, 8, XN_FEATURES, "!frobnicate", 12, 12);
    eb_build(&b);
    expect_ok(&b, "ignored notes");
    assert_int_equal(img.xen.nr_notes, 11 + 4);
    assert_string_equal(img.xen.xen_version, "xen-3.0");
    assert_string_equal(img.xen.guest_os, "hvtest");
    assert_string_equal(img.xen.loader, "generic");
    assert_int_equal(img.virt_entry, VB + 0x10);

    /* unknown features that are not required, empty tokens, every known name */
    eb_good(&b);
    eb_set_str(&b, XN_FEATURES, "frobnicate||writable_descriptor_tables|!auto_translated_physmap|"
                                "supervisor_mode_kernel|!hvm_callback_vector|dom0|dom|dom0x|");
    eb_drop(&b, XN_SUPPORTED_FEATURES);
    eb_build(&b);
    expect_ok(&b, "features");
    assert_false(img.xen.has_supported_features);
    assert_int_equal(img.xen.supported_features, (1u << 1) | (1u << 2) | (1u << 3) | (1u << 8) | (1u << 11));
    assert_int_equal(img.xen.required_features, (1u << 2) | (1u << 8));
    eb_set_str(&b, XN_FEATURES, "");
    eb_build(&b);
    expect_ok(&b, "empty features");
    assert_int_equal(img.xen.supported_features, 0);

    /* FEATURES is read by its size, with or without a NUL, as Linux writes it */
    eb_drop(&b, XN_FEATURES);
    eb_note_bytes(&b, XN_FEATURES, "!writable_page_tables", 21);
    eb_build(&b);
    expect_ok(&b, "features without NUL");
    assert_int_equal(img.xen.supported_features, 1u << 0);
    assert_int_equal(img.xen.required_features, 1u << 0);

    /* other program header types are skipped even with nonsense in them */
    eb_good(&b);
    eb_seg(&b, 0x6474e551, PF_R | PF_W, 0, 0, 0);       /* PT_GNU_STACK */
    eb_build(&b);
    ph_put64(&b, 2, 8, ~0ull);
    ph_put64(&b, 2, 32, ~0ull);
    expect_ok(&b, "PT_GNU_STACK");
    assert_int_equal(img.nr_segs, 2);

    /* an empty PT_LOAD is skipped; so is a PT_NOTE at file offset 0 (as Xen does) */
    eb_good(&b);
    eb_load(&b, 0x0, 0, 0);
    eb_seg(&b, PT_NOTE, PF_R, 0, 64, 64)->fixed_off = true;   /* the ELF header as notes */
    eb_build(&b);
    expect_ok(&b, "empty PT_LOAD, PT_NOTE at 0");
    assert_int_equal(img.nr_segs, 2);
    assert_int_equal(img.xen.nr_notes, 11);

    /* segments out of order, adjacent; a PT_NOTE first; 1-3 padding bytes after the notes */
    eb_init(&b);
    eb_load(&b, 0x5000, 0x10, 0x1000);
    eb_load(&b, 0x3000, 0x10, 0x2000);
    eb_load(&b, 0x4000 + 0x2000, 0, 0x1000);
    eb_note_str(&b, XN_XEN_VERSION, "xen-3.0");
    eb_note_str(&b, XN_LOADER, "generic");
    eb_note_num(&b, XN_ENTRY, 0x6fff, 8);
    b.note_extra = 3;
    eb_build(&b);
    expect_ok(&b, "unordered");
    assert_int_equal(img.nr_segs, 3);
    assert_int_equal(img.virt_kstart, 0x3000);
    assert_int_equal(img.virt_kend, 0x7000);
    assert_int_equal(img.virt_entry, 0x6fff);

    /* a load segment whose file part is the ELF header itself, as linkers often make */
    eb_good(&b);
    eb_load_at(&b, 0x3000, 0, 64, 0x1000);
    eb_build(&b);
    expect_ok(&b, "segment at file offset 0");
    assert_int_equal(img.nr_segs, 3);
    assert_int_equal(img.segs[2].offset, 0);
    assert_int_equal(img.segs[2].filesz, 64);
    assert_int_equal(img.segs[2].va, VB + 0x3000);
    assert_int_equal(img.virt_kend, VB + 0x4000);

    /* the limits themselves: 16 load segments, 64 Xen notes, 31-character strings */
    eb_good(&b);
    for (unsigned int i = 0; i < ELF_MAX_SEGMENTS - 2; i++)
        eb_load(&b, 0x10000 + i * 0x1000, 8, 0x1000);
    while (b.nr_notes < ELF_MAX_NOTES)
        eb_note_str(&b, XN_GUEST_VERSION, "1234567890123456789012345678901");
    eb_set_str(&b, XN_GUEST_OS, "abcdefghijklmnopqrstuvwxyz01234");
    eb_set_str(&b, XN_PAE_MODE, "bimodal-bimodal");
    eb_build(&b);
    expect_ok(&b, "limits");
    assert_int_equal(img.nr_segs, ELF_MAX_SEGMENTS);
    assert_int_equal(img.xen.nr_notes, ELF_MAX_NOTES);
    assert_int_equal(img.virt_kend, VB + 0x10000 + (ELF_MAX_SEGMENTS - 2) * 0x1000);
    assert_string_equal(img.xen.guest_os, "abcdefghijklmnopqrstuvwxyz01234");
    assert_string_equal(img.xen.guest_version, "1234567890123456789012345678901");
    assert_string_equal(img.xen.pae_mode, "bimodal-bimodal");
    char feat[256];
    memset(feat, '|', 255);
    feat[255] = '\0';
    memcpy(feat, "dom0", 4);
    eb_set_str(&b, XN_FEATURES, feat);
    eb_build(&b);
    expect_ok(&b, "255-byte FEATURES");
    assert_int_equal(img.xen.supported_features, 1u << 11);
}

static void test_boundaries(void **state)
{
    (void)state;
    static struct eb b;

    /* entry at the last kernel byte, hypercall page the last kernel page */
    eb_good(&b);
    eb_set_num(&b, XN_ENTRY, VB + 0x2fff, 8);
    eb_set_num(&b, XN_HYPERCALL_PAGE, VB + 0x2000, 8);
    eb_build(&b);
    expect_ok(&b, "last byte, last page");
    eb_set_num(&b, XN_ENTRY, VB, 8);
    eb_set_num(&b, XN_HYPERCALL_PAGE, VB, 8);
    eb_build(&b);
    expect_ok(&b, "first byte, first page");

    /* VIRT_BASE exactly the kernel start via PADDR_OFFSET */
    eb_good(&b);
    b.seg[0].paddr = 0x200000;
    b.seg[1].paddr = 0x202000;
    eb_set_num(&b, XN_PADDR_OFFSET, 0x200000, 8);
    eb_build(&b);
    expect_ok(&b, "PADDR_OFFSET");
    assert_int_equal(img.virt_kstart, VB);
    assert_int_equal(img.segs[1].va, VB + 0x2000);

    /* VIRT_BASE below the kernel start */
    eb_good(&b);
    eb_set_num(&b, XN_VIRT_BASE, VB - 0x100000, 8);
    b.seg[0].paddr = 0x100000;
    b.seg[1].paddr = 0x102000;
    eb_build(&b);
    expect_ok(&b, "VIRT_BASE below");
    assert_int_equal(img.virt_kstart, VB);

    /* right after the hypervisor's hole, and at the top of both canonical halves */
    eb_good_at(&b, HOLE_END);
    eb_build(&b);
    expect_ok(&b, "after the hole");
    eb_good_at(&b, 0x0000800000000000ull - 0x3000);
    eb_build(&b);
    expect_ok(&b, "top of the lower half");
    assert_int_equal(img.virt_kend, 0x0000800000000000ull);
    eb_good_at(&b, 0xfffffffffffff000ull - 0x3000);
    eb_build(&b);
    expect_ok(&b, "near the top");
    eb_good_at(&b, 0);
    eb_build(&b);
    expect_ok(&b, "at 0");
}

/* ---- 3. refusals ------------------------------------------------------------ */

enum refusal {
    R_SIZE_0, R_SIZE_63, R_NULL, R_BAD_MAGIC, R_BAD_MAGIC_3, R_ELF32, R_CLASS0, R_BIG_ENDIAN,
    R_EI_VERSION, R_MACHINE_386, R_MACHINE_ARM64, R_ET_DYN, R_ET_REL, R_ET_NONE, R_PHNUM0,
    R_PHENTSIZE_64, R_PHENTSIZE_0, R_PH_ONE_MORE, R_PHOFF_SIZE, R_PHOFF_PAST, R_PHOFF_WRAP,
    R_PHOFF_HUGE, R_PHNUM_MAX,
    R_LOAD_OFF_PAST, R_LOAD_FILESZ_PAST, R_LOAD_END_PAST, R_LOAD_WRAP, R_LOAD_FILESZ_HUGE,
    R_NOTE_OFF_PAST, R_NOTE_WRAP, R_FILESZ_GT_MEMSZ, R_PADDR_WRAP, R_PADDR_WRAP_0, R_OVERLAP_PARTIAL,
    R_OVERLAP_CONTAINED, R_OVERLAP_CONTAINS, R_OVERLAP_IDENTICAL, R_OVERLAP_HUGE, R_TOO_MANY_SEGS,
    R_NO_LOAD, R_ONLY_EMPTY_LOAD, R_NO_NOTES, R_NO_NOTE_PHDR, R_ONLY_GNU_NOTES, R_NO_XEN_VERSION,
    R_XEN_2, R_XEN_3, R_XEN_EMPTY, R_LOADER_OTHER, R_NO_LOADER, R_LOADER_LINUX_CASE,
    R_NAMESZ_HUGE, R_NAMESZ_FFFC, R_DESCSZ_HUGE, R_DESCSZ_FFFD, R_DESCSZ_ONE_MORE, R_DESCSZ_PAST_PAD,
    R_STRAY_4, R_STRAY_11, R_NUM_3, R_NUM_16, R_NUM_0, R_NUM_VIRT_BASE_5, R_STR_NO_NUL,
    R_STR_EMPTY, R_STR_NO_NUL_FEATURES, R_GUEST_OS_LONG, R_XEN_VERSION_LONG, R_PAE_MODE_LONG,
    R_FEATURES_LONG, R_REQUIRED_UNKNOWN, R_REQUIRED_EMPTY, R_REQUIRED_PREFIX, R_PADDR_WITHOUT_VB,
    R_VB_ABOVE, R_ENTRY_BEFORE, R_ENTRY_AFTER, R_ENTRY_KEND, R_E_ENTRY_OUTSIDE, R_HC_UNALIGNED,
    R_HC_BEFORE, R_HC_AFTER, R_HC_KEND, R_HC_STRADDLE, R_HOLE_START, R_HOLE_INSIDE,
    R_HOLE_STRADDLE_END, R_HOLE_COVER, R_NONCANON, R_NONCANON_LOW_END, R_NONCANON_INTO_HOLE,
    R_CANON_GAP, R_KERNEL_WRAPS, R_KERNEL_TO_TOP, R_DELTA_WRAPS, R_TOO_MANY_NOTES,
};

static const struct {
    enum refusal r;
    const char *what, *error;
} refusals[] = {
    { R_SIZE_0, "empty image", "too small" },
    { R_SIZE_63, "63 bytes", "63 bytes is too small" },
    { R_NULL, "NULL image", "too small" },
    { R_BAD_MAGIC, "bad magic", "bad magic" },
    { R_BAD_MAGIC_3, "bad magic byte 3", "bad magic" },
    { R_ELF32, "ELF32", "ELF64" },
    { R_CLASS0, "class 0", "ELF64" },
    { R_BIG_ENDIAN, "big-endian", "little-endian" },
    { R_EI_VERSION, "EI_VERSION 0", "version-1" },
    { R_MACHINE_386, "EM_386", "machine 3" },
    { R_MACHINE_ARM64, "EM_AARCH64", "machine 183" },
    { R_ET_DYN, "ET_DYN", "not an x86-64 executable (type 3" },
    { R_ET_REL, "ET_REL", "not an x86-64 executable (type 1" },
    { R_ET_NONE, "ET_NONE", "not an x86-64 executable (type 0" },
    { R_PHNUM0, "no program headers", "no program headers" },
    { R_PHENTSIZE_64, "phentsize 64", "program header size 64" },
    { R_PHENTSIZE_0, "phentsize 0", "program header size 0" },
    { R_PH_ONE_MORE, "phnum one too many", "program headers lie outside" },
    { R_PHOFF_SIZE, "phoff == size", "program headers lie outside" },
    { R_PHOFF_PAST, "phoff past the end", "program headers lie outside" },
    { R_PHOFF_WRAP, "phoff + size wraps", "program headers lie outside" },
    { R_PHOFF_HUGE, "phoff ~0", "program headers lie outside" },
    { R_PHNUM_MAX, "phnum 65535", "program headers lie outside" },
    { R_LOAD_OFF_PAST, "PT_LOAD offset past the end", "lies outside the" },
    { R_LOAD_FILESZ_PAST, "PT_LOAD filesz one past the end", "lies outside the" },
    { R_LOAD_END_PAST, "PT_LOAD at the end with filesz 1", "lies outside the" },
    { R_LOAD_WRAP, "PT_LOAD offset + filesz wraps", "lies outside the" },
    { R_LOAD_FILESZ_HUGE, "PT_LOAD filesz ~0", "lies outside the" },
    { R_NOTE_OFF_PAST, "PT_NOTE offset past the end", "lies outside the" },
    { R_NOTE_WRAP, "PT_NOTE offset + filesz wraps", "lies outside the" },
    { R_FILESZ_GT_MEMSZ, "filesz > memsz", "more file bytes" },
    { R_PADDR_WRAP, "paddr + memsz wraps", "wraps around" },
    { R_PADDR_WRAP_0, "paddr + memsz == 2^64", "wraps around" },
    { R_OVERLAP_PARTIAL, "partial overlap", "overlaps an earlier one" },
    { R_OVERLAP_CONTAINED, "contained segment", "overlaps an earlier one" },
    { R_OVERLAP_CONTAINS, "containing segment", "overlaps an earlier one" },
    { R_OVERLAP_IDENTICAL, "identical segments", "overlaps an earlier one" },
    { R_OVERLAP_HUGE, "huge segments overlapping", "overlaps an earlier one" },
    { R_TOO_MANY_SEGS, "17 load segments", "more than 16 load segments" },
    { R_NO_LOAD, "no PT_LOAD", "nothing to load" },
    { R_ONLY_EMPTY_LOAD, "only empty PT_LOADs", "nothing to load" },
    { R_NO_NOTES, "no notes", "no Xen notes" },
    { R_NO_NOTE_PHDR, "notes without PT_NOTE", "no Xen notes" },
    { R_ONLY_GNU_NOTES, "only GNU notes", "no Xen notes" },
    { R_NO_XEN_VERSION, "XEN_VERSION missing", "XEN_VERSION note missing" },
    { R_XEN_2, "xen-2.0", "not \"xen-3.0\" (\"xen-2.0\")" },
    { R_XEN_3, "xen-3", "XEN_VERSION" },
    { R_XEN_EMPTY, "empty XEN_VERSION", "XEN_VERSION" },
    { R_LOADER_OTHER, "LOADER elfboot", "LOADER must be \"generic\"" },
    { R_NO_LOADER, "no LOADER, not linux", "LOADER must be \"generic\"" },
    { R_LOADER_LINUX_CASE, "GUEST_OS Linux, LOADER Generic", "LOADER must be \"generic\"" },
    { R_NAMESZ_HUGE, "namesz 0xffffffff", "runs past its segment" },
    { R_NAMESZ_FFFC, "namesz 0xfffffffc", "runs past its segment" },
    { R_DESCSZ_HUGE, "descsz 0xffffffff", "runs past its segment" },
    { R_DESCSZ_FFFD, "descsz 0xfffffffd", "runs past its segment" },
    { R_DESCSZ_ONE_MORE, "last note's descsz one past the segment", "runs past its segment" },
    { R_DESCSZ_PAST_PAD, "descsz into the padding past the segment", "runs past its segment" },
    { R_STRAY_4, "4 stray bytes", "4 stray bytes" },
    { R_STRAY_11, "11 stray bytes", "11 stray bytes" },
    { R_NUM_3, "3-byte number", "ENTRY note has 3 bytes" },
    { R_NUM_16, "16-byte number", "HYPERCALL_PAGE note has 16 bytes" },
    { R_NUM_0, "0-byte number", "SUPPORTED_FEATURES note has 0 bytes" },
    { R_NUM_VIRT_BASE_5, "5-byte VIRT_BASE", "VIRT_BASE note has 5 bytes" },
    { R_STR_NO_NUL, "string without NUL", "GUEST_OS note is not NUL-terminated" },
    { R_STR_EMPTY, "0-byte string", "LOADER note is not NUL-terminated" },
    { R_STR_NO_NUL_FEATURES, "FEATURES without NUL", "requires unknown feature 'frobnicate'" },
    { R_GUEST_OS_LONG, "32-character GUEST_OS", "GUEST_OS note is longer than 31 bytes" },
    { R_XEN_VERSION_LONG, "XEN_VERSION too long", "XEN_VERSION note is longer than 31 bytes" },
    { R_PAE_MODE_LONG, "16-character PAE_MODE", "PAE_MODE note is longer than 15 bytes" },
    { R_FEATURES_LONG, "256-character FEATURES", "FEATURES note is longer than 255 bytes" },
    { R_REQUIRED_UNKNOWN, "!frobnicate", "requires unknown feature 'frobnicate'" },
    { R_REQUIRED_EMPTY, "lone !", "requires unknown feature ''" },
    { R_REQUIRED_PREFIX, "!dom", "requires unknown feature 'dom'" },
    { R_PADDR_WITHOUT_VB, "PADDR_OFFSET without VIRT_BASE", "PADDR_OFFSET given without VIRT_BASE" },
    { R_VB_ABOVE, "VIRT_BASE above the kernel", "VIRT_BASE 0xffffffff80000000 lies above" },
    { R_ENTRY_BEFORE, "entry before the kernel", "entry point 0xffffffff7fffffff lies outside" },
    { R_ENTRY_AFTER, "entry after the kernel", "entry point 0xffffffff80003010 lies outside" },
    { R_ENTRY_KEND, "entry at kend", "entry point 0xffffffff80003000 lies outside" },
    { R_E_ENTRY_OUTSIDE, "e_entry outside, no ENTRY", "entry point 0 lies outside" },
    { R_HC_UNALIGNED, "hypercall page unaligned", "hypercall page 0xffffffff80001008" },
    { R_HC_BEFORE, "hypercall page before", "hypercall page 0xffffffff7ffff000" },
    { R_HC_AFTER, "hypercall page after", "hypercall page 0xffffffff80004000" },
    { R_HC_KEND, "hypercall page at kend", "hypercall page 0xffffffff80003000" },
    { R_HC_STRADDLE, "hypercall page straddling kend", "hypercall page 0xffffffff80002000" },
    { R_HOLE_START, "kernel at the hole's start", "overlaps the hypervisor's reserved range" },
    { R_HOLE_INSIDE, "kernel inside the hole", "overlaps the hypervisor's reserved range" },
    { R_HOLE_STRADDLE_END, "kernel across the hole's end", "overlaps the hypervisor's reserved range" },
    { R_HOLE_COVER, "kernel covering the hole", "overlaps the hypervisor's reserved range" },
    { R_NONCANON, "non-canonical kernel", "not canonical" },
    { R_NONCANON_LOW_END, "kernel running off the lower half", "not canonical" },
    { R_NONCANON_INTO_HOLE, "kernel running into the upper half", "not canonical" },
    { R_CANON_GAP, "kernel spanning the canonical gap", "not canonical" },
    { R_KERNEL_WRAPS, "kernel wrapping past 2^64", "not canonical" },
    { R_KERNEL_TO_TOP, "kernel ending at 2^64", "not canonical" },
    { R_DELTA_WRAPS, "VIRT_BASE - PADDR_OFFSET wrapping the kernel", "not canonical" },
    { R_TOO_MANY_NOTES, "65 Xen notes", "more than 64 Xen notes" },
};

/* Builds the image for r into b; returns the number of bytes to parse. */
static size_t build_refusal(struct eb *b, enum refusal r)
{
    uint8_t junk[24];
    char longstr[300];
    memset(junk, 'x', sizeof(junk));
    eb_good(b);

    switch (r) {
    case R_SIZE_0:
        eb_build(b);
        return 0;
    case R_SIZE_63:
        eb_build(b);
        return 63;
    case R_NULL:
        eb_build(b);
        free(b->buf);
        b->buf = NULL;
        return 100;
    case R_BAD_MAGIC:
        eb_build(b);
        b->buf[1] = 'e';
        break;
    case R_BAD_MAGIC_3:
        eb_build(b);
        b->buf[3] = 'f';
        break;
    case R_ELF32:
        eb_build(b);
        b->buf[4] = 1;
        break;
    case R_CLASS0:
        eb_build(b);
        b->buf[4] = 0;
        break;
    case R_BIG_ENDIAN:
        eb_build(b);
        b->buf[5] = 2;
        break;
    case R_EI_VERSION:
        eb_build(b);
        b->buf[6] = 0;
        break;
    case R_MACHINE_386:
        eb_build(b);
        put16(b->buf + 18, 3);
        break;
    case R_MACHINE_ARM64:
        eb_build(b);
        put16(b->buf + 18, 183);
        break;
    case R_ET_DYN:
        eb_build(b);
        put16(b->buf + 16, 3);
        break;
    case R_ET_REL:
        eb_build(b);
        put16(b->buf + 16, 1);
        break;
    case R_ET_NONE:
        eb_build(b);
        put16(b->buf + 16, 0);
        break;
    case R_PHNUM0:
        eb_build(b);
        put16(b->buf + 56, 0);
        break;
    case R_PHENTSIZE_64:
        eb_build(b);
        put16(b->buf + 54, 64);
        break;
    case R_PHENTSIZE_0:
        eb_build(b);
        put16(b->buf + 54, 0);
        break;
    case R_PH_ONE_MORE:
        /* the program headers are the last thing in the file */
        eb_init(b);
        eb_build(b);
        put16(b->buf + 56, 1);
        break;
    case R_PHOFF_SIZE:
        eb_build(b);
        put64(b->buf + 32, b->size);
        break;
    case R_PHOFF_PAST:
        eb_build(b);
        put64(b->buf + 32, b->size - 55);
        break;
    case R_PHOFF_WRAP:
        eb_build(b);
        put64(b->buf + 32, 0ull - 56);      /* phoff + 3 * 56 wraps to 112 */
        break;
    case R_PHOFF_HUGE:
        eb_build(b);
        put64(b->buf + 32, ~0ull);
        break;
    case R_PHNUM_MAX:
        eb_build(b);
        put16(b->buf + 56, 0xffff);
        break;
    case R_LOAD_OFF_PAST:
        eb_build(b);
        ph_put64(b, 1, 8, b->size + 1);
        break;
    case R_LOAD_FILESZ_PAST:
        eb_build(b);
        ph_put64(b, 1, 32, 0x181);
        break;
    case R_LOAD_END_PAST:
        b->seg[1].filesz = 0;
        eb_build(b);
        ph_put64(b, 1, 8, b->size);
        ph_put64(b, 1, 32, 1);
        break;
    case R_LOAD_WRAP:
        eb_build(b);
        ph_put64(b, 1, 8, 0x10);
        ph_put64(b, 1, 32, 0ull - 8);       /* offset + filesz wraps to 8 */
        ph_put64(b, 1, 40, 0ull - 8);
        break;
    case R_LOAD_FILESZ_HUGE:
        eb_build(b);
        ph_put64(b, 0, 32, ~0ull);
        ph_put64(b, 0, 40, ~0ull);
        break;
    case R_NOTE_OFF_PAST:
        eb_build(b);
        ph_put64(b, b->note_phdr, 8, b->size + 12);
        break;
    case R_NOTE_WRAP:
        eb_build(b);
        ph_put64(b, b->note_phdr, 32, 0ull - b->notes_off + 4);
        break;
    case R_FILESZ_GT_MEMSZ:
        b->seg[1].memsz = 0x17f;
        eb_build(b);
        break;
    case R_PADDR_WRAP:
        b->seg[1].paddr = 0xfffffffffffff800ull;
        eb_build(b);
        break;
    case R_PADDR_WRAP_0:
        b->seg[1].paddr = 0ull - b->seg[1].memsz;
        eb_build(b);
        break;
    case R_OVERLAP_PARTIAL:
        eb_load(b, 0x2800, 0x10, 0x1000);
        eb_build(b);
        break;
    case R_OVERLAP_CONTAINED:
        eb_load(b, 0x1000, 0x10, 0x100);
        eb_build(b);
        break;
    case R_OVERLAP_CONTAINS:
        eb_load(b, 0x0, 0x10, 0x4000);
        eb_build(b);
        break;
    case R_OVERLAP_IDENTICAL:
        eb_load(b, 0x2000, 0x180, 0x1000);
        eb_build(b);
        break;
    case R_OVERLAP_HUGE:
        eb_init(b);
        eb_load(b, 0x1000, 0, 0xffffffffffff0000ull);     /* ends at 2^64 - 0xf000 */
        eb_load(b, 0xffffffffffff0000ull, 0, 0x1000);
        eb_note_str(b, XN_XEN_VERSION, "xen-3.0");
        eb_build(b);
        break;
    case R_TOO_MANY_SEGS:
        for (unsigned int i = 0; i < ELF_MAX_SEGMENTS - 1; i++)
            eb_load(b, 0x10000 + i * 0x1000, 8, 0x1000);
        eb_build(b);
        break;
    case R_NO_LOAD:
        b->nr_segs = 0;
        eb_build(b);
        break;
    case R_ONLY_EMPTY_LOAD:
        b->seg[0].filesz = b->seg[0].memsz = 0;
        b->seg[1].filesz = b->seg[1].memsz = 0;
        eb_build(b);
        break;
    case R_NO_NOTES:
        b->nr_notes = 0;
        eb_build(b);
        break;
    case R_NO_NOTE_PHDR:
        b->no_note_phdr = true;
        eb_build(b);
        break;
    case R_ONLY_GNU_NOTES:
        for (unsigned int i = 0; i < b->nr_notes; i++)
            memcpy(b->note[i].name, "GNU", 4);
        eb_build(b);
        break;
    case R_NO_XEN_VERSION:
        eb_drop(b, XN_XEN_VERSION);
        eb_build(b);
        break;
    case R_XEN_2:
        eb_set_str(b, XN_XEN_VERSION, "xen-2.0");
        eb_build(b);
        break;
    case R_XEN_3:
        eb_set_str(b, XN_XEN_VERSION, "xen-3");
        eb_build(b);
        break;
    case R_XEN_EMPTY:
        eb_set_str(b, XN_XEN_VERSION, "");
        eb_build(b);
        break;
    case R_LOADER_OTHER:
        eb_set_str(b, XN_LOADER, "elfboot");
        eb_build(b);
        break;
    case R_NO_LOADER:
        eb_drop(b, XN_LOADER);
        eb_build(b);
        break;
    case R_LOADER_LINUX_CASE:
        eb_set_str(b, XN_LOADER, "Generic");
        eb_set_str(b, XN_GUEST_OS, "Linux");
        eb_build(b);
        break;
    case R_NAMESZ_HUGE:
        eb_note_raw(b, "Xen", 4, 0xffffffff, XN_GUEST_VERSION, "2\0\0", 4, 4);
        eb_build(b);
        break;
    case R_NAMESZ_FFFC:
        eb_note_raw(b, "Xen", 4, 0xfffffffc, XN_GUEST_VERSION, "2\0\0", 4, 4);
        eb_build(b);
        break;
    case R_DESCSZ_HUGE:
        /* in the middle: the notes after it are still in the segment */
        eb_note_raw(b, "Xen", 4, 4, XN_GUEST_VERSION, "2\0\0", 4, 0xffffffff);
        eb_note_str(b, XN_PAE_MODE, "no");
        eb_build(b);
        break;
    case R_DESCSZ_FFFD:
        eb_note_raw(b, "Xen", 4, 4, XN_GUEST_VERSION, "2\0\0", 4, 0xfffffffd);
        eb_note_str(b, XN_PAE_MODE, "no");
        eb_build(b);
        break;
    case R_DESCSZ_ONE_MORE:
        eb_note_raw(b, "Xen", 4, 4, XN_GUEST_VERSION, "abc", 4, 5);
        eb_build(b);
        break;
    case R_DESCSZ_PAST_PAD:
        /* descsz 6 needs 8 bytes; only 6 are in the segment (and the file goes on) */
        eb_note_raw(b, "Xen", 4, 4, XN_GUEST_VERSION, "abcde", 6, 6);
        eb_build(b);
        ph_put64(b, b->note_phdr, 32, b->notes_len - 2);
        break;
    case R_STRAY_4:
        b->note_extra = 4;
        eb_build(b);
        break;
    case R_STRAY_11:
        b->note_extra = 11;
        eb_build(b);
        break;
    case R_NUM_3:
        eb_set_num(b, XN_ENTRY, VB + 0x10, 3);
        eb_build(b);
        break;
    case R_NUM_16:
        eb_set_num(b, XN_HYPERCALL_PAGE, VB + 0x1000, 16);
        eb_build(b);
        break;
    case R_NUM_0:
        eb_set_num(b, XN_SUPPORTED_FEATURES, 0, 0);
        eb_build(b);
        break;
    case R_NUM_VIRT_BASE_5:
        eb_set_num(b, XN_VIRT_BASE, VB, 5);
        eb_build(b);
        break;
    case R_STR_NO_NUL:
        eb_drop(b, XN_GUEST_OS);
        eb_note_bytes(b, XN_GUEST_OS, "hvtest", 6);
        eb_build(b);
        break;
    case R_STR_EMPTY:
        eb_drop(b, XN_LOADER);
        eb_note_bytes(b, XN_LOADER, "", 0);
        eb_build(b);
        break;
    case R_STR_NO_NUL_FEATURES:
        eb_drop(b, XN_FEATURES);
        eb_note_bytes(b, XN_FEATURES, "pae_pgdir_above_4gb|!frobnicate", 31);
        eb_build(b);
        break;
    case R_GUEST_OS_LONG:
        eb_set_str(b, XN_GUEST_OS, "abcdefghijklmnopqrstuvwxyz012345");
        eb_build(b);
        break;
    case R_XEN_VERSION_LONG:
        eb_set_str(b, XN_XEN_VERSION, "xen-3.0-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
        eb_build(b);
        break;
    case R_PAE_MODE_LONG:
        eb_set_str(b, XN_PAE_MODE, "bimodal-bimodal!");
        eb_build(b);
        break;
    case R_FEATURES_LONG:
        memset(longstr, '|', 256);
        longstr[256] = '\0';
        eb_set_str(b, XN_FEATURES, longstr);
        eb_build(b);
        break;
    case R_REQUIRED_UNKNOWN:
        eb_set_str(b, XN_FEATURES, "!writable_page_tables|!frobnicate|pae_pgdir_above_4gb");
        eb_build(b);
        break;
    case R_REQUIRED_EMPTY:
        eb_set_str(b, XN_FEATURES, "dom0|!");
        eb_build(b);
        break;
    case R_REQUIRED_PREFIX:
        eb_set_str(b, XN_FEATURES, "!dom");
        eb_build(b);
        break;
    case R_PADDR_WITHOUT_VB:
        eb_drop(b, XN_VIRT_BASE);
        eb_build(b);
        break;
    case R_VB_ABOVE:
        eb_set_num(b, XN_PADDR_OFFSET, 0x1000, 8);  /* kstart = VB - 0x1000 */
        eb_build(b);
        break;
    case R_ENTRY_BEFORE:
        eb_set_num(b, XN_ENTRY, VB - 1, 8);
        eb_build(b);
        break;
    case R_ENTRY_AFTER:
        eb_set_num(b, XN_ENTRY, VB + 0x3010, 8);
        eb_build(b);
        break;
    case R_ENTRY_KEND:
        eb_set_num(b, XN_ENTRY, VB + 0x3000, 8);
        eb_build(b);
        break;
    case R_E_ENTRY_OUTSIDE:
        eb_drop(b, XN_ENTRY);
        b->e_entry = 0;
        eb_build(b);
        break;
    case R_HC_UNALIGNED:
        eb_set_num(b, XN_HYPERCALL_PAGE, VB + 0x1008, 8);
        eb_build(b);
        break;
    case R_HC_BEFORE:
        eb_set_num(b, XN_HYPERCALL_PAGE, VB - 0x1000, 8);
        eb_build(b);
        break;
    case R_HC_AFTER:
        eb_set_num(b, XN_HYPERCALL_PAGE, VB + 0x4000, 8);
        eb_build(b);
        break;
    case R_HC_KEND:
        eb_set_num(b, XN_HYPERCALL_PAGE, VB + 0x3000, 8);
        eb_build(b);
        break;
    case R_HC_STRADDLE:
        b->seg[1].memsz = 0xe00;                    /* kend = VB + 0x2e00 */
        eb_set_num(b, XN_HYPERCALL_PAGE, VB + 0x2000, 8);
        eb_build(b);
        break;
    case R_HOLE_START:
        eb_good_at(b, HOLE_START);
        eb_build(b);
        break;
    case R_HOLE_INSIDE:
        eb_good_at(b, 0xffff840000000000ull);
        eb_build(b);
        break;
    case R_HOLE_STRADDLE_END:
        eb_good_at(b, HOLE_END - 0x1000);
        eb_build(b);
        break;
    case R_HOLE_COVER:
        eb_good_at(b, HOLE_START);
        b->seg[1].memsz = HOLE_END - HOLE_START;    /* HOLE_START .. HOLE_END + 0x2000 */
        eb_build(b);
        break;
    case R_NONCANON:
        eb_good_at(b, 0x0000800000000000ull);
        eb_build(b);
        break;
    case R_NONCANON_LOW_END:
        eb_good_at(b, 0x0000800000000000ull - 0x2000);
        eb_build(b);
        break;
    case R_NONCANON_INTO_HOLE:
        eb_good_at(b, HOLE_START - 0x1000);
        eb_build(b);
        break;
    case R_CANON_GAP:
        /* both ends canonical, but one in each half */
        eb_good_at(b, 0x00007ffffffff000ull);
        b->nr_segs = 1;
        b->seg[0].memsz = 0xffff800000001000ull - 0x00007ffffffff000ull;
        eb_build(b);
        break;
    case R_KERNEL_WRAPS:
        eb_good_at(b, 0xfffffffffffff000ull);
        eb_build(b);
        break;
    case R_KERNEL_TO_TOP:
        eb_good_at(b, 0ull - 0x3000);
        eb_build(b);
        break;
    case R_DELTA_WRAPS:
        /* paddr 2^64 - 0x2000 + 0x1000, VIRT_BASE - PADDR_OFFSET = 0x1800: start 2^64 - 0x800, end 0x800 */
        eb_good_at(b, 0x1800);
        b->nr_segs = 1;
        b->seg[0].paddr = 0xffffffffffffe000ull;
        b->seg[0].filesz = 0x800;
        b->seg[0].memsz = 0x1000;
        eb_set_num(b, XN_PADDR_OFFSET, 0, 8);
        eb_build(b);
        break;
    case R_TOO_MANY_NOTES:
        while (b->nr_notes <= ELF_MAX_NOTES)
            eb_note_str(b, XN_GUEST_VERSION, "1");
        eb_build(b);
        break;
    }
    return b->size;
}

static void test_refusals(void **state)
{
    (void)state;
    static struct eb b;
    for (size_t i = 0; i < UNIT_ARRAY_SIZE(refusals); i++) {
        size_t len = build_refusal(&b, refusals[i].r);
        int rc;
        if (!b.buf) {
            memset(err, 0, sizeof(err));
            rc = elf_parse(&img, NULL, len, err, sizeof(err));
        } else {
            rc = parse_len(&b, len);
        }
        if (rc != -1 || !strstr(err, refusals[i].error))
            fail_msg("%s: rc %d error \"%s\", want \"%s\"", refusals[i].what, rc, err,
                     refusals[i].error);
        /* refused: the image is cleared, apart from the pointer and size */
        assert_int_equal(img.size, len);
    }
    eb_init(&b);
}

/* ---- 4. robustness: truncations and corrupted bytes, with ASan watching --- */

/* Either a sane image or -1 with a message. */
static void check_outcome(int rc, const struct eb *b, size_t len, const char *what, size_t a, unsigned int v)
{
    if (rc == -1) {
        if (!err[0])
            fail_msg("%s %zu/%u: refused without an error", what, a, v);
        assert_non_null(memchr(err, '\0', sizeof(err)));
        assert_true(strncmp(err, "ELF: ", 5) == 0);
        return;
    }
    if (rc != 0)
        fail_msg("%s %zu/%u: returned %d", what, a, v, rc);
    (void)b;
    assert_true(img.nr_segs >= 1 && img.nr_segs <= ELF_MAX_SEGMENTS);
    for (unsigned int i = 0; i < img.nr_segs; i++) {
        const struct elf_segment *s = &img.segs[i];
        assert_true(s->offset <= len && s->filesz <= len - s->offset);
        assert_true(s->filesz <= s->memsz && s->memsz > 0);
        assert_true(s->va >= img.virt_kstart && s->va - img.virt_kstart < img.virt_kend - img.virt_kstart);
        assert_true(s->memsz <= img.virt_kend - s->va);
    }
    assert_true(img.virt_kstart < img.virt_kend);
    assert_true(img.virt_entry >= img.virt_kstart && img.virt_entry < img.virt_kend);
    assert_true(img.xen.nr_notes >= 1 && img.xen.nr_notes <= ELF_MAX_NOTES);
    assert_true(img.virt_kend <= HOLE_START || img.virt_kstart >= HOLE_END);
    assert_true(img.xen.virt_base <= img.virt_kstart);
    assert_int_equal(strncmp(img.xen.xen_version, "xen-3.0", 7), 0);
    assert_non_null(memchr(img.xen.guest_os, '\0', sizeof(img.xen.guest_os)));
    assert_non_null(memchr(img.xen.guest_version, '\0', sizeof(img.xen.guest_version)));
    assert_non_null(memchr(img.xen.loader, '\0', sizeof(img.xen.loader)));
    assert_non_null(memchr(img.xen.pae_mode, '\0', sizeof(img.xen.pae_mode)));
    assert_true((img.xen.required_features & ~img.xen.supported_features) == 0);
    if (img.xen.has_hypercall_page) {
        assert_int_equal(img.xen.hypercall_page & 0xfff, 0);
        assert_true(img.xen.hypercall_page >= img.virt_kstart);
        /* the page must lie inside; written without wrapping */
        assert_true(img.xen.hypercall_page < img.virt_kend);
        assert_true(img.virt_kend - img.xen.hypercall_page >= 4096);
    }
}

static void test_truncations(void **state)
{
    (void)state;
    static struct eb b;
    eb_good(&b);
    eb_build(&b);
    for (size_t len = 0; len <= b.size; len++) {
        int rc = parse_len(&b, len);
        check_outcome(rc, &b, len, "cut", len, 0);
        if (rc != (len == b.size ? 0 : -1))
            fail_msg("cut at %zu of %zu: rc %d \"%s\"", len, b.size, rc, err);
    }
    eb_init(&b);
}

static void test_corrupted_headers(void **state)
{
    (void)state;
    static struct eb b;
    static const uint8_t values[] = { 0x00, 0x01, 0x7f, 0x80, 0xff };
    unsigned long runs = 0, accepted = 0;

    eb_good(&b);
    eb_build(&b);
    uint8_t *orig = malloc(b.size);
    assert_non_null(orig);
    memcpy(orig, b.buf, b.size);

    /* the byte ranges to corrupt: ELF header, program headers, note headers */
    size_t ranges[2 + EB_MAX_NOTES][2] = {
        { 0, 64 }, { b.phoff, b.phoff + (size_t)b.phnum * 56 },
    };
    unsigned int nr = 2;
    for (unsigned int i = 0; i < b.nr_notes; i++, nr++) {
        ranges[nr][0] = b.note_hdr[i];
        ranges[nr][1] = b.note_hdr[i] + 12;
    }

    for (unsigned int r = 0; r < nr; r++) {
        for (size_t i = ranges[r][0]; i < ranges[r][1]; i++) {
            for (size_t v = 0; v < sizeof(values); v++) {
                memcpy(b.buf, orig, b.size);
                b.buf[i] = values[v];
                int rc = parse_len(&b, b.size);
                check_outcome(rc, &b, b.size, "byte", i, values[v]);
                accepted += rc == 0;
                runs++;
            }
        }
    }

    /* every single-bit flip in the headers and the notes */
    for (size_t i = 0; i < b.notes_off + b.notes_len; i++) {
        for (unsigned int bit = 0; bit < 8; bit++) {
            memcpy(b.buf, orig, b.size);
            b.buf[i] ^= (uint8_t)(1u << bit);
            int rc = parse_len(&b, b.size);
            check_outcome(rc, &b, b.size, "bit flip", i, bit);
            accepted += rc == 0;
            runs++;
        }
    }
    free(orig);
    eb_init(&b);
    assert_true(runs > 5000);
    assert_true(accepted > 0 && accepted < runs);
}

/* ---- regressions: bugs these tests found in lib/elf.c, now fixed ---------- */

/*
 * Regression: a HYPERCALL_PAGE of 0xfffffffffffff000 in the good kernel (kernel
 * 0xffffffff80000000-0xffffffff80003000): "hypercall_page + 4096 > virt_kend"
 * wraps to 0 > kend, false, so the page outside the kernel is accepted
 * (rc 0). Expected -1 "hypercall page ... not a whole page inside the kernel".
 */
static void test_hypercall_page_wraps(void **state)
{
    (void)state;
    static struct eb b;
    eb_good(&b);
    eb_set_num(&b, XN_HYPERCALL_PAGE, 0xfffffffffffff000ull, 8);
    eb_build(&b);
    expect_refused(&b, "hypercall page at the top", "hypercall page 0xfffffffffffff000");
    eb_init(&b);
}

/*
 * elf.h promises to refuse "a load segment ... whose file size exceeds its
 * memory size", but a PT_LOAD with p_memsz 0 is skipped before that check:
 * the good kernel plus PT_LOAD {paddr 0x10000, filesz 0x10, memsz 0} is
 * accepted (rc 0, 2 segments). Expected -1 "more file bytes".
 */
static void test_empty_load_with_file_bytes(void **state)
{
    (void)state;
    static struct eb b;
    eb_good(&b);
    eb_load(&b, 0x10000, 0x10, 0);
    eb_build(&b);
    expect_refused(&b, "filesz 0x10, memsz 0", "more file bytes");
    eb_init(&b);
}

/* An INIT_P2M inside the kernel is refused, as Xen's libelf does. */
static void test_init_p2m_inside_kernel(void **state)
{
    (void)state;
    static struct eb b;
    eb_good(&b);
    eb_set_num(&b, XN_INIT_P2M, 0xffffffff80001000ull, 8);
    eb_build(&b);
    expect_refused(&b, "INIT_P2M inside", "INIT_P2M 0xffffffff80001000 lies inside the kernel");
    eb_init(&b);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_ignored),
        cmocka_unit_test(test_boundaries),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_truncations),
        cmocka_unit_test(test_corrupted_headers),
        cmocka_unit_test(test_hypercall_page_wraps),
        cmocka_unit_test(test_empty_load_with_file_bytes),
        cmocka_unit_test(test_init_p2m_inside_kernel),
    };
    return unit_run(argc, argv, "elf", tests, UNIT_ARRAY_SIZE(tests));
}
