# Host fuzz targets: clang's libFuzzer over the same pure .c files the unit
# tests compile (their UNIT_SRCS_* lists), with ASan and UBSan. Included by the
# top-level Makefile.
#   make fuzz-host [FUZZ_SECONDS=600] [FUZZ_TARGETS="elf cmdline"]
#       runs each target for FUZZ_SECONDS; new inputs go to build/fuzz/corpus/,
#       crashes, leaks and timeouts to build/fuzz/artifacts/ (any one fails it)
#   make fuzz-host-merge   adds to tests/fuzz/corpus/ the working inputs that cover new paths
#   make fuzz-smoke        a few seconds of each over the committed corpus (part of make test)

FUZZ_DIR      := $(BUILD)/fuzz
FUZZ_CC       ?= clang
FUZZ_SAN      := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_BASE     := -std=c11 -g -O1 -Wall -Wextra -Werror $(FUZZ_SAN) \
                 -Ilib/include -Ihypervisor/include -Ihypervisor/arch/x86_64/include -Ihypercall-abi/include \
                 -Itests/fuzz -Itests/unit -MMD -MP
# Coverage guidance for the code under test and the targets; none for the shared
# oracles (tests/unit helpers), whose comparisons would cost most of the time.
FUZZ_CFLAGS   := $(FUZZ_BASE) -fsanitize=fuzzer-no-link
FUZZ_TARGETS  ?= pagetable elf multiboot2 cmdline x86_decode xenstore
FUZZ_SECONDS  ?= 600
FUZZ_SMOKE_SECONDS ?= 4

# The hypervisor sources of each target: exactly the unit test's.
FUZZ_SRCS_pagetable  := $(UNIT_SRCS_pagetable)
FUZZ_SRCS_elf        := $(UNIT_SRCS_elf)
FUZZ_SRCS_multiboot2 := $(UNIT_SRCS_multiboot2)
FUZZ_SRCS_cmdline    := $(UNIT_SRCS_cmdline)
FUZZ_SRCS_x86_decode := $(UNIT_SRCS_decode)
FUZZ_SRCS_xenstore   := $(UNIT_SRCS_xenstore)
# Shared test helpers (tests/unit/*.c) besides the target's own file.
FUZZ_HELPERS_pagetable := pt_world one_cpu

FUZZ_ALL      := pagetable elf multiboot2 cmdline x86_decode xenstore
# The xenstore core and its target use pvdrivers/include.
$(XENSTORE_SRCS:%.c=$(FUZZ_DIR)/hv/%.o) $(FUZZ_DIR)/obj/fuzz_xenstore.o: FUZZ_CFLAGS += -Ipvdrivers/include
# Its invariant checker is an oracle run after every step: no coverage guidance (it halves exec/s).
$(FUZZ_DIR)/hv/pvdrivers/xenstore/check.o: FUZZ_CFLAGS := $(FUZZ_BASE) -Ipvdrivers/include
# Smoke runs of a fixed number of inputs instead of FUZZ_SMOKE_SECONDS (run.sh reads FUZZ_RUNS_<target>).
export FUZZ_RUNS_xenstore ?= 1000000
# fuzz_x86_decode.c includes emul/decode.h.
$(FUZZ_DIR)/obj/fuzz_x86_decode.o: FUZZ_CFLAGS += -Ihypervisor/arch/x86_64
FUZZ_BINS     := $(FUZZ_ALL:%=$(FUZZ_DIR)/fuzz_%)

.PHONY: setup-fuzz fuzz-host-build fuzz-host fuzz-host-merge fuzz-smoke

setup-fuzz:
	@tools/setup.sh fuzz

fuzz-host-build: setup-fuzz
	@$(MAKE) --no-print-directory $(FUZZ_BINS)

fuzz-host: fuzz-host-build
	@tests/fuzz/run.sh run $(FUZZ_DIR) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-host-merge: fuzz-host-build
	@tests/fuzz/run.sh merge $(FUZZ_DIR) 0 $(FUZZ_TARGETS)

fuzz-smoke: fuzz-host-build
	@tests/fuzz/run.sh smoke $(FUZZ_DIR) $(FUZZ_SMOKE_SECONDS) $(FUZZ_ALL)

$(FUZZ_DIR)/hv/%.o: %.c
	@mkdir -p $(@D)
	@echo "  FUZZCC  $<"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) $(UNIT_HV_DEFS) -c $< -o $@

$(FUZZ_DIR)/obj/%.o: tests/fuzz/%.c
	@mkdir -p $(@D)
	@echo "  FUZZCC  $<"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_DIR)/obj/unit/%.o: tests/unit/%.c
	@mkdir -p $(@D)
	@echo "  FUZZCC  $<"
	@$(FUZZ_CC) $(FUZZ_BASE) -c $< -o $@

define FUZZ_LINK
$(FUZZ_DIR)/fuzz_$(1): $(FUZZ_DIR)/obj/fuzz_$(1).o $(FUZZ_HELPERS_$(1):%=$(FUZZ_DIR)/obj/unit/%.o) \
                       $(FUZZ_SRCS_$(1):%.c=$(FUZZ_DIR)/hv/%.o)
	@echo "  FUZZLD  $$@"
	@$$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $$@ $$^
endef
$(foreach t,$(FUZZ_ALL),$(eval $(call FUZZ_LINK,$(t))))

-include $(FUZZ_ALL:%=$(FUZZ_DIR)/obj/fuzz_%.d) $(FUZZ_DIR)/obj/unit/pt_world.d $(FUZZ_DIR)/obj/unit/one_cpu.d
-include $(sort $(foreach t,$(FUZZ_ALL),$(FUZZ_SRCS_$(t):%.c=$(FUZZ_DIR)/hv/%.d)))
