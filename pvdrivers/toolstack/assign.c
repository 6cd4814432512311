/*
 * dom0 as the toolstack for PCI passthrough at boot: each
 * assign=<bb:dd.f>:<domain name> option gives that function to that boot
 * domain (PV_DOMCTL_assign_device) before dom0 scans PCI itself, so dom0's
 * drivers never see it. The domain finds it with its own pci=<bb:dd.f>
 * option. What the function had (a memory BAR's frame, its interrupt line)
 * is read first and handed to the pci_passthrough_isolation self-test,
 * which checks that dom0 can reach none of it any more.
 *
 * assigncheck=<bb:dd.f>:<domain name> first takes that function through a
 * whole round trip (assigned, absent for dom0, deassigned, present again
 * with bus mastering, decoding and INTx off, a second deassign -ENODEV) and
 * the refusals (dom0 as the target, a BDF above 0xFFFF, a function that
 * does not exist); the self-test pci_assign_deassign_roundtrip reports it.
 */
#include <cmdline.h>
#include <pci.h>
#include <virtio.h>
#include <public/domctl.h>
#include <public/errno.h>
#include <xen/services.h>
#include <xen/toolstack.h>
#include <toolstack/assign.h>
#include "../../pvguest/kernel/selftest/selftest.h"

#define MAX_ASSIGN  4

static struct { uint16_t bdf; char name[32]; } assigns[MAX_ASSIGN];
static unsigned int nr_assigns;

static bool set_assign(const char *v)
{
    uint16_t bdf;
    const char *p = v ? pci_parse_bdf(v, &bdf) : NULL;
    if (!p || *p++ != ':' || !*p || strlen(p) >= sizeof(assigns[0].name) || nr_assigns == MAX_ASSIGN)
        return false;
    assigns[nr_assigns].bdf = bdf;
    str_copy(assigns[nr_assigns].name, p, sizeof(assigns[0].name));
    nr_assigns++;
    return true;
}
KERNEL_OPTION("assign", set_assign);

/* The running domain named name (boot domains exist before dom0 runs): its id, or -1. */
static int find_domain(const char *name)
{
    struct pv_domctl_info info;
    for (domid_t id = 1; id < 64; id++)
        if (!xenpv_domain_info(id, &info) && !strcmp((const char *)info.name, name) &&
            (info.flags & PV_DOMINF_running))
            return id;
    return -1;
}

/* The first frame of the function's first memory BAR, 0 if none (read as dom0 sees it now). */
static uint64_t first_mem_frame(uint8_t bus, uint8_t dev, uint8_t fn)
{
    for (uint16_t off = 0x10; off < 0x28; off += 4) {
        uint32_t lo = pci_conf_read32(bus, dev, fn, off);
        if (lo & 1)
            continue;
        uint64_t base = lo & ~0xfu;
        if (((lo >> 1) & 3) == 2 && off < 0x24) {
            base |= (uint64_t)pci_conf_read32(bus, dev, fn, off + 4) << 32;
            off += 4;
        }
        if (base)
            return base >> 12;
    }
    return 0;
}

static bool check_set, check_ran;
static uint16_t check_bdf;
static char check_name[32], check_failure[128];

static bool set_assigncheck(const char *v)
{
    const char *p = v ? pci_parse_bdf(v, &check_bdf) : NULL;
    if (!p || *p++ != ':' || !*p || strlen(p) >= sizeof(check_name))
        return false;
    str_copy(check_name, p, sizeof(check_name));
    check_set = true;
    return true;
}
KERNEL_OPTION("assigncheck", set_assigncheck);

int64_t ts_assign_op(uint32_t cmd, domid_t dom, uint32_t bdf)
{
    struct pv_domctl op = { .cmd = cmd, .domain = dom };
    op.u.assign.bdf = bdf;
    return xenpv_domctl(&op);
}

#define CHECK(cond, ...)                                                            \
    do {                                                                            \
        if (!(cond)) {                                                              \
            snprintf(check_failure, sizeof(check_failure), __VA_ARGS__);            \
            return;                                                                 \
        }                                                                           \
    } while (0)

