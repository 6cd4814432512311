/*
 * Host tests of common/pci_vconf.c: BAR decoding from what the hardware
 * answered at assignment (QEMU's virtio-blk-pci and e1000e as seen on the
 * test machine, and the refusals: sub-page memory BARs, a 64-bit BAR 5),
 * the strict 0xCF8 decode a passthrough domain gets, and which registers
 * of an assigned function are emulated (BAR sizing, the ROM, the
 * interrupt line) rather than passed to the hardware.
 */
#include <hv/pci_vconf.h>
#include "unit.h"

/* 00:02.0 virtio-blk-pci (modern): bar1 mem32 4 KiB, bar4 mem64 16 KiB; the rest absent. */
static const uint32_t blk_orig[PCI_NR_BARS] = { 0, 0xfebc4000, 0, 0, 0xfebfc00c, 0 };
static const uint32_t blk_mask[PCI_NR_BARS] = { 0, 0xfffff000, 0, 0, 0xffffc00c, 0xffffffff };

static void test_decode_virtio_blk(void **state)
{
    (void)state;
    struct pci_bar b[PCI_NR_BARS];
    assert_int_equal(pci_bars_decode(blk_orig, blk_mask, b), 0);
    assert_int_equal(b[0].size, 0);
    assert_false(b[1].io);
    assert_int_equal(b[1].base, 0xfebc4000);
    assert_int_equal(b[1].size, 0x1000);
    assert_int_equal(b[2].size, 0);
    assert_int_equal(b[3].size, 0);
    assert_false(b[4].io);
    assert_int_equal(b[4].base, 0xfebfc000);
    assert_int_equal(b[4].size, 0x4000);
    assert_int_equal(b[5].size, 0);             /* the upper half of BAR 4, not a BAR of its own */
}

/* An I/O BAR (16-bit ports, upper bits of the mask set as QEMU returns them) beside memory BARs. */
static void test_decode_io_and_mem(void **state)
{
    (void)state;
    const uint32_t orig[PCI_NR_BARS] = { 0xfeb80000, 0xfeba0000, 0xc041, 0xfebc0000, 0, 0 };
    const uint32_t mask[PCI_NR_BARS] = { 0xfffe0000, 0xfffe0000, 0xffffffe1, 0xffffc000, 0, 0 };
    struct pci_bar b[PCI_NR_BARS];
    assert_int_equal(pci_bars_decode(orig, mask, b), 0);
    assert_int_equal(b[0].size, 0x20000);
    assert_true(b[2].io);
    assert_int_equal(b[2].base, 0xc040);
    assert_int_equal(b[2].size, 0x20);
    assert_int_equal(b[3].size, 0x4000);
}

/* A memory BAR smaller than a page shares its frame with other devices: refused. */
static void test_decode_refuses_sub_page(void **state)
{
    (void)state;
    const uint32_t orig[PCI_NR_BARS] = { 0xfebc5000, 0, 0, 0, 0, 0 };
    const uint32_t mask[PCI_NR_BARS] = { 0xffffff00, 0, 0, 0, 0, 0 };
    struct pci_bar b[PCI_NR_BARS];
    assert_int_equal(pci_bars_decode(orig, mask, b), -1);
    const uint32_t orig2[PCI_NR_BARS] = { 0xfebc5800, 0, 0, 0, 0, 0 };
    const uint32_t mask2[PCI_NR_BARS] = { 0xfffff000, 0, 0, 0, 0, 0 };
    assert_int_equal(pci_bars_decode(orig2, mask2, b), -1);
    /* A 64-bit BAR needs the next register: BAR 5 has none. */
    const uint32_t orig3[PCI_NR_BARS] = { 0, 0, 0, 0, 0, 0xfebfc004 };
    const uint32_t mask3[PCI_NR_BARS] = { 0, 0, 0, 0, 0, 0xffffc004 };
    assert_int_equal(pci_bars_decode(orig3, mask3, b), -1);
}

/* A BAR the firmware left at 0 is no BAR to grant. */
static void test_decode_unprogrammed(void **state)
{
    (void)state;
    const uint32_t orig[PCI_NR_BARS] = { 0, 1, 0, 0, 0, 0 };
    const uint32_t mask[PCI_NR_BARS] = { 0xfffff000, 0xffffffe1, 0, 0, 0, 0 };
    struct pci_bar b[PCI_NR_BARS];
    assert_int_equal(pci_bars_decode(orig, mask, b), 0);
    for (unsigned int i = 0; i < PCI_NR_BARS; i++)
        assert_int_equal(b[i].size, 0);
}

