/* Validating parser for the multiboot2 boot information; pure, host-tested. */
#include <hv/multiboot2.h>
#include <hv/printk.h>

struct mb2_tag {
    uint32_t type;
    uint32_t size;
};

static uint32_t rd32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static uint64_t rd64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

#define fail(bi, ...) (snprintf((bi)->error, sizeof((bi)->error), __VA_ARGS__), -1)

/* Copies a NUL-terminated string that must end inside [s, s + len). */
static bool copy_string(char *dst, size_t dstlen, const uint8_t *s, size_t len)
{
    size_t n = strnlen((const char *)s, len);
    if (n == len)
        return false;
    str_copy(dst, (const char *)s, dstlen);
    return true;
}

static int parse_mmap(struct boot_info *bi, const uint8_t *tag, uint32_t size, size_t off)
{
    if (size < 16)
        return fail(bi, "multiboot2: memory map tag at offset %#zx is too short (%u bytes)", off, size);
    uint32_t esize = rd32(tag + 8);
    if (esize < 24 || esize % 8)
        return fail(bi, "multiboot2: memory map entry size %u is invalid", esize);
    /* 64-bit offsets: a huge entry size must not wrap the sum back into range. */
    for (uint64_t p = 16; p + esize <= size; p += esize) {
        uint64_t base = rd64(tag + p), len = rd64(tag + p + 8);
        uint32_t type = rd32(tag + p + 16);
        if (len == 0)
            continue;
        if (base + len < base)
            return fail(bi, "multiboot2: memory map entry %#llx+%#llx wraps around",
                        (unsigned long long)base, (unsigned long long)len);
        if (bi->nr_mmap == BOOT_MAX_REGIONS)
            return fail(bi, "multiboot2: more than %u memory map entries", BOOT_MAX_REGIONS);
        bi->mmap[bi->nr_mmap++] = (struct mem_region){ base, base + len, type };
    }
    return 0;
}

int mb2_parse(const void *mbi, size_t avail, struct boot_info *bi)
{
    const uint8_t *base = mbi;
    bool seen_mmap = false, seen_end = false, seen_cmdline = false;

    memset(bi, 0, sizeof(*bi));
    if (!mbi)
        return fail(bi, "multiboot2: no boot information");
    if ((uintptr_t)mbi % 8)
        return fail(bi, "multiboot2: boot information is not 8-byte aligned");
    if (avail < 8)
        return fail(bi, "multiboot2: boot information truncated (%zu bytes)", avail);

    uint32_t total = rd32(base);
    if (total < 16)
        return fail(bi, "multiboot2: total_size %u is too small", total);
    if (total > avail)
        return fail(bi, "multiboot2: total_size %u exceeds the %zu bytes available", total, avail);
    bi->mbi_size = total;

    size_t off = 8;
    while (off + 8 <= total) {
        const uint8_t *tag = base + off;
        uint32_t type = rd32(tag), size = rd32(tag + 4);

        if (size < 8)
            return fail(bi, "multiboot2: tag %u at offset %#zx has size %u", type, off, size);
        if (size > total - off)
            return fail(bi, "multiboot2: tag %u at offset %#zx runs past the end (size %u, total %u)",
                        type, off, size, total);
        if (type == MB2_TAG_END) {
            seen_end = true;
            break;
        }

        switch (type) {
        case MB2_TAG_CMDLINE:
            if (seen_cmdline)
                break;
            if (!copy_string(bi->cmdline, sizeof(bi->cmdline), tag + 8, size - 8))
                return fail(bi, "multiboot2: command line is not NUL-terminated");
            seen_cmdline = true;
            break;
        case MB2_TAG_LOADER_NAME:
            if (!copy_string(bi->loader, sizeof(bi->loader), tag + 8, size - 8))
                return fail(bi, "multiboot2: boot loader name is not NUL-terminated");
            break;
        case MB2_TAG_MODULE: {
            if (size < 17)
                return fail(bi, "multiboot2: module tag at offset %#zx is too short", off);
            if (bi->nr_mods == BOOT_MAX_MODULES)
                return fail(bi, "multiboot2: more than %u modules", BOOT_MAX_MODULES);
            struct boot_module *m = &bi->mods[bi->nr_mods];
            m->start = rd32(tag + 8);
            m->end = rd32(tag + 12);
            if (m->end < m->start)
                return fail(bi, "multiboot2: module %u ends (%#llx) before it starts (%#llx)",
                            bi->nr_mods, (unsigned long long)m->end, (unsigned long long)m->start);
            if (!copy_string(m->cmdline, sizeof(m->cmdline), tag + 16, size - 16))
                return fail(bi, "multiboot2: module %u command line is not NUL-terminated", bi->nr_mods);
            bi->nr_mods++;
            break;
        }
        case MB2_TAG_MMAP:
            if (seen_mmap)
                break;
            if (parse_mmap(bi, tag, size, off))
                return -1;
            seen_mmap = true;
            break;
        case MB2_TAG_ACPI_OLD:
        case MB2_TAG_ACPI_NEW: {
            uint32_t len = size - 8, want = type == MB2_TAG_ACPI_OLD ? 20 : 36;
            if (len < want)
                return fail(bi, "multiboot2: ACPI RSDP tag is too short (%u bytes)", len);
            /* Prefer the ACPI 2.0 RSDP (it carries the XSDT) whatever the order. */
            if (bi->rsdp_len < want) {
                memcpy(bi->rsdp, tag + 8, want);
                bi->rsdp_len = want;
            }
            break;
        }
        default:
            bi->skipped_tags++;
            break;
        }
        off += (size + 7) & ~7u;
    }

    if (!seen_end)
        return fail(bi, "multiboot2: no end tag within total_size %u", total);
    if (!seen_mmap || bi->nr_mmap == 0)
        return fail(bi, "multiboot2: the boot loader gave no memory map");
    return 0;
}
