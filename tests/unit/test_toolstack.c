/*
 * Host tests of dom0's toolstack pure parts: the xl.cfg subset parser
 * (pvdrivers/toolstack/xl_cfg.c), the cpio "newc" reader (cpio.c) over
 * hostile archives, and the start-of-day layout both builders share (lib/pv_layout.c).
 */
#include <lib/pv_layout.h>
#include <toolstack/cpio.h>
#include <toolstack/xl_cfg.h>
#include "unit.h"

static int parse(struct xl_cfg *c, const char *text, char *err)
{
    xl_cfg_defaults(c);
    return xl_cfg_parse(c, text, strlen(text), "t.cfg", err, 200);
}

static void test_cfg_good(void **state)
{
    (void)state;
    struct xl_cfg c;
    char err[200] = "";
    const char *text = "# a comment\n"
                       "name = \"web-1\"\n"
                       "type='pv'\n"
                       "kernel = \"idler.elf\"  # trailing comment\n"
                       "memory = 64;\n"
                       "maxmem = 128\n"
                       "vcpus = 2\n"
                       "extra = \"console=hvc0 # not a comment\"\n"
                       "weight = 512\n"
                       "cap = 50\n"
                       "on_poweroff = \"preserve\"\n"
                       "on_crash = 'destroy'\n"
                       "\n";
    if (parse(&c, text, err))
        fail_msg("%s", err);
    assert_string_equal(c.name, "web-1");
    assert_string_equal(c.kernel, "idler.elf");
    assert_string_equal(c.cmdline, "console=hvc0 # not a comment");
    assert_int_equal(c.memory_mib, 64);
    assert_int_equal(c.maxmem_mib, 128);
    assert_int_equal(c.vcpus, 2);
    assert_int_equal(c.weight, 512);
    assert_int_equal(c.cap, 50);
    assert_int_equal(c.on_poweroff, XL_ACTION_PRESERVE);
    assert_int_equal(c.on_reboot, XL_ACTION_DESTROY);
    assert_int_equal(c.on_crash, XL_ACTION_DESTROY);
    assert_int_equal(c.on_watchdog, XL_ACTION_DESTROY);     /* libxl's default */
    assert_int_equal(xl_cfg_check(&c, err, sizeof(err)), 0);
    /* The command line's key=value goes over the file's. */
    assert_int_equal(xl_cfg_line(&c, "memory=16", 9, err, sizeof(err)), 0);
    assert_int_equal(c.memory_mib, 16);
}

/* on_poweroff, on_reboot, on_crash and on_watchdog each take restart, and only their own field changes. */
static void test_cfg_restart_and_ramdisk(void **state)
{
    (void)state;
    static const char *const keys[] = { "on_poweroff", "on_reboot", "on_crash", "on_watchdog" };
    for (size_t i = 0; i < UNIT_ARRAY_SIZE(keys); i++) {
        struct xl_cfg c;
        char text[80], err[200] = "";
        snprintf(text, sizeof(text), "%s = \"restart\"\n", keys[i]);
        if (parse(&c, text, err))
            fail_msg("%s: %s", keys[i], err);
        enum xl_action *field[] = { &c.on_poweroff, &c.on_reboot, &c.on_crash, &c.on_watchdog };
        const enum xl_action deflt[] = { XL_ACTION_DESTROY, XL_ACTION_DESTROY, XL_ACTION_PRESERVE, XL_ACTION_DESTROY };
        for (size_t j = 0; j < UNIT_ARRAY_SIZE(keys); j++)
            assert_int_equal(*field[j], j == i ? XL_ACTION_RESTART : deflt[j]);
    }
    struct xl_cfg c;
    char err[200] = "";
    if (parse(&c, "name='r'\nkernel = \"idler.elf\"\nramdisk = 'initrd.cpio' # its module\n", err))
        fail_msg("%s", err);
    assert_string_equal(c.ramdisk, "initrd.cpio");
    assert_string_equal(c.kernel, "idler.elf");
    assert_int_equal(xl_cfg_check(&c, err, sizeof(err)), 0);
    /* The command line's ramdisk= replaces the file's; no ramdisk= leaves none. */
    assert_int_equal(xl_cfg_line(&c, "ramdisk=other.bin", 17, err, sizeof(err)), 0);
    assert_string_equal(c.ramdisk, "other.bin");
    assert_int_equal(parse(&c, "name='r'\nkernel='k'\n", err), 0);
    assert_string_equal(c.ramdisk, "");
}

