/* Bringing up memory management from the boot information. */
#ifndef HV_MEMORY_H
#define HV_MEMORY_H

#include <hv/multiboot2.h>

#define MIN_USABLE_MEMORY   MiB(16)

/*
 * Checks that modules lie in RAM, keeps the image, the boot information and
 * the modules out of the allocator, builds the frame table and the buddy
 * allocator, and switches to the final page tables. Panics naming the
 * problem when memory is unusable or too small.
 */
void memory_init(const struct boot_info *bi, uint64_t mbi_pa);

/* True if machine frame mfn is RAM (available or ACPI) in the firmware map. */
bool mfn_is_ram(uint64_t mfn);

/* At most this many ranges of hypervisor MMIO show in the machine map. */
#define MAX_HYPERVISOR_MMIO 4
/* Entries of the host memory map dom0 sees (memmap_machine over the firmware's map). */
#define MACHINE_MAP_MAX     (BOOT_MAX_REGIONS + MAX_HYPERVISOR_MMIO)

/* The host memory map for XENMEM_machine_memory_map: see memmap_machine. */
int memory_machine_map(struct mem_region *out, unsigned int max, unsigned int *nr_firmware);

#endif
