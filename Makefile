# One Makefile for the whole tree: explicit file lists, warnings are errors.
#   make            hypervisor ELF and the default scenario's ISO
#   make run        boot the default scenario in QEMU (serial on this terminal)
#   make test       unit tests, a fuzz smoke run, ABI checks, boot tests, bench-check (bench/bench.mk)
#   make fuzz-host  the host fuzz targets, 10 minutes each (tests/fuzz/fuzz.mk)
#   make mutation-test   each tests/mutations patch must make its tests fail (slow; not in make test)
#   make iso SCENARIO=scenarios/NAME.scn

BUILD     ?= build
CC        ?= gcc
LD        ?= ld
# Debian's python3, which has the apt-installed pytest (a pyenv python may shadow it on PATH).
PYTHON    ?= /usr/bin/python3
SCENARIO  ?= scenarios/default.scn

HV_ARCH   := hypervisor/arch/x86_64
HV_INC    := -Ilib/include -Ihypervisor/include -I$(HV_ARCH)/include -Ihypercall-abi/include -I$(BUILD)/hypervisor/include

# Freestanding, no SSE (we save no FPU state), no red zone (interrupts push onto
# the stack); frame pointers for stack traces in the debug build only, as Xen's
# CONFIG_FRAME_POINTER (default: DEBUG). -fpie keeps code RIP-relative so
# it can be linked at XEN_VIRT_START; the link itself is not position independent.
HV_CFLAGS := -std=c11 -O2 -g -Wall -Wextra -Werror -ffreestanding -fno-stack-protector \
             -fpie -mno-red-zone -mno-sse -mno-sse2 -mno-mmx -mno-80387 \
             -fno-asynchronous-unwind-tables -fno-strict-aliasing \
             -fcf-protection=none -MMD -MP $(HV_INC)
HV_AFLAGS := -D__ASSEMBLY__ $(HV_INC) -MMD -MP
# Debug build by default (ASSERTs checked): the boot tests run it. HV_DEBUG=0 for a release build.
HV_DEBUG ?= 1
ifeq ($(HV_DEBUG),1)
HV_CFLAGS += -DHV_DEBUG -fno-omit-frame-pointer
else
HV_CFLAGS += -fomit-frame-pointer
endif

HV_COMMON := cmdline console console_io domain domain_boot domain_ref domctl domctl_toolstack event_channel grant_book grant_table hypercall keyhandler ktap memmap memory memory_exchange memory_op multiboot2 multicall pci_vconf timer tlbclock \
             page_alloc panic printk rangeset sched_credit sched_op sched_rr schedule selftest timescale vcpu_op version watchdog
LIB_SRCS  := elf format pv_layout string strlcpy
HV_ARCH_C := acpi acpi_tables apic desc fw_cfg machine mm pci pirq selftest serial setup smp smpboot time traps usercopy \
             pv/audit pv/bounce pv/build pv/callbacks pv/context pv/descriptor pv/domain pv/hypercall pv/iret pv/mm \
             pv/emulate pv/emul_priv pv/grant pv/msr pv/cpuid pv/debugreg pv/ioport pv/pagetable pv/physdev pv/ptwr pv/traps pv/vcpu emul/decode
HV_ARCH_S := boot/head boot/trampoline entry

HV_OBJS   := $(HV_COMMON:%=$(BUILD)/hypervisor/common/%.o) \
             $(LIB_SRCS:%=$(BUILD)/hypervisor/lib/%.o) \
             $(HV_ARCH_C:%=$(BUILD)/$(HV_ARCH)/%.o) \
             $(HV_ARCH_S:%=$(BUILD)/$(HV_ARCH)/%.o)
ASM_OFFSETS := $(BUILD)/hypervisor/include/asm/asm-offsets.h

.PHONY: all hypervisor iso run test unit-tests abi-tests boot-tests mutation-test setup clean fuzz linux-client
all: hypervisor guests iso

hypervisor: $(BUILD)/hypervisor.elf

$(BUILD)/hypervisor/common/%.o: hypervisor/common/%.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC) $(HV_CFLAGS) -c $< -o $@

