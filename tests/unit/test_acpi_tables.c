/* Host tests of hypervisor/arch/x86_64/acpi_tables.c: MADT parsing and checksums. */
#include <hv/lib.h>
#include <asm/acpi.h>
#include "unit.h"

#define HDR 36                  /* ACPI table header */
#define MADT_FIXED (HDR + 8)    /* + local APIC address + flags */

struct madt_buf {
    uint8_t b[1024];
    size_t len;
    size_t entry_off[64];       /* where each entry starts */
    unsigned int nr_entries;
};

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

static void madt_init(struct madt_buf *m, uint32_t lapic_addr, uint32_t flags)
{
    memset(m, 0, sizeof(*m));
    memcpy(m->b, "APIC", 4);
    m->b[8] = 4;                /* revision */
    memcpy(m->b + 10, "HVTEST", 6);
    memcpy(m->b + 16, "UNITMADT", 8);
    put32(m->b + HDR, lapic_addr);
    put32(m->b + HDR + 4, flags);
    m->len = MADT_FIXED;
}

static uint8_t *madt_entry(struct madt_buf *m, uint8_t type, uint8_t len)
{
    assert_true(m->len + len <= sizeof(m->b));
    uint8_t *e = m->b + m->len;
    e[0] = type;
    e[1] = len;
    if (m->nr_entries < UNIT_ARRAY_SIZE(m->entry_off))
        m->entry_off[m->nr_entries++] = m->len;
    m->len += len;
    return e;
}

static void madt_lapic(struct madt_buf *m, uint8_t uid, uint8_t apic_id, uint32_t flags)
{
    uint8_t *e = madt_entry(m, 0, 8);
    e[2] = uid;
    e[3] = apic_id;
    put32(e + 4, flags);
}

static void madt_ioapic(struct madt_buf *m, uint8_t id, uint32_t addr, uint32_t gsi_base)
{
    uint8_t *e = madt_entry(m, 1, 12);
    e[2] = id;
    put32(e + 4, addr);
    put32(e + 8, gsi_base);
}

static void madt_iso(struct madt_buf *m, uint8_t irq, uint32_t gsi)
{
    uint8_t *e = madt_entry(m, 2, 10);
    e[3] = irq;
    put32(e + 4, gsi);
    put16(e + 8, 0);
}

static void madt_lapic_nmi(struct madt_buf *m)
{
    uint8_t *e = madt_entry(m, 4, 6);
    e[2] = 0xff;
    e[5] = 1;
}

static void madt_lapic_override(struct madt_buf *m, uint64_t addr)
{
    uint8_t *e = madt_entry(m, 5, 12);
    put64(e + 4, addr);
}

static void madt_x2apic(struct madt_buf *m, uint32_t id)
{
    uint8_t *e = madt_entry(m, 9, 16);
    put32(e + 4, id);
    put32(e + 8, 1);
}

/* Header length and checksum, as firmware would leave them. */
static void madt_seal(struct madt_buf *m)
{
    put32(m->b + 4, (uint32_t)m->len);
    m->b[9] = 0;
    m->b[9] = (uint8_t)(0 - acpi_checksum(m->b, m->len));
}

/* Parses a heap copy of exactly len bytes so ASan sees any overread. */
static int parse_exact(const uint8_t *t, size_t len, struct madt_info *out)
{
    uint8_t *p = malloc(len ? len : 1);
    assert_non_null(p);
    memcpy(p, t, len);
    memset(out, 0xaa, sizeof(*out));
    int rc = acpi_parse_madt(p, len, out);
    free(p);
    return rc;
}

/* A QEMU-like MADT: five CPUs (one disabled, one x2APIC), two I/O APICs, overrides, NMIs. */
static void build_typical(struct madt_buf *m)
{
    madt_init(m, 0xfee00000u, 1);
    madt_lapic(m, 0, 0, 1);
    madt_lapic(m, 1, 1, 1);
    madt_lapic(m, 2, 2, 0);             /* disabled */
    madt_lapic(m, 3, 3, 3);             /* enabled and online-capable */
    madt_ioapic(m, 0, 0xfec00000u, 0);
    madt_iso(m, 0, 2);
    madt_iso(m, 9, 9);
    madt_ioapic(m, 1, 0xfec01000u, 24);
    madt_lapic_nmi(m);
    madt_x2apic(m, 300);                /* enabled x2APIC: counted too */
    madt_seal(m);
}

static void test_typical(void **state)
{
    (void)state;
    static struct madt_buf m;
    struct madt_info info;
    build_typical(&m);
    assert_int_equal(acpi_checksum(m.b, m.len), 0);
    assert_int_equal(parse_exact(m.b, m.len, &info), 0);
    assert_int_equal(info.lapic_addr, 0xfee00000u);
    assert_true(info.has_8259);
    assert_int_equal(info.nr_lapics, 4);
    assert_int_equal(info.nr_ioapics, 2);
    assert_int_equal(info.ioapic_addr, 0xfec00000u);
    assert_int_equal(info.ioapic_gsi_base, 0);
}

