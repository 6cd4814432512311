# Host unit tests: the hypervisor's own pure .c files, compiled unchanged for the
# host with ASan and UBSan, driven by cmocka. Included by the top-level Makefile.
#   make unit-tests         build and run every test binary (fails on any failure)
#   make decode-table       rewrite tests/unit/decode_table.inc from objdump

UNIT_DIR     := $(BUILD)/unit
UNIT_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
UNIT_CFLAGS  := -std=c11 -g -O1 -Wall -Wextra -Werror $(UNIT_SAN) \
                -Ilib/include -Ihypervisor/include -Ihypervisor/arch/x86_64/include -DHV_DEBUG -MMD -MP
# The formatter's names clash with libc's; every hypervisor file gets the renames
# so multiboot2.c's snprintf() calls reach the hypervisor's formatter.
UNIT_HV_DEFS := -Dvsnprintf=hv_vsnprintf -Dsnprintf=hv_snprintf
UNIT_LIBS    := -lcmocka
UNIT_ENV     := ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1

UNIT_TESTS   := format cmdline multiboot2 memmap page_alloc timescale acpi_tables elf pagetable sched decode domain_ref timer rangeset ring grant xenstore xs_ring console blkif_check toolstack net bridge netif_check pci_vconf tlbclock

# The hypervisor sources each test binary is built from.
UNIT_SRCS_format      := lib/format.c
UNIT_SRCS_cmdline     := hypervisor/common/cmdline.c lib/strlcpy.c
UNIT_SRCS_multiboot2  := hypervisor/common/multiboot2.c lib/strlcpy.c \
                         lib/format.c
UNIT_SRCS_memmap      := hypervisor/common/memmap.c
UNIT_SRCS_page_alloc  := hypervisor/common/page_alloc.c hypervisor/common/tlbclock.c
UNIT_SRCS_tlbclock    := hypervisor/common/tlbclock.c
UNIT_SRCS_timescale   := hypervisor/common/timescale.c
UNIT_SRCS_acpi_tables := hypervisor/arch/x86_64/acpi_tables.c
UNIT_SRCS_elf         := lib/elf.c lib/format.c lib/strlcpy.c
UNIT_SRCS_pagetable   := hypervisor/arch/x86_64/pv/pagetable.c hypervisor/common/page_alloc.c \
                         hypervisor/common/tlbclock.c
UNIT_SRCS_sched       := hypervisor/common/sched_credit.c hypervisor/common/sched_rr.c
UNIT_SRCS_decode      := hypervisor/arch/x86_64/emul/decode.c
UNIT_SRCS_domain_ref  := hypervisor/common/domain_ref.c
UNIT_SRCS_timer       := hypervisor/common/timer.c
UNIT_SRCS_rangeset    := hypervisor/common/rangeset.c
UNIT_SRCS_pci_vconf   := hypervisor/common/pci_vconf.c
UNIT_SRCS_ring        := pvdrivers/ring.c
UNIT_SRCS_grant       := hypervisor/common/grant_book.c hypervisor/arch/x86_64/pv/pagetable.c \
                         hypervisor/common/page_alloc.c hypervisor/common/tlbclock.c
XENSTORE_SRCS         := $(addprefix pvdrivers/xenstore/,store.c watch.c transaction.c domain.c proto.c check.c)
UNIT_SRCS_xenstore    := $(XENSTORE_SRCS)
UNIT_SRCS_xs_ring     := pvdrivers/xenbus/xs_ring.c
UNIT_SRCS_console     := pvdrivers/console/lines.c
UNIT_SRCS_blkif_check := pvdrivers/block/blkif_check.c
UNIT_SRCS_netif_check := pvdrivers/net/netif_check.c
UNIT_SRCS_net         := pvguest/net/proto.c pvguest/net/arp_cache.c pvguest/net/stack.c
UNIT_SRCS_bridge      := pvdrivers/net/bridge.c lib/strlcpy.c
UNIT_SRCS_toolstack   := pvdrivers/toolstack/xl_cfg.c pvdrivers/toolstack/cpio.c lib/pv_layout.c lib/pci_bdf.c lib/format.c \
                         lib/strlcpy.c
# Shared test helpers (tests/unit/*.c) a test binary links besides its own file.
UNIT_HELPERS_page_alloc := expect_bug one_cpu
UNIT_HELPERS_pagetable  := expect_bug pt_world one_cpu
UNIT_HELPERS_timer      := expect_bug one_cpu
UNIT_HELPERS_grant      := expect_bug pt_world one_cpu
# pagetable.c and its test use the ABI's public/errno.h and public/xen.h.
$(UNIT_DIR)/hv/hypervisor/arch/x86_64/pv/pagetable.o $(UNIT_DIR)/obj/test_pagetable.o $(UNIT_DIR)/obj/pt_world.o: \
    UNIT_CFLAGS += -Ihypercall-abi/include
# So do domain_ref.c and its test (hv/domain.h).
$(UNIT_DIR)/hv/hypervisor/common/domain_ref.o $(UNIT_DIR)/obj/test_domain_ref.o: UNIT_CFLAGS += -Ihypercall-abi/include
$(UNIT_DIR)/hv/hypervisor/common/rangeset.o $(UNIT_DIR)/obj/test_rangeset.o: UNIT_CFLAGS += -Ihypercall-abi/include
$(UNIT_DIR)/hv/hypervisor/common/grant_book.o $(UNIT_DIR)/obj/test_grant.o: UNIT_CFLAGS += -Ihypercall-abi/include

