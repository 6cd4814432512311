/* "bb:dd.f": pvguest's pci=, assign= and assigncheck= options and dom0's xl.cfg pci= (one parser for all). */
#include <lib/pci_bdf.h>

static int hex_digit(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

const char *pci_parse_bdf(const char *s, uint16_t *bdf)
{
    int b1 = hex_digit(s[0]), b0 = b1 < 0 ? -1 : hex_digit(s[1]);
    if (b0 < 0 || s[2] != ':')
        return NULL;
    int d1 = hex_digit(s[3]), d0 = d1 < 0 ? -1 : hex_digit(s[4]);
    if (d0 < 0 || s[5] != '.' || s[6] < '0' || s[6] > '7')
        return NULL;
    unsigned int dev = (unsigned int)(d1 * 16 + d0);
    if (dev > 31)
        return NULL;
    *bdf = (uint16_t)((b1 * 16 + b0) << 8 | dev << 3 | (s[6] - '0'));
    return s + 7;
}