static void test_cf8_decode(void **state)
{
    (void)state;
    uint16_t bdf;
    unsigned int reg;
    assert_true(pci_cf8_decode(0x80001010u, &bdf, &reg));
    assert_int_equal(bdf, PCI_BDF(0, 2, 0));
    assert_int_equal(reg, 0x10);
    assert_true(pci_cf8_decode(0x80ff7ffeu, &bdf, &reg));   /* the low two bits are ignored */
    assert_int_equal(bdf, 0xff7f);
    assert_int_equal(reg, 0xfc);
    assert_false(pci_cf8_decode(0x00001000u, &bdf, &reg));  /* enable bit clear */
    assert_false(pci_cf8_decode(0x81001000u, &bdf, &reg));  /* reserved bits: QEMU ignores them, so must we not */
    assert_false(pci_cf8_decode(0xc0001000u, &bdf, &reg));
}

static void test_bar_sizing_is_emulated(void **state)
{
    (void)state;
    struct pci_vfunc f = { .bar_mask = { 0, 0xfffff000, 0, 0, 0xffffc00c, 0xffffffff } };
    uint32_t v;
    /* Before any write the hardware answers. */
    assert_false(pci_vconf_read(&f, 0x14, &v));
    /* All ones: the mask, until the next write; never to the hardware. */
    assert_false(pci_vconf_write(&f, 0x14, 0, 4, 0xffffffffu));
    assert_true(pci_vconf_read(&f, 0x14, &v));
    assert_int_equal(v, 0xfffff000);
    assert_false(pci_vconf_read(&f, 0x10, &v));             /* only that BAR */
    assert_false(pci_vconf_write(&f, 0x14, 0, 4, 0xfebc4000));
    assert_false(pci_vconf_read(&f, 0x14, &v));
    /* The upper half of a 64-bit BAR, the last BAR register. */
    assert_false(pci_vconf_write(&f, 0x24, 0, 4, 0xffffffffu));
    assert_true(pci_vconf_read(&f, 0x24, &v));
    assert_int_equal(v, 0xffffffff);
    /* A write that would move a BAR is dropped, and so is a partial one (which ends sizing). */
    assert_false(pci_vconf_write(&f, 0x24, 0, 4, 0x12345678));
    assert_false(pci_vconf_write(&f, 0x20, 2, 2, 0xffff));
    assert_false(pci_vconf_read(&f, 0x20, &v));
    assert_false(pci_vconf_write(&f, 0x10, 0, 1, 0xff));
    assert_false(pci_vconf_read(&f, 0x10, &v));
}

static void test_other_registers(void **state)
{
    (void)state;
    struct pci_vfunc f = { 0 };
    uint32_t v = 1;
    /* The ROM: none, and it cannot be placed. */
    assert_true(pci_vconf_read(&f, 0x30, &v));
    assert_int_equal(v, 0);
    assert_false(pci_vconf_write(&f, 0x30, 0, 4, 0xfffffffe));
    /* The interrupt line is the hypervisor's record of the GSI: read-only. */
    assert_false(pci_vconf_write(&f, 0x3c, 0, 1, 5));
    assert_false(pci_vconf_read(&f, 0x3c, &v));
    /* Command, status, capabilities: to the hardware. */
    assert_true(pci_vconf_write(&f, 0x04, 0, 2, 0x7));
    assert_true(pci_vconf_write(&f, 0x40, 0, 4, 0));
    assert_true(pci_vconf_write(&f, 0xfc, 3, 1, 0));
    assert_false(pci_vconf_read(&f, 0x00, &v));
    assert_false(pci_vconf_read(&f, 0x2c, &v));
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode_virtio_blk),
        cmocka_unit_test(test_decode_io_and_mem),
        cmocka_unit_test(test_decode_refuses_sub_page),
        cmocka_unit_test(test_decode_unprogrammed),
        cmocka_unit_test(test_cf8_decode),
        cmocka_unit_test(test_bar_sizing_is_emulated),
        cmocka_unit_test(test_other_registers),
    };
    return unit_run(argc, argv, "pci_vconf", tests, UNIT_ARRAY_SIZE(tests));
}
