/* Idler: says it is up, then blocks forever: a domain for the toolstack to list, pause and destroy. */
#include "guest.h"
#include "hypercall.h"
#include <public/sched.h>

const char test_title[] = "idler: blocks until it is destroyed";

static const char *test_idle(char *why, size_t len)
{
    (void)why;
    (void)len;
    printk("# idler: up, blocking until destroyed\n");
    for (;;)
        hyp_sched_op(SCHEDOP_block, NULL);
    return NULL;
}

DEFINE_TESTS({ "idle", test_idle })
