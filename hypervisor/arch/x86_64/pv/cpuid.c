/*
 * The CPUID view a PV guest gets through the forced-emulation prefix, as
 * Xen 4.17 gives it: the host's leaves without what a PV guest cannot use
 * (or what this hypervisor does not virtualise), and the hypervisor leaves
 * from 0x40000000 with the Xen signature (public/arch-x86/cpuid.h in Xen).
 */
#include <hv/hypercall.h>
#include <public/version.h>
#include <asm/cpu.h>
#include <asm/mm.h>
#include "emulate.h"

#define BIT(n) (1u << (n))

/* Xen's hypervisor leaves (values from Xen's public arch-x86/cpuid.h). */
#define XEN_CPUID_FIRST_LEAF        0x40000000u
#define XEN_CPUID_LAST_LEAF         0x40000005u   /* Xen 4.17: five leaves after the first */
#define XEN_CPUID_SIGNATURE_EBX     0x566e6558u   /* "XenV" */
#define XEN_CPUID_SIGNATURE_ECX     0x65584d4du   /* "MMXe" */
#define XEN_CPUID_SIGNATURE_EDX     0x4d4d566eu   /* "nVMM" */
#define XEN_CPUID_MSR_BASE          0x40000000u   /* leaf 2: where the hypercall-page MSR would be */
#define XEN_CPUID_FEAT1_MMU_PT_UPDATE_PRESERVE_AD BIT(0)
#define XEN_CPUID_TIME_RDTSCP       BIT(2)        /* leaf 3, subleaf 0 */

/* Leaf 1 ECX and EDX. */
#define L1C_MONITOR  BIT(3)
#define L1C_DSCPL    BIT(4)
#define L1C_VMX      BIT(5)
#define L1C_SMX      BIT(6)
#define L1C_EST      BIT(7)
#define L1C_TM2      BIT(8)
#define L1C_SDBG     BIT(11)
#define L1C_PDCM     BIT(15)
#define L1C_PCID     BIT(17)
#define L1C_DCA      BIT(18)
#define L1C_X2APIC   BIT(21)
#define L1C_TSC_DEADLINE BIT(24)
#define L1C_XSAVE    BIT(26)      /* this hypervisor switches FPU state with FXSAVE only */
#define L1C_OSXSAVE  BIT(27)
#define L1C_HYPERVISOR BIT(31)
#define L1D_VME      BIT(1)
#define L1D_PSE      BIT(3)
#define L1D_SEP      BIT(11)
#define L1D_PGE      BIT(13)
#define L1D_PSE36    BIT(17)
#define L1D_DS       BIT(21)
#define L1D_ACPI     BIT(22)
#define L1D_TM       BIT(29)
#define L1D_PBE      BIT(31)

/* Leaf 7 subleaf 0 EBX and ECX. */
#define L7B_FSGSBASE BIT(0)       /* CR4.FSGSBASE is not offered (docs/differences-from-xen.md) */
#define L7B_TSC_ADJUST BIT(1)
#define L7B_SMEP     BIT(7)
#define L7B_INVPCID  BIT(10)
#define L7B_RTM      BIT(11)
#define L7B_PQM      BIT(12)
#define L7B_MPX      BIT(14)
#define L7B_PQE      BIT(15)
#define L7B_SMAP     BIT(20)
#define L7B_PCOMMIT  BIT(22)
#define L7B_PT       BIT(25)
#define L7C_UMIP     BIT(2)
#define L7C_PKU      BIT(3)
#define L7C_OSPKE    BIT(4)
#define L7C_WAITPKG  BIT(5)
#define L7C_LA57     BIT(16)
#define L7C_RDPID    BIT(22)
#define L7C_PKS      BIT(31)

/* Leaf 0x80000001 ECX and EDX. */
#define X1C_SVM      BIT(2)
#define X1C_EXTAPIC  BIT(3)
#define X1C_CR8_LEGACY BIT(4)
#define X1C_IBS      BIT(10)
#define X1C_SKINIT   BIT(12)
#define X1C_WDT      BIT(13)
#define X1C_LWP      BIT(15)
#define X1C_NODEID   BIT(19)
#define X1C_TOPOEXT  BIT(22)
#define X1C_MWAITX   BIT(29)
#define X1D_PAGE1GB  BIT(26)

#define XSAVE_LEAF   0xdu

static bool vendor_is_amd(void)
{
    uint32_t a, b, c, d;
    cpuid(0, 0, &a, &b, &c, &d);
    return b == 0x68747541u;            /* "Auth"enticAMD */
}

