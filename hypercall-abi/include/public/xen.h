/*
 * Core guest ABI: hypercall numbers and calling convention, basic types,
 * page-table update calls, multicall, and the start_info / shared_info pages.
 */
#ifndef PUBLIC_XEN_H
#define PUBLIC_XEN_H

#include <stddef.h>
#include <stdint.h>

#include "arch-x86_64.h"

/*
 * Calling convention (64-bit PV guest kernel)
 *   Call hypercall_page + 32 * nr; the stub puts nr in rax and executes
 *   SYSCALL. Arguments in rdi, rsi, rdx, r10, r8 (at most five); the result
 *   comes back in rax: >= 0 success, -XEN_E* (errno.h) failure. The
 *   argument registers are clobbered; rcx and r11 are saved by the stub.
 *   Unknown or unavailable numbers return -ENOSYS. Only guest kernel mode
 *   may make hypercalls.
 * Pointers passed to hypercalls, and "guest handles" inside argument
 * structures, are guest virtual addresses stored as uint64_t. Where a call
 * takes a count, "done" outputs and per-entry status fields report partial
 * progress; the hypervisor may preempt a long call and resume it later, which
 * is invisible to the guest.
 * Error lists below name the XEN_E* codes Xen returns for each call's main
 * failure cases; XSM policies may add -EPERM/-EACCES anywhere.
 */

typedef uint16_t domid_t;       /* domain id; see DOMID_* for special ones */
typedef uint32_t evtchn_port_t; /* event channel port number */
typedef uint8_t  xen_domain_handle_t[16]; /* domain UUID */

/* Hypercall numbers (index into the hypercall page). */
#define __HYPERVISOR_set_trap_table                 0  /* arch-x86_64.h */
#define __HYPERVISOR_mmu_update                     1
#define __HYPERVISOR_set_gdt                        2
#define __HYPERVISOR_stack_switch                   3
#define __HYPERVISOR_set_callbacks                  4
#define __HYPERVISOR_fpu_taskswitch                 5
#define __HYPERVISOR_sched_op_compat                6  /* sched.h */
#define __HYPERVISOR_platform_op                    7  /* not provided */
#define __HYPERVISOR_set_debugreg                   8
#define __HYPERVISOR_get_debugreg                   9
#define __HYPERVISOR_update_descriptor             10
/* 11 is unused */
#define __HYPERVISOR_memory_op                     12  /* memory.h */
#define __HYPERVISOR_multicall                     13
#define __HYPERVISOR_update_va_mapping             14
#define __HYPERVISOR_set_timer_op                  15
#define __HYPERVISOR_event_channel_op_compat       16  /* event_channel.h */
#define __HYPERVISOR_xen_version                   17  /* version.h */
#define __HYPERVISOR_console_io                    18
#define __HYPERVISOR_physdev_op_compat             19  /* physdev.h */
#define __HYPERVISOR_grant_table_op                20  /* grant_table.h */
#define __HYPERVISOR_vm_assist                     21
#define __HYPERVISOR_update_va_mapping_otherdomain 22
#define __HYPERVISOR_iret                          23  /* arch-x86_64.h */
#define __HYPERVISOR_vcpu_op                       24  /* vcpu.h */
#define __HYPERVISOR_set_segment_base              25  /* arch-x86_64.h */
#define __HYPERVISOR_mmuext_op                     26
#define __HYPERVISOR_xsm_op                        27  /* not provided */
#define __HYPERVISOR_nmi_op                        28  /* not provided */
#define __HYPERVISOR_sched_op                      29  /* sched.h */
#define __HYPERVISOR_callback_op                   30  /* callback.h */
#define __HYPERVISOR_xenoprof_op                   31  /* not provided */
#define __HYPERVISOR_event_channel_op              32  /* event_channel.h */
#define __HYPERVISOR_physdev_op                    33  /* physdev.h */
#define __HYPERVISOR_hvm_op                        34  /* not provided */
#define __HYPERVISOR_sysctl                        35  /* toolstack */
#define __HYPERVISOR_domctl                        36  /* toolstack */
#define __HYPERVISOR_kexec_op                      37  /* not provided */
#define __HYPERVISOR_tmem_op                       38  /* not provided */
#define __HYPERVISOR_argo_op                       39  /* not provided */
#define __HYPERVISOR_xenpmu_op                     40  /* not provided */
#define __HYPERVISOR_dm_op                         41  /* not provided */
#define __HYPERVISOR_hypfs_op                      42  /* not provided */
#define __HYPERVISOR_arch_0                        48  /* x86: machine check */
#define __HYPERVISOR_arch_1                        49
#define __HYPERVISOR_arch_2                        50
#define __HYPERVISOR_arch_3                        51
#define __HYPERVISOR_arch_4                        52
#define __HYPERVISOR_arch_5                        53
#define __HYPERVISOR_arch_6                        54
#define __HYPERVISOR_arch_7                        55