$(BUILD)/hypervisor/lib/%.o: lib/%.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC) $(HV_CFLAGS) -c $< -o $@

$(BUILD)/$(HV_ARCH)/%.o: $(HV_ARCH)/%.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC) $(HV_CFLAGS) -c $< -o $@

$(BUILD)/$(HV_ARCH)/%.o: $(HV_ARCH)/%.S $(ASM_OFFSETS)
	@mkdir -p $(@D)
	@echo "  AS      $<"
	@$(CC) $(HV_AFLAGS) -c $< -o $@

# Structure offsets for assembly, generated from the C definitions.
$(ASM_OFFSETS): $(HV_ARCH)/asm-offsets.c $(HV_ARCH)/include/asm/regs.h $(HV_ARCH)/include/asm/current.h
	@mkdir -p $(@D)
	$(CC) $(HV_CFLAGS) -S $< -o $(BUILD)/asm-offsets.s
	{ echo "/* Generated from asm-offsets.c; do not edit. */"; \
	  sed -n 's/.*==>\(.*\)<==.*/\1/p' $(BUILD)/asm-offsets.s | sed 's/\$$//'; } > $@

$(BUILD)/hypervisor.lds: $(HV_ARCH)/hypervisor.lds.S $(HV_ARCH)/include/asm/config.h
	@mkdir -p $(@D)
	$(CC) -E -P -D__ASSEMBLY__ $(HV_INC) -x c $< -o $@

$(BUILD)/hypervisor.elf: $(HV_OBJS) $(BUILD)/hypervisor.lds
	@echo "  LD      $@"
	@$(LD) -nostdlib -static -z max-page-size=4096 -z noexecstack --no-warn-rwx-segments \
	      -T $(BUILD)/hypervisor.lds -o $@ $(HV_OBJS)

# ---- images and QEMU --------------------------------------------------------
setup:
	@tools/setup.sh

# A scenario's ISO holds its modules: the test guests and pvguest.
iso: $(BUILD)/hypervisor.elf guests pvguest
	$(PYTHON) tools/mkiso.py --build $(BUILD) $(SCENARIO)

run: setup $(BUILD)/hypervisor.elf guests pvguest $(BUILD)/xl/archive.cpio
	$(PYTHON) tools/run_qemu.py --build $(BUILD) --interactive $(SCENARIO)

# The driver-domain story (issue 17), narrated: dom0's xl creates the driver domain and two
# guests, kills the driver domain 10 times under their I/O (xl destroy and a fault mid-request),
# and ends with "demo: restarts=N acknowledged_writes=N lost=0 verified=yes"; the host then checks
# the image against the guests' logs of acknowledged writes.
DEMO_DD_FOLLOW := ^(demo: |soak: |xl> |xl: (domain|error|created|pci|[0-9]+ devices)|\[soak[12]\] (blksoak: (back end back|writing|[0-9]+ passes|[0-9]+ outages)|udpsoak|udpecho: (listening|stopped)|blkfront: back end back|xenbus: .*back end moved)|\[drvdom\] (blkback: (control/trigger|virtio-blk store)|pvguest: page fault|netback: bridge up)|\(HV\).*(destroyed by dom0|shut down: crash|taken from domain))
.PHONY: demo-driver-domain soak
demo-driver-domain: setup $(BUILD)/hypervisor.elf pvguest $(BUILD)/xl/archive.cpio
	$(PYTHON) tools/run_qemu.py --build $(BUILD) --follow '$(DEMO_DD_FOLLOW)' scenarios/driver-domain-soak.scn

# The long soak: the same with 100 restarts (about 8 minutes).
soak: setup $(BUILD)/hypervisor.elf pvguest $(BUILD)/xl/archive.cpio
	$(PYTHON) tools/run_qemu.py --build $(BUILD) --follow '^demo: ' scenarios/long/driver-domain-soak-100.scn

# ---- tests ------------------------------------------------------------------
include tests/unit/unit.mk
include tests/guests/guests.mk
include tests/fuzz/fuzz.mk

