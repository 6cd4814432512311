/* ELF64 PV kernel validation and Xen ELF notes; pure, shared, host-tested. */
#include <lib/elf.h>
#include <lib/format.h>
#include <lib/string.h>

#define EHDR_SIZE       64
#define PHDR_SIZE       56
#define PT_LOAD         1
#define PT_NOTE         4
#define ET_EXEC         2
#define EM_X86_64       62

/* Xen ELF note types (public/elfnote.h); kept local so lib/ needs no ABI headers. */
enum {
    N_ENTRY = 1, N_HYPERCALL_PAGE = 2, N_VIRT_BASE = 3, N_PADDR_OFFSET = 4, N_XEN_VERSION = 5,
    N_GUEST_OS = 6, N_GUEST_VERSION = 7, N_LOADER = 8, N_PAE_MODE = 9, N_FEATURES = 10,
    N_INIT_P2M = 15, N_MOD_START_PFN = 16, N_SUPPORTED_FEATURES = 17,
};

#define HOLE_START  0xffff800000000000ull   /* the hypervisor's reserved range */
#define HOLE_END    0xffff880000000000ull

static uint16_t rd16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

#define refuse(...) (snprintf(err, errlen, __VA_ARGS__), -1)

static bool canonical(uint64_t va) { return va < 0x0000800000000000ull || va >= 0xffff800000000000ull; }

/* XENFEAT names a FEATURES note may use, by bit number. */
static const char *const feature_names[] = {
    [0] = "writable_page_tables", [1] = "writable_descriptor_tables",
    [2] = "auto_translated_physmap", [3] = "supervisor_mode_kernel",
    [4] = "pae_pgdir_above_4gb", [8] = "hvm_callback_vector", [11] = "dom0",
};

static int parse_features(struct xen_notes *x, const char *s, char *err, size_t errlen)
{
    while (*s) {
        const char *end = strchr(s, '|');
        size_t len = end ? (size_t)(end - s) : strlen(s);
        bool required = len && s[0] == '!';
        const char *name = s + required;
        size_t nlen = len - required;
        int bit = -1;
        for (unsigned int i = 0; i < sizeof(feature_names) / sizeof(feature_names[0]); i++)
            if (feature_names[i] && strlen(feature_names[i]) == nlen && !strncmp(feature_names[i], name, nlen))
                bit = (int)i;
        if (bit >= 0) {
            x->supported_features |= 1u << bit;
            if (required)
                x->required_features |= 1u << bit;
        } else if (required) {
            return refuse("ELF: FEATURES requires unknown feature '%.*s'", (int)nlen, name);
        }
        s += len + (end ? 1 : 0);
    }
    return 0;
}

static int note_string(char *dst, size_t dstlen, const uint8_t *desc, uint32_t descsz,
                       const char *what, char *err, size_t errlen)
{
    size_t n = strnlen((const char *)desc, descsz);
    if (n == descsz)
        return refuse("ELF: %s note is not NUL-terminated", what);
    if (n >= dstlen)
        return refuse("ELF: %s note is longer than %zu bytes", what, dstlen - 1);
    memcpy(dst, desc, n + 1);
    return 0;
}

static int note_number(uint64_t *dst, bool *has, const uint8_t *desc, uint32_t descsz,
                       const char *what, char *err, size_t errlen)
{
    switch (descsz) {
    case 1: *dst = desc[0]; break;
    case 2: *dst = rd16(desc); break;
    case 4: *dst = rd32(desc); break;
    case 8: *dst = rd64(desc); break;
    default: return refuse("ELF: %s note has %u bytes; numbers have 1, 2, 4 or 8", what, descsz);
    }
    if (has)
        *has = true;
    return 0;
}