#define L70 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static void test_cfg_errors_name_their_line(void **state)
{
    (void)state;
    static const struct { const char *text, *error; } rows[] = {
        { "name = \"a\"\ncolour = \"blue\"\n", "t.cfg:2: unknown key 'colour'" },
        { "vcpus = 9\n", "t.cfg:1: vcpus: '9' is not 1 to 8" },
        { "vcpus = 0\n", "t.cfg:1: vcpus: '0' is not 1 to 8" },
        { "vcpus = 99999999999999999999999\n", "t.cfg:1: vcpus: '99999999999999999999999' is not 1 to 8" },
        { "memory = 2\n", "t.cfg:1: memory: '2' is not a size in MiB from 4" },
        { "memory = 12x\n", "t.cfg:1: memory: '12x' is not a size in MiB from 4" },
        { "cap = 101\n", "t.cfg:1: cap: '101' is not 0 to 100" },
        { "weight = 0\n", "t.cfg:1: weight: '0' is not 1 to 65535" },
        { "type = \"hvm\"\n", "t.cfg:1: type: 'hvm': only \"pv\" domains" },
        { "name = \"a b\"\n", "t.cfg:1: name: 'a b' is not 1-31 letters, digits, '-', '_' or '.'" },
        { "name = \"\"\n", "t.cfg:1: name: '' is not 1-31 letters, digits, '-', '_' or '.'" },
        { "name = \"unterminated\n", "t.cfg:1: name: unterminated string or text after it" },
        { "disk = [ 'x' ]\n", "t.cfg:1: disk 0: target 'x' is not extent:<start>+<count> (sectors of the back end's "
                               "store, count from 1)" },
        { "pci = [ '01:00' ]\n", "t.cfg:1: pci 0: '01:00' is not bb:dd.f (segment 0; no options, vslot or function list)" },
        { "ramdisk = \"\"\n", "t.cfg:1: ramdisk: '' is empty or too long" },
        { "ramdisk = \"" L70 "\"\n", "t.cfg:1: ramdisk: '" L70 "' is empty or too long" },
        { "ramdisk = [ 'r' ]\n", "t.cfg:1: ramdisk: takes one value, not a list" },
        { "on_reboot = \"rename-restart\"\n",
          "t.cfg:1: on_reboot: rename-restart is not supported (destroy, preserve or restart)" },
        { "on_crash = \"coredump-restart\"\n",
          "t.cfg:1: on_crash: coredump-restart is not supported (destroy, preserve or restart)" },
        { "on_crash = \"explode\"\n", "t.cfg:1: on_crash: 'explode' is not destroy, preserve or restart" },
        { "on_watchdog = \"coredump-destroy\"\n",
          "t.cfg:1: on_watchdog: coredump-destroy is not supported (destroy, preserve or restart)" },
        { "on_watchdog = \"reboot\"\n", "t.cfg:1: on_watchdog: 'reboot' is not destroy, preserve or restart" },
        { "on_watchdogs = \"restart\"\n", "t.cfg:1: unknown key 'on_watchdogs'" },
        { "on_poweroff = \"Restart\"\n", "t.cfg:1: on_poweroff: 'Restart' is not destroy, preserve or restart" },
        { "on_reboot = \"restarts\"\n", "t.cfg:1: on_reboot: 'restarts' is not destroy, preserve or restart" },
        { "\n\n= 3\n", "t.cfg:3: expected 'key = value'" },
        { "name \"x\"\n", "t.cfg:1: expected '=' after 'name'" },
    };
    for (size_t i = 0; i < UNIT_ARRAY_SIZE(rows); i++) {
        struct xl_cfg c;
        char err[200] = "";
        if (!parse(&c, rows[i].text, err))
            fail_msg("row %zu accepted", i);
        if (strcmp(err, rows[i].error))
            fail_msg("row %zu: '%s', want '%s'", i, err, rows[i].error);
    }
    /* A line longer than the parser's buffer, and a value longer than its field. */
    char big[2000];
    memset(big, 'a', sizeof(big));
    memcpy(big, "extra = ", 8);
    big[sizeof(big) - 1] = '\0';
    struct xl_cfg c;
    char err[200];
    assert_int_equal(parse(&c, big, err), -1);
    assert_string_equal(err, "t.cfg:1: line too long");
}

