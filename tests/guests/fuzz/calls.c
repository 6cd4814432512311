/*
 * The fuzzer's hypercalls: for each number, arguments built from the
 * boundary values of args.c, with the few rules that keep the fuzzer alive
 * (no shutdown of itself, no new base pointer it cannot run on, nothing the
 * hypervisor writes into its live kernel, every handler it depends on put
 * back afterwards: fuzz.c does that from the call's flags).
 */
#include "fuzz.h"
#include "guest.h"
#include "mm.h"
#include "events.h"
#include "exceptions.h"
#include <public/callback.h>
#include <public/domctl.h>
#include <public/errno.h>
#include <public/event_channel.h>
#include <public/memory.h>
#include <public/sched.h>
#include <public/vcpu.h>
#include <public/version.h>

#define MAX_DEPTH 2

typedef void gen_fn(struct fuzz_call *c, unsigned int depth);

/* Random contents for a structure nobody needs to be valid. */
static void *rand_buf(uint64_t bytes)
{
    uint64_t *p = arena_alloc(bytes);
    for (uint64_t i = 0; i < bytes / 8; i++)
        p[i] = chance(2) ? rand_word() : 0;
    return p;
}

static void gen_raw(struct fuzz_call *c, unsigned int depth)
{
    (void)depth;
    for (int i = 0; i < 5; i++)
        c->a[i] = chance(3) ? maybe_bad(rand_buf(256)) : rand_word();
}

/*
 * Sometimes a count larger than the array (a[1]): the array then moves to
 * the end of the arena, so what the hypervisor reads past it is the guard,
 * never another of our buffers read as requests. Top level only: there is
 * one tail.
 */
static void past_the_end(struct fuzz_call *c, unsigned int depth, const void *array, uint64_t bytes)
{
    if (depth || !chance(8) || (c->a[0] != (uint64_t)array))
        return;
    void *t = arena_tail(array, bytes);
    if (!t)
        return;
    c->a[0] = (uint64_t)t;
    c->a[1] = rand_count();
}

static void gen_mmu_update(struct fuzz_call *c, unsigned int depth)
{
    (void)depth;
    unsigned int n = 1 + (unsigned int)rnd(8);
    struct mmu_update *u = arena_alloc(n * sizeof(*u));
    for (unsigned int i = 0; i < n; i++) {
        unsigned int cmd = (unsigned int)rnd(4);
        if (cmd == MMU_MACHPHYS_UPDATE) {
            u[i].ptr = rand_mfn(MF_ALL) << 12 | cmd;
            u[i].val = chance(2) ? rnd(start_info->nr_pages + 16) : rand_word();
        } else {
            unsigned int level;
            u[i].ptr = rand_pte_ptr(&level) | cmd;
            u[i].val = rand_pte(level ? level : 2 + (unsigned int)rnd(3), MF_ALL);
        }
    }
    c->d[0] = u[0].ptr;
    c->d[1] = u[0].val;
    c->a[0] = maybe_bad(u);
    c->a[1] = n;
    past_the_end(c, depth, u, n * sizeof(*u));
    c->a[2] = chance(3) ? maybe_bad(arena_alloc(8)) : 0;
    c->a[3] = chance(6) ? rand_domid() | (chance(2) ? rand_domid() << 16 : 0) : DOMID_SELF;
}

/* Frames for each mmuext command: what it may touch without killing us. */
static uint64_t mmuext_mfn(unsigned int cmd)
{
    switch (cmd) {
    case MMUEXT_NEW_BASEPTR:
        /*
         * Only frames that cannot validate as an L4 other than ours: our
         * kernel's (all mapped or typed), bogus ones. Not "any frame": frames
         * from increase_reservation are ours, zero, and would validate.
         */
        return chance(2) ? fm.l4_mfn : rand_mfn(MF_OWN | MF_SPECIAL);
    case MMUEXT_CLEAR_PAGE:
    case MMUEXT_COPY_PAGE:
        return rand_safe_mfn(MF_TRASH | MF_OWN_PT | MF_BAD, MF_OWN_PT);
    default:
        return rand_mfn(chance(2) ? MF_TRASH : MF_ALL);
    }
}

