/* Host tests of hypervisor/common/cmdline.c over an explicit option table. */
#include <hv/cmdline.h>
#include "unit.h"

static bool opt_flag, opt_other;
static uint64_t opt_count, opt_mem;
static char opt_name[16];

static int hook_calls;
static bool hook_got_null;
static char hook_val[300];

/* Custom handler: remembers its value, refuses "bad". */
static int hook(const char *val)
{
    hook_calls++;
    hook_got_null = val == NULL;
    if (val)
        snprintf(hook_val, sizeof(hook_val), "%s", val);
    return val && !strcmp(val, "bad");
}

static const struct boot_param params[] = {
    { .name = "flag", .var = &opt_flag, .type = PARAM_BOOL },
    { .name = "other", .var = &opt_other, .type = PARAM_BOOL },
    { .name = "count", .var = &opt_count, .type = PARAM_UINT },
    { .name = "mem", .var = &opt_mem, .type = PARAM_SIZE },
    { .name = "name", .var = opt_name, .len = sizeof(opt_name), .type = PARAM_STRING },
    { .name = "hook", .fn = hook, .type = PARAM_CUSTOM },
};
#define PARAMS_END (params + UNIT_ARRAY_SIZE(params))

struct warning {
    char opt[320];
    const char *why;
};
static struct warning warnings[8];
static int nr_warnings;

static void warn(const char *opt, size_t optlen, const char *why)
{
    if (nr_warnings < (int)UNIT_ARRAY_SIZE(warnings)) {
        snprintf(warnings[nr_warnings].opt, sizeof(warnings[0].opt), "%.*s", (int)optlen, opt);
        warnings[nr_warnings].why = why;
    }
    nr_warnings++;
}

#define SENTINEL 0x5a5a5a5a5a5a5a5aull

static void reset(void)
{
    opt_flag = opt_other = false;
    opt_count = opt_mem = SENTINEL;
    strcpy(opt_name, "unset");
    hook_calls = 0;
    hook_got_null = false;
    hook_val[0] = '\0';
    memset(warnings, 0, sizeof(warnings));
    nr_warnings = 0;
}

static int parse(const char *line)
{
    reset();
    return cmdline_parse(line, params, PARAMS_END, warn);
}

/* One bool option: its value before, the line, its value after, the warning. */
static const struct {
    bool before;
    const char *line;
    bool after;
    const char *why;        /* NULL: accepted */
} bool_cases[] = {
    { false, "flag", true, NULL },
    { true, "no-flag", false, NULL },
    { false, "flag=on", true, NULL },
    { true, "flag=off", false, NULL },
    { false, "flag=yes", true, NULL },
    { true, "flag=no", false, NULL },
    { false, "flag=1", true, NULL },
    { true, "flag=0", false, NULL },
    { false, "flag=true", true, NULL },
    { true, "flag=false", false, NULL },
    { false, "flag=enable", true, NULL },
    { true, "flag=disable", false, NULL },
    { false, "flag=\"on\"", true, NULL },
    { false, "flag=maybe", false, "expected on or off" },
    { true, "flag=", true, "expected on or off" },
    { true, "flag=On", true, "expected on or off" },
    { true, "flag=offf", true, "expected on or off" },
    { false, "flag=on=off", false, "expected on or off" },
    { true, "no-flag=1", true, "unknown option" },
    { false, "fla", false, "unknown option" },
    { false, "flagg", false, "unknown option" },
    { false, "FLAG", false, "unknown option" },
    { true, "no-", true, "unknown option" },
    { false, "no-count", false, "only on/off options take a no- prefix" },
};

static void test_bool(void **state)
{
    (void)state;
    for (size_t i = 0; i < UNIT_ARRAY_SIZE(bool_cases); i++) {
        reset();
        opt_flag = bool_cases[i].before;
        int n = cmdline_parse(bool_cases[i].line, params, PARAMS_END, warn);
        if (opt_flag != bool_cases[i].after || n != (bool_cases[i].why ? 1 : 0))
            fail_msg("row %zu \"%s\": flag %d problems %d", i, bool_cases[i].line, opt_flag, n);
        if (bool_cases[i].why) {
            assert_int_equal(nr_warnings, 1);
            assert_string_equal(warnings[0].opt, bool_cases[i].line);
            assert_string_equal(warnings[0].why, bool_cases[i].why);
        }
        assert_int_equal(opt_other, false);
        assert_true(opt_count == SENTINEL);
    }
}

