/* Firmware memory map arithmetic: usable RAM minus everything already taken; pure. */
#include <hv/memmap.h>

#define PAGE 4096ull

/* Rounding up saturates: a region ending at 2^64 - 1 must not wrap to 0. */
static uint64_t page_up(uint64_t x) { return x > ~0ull - (PAGE - 1) ? ~0ull & ~(PAGE - 1) : ROUNDUP(x, PAGE); }
static uint64_t page_up_end(uint64_t x) { return x > ~0ull - (PAGE - 1) ? ~0ull : ROUNDUP(x, PAGE); }

/* Removes [cut.start, cut.end) from every range in r[0..*n); -1 if r[] overflows. */
static int subtract(struct range *r, unsigned int *n, unsigned int max, struct range cut)
{
    unsigned int count = *n;
    for (unsigned int i = 0; i < count; i++) {
        if (cut.end <= r[i].start || cut.start >= r[i].end)
            continue;
        if (cut.start > r[i].start && cut.end < r[i].end) {
            /* The cut splits the range in two. */
            if (*n == max)
                return -1;
            r[(*n)++] = (struct range){ cut.end, r[i].end };
            r[i].end = cut.start;
        } else if (cut.start > r[i].start) {
            r[i].end = cut.start;
        } else if (cut.end < r[i].end) {
            r[i].start = cut.end;
        } else {
            r[i].start = r[i].end;      /* wholly removed; dropped below */
        }
    }
    return 0;
}

static void sort_ranges(struct range *r, unsigned int n)
{
    for (unsigned int i = 1; i < n; i++) {
        struct range x = r[i];
        unsigned int j = i;
        for (; j > 0 && r[j - 1].start > x.start; j--)
            r[j] = r[j - 1];
        r[j] = x;
    }
}

int memmap_usable(const struct mem_region *map, unsigned int nr_map, uint64_t limit,
                  const struct range *reserved, unsigned int nr_reserved,
                  struct range *out, unsigned int max_out)
{
    unsigned int n = 0;

    for (unsigned int i = 0; i < nr_map; i++) {
        if (map[i].type != MEM_AVAILABLE)
            continue;
        uint64_t s = page_up(map[i].start), e = ROUNDDOWN(MIN(map[i].end, limit), PAGE);
        if (s >= e)
            continue;
        if (n == max_out)
            return -1;
        out[n++] = (struct range){ s, e };
    }
    /* Overlapping available entries would hand a frame out twice: merge them. */
    sort_ranges(out, n);
    unsigned int m = 0;
    for (unsigned int i = 0; i < n; i++) {
        if (m && out[i].start <= out[m - 1].end)
            out[m - 1].end = MAX(out[m - 1].end, out[i].end);
        else
            out[m++] = out[i];
    }
    n = m;

    /* Any other firmware region overlapping RAM wins, as does everything reserved. */
    for (unsigned int i = 0; i < nr_map; i++) {
        if (map[i].type == MEM_AVAILABLE)
            continue;
        struct range cut = { ROUNDDOWN(map[i].start, PAGE), page_up_end(map[i].end) };
        if (subtract(out, &n, max_out, cut))
            return -1;
    }
    for (unsigned int i = 0; i < nr_reserved; i++) {
        struct range cut = { ROUNDDOWN(reserved[i].start, PAGE), page_up_end(reserved[i].end) };
        if (subtract(out, &n, max_out, cut))
            return -1;
    }

    m = 0;
    for (unsigned int i = 0; i < n; i++)
        if (out[i].start < out[i].end)
            out[m++] = out[i];
    sort_ranges(out, m);
    return (int)m;
}

bool memmap_is_ram(const struct mem_region *map, unsigned int nr_map, uint64_t start, uint64_t end)
{
    /* No other firmware region may overlap, as memmap_usable would cut it out. */
    for (unsigned int i = 0; i < nr_map; i++)
        if (map[i].type != MEM_AVAILABLE && map[i].start < end && start < map[i].end)
            return false;

    /* Walk forward through available regions covering start until end is covered. */
    bool progress = true;
    while (start < end && progress) {
        progress = false;
        for (unsigned int i = 0; i < nr_map; i++) {
            if (map[i].type == MEM_AVAILABLE && map[i].start <= start && start < map[i].end) {
                start = map[i].end;
                progress = true;
            }
        }
    }
    return start >= end;
}

uint64_t memmap_ram_total(const struct mem_region *map, unsigned int nr_map)
{
    /* Through memmap_usable, so overlapping entries are not counted twice. */
    struct range r[MEMMAP_MAX_RANGES];
    int n = memmap_usable(map, nr_map, ~0ull, NULL, 0, r, MEMMAP_MAX_RANGES);
    uint64_t total = 0;
    for (int i = 0; i < n; i++)
        total += r[i].end - r[i].start;
    return total;
}

static void sort_regions(struct mem_region *r, unsigned int n)
{
    for (unsigned int i = 1; i < n; i++) {
        struct mem_region x = r[i];
        unsigned int j = i;
        for (; j > 0 && r[j - 1].start > x.start; j--)
            r[j] = r[j - 1];
        r[j] = x;
    }
}

/* Appends hidden's parts inside [from, to), in order, as reserved; -1 if out[] is full. */
static int add_hidden(const struct range *hidden, unsigned int nr_hidden, uint64_t from, uint64_t to,
                      struct mem_region *out, unsigned int *n, unsigned int max_out)
{
    for (unsigned int i = 0; i < nr_hidden; i++) {
        uint64_t s = MAX(ROUNDDOWN(hidden[i].start, PAGE), from), e = MIN(page_up_end(hidden[i].end), to);
        if (s >= e)
            continue;
        if (*n == max_out)
            return -1;
        out[(*n)++] = (struct mem_region){ s, e, MEM_RESERVED };
    }
    return 0;
}

int memmap_machine(const struct mem_region *map, unsigned int nr_map, const struct range *hidden,
                   unsigned int nr_hidden, struct mem_region *out, unsigned int max_out, unsigned int *nr_firmware)
{
    /* The firmware's regions as it gave them (RAM not trimmed to pages, as Xen's), sorted. */
    struct mem_region fw[BOOT_MAX_REGIONS];
    unsigned int nf = 0;
    for (unsigned int i = 0; i < nr_map && nf < BOOT_MAX_REGIONS; i++)
        if (map[i].start < map[i].end)
            fw[nf++] = map[i];
    sort_regions(fw, nf);

    /* Hidden ranges show only in the gaps between firmware regions, before each and after the last. */
    unsigned int n = 0;
    uint64_t cursor = 0;
    for (unsigned int i = 0; i < nf; i++) {
        if (add_hidden(hidden, nr_hidden, cursor, fw[i].start, out, &n, max_out) || n == max_out)
            return -1;
        out[n++] = fw[i];
        cursor = MAX(cursor, page_up_end(fw[i].end));
    }
    if (add_hidden(hidden, nr_hidden, cursor, ~0ull, out, &n, max_out))
        return -1;
    *nr_firmware = nf;
    return (int)n;
}