# The xenstore core (pvdrivers/) and its test use pvdrivers/include and the ABI.
$(XENSTORE_SRCS:%.c=$(UNIT_DIR)/hv/%.o) $(UNIT_DIR)/obj/test_xenstore.o: \
    UNIT_CFLAGS += -Ipvdrivers/include -Ihypercall-abi/include
# The split drivers' ring (pvdrivers/ring.c) sees only the ABI and its own headers.
$(UNIT_DIR)/hv/pvdrivers/ring.o $(UNIT_DIR)/obj/test_ring.o: UNIT_CFLAGS += -Ihypercall-abi/include -Ipvdrivers/include
# So does the xenstore ring's byte streams (pvdrivers/xenbus/xs_ring.c).
$(UNIT_DIR)/hv/pvdrivers/xenbus/xs_ring.o $(UNIT_DIR)/obj/test_xs_ring.o: UNIT_CFLAGS += -Ihypercall-abi/include -Ipvdrivers/include
# The PV console's ring arithmetic and line assembler (pvdrivers/).
$(UNIT_DIR)/hv/pvdrivers/console/lines.o $(UNIT_DIR)/obj/test_console.o: \
    UNIT_CFLAGS += -Ipvdrivers/include -Ihypercall-abi/include

# test_decode.c includes emul/decode.h and the objdump table beside it.
$(UNIT_DIR)/obj/test_decode.o: UNIT_CFLAGS += -Ihypervisor/arch/x86_64

UNIT_BINS    := $(UNIT_TESTS:%=$(UNIT_DIR)/test_%)

# Regenerates test_decode's expectations from GNU as and objdump (commit the result).
.PHONY: decode-table
decode-table:
	$(PYTHON) tests/unit/gen_decode_table.py

# Builds without running (tools/mutation_test.py tells a patch that breaks the build from one a test catches).
.PHONY: unit-test-bins
unit-test-bins: $(UNIT_BINS)

unit-tests: $(UNIT_BINS)
	@fail=0; for t in $(UNIT_BINS); do \
	    echo "  UNIT    $$t"; \
	    $(UNIT_ENV) $$t || { echo "  FAILED  $$t"; fail=1; }; \
	done; exit $$fail

$(UNIT_DIR)/hv/%.o: %.c
	@mkdir -p $(@D)
	@echo "  HOSTCC  $<"
	@$(CC) $(UNIT_CFLAGS) $(UNIT_HV_DEFS) -c $< -o $@

$(UNIT_DIR)/obj/%.o: tests/unit/%.c
	@mkdir -p $(@D)
	@echo "  HOSTCC  $<"
	@$(CC) $(UNIT_CFLAGS) -c $< -o $@

define UNIT_LINK
$(UNIT_DIR)/test_$(1): $(UNIT_DIR)/obj/test_$(1).o $(UNIT_HELPERS_$(1):%=$(UNIT_DIR)/obj/%.o) \
                       $(UNIT_SRCS_$(1):%.c=$(UNIT_DIR)/hv/%.o)
	@echo "  HOSTLD  $$@"
	@$$(CC) $(UNIT_SAN) -o $$@ $$^ $(UNIT_LIBS)
endef
$(foreach t,$(UNIT_TESTS),$(eval $(call UNIT_LINK,$(t))))

-include $(UNIT_TESTS:%=$(UNIT_DIR)/obj/test_%.d) $(UNIT_DIR)/obj/expect_bug.d $(UNIT_DIR)/obj/pt_world.d $(UNIT_DIR)/obj/one_cpu.d
-include $(sort $(foreach t,$(UNIT_TESTS),$(UNIT_SRCS_$(t):%.c=$(UNIT_DIR)/hv/%.d)))
# blkback's request validation (pvdrivers/block/blkif_check.c).
$(UNIT_DIR)/hv/pvdrivers/block/blkif_check.o $(UNIT_DIR)/obj/test_blkif_check.o: UNIT_CFLAGS += -Ihypercall-abi/include -Ipvdrivers/include
# netback's tx validation (pvdrivers/net/netif_check.c).
$(UNIT_DIR)/hv/pvdrivers/net/netif_check.o $(UNIT_DIR)/obj/test_netif_check.o: UNIT_CFLAGS += -Ihypercall-abi/include -Ipvdrivers/include
# dom0's toolstack: xl.cfg parser, cpio reader (pvdrivers/toolstack), the shared layout (lib/pv_layout.c).
$(UNIT_DIR)/hv/pvdrivers/toolstack/xl_cfg.o $(UNIT_DIR)/hv/pvdrivers/toolstack/cpio.o $(UNIT_DIR)/obj/test_toolstack.o: \
    UNIT_CFLAGS += -Ipvdrivers/include
# pvguest's IP stack (pvguest/net/): pure, it sees only pvguest/include/net/ and lib/include.
$(UNIT_SRCS_net:%.c=$(UNIT_DIR)/hv/%.o) $(UNIT_DIR)/obj/test_net.o: UNIT_CFLAGS += -Ipvguest/include
# netback's learning bridge (pvdrivers/net/bridge.c): its header and the ABI's errno values.
$(UNIT_DIR)/hv/pvdrivers/net/bridge.o $(UNIT_DIR)/obj/test_bridge.o: UNIT_CFLAGS += -Ipvdrivers/include -Ihypercall-abi/include
