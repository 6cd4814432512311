/* Pure ACPI table parsing (MADT); host-tested. */
#include <hv/lib.h>
#include <asm/acpi.h>

#define ACPI_HEADER_LEN 36

uint8_t acpi_checksum(const void *p, size_t len)
{
    const uint8_t *b = p;
    uint8_t sum = 0;
    for (size_t i = 0; i < len; i++)
        sum += b[i];
    return sum;
}

int acpi_parse_madt(const uint8_t *t, size_t len, struct madt_info *out)
{
    uint32_t u32;

    if (len < ACPI_HEADER_LEN + 8)
        return -1;
    memcpy(&u32, t + ACPI_HEADER_LEN, 4);
    out->lapic_addr = u32;
    memcpy(&u32, t + ACPI_HEADER_LEN + 4, 4);
    out->has_8259 = u32 & 1;
    out->nr_lapics = out->nr_ioapics = 0;
    out->ioapic_addr = 0;
    out->ioapic_gsi_base = 0;

    for (size_t off = ACPI_HEADER_LEN + 8; off < len;) {
        if (len - off < 2)
            return -1;
        uint8_t type = t[off], elen = t[off + 1];
        if (elen < 2 || elen > len - off)
            return -1;
        const uint8_t *e = t + off;
        switch (type) {
        case 0:                     /* processor local APIC */
            if (elen >= 8) {
                memcpy(&u32, e + 4, 4);
                if (u32 & 1)        /* enabled */
                    out->nr_lapics++;
            }
            break;
        case 1:                     /* I/O APIC: we drive the first one */
            if (elen >= 12) {
                if (out->nr_ioapics++ == 0) {
                    memcpy(&u32, e + 4, 4);
                    out->ioapic_addr = u32;
                    memcpy(&u32, e + 8, 4);
                    out->ioapic_gsi_base = u32;
                }
            }
            break;
        case 9:                     /* processor local x2APIC (APIC ids >= 255) */
            if (elen >= 16) {
                memcpy(&u32, e + 8, 4);
                if (u32 & 1)
                    out->nr_lapics++;
            }
            break;
        case 5:                     /* 64-bit local APIC address override */
            if (elen >= 12)
                memcpy(&out->lapic_addr, e + 4, 8);
            break;
        default:
            break;
        }
        off += elen;
    }
    return 0;
}
