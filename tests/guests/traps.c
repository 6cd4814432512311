/* Traps: exceptions reach the guest's handlers with Xen's vector, error code and frame. */
#include "exceptions.h"
#include "guest.h"
#include "hypercall.h"
#include <public/callback.h>
#include <public/errno.h>

const char test_title[] = "traps: trap table, exception delivery, callbacks, CPU-model hypercalls";

static const char *expect(char *why, size_t len, uint64_t vector, uint64_t error_code)
{
    if (last_exc.vector != vector || last_exc.error_code != error_code)
        return fail(why, len, "got vector %lld error %#llx, want vector %llu error %#llx",
                    (long long)last_exc.vector, (unsigned long long)last_exc.error_code,
                    (unsigned long long)vector, (unsigned long long)error_code);
    return NULL;
}

static const char *test_install(char *why, size_t len)
{
    int64_t rc = exceptions_install();
    return rc ? fail(why, len, "set_trap_table returned %lld", (long long)rc) : NULL;
}

static const char *test_int3(char *why, size_t len)
{
    uint64_t after = 0;
    TRY_INSN("lea 2f(%%rip), %%rdx\n\tmov %%rdx, (%0)\n\tint3\n2:", "r"(&after));
    const char *r = expect(why, len, 3, 0);
    if (r)
        return r;
    /* #BP is a trap: the frame's RIP is the instruction after int3. */
    if (last_exc.rip != after)
        return fail(why, len, "rip %#llx, expected the instruction after int3", (unsigned long long)last_exc.rip);
    return NULL;
}

static const char *test_ud(char *why, size_t len)
{
    TRY_INSN("ud2", "i"(0));
    return expect(why, len, 6, 0);
}

static const char *test_de(char *why, size_t len)
{
    TRY_INSN("xor %%edx, %%edx\n\tdivl %0", "r"(0));
    return expect(why, len, 0, 0);
}

static const char *test_gp_noncanonical(char *why, size_t len)
{
    TRY_INSN("movq (%0), %%rdx", "r"(0x8000000000000000ull));
    return expect(why, len, 13, 0);
}

static const char *test_gp_cli(char *why, size_t len)
{
    /* Virtual interrupts are the upcall mask: the real cli is privileged. */
    TRY_INSN("cli", "i"(0));
    return expect(why, len, 13, 0);
}

static const char *test_pf_not_present(char *why, size_t len)
{
    /* Nothing is mapped below the kernel's virtual base. */
    TRY_INSN("movq (%0), %%rdx", "r"(0x1000ull));
    return expect(why, len, 14, 0);
}

static const char *test_pf_write_protect(char *why, size_t len)
{
    /* Page tables are mapped read-only: a write is a protection fault (P|W, kernel mode). */
    TRY_INSN("movq %%rdx, (%0)", "r"(start_info->pt_base));
    return expect(why, len, 14, 3);
}

static const char *test_int_dpl3(char *why, size_t len)
{
    TRY_INSN("int $0x20", "i"(0));
    return expect(why, len, 32, 0);
}

static const char *test_int_dpl0(char *why, size_t len)
{
    /* A DPL 0 gate refuses int n: #GP with the IDT error code (vector << 3 | 2). */
    TRY_INSN("int $0x21", "i"(0));
    return expect(why, len, 13, (0x21 << 3) | 2);
}

static const char *test_int_unregistered(char *why, size_t len)
{
    TRY_INSN("int $0x80", "i"(0));
    return expect(why, len, 13, (0x80 << 3) | 2);
}

static const char *test_trap_table_bad(char *why, size_t len)
{
    static struct trap_info bad[] = {
        { .vector = 40, .flags = 3, .cs = FLAT_KERNEL_CS, .address = 0x8000000000001000ull },
        { .vector = 0, .address = 0 },
    };
    int64_t rc = hypercall1(__HYPERVISOR_set_trap_table, bad);
    if (rc != -XEN_EINVAL)
        return fail(why, len, "non-canonical handler: got %lld, want -EINVAL", (long long)rc);
    rc = hypercall1(__HYPERVISOR_set_trap_table, 0xffff830000000000ull);
    if (rc != -XEN_EFAULT)
        return fail(why, len, "table in the hypervisor range: got %lld, want -EFAULT", (long long)rc);
    rc = hypercall1(__HYPERVISOR_set_trap_table, 0x8000000000000000ull);
    if (rc != -XEN_EFAULT)
        return fail(why, len, "non-canonical table: got %lld, want -EFAULT", (long long)rc);
    return NULL;
}

static const char *test_callbacks(char *why, size_t len)
{
    int64_t rc = hypercall3(__HYPERVISOR_set_callbacks, (uint64_t)test_install, 0, 0);
    if (rc != 0)
        return fail(why, len, "set_callbacks: %lld", (long long)rc);
    struct callback_register cb = { .type = CALLBACKTYPE_syscall, .flags = CALLBACKF_mask_events,
                                    .address = 0x8000000000000000ull };
    if ((rc = hypercall2(__HYPERVISOR_callback_op, CALLBACKOP_register, &cb)) != -XEN_EINVAL)
        return fail(why, len, "non-canonical callback: got %lld, want -EINVAL", (long long)rc);
    cb.type = 3;        /* sysenter_deprecated: 32-bit hypervisors only */
    cb.address = 0x1000;
    if ((rc = hypercall2(__HYPERVISOR_callback_op, CALLBACKOP_register, &cb)) != -XEN_ENOSYS)
        return fail(why, len, "deprecated type: got %lld, want -ENOSYS", (long long)rc);
    struct callback_unregister un = { .type = CALLBACKTYPE_event };
    if ((rc = hypercall2(__HYPERVISOR_callback_op, CALLBACKOP_unregister, &un)) != -XEN_EINVAL)
        return fail(why, len, "unregister event: got %lld, want -EINVAL", (long long)rc);
    if ((rc = hypercall2(__HYPERVISOR_callback_op, 7, &un)) != -XEN_ENOSYS)
        return fail(why, len, "unknown op: got %lld, want -ENOSYS", (long long)rc);
    if ((rc = hypercall2(__HYPERVISOR_callback_op, CALLBACKOP_register, 0)) != -XEN_EFAULT)
        return fail(why, len, "NULL argument: got %lld, want -EFAULT", (long long)rc);
    return NULL;
}

