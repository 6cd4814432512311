/* Setting up guest user mode for the tests (user.h). */
#include <public/xen.h>
#include "guest.h"
#include "hypercall.h"
#include "mm.h"
#include "user.h"

int64_t user_mode_setup(const char **what)
{
    static uint8_t kstack[8192] __attribute__((aligned(16)));
    int64_t rc;
    if ((rc = hypercall2(__HYPERVISOR_stack_switch, FLAT_KERNEL_SS, kstack + sizeof(kstack)))) {
        *what = "stack_switch";
        return rc;
    }
    if ((rc = hypercall3(__HYPERVISOR_set_callbacks, 0, 0, syscall_entry))) {
        *what = "set_callbacks";
        return rc;
    }
    if ((rc = mmuext(MMUEXT_NEW_USER_BASEPTR, virt_to_mfn((void *)start_info->pt_base), 0)))
        *what = "new user base pointer";
    return rc;
}

void *user_stack_top(void)
{
    static uint8_t ustack[4096] __attribute__((aligned(16)));
    return ustack + sizeof(ustack);
}