/* vif and disk lists: xl's spellings of one device, several devices, replacing the list. */
static void test_cfg_devices(void **state)
{
    (void)state;
    struct xl_cfg c;
    char err[200] = "";
    const char *text = "name = 'd'\n"
                       "vif = [ 'mac=00:16:3e:0A:0b:0c, bridge=xenbr0', '', \"backend=dom0,type=vif\", ]\n"
                       "disk = [ 'extent:0+2048,raw,xvda,rw', 'vdev=xvdb, access=w, target=extent:2048+1' ,"
                       "'format=raw,vdev=xvdp,devtype=disk,backendtype=phy,backend=0,target=extent:7+9' ]\n";
    if (parse(&c, text, err))
        fail_msg("%s", err);
    assert_int_equal(c.nr_vifs, 3);
    assert_true(c.vif[0].mac_set);
    static const uint8_t mac[6] = { 0x00, 0x16, 0x3e, 0x0a, 0x0b, 0x0c };
    assert_memory_equal(c.vif[0].mac, mac, 6);
    assert_string_equal(c.vif[0].backend, "");
    assert_false(c.vif[1].mac_set);
    assert_string_equal(c.vif[2].backend, "dom0");
    assert_int_equal(c.nr_disks, 3);
    assert_string_equal(c.disk[0].vdev, "xvda");
    assert_int_equal(c.disk[0].vdev_number, 51712);
    assert_int_equal(c.disk[0].start, 0);
    assert_int_equal(c.disk[0].count, 2048);
    assert_string_equal(c.disk[1].vdev, "xvdb");
    assert_int_equal(c.disk[1].vdev_number, 51728);
    assert_int_equal(c.disk[1].start, 2048);
    assert_int_equal(c.disk[1].count, 1);
    assert_int_equal(c.disk[2].vdev_number, 51952);
    assert_int_equal(c.disk[2].start, 7);
    assert_int_equal(c.disk[2].count, 9);
    assert_string_equal(c.disk[2].backend, "0");
    /* xl's positional form with an empty format; a later line replaces the list; an empty list. */
    assert_int_equal(xl_cfg_line(&c, "disk=['extent:5+6,,xvdc']", 25, err, sizeof(err)), 0);
    assert_int_equal(c.nr_disks, 1);
    assert_string_equal(c.disk[0].vdev, "xvdc");
    assert_int_equal(c.disk[0].start, 5);
    assert_int_equal(xl_cfg_line(&c, "vif = []", 8, err, sizeof(err)), 0);
    assert_int_equal(c.nr_vifs, 0);
    /* A bad list leaves the one before it. */
    assert_int_equal(xl_cfg_line(&c, "disk=['extent:5+6,,xvdc','x']", 29, err, sizeof(err)), -1);
    assert_int_equal(c.nr_disks, 1);
}

