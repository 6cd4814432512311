# pvguest: one kernel source, two images from the same core objects.
#   build/pvguest/pvguest-native.elf   multiboot2, privileged instructions (arch/x86_64/native)
#   build/pvguest/pvguest-pv.elf       Xen ELF notes, hypercalls (arch/x86_64/xen)
#   make pvguest | make run-native
# Included at the end of the top-level Makefile.

PVG_BUILD  := $(BUILD)/pvguest
PVG_CFLAGS := -std=c11 -O2 -g -Wall -Wextra -Werror -ffreestanding -fno-stack-protector \
              -fno-pic -mcmodel=kernel -mno-red-zone -mno-sse -mno-sse2 -mno-mmx -mno-80387 \
              -fno-omit-frame-pointer -fno-asynchronous-unwind-tables -fno-strict-aliasing \
              -fcf-protection=none -MMD -MP \
              -Ipvguest/include -Ipvguest/arch/x86_64/include -Ilib/include
# Only the PV backend sees the hypercall ABI.
PVG_XEN_CFLAGS := $(PVG_CFLAGS) -Ihypercall-abi/include

PVG_CORE   := kernel/main kernel/smp kernel/printk kernel/console kernel/cmdline kernel/counters kernel/ktap \
              kernel/mm/page_alloc kernel/mm/slab kernel/mm/vm kernel/mm/aspace kernel/mm/lazy_mmu \
              kernel/sched/thread kernel/sched/timer kernel/sync/waitqueue kernel/sync/semaphore \
              kernel/selftest/selftest kernel/selftest/test_mm kernel/selftest/test_sched \
              kernel/selftest/test_batch kernel/selftest/test_smp kernel/selftest/test_pv_only kernel/selftest/test_blk kernel/selftest/test_blk_irq kernel/bench/bench kernel/bench/blkbench kernel/bench/netbench \
              drivers/pci drivers/pci_irq drivers/virtio/virtio_pci drivers/virtio/virtqueue drivers/virtio/virtio_blk drivers/virtio/virtio_net \
              net/proto net/arp_cache net/stack kernel/net \
              arch/x86_64/pagetable arch/x86_64/traps arch/x86_64/switch
PVG_LIB    := format string strlcpy elf pv_layout pci_bdf
PVG_NATIVE := head entry setup cpu mmu irq smp serial native pci_conf dma
PVG_XEN    := head entry setup cpu mmu events time smp console domctl xen foreign toolstack drivers grant selftest_grant evtchn_wait \
              pci_conf selftest_pci dma watchdog
# Split drivers (pvdrivers/), PV image only: paths under pvdrivers/ without .c.
PVG_DRIVERS := ring ringtest/datapath ringtest/front ringtest/back ringtest/driver toolstack/assign toolstack/boot_devices toolstack/devices toolstack/builder toolstack/xl toolstack/xl_info toolstack/xl_devcmd toolstack/xl_loop toolstack/xl_life toolstack/xl_create toolstack/xl_soak toolstack/xl_cfg toolstack/cpio \
               console/front console/back console/lines \
               xenstore/store xenstore/watch xenstore/transaction xenstore/domain xenstore/proto xenstore/check \
               xenbus/arena xenbus/xs_ring xenbus/xenstored_dom0 xenbus/xenbus_comms xenbus/xenbus_client xenbus/xenbus_probe xenbus/control \
               xenbus/selftest_xenbus xenbus/selftest_meet \
               block/blkif_check block/ramstore block/virtiostore block/back block/front block/selftest_blk block/soak_blk block/bench_front \
               net/netif_check net/bridge net/back net/front net/selftest_nethostile

PVG_CORE_OBJS   := $(PVG_CORE:%=$(PVG_BUILD)/core/%.o) $(PVG_LIB:%=$(PVG_BUILD)/core/lib/%.o)
PVG_NATIVE_OBJS := $(PVG_NATIVE:%=$(PVG_BUILD)/native/%.o)
PVG_XEN_OBJS    := $(PVG_XEN:%=$(PVG_BUILD)/xen/%.o) $(PVG_DRIVERS:%=$(PVG_BUILD)/drivers/%.o)

