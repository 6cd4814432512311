/*
 * Guest side of the 2-level event channel ABI: one pass of the upcall's scan.
 * Clear upcall_pending, take the selector word by word, and for each pending
 * port whose mask bit is clear, clear its pending bit and hand it to fn.
 * A port set while we scan sets upcall_pending again, so a caller that must
 * not miss one repeats the pass while evtchn_upcall_pending is set.
 * Static inline so that fn is inlined into each caller's upcall.
 */
#ifndef LIB_PV_EVTCHN_H
#define LIB_PV_EVTCHN_H

#include <stdint.h>
#include <public/xen.h>

/*
 * The same, handling only the ports set in mine (nwords words; NULL: every
 * port): a vCPU's scan must leave other vCPUs' ports that share a word with
 * its own pending, for them (Xen set their selector bits too).
 */
static inline void evtchn_2l_scan_ports(struct shared_info *s, struct vcpu_info *v, const uint64_t *mine,
                                        unsigned int nwords, void (*fn)(unsigned int port))
{
    v->evtchn_upcall_pending = 0;
    uint64_t sel = __atomic_exchange_n(&v->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
    while (sel) {
        unsigned int w = (unsigned int)__builtin_ctzll(sel);
        sel &= sel - 1;
        uint64_t bits = s->evtchn_pending[w] & ~s->evtchn_mask[w];
        if (mine)
            bits &= w < nwords ? mine[w] : 0;
        while (bits) {
            unsigned int b = (unsigned int)__builtin_ctzll(bits);
            bits &= bits - 1;
            __atomic_and_fetch(&s->evtchn_pending[w], ~(1ull << b), __ATOMIC_SEQ_CST);
            fn(w * 64 + b);
        }
    }
}

static inline void evtchn_2l_scan(struct shared_info *s, struct vcpu_info *v, void (*fn)(unsigned int port))
{
    evtchn_2l_scan_ports(s, v, NULL, 0, fn);
}

#endif /* LIB_PV_EVTCHN_H */