static void gen_mmuext_op(struct fuzz_call *c, unsigned int depth)
{
    (void)depth;
    unsigned int n = 1 + (unsigned int)rnd(6);
    struct mmuext_op *op = arena_alloc(n * sizeof(*op));
    for (unsigned int i = 0; i < n; i++) {
        unsigned int cmd = chance(16) ? (unsigned int)rand_word() : (unsigned int)rnd(22);
        op[i].cmd = cmd;
        switch (cmd) {
        case MMUEXT_INVLPG_LOCAL: case MMUEXT_INVLPG_MULTI: case MMUEXT_INVLPG_ALL: case MMUEXT_SET_LDT:
            op[i].arg1.linear_addr = rand_va();
            break;
        default:
            op[i].arg1.mfn = mmuext_mfn(cmd);
            break;
        }
        switch (cmd) {
        case MMUEXT_TLB_FLUSH_MULTI: case MMUEXT_INVLPG_MULTI:
            op[i].arg2.vcpumask = chance(2) ? bad_ptr() : (uint64_t)rand_buf(8);
            break;
        case MMUEXT_COPY_PAGE:     /* a copy of a live table of ours, pinned, would alias our kernel */
            op[i].arg2.src_mfn = rand_safe_mfn(MF_ALL, 0);
            break;
        default:
            op[i].arg2.src_mfn = chance(2) ? rand_count() : 0;
            break;
        }
    }
    c->d[0] = op[0].cmd;
    c->d[1] = op[0].arg1.mfn;
    c->a[0] = maybe_bad(op);
    c->a[1] = n;
    past_the_end(c, depth, op, n * sizeof(*op));
    c->a[2] = chance(3) ? maybe_bad(arena_alloc(8)) : 0;
    c->a[3] = chance(6) ? rand_domid() : DOMID_SELF;
}

static void gen_update_va_mapping(struct fuzz_call *c, unsigned int depth)
{
    (void)depth;
    c->a[0] = rand_va();
    c->a[1] = rand_pte(1, MF_ALL);
    c->a[2] = chance(4) ? rand_word() : rnd(8);     /* flush type, ALL/LOCAL, or a cpumask pointer */
    if (c->nr == __HYPERVISOR_update_va_mapping_otherdomain)
        c->a[3] = rand_domid();
}

static void gen_memory_op(struct fuzz_call *c, unsigned int depth)
{
    (void)depth;
    static const unsigned int cmds[] = { XENMEM_increase_reservation, XENMEM_decrease_reservation,
                                         XENMEM_populate_physmap, XENMEM_exchange, XENMEM_maximum_ram_page,
                                         XENMEM_current_reservation, XENMEM_maximum_reservation,
                                         XENMEM_maximum_gpfn, XENMEM_machphys_mfn_list, XENMEM_machphys_mapping,
                                         XENMEM_add_to_physmap, XENMEM_memory_map, XENMEM_machine_memory_map,
                                         XENMEM_set_memory_map, XENMEM_remove_from_physmap };
    uint64_t cmd = chance(10) ? rnd(64) : cmds[rnd(ARRAY_SIZE(cmds))];
    if (chance(10))
        cmd |= rnd64() << 6;                /* a continuation's start extent */
    /* avoid=decrease: no giving back at all (a frame still mapped somewhere trips the known bug). */
    if ((fuzz_avoid & AVOID_DECREASE) &&
        ((cmd & 0x3f) == XENMEM_decrease_reservation || (cmd & 0x3f) == XENMEM_exchange))
        cmd = XENMEM_increase_reservation;
    unsigned int nr = (unsigned int)(chance(4) ? rand_count() : rnd(8));
    unsigned int listed = nr < 64 ? nr : 64;
    xen_pfn_t *list = arena_alloc(64 * sizeof(xen_pfn_t));
    unsigned int classes = MF_ALL;
    for (unsigned int i = 0; i < listed; i++)
        list[i] = chance(4) ? rnd(start_info->nr_pages + 64) : rand_mfn(classes);
    struct xen_memory_reservation *r = arena_alloc(2 * sizeof(*r) + 16);
    for (int k = 0; k < 2; k++) {
        r[k].extent_start = maybe_bad(list);
        r[k].nr_extents = chance(8) ? rand_count() : nr;
        r[k].extent_order = (uint32_t)(chance(3) ? rnd(3) : chance(2) ? rnd(64) : rand_word());
        r[k].mem_flags = (uint32_t)(chance(4) ? rand_word() : 0);
        r[k].domid = (domid_t)(chance(4) ? rand_domid() : DOMID_SELF);
    }
    c->d[0] = cmd;
    c->d[1] = list[0];
    c->a[0] = cmd;
    switch (cmd & 0x3f) {
    case XENMEM_maximum_ram_page:
        c->a[1] = chance(2) ? 0 : rand_word();
        break;
    case XENMEM_current_reservation: case XENMEM_maximum_reservation: case XENMEM_maximum_gpfn: {
        domid_t *d = arena_alloc(8);
        *d = (domid_t)rand_domid();
        c->a[1] = maybe_bad(d);
        break;
    }
    case XENMEM_machphys_mapping: case XENMEM_memory_map: case XENMEM_machine_memory_map:
    case XENMEM_machphys_mfn_list: case XENMEM_set_memory_map: case XENMEM_add_to_physmap:
    case XENMEM_remove_from_physmap: {
        uint64_t *s = rand_buf(64);
        s[0] = chance(2) ? rand_count() : 8;
        s[1] = maybe_bad(arena_alloc(512));
        c->a[1] = maybe_bad(s);
        break;
    }
    default:
        c->a[1] = maybe_bad(r);
        break;
    }
}

