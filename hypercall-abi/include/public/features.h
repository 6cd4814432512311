/*
 * Feature bits a guest reads with xen_version(XENVER_get_features) and names
 * in its XEN_ELFNOTE_FEATURES note.
 */
#ifndef PUBLIC_FEATURES_H
#define PUBLIC_FEATURES_H

#include <stddef.h>
#include <stdint.h>

/* Bit numbers in submap 0. */
#define XENFEAT_writable_page_tables       0  /* page tables may be written directly */
#define XENFEAT_writable_descriptor_tables 1  /* GDT/LDT may be written directly */
#define XENFEAT_auto_translated_physmap    2  /* hypervisor translates PFN<->MFN */
#define XENFEAT_supervisor_mode_kernel     3  /* guest kernel runs in ring 0 */
#define XENFEAT_pae_pgdir_above_4gb        4  /* PAE page directories may live above 4 GiB */
#define XENFEAT_mmu_pt_update_preserve_ad  5  /* MMU_PT_UPDATE_PRESERVE_AD available */
#define XENFEAT_highmem_assist             6  /* MMUEXT_CLEAR_PAGE/COPY_PAGE available */
#define XENFEAT_gnttab_map_avail_bits      7  /* grant maps honour guest-available PTE bits */
#define XENFEAT_hvm_callback_vector        8  /* HVM: vector callback */
#define XENFEAT_hvm_safe_pvclock           9  /* HVM: pvclock usable */
#define XENFEAT_hvm_pirqs                  10 /* HVM: PIRQs usable */
#define XENFEAT_dom0                       11 /* may run as dom0 */
/* 12 was grant_map_identity, withdrawn */
#define XENFEAT_memory_op_vnode_supported  13 /* XENMEMF_vnode accepted */
#define XENFEAT_ARM_SMCCC_supported        14 /* Arm only */
#define XENFEAT_linux_rsdp_unrestricted    15 /* PVH only */
#define XENFEAT_not_direct_mapped          16 /* PFN != MFN for this domain */
#define XENFEAT_direct_mapped              17 /* PFN == MFN for this domain */

#define XENFEAT_NR_SUBMAPS 1 /* 32-bit submaps defined so far */

/* XENVER_get_features argument. */
struct xen_feature_info {
    uint32_t submap_idx;  /* IN: which 32 bits: features 32*idx .. 32*idx+31 */
    uint32_t submap;      /* OUT: bit n set = feature 32*idx+n present */
};
_Static_assert(sizeof(struct xen_feature_info) == 8, "xen_feature_info size");
_Static_assert(offsetof(struct xen_feature_info, submap) == 4, "xen_feature_info.submap");

#endif /* PUBLIC_FEATURES_H */
