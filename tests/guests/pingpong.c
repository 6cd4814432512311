/*
 * Ping-pong: two domains bounce an event back and forth over an interdomain
 * channel. role=pong offers port 1 to peer=<domid>; role=ping binds to it
 * and starts. rounds=<n> round trips (default 10000); none may be lost.
 * Meanwhile %fs holds a selector whose descriptor has a non-zero base: every
 * switch to the peer and back must keep that base.
 */
#include "events.h"
#include "guest.h"
#include "hypercall.h"
#include "mm.h"
#include <public/errno.h>

const char test_title[] = "pingpong: interdomain event round trips";

/* GDT entry 1 (selector 0x0b): a flat DPL-3 data segment whose base is FS_BASE. */
#define FS_BASE 0x1000ull
static uint64_t gdt_page[512] __attribute__((aligned(4096)));
static volatile uint64_t fs_marker = 0x5eed5eed5eed5eedull;

static int64_t load_fs_with_base(void)
{
    uint64_t mfn = virt_to_mfn(gdt_page);
    static xen_pfn_t frames[1];
    gdt_page[1] = 0x00cff2000000ffffull | (FS_BASE & 0xffffff) << 16 | (FS_BASE >> 24) << 56;
    frames[0] = mfn;
    int64_t rc = hypercall3(__HYPERVISOR_update_va_mapping, (uint64_t)gdt_page, mfn * PAGE_SIZE | PTE_P | PTE_U | PTE_A,
                            UVMF_INVLPG);
    if (rc || (rc = hypercall2(__HYPERVISOR_set_gdt, frames, 512)))
        return rc;
    __asm__ volatile("mov %0, %%fs" :: "r"((uint16_t)0x0b));
    return 0;
}

/* Reads fs_marker through %fs: right only while the segment's base is still FS_BASE. */
static uint64_t read_marker_via_fs(void)
{
    uint64_t v;
    __asm__ volatile("mov %%fs:(%1), %0" : "=r"(v) : "r"((uint64_t)&fs_marker - FS_BASE));
    return v;
}

static const char *test_round_trips(char *why, size_t len)
{
    int64_t rc0;
    domid_t peer = events_init_for_peer(why, len);
    if (peer == DOMID_INVALID)
        return why;
    if ((rc0 = load_fs_with_base()))
        return fail(why, len, "setting up %%fs with base %#llx: %lld", FS_BASE, (long long)rc0);
    unsigned long rounds = guest_option_num("rounds", 10000), done = 0;
    unsigned int port;
    int64_t rc;

    if (guest_option_is("role", "ping")) {
        if ((rc = evtchn_connect(peer, &port)))
            return fail(why, len, "binding to a port of %u: %lld", peer, (long long)rc);
        for (; done < rounds; done++) {
            evtchn_send(port);
            if (poll_port(port, 0))
                break;
            port_clear(port);
        }
    } else {
        if ((rc = evtchn_offer(peer, &port)))
            return fail(why, len, "alloc_unbound: %lld", (long long)rc);
        for (; done < rounds; done++) {
            if (poll_port(port, 0))
                break;
            port_clear(port);
            evtchn_send(port);
        }
    }
    printk("# %lu of %lu round trips\n", done, rounds);
    uint64_t seen = read_marker_via_fs();
    __asm__ volatile("mov %0, %%fs" :: "r"((uint16_t)0));
    if (seen != fs_marker)
        return fail(why, len, "%%fs lost its descriptor's base across switches: read %#llx", (unsigned long long)seen);
    return done == rounds ? NULL : fail(why, len, "only %lu of %lu round trips", done, rounds);
}

DEFINE_TESTS({ "round_trips", test_round_trips })