/* One event-channel operation's structure (cmd decides the layout; the fields are all small). */
static void *evtchn_arg(unsigned int cmd)
{
    uint32_t *w = arena_alloc(32);
    for (int i = 0; i < 8; i++)
        w[i] = (uint32_t)(chance(2) ? rand_port() : rand_word());
    switch (cmd) {
    case EVTCHNOP_alloc_unbound:
        w[0] = (uint32_t)(rand_domid() & 0xffff) | (uint32_t)(rand_domid() << 16);
        break;
    case EVTCHNOP_bind_interdomain: case EVTCHNOP_status: case EVTCHNOP_reset:
        w[0] = (uint32_t)rand_domid();
        w[1] = (uint32_t)rand_port();
        break;
    case EVTCHNOP_bind_virq:
        w[0] = (uint32_t)(chance(4) ? rand_word() : rnd(32));
        w[1] = (uint32_t)rand_vcpu();
        break;
    case EVTCHNOP_bind_ipi:
        w[0] = (uint32_t)rand_vcpu();
        break;
    case EVTCHNOP_bind_vcpu:
        w[0] = (uint32_t)rand_port();
        w[1] = (uint32_t)rand_vcpu();
        break;
    default:
        w[0] = (uint32_t)rand_port();
        break;
    }
    return w;
}

static void gen_event_channel_op(struct fuzz_call *c, unsigned int depth)
{
    (void)depth;
    unsigned int cmd = (unsigned int)(chance(10) ? rand_word() : rnd(16));
    void *arg = evtchn_arg(cmd);
    c->d[0] = cmd;
    c->d[1] = *(uint64_t *)arg;
    if (c->nr == __HYPERVISOR_event_channel_op_compat) {
        uint32_t *op = arena_alloc(32);
        op[0] = cmd;
        memcpy(op + 1, arg, 24);
        c->a[0] = maybe_bad(op);
    } else {
        c->a[0] = cmd;
        c->a[1] = maybe_bad(arg);
    }
}

static void gen_multicall(struct fuzz_call *c, unsigned int depth)
{
    unsigned int want = 1 + (unsigned int)rnd(6), n = 0;
    struct multicall_entry *e = arena_alloc(want * sizeof(*e));
    /* Each entry starts with room for at least one more: the arena never runs out. */
    for (; n < want && arena_room() >= 2 * ARENA_PER_CALL; n++) {
        struct fuzz_call sub = { 0 };
        gen_call(&sub, depth + 1);
        e[n].op = sub.nr;
        for (int k = 0; k < 5; k++)
            e[n].args[k] = sub.a[k];
        e[n].args[5] = rand_word();
        c->flags |= sub.flags;
    }
    c->d[0] = e[0].op;
    c->d[1] = e[0].args[0];
    c->a[0] = maybe_bad(e);
    c->a[1] = n;
    past_the_end(c, depth, e, n * sizeof(*e));
    c->flags |= POST_TRAPS | POST_CALLBACKS;
}

