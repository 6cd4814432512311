/*
 * PV console ring page (start_info.console.domU.mfn, port
 * start_info.console.domU.evtchn): two byte rings shared with the console
 * back end.
 */
#ifndef PUBLIC_IO_CONSOLE_H
#define PUBLIC_IO_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Free-running indices masked by the size of the ring they index. The guest
 * produces into out and consumes in; the back end the reverse. Publish data
 * before the index (write barrier) and signal the event channel afterwards.
 */
typedef uint32_t XENCONS_RING_IDX;
#define MASK_XENCONS_IDX(idx, ring) ((idx) & (sizeof(ring) - 1))

struct xencons_interface {
    uint8_t in[1024];           /* back end -> guest (keyboard input) */
    uint8_t out[2048];          /* guest -> back end (output) */
    XENCONS_RING_IDX in_cons;   /* guest */
    XENCONS_RING_IDX in_prod;   /* back end */
    XENCONS_RING_IDX out_cons;  /* back end */
    XENCONS_RING_IDX out_prod;  /* guest */
};
_Static_assert(sizeof(struct xencons_interface) == 3088, "xencons_interface size");
_Static_assert(offsetof(struct xencons_interface, out) == 1024, "xencons_interface.out");
_Static_assert(offsetof(struct xencons_interface, in_cons) == 3072, "xencons_interface.in_cons");
_Static_assert(offsetof(struct xencons_interface, in_prod) == 3076, "xencons_interface.in_prod");
_Static_assert(offsetof(struct xencons_interface, out_cons) == 3080, "xencons_interface.out_cons");
_Static_assert(offsetof(struct xencons_interface, out_prod) == 3084, "xencons_interface.out_prod");

#endif /* PUBLIC_IO_CONSOLE_H */
