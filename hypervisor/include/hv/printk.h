/* Console logging with levels, and the formatter behind it. */
#ifndef HV_PRINTK_H
#define HV_PRINTK_H

#include <hv/lib.h>

/*
 * A message may start with a level marker; messages above the console
 * log level are dropped. Without a marker a message is LOG_INFO.
 */
#define LOG_ERR     "\001" "3"
#define LOG_WARN    "\001" "4"
#define LOG_INFO    "\001" "6"
#define LOG_DEBUG   "\001" "7"
enum { LOGLVL_ERR = 3, LOGLVL_WARN = 4, LOGLVL_INFO = 6, LOGLVL_DEBUG = 7 };

void printk(const char *fmt, ...) __printf(1, 2);
void vprintk(const char *fmt, va_list ap);
__noreturn void panic(const char *fmt, ...) __printf(1, 2);

/* Strips a level marker; returns the level (or LOGLVL_INFO) and advances *msg. */
int printk_level(const char **msg);

extern unsigned int console_loglevel;

/* Set by panic: printk stops taking the console lock (its holder may never let go). */
extern volatile bool panic_in_progress;

#endif