/*
 * set_gdt(frames, entries)                             hypercall 2
 *   rdi  guest VA of xen_pfn_t[] holding the machine frames of the new GDT
 *   rsi  number of 8-byte entries, at most FIRST_RESERVED_GDT_ENTRY
 * Caller: PV guest kernel, for the calling vCPU. The frames must belong to
 * the caller, be mapped read-only and hold only acceptable descriptors.
 * Returns 0; -EINVAL (too many entries, frame not usable as a GDT page);
 * -EFAULT (frame list unreadable).
 *
 * stack_switch(ss, sp)                                 hypercall 3
 *   rdi  kernel stack selector (FLAT_KERNEL_SS), rsi  kernel stack pointer
 * Sets the stack the hypervisor switches to when delivering an event or
 * exception taken in guest user mode. Caller: PV guest kernel. Returns 0.
 *
 * set_callbacks(event, failsafe, syscall)              hypercall 4
 *   rdi  event upcall entry, rsi failsafe entry, rdx syscall entry (guest VAs)
 * Same as callback_op(CALLBACKOP_register) for CALLBACKTYPE_event, _failsafe
 * and _syscall with no flags. Caller: PV guest kernel. Returns 0.
 *
 * fpu_taskswitch(set)                                  hypercall 5
 *   rdi  nonzero sets the virtual CR0.TS (next FPU use raises #NM), 0 clears
 * Caller: PV guest kernel. Returns 0.
 *
 * set_debugreg(reg, value) / get_debugreg(reg)         hypercalls 8, 9
 *   rdi  debug register 0..7, rsi  new value (set only)
 * Caller: PV guest kernel, for the calling vCPU. set returns 0; -EPERM
 * (breakpoint address in the hypervisor range, DR7.GD, I/O breakpoints without
 * CR4.DE); -EINVAL (reserved upper bits in DR6/DR7); -ENODEV (no such
 * register). get returns the value, or -ENODEV.
 *
 * update_descriptor(maddr, desc)                       hypercall 10
 *   rdi  machine address of an 8-byte-aligned GDT/LDT slot in a caller-owned
 *        frame, rsi  the new descriptor
 * Caller: PV guest kernel. Returns 0 or -EINVAL (bad address, frame not
 * usable as a descriptor page, descriptor refused).
 *
 * set_timer_op(timeout)                                hypercall 15
 *   rdi  absolute system time in ns (vcpu_time_info scale); 0 cancels
 * Arms the calling vCPU's one-shot timer; VIRQ_TIMER fires at expiry (a time
 * already past fires at once). Caller: any guest kernel. Returns 0.
 *
 * console_io(cmd, count, buffer)                       hypercall 18
 *   rdi  CONSOLEIO_*, rsi  byte count, rdx  guest VA of the buffer
 * write: bytes to the hypervisor console (for unprivileged callers, where
 *        allowed, non-printable characters are dropped); returns 0.
 * read:  up to count bytes of console input; returns the number read.
 * Caller: privileged domains; others get -EPERM (Xen debug builds let any
 * domain write). Errors: -EFAULT (buffer), -ENOSYS (unknown cmd).
 */
#define CONSOLEIO_write 0
#define CONSOLEIO_read  1

/*
 * Virtual interrupts, bound to ports with EVTCHNOP_bind_virq. Per-vCPU ones
 * (P) bind once on each vCPU; global ones (G) bind once per domain, on vCPU 0,
 * and are usually only raised for dom0.
 */