static int parse_note(struct xen_notes *x, uint32_t type, const uint8_t *desc, uint32_t descsz,
                      char *err, size_t errlen)
{
    char features[256];
    uint64_t v;

    switch (type) {
    case N_ENTRY: return note_number(&x->entry, &x->has_entry, desc, descsz, "ENTRY", err, errlen);
    case N_HYPERCALL_PAGE:
        return note_number(&x->hypercall_page, &x->has_hypercall_page, desc, descsz, "HYPERCALL_PAGE", err, errlen);
    case N_VIRT_BASE: return note_number(&x->virt_base, &x->has_virt_base, desc, descsz, "VIRT_BASE", err, errlen);
    case N_PADDR_OFFSET:
        return note_number(&x->paddr_offset, &x->has_paddr_offset, desc, descsz, "PADDR_OFFSET", err, errlen);
    case N_INIT_P2M: return note_number(&x->init_p2m, &x->has_init_p2m, desc, descsz, "INIT_P2M", err, errlen);
    case N_MOD_START_PFN:
        if (note_number(&v, NULL, desc, descsz, "MOD_START_PFN", err, errlen))
            return -1;
        x->mod_start_pfn = v != 0;
        return 0;
    case N_SUPPORTED_FEATURES:
        if (note_number(&v, NULL, desc, descsz, "SUPPORTED_FEATURES", err, errlen))
            return -1;
        x->supported_features |= (uint32_t)v;
        x->has_supported_features = true;
        return 0;
    case N_XEN_VERSION: return note_string(x->xen_version, sizeof(x->xen_version), desc, descsz, "XEN_VERSION", err, errlen);
    case N_GUEST_OS: return note_string(x->guest_os, sizeof(x->guest_os), desc, descsz, "GUEST_OS", err, errlen);
    case N_GUEST_VERSION:
        return note_string(x->guest_version, sizeof(x->guest_version), desc, descsz, "GUEST_VERSION", err, errlen);
    case N_LOADER: return note_string(x->loader, sizeof(x->loader), desc, descsz, "LOADER", err, errlen);
    case N_PAE_MODE: return note_string(x->pae_mode, sizeof(x->pae_mode), desc, descsz, "PAE_MODE", err, errlen);
    case N_FEATURES: {
        /*
         * Read by the note's size, as Xen's loader does: Linux writes this one
         * without a terminating NUL (ELFNOTE(..., .ascii "!writable_page_tables")).
         */
        size_t n = strnlen((const char *)desc, descsz);
        if (n >= sizeof(features))
            return refuse("ELF: FEATURES note is longer than %zu bytes", sizeof(features) - 1);
        memcpy(features, desc, n);
        features[n] = '\0';
        return parse_features(x, features, err, errlen);
    }
    default:
        return 0;       /* notes we do not use are allowed */
    }
}

/* Walks the notes in [off, off + len) of the file; only those named "Xen" count. */
static int parse_notes(struct elf_image *img, uint64_t off, uint64_t len, char *err, size_t errlen)
{
    const uint8_t *p = img->data + off, *end = p + len;

    while ((uint64_t)(end - p) >= 12) {
        uint32_t namesz = rd32(p), descsz = rd32(p + 4), type = rd32(p + 8);
        uint64_t name_pad = ((uint64_t)namesz + 3) & ~3ull, desc_pad = ((uint64_t)descsz + 3) & ~3ull;
        if (name_pad + desc_pad > (uint64_t)(end - p) - 12)
            return refuse("ELF: note at file offset %#llx runs past its segment",
                          (unsigned long long)(p - img->data));
        const uint8_t *name = p + 12, *desc = name + name_pad;
        if (namesz == 4 && !memcmp(name, "Xen", 4)) {
            if (++img->xen.nr_notes > ELF_MAX_NOTES)
                return refuse("ELF: more than %u Xen notes", ELF_MAX_NOTES);
            if (parse_note(&img->xen, type, desc, descsz, err, errlen))
                return -1;
        }
        p = desc + desc_pad;
    }
    if (p != end && (uint64_t)(end - p) >= 4)
        return refuse("ELF: %u stray bytes after the last note", (unsigned int)(end - p));
    return 0;
}

