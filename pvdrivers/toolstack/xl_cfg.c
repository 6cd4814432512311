/*
 * Parsing the xl.cfg subset: name, type, kernel, ramdisk, memory, maxmem, vcpus, cmdline/extra, weight, cap, on_*,
 * and the vif, disk and pci lists.
 */
#include <lib/format.h>
#include <lib/pci_bdf.h>
#include <lib/string.h>
#include <toolstack/xl_cfg.h>

#define fail(...) (snprintf(err, errlen, __VA_ARGS__), -1)

void xl_cfg_defaults(struct xl_cfg *c)
{
    memset(c, 0, sizeof(*c));
    c->memory_mib = 32;
    c->vcpus = 1;
    c->weight = 256;
    c->on_poweroff = XL_ACTION_DESTROY;
    c->on_reboot = XL_ACTION_DESTROY;
    c->on_crash = XL_ACTION_PRESERVE;
    c->on_watchdog = XL_ACTION_DESTROY;
}

static bool is_space(char ch) { return ch == ' ' || ch == '\t' || ch == '\r'; }

/* A decimal number within [lo, hi]. */
static bool number(const char *v, uint64_t lo, uint64_t hi, uint64_t *out)
{
    uint64_t n = 0;
    if (!*v)
        return false;
    for (; *v; v++) {
        if (*v < '0' || *v > '9')
            return false;
        n = n * 10 + (uint64_t)(*v - '0');
        if (n > hi)                         /* hi is far below 2^64 / 10: n never wraps */
            return false;
    }
    if (n < lo)
        return false;
    *out = n;
    return true;
}

static bool action(const char *v, enum xl_action *out)
{
    if (!strcmp(v, "destroy"))
        *out = XL_ACTION_DESTROY;
    else if (!strcmp(v, "preserve"))
        *out = XL_ACTION_PRESERVE;
    else if (!strcmp(v, "restart"))
        *out = XL_ACTION_RESTART;
    else
        return false;
    return true;
}

static bool name_ok(const char *v)
{
    if (!*v)
        return false;
    for (; *v; v++)
        if (!((*v >= 'a' && *v <= 'z') || (*v >= 'A' && *v <= 'Z') || (*v >= '0' && *v <= '9') || *v == '-' ||
              *v == '_' || *v == '.'))
            return false;
    return true;
}

/* The next comma-separated token of *s, spaces around it trimmed, into tok; false at the end. */
static bool token(const char **s, char *tok, size_t size, bool *too_long)
{
    const char *p = *s;
    if (!*p)
        return false;
    while (is_space(*p))
        p++;
    size_t n = 0;
    while (p[n] && p[n] != ',')
        n++;
    const char *next = p[n] ? p + n + 1 : p + n;
    while (n && is_space(p[n - 1]))
        n--;
    *too_long = n >= size;
    str_copy(tok, p, n + 1 < size ? n + 1 : size);
    *s = next;
    return true;
}

static int hex_digit(char ch)
{
    return ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 :
           ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
}

/* xx:xx:xx:xx:xx:xx, unicast and not all zero (a bridge could not learn it). */
static const char *mac_parse(const char *v, uint8_t mac[6])
{
    for (int i = 0; i < 6; i++, v += 3) {
        int hi = hex_digit(v[0]), lo = hi < 0 ? -1 : hex_digit(v[1]);
        if (lo < 0 || v[2] != (i == 5 ? '\0' : ':'))
            return "is not xx:xx:xx:xx:xx:xx";
        mac[i] = (uint8_t)(hi << 4 | lo);
    }
    if (mac[0] & 1)
        return "is a multicast address";
    if (!(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]))
        return "is all zero";
    return NULL;
}

/* A back end's domain: a name (name= rules) or an id. */
static bool backend_ok(const char *v, char *out, size_t size)
{
    if (!name_ok(v) || strlen(v) >= size)
        return false;
    str_copy(out, v, size);
    return true;
}

