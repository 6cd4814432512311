/* The hypervisor command line: options declared next to the code they configure. */
#ifndef HV_CMDLINE_H
#define HV_CMDLINE_H

#include <hv/lib.h>

/*
 * An option is declared once, beside the variable it sets, with one of the
 * boot_param_* macros below; the linker gathers the declarations into one
 * table and cmdline_parse() walks it. The forms understood:
 *   name            bool: set true
 *   no-name         bool: set false
 *   name=on|off|yes|no|true|false|1|0   bool
 *   name=123 | name=0x7b                uint
 *   name=512M       size: decimal or hex with optional K, M, G or T suffix
 *   name=text | name="two words"        string (GRUB passes the latter as
 *                                       "name=two words"; both work)
 *   name=value      custom: fn(value) returns 0, or nonzero when refused
 */
enum boot_param_type { PARAM_BOOL, PARAM_UINT, PARAM_SIZE, PARAM_STRING, PARAM_CUSTOM };

struct boot_param {
    const char *name;
    void *var;
    size_t len;                     /* string: buffer size */
    int (*fn)(const char *val);     /* custom: handler */
    unsigned int type;
};

#define __boot_param(_name, _id, _var, _len, _fn, _type)                          \
    static const struct boot_param __bp_##_id                                     \
        __attribute__((used, section(".boot_params"), aligned(8))) =              \
        { .name = _name, .var = _var, .len = _len, .fn = _fn, .type = _type }

#define boot_param_bool(name, var)   __boot_param(name, var, &var, 0, NULL, PARAM_BOOL)
#define boot_param_uint(name, var)   __boot_param(name, var, &var, 0, NULL, PARAM_UINT)
#define boot_param_size(name, var)   __boot_param(name, var, &var, 0, NULL, PARAM_SIZE)
#define boot_param_string(name, var) __boot_param(name, var, var, sizeof(var), NULL, PARAM_STRING)
#define boot_param_custom(name, fn)  __boot_param(name, fn, NULL, 0, fn, PARAM_CUSTOM)

/* bool variables are bool; uint and size variables are uint64_t. */

/* Called for each option that is unknown or has a bad value; boot goes on. */
typedef void (*cmdline_warn_fn)(const char *opt, size_t optlen, const char *why);

/* Applies every option in cmdline; returns the number of options warned about. */
int cmdline_parse(const char *cmdline, const struct boot_param *start,
                  const struct boot_param *end, cmdline_warn_fn warn);

/* Parses "123", "0x7b", "512M"...; returns false on garbage or overflow. */
bool parse_size(const char *s, size_t len, bool allow_suffix, uint64_t *out);

#endif