/* Number and size options: the line, the variable it sets and to what, or the warning. */
static const struct {
    const char *line;
    uint64_t *var;
    uint64_t want;
    const char *why;
} num_cases[] = {
    { "count=0", &opt_count, 0, NULL },
    { "count=123", &opt_count, 123, NULL },
    { "count=0x7b", &opt_count, 123, NULL },
    { "count=0X7B", &opt_count, 123, NULL },
    { "count=0xDeadBeef", &opt_count, 0xdeadbeef, NULL },
    { "count=007", &opt_count, 7, NULL },
    { "count=18446744073709551615", &opt_count, UINT64_MAX, NULL },
    { "count=0xffffffffffffffff", &opt_count, UINT64_MAX, NULL },
    { "count=\"42\"", &opt_count, 42, NULL },
    { "count=18446744073709551616", &opt_count, SENTINEL, "expected a number" },
    { "count=99999999999999999999", &opt_count, SENTINEL, "expected a number" },
    { "count=0x10000000000000000", &opt_count, SENTINEL, "expected a number" },
    { "count=12abc", &opt_count, SENTINEL, "expected a number" },
    { "count=abc", &opt_count, SENTINEL, "expected a number" },
    { "count=-1", &opt_count, SENTINEL, "expected a number" },
    { "count=+1", &opt_count, SENTINEL, "expected a number" },
    { "count=0x", &opt_count, SENTINEL, "expected a number" },
    { "count=0xg", &opt_count, SENTINEL, "expected a number" },
    { "count=1K", &opt_count, SENTINEL, "expected a number" },
    { "count=", &opt_count, SENTINEL, "expected a number" },
    { "count", &opt_count, SENTINEL, "needs a value" },
    { "mem=4096", &opt_mem, 4096, NULL },
    { "mem=4k", &opt_mem, 4096, NULL },
    { "mem=4K", &opt_mem, 4096, NULL },
    { "mem=512M", &opt_mem, 512ull << 20, NULL },
    { "mem=512m", &opt_mem, 512ull << 20, NULL },
    { "mem=3G", &opt_mem, 3ull << 30, NULL },
    { "mem=3g", &opt_mem, 3ull << 30, NULL },
    { "mem=2T", &opt_mem, 2ull << 40, NULL },
    { "mem=2t", &opt_mem, 2ull << 40, NULL },
    { "mem=0x10M", &opt_mem, 16ull << 20, NULL },
    { "mem=0M", &opt_mem, 0, NULL },
    { "mem=16777215T", &opt_mem, 16777215ull << 40, NULL },
    { "mem=17179869183G", &opt_mem, 17179869183ull << 30, NULL },
    { "mem=16777216T", &opt_mem, SENTINEL, "expected a size such as 512M" },
    { "mem=17179869184G", &opt_mem, SENTINEL, "expected a size such as 512M" },
    { "mem=18014398509481984K", &opt_mem, SENTINEL, "expected a size such as 512M" },
    { "mem=99999999999999999999", &opt_mem, SENTINEL, "expected a size such as 512M" },
    { "mem=1X", &opt_mem, SENTINEL, "expected a size such as 512M" },
    { "mem=1MB", &opt_mem, SENTINEL, "expected a size such as 512M" },
    { "mem=1KK", &opt_mem, SENTINEL, "expected a size such as 512M" },
    { "mem=M", &opt_mem, SENTINEL, "expected a size such as 512M" },
    { "mem=1.5G", &opt_mem, SENTINEL, "expected a size such as 512M" },
    { "mem=", &opt_mem, SENTINEL, "expected a size such as 512M" },
    { "mem", &opt_mem, SENTINEL, "needs a value" },
};

static void test_numbers(void **state)
{
    (void)state;
    for (size_t i = 0; i < UNIT_ARRAY_SIZE(num_cases); i++) {
        int n = parse(num_cases[i].line);
        if (*num_cases[i].var != num_cases[i].want || n != (num_cases[i].why ? 1 : 0))
            fail_msg("row %zu \"%s\": got %#llx problems %d", i, num_cases[i].line,
                     (unsigned long long)*num_cases[i].var, n);
        if (num_cases[i].why) {
            assert_int_equal(nr_warnings, 1);
            assert_string_equal(warnings[0].opt, num_cases[i].line);
            assert_string_equal(warnings[0].why, num_cases[i].why);
        }
    }
}