int xl_vif_parse(struct xl_vif *v, const char *spec, char *err, size_t errlen)
{
    char tok[64];
    bool too_long, mac = false, bridge = false, backend = false;
    memset(v, 0, sizeof(*v));
    while (token(&spec, tok, sizeof(tok), &too_long)) {
        if (too_long)
            return fail("'%s...' is too long", tok);
        if (!tok[0])
            continue;                       /* xl takes '' (every default) and stray commas */
        char *val = strchr(tok, '=');
        if (!val)
            return fail("'%s' is not key=value", tok);
        *val++ = '\0';
        bool *seen = !strcmp(tok, "mac") ? &mac : !strcmp(tok, "bridge") ? &bridge :
                     !strcmp(tok, "backend") ? &backend : NULL;
        if (seen && *seen)
            return fail("%s given twice", tok);
        if (seen)
            *seen = true;
        const char *why;
        if (!strcmp(tok, "mac")) {
            if ((why = mac_parse(val, v->mac)))
                return fail("mac '%s' %s", val, why);
            v->mac_set = true;
        } else if (!strcmp(tok, "bridge")) {
            if (strcmp(val, XL_BRIDGE))
                return fail("no bridge '%s': dom0 has one, " XL_BRIDGE, val);
        } else if (!strcmp(tok, "backend")) {
            if (!backend_ok(val, v->backend, sizeof(v->backend)))
                return fail("backend '%s' is not a domain's name or id", val);
        } else if (!strcmp(tok, "type")) {
            if (strcmp(val, "vif"))
                return fail("type '%s': only vif (PV) devices", val);
        } else {
            return fail("'%s' is not supported (mac, bridge, backend, type)", tok);
        }
    }
    return 0;
}

/* extent:<start>+<count>, sectors of the back end's store; count > 0, no wrap. */
static bool extent_parse(const char *v, uint64_t *start, uint64_t *count)
{
    if (strncmp(v, "extent:", 7))
        return false;
    v += 7;
    const char *plus = strchr(v, '+');
    char a[24], b[24];
    if (!plus || (size_t)(plus - v) >= sizeof(a) || strlen(plus + 1) >= sizeof(b))
        return false;
    memcpy(a, v, (size_t)(plus - v));
    a[plus - v] = '\0';
    str_copy(b, plus + 1, sizeof(b));
    return number(a, 0, UINT64_C(1) << 48, start) && number(b, 1, UINT64_C(1) << 48, count);
}

/* xvda .. xvdp: xenstore's virtual-device number as xl computes it (major 202, 16 minors a disk). */
static bool vdev_parse(const char *v, uint32_t *num)
{
    if (strncmp(v, "xvd", 3) || v[3] < 'a' || v[3] > 'p' || v[4])
        return false;
    *num = 202u << 8 | (uint32_t)(v[3] - 'a') << 4;
    return true;
}

enum { DISK_TARGET, DISK_FORMAT, DISK_VDEV, DISK_ACCESS, DISK_POSITIONAL };

int xl_disk_parse(struct xl_disk *d, const char *spec, char *err, size_t errlen)
{
    static const char *const positional[DISK_POSITIONAL] = { "target", "format", "vdev", "access" };
    char tok[64], given[DISK_POSITIONAL][64] = { { 0 } };
    bool seen[DISK_POSITIONAL] = { false }, too_long, backend = false;
    unsigned int next = 0;                  /* the next positional parameter not yet given */
    memset(d, 0, sizeof(*d));
    while (*spec) {
        /* target= takes the rest of the spec, commas and all (xl: it must come last). */
        const char *at = spec;
        while (is_space(*at))
            at++;
        if (!strncmp(at, "target=", 7)) {
            if (seen[DISK_TARGET])
                return fail("target given twice");
            size_t n = strlen(at + 7);
            while (n && is_space(at[7 + n - 1]))
                n--;
            if (n >= sizeof(given[0]))
                return fail("target is too long");
            memcpy(given[DISK_TARGET], at + 7, n);
            given[DISK_TARGET][n] = '\0';
            seen[DISK_TARGET] = true;
            break;
        }
        token(&spec, tok, sizeof(tok), &too_long);
        if (too_long)
            return fail("'%s...' is too long", tok);
        char *val = strchr(tok, '=');
        int slot = -1;
        if (val) {
            *val++ = '\0';
            for (int i = 0; i < DISK_POSITIONAL; i++)
                if (!strcmp(tok, positional[i]))
                    slot = i;
        } else if (!strcmp(tok, "cdrom") || !strcmp(tok, "discard") || !strcmp(tok, "no-discard") ||
                   !strcmp(tok, "direct-io-safe")) {
            return fail("'%s' is not supported: blkback serves read-write disks", tok);
        } else {
            while (next < DISK_POSITIONAL && seen[next])
                next++;
            if (next == DISK_POSITIONAL)
                return fail("'%s': more than target, format, vdev and access", tok);
            slot = (int)next;
            val = tok;
        }
        if (slot >= 0) {
            if (seen[slot])
                return fail("%s given twice", positional[slot]);
            seen[slot] = true;
            str_copy(given[slot], val, sizeof(given[slot]));
        } else if (!strcmp(tok, "backend")) {
            if (backend)
                return fail("backend given twice");
            backend = true;
            if (!backend_ok(val, d->backend, sizeof(d->backend)))
                return fail("backend '%s' is not a domain's name or id", val);
        } else if (!strcmp(tok, "devtype")) {
            if (strcmp(val, "disk"))
                return fail("devtype '%s': only disk", val);
        } else if (!strcmp(tok, "backendtype")) {
            if (strcmp(val, "phy"))
                return fail("backendtype '%s': only phy (dom0's blkback)", val);
        } else {
            return fail("'%s' is not supported (target, format, vdev, access, devtype, backendtype, backend)", tok);
        }
    }
    if (!given[DISK_TARGET][0])
        return fail("no target (extent:<start>+<count>)");
    if (!extent_parse(given[DISK_TARGET], &d->start, &d->count))
        return fail("target '%s' is not extent:<start>+<count> (sectors of the back end's store, count from 1)",
                    given[DISK_TARGET]);
    if (given[DISK_FORMAT][0] && strcmp(given[DISK_FORMAT], "raw"))
        return fail("format '%s': only raw", given[DISK_FORMAT]);
    if (!given[DISK_VDEV][0])
        return fail("no vdev");
    if (!vdev_parse(given[DISK_VDEV], &d->vdev_number))
        return fail("vdev '%s' is not xvda to xvdp", given[DISK_VDEV]);
    str_copy(d->vdev, given[DISK_VDEV], sizeof(d->vdev));
    const char *a = given[DISK_ACCESS];
    if (!strcmp(a, "r") || !strcmp(a, "ro"))
        return fail("access '%s': blkback serves read-write disks only", a);
    if (a[0] && strcmp(a, "w") && strcmp(a, "rw"))
        return fail("access '%s' is not rw", a);
    return 0;
}

