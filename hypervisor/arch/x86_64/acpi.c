/* Finding the MADT from the loader's RSDP copy, through RSDT or XSDT. */
#include <hv/printk.h>
#include <asm/acpi.h>
#include <asm/mm.h>

struct madt_info madt = {
    /* PC defaults, used when there is no ACPI. */
    .lapic_addr = 0xfee00000, .ioapic_addr = 0xfec00000, .nr_lapics = 1, .nr_ioapics = 1, .has_8259 = true,
    .isa_gsi = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 },
};

/* ACPI tables sit in RAM or in reserved regions; reach either kind. */
static const uint8_t *acpi_map(uint64_t pa, size_t len)
{
    if (virt_to_phys_walk(DIRECTMAP_VIRT_START + pa) == pa &&
        virt_to_phys_walk(DIRECTMAP_VIRT_START + pa + len - 1) == pa + len - 1)
        return __va(pa);
    return ioremap(pa, len);
}

static const uint8_t *map_table(uint64_t pa, uint32_t *len_out)
{
    const uint8_t *h = acpi_map(pa, 36);
    uint32_t len;
    memcpy(&len, h + 4, 4);
    if (len < 36 || len > MiB(1))
        return NULL;
    const uint8_t *t = acpi_map(pa, len);
    if (acpi_checksum(t, len)) {
        printk(LOG_WARN "acpi: table %.4s at %#llx fails its checksum; ignored\n", (const char *)t,
               (unsigned long long)pa);
        return NULL;
    }
    *len_out = len;
    return t;
}

void acpi_init(const struct boot_info *bi)
{
    if (!bi->rsdp_len) {
        printk(LOG_WARN "acpi: no RSDP from the boot loader; assuming PC defaults\n");
        return;
    }
    const uint8_t *rsdp = bi->rsdp;
    if (memcmp(rsdp, "RSD PTR ", 8) || acpi_checksum(rsdp, 20)) {
        printk(LOG_WARN "acpi: RSDP is invalid; assuming PC defaults\n");
        return;
    }

    uint64_t root = 0;
    unsigned int esize = 4;
    uint32_t rsdt;
    memcpy(&rsdt, rsdp + 16, 4);
    root = rsdt;
    if (rsdp[15] >= 2 && bi->rsdp_len >= 36 && !acpi_checksum(rsdp, 36)) {
        uint64_t xsdt;
        memcpy(&xsdt, rsdp + 24, 8);
        if (xsdt) {
            root = xsdt;
            esize = 8;
        }
    }

    uint32_t rlen;
    const uint8_t *rt = map_table(root, &rlen);
    if (!rt) {
        printk(LOG_WARN "acpi: root table unusable; assuming PC defaults\n");
        return;
    }
    for (uint32_t off = 36; off + esize <= rlen; off += esize) {
        uint64_t pa = 0;
        memcpy(&pa, rt + off, esize);
        uint32_t len;
        const uint8_t *h = acpi_map(pa, 36);
        if (memcmp(h, "APIC", 4))
            continue;
        const uint8_t *t = map_table(pa, &len);
        struct madt_info m = madt;
        if (t && !acpi_parse_madt(t, len, &m)) {
            madt = m;
            printk("acpi: MADT: %u CPU(s), %u I/O APIC(s), local APIC at %#llx%s\n", m.nr_lapics,
                   m.nr_ioapics, (unsigned long long)m.lapic_addr, m.has_8259 ? ", 8259s present" : "");
        } else {
            printk(LOG_WARN "acpi: MADT is malformed; assuming PC defaults\n");
        }
        return;
    }
    printk(LOG_WARN "acpi: no MADT; assuming PC defaults\n");
}
