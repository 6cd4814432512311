/*
 * Guest user mode for tests (user.S): enter_user(fn, stack) runs fn in guest
 * user mode until it makes a syscall, which Xen's ABI bounces to the
 * kernel's syscall callback, syscall_entry; that returns from enter_user.
 */
#ifndef GUEST_USER_H
#define GUEST_USER_H

#include <stdint.h>

extern char syscall_entry[];
void enter_user(void *fn, void *stack);

/*
 * Makes guest user mode enterable: the kernel stack the hypervisor switches
 * to on the way back (stack_switch), the syscall callback, and the kernel's
 * own L4 as the user page tables. 0, or the first failing call's error
 * (*what names it). Repeating it is harmless.
 */
int64_t user_mode_setup(const char **what);

/* The top of a one-page user stack for enter_user. */
void *user_stack_top(void);

#endif