int elf_parse(struct elf_image *img, const void *data, size_t size, char *err, size_t errlen)
{
    const uint8_t *d = data;

    memset(img, 0, sizeof(*img));
    img->data = d;
    img->size = size;

    if (!d || size < EHDR_SIZE)
        return refuse("ELF: image of %zu bytes is too small for an ELF header", size);
    if (memcmp(d, "\177ELF", 4))
        return refuse("ELF: bad magic");
    if (d[4] != 2 || d[5] != 1 || d[6] != 1)
        return refuse("ELF: not a little-endian ELF64 version-1 image");
    if (rd16(d + 16) != ET_EXEC || rd16(d + 18) != EM_X86_64)
        return refuse("ELF: not an x86-64 executable (type %u, machine %u)", rd16(d + 16), rd16(d + 18));

    uint64_t e_entry = rd64(d + 24), phoff = rd64(d + 32);
    uint16_t phentsize = rd16(d + 54), phnum = rd16(d + 56);
    if (phnum == 0)
        return refuse("ELF: no program headers");
    if (phentsize != PHDR_SIZE)
        return refuse("ELF: program header size %u, expected %u", phentsize, PHDR_SIZE);
    if (phoff > size || (uint64_t)phnum * PHDR_SIZE > size - phoff)
        return refuse("ELF: program headers lie outside the %zu-byte file", size);

    uint64_t pstart = ~0ull, pend = 0;
    uint64_t paddr[ELF_MAX_SEGMENTS];
    for (unsigned int i = 0; i < phnum; i++) {
        const uint8_t *ph = d + phoff + (uint64_t)i * PHDR_SIZE;
        uint32_t type = rd32(ph), flags = rd32(ph + 4);
        uint64_t off = rd64(ph + 8), pa = rd64(ph + 24), filesz = rd64(ph + 32), memsz = rd64(ph + 40);

        if (type != PT_LOAD && type != PT_NOTE)
            continue;
        if (off > size || filesz > size - off)
            return refuse("ELF: segment %u (file %#llx+%#llx) lies outside the %zu-byte file", i,
                          (unsigned long long)off, (unsigned long long)filesz, size);
        if (type == PT_NOTE) {
            if (off != 0 && parse_notes(img, off, filesz, err, errlen))
                return -1;
            continue;
        }
        if (filesz > memsz)
            return refuse("ELF: segment %u has more file bytes (%#llx) than memory (%#llx)", i,
                          (unsigned long long)filesz, (unsigned long long)memsz);
        if (memsz == 0)
            continue;
        if (pa + memsz < pa)
            return refuse("ELF: segment %u wraps around the address space", i);
        if (img->nr_segs == ELF_MAX_SEGMENTS)
            return refuse("ELF: more than %u load segments", ELF_MAX_SEGMENTS);
        for (unsigned int j = 0; j < img->nr_segs; j++)
            if (pa < paddr[j] + img->segs[j].memsz && paddr[j] < pa + memsz)
                return refuse("ELF: segment %u (%#llx+%#llx) overlaps an earlier one", i,
                              (unsigned long long)pa, (unsigned long long)memsz);
        paddr[img->nr_segs] = pa;
        img->segs[img->nr_segs++] = (struct elf_segment){ 0, off, filesz, memsz, flags };
        if (pa < pstart)
            pstart = pa;
        if (pa + memsz > pend)
            pend = pa + memsz;
    }
    if (!img->nr_segs)
        return refuse("ELF: nothing to load");

    struct xen_notes *x = &img->xen;
    if (!x->nr_notes)
        return refuse("ELF: no Xen notes: not a PV kernel");
    if (strncmp(x->xen_version, "xen-3.0", 7))
        return refuse("ELF: XEN_VERSION note missing or not \"xen-3.0\" (\"%s\")", x->xen_version);
    if (strncmp(x->loader, "generic", 7) && strncmp(x->guest_os, "linux", 5))
        return refuse("ELF: LOADER must be \"generic\" (or GUEST_OS \"linux\")");
    if (x->has_paddr_offset && !x->has_virt_base)
        return refuse("ELF: PADDR_OFFSET given without VIRT_BASE");

    /* Guest VA = p_paddr + (VIRT_BASE - PADDR_OFFSET), as Xen's libelf has it. */
    uint64_t delta = x->virt_base - x->paddr_offset;
    img->virt_kstart = pstart + delta;
    img->virt_kend = pend + delta;
    for (unsigned int i = 0; i < img->nr_segs; i++)
        img->segs[i].va = paddr[i] + delta;
    img->virt_entry = x->has_entry ? x->entry : e_entry;

    if (img->virt_kend < img->virt_kstart || !canonical(img->virt_kstart) || !canonical(img->virt_kend - 1) ||
        (img->virt_kstart < 0x0000800000000000ull) != (img->virt_kend - 1 < 0x0000800000000000ull))
        return refuse("ELF: kernel range %#llx-%#llx is not canonical", (unsigned long long)img->virt_kstart,
                      (unsigned long long)img->virt_kend);
    if (img->virt_kstart < HOLE_END && HOLE_START < img->virt_kend)
        return refuse("ELF: kernel range %#llx-%#llx overlaps the hypervisor's reserved range",
                      (unsigned long long)img->virt_kstart, (unsigned long long)img->virt_kend);
    if (x->virt_base > img->virt_kstart)
        return refuse("ELF: VIRT_BASE %#llx lies above the kernel start %#llx",
                      (unsigned long long)x->virt_base, (unsigned long long)img->virt_kstart);
    if (img->virt_entry < img->virt_kstart || img->virt_entry >= img->virt_kend)
        return refuse("ELF: entry point %#llx lies outside the kernel %#llx-%#llx",
                      (unsigned long long)img->virt_entry, (unsigned long long)img->virt_kstart,
                      (unsigned long long)img->virt_kend);
    if (x->has_hypercall_page &&
        (x->hypercall_page & 0xfff || x->hypercall_page < img->virt_kstart ||
         x->hypercall_page >= img->virt_kend || img->virt_kend - x->hypercall_page < 4096))
        return refuse("ELF: hypercall page %#llx is not a whole page inside the kernel",
                      (unsigned long long)x->hypercall_page);
    if (x->has_init_p2m && x->init_p2m >= img->virt_kstart && x->init_p2m < img->virt_kend)
        return refuse("ELF: INIT_P2M %#llx lies inside the kernel", (unsigned long long)x->init_p2m);
    return 0;
}
