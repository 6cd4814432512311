/* The console back end's line assembler (console/lines.h): bytes in, printable lines out. */
#include <console/lines.h>

void conlines_feed(struct conlines *l, const char *s, size_t n, conlines_emit_t emit, void *ctx)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '\n') {
            emit(ctx, l->buf, l->len);
            l->len = 0;
            continue;
        }
        if (c == '\t')
            c = ' ';
        if (c < 32 || c > 126)
            continue;
        if (l->len == CONLINES_MAX) {
            emit(ctx, l->buf, l->len);
            l->len = 0;
        }
        l->buf[l->len++] = c;
    }
}

void conlines_flush(struct conlines *l, conlines_emit_t emit, void *ctx)
{
    if (l->len)
        emit(ctx, l->buf, l->len);
    l->len = 0;
}
