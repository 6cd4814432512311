"""Where our hypercall-abi names differ from Xen's, what to compare against.

Used by test_layout_vs_xen.py. Anything not named here is compared with the
identically named thing in Xen's headers. Keys:
  size:<type>            sizeof
  off:<type>.<member>    offsetof
  fsize:<type>.<member>  sizeof the member
  sign:<type>[.<member>] 1 if a signed integer type
  val:<MACRO>            value of a constant
  fn:<expr>              value of a helper call (FN_CHECKS)
"""

# Included by the Xen-side program.
XEN_PRELUDE = r"""
/* Xen's errno.h lists EINTR and ERESTART only for the hypervisor build. */
#define __XEN__
#include <xen/errno.h>
#undef __XEN__
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
/* ring.h wants the includer's barriers. */
#define xen_mb()  __sync_synchronize()
#define xen_rmb() __sync_synchronize()
#define xen_wmb() __sync_synchronize()
#include <xen/xen.h>
#include <xen/sched.h>
#include <xen/event_channel.h>
#include <xen/grant_table.h>
#include <xen/memory.h>
#include <xen/vcpu.h>
#include <xen/callback.h>
#include <xen/features.h>
#include <xen/version.h>
#include <xen/elfnote.h>
#include <xen/physdev.h>
#include <xen/io/ring.h>
#include <xen/io/blkif.h>
#include <xen/io/netif.h>
#include <xen/io/xenbus.h>
#include <xen/io/xs_wire.h>
#include <xen/io/console.h>

/* No public header has these; this is the hypervisor's own E820 entry
   (xen/arch/x86/include/asm/e820.h): packed, 20 bytes. */
struct ref_e820entry {
    uint64_t addr;
    uint64_t size;
    uint32_t type;
} __attribute__((packed));
"""

# Headers that are our own interface, not Xen's (only our toolstack speaks
# them): not compared, though check_headers.sh still builds them alone.
OURS_ONLY_HEADERS = {"public/domctl.h"}

# Our struct/union/typedef -> Xen's.
TYPE_MAP = {
    # Xen has no standalone ring header: it is the start of every <name>_sring.
    "struct xen_sring_header": "struct blkif_sring",
    "struct xen_e820_entry": "struct ref_e820entry",
}

# (our type, our member path) -> Xen's member path in the mapped type.
FIELD_MAP = {
    ("struct xen_sring_header", "_pad"): "__pad",
    ("struct xen_e820_entry", "addr_lo"): "addr",
    ("struct xen_e820_entry", "size_lo"): "size",
    # padding Xen declares under a plain name
    ("struct dom0_vga_console_info", "u.vesa_lfb._pad"): "u.vesa_lfb.pad",
    ("struct vcpu_time_info", "_pad0"): "pad0",
    ("struct vcpu_time_info", "_pad1"): "pad1",
    ("struct arch_vcpu_info", "_pad"): "pad",
    ("struct netif_rx_request", "_pad0"): "pad",
    ("struct netif_extra_info", "u.gso._pad"): "u.gso.pad",
    ("struct netif_extra_info", "u._pad"): "u.pad",
    ("struct gnttab_get_version", "_pad0"): "pad",
    ("struct callback_unregister", "_pad0"): "_unused",
    ("struct xen_multiboot_mod_list", "_pad"): "pad",
}

_E820 = "((struct ref_e820entry *)0)"
_SRING_SIZE = "offsetof(struct {0}_sring, ring)"

# key -> C expression evaluated in the Xen-side program.
XEN_EXPR = {
    # Our ring structs end in a flexible array; Xen's in ring[1].
    "size:struct xen_sring_header": _SRING_SIZE.format("blkif"),
    "size:struct blkif_sring": _SRING_SIZE.format("blkif"),
    "off:struct blkif_sring.hdr": "offsetof(struct blkif_sring, req_prod)",
    "fsize:struct blkif_sring.hdr": _SRING_SIZE.format("blkif"),
    "size:struct netif_tx_sring": _SRING_SIZE.format("netif_tx"),
    "off:struct netif_tx_sring.hdr": "offsetof(struct netif_tx_sring, req_prod)",
    "fsize:struct netif_tx_sring.hdr": _SRING_SIZE.format("netif_tx"),
    "size:struct netif_rx_sring": _SRING_SIZE.format("netif_rx"),
    "off:struct netif_rx_sring.hdr": "offsetof(struct netif_rx_sring, req_prod)",
    "fsize:struct netif_rx_sring.hdr": _SRING_SIZE.format("netif_rx"),
    # E820 64-bit fields split into 32-bit halves (the entry is packed).
    "fsize:struct xen_e820_entry.addr_lo": f"sizeof({_E820}->addr) / 2",
    "off:struct xen_e820_entry.addr_hi": "offsetof(struct ref_e820entry, addr) + 4",
    "fsize:struct xen_e820_entry.addr_hi": f"sizeof({_E820}->addr) / 2",
    "sign:struct xen_e820_entry.addr_hi": f"SIGNED({_E820}->addr)",
    "fsize:struct xen_e820_entry.size_lo": f"sizeof({_E820}->size) / 2",
    "off:struct xen_e820_entry.size_hi": "offsetof(struct ref_e820entry, size) + 4",
    "fsize:struct xen_e820_entry.size_hi": f"sizeof({_E820}->size) / 2",
    "sign:struct xen_e820_entry.size_hi": f"SIGNED({_E820}->size)",
    # Renamed or derived constants.
    "val:MAX_VIRT_CPUS": "XEN_LEGACY_MAX_VCPUS",
    "val:NR_EVENT_CHANNELS": "EVTCHN_2L_NR_CHANNELS",  # Xen: only for interface < 4.4
    "val:BLKIF_RING_SIZE": "__CONST_RING_SIZE(blkif, 4096)",
    "val:NETIF_TX_RING_SIZE": "__CONST_RING_SIZE(netif_tx, 4096)",
    "val:NETIF_RX_RING_SIZE": "__CONST_RING_SIZE(netif_rx, 4096)",
    "val:TI_DPL_MASK": "TI_GET_DPL(&(struct trap_info){ .flags = 0xff })",
    "val:TI_MASK_EVENTS": "TI_GET_IF(&(struct trap_info){ .flags = 0xff })",
    "val:XEN_PAGE_SIZE": "(1u << XEN_PAGE_SHIFT)",
}

