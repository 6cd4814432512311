/* physdev_op (public/physdev.h): what a PV kernel asks about physical devices; today only its virtual IOPL. */
#include <hv/hypercall.h>
#include <public/errno.h>
#include <public/physdev.h>
#include <asm/cpu.h>

int64_t do_physdev_op(unsigned int cmd, uint64_t arg)
{
    switch (cmd) {
    case PHYSDEVOP_set_iopl: {
        struct physdev_set_iopl op;
        if (copy_from_guest(&op, arg, sizeof(op)))
            return -XEN_EFAULT;
        if (op.iopl > 3)
            return -XEN_EINVAL;
        current->arch.iopl = op.iopl << 12;     /* kept where EFLAGS.IOPL sits */
        return 0;
    }
    default:
        return -XEN_ENOSYS;
    }
}
