/* Parsing the xl.cfg subset: name, type, kernel, ramdisk, memory, maxmem, vcpus, cmdline/extra, weight, cap, on_*. */
#include <lib/format.h>
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
    if (*p == '[')
        return fail("%s: lists (disk, vif, pci) are not supported yet", key);
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
    } else if (!strcmp(key, "on_poweroff") || !strcmp(key, "on_reboot") || !strcmp(key, "on_crash")) {
        enum xl_action *a = key[3] == 'p' ? &c->on_poweroff : key[3] == 'r' ? &c->on_reboot : &c->on_crash;
        if (!strcmp(val, "rename-restart") || !strncmp(val, "coredump-", 9))
            return fail("%s: %s is not supported (destroy, preserve or restart)", key, val);
        if (!action(val, a))
            return fail("%s: '%s' is not destroy, preserve or restart", key, val);
    } else if (!strcmp(key, "disk") || !strcmp(key, "vif") || !strcmp(key, "pci")) {
        return fail("%s: not supported yet", key);
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
