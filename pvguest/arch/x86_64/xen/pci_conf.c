/*
 * PV PCI configuration space: dom0 uses the same mechanism #1 as natively
 * (0xCF8/0xCFC, in/out). Its kernel runs in ring 3, so each access traps and
 * the hypervisor emulates it (a virtual 0xCF8, the real 0xCFC for the
 * hardware domain), once the vCPU's virtual IOPL admits port I/O at all
 * (PHYSDEVOP_set_iopl 1, per vCPU, as Linux's dom0 does at boot). A domU
 * sees only the functions dom0 assigned to it (PV_DOMCTL_assign_device):
 * with pci=<bb:dd.f> it waits until that function appears, then scans as
 * dom0 does (every other function reads as all ones); without, it sees no
 * PCI at all.
 */
#include <cmdline.h>
#include <pci.h>
#include <sched.h>
#include <spinlock.h>
#include <lib/x86.h>
#include <public/physdev.h>
#include <xen/services.h>
#include "xen.h"

#define PCI_CONF_ADDR 0xcf8
#define PCI_CONF_DATA 0xcfc

#define ASSIGN_WAIT_NS  (30 * NSEC_PER_SEC)  /* dom0 assigns at its boot, beside ours */

static spinlock_t pci_conf_lock;
#define MAX_DOMU_PCI 4
static unsigned int domu_pci;           /* pci=<bdf> options given (a driver domain may hold several) */
static uint16_t domu_bdf[MAX_DOMU_PCI];

static bool set_pci(const char *v)
{
    const char *end = v && domu_pci < MAX_DOMU_PCI ? pci_parse_bdf(v, &domu_bdf[domu_pci]) : NULL;
    if (!end || *end)
        return false;
    domu_pci++;
    return true;
}
KERNEL_OPTION("pci", set_pci);
static bool iopl_set[MAX_CPUS];         /* per vCPU: the hypervisor keeps IOPL per vCPU */

static uint32_t conf_address(uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off)
{
    return 0x80000000u | (uint32_t)bus << 16 | (uint32_t)(dev & 31) << 11 | (uint32_t)(fn & 7) << 8 | (off & 0xfc);
}

/* Called with the lock held (interrupts off: this CPU stays this CPU). */
static bool iopl_ensure(void)
{
    unsigned int cpu = smp_processor_id();
    if (iopl_set[cpu])
        return true;
    struct physdev_set_iopl op = { .iopl = 1 };
    int64_t rc = hypercall2(__HYPERVISOR_physdev_op, PHYSDEVOP_set_iopl, &op);
    if (rc) {
        warn("pci: PHYSDEVOP_set_iopl 1 on cpu %u: %s", cpu, xen_errno_name(rc));
        return false;
    }
    iopl_set[cpu] = true;
    return true;
}

bool pci_conf_available(void)
{
    if (!xenpv_is_dom0() && !domu_pci)
        return false;
    unsigned long f = spin_lock_irqsave(&pci_conf_lock);
    bool ok = iopl_ensure();
    spin_unlock_irqrestore(&pci_conf_lock, f);
    if (!ok || xenpv_is_dom0())
        return ok;
    uint64_t give_up = clock_ns() + ASSIGN_WAIT_NS;
    for (unsigned int i = 0; i < domu_pci; i++) {
        uint8_t bus = (uint8_t)(domu_bdf[i] >> 8), dev = (domu_bdf[i] >> 3) & 31, fn = domu_bdf[i] & 7;
        while ((uint16_t)pci_conf_read32(bus, dev, fn, 0) == 0xffff) {
            if (clock_ns() > give_up) {
                printk("pci: %02x:%02x.%u was not assigned to this domain within %llu s\n", bus, dev, fn,
                       (unsigned long long)(ASSIGN_WAIT_NS / NSEC_PER_SEC));
                return false;
            }
            thread_sleep_ns(10 * NSEC_PER_MSEC);
        }
        printk("pci: %02x:%02x.%u assigned to this domain\n", bus, dev, fn);
    }
    return true;
}

uint32_t pci_conf_read32(uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off)
{
    unsigned long f = spin_lock_irqsave(&pci_conf_lock);
    uint32_t v = 0xffffffffu;
    if (iopl_ensure()) {
        outl(PCI_CONF_ADDR, conf_address(bus, dev, fn, off));
        v = inl(PCI_CONF_DATA);
    }
    spin_unlock_irqrestore(&pci_conf_lock, f);
    return v;
}

void pci_conf_write32(uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off, uint32_t v)
{
    unsigned long f = spin_lock_irqsave(&pci_conf_lock);
    if (iopl_ensure()) {
        outl(PCI_CONF_ADDR, conf_address(bus, dev, fn, off));
        outl(PCI_CONF_DATA, v);
    }
    spin_unlock_irqrestore(&pci_conf_lock, f);
}
