/*
 * RDMSR and WRMSR from a PV guest kernel: the MSRs Xen 4.17 lets a PV
 * guest read or write, with the values it shows (docs/xen-pv-behaviour-notes.md
 * §"Privileged instructions"). Everything else is #GP(0).
 */
#include <public/errno.h>
#include <public/xen.h>
#include <hv/hypercall.h>
#include <asm/cpu.h>
#include <asm/pv.h>
#include "emulate.h"

#define MSR_IA32_TSC            0x00000010u
#define MSR_IA32_UCODE_REV      0x0000008bu
#define MSR_IA32_MISC_ENABLE    0x000001a0u
#define MSR_IA32_PAT            0x00000277u

/* MISC_ENABLE as Xen shows it: no perfmon, no MONITOR, no BTS/PEBS, xTPR off. */
#define MISC_ENABLE_PERF_AVAIL      (1ull << 7)
#define MISC_ENABLE_BTS_UNAVAIL     (1ull << 11)
#define MISC_ENABLE_PEBS_UNAVAIL    (1ull << 12)
#define MISC_ENABLE_MONITOR         (1ull << 18)
#define MISC_ENABLE_XTPR_DISABLE    (1ull << 23)

/* The EFER bits a 64-bit PV guest sees (Xen hides unknown bits and SVME). */
#define EFER_LMA    (1ull << 10)
#define EFER_FFXSE  (1ull << 14)
#define EFER_GUEST_VISIBLE (EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE | EFER_FFXSE)

static uint64_t guest_misc_enable(void)
{
    uint64_t v = rdmsr(MSR_IA32_MISC_ENABLE) & ~(MISC_ENABLE_PERF_AVAIL | MISC_ENABLE_MONITOR);
    return v | MISC_ENABLE_BTS_UNAVAIL | MISC_ENABLE_PEBS_UNAVAIL | MISC_ENABLE_XTPR_DISABLE;
}

static uint64_t guest_efer(void)
{
    return rdmsr(MSR_EFER) & EFER_GUEST_VISIBLE;
}

int pv_msr_read(const struct vcpu *v, uint32_t msr, uint64_t *val)
{
    switch (msr) {
    case MSR_FS_BASE:
        *val = v->arch.fs_base;
        return 0;
    case MSR_GS_BASE:
        *val = v->arch.gs_base_kernel;
        return 0;
    case MSR_SHADOW_GS_BASE:
        *val = v->arch.gs_base_user;
        return 0;
    case MSR_EFER:
        *val = guest_efer();
        return 0;
    case MSR_IA32_TSC:
        *val = rdtsc();
        return 0;
    case MSR_TSC_AUX:
        *val = v->arch.tsc_aux;
        return 0;
    case MSR_IA32_MISC_ENABLE:
        *val = guest_misc_enable();
        return 0;
    case MSR_APIC_BASE:                 /* the host's values, as Xen passes them on */
    case MSR_IA32_UCODE_REV:
    case MSR_IA32_PAT:
        *val = rdmsr(msr);
        return 0;
    default:
        return -XEN_EPERM;
    }
}

int pv_msr_write(struct vcpu *v, uint32_t msr, uint64_t val)
{
    switch (msr) {
    case MSR_FS_BASE:
        return do_set_segment_base(SEGBASE_FS, val) ? -XEN_EPERM : 0;
    case MSR_GS_BASE:
        return do_set_segment_base(SEGBASE_GS_KERNEL, val) ? -XEN_EPERM : 0;
    case MSR_SHADOW_GS_BASE:
        return do_set_segment_base(SEGBASE_GS_USER, val) ? -XEN_EPERM : 0;
    case MSR_EFER:
        return val == guest_efer() ? 0 : -XEN_EPERM;   /* only the value it already has */
    case MSR_TSC_AUX:
        if (val >> 32)
            return -XEN_EPERM;
        v->arch.tsc_aux = (uint32_t)val;
        pv_load_cpu_state(v);
        return 0;
    case MSR_IA32_MISC_ENABLE:
        return val == guest_misc_enable() ? 0 : -XEN_EPERM;
    default:
        return -XEN_EPERM;
    }
}