/* Table rows: which LAPIC and IOAPIC entries, what must come out. */
static void test_counts_table(void **state)
{
    (void)state;
    static const struct {
        const char *what;
        uint32_t lapic_flags[6];
        unsigned int nr_lapic_entries;
        uint32_t ioapic_gsi[3];
        unsigned int nr_ioapic_entries;
        unsigned int want_lapics;
    } rows[] = {
        { "no entries", { 0 }, 0, { 0 }, 0, 0 },
        { "one enabled", { 1 }, 1, { 0 }, 1, 1 },
        { "all disabled", { 0, 0, 2 }, 3, { 0 }, 1, 0 },
        { "mixed", { 1, 0, 1, 0, 1, 0 }, 6, { 0, 24 }, 2, 3 },
        { "flag bits above bit 0", { 0xfffffffe, 0xffffffff }, 2, { 0 }, 1, 1 },
        { "three I/O APICs, first at GSI 16", { 1, 1 }, 2, { 16, 0, 40 }, 3, 2 },
    };
    static struct madt_buf m;
    for (size_t i = 0; i < UNIT_ARRAY_SIZE(rows); i++) {
        madt_init(&m, 0xfee00000u, 0);
        for (unsigned int j = 0; j < rows[i].nr_lapic_entries; j++)
            madt_lapic(&m, (uint8_t)j, (uint8_t)j, rows[i].lapic_flags[j]);
        for (unsigned int j = 0; j < rows[i].nr_ioapic_entries; j++)
            madt_ioapic(&m, (uint8_t)j, 0xfec00000u + j * 0x1000, rows[i].ioapic_gsi[j]);
        madt_seal(&m);
        struct madt_info info;
        int rc = parse_exact(m.b, m.len, &info);
        if (rc != 0 || info.nr_lapics != rows[i].want_lapics ||
            info.nr_ioapics != rows[i].nr_ioapic_entries || info.has_8259 ||
            info.lapic_addr != 0xfee00000u ||
            info.ioapic_addr != (rows[i].nr_ioapic_entries ? 0xfec00000u : 0) ||
            info.ioapic_gsi_base != rows[i].ioapic_gsi[0])
            fail_msg("%s: rc %d lapics %u ioapics %u ioapic %#llx gsi %u", rows[i].what, rc,
                     info.nr_lapics, info.nr_ioapics, (unsigned long long)info.ioapic_addr,
                     info.ioapic_gsi_base);
    }
}

static void test_lapic_override(void **state)
{
    (void)state;
    static struct madt_buf m;
    struct madt_info info;

    /* after the CPUs */
    madt_init(&m, 0xfee00000u, 1);
    madt_lapic(&m, 0, 0, 1);
    madt_lapic_override(&m, 0x00000012fee00000ull);
    madt_seal(&m);
    assert_int_equal(parse_exact(m.b, m.len, &info), 0);
    assert_int_equal(info.lapic_addr, 0x00000012fee00000ull);
    assert_int_equal(info.nr_lapics, 1);

    /* before them, and with a full 64-bit address */
    madt_init(&m, 0xfee00000u, 1);
    madt_lapic_override(&m, 0xfedcba9876543000ull);
    madt_lapic(&m, 0, 0, 1);
    madt_ioapic(&m, 0, 0xfec00000u, 0);
    madt_seal(&m);
    assert_int_equal(parse_exact(m.b, m.len, &info), 0);
    assert_int_equal(info.lapic_addr, 0xfedcba9876543000ull);

    /* an override entry too short to hold the address is ignored */
    madt_init(&m, 0xfee00000u, 1);
    uint8_t *e = madt_entry(&m, 5, 11);
    memset(e + 2, 0xff, 9);
    madt_seal(&m);
    assert_int_equal(parse_exact(m.b, m.len, &info), 0);
    assert_int_equal(info.lapic_addr, 0xfee00000u);
}

/* Known types with entries too short for their fields are skipped, not misread. */
static void test_short_known_entries(void **state)
{
    (void)state;
    static struct madt_buf m;
    struct madt_info info;
    madt_init(&m, 0xfee00000u, 1);
    uint8_t *e = madt_entry(&m, 0, 7);      /* LAPIC, no room for flags */
    memset(e + 2, 0xff, 5);
    e = madt_entry(&m, 1, 11);              /* IOAPIC, no room for the GSI base */
    memset(e + 2, 0xff, 9);
    e = madt_entry(&m, 0, 2);               /* bare header */
    e = madt_entry(&m, 200, 2);             /* unknown type */
    madt_ioapic(&m, 1, 0xfec10000u, 64);
    madt_seal(&m);
    assert_int_equal(parse_exact(m.b, m.len, &info), 0);
    assert_int_equal(info.nr_lapics, 0);
    assert_int_equal(info.nr_ioapics, 1);
    assert_int_equal(info.ioapic_addr, 0xfec10000u);
    assert_int_equal(info.ioapic_gsi_base, 64);
}

