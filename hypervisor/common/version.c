/* xen_version: which hypervisor this is and what it offers the calling guest. */
#include <hv/hypercall.h>
#include <hv/arch.h>
#include <public/errno.h>
#include <public/features.h>
#include <public/version.h>
#include <public/xen.h>

/*
 * We implement the guest ABI of Xen 4.17 (x86-64 PV), so we answer with that
 * interface version; the extra version string tells the two apart.
 */
#define HV_VERSION_MAJOR    4
#define HV_VERSION_MINOR    17
#define HV_EXTRAVERSION     "-pvhv"
#define HV_CAPABILITIES     "xen-3.0-x86_64 "
#define HV_VERSION          ((HV_VERSION_MAJOR << 16) | HV_VERSION_MINOR)

/*
 * XENFEAT bits (submap 0) as Xen 4.17 reports them to a 64-bit PV guest:
 * writable_page_tables and auto_translated_physmap are for translated
 * (HVM) guests only, so a PV kernel that requires the former sees it
 * cleared and writes its L1 entries by store anyway (pv/ptwr.c);
 * pae_pgdir_above_4gb follows the pae_extended_cr3 assist (PAE_MODE "yes").
 */
static uint32_t features_of(const struct domain *d)
{
    uint32_t f = (1u << XENFEAT_memory_op_vnode_supported) | (1u << XENFEAT_mmu_pt_update_preserve_ad) |
                 (1u << XENFEAT_highmem_assist) | (1u << XENFEAT_gnttab_map_avail_bits) |
                 (1u << XENFEAT_direct_mapped);
    if (d->vm_assist & (1ull << VMASST_TYPE_pae_extended_cr3))
        f |= 1u << XENFEAT_pae_pgdir_above_4gb;
    if (is_dom0(d))
        f |= 1u << XENFEAT_dom0;            /* the initial (hardware) domain, as Xen */
    return f;
}

static int64_t copy_string_out(uint64_t arg, const char *s, size_t bufsize)
{
    char buf[1024] = { 0 };
    str_copy(buf, s, bufsize);
    return copy_to_guest(arg, buf, bufsize);
}

/* Every sub-op; the buffers of some give it a frame of over 1 KiB. */
static __noinline int64_t xen_version_query(unsigned int cmd, uint64_t arg)
{
    struct domain *d = current->domain;

    switch (cmd) {
    case XENVER_version:
        return HV_VERSION;
    case XENVER_extraversion:
        return copy_string_out(arg, HV_EXTRAVERSION, sizeof(xen_extraversion_t));
    case XENVER_compile_info: {
        struct xen_compile_info ci = { 0 };
        str_copy((char *)ci.compiler, "gcc " __VERSION__, sizeof(ci.compiler));
        str_copy((char *)ci.compile_by, "pvhv", sizeof(ci.compile_by));
        str_copy((char *)ci.compile_domain, "local", sizeof(ci.compile_domain));
        str_copy((char *)ci.compile_date, __DATE__ " " __TIME__, sizeof(ci.compile_date));
        return copy_to_guest(arg, &ci, sizeof(ci));
    }
    case XENVER_capabilities:
        return copy_string_out(arg, HV_CAPABILITIES, sizeof(xen_capabilities_info_t));
    case XENVER_changeset:
        return copy_string_out(arg, "unavailable", sizeof(xen_changeset_info_t));
    case XENVER_platform_parameters: {
        struct xen_platform_parameters pp = { .virt_start = RESERVED_VIRT_START };
        return copy_to_guest(arg, &pp, sizeof(pp));
    }
    case XENVER_get_features: {
        struct xen_feature_info fi;
        if (copy_from_guest(&fi, arg, sizeof(fi)))
            return -XEN_EFAULT;
        if (fi.submap_idx != 0)
            return -XEN_EINVAL;
        fi.submap = features_of(d);
        return copy_to_guest(arg, &fi, sizeof(fi));
    }
    case XENVER_pagesize:
        return arg ? -XEN_EINVAL : 4096;
    case XENVER_guest_handle: {
        uint8_t handle[16] = { 0 };
        handle[15] = (uint8_t)d->id;        /* stable per domain until a toolstack sets UUIDs */
        return copy_to_guest(arg, handle, sizeof(handle));
    }
    case XENVER_commandline:
        return copy_string_out(arg, domain_has_rights(d, DOMAIN_RIGHT_CONTROL) ? "" : "<denied>",
                               sizeof(xen_commandline_t));
    case XENVER_build_id:
        return domain_has_rights(d, DOMAIN_RIGHT_CONTROL) ? -XEN_ENODATA : -XEN_EPERM;
    default:
        return -XEN_ENOSYS;
    }
}

int64_t do_xen_version(unsigned int cmd, uint64_t arg)
{
    /*
     * XENVER_version is the null hypercall of guests (and of bench/): answered before
     * xen_version_query sets up its frame (25 instructions before, 4 now).
     */
    if (cmd == XENVER_version)
        return HV_VERSION;
    return xen_version_query(cmd, arg);
}
