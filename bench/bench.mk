# Benchmarks (bench/README.md): the benchmark guest, linked with the test-guest
# framework (tests/guests/lib, objects and flags from tests/guests/guests.mk),
# and `make bench`, which boots bench/scenarios/*.scn and writes build/bench/report.md.
#   make bench               everything: icount and wall-clock runs, Xen when installed
#   make bench-guests        just the guests the benchmark scenarios boot
#   make bench-report        the report again from the last runs' logs
#   make bench-blk           only the Block section's scenarios (report in build/bench-blk/)
#   make bench-net           only the Net section's scenarios (report in build/bench-net/)
#   make bench-drvdom        only the Driver domain section's (report in build/bench-drvdom/)
#   make bench-check         the regression guard: icount figures against bench/baseline.json (+5 % fails)
#                            and issue 18's goals against Xen's figures in bench/xen-4.17.json
#   make bench-baseline      records bench/baseline.json from this tree (commit it with the change that moved them)
#   make bench-phases        where the instructions of a few hot paths go, by phase (build/bench/phases.md)
#   make bench BENCH_ARGS="--repeats 1 --no-xen"      (options of bench/run.py)

BENCH_GUESTS := bench
BENCH_GUEST_ELFS := $(BENCH_GUESTS:%=$(BUILD)/bench/guests/%.elf)
BENCH_ARGS ?=

.PHONY: bench bench-guests bench-report bench-blk bench-net bench-drvdom bench-check bench-baseline bench-phases

