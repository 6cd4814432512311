/*
 * Machine frames as common code uses them: reference and type counts. A
 * frame a guest owns holds a general count (every mapping, link, pin and
 * base-pointer use) and a type with its own count (PGT_* in hv/page_alloc.h):
 * it changes type only while its type count is 0. Grant tables, memory_op
 * and vcpu_op take references through these; the architecture implements
 * them (x86-64 PV: asm/pagetable.h, pv/pagetable.c).
 */
#ifndef HV_FRAME_H
#define HV_FRAME_H

#include <hv/page_alloc.h>
#include <hv/spinlock.h>
#include <asm/cpu.h>

struct domain;

/*
 * One lock over every frame's counts, every domain's page list and every
 * guest page table (hv/spinlock.h has its place in the lock order): the
 * memory hypercalls, descriptor tables, vCPU contexts, teardown and the
 * audit run under it, so counts and tables always agree when it is free.
 * frame_lock turns interrupts off until frame_unlock. The reference and type
 * operations below expect it held.
 */
void frame_lock(void);
void frame_unlock(void);
bool frame_lock_held(void);
/*
 * The same inside a hypercall, which runs with interrupts off (do_syscall): the lock
 * alone, inline (the memory and grant hypercalls take it on every call).
 */
extern spinlock_t frame_spinlock;           /* the architecture's (pv/mm.c) */
static inline void frame_lock_hypercall(void)
{
    ASSERT(!local_irq_is_enabled());
    spin_lock(&frame_spinlock);
}
static inline void frame_unlock_hypercall(void)
{
    spin_unlock(&frame_spinlock);
}

/* General reference: d must own the frame. 0 or -XEN_EINVAL. */
int get_page(uint64_t mfn, const struct domain *d);
void put_page(uint64_t mfn);

/*
 * Typed reference (plus a general one): 0, -XEN_EINVAL (not d's, or a page
 * table whose entries break a rule), -XEN_EBUSY (in use with another type),
 * or -XEN_ERESTART (a long validation was preempted; call again).
 */
int get_page_type(uint64_t mfn, unsigned int type, struct domain *d);
void put_page_type(uint64_t mfn);

/*
 * The guest gives the frame back (XENMEM_decrease_reservation): drops what
 * its own use holds on it, a pin and a half-done validation. Afterwards the
 * frame may have been freed (it was unreferenced and d is running).
 */
void frame_drop_guest_use(uint64_t mfn);

#endif
