/* Fixed-size sets of inclusive ranges (see hv/rangeset.h). */
#include <hv/rangeset.h>
#include <public/errno.h>

void rangeset_init(struct rangeset *s)
{
    s->nr = 0;
}

/* Makes room at index i (shifting the rest up) or closes it (down). */
static void open_slot(struct rangeset *s, unsigned int i)
{
    for (unsigned int j = s->nr; j > i; j--)
        s->r[j] = s->r[j - 1];
    s->nr++;
}

static void close_slots(struct rangeset *s, unsigned int i, unsigned int n)
{
    for (unsigned int j = i; j + n < s->nr; j++)
        s->r[j] = s->r[j + n];
    s->nr -= n;
}

int rangeset_add(struct rangeset *s, uint32_t first, uint32_t last)
{
    /* i: first range that ends at or after first - 1 (touching counts as overlapping). */
    unsigned int i = 0;
    while (i < s->nr && s->r[i].last != UINT32_MAX && s->r[i].last + 1 < first)
        i++;
    /* j: one past the last range that starts at or before last + 1. */
    unsigned int j = i;
    while (j < s->nr && (last == UINT32_MAX || s->r[j].first <= last + 1))
        j++;
    if (i == j) {
        if (s->nr == RANGESET_MAX)
            return -XEN_ENOMEM;
        open_slot(s, i);
        s->r[i].first = first;
        s->r[i].last = last;
        return 0;
    }
    if (s->r[i].first < first)
        first = s->r[i].first;
    if (s->r[j - 1].last > last)
        last = s->r[j - 1].last;
    s->r[i].first = first;
    s->r[i].last = last;
    close_slots(s, i + 1, j - i - 1);
    return 0;
}

int rangeset_remove(struct rangeset *s, uint32_t first, uint32_t last)
{
    for (unsigned int i = 0; i < s->nr; i++) {
        uint32_t f = s->r[i].first, l = s->r[i].last;
        if (l < first || f > last)
            continue;
        if (f < first && l > last) {            /* a hole in the middle: split */
            if (s->nr == RANGESET_MAX)
                return -XEN_ENOMEM;
            open_slot(s, i + 1);
            s->r[i].last = first - 1;
            s->r[i + 1].first = last + 1;
            s->r[i + 1].last = l;
            return 0;
        }
        if (f < first) {
            s->r[i].last = first - 1;
        } else if (l > last) {
            s->r[i].first = last + 1;
        } else {
            close_slots(s, i, 1);
            i--;
        }
    }
    return 0;
}

bool rangeset_contains(const struct rangeset *s, uint32_t first, uint32_t last)
{
    for (unsigned int i = 0; i < s->nr; i++)
        if (s->r[i].first <= first)
            if (s->r[i].last >= last)
                return true;
    return false;
}