.PHONY: pvguest run-native
pvguest: $(PVG_BUILD)/pvguest-native.elf $(PVG_BUILD)/pvguest-pv.elf
all: pvguest
boot-tests: pvguest

$(PVG_BUILD)/core/%.o: pvguest/%.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC) $(PVG_CFLAGS) -c $< -o $@

$(PVG_BUILD)/core/%.o: pvguest/%.S
	@mkdir -p $(@D)
	@echo "  AS      $<"
	@$(CC) $(PVG_CFLAGS) -D__ASSEMBLY__ -c $< -o $@

$(PVG_BUILD)/core/lib/%.o: lib/%.c
	@mkdir -p $(@D)
	@echo "  CC      $< (pvguest)"
	@$(CC) $(PVG_CFLAGS) -c $< -o $@

$(PVG_BUILD)/native/%.o: pvguest/arch/x86_64/native/%.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC) $(PVG_CFLAGS) -c $< -o $@

$(PVG_BUILD)/native/%.o: pvguest/arch/x86_64/native/%.S
	@mkdir -p $(@D)
	@echo "  AS      $<"
	@$(CC) $(PVG_CFLAGS) -D__ASSEMBLY__ -c $< -o $@

$(PVG_BUILD)/xen/%.o: pvguest/arch/x86_64/xen/%.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC) $(PVG_XEN_CFLAGS) -c $< -o $@

$(PVG_BUILD)/drivers/%.o: pvdrivers/%.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC) $(PVG_XEN_CFLAGS) -Ipvdrivers/include -c $< -o $@

$(PVG_BUILD)/xen/%.o: pvguest/arch/x86_64/xen/%.S
	@mkdir -p $(@D)
	@echo "  AS      $<"
	@$(CC) $(PVG_XEN_CFLAGS) -D__ASSEMBLY__ -c $< -o $@

$(PVG_BUILD)/native.lds: pvguest/arch/x86_64/kernel.lds.S
	@mkdir -p $(@D)
	@$(CC) -E -P -DLOAD_PHYS=0x200000 -DENTRY_POINT=native_start32 -x c $< -o $@

$(PVG_BUILD)/pv.lds: pvguest/arch/x86_64/kernel.lds.S
	@mkdir -p $(@D)
	@$(CC) -E -P -DLOAD_PHYS=0 -DENTRY_POINT=xen_entry -DXEN_PV -x c $< -o $@

PVG_LD := $(LD) -nostdlib -static -z max-page-size=4096 -z noexecstack --no-warn-rwx-segments

$(PVG_BUILD)/pvguest-native.elf: $(PVG_CORE_OBJS) $(PVG_NATIVE_OBJS) $(PVG_BUILD)/native.lds
	@echo "  LD      $@"
	@$(PVG_LD) -T $(PVG_BUILD)/native.lds -o $@ $(PVG_NATIVE_OBJS) $(PVG_CORE_OBJS)

$(PVG_BUILD)/pvguest-pv.elf: $(PVG_CORE_OBJS) $(PVG_XEN_OBJS) $(PVG_BUILD)/pv.lds
	@echo "  LD      $@"
	@$(PVG_LD) -T $(PVG_BUILD)/pv.lds -o $@ $(PVG_XEN_OBJS) $(PVG_CORE_OBJS)

# Boots pvguest alone, natively, in QEMU (serial on this terminal); PVG_CMDLINE adds options.
# PVG_DISK=build/disk.img attaches that image as a virtio-blk-pci device.
run-native: setup pvguest
	$(PYTHON) pvguest/scripts/native.py --build $(BUILD) --interactive $(if $(PVG_DISK),--disk $(PVG_DISK)) $(PVG_CMDLINE)

# A blank 16 MiB raw disk for virtio-blk (never committed): make disk.
DISK_IMG := $(BUILD)/disk.img
.PHONY: disk
disk: $(DISK_IMG)
boot-tests: $(DISK_IMG)
$(DISK_IMG):
	@mkdir -p $(@D)
	@echo "  DISK    $@ (16 MiB)"
	@truncate -s 16M $@

-include $(PVG_CORE_OBJS:.o=.d) $(PVG_NATIVE_OBJS:.o=.d) $(PVG_XEN_OBJS:.o=.d)
