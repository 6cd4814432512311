/* The kernel command line: options declared with KERNEL_OPTION, unknown ones warned about. */
#include <cmdline.h>

extern const struct kernel_option __start_kernel_options[], __stop_kernel_options[];

static char cmdline[1024];

const char *cmdline_get(void) { return cmdline; }

bool cmdline_number(const char *s, uint64_t *out)
{
    uint64_t v = 0, base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    if (!*s)
        return false;
    for (; *s; s++) {
        unsigned int d;
        if (*s >= '0' && *s <= '9')
            d = (unsigned int)(*s - '0');
        else if (base == 16 && *s >= 'a' && *s <= 'f')
            d = (unsigned int)(*s - 'a' + 10);
        else if (base == 16 && *s >= 'A' && *s <= 'F')
            d = (unsigned int)(*s - 'A' + 10);
        else
            break;
        v = v * base + d;
    }
    switch (*s) {
    case 'K': case 'k': v <<= 10; s++; break;
    case 'M': case 'm': v <<= 20; s++; break;
    case 'G': case 'g': v <<= 30; s++; break;
    }
    if (*s)
        return false;
    *out = v;
    return true;
}

/* Put on the line by the hypervisor (name=, maxmem=, vcpus=) for itself; we ignore them. */
static bool ignore(const char *value) { (void)value; return true; }
KERNEL_OPTION("name", ignore);
KERNEL_OPTION("maxmem", ignore);
KERNEL_OPTION("vcpus", ignore);

/* mem=<size>: use no memory above this (the hypervisor reads it too, and gives a domain that much). */
uint64_t cmdline_mem_limit = ~0ull;
static bool set_mem(const char *v)
{
    return v && cmdline_number(v, &cmdline_mem_limit) && cmdline_mem_limit >= (4ull << 20);
}
KERNEL_OPTION("mem", set_mem);

static const struct kernel_option *find(const char *name, size_t len)
{
    for (const struct kernel_option *o = __start_kernel_options; o < __stop_kernel_options; o++)
        if (strlen(o->name) == len && !strncmp(o->name, name, len))
            return o;
    return NULL;
}

void cmdline_parse(const char *line)
{
    str_copy(cmdline, line ? line : "", sizeof(cmdline));
    const char *p = cmdline;
    while (*p) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        char word[128];
        size_t n = 0;
        while (p[n] && p[n] != ' ')
            n++;
        str_copy(word, p, MIN(n + 1, sizeof(word)));
        p += n;
        char *eq = strchr(word, '=');
        size_t name_len = eq ? (size_t)(eq - word) : strlen(word);
        const struct kernel_option *o = find(word, name_len);
        if (!o)
            warn("unknown kernel option '%s' (ignored)", word);
        else if (!o->set(eq ? eq + 1 : NULL))
            warn("bad value in kernel option '%s' (ignored)", word);
    }
}