static const char *test_fpu_taskswitch(char *why, size_t len)
{
    int64_t rc = hypercall1(__HYPERVISOR_fpu_taskswitch, 1);
    if (rc)
        return fail(why, len, "fpu_taskswitch(1): %lld", (long long)rc);
    TRY_INSN("fninit", "i"(0));
    const char *r = expect(why, len, 7, 0);
    if (r)
        return r;
    /* Delivering #NM cleared the virtual TS: the FPU works again. */
    TRY_INSN("fninit", "i"(0));
    if (last_exc.vector != ~0ull)
        return fail(why, len, "second fninit raised vector %llu", (unsigned long long)last_exc.vector);
    return NULL;
}

static uint64_t fs_target = 0x1122334455667788ull;

static const char *test_segment_base(char *why, size_t len)
{
    int64_t rc = hypercall2(__HYPERVISOR_set_segment_base, SEGBASE_FS, &fs_target);
    if (rc)
        return fail(why, len, "set_segment_base(FS): %lld", (long long)rc);
    uint64_t v;
    __asm__ volatile("mov %%fs:0, %0" : "=r"(v));
    if (v != fs_target)
        return fail(why, len, "%%fs:0 read %#llx", (unsigned long long)v);
    if ((rc = hypercall2(__HYPERVISOR_set_segment_base, SEGBASE_FS, 0x8000000000000000ull)) != -XEN_EINVAL)
        return fail(why, len, "non-canonical base: got %lld, want -EINVAL", (long long)rc);
    if ((rc = hypercall2(__HYPERVISOR_set_segment_base, 9, 0)) != -XEN_EINVAL)
        return fail(why, len, "unknown segment: got %lld, want -EINVAL", (long long)rc);
    hypercall2(__HYPERVISOR_set_segment_base, SEGBASE_FS, 0);
    return NULL;
}

static const char *test_vm_assist(char *why, size_t len)
{
    int64_t rc;
    if ((rc = hypercall2(__HYPERVISOR_vm_assist, VMASST_CMD_enable, VMASST_TYPE_runstate_update_flag)))
        return fail(why, len, "enable runstate_update_flag: %lld", (long long)rc);
    if ((rc = hypercall2(__HYPERVISOR_vm_assist, VMASST_CMD_enable, 33)) != -XEN_EINVAL)
        return fail(why, len, "type 33: got %lld, want -EINVAL", (long long)rc);
    if ((rc = hypercall2(__HYPERVISOR_vm_assist, 7, VMASST_TYPE_m2p_strict)) != -XEN_ENOSYS)
        return fail(why, len, "cmd 7: got %lld, want -ENOSYS", (long long)rc);
    return NULL;
}

static const char *test_stack_switch(char *why, size_t len)
{
    static uint8_t kstack[4096] __attribute__((aligned(16)));
    int64_t rc = hypercall2(__HYPERVISOR_stack_switch, FLAT_KERNEL_SS, kstack + sizeof(kstack));
    return rc ? fail(why, len, "stack_switch: %lld", (long long)rc) : NULL;
}

static const char *test_bounce_frame_cs(char *why, size_t len)
{
    /* From kernel mode the saved CS reads RPL 0 (0xe030); bits 32-39 hold the upcall mask (1). */
    TRY_INSN("ud2", "i"(0));
    if ((last_exc.cs & 0xffff) != (FLAT_KERNEL_CS & ~3u))
        return fail(why, len, "frame CS %#llx, want %#x", (unsigned long long)last_exc.cs, FLAT_KERNEL_CS & ~3u);
    if (((last_exc.cs >> 32) & 0xff) != 1)
        return fail(why, len, "saved upcall mask %llu, want 1", (unsigned long long)((last_exc.cs >> 32) & 0xff));
    if (last_exc.rflags & (1u << 9))
        return fail(why, len, "frame RFLAGS.IF set although events are masked");
    return NULL;
}

DEFINE_TESTS(
    { "set_trap_table", test_install },
    { "int3_delivered_as_bp", test_int3 },
    { "ud2_delivered_as_ud", test_ud },
    { "divide_error_delivered", test_de },
    { "noncanonical_access_gp", test_gp_noncanonical },
    { "cli_is_privileged", test_gp_cli },
    { "page_fault_not_present", test_pf_not_present },
    { "page_fault_on_readonly_page_table", test_pf_write_protect },
    { "int_n_with_dpl3_handler", test_int_dpl3 },
    { "int_n_with_dpl0_handler_gp", test_int_dpl0 },
    { "int_0x80_without_handler_gp", test_int_unregistered },
    { "bounce_frame_cs_and_mask", test_bounce_frame_cs },
    { "set_trap_table_refusals", test_trap_table_bad },
    { "callbacks_and_refusals", test_callbacks },
    { "fpu_taskswitch_raises_nm", test_fpu_taskswitch },
    { "set_segment_base_fs", test_segment_base },
    { "vm_assist", test_vm_assist },
    { "stack_switch", test_stack_switch }
)
