/*
 * Self-tests of what only a paravirtualized kernel has (grant tables, the
 * split drivers' services). The PV image defines each case (xen/selftest_*.c);
 * these weak defaults make the native image report it skipped, so both
 * images print the same KTAP plan.
 */
#include "selftest.h"

#define PV_ONLY(name) \
    __attribute__((weak)) TEST(name) { return ktap_skip(why, len, "needs a PV hypervisor"); }

PV_ONLY(test_grant_self)
PV_ONLY(test_grant_end_twice)
PV_ONLY(test_xenbus_nodes)
PV_ONLY(test_xenbus_permissions)
PV_ONLY(test_xenbus_watch)
PV_ONLY(test_xenbus_transaction)
PV_ONLY(test_xenbus_concurrent)
PV_ONLY(test_xenbus_probe_reconnect)
PV_ONLY(test_xenbus_meet)
PV_ONLY(test_xenbus_ring_jump)
PV_ONLY(test_ringtest_exchange)
PV_ONLY(test_blk_rw)
PV_ONLY(test_net_hostile)
PV_ONLY(test_pci_isolation)
PV_ONLY(test_pci_assign_roundtrip)
