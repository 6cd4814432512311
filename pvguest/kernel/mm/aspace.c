/* Address spaces: a root table with its own lower half and the kernel's upper half. */
#include <mm.h>
#include <pagetable.h>
#include <sched.h>

struct aspace {
    uint64_t root;
};

struct aspace *aspace_create(void)
{
    struct aspace *as = kmalloc(sizeof(*as));
    if (!as)
        return NULL;
    as->root = pt_alloc_root();
    if (as->root == PFN_NONE) {
        kfree(as);
        return NULL;
    }
    return as;
}

uint64_t aspace_root(const struct aspace *as) { return as ? as->root : kernel_root_pfn; }

int aspace_map_range(struct aspace *as, uintptr_t va, const uint64_t *pfns, size_t n, unsigned int prot)
{
    BUG_ON(va + n * PAGE_SIZE > USER_TOP);
    return pt_map_range(as->root, va, pfns, n, prot);
}

void aspace_switch(struct aspace *as)
{
    thread_set_root(aspace_root(as));      /* the thread keeps it across switches and CPUs */
}

void aspace_destroy(struct aspace *as)
{
    pt_free_tree(as->root);
    kfree(as);
}