#define VIRQ_TIMER      0  /* P: set_timer_op / singleshot timer expired */
#define VIRQ_DEBUG      1  /* P: request to dump debug state */
#define VIRQ_CONSOLE    2  /* G: hypervisor console input arrived */
#define VIRQ_DOM_EXC    3  /* G: some domain crashed or shut down */
#define VIRQ_TBUF       4  /* G: trace buffer records available */
#define VIRQ_DEBUGGER   6  /* G: a domain paused for the debugger */
#define VIRQ_XENOPROF   7  /* P: profiling sample */
#define VIRQ_CON_RING   8  /* G: hypervisor console ring has new output */
#define VIRQ_PCPU_STATE 9  /* G: physical CPU state changed */
#define VIRQ_MEM_EVENT  10 /* G: memory event */
#define VIRQ_ARGO       11 /* G: argo message */
#define VIRQ_ENOMEM     12 /* G: hypervisor low on heap */
#define VIRQ_XENPMU     13 /* P: PMU interrupt */
#define VIRQ_ARCH_0     16
#define VIRQ_ARCH_1     17
#define VIRQ_ARCH_2     18
#define VIRQ_ARCH_3     19
#define VIRQ_ARCH_4     20
#define VIRQ_ARCH_5     21
#define VIRQ_ARCH_6     22
#define VIRQ_ARCH_7     23
#define NR_VIRQS        24

/*
 * mmu_update(reqs, count, done, foreigndom)            hypercall 1
 *   rdi  guest VA of struct mmu_update[count]
 *   rsi  count
 *   rdx  guest VA of uint32_t, OUT: entries completed (0 = not wanted)
 *   r10  foreigndom: bits 15:0 owner of the frames being mapped (DOMID_SELF,
 *        DOMID_IO for I/O memory (checked per frame against the caller's
 *        own I/O-memory permission, as Xen), or a domain the caller controls);
 *        bits 31:16 owner of the page tables being edited, plus one (0: self)
 * Each request's ptr[1:0] selects an MMU_* sub-command. Requests run in
 * order and stop at the first failure.
 * Page-table rules: every frame used as a page table is mapped read-only
 * everywhere; tables are built bottom-up, pinned (MMUEXT_PIN_L4_TABLE) and
 * only then installed (MMUEXT_NEW_BASEPTR). A PTE's frame field holds a
 * machine frame number; PSE is not available (bit 7 in an L1 is PAT).
 * Caller: PV guest kernel; foreign owners need privilege over them.
 * Returns 0; -EINVAL (entry refused: wrong type, writable mapping of a page
 * table, frame not owned by the expected domain); -ENOSYS (unknown
 * sub-command); -EFAULT (array or done unreadable/unwritable); -ESRCH
 * (foreigndom does not exist); -EPERM (no privilege over foreigndom);
 * -ENOMEM.
 */
#define MMU_NORMAL_PT_UPDATE       0 /* ptr: machine address of a PTE; *ptr = val, validated */
#define MMU_MACHPHYS_UPDATE        1 /* ptr: machine address in a frame; its M2P entry = val */
#define MMU_PT_UPDATE_PRESERVE_AD  2 /* as NORMAL, keeping the PTE's A and D bits */
#define MMU_PT_UPDATE_NO_TRANSLATE 3 /* as NORMAL, val used untranslated */

struct mmu_update {
    uint64_t ptr;   /* IN: machine address | MMU_* in bits 1:0 */
    uint64_t val;   /* IN: new PTE, or PFN for MMU_MACHPHYS_UPDATE */
};
_Static_assert(sizeof(struct mmu_update) == 16, "mmu_update size");
_Static_assert(offsetof(struct mmu_update, val) == 8, "mmu_update.val");

/*
 * mmuext_op(ops, count, done, foreigndom)              hypercall 26
 *   rdi  guest VA of struct mmuext_op[count]
 *   rsi  count
 *   rdx  guest VA of uint32_t, OUT: ops completed (0 = not wanted)
 *   r10  foreigndom (bits 15:0): owner of the frames named by mfn, or DOMID_SELF
 * Caller: PV guest kernel; cache flushes need access to I/O memory, foreign
 * owners need privilege. Ops run in order and stop at the first failure.
 * Returns 0; -EINVAL (bad frame, type or reference count, e.g. pinning a table
 * that fails validation or unpinning an unpinned one); -ENOSYS (unknown cmd);
 * -EFAULT (array, done or vCPU mask unreadable); -ESRCH, -EPERM (foreigndom);
 * -EBUSY (type in use); -ENOMEM.
 */
