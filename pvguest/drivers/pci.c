/* PCI enumeration (bus 0 and behind its bridges), BAR sizing, capability lists, BAR mapping. */
#include <pci.h>
#include <mm.h>
#include <cmdline.h>

static struct pci_dev devices[PCI_MAX_DEVICES];

/*
 * pcihide=<bb:dd.f> (repeatable, up to PCI_MAX_HIDDEN): functions the scan
 * leaves alone, as Linux's xen-pciback.hide=: dom0 never drives them, so the
 * toolstack can give them to a driver domain later (xl.cfg pci=) and take
 * them back, with nobody in dom0 holding their BARs or interrupt.
 */
#define PCI_MAX_HIDDEN 4
static uint16_t hidden[PCI_MAX_HIDDEN];
static unsigned int nr_hidden;

static bool set_pcihide(const char *v)
{
    const char *end = v && nr_hidden < PCI_MAX_HIDDEN ? pci_parse_bdf(v, &hidden[nr_hidden]) : NULL;
    if (!end || *end)
        return false;
    nr_hidden++;
    return true;
}
KERNEL_OPTION("pcihide", set_pcihide);

static bool is_hidden(uint8_t bus, uint8_t dev, uint8_t fn)
{
    uint16_t bdf = (uint16_t)(bus << 8 | dev << 3 | fn);
    for (unsigned int i = 0; i < nr_hidden; i++)
        if (hidden[i] == bdf)
            return true;
    return false;
}
static unsigned int nr_devices;
static bool scanned;

uint32_t pci_read32(const struct pci_dev *d, uint16_t off) { return pci_conf_read32(d->bus, d->dev, d->fn, off); }
uint16_t pci_read16(const struct pci_dev *d, uint16_t off) { return (uint16_t)(pci_read32(d, off & ~3) >> ((off & 2) * 8)); }
uint8_t pci_read8(const struct pci_dev *d, uint16_t off) { return (uint8_t)(pci_read32(d, off & ~3) >> ((off & 3) * 8)); }
void pci_write32(const struct pci_dev *d, uint16_t off, uint32_t v) { pci_conf_write32(d->bus, d->dev, d->fn, off, v); }
void pci_write16(const struct pci_dev *d, uint16_t off, uint16_t v)
{
    uint32_t old = pci_read32(d, off & ~3), shift = (off & 2) * 8;
    pci_write32(d, off & ~3, (old & ~(0xffffu << shift)) | (uint32_t)v << shift);
}

/* Sizes each BAR by writing all ones with decoding off, then restores it. */
static void pci_read_bars(struct pci_dev *d)
{
    unsigned int nbars = (d->header_type & 0x7f) == 0 ? 6 : (d->header_type & 0x7f) == 1 ? 2 : 0;
    uint16_t cmd = pci_read16(d, 0x04);
    pci_write16(d, 0x04, cmd & ~3);
    for (unsigned int b = 0; b < nbars; b++) {
        uint16_t off = 0x10 + 4 * b;
        uint32_t lo = pci_read32(d, off);
        pci_write32(d, off, 0xffffffffu);
        uint32_t mask = pci_read32(d, off);
        pci_write32(d, off, lo);
        if (mask == 0 || mask == 0xffffffffu)
            continue;
        struct pci_bar *bar = &d->bar[b];
        if (lo & 1) {
            bar->io = true;
            bar->base = lo & ~3u;
            bar->size = (uint32_t)(~(mask & ~3u) + 1) & 0xffff;
            continue;
        }
        bar->prefetch = lo & 8;
        uint64_t base = lo & ~0xfu, sz = mask & ~0xfu;
        if (((lo >> 1) & 3) == 2 && b + 1 < nbars) {
            bar->is64 = true;
            uint32_t hi = pci_read32(d, off + 4);
            pci_write32(d, off + 4, 0xffffffffu);
            uint32_t hmask = pci_read32(d, off + 4);
            pci_write32(d, off + 4, hi);
            base |= (uint64_t)hi << 32;
            sz |= (uint64_t)hmask << 32;
            bar->size = ~sz + 1;
        } else {
            bar->size = (uint32_t)(~(uint32_t)sz + 1);
        }
        bar->base = base;
        if (bar->is64)
            b++;
    }
    pci_write16(d, 0x04, cmd);
}

static const char *pci_name(const struct pci_dev *d)
{
    if (d->vendor == 0x1af4 && d->device == 0x1042)
        return "virtio-blk";
    if (d->vendor == 0x1af4 && d->device == 0x1041)
        return "virtio-net";
    if (d->vendor == 0x1af4 && d->device >= 0x1040)
        return "virtio (modern)";
    if (d->vendor == 0x1af4)
        return "virtio (transitional)";
    if (d->class == 6 && d->subclass == 4)
        return "pci-to-pci bridge";
    if (d->class == 6 && d->subclass == 0)
        return "host bridge";
    return "";
}

static void pci_scan_bus(uint8_t bus, unsigned int depth);

/* What a function is: ids, class, header type, BARs (sized: only while its decoding is off or ours). */
static void pci_fill(struct pci_dev *d, uint8_t bus, uint8_t dev, uint8_t fn, uint32_t id)
{
    *d = (struct pci_dev){ .bus = bus, .dev = dev, .fn = fn };
    d->vendor = (uint16_t)id, d->device = (uint16_t)(id >> 16);
    uint32_t cls = pci_read32(d, 0x08);
    d->class = cls >> 24, d->subclass = (uint8_t)(cls >> 16), d->progif = (uint8_t)(cls >> 8);
    d->header_type = pci_read8(d, 0x0e);
    pci_read_bars(d);
}