/* Every refused spec says which device and why. */
static void test_cfg_device_errors(void **state)
{
    (void)state;
    static const struct { const char *text, *error; } rows[] = {
        { "vif = 'mac=00:16:3e:00:00:01'", "vif: expected a list [ '<spec>', ... ]" },
        { "vif = [ 'mac=00:16:3e:00:00' ]", "vif 0: mac '00:16:3e:00:00' is not xx:xx:xx:xx:xx:xx" },
        { "vif = [ 'mac=00:16:3e:00:00:01:02' ]", "vif 0: mac '00:16:3e:00:00:01:02' is not xx:xx:xx:xx:xx:xx" },
        { "vif = [ 'mac=0g:16:3e:00:00:01' ]", "vif 0: mac '0g:16:3e:00:00:01' is not xx:xx:xx:xx:xx:xx" },
        { "vif = [ 'mac=01:16:3e:00:00:01' ]", "vif 0: mac '01:16:3e:00:00:01' is a multicast address" },
        { "vif = [ 'mac=00:00:00:00:00:00' ]", "vif 0: mac '00:00:00:00:00:00' is all zero" },
        { "vif = [ '', 'bridge=br1' ]", "vif 1: no bridge 'br1': dom0 has one, xenbr0" },
        { "vif = [ 'script=vif-route' ]", "vif 0: 'script' is not supported (mac, bridge, backend, type)" },
        { "vif = [ 'model=e1000' ]", "vif 0: 'model' is not supported (mac, bridge, backend, type)" },
        { "vif = [ 'type=ioemu' ]", "vif 0: type 'ioemu': only vif (PV) devices" },
        { "vif = [ 'bridge' ]", "vif 0: 'bridge' is not key=value" },
        { "vif = [ 'backend=a b' ]", "vif 0: backend 'a b' is not a domain's name or id" },
        { "vif = [ 'mac=00:16:3e:00:00:01,mac=00:16:3e:00:00:02' ]", "vif 0: mac given twice" },
        { "vif = [ '', '', '', '', '' ]", "vif: more than 4 devices" },
        { "vif = [ '' '' ]", "vif: expected ',' or ']' after a spec" },
        { "vif = [ ''", "vif: no ']' (a list is on one line)" },
        { "vif = [", "vif: no ']' (a list is on one line)" },
        { "vif = [ mac=00:16:3e:00:00:01 ]", "vif: expected a quoted spec or ']'" },
        { "vif = [ '' ] x", "vif: text after the list's ']'" },
        { "vif = [ 'mac=00:16:3e:00:00:01 ]", "vif: unterminated string" },
        { "disk = [ '' ]", "disk 0: no target (extent:<start>+<count>)" },
        { "disk = [ '/dev/vg/guest,,xvda' ]", "disk 0: target '/dev/vg/guest' is not extent:<start>+<count> "
                                               "(sectors of the back end's store, count from 1)" },
        { "disk = [ 'extent:0+0,,xvda' ]", "disk 0: target 'extent:0+0' is not extent:<start>+<count> "
                                            "(sectors of the back end's store, count from 1)" },
        { "disk = [ 'extent:1,,xvda' ]", "disk 0: target 'extent:1' is not extent:<start>+<count> "
                                          "(sectors of the back end's store, count from 1)" },
        { "disk = [ 'extent:0+8' ]", "disk 0: no vdev" },
        { "disk = [ 'extent:0+8,,hda' ]", "disk 0: vdev 'hda' is not xvda to xvdp" },
        { "disk = [ 'extent:0+8,,xvdq' ]", "disk 0: vdev 'xvdq' is not xvda to xvdp" },
        { "disk = [ 'extent:0+8,qcow2,xvda' ]", "disk 0: format 'qcow2': only raw" },
        { "disk = [ 'extent:0+8,raw,xvda,ro' ]", "disk 0: access 'ro': blkback serves read-write disks only" },
        { "disk = [ 'extent:0+8,raw,xvda,rx' ]", "disk 0: access 'rx' is not rw" },
        { "disk = [ 'extent:0+8,raw,xvda,w,extra' ]", "disk 0: 'extra': more than target, format, vdev and access" },
        { "disk = [ 'extent:0+8,,xvda,cdrom' ]", "disk 0: 'cdrom' is not supported: blkback serves read-write disks" },
        { "disk = [ 'extent:0+8,,xvda,devtype=cdrom' ]", "disk 0: devtype 'cdrom': only disk" },
        { "disk = [ 'extent:0+8,,xvda,backendtype=qdisk' ]", "disk 0: backendtype 'qdisk': only phy (dom0's blkback)" },
        { "disk = [ 'extent:0+8,,xvda,script=block' ]", "disk 0: 'script' is not supported (target, format, vdev, "
                                                        "access, devtype, backendtype, backend)" },
        { "disk = [ 'extent:0+8,vdev=xvda,vdev=xvdb' ]", "disk 0: vdev given twice" },
        { "disk = [ 'extent:0+8,,xvda,target=extent:0+8' ]", "disk 0: target given twice" },
        { "disk = [ 'extent:0+8,,xvda', 'extent:8+8,,xvda' ]", "disk 1: vdev xvda is disk 0's too" },
    };
    for (size_t i = 0; i < UNIT_ARRAY_SIZE(rows); i++) {
        struct xl_cfg c;
        char err[200] = "";
        xl_cfg_defaults(&c);
        if (!xl_cfg_line(&c, rows[i].text, strlen(rows[i].text), err, sizeof(err)))
            fail_msg("row %zu accepted", i);
        if (strcmp(err, rows[i].error))
            fail_msg("row %zu: '%s', want '%s'", i, err, rows[i].error);
        assert_int_equal(c.nr_vifs + c.nr_disks, 0);
    }
}

struct reports { unsigned int n; char msg[4][240]; };

static void collect(void *ctx, const char *msg)
{
    struct reports *r = ctx;
    if (r->n < 4)
        snprintf(r->msg[r->n], sizeof(r->msg[0]), "%s", msg);
    r->n++;
}