test: setup
	$(MAKE) all
	$(MAKE) unit-tests
	$(MAKE) fuzz-smoke
	$(MAKE) abi-tests
	$(MAKE) boot-tests
	$(MAKE) bench-check

# Every ABI header compiles alone; layouts match Xen's public headers (skips without libxen-dev).
abi-tests:
	tests/abi/check_headers.sh
	$(PYTHON) -m pytest -q tests/abi

# Deterministic stand-in modules for the boot tests.
TESTDATA := $(BUILD)/testdata/module-a.bin $(BUILD)/testdata/module-b.bin
$(BUILD)/testdata/module-a.bin: ; @mkdir -p $(@D); $(PYTHON) -c "import sys; sys.stdout.buffer.write(bytes(range(256)) * 400)" > $@
$(BUILD)/testdata/module-b.bin: ; @mkdir -p $(@D); $(PYTHON) -c "import sys; sys.stdout.buffer.write(b'B' * 3072)" > $@
# A domU's module for xl's ramdisk= (ramdisk.cfg): not a whole number of pages, no byte pattern that repeats per page.
$(BUILD)/testdata/module-xl.bin: ; @mkdir -p $(@D); $(PYTHON) -c "import sys; sys.stdout.buffer.write(bytes((i * 7 + i // 251) & 255 for i in range(70001)))" > $@
# dom0's ramdisk for xl (pvdrivers/toolstack/README.md): the configs of scenarios/xl, their kernels and module.
# pvguest (netguest.cfg: a domU with real netfront and blkfront) without its symbols: a fifth of the size.
XL_CFGS := $(wildcard scenarios/xl/*.cfg)
$(BUILD)/xl/pvguest-pv.elf: $(BUILD)/pvguest/pvguest-pv.elf
	@mkdir -p $(@D)
	objcopy --strip-all $< $@
$(BUILD)/xl/archive.cpio: tools/mkcpio.py $(XL_CFGS) $(BUILD)/guests/idler.elf $(BUILD)/testdata/module-xl.bin \
		$(BUILD)/xl/pvguest-pv.elf
	@mkdir -p $(@D)
	$(PYTHON) tools/mkcpio.py $@ $(foreach f,$(XL_CFGS),$(notdir $(f))=$(f)) idler.elf=$(BUILD)/guests/idler.elf \
		module-xl.bin=$(BUILD)/testdata/module-xl.bin pvguest-pv.elf=$(BUILD)/xl/pvguest-pv.elf
TESTDATA += $(BUILD)/xl/archive.cpio

# BOOT_TESTS narrows the pytest files; BOOT_SCENARIOS=a,b the scenarios (tests/boot/conftest.py).
BOOT_TESTS ?= tests/boot
boot-tests: $(BUILD)/hypervisor.elf $(TESTDATA) guests
	BUILD=$(BUILD) $(PYTHON) -m pytest -q -rfE $(BOOT_TESTS)

# Debian's stock kernel as a test client: build/linux/vmlinux (tools/fetch_linux.py; cached).
linux-client:
	$(PYTHON) tools/fetch_linux.py --build $(BUILD)

# Breaks one guarantee at a time in a copy of the tree (tests/mutations/*.patch) and expects
# the tests named in the patch to fail: tools/mutation_test.py. MUTATION_ARGS="-j 1 NAME..."
MUTATION_ARGS ?=
mutation-test:
	$(PYTHON) tools/mutation_test.py $(MUTATION_ARGS)

# Long hostile-guest fuzz campaigns, as dom0 and as a domU beside a victim: build/fuzz/summary.md.
SEEDS ?= 1 2 3
CALLS ?= 1000000
AVOID ?=
fuzz: $(BUILD)/hypervisor.elf guests
	$(PYTHON) tools/fuzz.py --build $(BUILD) --seeds "$(SEEDS)" --calls $(CALLS) $(if $(AVOID),--avoid $(AVOID))

clean:
	rm -rf $(BUILD)

-include $(HV_OBJS:.o=.d)
include bench/bench.mk
include pvguest/pvguest.mk
