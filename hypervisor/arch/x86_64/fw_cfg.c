/*
 * Zeroing frames (arch_clear_frames): by QEMU's fw_cfg DMA where the machine
 * has it, one port write for any length, else with rep stosq.
 *
 * Why: under QEMU's TCG every iteration of a string instruction is an
 * instruction of its own, so zeroing a 32 MiB domain with rep stosq is 4.2
 * million of them (about 70 % of its build). fw_cfg's DMA read copies an
 * item into guest memory and fills whatever lies past the item's end with
 * zeros (docs/specs/fw_cfg.rst: "After the data offset has passed the end of
 * this maximum data length, then any reads will return a data value of 0x00").
 * Selecting a key no item uses and reading `len` bytes is thus a memset done
 * by QEMU. The hypervisor keeps the fw_cfg ports to itself (pv/ioport.c), so
 * no domain can move the selector or the DMA address under us.
 */
#include <hv/arch.h>
#include <hv/page_alloc.h>
#include <hv/printk.h>
#include <hv/spinlock.h>
#include <asm/cpu.h>
#include <asm/fw_cfg.h>
#include <asm/page.h>

#define FW_CFG_PORT_SEL     0x510
#define FW_CFG_PORT_DATA    0x511
#define FW_CFG_PORT_DMA     0x514       /* high half; the low half at +4 starts the transfer */

#define FW_CFG_SIGNATURE    0x0000      /* "QEMU" */
#define FW_CFG_ID           0x0001      /* feature bits, little-endian */
#define FW_CFG_FILE_DIR     0x0019      /* big-endian count, then the files */
#define FW_CFG_FILE_FIRST   0x0020
#define FW_CFG_ID_DMA       (1u << 1)

#define DMA_CTL_ERROR       (1u << 0)
#define DMA_CTL_READ        (1u << 1)
#define DMA_CTL_SELECT      (1u << 3)

/* The highest key without the write and architecture bits: above every file, so no item, so all zeros. */
#define ZERO_KEY            0x3fff
/* The DMA length field is 32 bits: longer spans go in pieces of this size. */
#define DMA_CHUNK           (1ull << 30)

/* QEMU reads it at its physical address; fields big-endian. */
struct fw_cfg_dma {
    uint32_t control;
    uint32_t length;
    uint64_t address;
};

static struct fw_cfg_dma dma __attribute__((aligned(16)));
static DEFINE_SPINLOCK(fw_cfg_lock);        /* a leaf: the selector, offset and `dma` are one device's */
static bool dma_zeroes;                     /* set once by fw_cfg_init, read-only after */

static uint32_t read_data32(void)
{
    uint32_t v = 0;
    for (unsigned int i = 0; i < 4; i++)
        v |= (uint32_t)inb(FW_CFG_PORT_DATA) << (8 * i);
    return v;                               /* the item's bytes in order, as a little-endian word */
}

/* One DMA read of len zeros to physical address pa; false when the device reports an error. */
static bool dma_zero(uint64_t pa, uint32_t len)
{
    uint64_t flags = local_irq_save();
    spin_lock(&fw_cfg_lock);
    dma.control = __builtin_bswap32((ZERO_KEY << 16) | DMA_CTL_SELECT | DMA_CTL_READ);
    dma.length = __builtin_bswap32(len);
    dma.address = __builtin_bswap64(pa);
    uint64_t desc = __pa(&dma);
    __asm__ volatile("" ::: "memory");      /* the descriptor is in memory before QEMU reads it */
    outl(FW_CFG_PORT_DMA, __builtin_bswap32((uint32_t)(desc >> 32)));
    outl(FW_CFG_PORT_DMA + 4, __builtin_bswap32((uint32_t)desc));
    __asm__ volatile("" ::: "memory");
    bool ok = dma.control == 0;             /* synchronous in QEMU: done, and no error bit */
    spin_unlock(&fw_cfg_lock);
    local_irq_restore(flags);
    return ok;
}

void arch_clear_frames(uint64_t pfn, uint64_t count)
{
    uint64_t pa = pfn << PAGE_SHIFT, len = count << PAGE_SHIFT;
    while (dma_zeroes && len) {
        uint64_t n = MIN(len, DMA_CHUNK);
        if (!dma_zero(pa, (uint32_t)n))
            break;                          /* the rest the slow way */
        pa += n;
        len -= n;
    }
    if (len)
        clear_frames_stosq(pa >> PAGE_SHIFT, len >> PAGE_SHIFT);
}

void clear_frames_stosq(uint64_t pfn, uint64_t count)
{
    memset(__va(pfn << PAGE_SHIFT), 0, count << PAGE_SHIFT);    /* rep stosq (lib/string.c) */
}

bool fw_cfg_clears_frames(void)
{
    return dma_zeroes;
}

void fw_cfg_init(void)
{
    outw(FW_CFG_PORT_SEL, FW_CFG_SIGNATURE);
    if (read_data32() != 0x554d4551u)       /* "QEMU" */
        goto slow;
    outw(FW_CFG_PORT_SEL, FW_CFG_ID);
    if (!(read_data32() & FW_CFG_ID_DMA))
        goto slow;
    outw(FW_CFG_PORT_SEL, FW_CFG_FILE_DIR);
    uint32_t files = __builtin_bswap32(read_data32());
    if (files >= ZERO_KEY - FW_CFG_FILE_FIRST)
        goto slow;                          /* ZERO_KEY could be a file */

    /* Trust it only once it has zeroed a frame of ours that was not zero. */
    pfn_t probe = alloc_frame();
    if (probe == INVALID_PFN)
        goto slow;
    uint64_t *p = __va(probe << PAGE_SHIFT);
    memset(p, 0xa5, PAGE_SIZE);
    bool zeroed = dma_zero(probe << PAGE_SHIFT, PAGE_SIZE);
    for (unsigned int i = 0; zeroed && i < PAGE_SIZE / sizeof(*p); i++)
        zeroed = p[i] == 0;
    free_frame(probe);
    if (!zeroed)
        goto slow;
    dma_zeroes = true;
    printk("memory: frames given to domains are zeroed by QEMU's fw_cfg DMA\n");
    return;
slow:
    printk("memory: frames given to domains are zeroed with rep stosq (no fw_cfg DMA)\n");
}