/* create --dry-run: every bad line named, the good ones around them still taken. */
static void test_cfg_every_error(void **state)
{
    (void)state;
    struct xl_cfg c;
    struct reports r = { 0 };
    const char *text = "name = \"x\"\ncolour = 1\nmemory = 2\nvcpus = 2\ncap = 101";
    xl_cfg_defaults(&c);
    assert_int_equal(xl_cfg_parse_each(&c, text, strlen(text), "t.cfg", collect, &r), 3);
    assert_int_equal(r.n, 3);
    assert_string_equal(r.msg[0], "t.cfg:2: unknown key 'colour'");
    assert_string_equal(r.msg[1], "t.cfg:3: memory: '2' is not a size in MiB from 4");
    assert_string_equal(r.msg[2], "t.cfg:5: cap: '101' is not 0 to 100");
    assert_string_equal(c.name, "x");
    assert_int_equal(c.vcpus, 2);
    xl_cfg_defaults(&c);
    r.n = 0;
    assert_int_equal(xl_cfg_parse_each(&c, "name = \"y\"\n", 11, "t.cfg", collect, &r), 0);
    assert_int_equal(r.n, 0);
}

static void test_cfg_check(void **state)
{
    (void)state;
    struct xl_cfg c;
    char err[200];
    assert_int_equal(parse(&c, "kernel = \"k\"\n", err), 0);
    assert_int_equal(xl_cfg_check(&c, err, sizeof(err)), -1);
    assert_string_equal(err, "no name= given");
    assert_int_equal(parse(&c, "name = \"n\"\n", err), 0);
    assert_int_equal(xl_cfg_check(&c, err, sizeof(err)), -1);
    assert_string_equal(err, "no kernel= given");
    assert_int_equal(parse(&c, "name = \"n\"\nkernel=\"k\"\nmemory=64\nmaxmem=32\n", err), 0);
    assert_int_equal(xl_cfg_check(&c, err, sizeof(err)), -1);
}

/* ---- cpio ---- */

static size_t put_entry(uint8_t *p, const char *name, const char *data, size_t len, uint32_t mode)
{
    size_t n = strlen(name) + 1, at = 0;
    char hdr[111];
    snprintf(hdr, sizeof(hdr), "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X", 1u, mode, 0u, 0u, 1u, 0u,
             (unsigned)len, 0u, 0u, 0u, 0u, (unsigned)n, 0u);
    memcpy(p, hdr, 110);
    at = 110;
    memcpy(p + at, name, n);
    at += n;
    while (at % 4)
        p[at++] = 0;
    memcpy(p + at, data, len);
    at += len;
    while (at % 4)
        p[at++] = 0;
    return at;
}

static size_t archive(uint8_t *buf)
{
    size_t n = 0;
    n += put_entry(buf + n, ".", "", 0, 0040755);
    n += put_entry(buf + n, "./a.cfg", "name=1\n", 7, 0100644);
    n += put_entry(buf + n, "kernel.elf", "\177ELFxyz", 7, 0100644);
    n += put_entry(buf + n, "TRAILER!!!", "", 0, 0);
    return n;
}

static void test_cpio_find(void **state)
{
    (void)state;
    static uint8_t buf[4096];
    size_t len = archive(buf);
    struct cpio_file f;
    assert_true(cpio_find(buf, len, "a.cfg", &f));
    assert_int_equal(f.size, 7);
    assert_memory_equal(f.data, "name=1\n", 7);
    assert_true(cpio_find(buf, len, "kernel.elf", &f));
    assert_int_equal(f.size, 7);
    assert_false(cpio_find(buf, len, ".", &f));          /* a directory */
    assert_false(cpio_find(buf, len, "missing", &f));
    size_t pos = 0, count = 0;
    bool bad;
    while (cpio_next(buf, len, &pos, &f, &bad))
        count++;
    assert_int_equal(count, 2);
    assert_false(bad);
}

