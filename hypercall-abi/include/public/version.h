/*
 * xen_version: hypervisor version, build information, capabilities and
 * feature bits.
 */
#ifndef PUBLIC_VERSION_H
#define PUBLIC_VERSION_H

#include "xen.h"
#include "features.h"

/*
 * xen_version(cmd, arg)                                hypercall 17
 *   rdi  XENVER_*
 *   rsi  guest VA of the command's buffer (0 where none is taken)
 * Caller: any guest kernel; XENVER_commandline and XENVER_build_id need a
 * privileged caller (-EPERM otherwise).
 * Returns 0 unless noted; -EFAULT (buffer not writable); -ENOSYS (unknown
 * cmd).
 */
#define XENVER_version             0  /* no arg; returns major << 16 | minor */
#define XENVER_extraversion        1  /* xen_extraversion_t, OUT: e.g. ".0" */
#define XENVER_compile_info        2  /* struct xen_compile_info, OUT */
#define XENVER_capabilities        3  /* xen_capabilities_info_t, OUT: space-separated
                                         guest types, e.g. "xen-3.0-x86_64" */
#define XENVER_changeset           4  /* xen_changeset_info_t, OUT */
#define XENVER_platform_parameters 5  /* struct xen_platform_parameters, OUT */
#define XENVER_get_features        6  /* struct xen_feature_info, IN/OUT */
#define XENVER_pagesize            7  /* no arg; returns the page size (4096) */
#define XENVER_guest_handle        8  /* xen_domain_handle_t, OUT: domain UUID */
#define XENVER_commandline         9  /* xen_commandline_t, OUT (privileged) */
#define XENVER_build_id            10 /* struct xen_build_id, IN/OUT (privileged);
                                         returns the id's length; arg 0 asks for
                                         the length only; -ENOBUFS if too small */

/* Fixed-size strings, NUL-terminated (uint8_t: bytes of ASCII text). */
typedef uint8_t xen_extraversion_t[16];
#define XEN_EXTRAVERSION_LEN (sizeof(xen_extraversion_t))

struct xen_compile_info {
    uint8_t compiler[64];
    uint8_t compile_by[16];
    uint8_t compile_domain[32];
    uint8_t compile_date[32];
};
_Static_assert(sizeof(struct xen_compile_info) == 144, "xen_compile_info size");
_Static_assert(offsetof(struct xen_compile_info, compile_by) == 64, "xen_compile_info.compile_by");
_Static_assert(offsetof(struct xen_compile_info, compile_domain) == 80, "xen_compile_info.compile_domain");
_Static_assert(offsetof(struct xen_compile_info, compile_date) == 112, "xen_compile_info.compile_date");

typedef uint8_t xen_capabilities_info_t[1024];
#define XEN_CAPABILITIES_INFO_LEN (sizeof(xen_capabilities_info_t))

typedef uint8_t xen_changeset_info_t[64];
#define XEN_CHANGESET_INFO_LEN (sizeof(xen_changeset_info_t))

typedef uint8_t xen_commandline_t[1024];

struct xen_platform_parameters {
    xen_ulong_t virt_start;   /* OUT: start of the hypervisor hole (HYPERVISOR_VIRT_START) */
};
_Static_assert(sizeof(struct xen_platform_parameters) == 8, "xen_platform_parameters size");

struct xen_build_id {
    uint32_t len;             /* IN: size of buf */
    uint8_t  buf[];           /* OUT: the build id bytes */
};
_Static_assert(sizeof(struct xen_build_id) == 4, "xen_build_id size");
_Static_assert(offsetof(struct xen_build_id, buf) == 4, "xen_build_id.buf");

#endif /* PUBLIC_VERSION_H */
