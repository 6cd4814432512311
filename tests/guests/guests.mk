# Test guests: tiny PV kernels (XTF-like) that report KTAP through console_io.
# Each guest is one .c file in tests/guests/ linked with the framework in lib/.

GUEST_CFLAGS := -std=c11 -O2 -g -Wall -Wextra -Werror -ffreestanding -fno-stack-protector \
                -fno-pic -mcmodel=kernel -mno-red-zone -mno-sse -mno-sse2 -mno-mmx -mno-80387 \
                -fno-omit-frame-pointer -fno-asynchronous-unwind-tables -fcf-protection=none \
                -Ilib/include -Ihypercall-abi/include -Itests/guests/lib -MMD -MP \
                -DGUEST_VIRT_BASE=0xffffffff80000000
GUEST_LIB_OBJS := $(BUILD)/guests/lib/head.o $(BUILD)/guests/lib/guest.o \
                  $(BUILD)/guests/lib/exceptions.o $(BUILD)/guests/lib/exceptions_entry.o \
                  $(BUILD)/guests/lib/mm.o $(BUILD)/guests/lib/hash.o $(BUILD)/guests/lib/xs.o $(BUILD)/guests/lib/user.o $(BUILD)/guests/lib/user_setup.o \
                  $(BUILD)/guests/lib/events.o $(BUILD)/guests/lib/smp.o $(BUILD)/guests/lib/churn.o \
                  $(BUILD)/guests/lib/format.o $(BUILD)/guests/lib/string.o $(BUILD)/guests/lib/strlcpy.o

TEST_GUESTS := basics traps supervisor crash mm console shutdown attacker batch ticker events pingpong spinner hostile fuzz smp smpstress flooder vcpus emul ioport ptwr trapkernel xenstore grant exchange idler domctl pirq watchdog
TEST_GUEST_ELFS := $(TEST_GUESTS:%=$(BUILD)/guests/%.elf)

.PHONY: guests
guests: $(TEST_GUEST_ELFS)

$(BUILD)/guests/lib/%.o: tests/guests/lib/%.S
	@mkdir -p $(@D)
	@echo "  AS      $<"
	@$(CC) $(GUEST_CFLAGS) -D__ASSEMBLY__ -c $< -o $@

$(BUILD)/guests/lib/%.o: tests/guests/lib/%.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC) $(GUEST_CFLAGS) -c $< -o $@

$(BUILD)/guests/lib/%.o: lib/%.c
	@mkdir -p $(@D)
	@echo "  CC      $< (guest)"
	@$(CC) $(GUEST_CFLAGS) -c $< -o $@

$(BUILD)/guests/%.o: tests/guests/%.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC) $(GUEST_CFLAGS) -c $< -o $@

$(BUILD)/guests/%.elf: $(BUILD)/guests/%.o $(GUEST_LIB_OBJS) tests/guests/lib/guest.lds
	@echo "  LD      $@"
	@$(LD) -nostdlib -static -z max-page-size=4096 -z noexecstack --no-warn-rwx-segments \
	      -T tests/guests/lib/guest.lds -o $@ $(GUEST_LIB_OBJS) $<

# trapkernel is the emul, ioport and ptwr suites in one kernel: each file again, its
# guest_cases and test_title renamed after the suite.
TRAPKERNEL_SUITES := emul ioport ptwr

$(BUILD)/guests/suite/%.o: tests/guests/%.c
	@mkdir -p $(@D)
	@echo "  CC      $< (suite)"
	@$(CC) $(GUEST_CFLAGS) -Dguest_cases=$*_cases -Dtest_title=$*_title -c $< -o $@

$(BUILD)/guests/trapkernel.elf: $(BUILD)/guests/trapkernel.o $(TRAPKERNEL_SUITES:%=$(BUILD)/guests/suite/%.o) \
                                $(GUEST_LIB_OBJS) tests/guests/lib/guest.lds
	@echo "  LD      $@"
	@$(LD) -nostdlib -static -z max-page-size=4096 -z noexecstack --no-warn-rwx-segments \
	      -T tests/guests/lib/guest.lds -o $@ $(GUEST_LIB_OBJS) $(filter %.o,$(filter-out $(GUEST_LIB_OBJS),$^))

# The fuzzer is fuzz.c plus its helpers in tests/guests/fuzz/.
FUZZ_OBJS := $(BUILD)/guests/fuzz/args.o $(BUILD)/guests/fuzz/calls.o $(BUILD)/guests/fuzz/entry.o

$(BUILD)/guests/fuzz/%.o: tests/guests/fuzz/%.S
	@mkdir -p $(@D)
	@echo "  AS      $<"
	@$(CC) $(GUEST_CFLAGS) -D__ASSEMBLY__ -c $< -o $@

$(BUILD)/guests/fuzz.elf: $(BUILD)/guests/fuzz.o $(FUZZ_OBJS) $(GUEST_LIB_OBJS) tests/guests/lib/guest.lds
	@echo "  LD      $@"
	@$(LD) -nostdlib -static -z max-page-size=4096 -z noexecstack --no-warn-rwx-segments \
	      -T tests/guests/lib/guest.lds -o $@ $(GUEST_LIB_OBJS) $(BUILD)/guests/fuzz.o $(FUZZ_OBJS)

.SECONDARY:

-include $(GUEST_LIB_OBJS:.o=.d) $(TEST_GUESTS:%=$(BUILD)/guests/%.d) $(FUZZ_OBJS:.o=.d)
