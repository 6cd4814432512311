/* GDT, TSS and interrupt stacks for the boot CPU. */
#include <hv/lib.h>
#include <asm/config.h>
#include <public/xen.h>
#include <asm/desc.h>

extern uint8_t boot_stack[], boot_stack_top[];

uint8_t ist_stacks[NR_IST][8192] __aligned(16);
static struct tss64 tss __aligned(16);

/* Whole pages, so guest descriptor pages can later be swapped in page by page. */
uint64_t gdt[GDT_ENTRIES] __aligned(4096) = {
    [HYPERVISOR_CS >> 3] = 0x00af9a000000ffffull,   /* 64-bit code, DPL 0 */
    [HYPERVISOR_DS >> 3] = 0x00cf92000000ffffull,   /* data, DPL 0 */
    [RING3_CS32 >> 3] = 0x00cffa000000ffffull,      /* 32-bit code, DPL 3 */
    [RING3_DS >> 3] = 0x00cff2000000ffffull,        /* data, DPL 3 */
    [RING3_CS64 >> 3] = 0x00affa000000ffffull,      /* 64-bit code, DPL 3 */
};
_Static_assert(sizeof(gdt) == 65536, "a GDT of 16 pages");
_Static_assert((HYPERVISOR_CS >> 3) >= FIRST_RESERVED_GDT_ENTRY, "hypervisor selectors in the reserved page");
_Static_assert(RING3_CS64 == FLAT_RING3_CS64 && RING3_CS32 == FLAT_RING3_CS32 && RING3_DS == FLAT_RING3_DS32,
               "the flat ring-3 selectors are the ABI's");
_Static_assert(RESERVED_VIRT_START == HYPERVISOR_VIRT_START && RESERVED_VIRT_END == HYPERVISOR_VIRT_END,
               "we reserve exactly the range the ABI promises guests we use");

struct __attribute__((packed)) desc_ptr {
    uint16_t limit;
    uint64_t base;
};

void desc_init(void)
{
    for (int i = 0; i < NR_IST; i++)
        tss.ist[i] = (uint64_t)&ist_stacks[i][sizeof(ist_stacks[i])];
    tss.rsp[0] = (uint64_t)boot_stack_top;
    tss.iomap_base = sizeof(tss);       /* no I/O bitmap: ring 3 gets no ports */

    /* A 64-bit TSS descriptor takes two slots. */
    uint64_t base = (uint64_t)&tss, limit = sizeof(tss) - 1;
    gdt[TSS_SEL >> 3] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) |
                        ((limit >> 16 & 0xf) << 48) | ((base >> 24 & 0xff) << 56);
    gdt[(TSS_SEL >> 3) + 1] = base >> 32;

    struct desc_ptr p = { sizeof(gdt) - 1, (uint64_t)gdt };
    __asm__ volatile("lgdt %0" :: "m"(p));
    /* Reload every segment register from the new table. */
    __asm__ volatile("pushq %0; leaq 1f(%%rip), %%rax; pushq %%rax; lretq; 1:"
                     :: "i"(HYPERVISOR_CS) : "rax", "memory");
    __asm__ volatile("mov %0, %%ds; mov %0, %%es; mov %0, %%ss" :: "r"((uint64_t)HYPERVISOR_DS));
    __asm__ volatile("ltr %w0" :: "r"(TSS_SEL));
}

int stack_bounds(uint64_t addr, uint64_t *lo, uint64_t *hi)
{
    if (addr >= (uint64_t)boot_stack && addr < (uint64_t)boot_stack_top) {
        *lo = (uint64_t)boot_stack;
        *hi = (uint64_t)boot_stack_top;
        return 0;
    }
    for (int i = 0; i < NR_IST; i++) {
        uint64_t b = (uint64_t)ist_stacks[i];
        if (addr >= b && addr < b + sizeof(ist_stacks[i])) {
            *lo = b;
            *hi = b + sizeof(ist_stacks[i]);
            return 0;
        }
    }
    return -1;
}