/* Every truncation and every single-byte corruption: never a read outside the archive (ASan), never a file past it. */
static void test_cpio_hostile(void **state)
{
    (void)state;
    static uint8_t good[4096];
    size_t len = archive(good);
    for (size_t cut = 0; cut <= len; cut++) {
        uint8_t *copy = malloc(cut ? cut : 1);
        memcpy(copy, good, cut);
        size_t pos = 0;
        struct cpio_file f;
        bool bad;
        while (cpio_next(copy, cut, &pos, &f, &bad))
            assert_true(f.data >= copy && f.data + f.size <= copy + cut);
        free(copy);
    }
    static const uint8_t values[] = { 0, '0', '9', 'F', 'f', 'g', 0xff, '/' };
    for (size_t at = 0; at < len; at++)
        for (size_t v = 0; v < sizeof(values); v++) {
            uint8_t *copy = malloc(len);
            memcpy(copy, good, len);
            copy[at] = values[v];
            size_t pos = 0;
            struct cpio_file f;
            bool bad;
            for (int n = 0; n < 10 && cpio_next(copy, len, &pos, &f, &bad); n++)
                assert_true(f.data >= copy && f.data + f.size <= copy + len);
            free(copy);
        }
}

/* pci = [ 'bb:dd.f', ... ]: what xl create assigns (PV_DOMCTL_assign_device) and appends as pci= to the command line. */
static void test_cfg_pci(void **state)
{
    (void)state;
    struct xl_cfg c;
    char err[200] = "";
    assert_int_equal(parse(&c, "name = 'p'\nkernel = 'k'\npci = [ '00:03.0', \"0000:0a:1f.7\", ]\n", err), 0);
    assert_int_equal(c.nr_pci, 2);
    assert_int_equal(c.pci[0], 0x0018);
    assert_int_equal(c.pci[1], 0x0aff);
    assert_int_equal(xl_cfg_line(&c, "pci = []", 8, err, sizeof(err)), 0);
    assert_int_equal(c.nr_pci, 0);
    static const struct {
        const char *text, *error;
    } rows[] = {
        { "pci = '00:03.0'", "pci: expected a list [ '<spec>', ... ]" },
        { "pci = [ '00:03' ]", "pci 0: '00:03' is not bb:dd.f (segment 0; no options, vslot or function list)" },
        { "pci = [ '00:20.0' ]", "pci 0: '00:20.0' is not bb:dd.f (segment 0; no options, vslot or function list)" },
        { "pci = [ '00:03.8' ]", "pci 0: '00:03.8' is not bb:dd.f (segment 0; no options, vslot or function list)" },
        { "pci = [ '00:03.*' ]", "pci 0: '00:03.*' is not bb:dd.f (segment 0; no options, vslot or function list)" },
        { "pci = [ '0001:00:03.0' ]",
          "pci 0: '0001:00:03.0' is not bb:dd.f (segment 0; no options, vslot or function list)" },
        { "pci = [ '00:03.0,permissive=1' ]",
          "pci 0: '00:03.0,permissive=1' is not bb:dd.f (segment 0; no options, vslot or function list)" },
        { "pci = [ '00:03.0@4' ]", "pci 0: '00:03.0@4' is not bb:dd.f (segment 0; no options, vslot or function list)" },
        { "pci = [ '00:03.0', '0000:00:03.0' ]", "pci 1: 00:03.0 is pci 0's too" },
        { "pci = [ '00:01.0', '00:02.0', '00:03.0', '00:04.0', '00:05.0' ]", "pci: more than 4 devices" },
    };
    for (size_t i = 0; i < UNIT_ARRAY_SIZE(rows); i++) {
        xl_cfg_defaults(&c);
        assert_int_equal(xl_cfg_line(&c, "pci = [ '00:1f.3' ]", 19, err, sizeof(err)), 0);
        if (!xl_cfg_line(&c, rows[i].text, strlen(rows[i].text), err, sizeof(err)))
            fail_msg("row %zu accepted", i);
        if (strcmp(err, rows[i].error))
            fail_msg("row %zu: '%s', want '%s'", i, err, rows[i].error);
        assert_true(c.nr_pci == 1 && c.pci[0] == 0x00fb);      /* a bad line leaves the list as it was */
    }
}

