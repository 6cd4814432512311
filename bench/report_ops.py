"""The operations the benchmark times, by name: the groups their names put them in (batch
series, cross-domain, pvguest kernel, floor, cross-CPU) and what each one is. The report's
tables, charts and goals and bench/check.py tell figures apart by these."""

# Figures whose single-domain op has a per-update / per-entry series over batch sizes.
BATCH_OPS = ["mmu_update", "mmu_update_unmap", "multicall_update_va_mapping", "multicall_xen_version"]
XDOM_PREFIX = "xdom_"
# pvguest's kernel-level figures (pvguest/kernel/bench/bench.c, env=native|pv): their own section.
KERNEL_PREFIX = "kernel_"
# The floors of the hot paths (bench-floor.scn): their own section.
FLOOR_PREFIX = "floor_"

# Cross-CPU figures (bench-smp.scn, role=smp): each flush twice, vCPU 1 down (_alone) and
# spinning on the other CPU (_remote); the round trips between the two vCPUs.
SMP_FLUSHES = ["mmuext_tlb_flush_local", "mmuext_tlb_flush_all", "mmuext_invlpg_all",
               "update_va_mapping_invlpg_local", "update_va_mapping_invlpg_all"]
FLUSH_SUFFIXES = ("_alone", "_remote")
ROUNDTRIP_PREFIX = "evtchn_ipi_roundtrip_"


def is_smp_op(op):
    return op.startswith(ROUNDTRIP_PREFIX) or any(op == b + sfx for b in SMP_FLUSHES for sfx in FLUSH_SUFFIXES)