int xl_spec_join(char *out, size_t size, const char *const *words, unsigned int n)
{
    size_t len = 0;
    if (!size)
        return -1;
    out[0] = '\0';
    for (unsigned int i = 0; i < n; i++) {
        bool word_start = true;
        for (const char *w = words[i]; *w; w++) {
            if (*w == '\'' || *w == '"')
                continue;
            bool comma = len && word_start && out[len - 1] != ',' && *w != ',';
            word_start = false;
            if (len + comma + 1 >= size)    /* the comma, the byte and the NUL */
                return -1;
            if (comma)
                out[len++] = ',';
            out[len++] = *w;
            out[len] = '\0';
        }
    }
    return 0;
}

/*
 * A list on one line: [ '<spec>', "<spec>", ... ] with an optional trailing
 * comma; each spec parsed by one, the count into *nr (at most max).
 */
static int spec_list(const char *key, const char *p, unsigned int max, unsigned int *nr,
                     int (*one)(void *dev, unsigned int i, const char *spec, char *err, size_t errlen), void *devs,
                     char *err, size_t errlen)
{
    char spec[256], why[160];
    unsigned int n = 0;
    p++;                                    /* the '[' */
    for (;;) {
        while (is_space(*p))
            p++;
        if (*p == ']')
            break;
        if (!*p)
            return fail("%s: no ']' (a list is on one line)", key);
        if (*p != '"' && *p != '\'')
            return fail("%s: expected a quoted spec or ']'", key);
        const char *e = strchr(p + 1, *p);
        if (!e)
            return fail("%s: unterminated string", key);
        if ((size_t)(e - p - 1) >= sizeof(spec))
            return fail("%s %u: spec too long", key, n);
        if (n == max)
            return fail("%s: more than %u devices", key, max);
        memcpy(spec, p + 1, (size_t)(e - p - 1));
        spec[e - p - 1] = '\0';
        if (one(devs, n, spec, why, sizeof(why)))
            return fail("%s %u: %s", key, n, why);
        n++;
        p = e + 1;
        while (is_space(*p))
            p++;
        if (*p == ',')
            p++;
        else if (!*p)
            return fail("%s: no ']' (a list is on one line)", key);
        else if (*p != ']')
            return fail("%s: expected ',' or ']' after a spec", key);
    }
    if (p[1])
        return fail("%s: text after the list's ']'", key);
    *nr = n;
    return 0;
}

static int one_vif(void *devs, unsigned int i, const char *spec, char *err, size_t errlen)
{
    return xl_vif_parse(&((struct xl_vif *)devs)[i], spec, err, errlen);
}

