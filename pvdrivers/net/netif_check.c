/* netback's tx validation (net/netif_check.h). Pure: pvguest and the host unit test. */
#include <net/netif_check.h>

#define ETH_HEADER 14u

const char *const netif_tx_verdict_names[] = {
    [NETIF_TX_OK] = "ok",
    [NETIF_TX_TOO_SHORT] = "too_short",
    [NETIF_TX_TOO_BIG] = "too_big",
    [NETIF_TX_CROSSES_PAGE] = "crosses_page",
    [NETIF_TX_SIZE_MISMATCH] = "size_mismatch",
    [NETIF_TX_TOO_MANY_SLOTS] = "too_many_slots",
};

enum netif_tx_verdict netif_tx_check(const struct netif_tx_request *req, unsigned int n, unsigned int max_len,
                                     uint16_t *len)
{
    if (n == 0 || n > NETIF_MAX_SLOTS)
        return NETIF_TX_TOO_MANY_SLOTS;
    unsigned int total = req[0].size;
    if (total < ETH_HEADER)
        return NETIF_TX_TOO_SHORT;
    if (total > max_len)
        return NETIF_TX_TOO_BIG;
    /* The later slots first: what is left of the packet's size is the first slot's own. */
    unsigned int rest = 0;
    for (unsigned int i = 1; i < n; i++) {
        if (req[i].size == 0 || req[i].size > total - rest)
            return NETIF_TX_SIZE_MISMATCH;
        if ((unsigned int)req[i].offset + req[i].size > NETIF_PAGE_SIZE)
            return NETIF_TX_CROSSES_PAGE;
        rest += req[i].size;
        len[i] = req[i].size;
    }
    len[0] = (uint16_t)(total - rest);
    if ((unsigned int)req[0].offset + len[0] > NETIF_PAGE_SIZE)
        return NETIF_TX_CROSSES_PAGE;
    return NETIF_TX_OK;
}
