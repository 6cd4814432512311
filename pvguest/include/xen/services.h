/*
 * What the PV build offers the split drivers in pvdrivers/ (and nothing
 * else uses): start_info, interdomain event channels, foreign mappings, other
 * domains' facts, and the list of drivers started at boot. PV image only.
 */
#ifndef PVGUEST_XEN_SERVICES_H
#define PVGUEST_XEN_SERVICES_H

#include <paravirt.h>
#include <public/domctl.h>
#include <public/grant_table.h>
#include <public/xen.h>

/* The builder's start_info (xenstore and console rings for a domU; flags). */
const struct start_info *xenpv_start_info(void);
bool xenpv_is_dom0(void);

/*
 * Event channels (xen/events.c). Handlers run on vCPU 0 with events masked,
 * like every event handler. Each returns the local port (>= 0) or a negative
 * Xen error, which the caller reports.
 */
int xenpv_evtchn_alloc_unbound(domid_t remote);
int xenpv_evtchn_bind_interdomain(domid_t remote, evtchn_port_t remote_port, irq_handler_t fn, void *arg);
/* Sets the handler of a port that already exists (the builder's store and console ports). */
int xenpv_evtchn_bind(evtchn_port_t port, irq_handler_t fn, void *arg);
void xenpv_evtchn_notify(evtchn_port_t port);
void xenpv_evtchn_close(evtchn_port_t port);
/*
 * Waits, with events masked or not, until port is pending or clock_ns()
 * passes deadline_ns (0: no deadline); may return early, so callers look at
 * their ring again. If the port was pending already it returns at once,
 * true: it took that notification from the port's handler, and the caller
 * gives it back with xenpv_evtchn_repend once done waiting.
 */
bool xenpv_evtchn_wait(evtchn_port_t port, uint64_t deadline_ns);
void xenpv_evtchn_repend(evtchn_port_t port);
/*
 * dom0: fn(arg) runs (as an event handler) whenever the hypervisor raises
 * VIRQ_DOM_EXC: a domain has shut down, or its destruction is done. A few
 * subscribers share the one binding. 0, or a negative error.
 */
int xenpv_dom_exc_subscribe(irq_handler_t fn, void *arg);
/* Whether port is bound to another domain's port (EVTCHNOP_status): the other end is there. */
bool xenpv_evtchn_connected(evtchn_port_t port);

/*
 * Maps another domain's machine frame into kernel virtual memory
 * (mmu_update with FOREIGNDOM: the caller must control dom). NULL, with the
 * error reported, on failure. xenpv_unmap_foreign undoes it.
 */
void *xenpv_map_foreign(domid_t dom, uint64_t mfn, bool writable);
void xenpv_unmap_foreign(void *va);
/* The direct-map address of a frame of our own the builder named by machine frame (a ring), or NULL. */
void *xenpv_own_frame(uint64_t mfn);

/*
 * Grant tables (xen/grant.c). Our table is set up at the first grant.
 * xenpv_grant_access lets dom map or copy our frame pfn: the reference, or a
 * negative Xen error (-ENOSPC: none free). xenpv_grant_end_access takes it
 * back: 0, -EBUSY while the hypervisor says dom maps or copies it, or -EINVAL
 * for a reference not granted (ended already: it is given back only once).
 * Our table has XENPV_GRANT_FRAMES frames of v1 entries: XENPV_GRANT_REFS references.
 */
#define XENPV_GRANT_FRAMES 4
#define XENPV_GRANT_REFS   (XENPV_GRANT_FRAMES * (PAGE_SIZE / sizeof(struct grant_entry_v1)))     /* 2048 */
int xenpv_grant_access(domid_t dom, uint64_t pfn, bool readonly);
int xenpv_grant_end_access(grant_ref_t ref);
/* Lets dom instead of the old grantee use ref (not in use now: else -EBUSY). */
int xenpv_grant_retarget(grant_ref_t ref, domid_t dom);
unsigned int xenpv_grant_free_refs(void);
/*
 * For the self-test, which other threads' grants run beside (a count of free
 * references moves with them): how many times ref is on the free list, and
 * in *granted whether its entry is granted, read together under the lock.
 * A reference is on the list once or granted, never both nor neither.
 */
unsigned int xenpv_grant_ref_check(grant_ref_t ref, bool *granted);