/*
 * A multicall may be continued (the guest re-enters it after a preemption):
 * on that way back our upcall handler takes the wake event fuzz.c made
 * pending, and a later block in the batch would sleep for ever. So no block
 * inside a multicall, and polls there always time out soon.
 */
static void gen_sched_op(struct fuzz_call *c, unsigned int depth)
{
    unsigned int cmd = (unsigned int)(chance(10) ? rand_word() : rnd(9));
    if (depth && cmd == SCHEDOP_block)
        cmd = SCHEDOP_yield;
    c->a[0] = cmd;
    switch (cmd) {
    case SCHEDOP_shutdown:                  /* only as the last act */
        c->a[0] = SCHEDOP_yield;
        break;
    case SCHEDOP_block:
        c->flags |= PRE_WAKE;
        break;
    case SCHEDOP_poll: {
        struct sched_poll *p = arena_alloc(sizeof(*p));
        uint32_t *ports = arena_alloc(130 * 4);
        unsigned int n = 1 + (unsigned int)rnd(4);
        for (unsigned int i = 0; i < 130; i++)
            ports[i] = (uint32_t)rand_port();
        p->ports = maybe_bad(ports);
        p->nr_ports = (uint32_t)(chance(6) ? rand_count() : n);
        p->timeout = rand_deadline();
        /* A timeout too far away (or none) is only safe with an event already pending. */
        if (depth && (p->timeout == 0 || p->timeout > pvclock_now() + 2000000))
            p->timeout = pvclock_now() + rnd(2000000);
        if (p->timeout == 0 || p->timeout > pvclock_now() + 2000000) {
            if (p->nr_ports == 0)
                p->nr_ports = n;
            fuzz_wake_slot(&ports[0]);
            c->flags |= PRE_WAKE;
        }
        c->d[0] = p->nr_ports;
        c->d[1] = p->timeout;
        /* Not a readable bad pointer: a poll read from junk could sleep for ever (no ports, no timeout). */
        c->a[1] = chance(10) ? unmapped_ptr() : (uint64_t)p;
        return;
    }
    case SCHEDOP_remote_shutdown: {
        struct sched_remote_shutdown *r = arena_alloc(sizeof(*r));
        r->domain_id = (domid_t)rand_domid();
        r->reason = (uint32_t)rnd(8);
        /* A privileged fuzzer would stop itself or the others: it names no domain that exists. */
        if (fm.privileged)
            r->domain_id = (domid_t)(DOMID_SELF + 1 + rnd(15));
        c->d[0] = r->domain_id;
        c->a[1] = fm.privileged && chance(10) ? unmapped_ptr() : fm.privileged ? (uint64_t)r : maybe_bad(r);
        return;
    }
    case SCHEDOP_watchdog: {
        /*
         * No arming for less than a minute: the watchdog would shut the
         * fuzzer down (at once for id 0 with timeout 0, as on Xen) before
         * fuzz.c destroys it after the call, or after the multicall it is in.
         * Timeout 0 stays for the destroys.
         */
        struct sched_watchdog *w = arena_alloc(sizeof(*w));
        w->id = (uint32_t)(chance(4) ? rand_word() : rnd(4));
        w->timeout = (uint32_t)(chance(3) ? 0 : rand_word());
        if (w->timeout < 60 && (w->timeout || w->id == 0))
            w->timeout += 60;
        c->d[0] = w->id;
        c->d[1] = w->timeout;
        c->a[1] = maybe_bad(w);
        c->flags |= POST_WATCHDOG;
        return;
    }
    default:
        break;
    }
    c->a[1] = maybe_bad(rand_buf(16));
}

static void gen_sched_op_compat(struct fuzz_call *c, unsigned int depth)
{
    uint64_t cmd = chance(4) ? rand_word() : rnd(4);
    if ((uint32_t)cmd == SCHEDOP_shutdown || (depth && (uint32_t)cmd == SCHEDOP_block))
        cmd = SCHEDOP_yield;                    /* the hypervisor reads an unsigned int */
    if ((uint32_t)cmd == SCHEDOP_block)
        c->flags |= PRE_WAKE;
    c->a[0] = cmd;
    c->a[1] = rand_word();
}

