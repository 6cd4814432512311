/* printf-style formatting for freestanding code (hypervisor and guests). */
#ifndef LIB_FORMAT_H
#define LIB_FORMAT_H

#include <stdarg.h>
#include <stddef.h>

/*
 * Formats like C's snprintf for %d %i %u %x %X %o %p %s %c %%, with the
 * flags - 0 + space #, a width and precision (also as '*'), and the h, hh,
 * l, ll, z length modifiers; %p is always 0x and 16 hex digits, and an
 * unknown conversion is copied verbatim. Returns the length the full output
 * would have had; the output is always terminated when size > 0.
 */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