/* parse_size must stop at len: the input is not NUL-terminated (ASan checks). */
static void test_parse_size_bounds(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        size_t len;
        bool suffix, ok;
        uint64_t want;
    } rows[] = {
        { "1234", 4, false, true, 1234 },
        { "1234", 2, false, true, 12 },
        { "12M", 2, true, true, 12 },
        { "12M", 3, true, true, 12ull << 20 },
        { "12M", 3, false, false, 0 },
        { "0x1f", 4, false, true, 31 },
        { "0x1f", 3, false, true, 1 },
        { "0x1f", 2, false, false, 0 },
        { "0x1f", 1, false, true, 0 },
        { "", 0, true, false, 0 },
        { "7", 1, true, true, 7 },
    };
    for (size_t i = 0; i < UNIT_ARRAY_SIZE(rows); i++) {
        char *p = malloc(rows[i].len ? rows[i].len : 1);
        assert_non_null(p);
        memcpy(p, rows[i].text, rows[i].len);
        uint64_t v = SENTINEL;
        bool ok = parse_size(p, rows[i].len, rows[i].suffix, &v);
        free(p);
        if (ok != rows[i].ok || (ok && v != rows[i].want) || (!ok && v != SENTINEL))
            fail_msg("row %zu \"%.*s\": ok %d value %#llx", i, (int)rows[i].len, rows[i].text, ok,
                     (unsigned long long)v);
    }
}

static void test_strings(void **state)
{
    (void)state;
    assert_int_equal(parse("name=hello"), 0);
    assert_string_equal(opt_name, "hello");

    assert_int_equal(parse("name=\"two words\" flag"), 0);
    assert_string_equal(opt_name, "two words");
    assert_true(opt_flag);

    assert_int_equal(parse("name=\"  spaced  out \""), 0);
    assert_string_equal(opt_name, "  spaced  out ");

    assert_int_equal(parse("name=\"\""), 0);
    assert_string_equal(opt_name, "");

    assert_int_equal(parse("name="), 0);
    assert_string_equal(opt_name, "");

    assert_int_equal(parse("name=a=b,c"), 0);
    assert_string_equal(opt_name, "a=b,c");

    /* 15 characters fit the 16-byte buffer; 16 do not and leave it alone */
    assert_int_equal(parse("name=123456789012345"), 0);
    assert_string_equal(opt_name, "123456789012345");
    assert_int_equal(parse("name=1234567890123456 flag"), 1);
    assert_string_equal(opt_name, "unset");
    assert_int_equal(nr_warnings, 1);
    assert_string_equal(warnings[0].opt, "name=1234567890123456");
    assert_string_equal(warnings[0].why, "value too long");
    assert_true(opt_flag);
    assert_int_equal(parse("name=\"a quoted value too long\""), 1);
    assert_string_equal(warnings[0].opt, "name=\"a quoted value too long\"");
    assert_string_equal(warnings[0].why, "value too long");

    assert_int_equal(parse("name"), 1);
    assert_string_equal(warnings[0].why, "needs a value");
    assert_string_equal(opt_name, "unset");

    /* the last occurrence wins */
    assert_int_equal(parse("name=first name=second"), 0);
    assert_string_equal(opt_name, "second");
}

static void test_custom(void **state)
{
    (void)state;
    assert_int_equal(parse("hook=abc"), 0);
    assert_int_equal(hook_calls, 1);
    assert_string_equal(hook_val, "abc");

    assert_int_equal(parse("hook=\"x y z\""), 0);
    assert_int_equal(hook_calls, 1);
    assert_string_equal(hook_val, "x y z");

    assert_int_equal(parse("hook"), 0);
    assert_int_equal(hook_calls, 1);
    assert_true(hook_got_null);

    assert_int_equal(parse("hook="), 0);
    assert_int_equal(hook_calls, 1);
    assert_false(hook_got_null);
    assert_string_equal(hook_val, "");

    assert_int_equal(parse("hook=bad count=3"), 1);
    assert_int_equal(hook_calls, 1);
    assert_int_equal(nr_warnings, 1);
    assert_string_equal(warnings[0].opt, "hook=bad");
    assert_string_equal(warnings[0].why, "bad value");
    assert_int_equal(opt_count, 3);

    assert_int_equal(parse("no-hook"), 1);
    assert_string_equal(warnings[0].why, "only on/off options take a no- prefix");
    assert_int_equal(hook_calls, 0);

    /* 255 characters reach the handler; 256 are refused before it is called */
    char line[300];
    memset(line, 'v', sizeof(line));
    memcpy(line, "hook=", 5);
    line[5 + 255] = '\0';
    assert_int_equal(parse(line), 0);
    assert_int_equal(hook_calls, 1);
    assert_int_equal(strlen(hook_val), 255);
    line[5 + 255] = 'v';
    line[5 + 256] = '\0';
    assert_int_equal(parse(line), 1);
    assert_int_equal(hook_calls, 0);
    assert_string_equal(warnings[0].why, "value too long");
}

