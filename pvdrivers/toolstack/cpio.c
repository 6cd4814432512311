/* Reading a cpio "newc" archive, every header field and length checked against the archive's size. */
#include <lib/string.h>
#include <toolstack/cpio.h>

#define HDR_LEN     110
#define S_IFMT      0170000u
#define S_IFREG     0100000u

static bool hex8(const uint8_t *p, uint32_t *out)
{
    uint32_t v = 0;
    for (int i = 0; i < 8; i++) {
        uint8_t c = p[i];
        uint32_t d = c >= '0' && c <= '9' ? (uint32_t)(c - '0') : c >= 'a' && c <= 'f' ? c - 'a' + 10u :
                     c >= 'A' && c <= 'F' ? c - 'A' + 10u : 16u;
        if (d == 16)
            return false;
        v = v << 4 | d;
    }
    *out = v;
    return true;
}

static size_t pad4(size_t n) { return (n + 3) & ~(size_t)3; }

bool cpio_next(const void *archive, size_t len, size_t *pos, struct cpio_file *f, bool *bad)
{
    const uint8_t *a = archive;
    *bad = false;
    for (;;) {
        size_t p = *pos;
        if (p >= len || len - p < HDR_LEN)
            return false;                   /* the end (an archive may stop without a trailer) */
        const uint8_t *h = a + p;
        uint32_t field[13];
        if (memcmp(h, "070701", 6) && memcmp(h, "070702", 6)) {
            *bad = true;
            return false;
        }
        for (int i = 0; i < 13; i++)
            if (!hex8(h + 6 + 8 * i, &field[i])) {
                *bad = true;
                return false;
            }
        uint32_t mode = field[1], filesize = field[6], namesize = field[11];
        size_t name_at = p + HDR_LEN;
        if (namesize == 0 || namesize > len - name_at || a[name_at + namesize - 1] != '\0') {
            *bad = true;
            return false;
        }
        size_t data_at = pad4(name_at + namesize);
        if (data_at > len || filesize > len - data_at) {
            *bad = true;
            return false;
        }
        const char *name = (const char *)a + name_at;
        *pos = pad4(data_at + filesize);
        if (!strcmp(name, "TRAILER!!!"))
            return false;
        if ((mode & S_IFMT) != S_IFREG)
            continue;                       /* directories and the like */
        if (name[0] == '.' && name[1] == '/')
            name += 2;
        if (strlen(name) >= sizeof(f->name))
            continue;                       /* too long to be asked for */
        str_copy(f->name, name, sizeof(f->name));
        f->data = a + data_at;
        f->size = filesize;
        return true;
    }
}

bool cpio_find(const void *archive, size_t len, const char *name, struct cpio_file *f)
{
    size_t pos = 0;
    bool bad;
    while (cpio_next(archive, len, &pos, f, &bad))
        if (!strcmp(f->name, name))
            return true;
    return false;
}
