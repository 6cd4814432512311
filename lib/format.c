/* The printf-style formatter behind printk and the guests' consoles; pure, host-tested. */
#include <stdbool.h>
#include <stdint.h>
#include <lib/format.h>
#include <lib/string.h>

struct out {
    char *buf;
    size_t size;
    size_t len;     /* what the whole output would need, even if truncated */
};

static void put(struct out *o, char c)
{
    if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
}

static void pad(struct out *o, char c, int n)
{
    while (n-- > 0)
        put(o, c);
}

enum { F_LEFT = 1, F_ZERO = 2, F_PLUS = 4, F_SPACE = 8, F_ALT = 16 };

/* Emits a number with sign/prefix, zero padding and width as C's printf. */
static void put_number(struct out *o, uint64_t v, bool negative, unsigned int base,
                       bool upper, int flags, int width, int prec)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];
    int n = 0;
    bool nonzero = v != 0;

    while (v) {
        tmp[n++] = digits[v % base];
        v /= base;
    }
    if (prec < 0 && n == 0)
        tmp[n++] = '0';
    /* An explicit precision turns off the '0' flag and sets a minimum digit count. */
    if (prec >= 0)
        flags &= ~F_ZERO;
    int ndigits = n > prec ? n : prec;
    /* '#' with octal: enough precision that the first digit is a 0. */
    if ((flags & F_ALT) && base == 8 && ndigits == n && (n == 0 || tmp[n - 1] != '0'))
        ndigits = n + 1;

    const char *prefix = "";
    if (negative)
        prefix = "-";
    else if (flags & F_PLUS)
        prefix = "+";
    else if (flags & F_SPACE)
        prefix = " ";
    else if ((flags & F_ALT) && base == 16 && nonzero)
        prefix = upper ? "0X" : "0x";
    int plen = (int)strlen(prefix);
    int fill = width - plen - ndigits;

    if (!(flags & F_LEFT) && !(flags & F_ZERO))
        pad(o, ' ', fill);
    for (const char *p = prefix; *p; p++)
        put(o, *p);
    if (!(flags & F_LEFT) && (flags & F_ZERO))
        pad(o, '0', fill);
    pad(o, '0', ndigits - n);
    while (n)
        put(o, tmp[--n]);
    if (flags & F_LEFT)
        pad(o, ' ', fill);
}

static void put_string(struct out *o, const char *s, int flags, int width, int prec)
{
    if (!s)
        s = "(null)";
    int n = (int)(prec >= 0 ? strnlen(s, (size_t)prec) : strlen(s));
    if (!(flags & F_LEFT))
        pad(o, ' ', width - n);
    for (int i = 0; i < n; i++)
        put(o, s[i]);
    if (flags & F_LEFT)
        pad(o, ' ', width - n);
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct out o = { buf, size, 0 };

    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            put(&o, *fmt);
            continue;
        }
        const char *spec = fmt++;

        int flags = 0;
        for (;; fmt++) {
            if (*fmt == '-') flags |= F_LEFT;
            else if (*fmt == '0') flags |= F_ZERO;
            else if (*fmt == '+') flags |= F_PLUS;
            else if (*fmt == ' ') flags |= F_SPACE;
            else if (*fmt == '#') flags |= F_ALT;
            else break;
        }

        int width = 0;
        if (*fmt == '*') {
            width = va_arg(ap, int);
            if (width < 0) {
                flags |= F_LEFT;
                width = -width;
            }
            fmt++;
        } else {
            while (*fmt >= '0' && *fmt <= '9')
                width = width * 10 + (*fmt++ - '0');
        }

        int prec = -1;
        if (*fmt == '.') {
            fmt++;
            prec = 0;
            if (*fmt == '*') {
                prec = va_arg(ap, int);
                if (prec < 0)
                    prec = -1;
                fmt++;
            } else {
                while (*fmt >= '0' && *fmt <= '9')
                    prec = prec * 10 + (*fmt++ - '0');
            }
        }

        /* Length modifier: 0 int, 1 long, 2 long long, -1 short, -2 char, 3 size_t. */
        int len = 0;
        if (*fmt == 'h') {
            len = -1;
            if (*++fmt == 'h') { len = -2; fmt++; }
        } else if (*fmt == 'l') {
            len = 1;
            if (*++fmt == 'l') { len = 2; fmt++; }
        } else if (*fmt == 'z') {
            len = 3;
            fmt++;
        }

        switch (*fmt) {
        case 'd':
        case 'i': {
            int64_t v;
            if (len == 1) v = va_arg(ap, long);
            else if (len == 2) v = va_arg(ap, long long);
            else if (len == 3) v = (int64_t)va_arg(ap, size_t);
            else v = va_arg(ap, int);
            if (len == -1) v = (short)v;
            if (len == -2) v = (signed char)v;
            uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
            put_number(&o, mag, v < 0, 10, false, flags, width, prec);
            break;
        }
        case 'u':
        case 'x':
        case 'X':
        case 'o': {
            uint64_t v;
            if (len == 1) v = va_arg(ap, unsigned long);
            else if (len == 2) v = va_arg(ap, unsigned long long);
            else if (len == 3) v = va_arg(ap, size_t);
            else v = va_arg(ap, unsigned int);
            if (len == -1) v = (unsigned short)v;
            if (len == -2) v = (unsigned char)v;
            unsigned int base = *fmt == 'u' ? 10 : *fmt == 'o' ? 8 : 16;
            put_number(&o, v, false, base, *fmt == 'X', flags & ~(F_PLUS | F_SPACE), width, prec);
            break;
        }
        case 'p': {
            /* Always the full 64-bit value, so addresses line up in reports. */
            uintptr_t v = (uintptr_t)va_arg(ap, void *);
            put(&o, '0');
            put(&o, 'x');
            put_number(&o, v, false, 16, false, F_ZERO, 16, -1);
            break;
        }
        case 's':
            put_string(&o, va_arg(ap, const char *), flags, width, prec);
            break;
        case 'c': {
            char c = (char)va_arg(ap, int);
            if (!(flags & F_LEFT))
                pad(&o, ' ', width - 1);
            put(&o, c);
            if (flags & F_LEFT)
                pad(&o, ' ', width - 1);
            break;
        }
        case '%':
            put(&o, '%');
            break;
        case '\0':
            fmt--;          /* a lone '%' at the end: print nothing more */
            break;
        default:
            /* Unknown conversion: show the whole specification verbatim rather than guess. */
            for (const char *p = spec; p <= fmt; p++)
                put(&o, *p);
            break;
        }
    }

    if (size)
        buf[o.len < size ? o.len : size - 1] = '\0';
    return (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