bool pci_probe_function(uint16_t bdf, struct pci_dev *out)
{
    uint8_t bus = (uint8_t)(bdf >> 8), dev = (bdf >> 3) & 31, fn = bdf & 7;
    uint32_t id = pci_conf_available() ? pci_conf_read32(bus, dev, fn, 0) : 0xffffffffu;
    if ((uint16_t)id == 0xffff)
        return false;
    pci_fill(out, bus, dev, fn, id);
    return true;
}

static void pci_add(uint8_t bus, uint8_t dev, uint8_t fn, uint32_t id, unsigned int depth)
{
    if (nr_devices == PCI_MAX_DEVICES) {
        warn("pci: more than %u functions, %02x:%02x.%u ignored", PCI_MAX_DEVICES, bus, dev, fn);
        return;
    }
    struct pci_dev *d = &devices[nr_devices++];
    pci_fill(d, bus, dev, fn, id);
    printk("pci: %02x:%02x.%u %04x:%04x class %02x%02x %s\n", bus, dev, fn, d->vendor, d->device,
           d->class, d->subclass, pci_name(d));
    for (unsigned int b = 0; b < PCI_NR_BARS; b++)
        if (d->bar[b].size)
            printk("pci:   bar%u %s%s %#llx size %#llx\n", b, d->bar[b].io ? "io" : "mem",
                   d->bar[b].io ? "" : d->bar[b].is64 ? "64" : "32",
                   (unsigned long long)d->bar[b].base, (unsigned long long)d->bar[b].size);
    /* A bridge's secondary bus, as the firmware numbered it. */
    if ((d->header_type & 0x7f) == 1 && depth < 4) {
        uint8_t secondary = pci_read8(d, 0x19);
        if (secondary > bus)
            pci_scan_bus(secondary, depth + 1);
    }
}

static void pci_scan_bus(uint8_t bus, unsigned int depth)
{
    for (uint8_t dev = 0; dev < 32; dev++) {
        for (uint8_t fn = 0; fn < 8; fn++) {
            uint32_t id = pci_conf_read32(bus, dev, fn, 0);
            if ((uint16_t)id == 0xffff) {
                if (fn == 0)
                    break;
                continue;
            }
            if (is_hidden(bus, dev, fn))
                printk("pci: %02x:%02x.%u %04x:%04x hidden (pcihide=): left for a driver domain\n", bus, dev, fn,
                       (uint16_t)id, (uint16_t)(id >> 16));
            else
                pci_add(bus, dev, fn, id, depth);
            if (fn == 0 && !(pci_conf_read32(bus, dev, 0, 0x0c) & 0x00800000u))
                break;              /* not multi-function */
        }
    }
}

void pci_init(void)
{
    if (scanned)
        return;
    scanned = true;
    if (!pci_conf_available()) {
        printk("pci: no configuration-space access in this kernel\n");
        return;
    }
    pci_scan_bus(0, 0);
    printk("pci: %u function(s)\n", nr_devices);
}

unsigned int pci_count(void) { return nr_devices; }
struct pci_dev *pci_get(unsigned int i) { return i < nr_devices ? &devices[i] : NULL; }

struct pci_dev *pci_find(uint16_t vendor, uint16_t device, unsigned int idx)
{
    for (unsigned int i = 0; i < nr_devices; i++)
        if (devices[i].vendor == vendor && (device == 0xffff || devices[i].device == device) && idx-- == 0)
            return &devices[i];
    return NULL;
}

uint8_t pci_find_cap(const struct pci_dev *d, uint8_t id, uint8_t after)
{
    if (!(pci_read16(d, 0x06) & 0x10))          /* status: capability list */
        return 0;
    uint8_t off = after ? pci_read8(d, after + 1) : pci_read8(d, 0x34);
    /* A list that loops is cut after 48 entries (the most 192 bytes can hold). */
    for (unsigned int n = 0; off >= 0x40 && n < 48; n++) {
        off &= 0xfc;
        if (pci_read8(d, off) == id)
            return off;
        off = pci_read8(d, off + 1);
    }
    return 0;
}

void pci_enable(const struct pci_dev *d)
{
    pci_write16(d, 0x04, pci_read16(d, 0x04) | 0x7);
}

void pci_unmap_bar(volatile void *va, uint64_t len)
{
    uintptr_t start = ALIGN_DOWN((uintptr_t)va, PAGE_SIZE);
    size_t npages = (ALIGN_UP((uintptr_t)va + len, PAGE_SIZE) - start) >> PAGE_SHIFT;
    vm_unmap_range(start, npages);
    vm_free((void *)start);
}

volatile void *pci_map_bar(const struct pci_dev *d, unsigned int b, uint64_t off, uint64_t len)
{
    if (b >= PCI_NR_BARS || !d->bar[b].size || d->bar[b].io || len == 0 || off > d->bar[b].size ||
        len > d->bar[b].size - off)
        return NULL;
    uint64_t start = ALIGN_DOWN(d->bar[b].base + off, PAGE_SIZE);
    uint64_t end = ALIGN_UP(d->bar[b].base + off + len, PAGE_SIZE);
    size_t npages = (end - start) >> PAGE_SHIFT;
    uint8_t *va = vm_alloc(npages, VM_RESERVE);
    if (!va)
        return NULL;
    for (size_t i = 0; i < npages; i++)
        if (vm_map((uintptr_t)va + i * PAGE_SIZE, (start >> PAGE_SHIFT) + i, PROT_WRITE | PROT_IO)) {
            vm_unmap_range((uintptr_t)va, i);
            vm_free(va);
            return NULL;
        }
    return va + ((d->bar[b].base + off) & (PAGE_SIZE - 1));
}