#define MMUEXT_PIN_L1_TABLE        0 /* arg1.mfn: validate and pin as L1 */
#define MMUEXT_PIN_L2_TABLE        1 /* arg1.mfn: ... as L2 */
#define MMUEXT_PIN_L3_TABLE        2 /* arg1.mfn: ... as L3 */
#define MMUEXT_PIN_L4_TABLE        3 /* arg1.mfn: ... as L4 */
#define MMUEXT_UNPIN_TABLE         4 /* arg1.mfn: drop the pin */
#define MMUEXT_NEW_BASEPTR         5 /* arg1.mfn: load as kernel cr3 */
#define MMUEXT_TLB_FLUSH_LOCAL     6 /* flush this vCPU's TLB */
#define MMUEXT_INVLPG_LOCAL        7 /* arg1.linear_addr: flush one page here */
#define MMUEXT_TLB_FLUSH_MULTI     8 /* arg2.vcpumask: flush those vCPUs */
#define MMUEXT_INVLPG_MULTI        9 /* arg1.linear_addr on arg2.vcpumask */
#define MMUEXT_TLB_FLUSH_ALL      10 /* flush all vCPUs of the domain */
#define MMUEXT_INVLPG_ALL         11 /* arg1.linear_addr on all vCPUs */
#define MMUEXT_FLUSH_CACHE        12 /* write back and invalidate caches */
#define MMUEXT_SET_LDT            13 /* arg1.linear_addr (page aligned), arg2.nr_ents */
#define MMUEXT_NEW_USER_BASEPTR   15 /* arg1.mfn: load as user-mode cr3 */
#define MMUEXT_CLEAR_PAGE         16 /* arg1.mfn: zero a frame */
#define MMUEXT_COPY_PAGE          17 /* arg1.mfn = destination, arg2.src_mfn */
#define MMUEXT_FLUSH_CACHE_GLOBAL 18 /* as FLUSH_CACHE on every CPU */
#define MMUEXT_MARK_SUPER         19 /* superpages: no longer supported by Xen */
#define MMUEXT_UNMARK_SUPER       20 /* superpages: no longer supported by Xen */

struct mmuext_op {
    uint32_t cmd;               /* IN: MMUEXT_* */
    uint32_t _pad0;
    union {
        xen_pfn_t mfn;          /* IN: machine frame */
        uint64_t linear_addr;   /* IN: guest virtual address */
    } arg1;
    union {
        uint32_t nr_ents;       /* IN: LDT entries */
        uint64_t vcpumask;      /* IN: guest VA of a vCPU bitmap (uint64_t words) */
        xen_pfn_t src_mfn;      /* IN: source machine frame */
    } arg2;
};
_Static_assert(sizeof(struct mmuext_op) == 24, "mmuext_op size");
_Static_assert(offsetof(struct mmuext_op, arg1) == 8, "mmuext_op.arg1");
_Static_assert(offsetof(struct mmuext_op, arg2) == 16, "mmuext_op.arg2");

/*
 * update_va_mapping(va, pte, flags)                    hypercall 14
 *   rdi  guest virtual address whose L1 entry changes
 *   rsi  new PTE (machine frame | flags)
 *   rdx  UVMF_* flush type | UVMF_LOCAL/UVMF_ALL, or UVMF_MULTI | guest VA of
 *        a vCPU bitmap (the address is 8-byte aligned, so bits 2:0 are free)
 * Caller: PV guest kernel, on its current address space.
 * Returns 0; -EINVAL (va has no L1 the caller owns, PTE refused, bad flags);
 * -EFAULT (vCPU bitmap unreadable).
 *
 * update_va_mapping_otherdomain(va, pte, flags, domid) hypercall 22
 *   as above, r10 = domain owning the frame mapped by pte.
 * Caller: a domain with privilege over domid. Adds -ESRCH and -EPERM.
 */