static void test_unknown_and_later_options(void **state)
{
    (void)state;
    assert_int_equal(parse("bogus=1 flag count=0x10 whatever no-other mem=1G name=x"), 2);
    assert_int_equal(nr_warnings, 2);
    assert_string_equal(warnings[0].opt, "bogus=1");
    assert_string_equal(warnings[0].why, "unknown option");
    assert_string_equal(warnings[1].opt, "whatever");
    assert_string_equal(warnings[1].why, "unknown option");
    assert_true(opt_flag);
    assert_int_equal(opt_count, 16);
    assert_int_equal(opt_mem, 1ull << 30);
    assert_string_equal(opt_name, "x");

    /* every kind of refusal in one line, reported in order, the rest applied */
    assert_int_equal(parse("flag=maybe count=12x mem=5Q name=\"far too long a value\" "
                           "hook=bad =5 other"), 6);
    assert_int_equal(nr_warnings, 6);
    static const char *const want_opt[] = {
        "flag=maybe", "count=12x", "mem=5Q", "name=\"far too long a value\"", "hook=bad", "=5",
    };
    static const char *const want_why[] = {
        "expected on or off", "expected a number", "expected a size such as 512M",
        "value too long", "bad value", "unknown option",
    };
    for (int i = 0; i < 6; i++) {
        assert_string_equal(warnings[i].opt, want_opt[i]);
        assert_string_equal(warnings[i].why, want_why[i]);
    }
    assert_true(opt_other);
    assert_false(opt_flag);

    /* no callback: still counted */
    reset();
    assert_int_equal(cmdline_parse("nope flag", params, PARAMS_END, NULL), 1);
    assert_true(opt_flag);

    /* an empty table knows nothing */
    reset();
    assert_int_equal(cmdline_parse("flag count=1", params, params, warn), 2);
    assert_false(opt_flag);
}

static void test_spacing_and_empty(void **state)
{
    (void)state;
    assert_int_equal(parse("   flag \t\t count=5\n\r mem=2M   "), 0);
    assert_true(opt_flag);
    assert_int_equal(opt_count, 5);
    assert_int_equal(opt_mem, 2ull << 20);

    assert_int_equal(parse(""), 0);
    assert_int_equal(parse("    "), 0);
    assert_int_equal(parse("\t\n"), 0);
    assert_int_equal(nr_warnings, 0);
    assert_false(opt_flag);

    reset();
    assert_int_equal(cmdline_parse(NULL, params, PARAMS_END, warn), 0);
    assert_int_equal(nr_warnings, 0);

    /* a quoted value keeps its spaces; the option after it still applies */
    assert_int_equal(parse("name=\"a\tb\"   other"), 0);
    assert_string_equal(opt_name, "a\tb");
    assert_true(opt_other);

    /* the line is read only up to its NUL (ASan checks an exact-size copy) */
    static const char *const lines[] = { "flag", "count=12", "name=\"x y\"", "name=\"open", "" };
    for (size_t i = 0; i < UNIT_ARRAY_SIZE(lines); i++) {
        size_t len = strlen(lines[i]) + 1;
        char *p = malloc(len);
        assert_non_null(p);
        memcpy(p, lines[i], len);
        parse(p);
        free(p);
    }
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bool),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_parse_size_bounds),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_custom),
        cmocka_unit_test(test_unknown_and_later_options),
        cmocka_unit_test(test_spacing_and_empty),
    };
    return unit_run(argc, argv, "cmdline", tests, UNIT_ARRAY_SIZE(tests));
}