/* Another domain's grant mapped in kernel virtual memory (GNTMAP_host_map). */
struct xenpv_grant_map {
    void *va;
    grant_handle_t handle;
    domid_t dom;
    grant_ref_t ref;
};
/* 0, or a negative GNTST_* status or Xen error. */
int xenpv_grant_map(domid_t dom, grant_ref_t ref, bool readonly, struct xenpv_grant_map *m);
int xenpv_grant_unmap(struct xenpv_grant_map *m);
/*
 * Device maps (GNTMAP_device_map, no virtual address): n of dom's grants, 32
 * a hypercall, their machine addresses in maddr for a device's DMA; all or
 * nothing: 0, or the first failure's GNTST_* / Xen error with none left
 * mapped. Unmapped likewise: 0 or the first failure.
 */
int xenpv_grant_map_dev(domid_t dom, const grant_ref_t *refs, unsigned int n, bool readonly, grant_handle_t *handles,
                        uint64_t *maddr);
int xenpv_grant_unmap_dev(const grant_handle_t *handles, const uint64_t *maddr, unsigned int n);
/* How many other domains' grants we map now (the toolstack's leak check). */
unsigned int xenpv_grant_maps_in_use(void);
/* GNTTABOP_copy of n ops: 0, or the first failing op's GNTST_* status, or a Xen error. */
struct gnttab_copy;
int xenpv_grant_copy(struct gnttab_copy *ops, unsigned int n);

/* The machine frame behind a kernel direct-map address (for GNTTABOP_copy's gmfn side). */
uint64_t xenpv_virt_to_mfn(const void *va);

/*
 * For the self-test pci_passthrough_isolation (xen/selftest_pci.c): the
 * function bdf went to domain holder; mfn is a frame of one of its memory
 * BARs and gsi its INTx line (0: none), as they were before it went.
 */
void xenpv_pci_probe_set(uint16_t bdf, uint64_t mfn, uint32_t gsi, domid_t holder);

/* Our domain id (learnt once from the hypervisor). */
domid_t xenpv_domid(void);

/* domctl getdomaininfo for domain id: 0 or a negative Xen error (-ESRCH: none). */
int xenpv_domain_info(domid_t id, struct pv_domctl_info *out);

/*
 * Drivers started once the scheduler, timers and every vCPU run (xen/drivers.c
 * lists them): each decides from start_info whether it has work here.
 */
void xenpv_start_drivers(void);
/* control/shutdown asked for power-off (xenbus/control.c; false before xenbus or in dom0). */
bool xenpv_shutdown_requested(void);
/* Hangs this CPU for good, interrupts off (hangtest=, control/trigger "hang"): what the watchdog is for. */
__noreturn void xenpv_hang_cpu(const char *why);
/*
 * Called once as the kernel shuts down (not after a panic), in dom0 after
 * it waited for its wait= domains (xen/xen.c): each driver finishes what is
 * in flight (the console back end prints every domU's last lines) and lets
 * go of other domains' pages and ports.
 */
void xenpv_stop_drivers(void);
/* The domain's vif (netfront) once it is connected, or NULL: pv_machine_ops.net_device. */
struct netif *xenpv_net_device(void);

/*
 * The console (xen/console.c). Until a driver attaches, output goes to
 * console_io. A domU's console front end attaches write/read/panic_flush;
 * dom0's console back end attaches filter_input. A panic's lines always go
 * to console_io (dom0 may be the one that died), after panic_flush.
 */
struct xenpv_console_hooks {
    /* Output, whole messages in order: with the console lock held and events masked, from any vCPU. */
    void (*write)(const char *s, size_t n);
    /* Input that has arrived, without waiting: bytes stored (0 if none). */
    size_t (*read)(char *buf, size_t n);
    /* Once, at the first panic line: deliver what write queued but nobody took yet. */
    void (*panic_flush)(void);
    /* dom0: takes the bytes console_io read that are not dom0's; returns how many remain at buf's start. */
    size_t (*filter_input)(char *buf, size_t n);
};
void xenpv_console_attach(const struct xenpv_console_hooks *h);
/* Straight to the hypervisor's console (console_io), whatever is attached. */
void xenpv_console_io_write(const char *s, size_t n);

#endif /* PVGUEST_XEN_SERVICES_H */
