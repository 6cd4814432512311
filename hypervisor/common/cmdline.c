/* Parses the hypervisor command line against the table of declared options. */
#include <hv/cmdline.h>

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool parse_size(const char *s, size_t len, bool allow_suffix, uint64_t *out)
{
    uint64_t v = 0, base = 10;
    size_t i = 0;

    if (len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        i = 2;
    }
    size_t first = i;
    for (; i < len; i++) {
        char c = s[i];
        uint64_t d;
        if (c >= '0' && c <= '9') d = (uint64_t)(c - '0');
        else if (base == 16 && c >= 'a' && c <= 'f') d = (uint64_t)(c - 'a' + 10);
        else if (base == 16 && c >= 'A' && c <= 'F') d = (uint64_t)(c - 'A' + 10);
        else break;
        if (v > (UINT64_MAX - d) / base)
            return false;
        v = v * base + d;
    }
    if (i == first)
        return false;

    if (i < len && allow_suffix) {
        unsigned int shift;
        switch (s[i]) {
        case 'k': case 'K': shift = 10; break;
        case 'm': case 'M': shift = 20; break;
        case 'g': case 'G': shift = 30; break;
        case 't': case 'T': shift = 40; break;
        default: return false;
        }
        if (v > (UINT64_MAX >> shift))
            return false;
        v <<= shift;
        i++;
    }
    if (i != len)
        return false;
    *out = v;
    return true;
}

static bool parse_bool(const char *s, size_t len, bool *out)
{
    static const struct { const char *word; bool val; } words[] = {
        { "1", true }, { "on", true }, { "yes", true }, { "true", true }, { "enable", true },
        { "0", false }, { "off", false }, { "no", false }, { "false", false }, { "disable", false },
    };
    for (size_t i = 0; i < ARRAY_SIZE(words); i++) {
        if (strlen(words[i].word) == len && !strncmp(words[i].word, s, len)) {
            *out = words[i].val;
            return true;
        }
    }
    return false;
}

static const struct boot_param *find_param(const struct boot_param *start,
                                           const struct boot_param *end,
                                           const char *name, size_t len)
{
    for (const struct boot_param *p = start; p < end; p++)
        if (strlen(p->name) == len && !strncmp(p->name, name, len))
            return p;
    return NULL;
}

/* Applies one "name[=value]" option; returns NULL or why it was refused. */
static const char *apply(const struct boot_param *start, const struct boot_param *end,
                         const char *opt, size_t optlen)
{
    /* GRUB quotes a whole argument that holds spaces: "name=two words". */
    if (optlen >= 2 && opt[0] == '"' && opt[optlen - 1] == '"') {
        opt++;
        optlen -= 2;
    }
    const char *eq = NULL;
    for (size_t i = 0; i < optlen; i++) {
        if (opt[i] == '=') {
            eq = opt + i;
            break;
        }
    }
    size_t namelen = eq ? (size_t)(eq - opt) : optlen;
    const char *val = eq ? eq + 1 : NULL;
    size_t vallen = eq ? optlen - namelen - 1 : 0;

    /* A value in double quotes may hold spaces; the quotes are not part of it. */
    if (val && vallen >= 2 && val[0] == '"' && val[vallen - 1] == '"') {
        val++;
        vallen -= 2;
    }

    const struct boot_param *p = find_param(start, end, opt, namelen);
    bool negated = false;
    if (!p && !eq && namelen > 3 && !strncmp(opt, "no-", 3)) {
        p = find_param(start, end, opt + 3, namelen - 3);
        if (p && p->type != PARAM_BOOL)
            return "only on/off options take a no- prefix";
        negated = p != NULL;
    }
    if (!p)
        return "unknown option";

    switch (p->type) {
    case PARAM_BOOL: {
        bool b = !negated;
        if (val && !parse_bool(val, vallen, &b))
            return "expected on or off";
        *(bool *)p->var = b;
        return NULL;
    }
    case PARAM_UINT:
    case PARAM_SIZE: {
        uint64_t v;
        if (!val)
            return "needs a value";
        if (!parse_size(val, vallen, p->type == PARAM_SIZE, &v))
            return p->type == PARAM_SIZE ? "expected a size such as 512M" : "expected a number";
        *(uint64_t *)p->var = v;
        return NULL;
    }
    case PARAM_STRING: {
        if (!val)
            return "needs a value";
        if (vallen >= p->len)
            return "value too long";
        memcpy(p->var, val, vallen);
        ((char *)p->var)[vallen] = '\0';
        return NULL;
    }
    case PARAM_CUSTOM: {
        char buf[256];
        if (vallen >= sizeof(buf))
            return "value too long";
        if (val)
            memcpy(buf, val, vallen);
        buf[vallen] = '\0';
        return p->fn(val ? buf : NULL) ? "bad value" : NULL;
    }
    }
    return "bad option table entry";
}

int cmdline_parse(const char *cmdline, const struct boot_param *start,
                  const struct boot_param *end, cmdline_warn_fn warn)
{
    int problems = 0;
    const char *s = cmdline;

    while (s && *s) {
        while (is_space(*s))
            s++;
        if (!*s)
            break;
        /* An option runs to the next space outside double quotes. */
        const char *opt = s;
        bool quoted = false;
        while (*s && (quoted || !is_space(*s))) {
            if (*s == '"')
                quoted = !quoted;
            s++;
        }
        const char *why = apply(start, end, opt, (size_t)(s - opt));
        if (why) {
            problems++;
            if (warn)
                warn(opt, (size_t)(s - opt), why);
        }
    }
    return problems;
}