static void gen_vcpu_op(struct fuzz_call *c, unsigned int depth)
{
    (void)depth;
    unsigned int cmd = (unsigned int)(chance(10) ? rand_word() : rnd(16));
    uint64_t vcpu = rand_vcpu();
    uint64_t *arg = rand_buf(64);
    switch (cmd) {
    case VCPUOP_down:                       /* our only vCPU: nobody could bring it back */
        if (vcpu == 0)
            vcpu = 1 + rnd(40);
        break;
    case VCPUOP_set_singleshot_timer:
        arg[0] = rand_deadline();
        arg[1] = rnd(4);
        break;
    case VCPUOP_set_periodic_timer:
        arg[0] = chance(2) ? rnd(2000000) : rand_word();
        break;
    case VCPUOP_register_runstate_memory_area:
    case VCPUOP_register_vcpu_time_memory_area:
        /* The hypervisor writes there from now on: the sink page, or memory it must refuse. */
        arg[0] = chance(2) ? SCR_SINK + rnd(PAGE_SIZE) : bad_ptr();
        break;
    case VCPUOP_register_vcpu_info:
        /* Moving vcpu_info away from shared_info would hide our upcall mask: only refusals. */
        arg[0] = chance(2) ? rand_mfn(MF_BAD) : rand_mfn(MF_ALL);
        arg[1] = chance(2) ? PAGE_SIZE - 63 + rnd(64) : rand_word() | PAGE_SIZE;
        break;
    default:
        break;
    }
    c->d[0] = cmd;
    c->d[1] = arg[0];
    c->a[0] = cmd;
    c->a[1] = vcpu;
    c->a[2] = maybe_bad(arg);
}

static void gen_set_timer_op(struct fuzz_call *c, unsigned int depth)
{
    (void)depth;
    c->a[0] = rand_deadline();
}

static void gen_console_io(struct fuzz_call *c, unsigned int depth)
{
    (void)depth;
    /* Whole lines only, or bytes that cannot be read: the console must stay parseable. */
    static const char text[] = "# fuzz: console_io\n";
    unsigned int cmd = (unsigned int)(chance(8) ? rand_word() : rnd(2));
    c->a[0] = cmd;
    if (cmd == CONSOLEIO_write && !chance(4)) {
        char *buf = arena_alloc(sizeof(text));
        memcpy(buf, text, sizeof(text));
        c->a[1] = chance(2) ? 0 : sizeof(text) - 1;
        c->a[2] = (uint64_t)buf;
    } else if (cmd == CONSOLEIO_write) {
        c->a[1] = rand_count();
        c->a[2] = unmapped_ptr();
    } else {
        c->a[1] = rand_count();
        c->a[2] = chance(2) ? bad_ptr() : (uint64_t)arena_alloc(4096);
        if (c->a[1] > 4096 && c->a[2] >= SCR_ARENA_VA && c->a[2] < SCR_END)
            c->a[1] = 4096 + rnd(SCR_ARENA);  /* runs from scratch into the guard, never into the kernel */
    }
}

static void gen_xen_version(struct fuzz_call *c, unsigned int depth)
{
    (void)depth;
    c->a[0] = chance(6) ? rand_word() : rnd(12);
    c->a[1] = chance(4) ? bad_ptr() : (uint64_t)arena_alloc(1100);
}

static void gen_set_trap_table(struct fuzz_call *c, unsigned int depth)
{
    (void)depth;
    unsigned int n = (unsigned int)rnd(6);
    struct trap_info *t = arena_alloc((n + 1) * sizeof(*t));
    for (unsigned int i = 0; i < n; i++) {
        t[i].vector = (uint8_t)rnd(256);
        t[i].flags = (uint8_t)rnd(256);
        t[i].cs = (uint16_t)(chance(2) ? FLAT_KERNEL_CS : rnd(1u << 16));
        /* Vector 2 is the NMI callback: a pending NMI is delivered on the way back. */
        t[i].address = t[i].vector == 2 ? (uint64_t)event_entry : rand_word();
    }
    c->d[0] = n ? t[0].vector : 0;
    c->d[1] = n ? t[0].address : 0;
    c->a[0] = chance(8) ? 0 : maybe_bad(t);
    c->flags |= POST_TRAPS;
}