_NEWER = "upstream Xen after 4.17 (see the fact sheet)"
_E820_SRC = "E820_* in the hypervisor's asm/e820.h (no public header)"

# key -> (value, source): things the installed Xen headers do not have.
LITERAL = {
    "val:DOMID_ANY": (0x7FF5, _NEWER),
    "val:EVTCHNOP_reset_cont": (14, "Xen event_channel.h, hypervisor build only (#ifdef __XEN__)"),
    "val:XS_GET_FEATURE": (23, _NEWER),
    "val:XS_SET_FEATURE": (24, _NEWER),
    "val:XS_GET_QUOTA": (25, _NEWER),
    "val:XS_SET_QUOTA": (26, _NEWER),
    "val:XS_TYPE_COUNT": (27, _NEWER + ": 23 in 4.17, before the quota/feature types"),
    "val:XENSTORE_SERVER_FEATURE_WATCHDEPTH": (4, _NEWER),
    "val:XENSTORE_SERVER_FEATURE_DOMID_ANY": (8, _NEWER),
    "size:struct xenstore_domain_interface": (2080, _NEWER + ": evtchn_port appended"),
    "off:struct xenstore_domain_interface.evtchn_port": (2076, _NEWER),
    "fsize:struct xenstore_domain_interface.evtchn_port": (4, _NEWER),
    "sign:struct xenstore_domain_interface.evtchn_port": (0, _NEWER),
    "val:XEN_E820_RAM": (1, _E820_SRC),
    "val:XEN_E820_RESERVED": (2, _E820_SRC),
    "val:XEN_E820_ACPI": (3, _E820_SRC),
    "val:XEN_E820_NVS": (4, _E820_SRC),
    "val:XEN_E820_UNUSABLE": (5, _E820_SRC),
}

# (Xen type, member path) -> why we do not carry that Xen member.
XEN_ONLY_MEMBERS = {
    ("struct blkif_sring", "ring"): "ours is a flexible array member (compared by offset)",
    ("struct netif_tx_sring", "ring"): "ours is a flexible array member (compared by offset)",
    ("struct netif_rx_sring", "ring"): "ours is a flexible array member (compared by offset)",
}

# (our expression, Xen expression) for function-like macros and inline helpers.
# e820_sample is a 20-byte E820 entry defined in both programs.
FN_CHECKS = [
    ("XENMEMF_address_bits(32)", "XENMEMF_address_bits(32)"),
    ("XENMEMF_get_address_bits(0x12345)", "XENMEMF_get_address_bits(0x12345)"),
    ("XENMEMF_node(3)", "XENMEMF_node(3)"),
    ("XENMEMF_get_node(XENMEMF_node(5) | 0x20)", "XENMEMF_get_node(XENMEMF_node(5) | 0x20)"),
    ("XENMEMF_exact_node(2)", "XENMEMF_exact_node(2)"),
    ("MASK_XENSTORE_IDX(1025)", "MASK_XENSTORE_IDX(1025)"),
    ("MASK_XENSTORE_IDX(0xffffffffu)", "MASK_XENSTORE_IDX(0xffffffffu)"),
    ("MASK_XENCONS_IDX(2049, ((struct xencons_interface *)0)->out)",
     "MASK_XENCONS_IDX(2049, ((struct xencons_interface *)0)->out)"),
    ("MASK_XENCONS_IDX(0xffffffffu, ((struct xencons_interface *)0)->in)",
     "MASK_XENCONS_IDX(0xffffffffu, ((struct xencons_interface *)0)->in)"),
    ("xen_pfn_to_cr3(0x123456)", "xen_pfn_to_cr3(0x123456)"),
    ("xen_cr3_to_pfn(0x123456789000)", "xen_cr3_to_pfn(0x123456789000)"),
    ("xen_e820_addr((const struct xen_e820_entry *)e820_sample)",
     "((const struct ref_e820entry *)e820_sample)->addr"),
    ("xen_e820_size((const struct xen_e820_entry *)e820_sample)",
     "((const struct ref_e820entry *)e820_sample)->size"),
]

# Function-like macros / inline functions not compared, with the reason.
HELPERS_NOT_COMPARED = {
}