static int one_disk(void *devs, unsigned int i, const char *spec, char *err, size_t errlen)
{
    struct xl_disk *d = devs;
    if (xl_disk_parse(&d[i], spec, err, errlen))
        return -1;
    for (unsigned int j = 0; j < i; j++)
        if (!strcmp(d[j].vdev, d[i].vdev))
            return fail("vdev %s is disk %u's too", d[i].vdev, j);
    return 0;
}

/*
 * xl's pci= BDF: [0000:]bb:dd.f, segment 0 only. xl's options after it
 * (",permissive=1", "@<vslot>", a function list "bb:dd.*") are refused:
 * the hypervisor gives the domain the function at its real address.
 */
static int one_pci(void *devs, unsigned int i, const char *spec, char *err, size_t errlen)
{
    uint16_t *pci = devs;
    const char *p = strncmp(spec, "0000:", 5) ? spec : spec + 5;
    const char *end = pci_parse_bdf(p, &pci[i]);
    if (!end || *end)
        return fail("'%s' is not bb:dd.f (segment 0; no options, vslot or function list)", spec);
    for (unsigned int j = 0; j < i; j++)
        if (pci[j] == pci[i])
            return fail("%s is pci %u's too", p, j);
    return 0;
}

int xl_cfg_line(struct xl_cfg *c, const char *line, size_t len, char *err, size_t errlen)
{
    char buf[600], key[32], val[sizeof(c->cmdline)];
    size_t n = 0;
    /* Up to a comment that is not inside quotes. */
    char quote = 0;
    for (size_t i = 0; i < len && line[i] != '\n'; i++) {
        if (!quote && line[i] == '#')
            break;
        if (line[i] == '"' || line[i] == '\'')
            quote = quote == line[i] ? 0 : quote ? quote : line[i];
        if (n + 1 >= sizeof(buf))
            return fail("line too long");
        buf[n++] = line[i];
    }
    while (n && (is_space(buf[n - 1]) || buf[n - 1] == ';'))
        n--;
    buf[n] = '\0';
    const char *p = buf;
    while (is_space(*p))
        p++;
    if (!*p)
        return 0;
    size_t k = 0;
    while ((p[k] >= 'a' && p[k] <= 'z') || p[k] == '_' || (p[k] >= '0' && p[k] <= '9'))
        k++;
    if (!k || k >= sizeof(key))
        return fail("expected 'key = value'");
    memcpy(key, p, k);
    key[k] = '\0';
    p += k;
    while (is_space(*p))
        p++;
    if (*p != '=')
        return fail("expected '=' after '%s'", key);
    p++;
    while (is_space(*p))
        p++;
    if (!strcmp(key, "vif") || !strcmp(key, "disk") || !strcmp(key, "pci")) {
        if (*p != '[')
            return fail("%s: expected a list [ '<spec>', ... ]", key);
        /* Into copies: a bad line leaves the list as it was (create --dry-run carries on past it). */
        unsigned int n;
        if (key[0] == 'p') {
            uint16_t pci[XL_MAX_PCI] = { 0 };
            if (spec_list(key, p, XL_MAX_PCI, &n, one_pci, pci, err, errlen))
                return -1;
            memcpy(c->pci, pci, sizeof(pci));
            c->nr_pci = n;
        } else if (key[0] == 'v') {
            struct xl_vif v[XL_MAX_VIFS];
            memset(v, 0, sizeof(v));
            if (spec_list(key, p, XL_MAX_VIFS, &n, one_vif, v, err, errlen))
                return -1;
            memcpy(c->vif, v, sizeof(v));
            c->nr_vifs = n;
        } else {
            struct xl_disk d[XL_MAX_DISKS];
            memset(d, 0, sizeof(d));
            if (spec_list(key, p, XL_MAX_DISKS, &n, one_disk, d, err, errlen))
                return -1;
            memcpy(c->disk, d, sizeof(d));
            c->nr_disks = n;
        }
        return 0;
    }
    if (*p == '[')
        return fail("%s: takes one value, not a list", key);
    if (*p == '"' || *p == '\'') {
        const char *e = strchr(p + 1, *p);
        if (!e || e[1])
            return fail("%s: unterminated string or text after it", key);
        if ((size_t)(e - p - 1) >= sizeof(val))
            return fail("%s: value too long", key);
        memcpy(val, p + 1, (size_t)(e - p - 1));
        val[e - p - 1] = '\0';
    } else {
        if (strlen(p) >= sizeof(val))
            return fail("%s: value too long", key);
        str_copy(val, p, sizeof(val));
    }

    uint64_t num;
    if (!strcmp(key, "name")) {
        if (!name_ok(val) || strlen(val) >= sizeof(c->name))
            return fail("name: '%s' is not 1-31 letters, digits, '-', '_' or '.'", val);
        str_copy(c->name, val, sizeof(c->name));
    } else if (!strcmp(key, "type")) {
        if (strcmp(val, "pv"))
            return fail("type: '%s': only \"pv\" domains", val);
    } else if (!strcmp(key, "kernel") || !strcmp(key, "ramdisk")) {
        char *field = key[0] == 'k' ? c->kernel : c->ramdisk;
        _Static_assert(sizeof(c->kernel) == sizeof(c->ramdisk), "one bound for both file names");
        if (!*val || strlen(val) >= sizeof(c->kernel))
            return fail("%s: '%s' is empty or too long", key, val);
        str_copy(field, val, sizeof(c->kernel));
    } else if (!strcmp(key, "cmdline") || !strcmp(key, "extra")) {
        str_copy(c->cmdline, val, sizeof(c->cmdline));
    } else if (!strcmp(key, "memory") || !strcmp(key, "maxmem")) {
        if (!number(val, 4, 1u << 20, &num))
            return fail("%s: '%s' is not a size in MiB from 4", key, val);
        if (key[0] == 'm' && key[1] == 'e')
            c->memory_mib = num;
        else
            c->maxmem_mib = num;
    } else if (!strcmp(key, "vcpus")) {
        if (!number(val, 1, 8, &num))
            return fail("vcpus: '%s' is not 1 to 8", val);
        c->vcpus = (unsigned int)num;
    } else if (!strcmp(key, "weight")) {
        if (!number(val, 1, 65535, &num))
            return fail("weight: '%s' is not 1 to 65535", val);
        c->weight = (unsigned int)num;
    } else if (!strcmp(key, "cap")) {
        if (!number(val, 0, 100, &num))
            return fail("cap: '%s' is not 0 to 100", val);
        c->cap = (unsigned int)num;
    } else if (!strcmp(key, "on_poweroff") || !strcmp(key, "on_reboot") || !strcmp(key, "on_crash") ||
               !strcmp(key, "on_watchdog")) {
        enum xl_action *a = key[3] == 'p' ? &c->on_poweroff : key[3] == 'r' ? &c->on_reboot :
                            key[3] == 'w' ? &c->on_watchdog : &c->on_crash;
        if (!strcmp(val, "rename-restart") || !strncmp(val, "coredump-", 9))
            return fail("%s: %s is not supported (destroy, preserve or restart)", key, val);
        if (!action(val, a))
            return fail("%s: '%s' is not destroy, preserve or restart", key, val);
    } else {
        return fail("unknown key '%s'", key);
    }
    return 0;
}

