/* The hypercall table: one entry per implemented number, typed handlers behind it. */
#include <hv/grant_table.h>
#include <hv/hypercall.h>
#include <public/errno.h>

/* Five scalar arguments: they stay in the registers they came in from the entry code to the handler. */
#define HC_PARAMS   uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5
#define HC_UNUSED   (void)a1, (void)a2, (void)a3, (void)a4, (void)a5

/* Narrow each argument register to the handler's parameter type, as Xen's ABI does. */
#define HC0(n) static int64_t hc_##n(HC_PARAMS) { HC_UNUSED; return do_##n(); }
#define HC1(n, t1) static int64_t hc_##n(HC_PARAMS) { HC_UNUSED; return do_##n((t1)a1); }
#define HC2(n, t1, t2) static int64_t hc_##n(HC_PARAMS) { HC_UNUSED; return do_##n((t1)a1, (t2)a2); }
#define HC3(n, t1, t2, t3) \
    static int64_t hc_##n(HC_PARAMS) { HC_UNUSED; return do_##n((t1)a1, (t2)a2, (t3)a3); }
#define HC4(n, t1, t2, t3, t4) \
    static int64_t hc_##n(HC_PARAMS) { HC_UNUSED; return do_##n((t1)a1, (t2)a2, (t3)a3, (t4)a4); }

HC1(set_trap_table, uint64_t)
HC2(set_gdt, uint64_t, unsigned int)
HC2(stack_switch, uint64_t, uint64_t)
HC3(set_callbacks, uint64_t, uint64_t, uint64_t)
HC1(fpu_taskswitch, unsigned int)
HC2(set_debugreg, unsigned int, uint64_t)
HC1(get_debugreg, unsigned int)
HC2(sched_op_compat, unsigned int, uint64_t)
HC2(update_descriptor, uint64_t, uint64_t)
HC3(console_io, unsigned int, uint64_t, uint64_t)
HC2(xen_version, unsigned int, uint64_t)
HC2(vm_assist, unsigned int, unsigned int)
HC0(iret)
HC2(set_segment_base, unsigned int, uint64_t)
HC2(sched_op, unsigned int, uint64_t)
HC2(callback_op, unsigned int, uint64_t)
HC1(domctl, uint64_t)
HC2(physdev_op, unsigned int, uint64_t)
HC2(event_channel_op, unsigned int, uint64_t)
HC1(event_channel_op_compat, uint64_t)
HC3(vcpu_op, unsigned int, unsigned int, uint64_t)
HC1(set_timer_op, uint64_t)
HC3(grant_table_op, unsigned int, uint64_t, unsigned int)
HC2(multicall, uint64_t, unsigned int)
HC2(memory_op, uint64_t, uint64_t)
HC4(mmu_update, uint64_t, unsigned int, uint64_t, unsigned int)
HC4(mmuext_op, uint64_t, unsigned int, uint64_t, unsigned int)
HC3(update_va_mapping, uint64_t, uint64_t, uint64_t)
HC4(update_va_mapping_otherdomain, uint64_t, uint64_t, uint64_t, unsigned int)

const hypercall_entry_t hypercall_table[NR_HYPERCALL_ENTRIES] = {
    [__HYPERVISOR_set_trap_table] = hc_set_trap_table,
    [__HYPERVISOR_set_gdt] = hc_set_gdt,
    [__HYPERVISOR_stack_switch] = hc_stack_switch,
    [__HYPERVISOR_set_callbacks] = hc_set_callbacks,
    [__HYPERVISOR_fpu_taskswitch] = hc_fpu_taskswitch,
    [__HYPERVISOR_set_debugreg] = hc_set_debugreg,
    [__HYPERVISOR_get_debugreg] = hc_get_debugreg,
    [__HYPERVISOR_sched_op_compat] = hc_sched_op_compat,
    [__HYPERVISOR_update_descriptor] = hc_update_descriptor,
    [__HYPERVISOR_console_io] = hc_console_io,
    [__HYPERVISOR_xen_version] = hc_xen_version,
    [__HYPERVISOR_vm_assist] = hc_vm_assist,
    [__HYPERVISOR_iret] = hc_iret,
    [__HYPERVISOR_set_segment_base] = hc_set_segment_base,
    [__HYPERVISOR_sched_op] = hc_sched_op,
    [__HYPERVISOR_callback_op] = hc_callback_op,
    [__HYPERVISOR_domctl] = hc_domctl,
    [__HYPERVISOR_physdev_op] = hc_physdev_op,
    [__HYPERVISOR_event_channel_op] = hc_event_channel_op,
    [__HYPERVISOR_event_channel_op_compat] = hc_event_channel_op_compat,
    [__HYPERVISOR_vcpu_op] = hc_vcpu_op,
    [__HYPERVISOR_set_timer_op] = hc_set_timer_op,
    [__HYPERVISOR_grant_table_op] = hc_grant_table_op,
    [__HYPERVISOR_multicall] = hc_multicall,
    [__HYPERVISOR_memory_op] = hc_memory_op,
    [__HYPERVISOR_mmu_update] = hc_mmu_update,
    [__HYPERVISOR_mmuext_op] = hc_mmuext_op,
    [__HYPERVISOR_update_va_mapping] = hc_update_va_mapping,
    [__HYPERVISOR_update_va_mapping_otherdomain] = hc_update_va_mapping_otherdomain,
};
_Static_assert(NR_HYPERCALL_ENTRIES == ARRAY_SIZE(((struct domain *)0)->hypercalls), "a count per entry");