DESCRIPTIONS = {
    "rdtsc_overhead": "two back-to-back rdtsc around an empty call: the timer's own cost, included in every figure",
    "xen_version": "xen_version(XENVER_version): the cheapest hypercall round trip",
    "console_io_write_16": "console_io(CONSOLEIO_write) of 16 bytes (a line of the log)",
    "memory_op_current_reservation": "memory_op(XENMEM_current_reservation, DOMID_SELF)",
    "sched_yield_alone": "sched_op(SCHEDOP_yield) with no other domain to run",
    "mmu_update": "mmu_update of n PTEs in one call, mapping existing frames read-only into empty PTEs; per update",
    "mmu_update_unmap": "mmu_update of n PTEs in one call, clearing those mappings; per update",
    "update_va_mapping": "update_va_mapping of one empty PTE (UVMF_NONE), the hypercall on its own",
    "multicall_update_va_mapping": "a multicall of n update_va_mapping (UVMF_NONE) into empty PTEs; per update",
    "ptwr_store": "a plain 8-byte store into an empty PTE through its read-only mapping: #PF, decoded, validated "
                  "and emulated by the hypervisor (writable page tables); read back",
    "ptwr_store_unmap": "the same store clearing that PTE",
    "multicall_xen_version": "a multicall of n xen_version(XENVER_version) entries; per entry",
    "mmuext_pin_l1": "mmuext MMUEXT_PIN_L1_TABLE of a zeroed, unmapped frame (validates 512 empty entries)",
    "mmuext_unpin_l1": "mmuext MMUEXT_UNPIN_TABLE of that L1",
    "mmuext_pin_l2": "mmuext MMUEXT_PIN_L2_TABLE of the same zeroed frame (512 empty entries)",
    "mmuext_unpin_l2": "mmuext MMUEXT_UNPIN_TABLE of that L2",
    "mmuext_pin_l3": "mmuext MMUEXT_PIN_L3_TABLE of the same zeroed frame (512 empty entries)",
    "mmuext_unpin_l3": "mmuext MMUEXT_UNPIN_TABLE of that L3",
    "mmuext_pin_l4": "mmuext MMUEXT_PIN_L4_TABLE of the same zeroed frame (its guest entries empty; the "
                     "hypervisor's own slots filled in)",
    "mmuext_unpin_l4": "mmuext MMUEXT_UNPIN_TABLE of that L4",
    "mmuext_new_baseptr": "mmuext MMUEXT_NEW_BASEPTR reloading the current L4 (a full TLB flush)",
    "mmuext_tlb_flush_local": "mmuext MMUEXT_TLB_FLUSH_LOCAL",
    "mmuext_invlpg_local": "mmuext MMUEXT_INVLPG_LOCAL of one address",
    "trap_int3": "int3 bounced to the guest's #BP handler and back with HYPERVISOR_iret",
    "trap_ud2": "ud2 bounced to the guest's #UD handler and back with HYPERVISOR_iret",
    "trap_privileged_cr3_write": "mov %rax,%cr3 in the guest kernel: #GP into the hypervisor, then see path",
    "hcall_new_baseptr": "MMUEXT_NEW_BASEPTR: the hypercall with the effect of that cr3 write",
    "trap_privileged_cr0_read": "mov %cr0,%rdx in the guest kernel: #GP into the hypervisor, then see path",
    "forced_cpuid": "ud2; .ascii \"xen\"; cpuid of leaf 0x40000000: #UD into the hypervisor, its CPUID view",
    "trap_privileged_cli": "cli in the guest kernel: #GP into the hypervisor, then see path",
    "upcall_mask_write": "a store of 1 to vcpu_info.evtchn_upcall_mask: cli's effect with no trap at all",
    "trap_io_port_read": "inl from 0xCFC (PCI configuration data) as dom0 with IOPL 1: #GP, emulated, real config read",
    "grant_map_unmap": "grant_table_op: map a self-grant (GNTMAP_host_map at a VA), then unmap it: two hypercalls",
    "grant_copy_4k": "grant_table_op(GNTTABOP_copy) of 4 KiB from a self-grant into a frame of our own",
    "evtchn_send_masked": "event_channel_op(EVTCHNOP_send) to our own IPI port, upcalls masked (sets pending bits only)",
    "evtchn_send_self_upcall": "EVTCHNOP_send to our own IPI port, unmasked: send until the upcall handler has run and returned",
    "mmuext_tlb_flush_all_alone": "MMUEXT_TLB_FLUSH_ALL with the domain's vCPU 1 down (nothing remote to flush)",
    "mmuext_tlb_flush_all_remote": "MMUEXT_TLB_FLUSH_ALL with vCPU 1 running on the other CPU: a shootdown",
    "mmuext_invlpg_all_remote": "MMUEXT_INVLPG_ALL with vCPU 1 running on the other CPU: a shootdown of one page",
    "update_va_mapping_invlpg_all_remote": "update_va_mapping into an empty PTE, UVMF_INVLPG|UVMF_ALL, vCPU 1 running "
                                           "on the other CPU",
    "update_va_mapping_invlpg_local_remote": "the same with UVMF_INVLPG|UVMF_LOCAL: no shootdown",
    "evtchn_ipi_roundtrip_cross_cpu_poll": "vCPU 0 sends to vCPU 1 (on the other CPU, in SCHEDOP_poll), which "
                                           "answers; until the answer's upcall ran on vCPU 0",
    "evtchn_ipi_roundtrip_cross_cpu_block_upcall": "the same with vCPU 1 in SCHEDOP_block, taking the event as an "
                                                   "upcall",
    "xdom_evtchn_pingpong_poll": "interdomain round trip, both sides block in SCHEDOP_poll (2 sends, 2 block/wake domain switches)",
    "xdom_evtchn_pingpong_yield": "interdomain round trip, both sides spin with SCHEDOP_yield on the pending bit (2 sends, 2 yields)",
    "xdom_evtchn_pingpong_block_upcall": "interdomain round trip, both sides SCHEDOP_block and take the event as an upcall",
    "ring_round_trip_xdom": "one request and its response between two domUs over a granted ring (pvdrivers/ring.c), "
                            "an event channel send each way, both sides waiting in SCHEDOP_poll",
    "xenstore_read": "a domU's xenstore READ over its store ring, served by pvguest dom0's xenstored",
    "xenstore_write": "a domU's xenstore WRITE (the value changes each time) over its store ring",
    "xenstore_watch_fire": "a WRITE under one of the domU's watches until the WATCH_EVENT is in",
    "floor_syscall": "the floor of a hypercall: SYSCALL into a hypervisor path that does nothing and SYSRETs back "
                     "(bench-floor build only)",
    "floor_exception": "the floor of a trap: int $n to a gate that is a bare iretq, no bounce (bench-floor build only)",
    "floor_tlb_flush": "a TLB flush alone: the SYSCALL floor with a CR3 reload (bench-floor build only)",
}