#define UVMF_NONE           0x0 /* no flush */
#define UVMF_TLB_FLUSH      0x1 /* flush whole TLB(s) */
#define UVMF_INVLPG         0x2 /* flush va only */
#define UVMF_FLUSHTYPE_MASK 0x3
#define UVMF_MULTI          0x0 /* the vCPUs in the bitmap ORed into flags */
#define UVMF_LOCAL          0x0 /* this vCPU only (MULTI with no bitmap) */
#define UVMF_ALL            0x4 /* all vCPUs of the domain */

/*
 * vm_assist(cmd, type)                                 hypercall 21
 *   rdi  VMASST_CMD_*, rsi  VMASST_TYPE_*
 * Turns optional hypervisor behaviour on or off for the calling domain.
 * Caller: any guest kernel. Returns 0; -EINVAL (type unknown or not offered
 * to this guest type); -ENOSYS (unknown cmd).
 */
#define VMASST_CMD_enable                0
#define VMASST_CMD_disable               1
#define VMASST_TYPE_4gb_segments         0  /* 32-bit only */
#define VMASST_TYPE_4gb_segments_notify  1  /* 32-bit only */
#define VMASST_TYPE_writable_pagetables  2  /* trap-and-emulate direct L1 writes */
#define VMASST_TYPE_pae_extended_cr3     3  /* 32-bit PAE only */
#define VMASST_TYPE_architectural_iopl   4  /* iret/bounce frames carry real IOPL */
#define VMASST_TYPE_runstate_update_flag 5  /* XEN_RUNSTATE_UPDATE while updating */
#define VMASST_TYPE_m2p_strict           32 /* hide the M2P from user page tables */

/*
 * Reserved domain ids (never given to a real domain).
 * DOMID_SELF: "the caller" wherever a domid is taken. DOMID_IO: owner of I/O
 * memory (mmu_update foreigndom). DOMID_XEN: owner of hypervisor frames.
 * DOMID_COW: owner of shared copy-on-write frames. DOMID_INVALID: "no domain".
 * DOMID_ANY: "pick one"/wildcard (absent from Xen 4.17 headers). DOMID_IDLE: idle domain.
 */
#define DOMID_FIRST_RESERVED 0x7FF0u
#define DOMID_SELF           0x7FF0u
#define DOMID_IO             0x7FF1u
#define DOMID_XEN            0x7FF2u
#define DOMID_COW            0x7FF3u
#define DOMID_INVALID        0x7FF4u
#define DOMID_ANY            0x7FF5u
#define DOMID_IDLE           0x7FFFu
#define DOMID_MASK           0x7FFFu

/*
 * multicall(calls, nr)                                 hypercall 13
 *   rdi  guest VA of struct multicall_entry[nr], rsi  nr
 * Runs the calls in order; each call's rax lands in its entry's result and
 * does not stop the batch. A long call inside is continued as Xen does: its
 * entry's op and args are rewritten to say how to go on, and the multicall
 * resumes at that entry. An iret entry ends the batch there (nothing after it
 * runs and its result is not written), as in Xen. Caller: PV guest kernel.
 * Returns 0; -EFAULT (list unreadable or results unwritable); -EINVAL
 * (multicall nested inside a multicall).
 */
struct multicall_entry {
    xen_ulong_t op;       /* IN: hypercall number */
    xen_ulong_t result;   /* OUT: that call's return value */
    xen_ulong_t args[6];  /* IN: arguments 1..5 (args[5] is ignored) */
};
_Static_assert(sizeof(struct multicall_entry) == 64, "multicall_entry size");
_Static_assert(offsetof(struct multicall_entry, result) == 8, "multicall_entry.result");
_Static_assert(offsetof(struct multicall_entry, args) == 16, "multicall_entry.args");

/*
 * 2-level event channels: one pending and one mask bit per port in
 * shared_info, grouped in 64-bit words; a vCPU's evtchn_pending_sel has one
 * bit per word. 64 words x 64 bits = 4096 ports.
 */
#define EVTCHN_2L_NR_CHANNELS 4096
#define NR_EVENT_CHANNELS     EVTCHN_2L_NR_CHANNELS

