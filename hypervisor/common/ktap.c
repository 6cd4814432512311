/* KTAP version 1 reporting on the console. */
#include <hv/ktap.h>
#include <hv/printk.h>

void ktap_start(struct ktap *k, unsigned int planned)
{
    *k = (struct ktap){ .planned = planned };
    printk("KTAP version 1\n");
    printk("1..%u\n", planned);
}

void ktap_result(struct ktap *k, bool ok, const char *name, const char *reason, ...)
{
    k->done++;
    if (ok) {
        printk("ok %u %s\n", k->done, name);
        return;
    }
    char why[160] = "";
    if (reason) {
        va_list ap;
        va_start(ap, reason);
        vsnprintf(why, sizeof(why), reason, ap);
        va_end(ap);
    }
    k->failed++;
    printk("not ok %u %s # %s\n", k->done, name, why[0] ? why : "failed");
}

/* The totals line is the one every KTAP producer in the tree prints (tools/ktap.py). */
bool ktap_finish(struct ktap *k)
{
    printk("# %u passed, %u failed\n", k->done - k->failed, k->failed);
    return k->planned && k->failed == 0 && k->done == k->planned;
}
