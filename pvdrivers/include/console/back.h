/* dom0's console back end (console/back.c): what the toolstack tells it. */
#ifndef CONSOLE_BACK_H
#define CONSOLE_BACK_H

#include <stdint.h>
#include <public/xen.h>

/*
 * A domain was built (its console ring is published) or went: look at the
 * domain list now rather than at the next poll. Any context, events masked too.
 */
void console_back_kick(void);

/*
 * xl console <dom>: from now on every serial input byte goes into domain
 * id's `in` ring (Ctrl-B too) except Ctrl-] (0x1d), which detaches and is
 * passed on to dom0's own input (xl sees it and knows the user left). While
 * attached, the other domains' ring output is suppressed: their rings are
 * still drained (their writers must not stall behind a person reading one
 * console) but their lines are dropped and counted, not printed. Lines that
 * domUs write through the hypervisor's console_io ("(name) ...") and dom0's
 * own printk are not the back end's and still show. Thread context.
 * 0; -XEN_EINVAL for dom0 or an id out of range; -XEN_ENODEV if the back end
 * serves no console ring of that domain (none, not running, broke it, or the
 * back end is not running); -XEN_EBUSY if already attached.
 */
int console_back_attach(domid_t id);
/*
 * Input goes to dom0 again and every domain's lines show again (a no-op if
 * not attached). The number of other domains' lines suppressed meanwhile.
 */
uint64_t console_back_detach(void);
/* The domain input is attached to (by console_back_attach), or 0: Ctrl-] or its disconnection ended it. */
domid_t console_back_attached(void);

#endif /* CONSOLE_BACK_H */
