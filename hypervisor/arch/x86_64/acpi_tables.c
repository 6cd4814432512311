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
    for (unsigned int i = 0; i < 16; i++) {
        out->isa_gsi[i] = i;
        out->isa_flags[i] = 0;              /* conforming: ISA is edge, active high */
    }

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
                if (u32 & 1) {      /* enabled */
                    if (out->nr_lapics < ARRAY_SIZE(out->lapic_ids))
                        out->lapic_ids[out->nr_lapics] = e[3];
                    out->nr_lapics++;
                }
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
        case 2:                     /* interrupt source override: an ISA IRQ on another GSI */
            if (elen >= 10 && e[2] == 0 && e[3] < 16) {
                memcpy(&u32, e + 4, 4);
                out->isa_gsi[e[3]] = u32;
                uint16_t f;
                memcpy(&f, e + 8, 2);
                out->isa_flags[e[3]] = f;
            }
            break;
        case 9:                     /* processor local x2APIC (APIC ids >= 255) */
            if (elen >= 16) {
                memcpy(&u32, e + 8, 4);
                if (u32 & 1) {
                    uint32_t id;
                    memcpy(&id, e + 4, 4);
                    if (out->nr_lapics < ARRAY_SIZE(out->lapic_ids))
                        out->lapic_ids[out->nr_lapics] = id;
                    out->nr_lapics++;
                }
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
