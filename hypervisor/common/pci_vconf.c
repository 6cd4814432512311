/* An assigned PCI function's configuration space as its domain sees it (hv/pci_vconf.h). */
#include <hv/pci_vconf.h>

#define PAGE_MASK_LOW 0xfffull

int pci_bars_decode(const uint32_t orig[PCI_NR_BARS], const uint32_t mask[PCI_NR_BARS],
                    struct pci_bar out[PCI_NR_BARS])
{
    for (unsigned int i = 0; i < PCI_NR_BARS; i++)
        out[i] = (struct pci_bar){ 0 };
    for (unsigned int i = 0; i < PCI_NR_BARS; i++) {
        uint32_t lo = orig[i], m = mask[i];
        if (lo & 1) {                           /* I/O space: 16-bit ports */
            uint32_t sz = (~(m & ~3u) + 1) & 0xffff;
            if ((m & ~3u) == 0 || sz == 0 || (lo & ~3u) == 0)
                continue;
            out[i] = (struct pci_bar){ .base = lo & 0xfffc, .size = sz, .io = true };
            continue;
        }
        bool is64 = ((lo >> 1) & 3) == 2;
        if (is64 && i + 1 == PCI_NR_BARS)
            return -1;
        uint64_t base = lo & ~0xfu, sizemask = m & ~0xfu;
        if (is64) {
            base |= (uint64_t)orig[i + 1] << 32;
            sizemask |= (uint64_t)mask[i + 1] << 32;
        } else {
            sizemask |= 0xffffffff00000000ull;
        }
        if ((m & ~0xfu) == 0 && (!is64 || mask[i + 1] == 0)) {
            i += is64;
            continue;                           /* absent: the device has no such BAR */
        }
        uint64_t size = ~sizemask + 1;
        if (base && ((base | size) & PAGE_MASK_LOW))
            return -1;
        if (base)
            out[i] = (struct pci_bar){ .base = base, .size = size, .io = false };
        i += is64;
    }
    return 0;
}

bool pci_cf8_decode(uint32_t cf8, uint16_t *bdf, unsigned int *reg)
{
    if (!(cf8 & 0x80000000u) || (cf8 & 0x7f000000u))
        return false;
    *bdf = (uint16_t)(cf8 >> 8);
    *reg = cf8 & 0xfc;
    return true;
}

/* The BAR a dword register is, or -1. */
static int bar_index(unsigned int reg)
{
    return reg >= PCI_BAR0 && reg < PCI_BAR0 + 4 * PCI_NR_BARS ? (int)(reg - PCI_BAR0) / 4 : -1;
}

bool pci_vconf_read(const struct pci_vfunc *f, unsigned int reg, uint32_t *val)
{
    int b = bar_index(reg);
    if (b >= 0 && (f->sizing & (1u << b))) {
        *val = f->bar_mask[b];
        return true;
    }
    if (reg == PCI_ROM_ADDRESS) {
        *val = 0;                               /* no expansion ROM */
        return true;
    }
    return false;
}

bool pci_vconf_write(struct pci_vfunc *f, unsigned int reg, unsigned int offset, unsigned int size, uint32_t val)
{
    int b = bar_index(reg);
    if (b >= 0) {
        /* Sizing is a whole-dword write of all ones; anything else leaves the BAR where it is. */
        if (offset == 0 && size == 4 && val == 0xffffffffu)
            f->sizing |= (uint8_t)(1u << b);
        else
            f->sizing &= (uint8_t)~(1u << b);
        return false;
    }
    return reg != PCI_ROM_ADDRESS && reg != PCI_INTERRUPT_DWORD;
}