/*
 * Where the hypervisor may send us: an upcall or NMI can arrive on the way
 * back from the very call that registered it (or later in the same
 * multicall), before fuzz.c puts ours back, so only our own entry points are
 * registered for events, failsafe and NMI (trap vector 2). The other types
 * run in user mode, which the fuzzer never enters: any value.
 */

static void gen_set_callbacks(struct fuzz_call *c, unsigned int depth)
{
    (void)depth;
    c->a[0] = (uint64_t)event_entry;
    c->a[1] = (uint64_t)fuzz_failsafe;
    c->a[2] = rand_word();
    c->flags |= POST_CALLBACKS;
}

static void gen_callback_op(struct fuzz_call *c, unsigned int depth)
{
    (void)depth;
    uint64_t *cb = rand_buf(16);
    uint64_t type = chance(4) ? rand_word() : rnd(9);
    cb[0] = (type & 0xffff) | (chance(2) ? rnd(4) << 16 : 0);
    switch (type & 0xffff) {
    case CALLBACKTYPE_event: case CALLBACKTYPE_nmi:   /* an NMI frame is an upcall's frame */
        cb[1] = (uint64_t)event_entry;
        break;
    case CALLBACKTYPE_failsafe:
        cb[1] = (uint64_t)fuzz_failsafe;
        break;
    default:
        cb[1] = rand_word();
        break;
    }
    c->d[0] = cb[0];
    c->d[1] = cb[1];
    c->a[0] = chance(6) ? rand_word() : rnd(2);
    c->a[1] = maybe_bad(cb);
    c->flags |= POST_CALLBACKS;
}

static void gen_nmi_op(struct fuzz_call *c, unsigned int depth)
{
    (void)depth;
    c->a[0] = rnd(3);
    c->a[1] = (uint64_t)event_entry;
    c->flags |= POST_CALLBACKS;
}

static void gen_set_gdt(struct fuzz_call *c, unsigned int depth)
{
    (void)depth;
    unsigned int n = 1 + (unsigned int)rnd(16);
    uint64_t *frames = arena_alloc(16 * 8);
    for (unsigned int i = 0; i < n; i++)
        frames[i] = rand_mfn(chance(8) ? MF_ALL : MF_TRASH | MF_BAD);
    static const uint64_t entries[] = { 0, 1, 511, 512, 513, 4096, 7167, 7168, 8192, 65536, ~0ull };
    c->d[0] = frames[0];
    c->a[0] = maybe_bad(frames);
    c->a[1] = chance(2) ? rnd(n * 512 + 1) : entries[rnd(ARRAY_SIZE(entries))];
}

/* Descriptors: code/data of every DPL and type, system types (call gates among them), or junk. */
static uint64_t rand_descriptor(void)
{
    if (chance(4))
        return rand_word();
    uint64_t base = chance(2) ? 0 : rnd64(), limit = chance(2) ? 0xfffff : rnd(1u << 20);
    uint64_t type = rnd(16), s = chance(4) ? 0 : 1, dpl = rnd(4), p = chance(8) ? 0 : 1;
    uint64_t flags = rnd(16);           /* AVL, L, D/B, G */
    return (limit & 0xffff) | (base & 0xffffff) << 16 | type << 40 | s << 44 | dpl << 45 | p << 47 |
           (limit >> 16 & 0xf) << 48 | flags << 52 | (base >> 24 & 0xff) << 56;
}

static void gen_update_descriptor(struct fuzz_call *c, unsigned int depth)
{
    (void)depth;
    /* Our kernel's frames are writable pages: a descriptor would land in our code. */
    c->a[0] = rand_safe_mfn(MF_TRASH | MF_OWN_PT | MF_BAD, MF_OWN_PT) << 12 | (chance(8) ? rnd(4096) : rnd(512) * 8);
    c->a[1] = rand_descriptor();
}

static void gen_stack_switch(struct fuzz_call *c, unsigned int depth)
{
    (void)depth;
    c->a[0] = chance(2) ? FLAT_KERNEL_SS : rnd(1u << 16);
    c->a[1] = rand_word();
}

static void gen_set_segment_base(struct fuzz_call *c, unsigned int depth)
{
    (void)depth;
    c->a[0] = chance(8) ? rand_word() : rnd(5);
    c->a[1] = c->a[0] == SEGBASE_GS_USER_SEL ? rnd(1u << 16) : rand_word();
}

