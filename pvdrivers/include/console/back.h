/* dom0's console back end (console/back.c): what the toolstack tells it. */
#ifndef CONSOLE_BACK_H
#define CONSOLE_BACK_H

/*
 * A domain was built (its console ring is published) or went: look at the
 * domain list now rather than at the next poll. Any context, events masked too.
 */
void console_back_kick(void);

#endif /* CONSOLE_BACK_H */