# The test guests the benchmark scenarios boot (the supervisor, fairness's spinners), read from
# the scenarios themselves so that a new one cannot be left out: `make bench` on a fresh checkout
# builds no test guest otherwise.
BENCH_SCN_TEST_GUESTS := $(sort $(patsubst build/%,$(BUILD)/%,$(shell sed -n 's|^module: *\(build/guests/[A-Za-z0-9_-]*\.elf\).*|\1|p' bench/scenarios/*.scn)))

bench-guests: $(BENCH_GUEST_ELFS) $(BENCH_SCN_TEST_GUESTS)

# The hypervisor measured is a release build (HV_DEBUG=0: no ASSERTs), as Xen's is; the
# boot tests keep running the debug build in $(BUILD).
BENCH_HV := $(BUILD)/release/hypervisor.elf

.PHONY: bench-hypervisor
bench-hypervisor:
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/release HV_DEBUG=0 $(BENCH_HV)

# The floor (bench/README.md, "The floor"): a release build with HV_BENCH_FLOOR, whose SYSCALL
# entry returns at once for BENCH_FLOOR_SYSCALL_NR (after a CR3 reload for BENCH_FLOOR_FLUSH_NR)
# and whose BENCH_FLOOR_VECTOR gate is a bare iretq. Only bench/run.py boots it (bench-floor.scn,
# the guest's role=floor). The numbers, here only, go to the guest and to this build.
BENCH_FLOOR_DEFS := -DBENCH_FLOOR_SYSCALL_NR=0xf100 -DBENCH_FLOOR_FLUSH_NR=0xf101 -DBENCH_FLOOR_VECTOR=0x82
BENCH_FLOOR_HV := $(BUILD)/floor/hypervisor.elf
ifeq ($(HV_BENCH_FLOOR),1)
HV_CFLAGS += -DHV_BENCH_FLOOR $(BENCH_FLOOR_DEFS)
HV_AFLAGS += -DHV_BENCH_FLOOR $(BENCH_FLOOR_DEFS)
endif
.PHONY: bench-floor-hypervisor
bench-floor-hypervisor:
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/floor HV_DEBUG=0 HV_BENCH_FLOOR=1 $(BENCH_FLOOR_HV)
$(BUILD)/bench/guests/bench.o: GUEST_CFLAGS += $(BENCH_FLOOR_DEFS)

bench: setup bench-hypervisor bench-floor-hypervisor bench-guests pvguest $(BUILD)/xl/archive.cpio
	$(PYTHON) bench/phases.py --build $(BUILD) --hv-elf $(BENCH_HV) --if-gdb
	HV_ELF=$(BENCH_HV) BENCH_FLOOR_HV=$(BENCH_FLOOR_HV) $(PYTHON) bench/run.py --build $(BUILD) $(BENCH_ARGS)

# The Block figures alone (bench/README.md, "Block"): virtio-blk natively and as PV dom0, and blkfront.
BLK_BENCH_SCNS := bench/scenarios/bench-blk.scn bench/scenarios/bench-blkfront.scn
bench-blk: setup bench-hypervisor pvguest
	HV_ELF=$(BENCH_HV) $(PYTHON) bench/run.py --build $(BUILD) --out $(BUILD)/bench-blk --scenarios $(BLK_BENCH_SCNS) $(BENCH_ARGS)

# The Net figures alone (bench/README.md, "Net"): virtio-net natively and as PV dom0, netfront to the host and to a domU.
NET_BENCH_SCNS := bench/scenarios/bench-net.scn bench/scenarios/bench-net-host.scn bench/scenarios/bench-net-xdom.scn
bench-net: setup bench-hypervisor pvguest
	HV_ELF=$(BENCH_HV) $(PYTHON) bench/run.py --build $(BUILD) --out $(BUILD)/bench-net --scenarios $(NET_BENCH_SCNS) $(BENCH_ARGS)

# Block and net through a driver domain against the same through dom0, and the outage per restart (bench/drvdom.py).
DRVDOM_BENCH_SCNS := bench/scenarios/bench-blkfront.scn bench/scenarios/bench-blkfront-drvdom.scn \
                     bench/scenarios/bench-net-xdom.scn bench/scenarios/bench-net-xdom-drvdom.scn \
                     bench/scenarios/bench-drvdom-restart.scn
bench-drvdom: setup bench-hypervisor pvguest $(BUILD)/xl/archive.cpio
	HV_ELF=$(BENCH_HV) $(PYTHON) bench/run.py --build $(BUILD) --out $(BUILD)/bench-drvdom --scenarios $(DRVDOM_BENCH_SCNS) $(BENCH_ARGS)

# The regression guard (bench/check.py): bench-single, bench-xdom and bench-smp once each under
# icount on the release hypervisor, every figure against bench/baseline.json; first the
# comparison's own unit tests (tests/bench). Part of `make test`.
bench-check: setup bench-hypervisor bench-guests
	$(PYTHON) -m pytest -q tests/bench
	HV_ELF=$(BENCH_HV) $(PYTHON) bench/check.py --build $(BUILD)

bench-baseline: setup bench-hypervisor bench-guests
	HV_ELF=$(BENCH_HV) $(PYTHON) bench/check.py --build $(BUILD) --record

# One call of each traced op single-stepped under QEMU's gdb stub (bench/phases.py; needs gdb;
# make bench runs it when gdb is there).
bench-phases: setup bench-hypervisor bench-guests
	$(PYTHON) bench/phases.py --build $(BUILD) --hv-elf $(BENCH_HV)

bench-report: setup
	$(PYTHON) bench/report.py --build $(BUILD)

# tests/boot/test_bench.py boots the benchmark guest.
boot-tests: bench-guests

$(BUILD)/bench/guests/%.o: bench/guests/%.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC) $(GUEST_CFLAGS) -c $< -o $@

# bench.elf: bench.c and its split-driver figures (bench_split.c, with pvdrivers' ring).
BENCH_EXTRA_bench := $(BUILD)/bench/guests/bench_split.o $(BUILD)/bench/guests/pvd_ring.o
$(BUILD)/bench/guests/bench_split.o: GUEST_CFLAGS += -Ipvdrivers/include
$(BUILD)/bench/guests/pvd_ring.o: pvdrivers/ring.c
	@mkdir -p $(@D)
	@echo "  CC      $< (bench guest)"
	@$(CC) $(GUEST_CFLAGS) -Ipvdrivers/include -c $< -o $@

.SECONDEXPANSION:
$(BUILD)/bench/guests/%.elf: $(BUILD)/bench/guests/%.o $$(BENCH_EXTRA_$$*) $(GUEST_LIB_OBJS) tests/guests/lib/guest.lds
	@echo "  LD      $@"
	@$(LD) -nostdlib -static -z max-page-size=4096 -z noexecstack --no-warn-rwx-segments \
	      -T tests/guests/lib/guest.lds -o $@ $(GUEST_LIB_OBJS) $< $(BENCH_EXTRA_$*)

-include $(BENCH_GUESTS:%=$(BUILD)/bench/guests/%.d) $(BUILD)/bench/guests/bench_split.d $(BUILD)/bench/guests/pvd_ring.d