/*
 * pvclock: per-vCPU time, written by the hypervisor.
 *   ns = system_time + scale(rdtsc() - tsc_timestamp), where scale(d) is
 *   ((d << tsc_shift) * tsc_to_system_mul) >> 32, shifting right instead when
 *   tsc_shift is negative; the product needs 96 bits.
 * version is odd while an update is in progress: read it, read the fields,
 * read it again and retry if it changed or was odd.
 */
struct vcpu_time_info {
    uint32_t version;
    uint32_t _pad0;
    uint64_t tsc_timestamp;     /* TSC at the last update */
    uint64_t system_time;       /* ns since boot at tsc_timestamp */
    uint32_t tsc_to_system_mul; /* 32.32 fixed-point TSC-to-ns factor */
    int8_t   tsc_shift;
    uint8_t  flags;             /* XEN_PVCLOCK_* */
    uint8_t  _pad1[2];
};
_Static_assert(sizeof(struct vcpu_time_info) == 32, "vcpu_time_info size");
_Static_assert(offsetof(struct vcpu_time_info, tsc_timestamp) == 8, "vcpu_time_info.tsc_timestamp");
_Static_assert(offsetof(struct vcpu_time_info, system_time) == 16, "vcpu_time_info.system_time");
_Static_assert(offsetof(struct vcpu_time_info, tsc_to_system_mul) == 24, "vcpu_time_info.tsc_to_system_mul");
_Static_assert(offsetof(struct vcpu_time_info, tsc_shift) == 28, "vcpu_time_info.tsc_shift");
_Static_assert(offsetof(struct vcpu_time_info, flags) == 29, "vcpu_time_info.flags");

#define XEN_PVCLOCK_TSC_STABLE_BIT (1 << 0) /* TSC is synchronised across CPUs */
#define XEN_PVCLOCK_GUEST_STOPPED  (1 << 1) /* guest was paused */

/*
 * Per-vCPU shared state. The hypervisor sets evtchn_upcall_pending (and bits
 * of evtchn_pending_sel) when an event arrives; the guest clears
 * upcall_pending before scanning. evtchn_upcall_mask is the vCPU's virtual
 * interrupt flag: nonzero means no upcalls. Only the vCPU itself and the
 * hypervisor on its behalf touch the mask, so no locked ops are needed for it.
 */
struct vcpu_info {
    uint8_t  evtchn_upcall_pending;
    uint8_t  evtchn_upcall_mask;
    uint8_t  _pad0[6];
    xen_ulong_t evtchn_pending_sel;  /* bit n: word n of evtchn_pending has news */
    struct arch_vcpu_info arch;
    struct vcpu_time_info time;
};
_Static_assert(sizeof(struct vcpu_info) == 64, "vcpu_info size");
_Static_assert(offsetof(struct vcpu_info, evtchn_upcall_mask) == 1, "vcpu_info.evtchn_upcall_mask");
_Static_assert(offsetof(struct vcpu_info, evtchn_pending_sel) == 8, "vcpu_info.evtchn_pending_sel");
_Static_assert(offsetof(struct vcpu_info, arch) == 16, "vcpu_info.arch");
_Static_assert(offsetof(struct vcpu_info, time) == 32, "vcpu_info.time");

/* Deprecated name of XEN_LEGACY_MAX_VCPUS. */
#define MAX_VIRT_CPUS XEN_LEGACY_MAX_VCPUS

/*
 * The shared info page, one per domain, at the machine address given in
 * start_info.shared_info (the guest maps it itself). Guests must not assume
 * its size beyond the fields below.
 *   evtchn_pending: set by the hypervisor, cleared by the guest.
 *   evtchn_mask:    set/cleared by the guest only; a masked port still
 *                   becomes pending but raises no upcall.
 *   wc_*:           wall-clock time (Unix epoch) at system time 0, versioned
 *                   like vcpu_time_info; seconds = wc_sec_hi:wc_sec.
 */