/* network-attach / block-attach: the words typed after the domain, joined as xl joins its arguments. */
static void test_spec_join(void **state)
{
    (void)state;
    static const struct {
        const char *words[4];
        unsigned int n;
        const char *spec;
    } rows[] = {
        { { NULL }, 0, "" },
        { { "extent:0+8", "raw", "xvdb" }, 3, "extent:0+8,raw,xvdb" },
        { { "'vdev=xvdb,", "target=extent:0+8'" }, 2, "vdev=xvdb,target=extent:0+8" },
        { { "mac=00:16:3e:00:00:01", ",bridge=xenbr0" }, 2, "mac=00:16:3e:00:00:01,bridge=xenbr0" },
        { { "\"\"", "''", "bridge=xenbr0" }, 3, "bridge=xenbr0" },
        { { "a", "", "b" }, 3, "a,b" },
    };
    for (size_t i = 0; i < UNIT_ARRAY_SIZE(rows); i++) {
        char out[64];
        memset(out, 'x', sizeof(out));
        assert_int_equal(xl_spec_join(out, sizeof(out), rows[i].words, rows[i].n), 0);
        if (strcmp(out, rows[i].spec))
            fail_msg("row %zu: '%s', want '%s'", i, out, rows[i].spec);
    }
    /* Through the same parsers as vif= and disk=. */
    const char *const disk[] = { "'vdev=xvdc,", "access=w,", "target=extent:8+8'" };
    char spec[64], err[160];
    struct xl_disk d;
    assert_int_equal(xl_spec_join(spec, sizeof(spec), disk, 3), 0);
    assert_int_equal(xl_disk_parse(&d, spec, err, sizeof(err)), 0);
    assert_string_equal(d.vdev, "xvdc");
    assert_int_equal(d.vdev_number, 202u << 8 | 2u << 4);
    assert_true(d.start == 8 && d.count == 8);
    const char *const vif[] = { "bridge=br1" };
    struct xl_vif v;
    assert_int_equal(xl_spec_join(spec, sizeof(spec), vif, 1), 0);
    assert_int_equal(xl_vif_parse(&v, spec, err, sizeof(err)), -1);
    assert_string_equal(err, "no bridge 'br1': dom0 has one, xenbr0");
    /* Exactly full, then one byte over (every size up to the spec's: never past out). */
    const char *const two[] = { "abc", "de" };         /* "abc,de": 6 bytes and the NUL */
    for (size_t size = 0; size <= 8; size++) {
        char buf[8];
        memset(buf, 'x', sizeof(buf));
        int rc = xl_spec_join(buf, size, two, 2);
        assert_int_equal(rc, size >= 7 ? 0 : -1);
        if (!rc)
            assert_string_equal(buf, "abc,de");
        for (size_t j = size; j < sizeof(buf); j++)
            assert_int_equal(buf[j], 'x');
    }
}

/* ---- the shared layout ---- */

static void test_layout(void **state)
{
    (void)state;
    struct pv_layout l;
    char err[160];
    const uint64_t base = 0xffffffff80000000ull;
    /* 8 MiB domU, a 180 KiB kernel, start_info and two ring pages: as both builders lay it out. */
    assert_int_equal(pv_layout_compute(base, base, base + 0x2e000, 0, 2048, 3 * 4096, false, &l, err, sizeof(err)), 0);
    assert_int_equal(l.p2m_start, base + 0x2e000);
    assert_int_equal(l.p2m_end, l.p2m_start + 2048 * 8);
    assert_int_equal(l.si_start, l.p2m_end);
    assert_int_equal(l.pt_start, l.si_start + 3 * 4096);
    assert_true(l.v_end % (4u << 20) == 0 && l.v_end - l.stack_end >= 512 * 1024);
    assert_true(pv_pt_pages_needed(base, l.v_end) <= l.nr_pt_frames);
    /* Too small a domain for its own mapping. */
    assert_int_equal(pv_layout_compute(base, base, base + 0x2e000, 0, 256, 3 * 4096, false, &l, err, sizeof(err)), -1);
    /* A kernel below its base. */
    assert_int_equal(pv_layout_compute(base, base - 4096, base, 0, 2048, 4096, false, &l, err, sizeof(err)), -1);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cfg_good),
        cmocka_unit_test(test_cfg_restart_and_ramdisk),
        cmocka_unit_test(test_cfg_errors_name_their_line),
        cmocka_unit_test(test_cfg_every_error),
        cmocka_unit_test(test_cfg_devices),
        cmocka_unit_test(test_cfg_device_errors),
        cmocka_unit_test(test_cfg_check),
        cmocka_unit_test(test_cfg_pci),
        cmocka_unit_test(test_spec_join),
        cmocka_unit_test(test_cpio_find),
        cmocka_unit_test(test_cpio_hostile),
        cmocka_unit_test(test_layout),
    };
    return unit_run(argc, argv, "toolstack", tests, UNIT_ARRAY_SIZE(tests));
}
