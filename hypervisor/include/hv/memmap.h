/* Turning the firmware memory map into the RAM the frame allocator may hand out. */
#ifndef HV_MEMMAP_H
#define HV_MEMMAP_H

#include <hv/multiboot2.h>

struct range {
    uint64_t start, end;        /* [start, end) */
};

#define MEMMAP_MAX_RANGES 256

/*
 * Fills out[] with the sorted, page-aligned ranges that are available RAM in
 * map (and no other firmware region overlaps), lie below limit, and miss
 * every range in reserved[]. Returns how many, or -1 if out[] is too small.
 */
int memmap_usable(const struct mem_region *map, unsigned int nr_map, uint64_t limit,
                  const struct range *reserved, unsigned int nr_reserved,
                  struct range *out, unsigned int max_out);

/* True if [start, end) lies wholly inside available RAM in map. */
bool memmap_is_ram(const struct mem_region *map, unsigned int nr_map, uint64_t start, uint64_t end);

/* Sum of the available RAM in map, whole pages, overlaps counted once. */
uint64_t memmap_ram_total(const struct mem_region *map, unsigned int nr_map);

/*
 * The host's memory map as Xen's XENMEM_machine_memory_map reports it to
 * dom0: the firmware regions sorted by address (RAM not trimmed to pages),
 * with the parts of hidden[] (MMIO the hypervisor keeps for itself) that lie
 * in the gaps between them inserted as reserved. Fills out[] and
 * *nr_firmware (how many firmware regions it holds); returns the number of
 * entries, or -1 if out[] is too small. hidden[] must be sorted.
 */
int memmap_machine(const struct mem_region *map, unsigned int nr_map, const struct range *hidden,
                   unsigned int nr_hidden, struct mem_region *out, unsigned int max_out, unsigned int *nr_firmware);

#endif