static void gen_fpu_taskswitch(struct fuzz_call *c, unsigned int depth)
{
    (void)depth;
    c->a[0] = chance(4) ? rand_word() : rnd(2);
}

static void gen_vm_assist(struct fuzz_call *c, unsigned int depth)
{
    (void)depth;
    c->a[0] = chance(4) ? rand_word() : rnd(3);
    c->a[1] = chance(4) ? rand_word() : rnd(40);
}

static void gen_set_debugreg(struct fuzz_call *c, unsigned int depth)
{
    (void)depth;
    c->a[0] = chance(4) ? rand_word() : rnd(8);
    c->a[1] = rand_word();
    if (c->a[0] == 7)
        c->a[1] &= ~0xffull;    /* no breakpoint enabled: a #DB would take control away */
}

static void gen_domctl(struct fuzz_call *c, unsigned int depth)
{
    (void)depth;
    struct pv_domctl *op = rand_buf(sizeof(*op));
    op->cmd = (uint32_t)(chance(6) ? rand_word() : rnd(6));   /* not the toolstack commands (6 up): creating and destroying domains is the toolstack test's */
    op->interface_version = chance(6) ? (uint32_t)rand_word() : PV_DOMCTL_INTERFACE_VERSION;
    op->domain = (domid_t)rand_domid();
    if (chance(2))
        memset(op->_pad0, 0, sizeof(op->_pad0));
    c->flags |= POST_SCHED;             /* a bad pointer may read as setschedparams too */
    c->d[0] = op->cmd;
    c->d[1] = op->domain;
    c->a[0] = maybe_bad(op);
}

/* Control flow: HYPERVISOR_iret back to ourselves (fuzz.c), with random flags. */
static void gen_iret(struct fuzz_call *c, unsigned int depth)
{
    (void)depth;
    /* No TF (#DB), DF (our C code) or AC (#AC): NT, IOPL, VM, VIF, VIP, ID must be sanitised. */
    static const uint64_t bits[] = { 0x1, 0x4, 0x10, 0x40, 0x80, 0x200, 0x800, 0x3000, 0x4000,
                                     0x10000, 0x20000, 0x80000, 0x100000, 0x200000, 1ull << 40 };
    uint64_t rflags = 0x2;
    for (unsigned int i = 0; i < ARRAY_SIZE(bits); i++)
        if (chance(4))
            rflags |= bits[i];
    c->a[0] = rflags;
    c->a[1] = chance(2) ? VGCF_in_syscall : rand_word() & ~0x100ull;
    c->flags |= CALL_IRET;
}

static void gen_grant_table_op(struct fuzz_call *c, unsigned int depth)
{
    gen_raw(c, depth);
    c->a[0] = chance(4) ? rand_word() : rnd(14);
    c->a[2] = rand_count();
}

static gen_fn *const gens[64] = {
    [__HYPERVISOR_set_trap_table] = gen_set_trap_table,
    [__HYPERVISOR_mmu_update] = gen_mmu_update,
    [__HYPERVISOR_set_gdt] = gen_set_gdt,
    [__HYPERVISOR_stack_switch] = gen_stack_switch,
    [__HYPERVISOR_set_callbacks] = gen_set_callbacks,
    [__HYPERVISOR_fpu_taskswitch] = gen_fpu_taskswitch,
    [__HYPERVISOR_sched_op_compat] = gen_sched_op_compat,
    [__HYPERVISOR_set_debugreg] = gen_set_debugreg,
    [__HYPERVISOR_update_descriptor] = gen_update_descriptor,
    [__HYPERVISOR_memory_op] = gen_memory_op,
    [__HYPERVISOR_multicall] = gen_multicall,
    [__HYPERVISOR_update_va_mapping] = gen_update_va_mapping,
    [__HYPERVISOR_set_timer_op] = gen_set_timer_op,
    [__HYPERVISOR_event_channel_op_compat] = gen_event_channel_op,
    [__HYPERVISOR_console_io] = gen_console_io,
    [__HYPERVISOR_grant_table_op] = gen_grant_table_op,
    [__HYPERVISOR_vm_assist] = gen_vm_assist,
    [__HYPERVISOR_update_va_mapping_otherdomain] = gen_update_va_mapping,
    [__HYPERVISOR_iret] = gen_iret,
    [__HYPERVISOR_vcpu_op] = gen_vcpu_op,
    [__HYPERVISOR_set_segment_base] = gen_set_segment_base,
    [__HYPERVISOR_mmuext_op] = gen_mmuext_op,
    [__HYPERVISOR_nmi_op] = gen_nmi_op,
    [__HYPERVISOR_sched_op] = gen_sched_op,
    [__HYPERVISOR_callback_op] = gen_callback_op,
    [__HYPERVISOR_event_channel_op] = gen_event_channel_op,
    [__HYPERVISOR_xen_version] = gen_xen_version,
    [__HYPERVISOR_domctl] = gen_domctl,
};