/* Address bits of the highest machine frame (Xen's leaf 5 EBX). */
static uint32_t machine_address_bits(void)
{
    uint64_t top = m2p_max_mfn();
    uint32_t bits = 0;
    while (top >> bits)
        bits++;
    return bits + PAGE_SHIFT;
}

static void hypervisor_leaf(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    switch (leaf - XEN_CPUID_FIRST_LEAF) {
    case 0:
        r[0] = XEN_CPUID_LAST_LEAF;
        r[1] = XEN_CPUID_SIGNATURE_EBX;
        r[2] = XEN_CPUID_SIGNATURE_ECX;
        r[3] = XEN_CPUID_SIGNATURE_EDX;
        break;
    case 1:
        r[0] = (uint32_t)do_xen_version(XENVER_version, 0);
        break;
    case 2:
        r[0] = 1;                       /* one hypercall page */
        r[1] = XEN_CPUID_MSR_BASE;
        r[2] = XEN_CPUID_FEAT1_MMU_PT_UPDATE_PRESERVE_AD;
        break;
    case 3: {                           /* time: only the features subleaf says anything for PV */
        uint32_t a, b, c, d;
        cpuid(0x80000001u, 0, &a, &b, &c, &d);
        if (sub == 0 && (d & BIT(27)))
            r[0] = XEN_CPUID_TIME_RDTSCP;
        break;
    }
    case 5:                             /* PV parameters */
        if (sub == 0)
            r[1] = machine_address_bits();
        break;
    default:                            /* 4 is HVM's; past 5 nothing */
        break;
    }
}

void pv_cpuid(const struct vcpu *v, uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    r[0] = r[1] = r[2] = r[3] = 0;
    if (leaf >= XEN_CPUID_FIRST_LEAF && leaf < XEN_CPUID_FIRST_LEAF + 0x10000u) {
        if (leaf <= XEN_CPUID_LAST_LEAF)
            hypervisor_leaf(leaf, sub, r);
        return;
    }
    uint32_t max[4];
    cpuid(leaf & 0x80000000u, 0, &max[0], &max[1], &max[2], &max[3]);
    if (leaf > max[0])
        return;
    cpuid(leaf, sub, &r[0], &r[1], &r[2], &r[3]);

    switch (leaf) {
    case 1:
        r[1] = (r[1] & 0x00ffffffu) | (v->id * 2) << 24;        /* APIC ID as Xen numbers vCPUs */
        r[2] &= ~(L1C_MONITOR | L1C_DSCPL | L1C_VMX | L1C_SMX | L1C_EST | L1C_TM2 | L1C_SDBG | L1C_PDCM | L1C_PCID |
                  L1C_DCA | L1C_X2APIC | L1C_TSC_DEADLINE | L1C_XSAVE | L1C_OSXSAVE);
        r[2] |= L1C_HYPERVISOR;
        r[3] &= ~(L1D_VME | L1D_PSE | L1D_PGE | L1D_PSE36 | L1D_DS | L1D_ACPI | L1D_TM | L1D_PBE);
        if (vendor_is_amd())
            r[3] &= ~L1D_SEP;           /* no SYSENTER in AMD's long mode */
        break;
    case 5:                             /* MONITOR/MWAIT */
    case 6:                             /* power management */
    case XSAVE_LEAF:
        r[0] = r[1] = r[2] = r[3] = 0;
        break;
    case 7:
        if (sub == 0) {
            r[1] &= ~(L7B_FSGSBASE | L7B_TSC_ADJUST | L7B_SMEP | L7B_INVPCID | L7B_RTM | L7B_PQM | L7B_MPX | L7B_PQE |
                      L7B_SMAP | L7B_PCOMMIT | L7B_PT);
            r[2] &= ~(L7C_UMIP | L7C_PKU | L7C_OSPKE | L7C_WAITPKG | L7C_LA57 | L7C_RDPID | L7C_PKS);
            r[3] = 0;
        } else {
            r[0] = r[1] = r[2] = r[3] = 0;
        }
        break;
    case 0x80000001u:
        r[2] &= ~(X1C_SVM | X1C_EXTAPIC | X1C_CR8_LEGACY | X1C_IBS | X1C_SKINIT | X1C_WDT | X1C_LWP | X1C_NODEID |
                  X1C_TOPOEXT | X1C_MWAITX);
        r[3] &= ~(L1D_VME | L1D_PSE | L1D_PGE | L1D_PSE36 | X1D_PAGE1GB);
        break;
    default:
        break;
    }
}
