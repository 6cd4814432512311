/* ACPI: just enough to find the interrupt controllers (MADT). */
#ifndef ASM_ACPI_H
#define ASM_ACPI_H

#include <hv/multiboot2.h>
#include <asm/apic.h>

/* Fills madt from the RSDP the loader handed over; defaults when absent or broken. */
void acpi_init(const struct boot_info *bi);

/*
 * Parses a MADT (whole table, header included) into out; pure. Returns 0,
 * or -1 when the table is too short or an entry runs past its end.
 */
int acpi_parse_madt(const uint8_t *table, size_t len, struct madt_info *out);

/* Sum of bytes modulo 256: zero for a valid ACPI structure. */
uint8_t acpi_checksum(const void *p, size_t len);

#endif
