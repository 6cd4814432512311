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

/*
 * Machine-check MSRs, as Xen 4.17's vMCE shows them to a PV guest: two banks
 * that never hold an error. Every MSR of the MCG, MCi_CTL2 and bank ranges
 * can be read (0 unless below) and written (ignored unless below);
 * MCG_EXT_CTL (0x4d0) is #GP, as there are no local machine checks (MCG_LMCE_P).
 */
#define MSR_MCG_CAP         0x00000179u
#define MSR_MCG_STATUS      0x0000017au
#define MSR_MCG_CTL         0x0000017bu
#define MSR_MC0_CTL2        0x00000280u
#define MSR_MC_LAST_CTL2    0x0000029fu
#define MSR_MC0_CTL         0x00000400u     /* bank i: CTL, STATUS, ADDR, MISC at 0x400 + 4i */
#define MSR_MC_LAST_MISC    0x0000047fu
#define MC_BANK_STATUS      1u              /* offset in a bank's four MSRs */
#define GUEST_MC_BANKS      2u
#define MCG_CMCI_P          (1ull << 10)
#define MCG_TES_P           (1ull << 11)
#define MCG_SER_P           (1ull << 24)

static bool host_is_intel(void)
{
    uint32_t a, b, c, d;
    cpuid(0, 0, &a, &b, &c, &d);
    return b == 0x756e6547u;                /* "Genu"ineIntel */
}

static uint64_t guest_mcg_cap(void)
{
    return host_is_intel() ? (MCG_SER_P | MCG_TES_P | MCG_CMCI_P | GUEST_MC_BANKS) : GUEST_MC_BANKS;
}

static bool is_mc_msr(uint32_t msr)
{
    return (msr >= MSR_MCG_CAP && msr <= MSR_MCG_CTL) || (msr >= MSR_MC0_CTL2 && msr <= MSR_MC_LAST_CTL2) ||
           (msr >= MSR_MC0_CTL && msr <= MSR_MC_LAST_MISC);
}

/* One of the guest's banks' CTL, STATUS, ADDR or MISC. */
static bool in_guest_bank(uint32_t msr)
{
    return msr >= MSR_MC0_CTL && msr < MSR_MC0_CTL + 4 * GUEST_MC_BANKS;
}

static bool in_guest_ctl2(uint32_t msr)
{
    return host_is_intel() && msr >= MSR_MC0_CTL2 && msr < MSR_MC0_CTL2 + GUEST_MC_BANKS;
}

static uint64_t mc_read(const struct vcpu *v, uint32_t msr)
{
    if (msr == MSR_MCG_CAP)
        return guest_mcg_cap();
    if (msr == MSR_MCG_STATUS)
        return v->arch.mcg_status;
    if (in_guest_bank(msr) && (msr - MSR_MC0_CTL) % 4 == 0)
        return ~0ull;                       /* MCi_CTL: every error type enabled */
    if (in_guest_ctl2(msr))
        return v->arch.mci_ctl2[msr - MSR_MC0_CTL2];
    return 0;
}

/* A bank's STATUS, ADDR and MISC take only 0 (there is never an error to clear). */
static int mc_write(struct vcpu *v, uint32_t msr, uint64_t val)
{
    if (msr == MSR_MCG_STATUS)
        v->arch.mcg_status = val;
    else if (in_guest_bank(msr) && (msr - MSR_MC0_CTL) % 4 >= MC_BANK_STATUS && val)
        return -XEN_EPERM;
    else if (in_guest_ctl2(msr))
        v->arch.mci_ctl2[msr - MSR_MC0_CTL2] = val;
    return 0;
}

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
        if (!is_mc_msr(msr))
            return -XEN_EPERM;
        *val = mc_read(v, msr);
        return 0;
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
        return is_mc_msr(msr) ? mc_write(v, msr, val) : -XEN_EPERM;
    }
}
