/* ringtest's drivers and their verdict (front.c, back.c, driver.c). */
#ifndef PVD_RINGTEST_DRV_H
#define PVD_RINGTEST_DRV_H

#include <xenbus/xenbus.h>
#include "ringtest.h"

extern struct xenbus_driver ringtest_front_driver, ringtest_back_driver;
/* An end finished its exchange (st NULL: it could not start one). */
extern void *ringtest_front_page;     /* driver.c: allocated at boot, used by the one front end */
/* Blocks until this domain's self-test case starts the exchange. */
void ringtest_wait_go(void);
/* Runs fn(arg) in the data-path thread made at boot: false if there is none. */
bool ringtest_run(void (*fn)(void *), void *arg);
void ringtest_report(bool ok, const struct ringtest_stats *st);

#endif
