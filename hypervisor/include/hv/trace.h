/* Stack traces for reports: the frame-pointer chain from a given frame. */
#ifndef HV_TRACE_H
#define HV_TRACE_H

/* Prints up to a dozen return addresses, stopping at the edge of the stack. */
void show_stack_trace(const void *frame);

#endif
