/*
 * libFuzzer target: hypervisor/common/cmdline.c, unchanged. The input is a
 * command line (made NUL-terminated) parsed against a table with one option
 * of each type, and, unterminated in a buffer of exactly its size, a number
 * for parse_size. Oracles: every problem is warned about once, with its
 * option inside the line; string values fit their buffers; parse_size agrees
 * with strtoull on the strings both read, and refuses what overflows.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <hv/cmdline.h>
#include "fuzz.h"

static bool opt_flag;
static uint64_t opt_count, opt_mem;
static char opt_name[8];            /* short: long values must be refused, not cut */
static char hook_val[256];

static int hook(const char *val)
{
    if (!val)
        return 0;
    FUZZ_CHECK(fuzz_terminated(val, 256), "custom handler got an unterminated value");
    strcpy(hook_val, val);
    return !strcmp(val, "bad");
}

static const struct boot_param params[] = {
    { .name = "flag", .var = &opt_flag, .type = PARAM_BOOL },
    { .name = "count", .var = &opt_count, .type = PARAM_UINT },
    { .name = "mem", .var = &opt_mem, .type = PARAM_SIZE },
    { .name = "name", .var = opt_name, .len = sizeof(opt_name), .type = PARAM_STRING },
    { .name = "hook", .fn = hook, .type = PARAM_CUSTOM },
};

static const char *line_start, *line_end;
static int warnings;

static void warn(const char *opt, size_t optlen, const char *why)
{
    FUZZ_CHECK(opt >= line_start && optlen && opt + optlen <= line_end, "warning outside the line");
    FUZZ_CHECK(why && *why, "warning without a reason");
    warnings++;
}

/* The strings strtoull and parse_size both read: digits, or 0x and hex digits, whole. */
static bool plain_number(const char *s, size_t len, int *base)
{
    size_t i = 0;
    *base = 10;
    if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        *base = 16;
        i = 2;
    }
    if (i == len)
        return false;
    for (; i < len; i++) {
        char c = s[i];
        bool ok = (c >= '0' && c <= '9') ||
                  (*base == 16 && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')));
        if (!ok)
            return false;
    }
    return true;
}

static void check_parse_size(const uint8_t *data, size_t size)
{
    char *exact = malloc(size ? size : 1);          /* no NUL after it: ASan sees any overread */
    FUZZ_CHECK(exact, "out of memory");
    memcpy(exact, data, size);
    uint64_t v = 0, w = 0;
    bool ok = parse_size(exact, size, false, &v);
    bool ok_sfx = parse_size(exact, size, true, &w);
    FUZZ_CHECK(!ok || (ok_sfx && v == w), "a plain number changes meaning with suffixes allowed");
    int base;
    if (size < 64 && plain_number(exact, size, &base)) {
        char z[64];
        memcpy(z, exact, size);
        z[size] = '\0';
        errno = 0;
        unsigned long long ref = strtoull(z, NULL, base);
        bool overflow = errno == ERANGE;
        FUZZ_CHECK(ok == !overflow, "parse_size(\"%s\"): %s, strtoull %s", z, ok ? "accepted" : "refused",
                   overflow ? "overflows" : "reads it");
        FUZZ_CHECK(!ok || v == ref, "parse_size(\"%s\") = %llu, strtoull %llu", z, (unsigned long long)v, ref);
    }
    free(exact);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_parse_size(data, size);

    char *line = malloc(size + 1);
    FUZZ_CHECK(line, "out of memory");
    memcpy(line, data, size);
    line[size] = '\0';
    line_start = line;
    line_end = line + strlen(line);
    warnings = 0;
    opt_name[0] = '\0';
    int problems = cmdline_parse(line, params, params + sizeof(params) / sizeof(params[0]), warn);
    FUZZ_CHECK(problems == warnings, "%d problems, %d warnings", problems, warnings);
    FUZZ_CHECK(fuzz_terminated(opt_name, sizeof(opt_name)), "string option not terminated");
    FUZZ_CHECK(cmdline_parse(line, params, params + sizeof(params) / sizeof(params[0]), NULL) == problems,
               "the same line parsed twice gave different counts");
    free(line);
    return 0;
}
