/* Spinner: a CPU-bound domain that never stops (the fairness scenario measures its share). */
#include "guest.h"
#include "hypercall.h"

const char test_title[] = "spinner: burns CPU until the machine goes down";

static const char *test_spin(char *why, size_t len)
{
    (void)why;
    (void)len;
    printk("# spinning\n");
    for (volatile uint64_t n = 0;; n++)
        ;
    return NULL;
}

DEFINE_TESTS({ "spin", test_spin })
