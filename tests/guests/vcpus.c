/*
 * vCPU count: the domain has exactly built=<n> vCPUs (default 1), whatever its
 * vcpus= asked for: vCPU 0 is up, 1..n-1 exist but are down, and from n on
 * VCPUOP_is_up gives -ENOENT. The vcpus-limit scenario gives it vcpus= values the
 * builder must refuse (it then builds one vCPU) and the limit itself.
 */
#include "guest.h"
#include "smp.h"
#include <public/errno.h>
#include <public/vcpu.h>

const char test_title[] = "vcpus: the domain has the vCPUs its builder said";

#define IDS_PAST_COUNT 9u       /* ids looked at past the count: beyond MAX_VCPUS (8) */

static const char *test_vcpu_count(char *why, size_t len)
{
    unsigned int built = (unsigned int)guest_option_num("built", 1);
    const char *asked = guest_option("vcpus");
    int asked_len = 0;
    while (asked && asked[asked_len] && asked[asked_len] != ' ')
        asked_len++;
    printk("# vcpus=%.*s asked, %u expected\n", asked_len, asked ? asked : "", built);
    for (unsigned int v = 0; v < built + IDS_PAST_COUNT; v++) {
        int64_t want = v == 0 ? 1 : v < built ? 0 : -XEN_ENOENT;
        int64_t rc = vcpu_op(VCPUOP_is_up, v, NULL);
        if (rc != want)
            return fail(why, len, "VCPUOP_is_up(%u) = %lld, want %lld (%u vCPUs)", v, (long long)rc, (long long)want,
                        built);
    }
    return NULL;
}

DEFINE_TESTS({ "vcpu_count_as_built", test_vcpu_count })