/* assigncheck=: the round trip and the refusals, at boot while every boot domain runs. */
static void assign_check(void)
{
    uint8_t bus = (uint8_t)(check_bdf >> 8), dev = (check_bdf >> 3) & 31, fn = check_bdf & 7;
    int id = find_domain(check_name);
    check_ran = true;
    CHECK(id > 0, "no running domain named %s", check_name);
    uint32_t vendor = pci_conf_read32(bus, dev, fn, 0);
    CHECK((uint16_t)vendor != 0xffff, "%02x:%02x.%u is not there to begin with", bus, dev, fn);
    int64_t rc = ts_assign_op(PV_DOMCTL_assign_device, 0, check_bdf);
    CHECK(rc == -XEN_EINVAL, "assigning to dom0: %lld, want -EINVAL", (long long)rc);
    rc = ts_assign_op(PV_DOMCTL_assign_device, (domid_t)id, 0x10000);
    CHECK(rc == -XEN_EINVAL, "assigning bdf 0x10000: %lld, want -EINVAL", (long long)rc);
    rc = ts_assign_op(PV_DOMCTL_assign_device, (domid_t)id, 0xffff);
    CHECK(rc == -XEN_ENODEV, "assigning ff:1f.7 (absent): %lld, want -ENODEV", (long long)rc);
    rc = ts_assign_op(PV_DOMCTL_deassign_device, (domid_t)id, check_bdf);
    CHECK(rc == -XEN_ENODEV, "deassigning a function never assigned: %lld, want -ENODEV", (long long)rc);

    rc = ts_assign_op(PV_DOMCTL_assign_device, (domid_t)id, check_bdf);
    CHECK(rc == 0, "assigning %02x:%02x.%u to %s: %lld", bus, dev, fn, check_name, (long long)rc);
    uint32_t seen = pci_conf_read32(bus, dev, fn, 0);
    rc = ts_assign_op(PV_DOMCTL_deassign_device, (domid_t)id, check_bdf);
    CHECK(seen == 0xffffffffu, "assigned away, %02x:%02x.%u still reads %#x in dom0", bus, dev, fn, seen);
    CHECK(rc == 0, "deassigning %02x:%02x.%u: %lld", bus, dev, fn, (long long)rc);
    seen = pci_conf_read32(bus, dev, fn, 0);
    CHECK(seen == vendor, "given back, %02x:%02x.%u reads %#x, want %#x", bus, dev, fn, seen, vendor);
    uint16_t cmd = (uint16_t)pci_conf_read32(bus, dev, fn, 0x04);
    CHECK((cmd & 0x407) == 0x400, "given back with command %#x: want bus mastering and decoding off, INTx off", cmd);
    rc = ts_assign_op(PV_DOMCTL_deassign_device, (domid_t)id, check_bdf);
    CHECK(rc == -XEN_ENODEV, "a second deassign: %lld, want -ENODEV", (long long)rc);
    printk("assign: %02x:%02x.%u went to domain %d (%s) and came back\n", bus, dev, fn, id, check_name);
}

TEST(test_pci_assign_roundtrip)
{
    if (!check_ran)
        return ktap_skip(why, len, "no assigncheck=");
    EXPECT(!check_failure[0], "%s", check_failure);
    return NULL;
}

void toolstack_assign_start(void)
{
    if (!xenpv_is_dom0() || (!nr_assigns && !check_set))
        return;
    if (!pci_conf_available()) {
        printk("assign: no PCI configuration space here: nothing assigned\n");
        return;
    }
    if (check_set)
        assign_check();
    for (unsigned int i = 0; i < nr_assigns; i++) {
        uint16_t bdf = assigns[i].bdf;
        uint8_t bus = (uint8_t)(bdf >> 8), dev = (bdf >> 3) & 31, fn = bdf & 7;
        int id = find_domain(assigns[i].name);
        if (id < 0) {
            printk("assign: %02x:%02x.%u: no running domain named %s\n", bus, dev, fn, assigns[i].name);
            continue;
        }
        uint64_t mfn = first_mem_frame(bus, dev, fn);
        uint32_t line = pci_conf_read32(bus, dev, fn, 0x3c) & 0xff;
        int64_t rc = ts_assign_op(PV_DOMCTL_assign_device, (domid_t)id, bdf);
        if (rc) {
            printk("assign: %02x:%02x.%u to domain %d (%s) refused: %lld\n", bus, dev, fn, id, assigns[i].name,
                   (long long)rc);
            continue;
        }
        printk("assign: %02x:%02x.%u (frame %#llx, line %u) now belongs to domain %d (%s)\n", bus, dev, fn,
               (unsigned long long)mfn, line, id, assigns[i].name);
        xenpv_pci_probe_set(bdf, mfn, line == 0xff ? 0 : line, (domid_t)id);
    }
}

int ts_pci_reset(uint16_t bdf, domid_t from)
{
    struct pci_dev d;
    if (!pci_probe_function(bdf, &d))
        return -ENODEV;
    int rc = d.vendor == 0x1af4 && d.device >= 0x1040 ? virtio_pci_reset_function(&d) : -ENOSYS;
    uint16_t cmd = pci_read16(&d, 0x04);
    if (!rc)
        printk("xl: pci %02x:%02x.%u reset on its return from domain %u (virtio device_status 0; command %#x: "
               "bus mastering and decoding off)\n", d.bus, d.dev, d.fn, from, cmd);
    else
        printk("xl: pci %02x:%02x.%u back from domain %u: not reset (%d); command %#x\n", d.bus, d.dev, d.fn, from, rc,
               cmd);
    return rc;
}
