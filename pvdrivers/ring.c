/* io/ring.h's discipline for split drivers: see pvd/ring.h. */
#include <pvd/ring.h>

#define wmb()   __atomic_thread_fence(__ATOMIC_RELEASE)
#define rmb()   __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define mb()    __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define READ_IDX(x)       __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_IDX(x, v)   __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

static bool attach(struct pvd_ring *r, void *page, uint32_t page_bytes, uint32_t ent_size)
{
    *r = (struct pvd_ring){ .sring = page, .ent_size = ent_size };
    if (ent_size == 0 || page_bytes <= sizeof(struct xen_sring_header))
        return false;
    r->nr_ents = xen_ring_size(page_bytes, ent_size);
    return r->nr_ents != 0;
}

bool pvd_ring_front_init(struct pvd_ring *r, void *page, uint32_t page_bytes, uint32_t ent_size)
{
    if (!attach(r, page, page_bytes, ent_size))
        return false;
    xen_sring_init(r->sring);
    return true;
}

bool pvd_ring_back_attach(struct pvd_ring *r, void *page, uint32_t page_bytes, uint32_t ent_size)
{
    return attach(r, page, page_bytes, ent_size);
}

static void *slot(const struct pvd_ring *r, RING_IDX i)
{
    return (uint8_t *)(r->sring + 1) + (size_t)xen_ring_slot(i, r->nr_ents) * r->ent_size;
}

/* One read of each byte of the peer's slot: later checks see only the private copy. */
static void copy_out(const struct pvd_ring *r, RING_IDX i, void *out)
{
    const volatile uint8_t *src = slot(r, i);
    uint8_t *dst = out;
    if (r->ent_size % 4 == 0) {
        for (uint32_t k = 0; k < r->ent_size; k += 4) {
            uint32_t w = *(const volatile uint32_t *)(src + k);
            __builtin_memcpy(dst + k, &w, 4);
        }
    } else {
        for (uint32_t k = 0; k < r->ent_size; k++)
            dst[k] = src[k];
    }
}

/* Publishes prod_pvt in *prod; true if the peer's event index lies in (old, new]. */
static bool push(RING_IDX *prod, RING_IDX new_prod, const RING_IDX *event)
{
    RING_IDX old = READ_IDX(*prod);
    wmb();                                  /* the slots before the index */
    WRITE_IDX(*prod, new_prod);
    mb();                                   /* the index before we read the peer's event */
    return xen_ring_need_notify(old, new_prod, READ_IDX(*event));
}

/* ---- front end ---- */

void *pvd_ring_front_next_request(struct pvd_ring *r)
{
    if (r->broken || xen_ring_free_requests(r->prod_pvt, r->cons, r->nr_ents) == 0)
        return NULL;
    return slot(r, r->prod_pvt++);
}

bool pvd_ring_front_push(struct pvd_ring *r)
{
    return push(&r->sring->req_prod, r->prod_pvt, &r->sring->req_event);
}

/* Responses published and not consumed; marks the ring broken if there are more than requests outstanding. */
static RING_IDX front_pending(struct pvd_ring *r)
{
    RING_IDX n = xen_ring_unconsumed_responses(READ_IDX(r->sring->rsp_prod), r->cons);
    rmb();                                  /* the index before the slots */
    if (n > (RING_IDX)(r->prod_pvt - r->cons))
        r->broken = true;
    return r->broken ? 0 : n;
}

bool pvd_ring_front_get_response(struct pvd_ring *r, void *out)
{
    if (!front_pending(r))
        return false;
    copy_out(r, r->cons++, out);
    return true;
}

bool pvd_ring_front_final_check(struct pvd_ring *r)
{
    if (front_pending(r))
        return true;
    WRITE_IDX(r->sring->rsp_event, r->cons + 1);
    mb();
    return front_pending(r) != 0;
}

/* ---- back end ---- */

/* Requests published that we may consume; marks the ring broken if req_prod ran more than a ring ahead. */
static RING_IDX back_pending(struct pvd_ring *r)
{
    RING_IDX prod = READ_IDX(r->sring->req_prod);
    rmb();
    if ((RING_IDX)(prod - r->cons) > r->nr_ents)
        r->broken = true;
    return r->broken ? 0 : xen_ring_unconsumed_requests(prod, r->cons, r->prod_pvt, r->nr_ents);
}

bool pvd_ring_back_get_request(struct pvd_ring *r, void *out)
{
    if (!back_pending(r))
        return false;
    copy_out(r, r->cons++, out);
    return true;
}

void *pvd_ring_back_next_response(struct pvd_ring *r)
{
    if (r->prod_pvt == r->cons)             /* every consumed request is answered */
        return NULL;
    return slot(r, r->prod_pvt++);
}

bool pvd_ring_back_push(struct pvd_ring *r)
{
    return push(&r->sring->rsp_prod, r->prod_pvt, &r->sring->rsp_event);
}

bool pvd_ring_back_final_check(struct pvd_ring *r)
{
    if (back_pending(r))
        return true;
    WRITE_IDX(r->sring->req_event, r->cons + 1);
    mb();
    return back_pending(r) != 0;
}
