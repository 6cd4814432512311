/* KTAP output (https://docs.kernel.org/dev-tools/ktap.html) for in-machine tests. */
#ifndef HV_KTAP_H
#define HV_KTAP_H

#include <hv/lib.h>

struct ktap {
    unsigned int planned, done, failed;
};

void ktap_start(struct ktap *k, unsigned int planned);
/* Reports case k->done + 1; reason (printf-style) explains a failure. */
void ktap_result(struct ktap *k, bool ok, const char *name, const char *reason, ...) __printf(4, 5);
/* Ends the run with its totals line; true when there were cases and every planned one passed. */
bool ktap_finish(struct ktap *k);

#endif