static void test_refusals(void **state)
{
    (void)state;
    static struct madt_buf m;
    struct madt_info info;

    /* shorter than header + fixed fields: every length */
    build_typical(&m);
    for (size_t len = 0; len < MADT_FIXED; len++)
        assert_int_equal(parse_exact(m.b, len, &info), -1);
    /* header + fixed fields, no entries: fine */
    assert_int_equal(parse_exact(m.b, MADT_FIXED, &info), 0);
    assert_int_equal(info.nr_lapics, 0);
    assert_int_equal(info.nr_ioapics, 0);

    static const struct {
        const char *what;
        uint8_t bytes[4];
        size_t n;
    } bad_tails[] = {
        { "entry length 0", { 0, 0, 0, 0 }, 4 },
        { "entry length 1", { 0, 1, 0, 0 }, 4 },
        { "length 0, unknown type", { 77, 0 }, 2 },
        { "length runs past the end", { 0, 8, 0, 0 }, 4 },
        { "IOAPIC length runs past the end", { 1, 12, 0, 0 }, 4 },
        { "lone type byte", { 0 }, 1 },
        { "length 255 at the end", { 5, 255 }, 2 },
    };
    for (size_t i = 0; i < UNIT_ARRAY_SIZE(bad_tails); i++) {
        madt_init(&m, 0xfee00000u, 1);
        madt_lapic(&m, 0, 0, 1);
        memcpy(m.b + m.len, bad_tails[i].bytes, bad_tails[i].n);
        m.len += bad_tails[i].n;
        madt_ioapic(&m, 0, 0xfec00000u, 0);     /* valid data after a bad entry is not reached */
        if (i >= 3)
            m.len -= 12;                        /* the bad entry is the last thing */
        madt_seal(&m);
        int rc = parse_exact(m.b, m.len, &info);
        if (rc != -1)
            fail_msg("%s: returned %d", bad_tails[i].what, rc);
    }
}

/* Every truncation of a good table: accepted exactly at entry boundaries. */
static void test_truncations(void **state)
{
    (void)state;
    static struct madt_buf m;
    struct madt_info info;
    build_typical(&m);
    for (size_t len = MADT_FIXED; len <= m.len; len++) {
        bool boundary = len == m.len;
        unsigned int entries = 0;
        for (unsigned int i = 0; i < m.nr_entries; i++) {
            if (m.entry_off[i] == len)
                boundary = true;
            if (m.entry_off[i] < len)
                entries++;
        }
        int rc = parse_exact(m.b, len, &info);
        if (rc != (boundary ? 0 : -1))
            fail_msg("length %zu: returned %d", len, rc);
        if (boundary && entries >= 4)
            assert_int_equal(info.nr_lapics, entries == m.nr_entries ? 4 : 3);
    }

    /* every value of every entry's type and length byte: no overread (ASan), sane counts */
    static struct madt_buf c;
    for (unsigned int i = 0; i < m.nr_entries; i++) {
        for (size_t k = 0; k < 2; k++) {
            for (unsigned int v = 0; v < 256; v++) {
                c = m;
                c.b[m.entry_off[i] + k] = (uint8_t)v;
                int rc = parse_exact(c.b, c.len, &info);
                assert_true(rc == 0 || rc == -1);
                if (rc == 0)
                    assert_true(info.nr_lapics + info.nr_ioapics <= c.len / 2);
            }
        }
    }
}

static void test_checksum(void **state)
{
    (void)state;
    static const struct {
        uint8_t bytes[8];
        size_t n;
        uint8_t want;
    } rows[] = {
        { { 0 }, 0, 0 },
        { { 0 }, 1, 0 },
        { { 1, 2, 3 }, 3, 6 },
        { { 0xff, 0x01 }, 2, 0 },
        { { 0x80, 0x80, 0x80 }, 3, 0x80 },
        { { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, 8, 0xf8 },
    };
    for (size_t i = 0; i < UNIT_ARRAY_SIZE(rows); i++)
        assert_int_equal(acpi_checksum(rows[i].bytes, rows[i].n), rows[i].want);

    /* a sealed table sums to zero; any one changed byte breaks it */
    static struct madt_buf m;
    build_typical(&m);
    uint8_t *p = malloc(m.len);
    assert_non_null(p);
    memcpy(p, m.b, m.len);
    assert_int_equal(acpi_checksum(p, m.len), 0);
    for (size_t i = 0; i < m.len; i++) {
        p[i] ^= 0x10;
        assert_int_not_equal(acpi_checksum(p, m.len), 0);
        p[i] ^= 0x10;
    }
    free(p);

    /* long input wraps modulo 256 */
    uint8_t big[1000];
    memset(big, 0xff, sizeof(big));
    assert_int_equal(acpi_checksum(big, sizeof(big)), (uint8_t)(1000 * 0xff));
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_typical),
        cmocka_unit_test(test_counts_table),
        cmocka_unit_test(test_lapic_override),
        cmocka_unit_test(test_short_known_entries),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_truncations),
        cmocka_unit_test(test_checksum),
    };
    return unit_run(argc, argv, "acpi_tables", tests, UNIT_ARRAY_SIZE(tests));
}
