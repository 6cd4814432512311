/*
 * ELF note types a PV kernel uses to describe itself to the domain builder.
 * Notes have name "Xen" and live in a PT_NOTE segment; each type's payload is
 * a string or a native-width (8-byte) number, as marked.
 */
#ifndef PUBLIC_ELFNOTE_H
#define PUBLIC_ELFNOTE_H

#define XEN_ELFNOTE_INFO               0  /* string: NAME=VALUE */
#define XEN_ELFNOTE_ENTRY              1  /* number: entry point VA */
#define XEN_ELFNOTE_HYPERCALL_PAGE     2  /* number: VA where the builder writes the hypercall page */
#define XEN_ELFNOTE_VIRT_BASE          3  /* number: VA the image is linked at (default 0) */
#define XEN_ELFNOTE_PADDR_OFFSET       4  /* number: subtracted from ELF p_paddr (default 0) */
#define XEN_ELFNOTE_XEN_VERSION        5  /* string: hypervisor ABI wanted, e.g. "xen-3.0" */
#define XEN_ELFNOTE_GUEST_OS           6  /* string: guest OS name */
#define XEN_ELFNOTE_GUEST_VERSION      7  /* string: guest OS version */
#define XEN_ELFNOTE_LOADER             8  /* string: loader type, "generic" */
#define XEN_ELFNOTE_PAE_MODE           9  /* string: "yes", "no", "bimodal" (32-bit only) */
#define XEN_ELFNOTE_FEATURES           10 /* string: XENFEAT names without prefix, joined by
                                             '|'; a leading '!' marks a required one */
#define XEN_ELFNOTE_BSD_SYMTAB         11 /* string: "yes" to load the symbol table */
#define XEN_ELFNOTE_HV_START_LOW       12 /* number: lowest start of the hypervisor hole */
#define XEN_ELFNOTE_L1_MFN_VALID       13 /* numbers: mask/value pairs for L1 entries */
#define XEN_ELFNOTE_SUSPEND_CANCEL     14 /* number: 1 = cooperative suspend cancel */
#define XEN_ELFNOTE_INIT_P2M           15 /* number: VA for the initial P2M list */
#define XEN_ELFNOTE_MOD_START_PFN      16 /* number: 1 = initrd may be given as a PFN */
#define XEN_ELFNOTE_SUPPORTED_FEATURES 17 /* number: bitmap of XENFEAT_* supported */
#define XEN_ELFNOTE_PHYS32_ENTRY       18 /* number: 32-bit physical entry (PVH only) */

/* Written into crash dumps, not read by the builder. */
#define XEN_ELFNOTE_CRASH_INFO                0x1000001
#define XEN_ELFNOTE_CRASH_REGS                0x1000002
#define XEN_ELFNOTE_DUMPCORE_NONE             0x2000000
#define XEN_ELFNOTE_DUMPCORE_HEADER           0x2000001
#define XEN_ELFNOTE_DUMPCORE_XEN_VERSION      0x2000002
#define XEN_ELFNOTE_DUMPCORE_FORMAT_VERSION   0x2000003

#endif /* PUBLIC_ELFNOTE_H */
