/*
 * The console back end's line assembler: a domain's output bytes (hostile)
 * become whole printable lines, each handed to emit() without its newline.
 * Pure logic, tested on the host (tests/unit/test_console_lines.c).
 */
#ifndef PVDRIVERS_CONSOLE_LINES_H
#define PVDRIVERS_CONSOLE_LINES_H

#include <stddef.h>

/* Longer lines are cut: the first CONLINES_MAX bytes make one line, the rest the next. */
#define CONLINES_MAX 512

struct conlines {
    char buf[CONLINES_MAX];
    size_t len;                 /* bytes of the unfinished line in buf */
};

typedef void (*conlines_emit_t)(void *ctx, const char *line, size_t len);

/*
 * Feeds n bytes: '\n' ends a line; a tab becomes a space; '\r' and every
 * other control or non-ASCII byte is dropped, so a domain cannot move the
 * cursor or forge another source's prefix at the start of a serial line.
 */
void conlines_feed(struct conlines *l, const char *s, size_t n, conlines_emit_t emit, void *ctx);
/* Emits the unfinished line, if any (a domain that died in mid-line). */
void conlines_flush(struct conlines *l, conlines_emit_t emit, void *ctx);

#endif /* PVDRIVERS_CONSOLE_LINES_H */