struct shared_info {
    struct vcpu_info vcpu_info[XEN_LEGACY_MAX_VCPUS];
    xen_ulong_t evtchn_pending[64];
    xen_ulong_t evtchn_mask[64];
    uint32_t wc_version;
    uint32_t wc_sec;
    uint32_t wc_nsec;
    uint32_t wc_sec_hi;
    struct arch_shared_info arch;
};
_Static_assert(sizeof(struct shared_info) == 3136, "shared_info size");
_Static_assert(offsetof(struct shared_info, evtchn_pending) == 2048, "shared_info.evtchn_pending");
_Static_assert(offsetof(struct shared_info, evtchn_mask) == 2560, "shared_info.evtchn_mask");
_Static_assert(offsetof(struct shared_info, wc_version) == 3072, "shared_info.wc_version");
_Static_assert(offsetof(struct shared_info, wc_sec) == 3076, "shared_info.wc_sec");
_Static_assert(offsetof(struct shared_info, wc_nsec) == 3080, "shared_info.wc_nsec");
_Static_assert(offsetof(struct shared_info, wc_sec_hi) == 3084, "shared_info.wc_sec_hi");
_Static_assert(offsetof(struct shared_info, arch) == 3088, "shared_info.arch");

/*
 * start_info: built by the domain builder, its address passed in rsi at the
 * guest entry point. Initial virtual layout, from the kernel's base upwards,
 * each part 4 KiB aligned: kernel image, initrd (mod_start), P2M list
 * (mfn_list), this page, xenstore ring page, console ring page (not dom0),
 * bootstrap page tables (pt_base; cr3; mapped read-only), stack (rsp). At
 * least 512 KiB of mapped padding follows and the region ends on a 4 MiB
 * boundary. All of it maps the first pseudo-physical frames 1:1.
 * Fields marked (boot) are valid at first boot only, not after resume.
 */
#define MAX_GUEST_CMDLINE 1024

struct start_info {
    uint8_t  magic[32];        /* "xen-<version>-<platform>", NUL-terminated */
    uint64_t nr_pages;         /* pages given to the domain */
    uint64_t shared_info;      /* machine address of the shared_info page */
    uint32_t flags;            /* SIF_* */
    uint32_t _pad0;
    xen_pfn_t store_mfn;       /* machine frame of the xenstore ring */
    evtchn_port_t store_evtchn;/* port to signal xenstored */
    uint32_t _pad1;
    union {
        struct {
            xen_pfn_t mfn;       /* machine frame of the console ring */
            evtchn_port_t evtchn;/* console port */
            uint32_t _pad0;
        } domU;
        struct {
            uint32_t info_off;   /* offset of dom0_vga_console_info in this page */
            uint32_t info_size;  /* its size */
        } dom0;
    } console;                 /* dom0 (SIF_INITDOMAIN) uses .dom0 */
    uint64_t pt_base;          /* (boot) VA of the top-level page table */
    uint64_t nr_pt_frames;     /* (boot) frames of bootstrap page tables */
    uint64_t mfn_list;         /* (boot) VA of the P2M array (xen_pfn_t per PFN) */
    uint64_t mod_start;        /* (boot) VA of the initrd, or its PFN with SIF_MOD_START_PFN */
    uint64_t mod_len;          /* (boot) initrd size in bytes */
    uint8_t  cmd_line[MAX_GUEST_CMDLINE]; /* (boot) NUL-terminated */
    uint64_t first_p2m_pfn;    /* (boot) first PFN of page tables built for the P2M */
    uint64_t nr_p2m_frames;    /* (boot) and how many */
};
_Static_assert(sizeof(struct start_info) == 1168, "start_info size");
_Static_assert(offsetof(struct start_info, nr_pages) == 32, "start_info.nr_pages");
_Static_assert(offsetof(struct start_info, shared_info) == 40, "start_info.shared_info");
_Static_assert(offsetof(struct start_info, flags) == 48, "start_info.flags");
_Static_assert(offsetof(struct start_info, store_mfn) == 56, "start_info.store_mfn");
_Static_assert(offsetof(struct start_info, store_evtchn) == 64, "start_info.store_evtchn");
_Static_assert(offsetof(struct start_info, console) == 72, "start_info.console");
_Static_assert(offsetof(struct start_info, console.domU.evtchn) == 80, "start_info.console.domU.evtchn");
_Static_assert(offsetof(struct start_info, console.dom0.info_size) == 76, "start_info.console.dom0.info_size");
_Static_assert(offsetof(struct start_info, pt_base) == 88, "start_info.pt_base");
_Static_assert(offsetof(struct start_info, nr_pt_frames) == 96, "start_info.nr_pt_frames");
_Static_assert(offsetof(struct start_info, mfn_list) == 104, "start_info.mfn_list");
_Static_assert(offsetof(struct start_info, mod_start) == 112, "start_info.mod_start");
_Static_assert(offsetof(struct start_info, mod_len) == 120, "start_info.mod_len");
_Static_assert(offsetof(struct start_info, cmd_line) == 128, "start_info.cmd_line");
_Static_assert(offsetof(struct start_info, first_p2m_pfn) == 1152, "start_info.first_p2m_pfn");
_Static_assert(offsetof(struct start_info, nr_p2m_frames) == 1160, "start_info.nr_p2m_frames");