unsigned int xl_cfg_parse_each(struct xl_cfg *c, const char *text, size_t len, const char *file,
                               void (*report)(void *ctx, const char *msg), void *ctx)
{
    char why[160], msg[240];
    unsigned int lineno = 1, errors = 0;
    for (size_t at = 0; at < len; lineno++) {
        size_t end = at;
        while (end < len && text[end] != '\n')
            end++;
        if (xl_cfg_line(c, text + at, end - at, why, sizeof(why))) {
            errors++;
            snprintf(msg, sizeof(msg), "%s:%u: %s", file, lineno, why);
            report(ctx, msg);
        }
        at = end + 1;
    }
    return errors;
}

int xl_cfg_parse(struct xl_cfg *c, const char *text, size_t len, const char *file, char *err, size_t errlen)
{
    char why[160];
    unsigned int lineno = 1;
    for (size_t at = 0; at < len; lineno++) {
        size_t end = at;
        while (end < len && text[end] != '\n')
            end++;
        if (xl_cfg_line(c, text + at, end - at, why, sizeof(why)))
            return fail("%s:%u: %s", file, lineno, why);
        at = end + 1;
    }
    return 0;
}

int xl_cfg_check(const struct xl_cfg *c, char *err, size_t errlen)
{
    if (!c->name[0])
        return fail("no name= given");
    if (!c->kernel[0])
        return fail("no kernel= given");
    if (c->maxmem_mib && c->maxmem_mib < c->memory_mib)
        return fail("maxmem (%llu MiB) is below memory (%llu MiB)", (unsigned long long)c->maxmem_mib,
                    (unsigned long long)c->memory_mib);
    return 0;
}