/* The hypercalls guests make most, and the ones with the most state behind them, come up more often. */
static const uint8_t favourites[] = {
    __HYPERVISOR_mmu_update, __HYPERVISOR_mmu_update, __HYPERVISOR_mmu_update, __HYPERVISOR_mmuext_op,
    __HYPERVISOR_mmuext_op, __HYPERVISOR_mmuext_op, __HYPERVISOR_update_va_mapping,
    __HYPERVISOR_update_va_mapping, __HYPERVISOR_memory_op, __HYPERVISOR_memory_op, __HYPERVISOR_multicall,
    __HYPERVISOR_event_channel_op, __HYPERVISOR_event_channel_op, __HYPERVISOR_sched_op, __HYPERVISOR_vcpu_op,
    __HYPERVISOR_set_gdt, __HYPERVISOR_update_descriptor,
};

void gen_call(struct fuzz_call *c, unsigned int depth)
{
    uint64_t r = rnd(100);
    if (r < 50)
        c->nr = favourites[rnd(ARRAY_SIZE(favourites))];
    else if (r < 92)
        c->nr = rnd(64);
    else if (r < 98)
        c->nr = 64 + rnd(64);
    else
        c->nr = rand_word() | 128;
    /* Inside a multicall: no iret, no nesting past MAX_DEPTH. */
    if (depth && (c->nr == __HYPERVISOR_iret || (c->nr == __HYPERVISOR_multicall && depth >= MAX_DEPTH)))
        c->nr = __HYPERVISOR_xen_version;
    gen_fn *fn = c->nr < 64 && gens[c->nr] ? gens[c->nr] : gen_raw;
    fn(c, depth);
}

const char *hypercall_name(uint64_t nr)
{
    static const char *const names[] = {
        "set_trap_table", "mmu_update", "set_gdt", "stack_switch", "set_callbacks", "fpu_taskswitch",
        "sched_op_compat", "platform_op", "set_debugreg", "get_debugreg", "update_descriptor", "11",
        "memory_op", "multicall", "update_va_mapping", "set_timer_op", "event_channel_op_compat",
        "xen_version", "console_io", "physdev_op_compat", "grant_table_op", "vm_assist",
        "update_va_mapping_otherdomain", "iret", "vcpu_op", "set_segment_base", "mmuext_op", "xsm_op",
        "nmi_op", "sched_op", "callback_op", "xenoprof_op", "event_channel_op", "physdev_op", "hvm_op",
        "sysctl", "domctl", "kexec_op", "tmem_op", "argo_op", "xenpmu_op", "dm_op", "hypfs_op",
    };
    if (nr < ARRAY_SIZE(names))
        return names[nr];
    if (nr >= 48 && nr < 56)
        return "arch";
    return nr < 64 ? "unused" : nr < 128 ? "64-127" : "huge";
}

/* Numbers no Xen has (beyond arch_7) must say -ENOSYS. */
const char *check_result(const struct fuzz_call *c, int64_t res)
{
    if (c->nr >= 56 && res != -XEN_ENOSYS)
        return "an unimplemented hypercall did not return -ENOSYS";
    if (!fm.privileged && c->nr == __HYPERVISOR_domctl && res != -XEN_EPERM)
        return "domctl from an unprivileged domain was not refused with -EPERM";
    if (!fm.privileged && c->nr == __HYPERVISOR_sched_op && c->a[0] == SCHEDOP_remote_shutdown && res >= 0)
        return "remote_shutdown from an unprivileged domain succeeded";
    return NULL;
}