/* start_info.flags */
#define SIF_PRIVILEGED      (1 << 0)    /* domain may use privileged operations */
#define SIF_INITDOMAIN      (1 << 1)    /* domain is dom0 */
#define SIF_MULTIBOOT_MOD   (1 << 2)    /* mod_start holds a xen_multiboot_mod_list package */
#define SIF_MOD_START_PFN   (1 << 3)    /* mod_start is a PFN, not a VA */
#define SIF_VIRT_P2M_4TOOLS (1 << 4)    /* tools understand the linear P2M */
#define SIF_PM_MASK         (0xFF << 8) /* reserved for power management */

/*
 * With SIF_MULTIBOOT_MOD the module starts with an array of these, ended by an
 * entry with mod_start == 0; addresses are offsets from the module's start.
 */
struct xen_multiboot_mod_list {
    uint32_t mod_start; /* first byte */
    uint32_t mod_end;   /* last byte (inclusive) */
    uint32_t cmdline;   /* NUL-terminated command line */
    uint32_t _pad;      /* must be zero */
};
_Static_assert(sizeof(struct xen_multiboot_mod_list) == 16, "xen_multiboot_mod_list size");
_Static_assert(offsetof(struct xen_multiboot_mod_list, cmdline) == 8, "xen_multiboot_mod_list.cmdline");

/* dom0's boot console, at start_info + console.dom0.info_off. */
#define XEN_VGATYPE_TEXT_MODE_3 0x03
#define XEN_VGATYPE_VESA_LFB    0x23
#define XEN_VGATYPE_EFI_LFB     0x70

struct dom0_vga_console_info {
    uint8_t video_type;         /* XEN_VGATYPE_* */
    uint8_t _pad0[3];
    union {
        struct {
            uint16_t font_height;   /* pixels */
            uint16_t cursor_x;      /* column */
            uint16_t cursor_y;      /* row */
            uint16_t rows;
            uint16_t columns;
        } text_mode_3;
        struct {
            uint16_t width;         /* pixels */
            uint16_t height;
            uint16_t bytes_per_line;
            uint16_t bits_per_pixel;
            uint32_t lfb_base;      /* frame buffer physical address, low 32 bits */
            uint32_t lfb_size;      /* in 64 KiB units */
            uint8_t  red_pos;       /* colour channel positions and widths */
            uint8_t  red_size;
            uint8_t  green_pos;
            uint8_t  green_size;
            uint8_t  blue_pos;
            uint8_t  blue_size;
            uint8_t  rsvd_pos;
            uint8_t  rsvd_size;
            uint32_t gbl_caps;      /* VBE capabilities */
            uint16_t mode_attrs;    /* VBE mode attributes */
            uint16_t _pad;
            uint32_t ext_lfb_base;  /* frame buffer address, high 32 bits */
        } vesa_lfb;
    } u;
};
_Static_assert(sizeof(struct dom0_vga_console_info) == 40, "dom0_vga_console_info size");
_Static_assert(offsetof(struct dom0_vga_console_info, u) == 4, "dom0_vga_console_info.u");
_Static_assert(offsetof(struct dom0_vga_console_info, u.vesa_lfb.lfb_base) == 12, "vesa_lfb.lfb_base");
_Static_assert(offsetof(struct dom0_vga_console_info, u.vesa_lfb.gbl_caps) == 28, "vesa_lfb.gbl_caps");
_Static_assert(offsetof(struct dom0_vga_console_info, u.vesa_lfb.ext_lfb_base) == 36, "vesa_lfb.ext_lfb_base");

#endif /* PUBLIC_XEN_H */
