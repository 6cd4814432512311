/* Hypercall handlers (do_<name>) and the dispatcher that validates the number. */
#ifndef HV_HYPERCALL_H
#define HV_HYPERCALL_H

#include <hv/domain.h>

/* The table (common/hypercall.c): a typed handler behind each implemented number, NULL elsewhere. */
typedef int64_t (*hypercall_entry_t)(uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5);
#define NR_HYPERCALL_ENTRIES 64
extern const hypercall_entry_t hypercall_table[NR_HYPERCALL_ENTRIES];

/*
 * Runs hypercall nr for d's running vCPU with the guest's five argument
 * registers; an unknown number returns -XEN_ENOSYS. Every handler treats
 * its arguments as hostile: guest addresses go through copy_*_guest. The
 * number comes last, so the arguments are already where the handler wants
 * them. Inline: the entry code and multicall are its only callers.
 */
static inline int64_t hypercall_dispatch(struct domain *d, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
                                         uint64_t a5, uint64_t nr)
{
    if (nr >= NR_HYPERCALL_ENTRIES || !hypercall_table[nr])
        return -XEN_ENOSYS;
    d->hypercalls[nr]++;
    return hypercall_table[nr](a1, a2, a3, a4, a5);
}

int64_t do_console_io(unsigned int cmd, uint64_t count, uint64_t buf);
int64_t do_xen_version(unsigned int cmd, uint64_t arg);
int64_t do_sched_op(unsigned int cmd, uint64_t arg);
int64_t do_sched_op_compat(unsigned int cmd, uint64_t arg);
int64_t do_vm_assist(unsigned int cmd, unsigned int type);
int64_t do_domctl(uint64_t op);
int64_t do_physdev_op(unsigned int cmd, uint64_t arg);
int64_t do_event_channel_op(unsigned int cmd, uint64_t arg);
int64_t do_event_channel_op_compat(uint64_t arg);
int64_t do_vcpu_op(unsigned int cmd, unsigned int vcpuid, uint64_t arg);
int64_t do_set_timer_op(uint64_t timeout);

/* vCPU timers at domain start (a 100 Hz periodic timer, as Xen gives PV vCPUs). */
void vcpu_timers_init(struct vcpu *v);
/*
 * Writes v's runstate to the copy it registered (VCPUOP_register_runstate_memory_area)
 * through the page tables loaded now, as Xen's update_runstate_area. Returns false
 * if v registered one and the write faulted.
 */
bool vcpu_runstate_update_guest(const struct vcpu *v);
int64_t do_multicall(uint64_t list, unsigned int nr);
int64_t do_memory_op(uint64_t cmd, uint64_t arg);
int64_t do_mmu_update(uint64_t reqs, unsigned int count, uint64_t done, unsigned int foreigndom);
int64_t do_mmuext_op(uint64_t ops, unsigned int count, uint64_t done, unsigned int foreigndom);
int64_t do_update_va_mapping(uint64_t va, uint64_t val, uint64_t flags);
int64_t do_update_va_mapping_otherdomain(uint64_t va, uint64_t val, uint64_t flags, unsigned int domid);

/* x86-64 PV CPU model (arch/x86_64/pv/). */
int64_t do_set_trap_table(uint64_t traps);
int64_t do_set_callbacks(uint64_t event, uint64_t failsafe, uint64_t syscall);
int64_t do_callback_op(unsigned int cmd, uint64_t arg);
int64_t do_iret(void);
int64_t do_stack_switch(uint64_t ss, uint64_t sp);
int64_t do_fpu_taskswitch(unsigned int set);
int64_t do_set_debugreg(unsigned int reg, uint64_t value);
int64_t do_get_debugreg(unsigned int reg);
int64_t do_set_segment_base(unsigned int which, uint64_t base);
int64_t do_set_gdt(uint64_t frames, unsigned int entries);
int64_t do_update_descriptor(uint64_t maddr, uint64_t desc);

#endif
