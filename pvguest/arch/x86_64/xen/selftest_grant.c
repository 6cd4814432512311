/*
 * The grant-table self-test of the PV image: a page granted to ourselves,
 * mapped, written both ways, copied with GNTTABOP_copy, refused while mapped,
 * ended, and its reference given back. Runs the same on Xen 4.17. The
 * split drivers' threads grant and end references meanwhile (blkfront grants
 * its ring when the back end shows up), so this test looks at its own
 * reference, never at the count of free ones.
 */
#include <mm.h>
#include <xen/services.h>
#include <public/errno.h>
#include <public/grant_table.h>
#include "../../../kernel/selftest/selftest.h"
#include "xen.h"

TEST(test_grant_self)
{
    domid_t me = xenpv_domid();
    uint64_t *page = alloc_page(), *dst = alloc_page();
    EXPECT(page && dst, "no memory");
    for (unsigned int i = 0; i < PAGE_SIZE / 8; i++)
        page[i] = 0x9e3779b97f4a7c15ull * (i + 1);
    int ref = xenpv_grant_access(me, virt_to_pfn(page), false);
    EXPECT(ref >= GNTTAB_NR_RESERVED_ENTRIES, "grant_access: %d", ref);
    bool granted;
    unsigned int on_list = xenpv_grant_ref_check((grant_ref_t)ref, &granted);
    EXPECT(granted && !on_list, "reference %d once granted: granted %d, on the free list %u time(s)", ref, granted,
           on_list);

    struct xenpv_grant_map m;
    int rc = xenpv_grant_map(me, (grant_ref_t)ref, false, &m);
    EXPECT(rc == 0, "map_grant_ref of our own grant %d: %d", ref, rc);
    const uint64_t *seen = m.va;
    for (unsigned int i = 0; i < PAGE_SIZE / 8; i++)
        EXPECT(seen[i] == page[i], "word %u through the grant mapping: %#llx, want %#llx", i,
               (unsigned long long)seen[i], (unsigned long long)page[i]);
    ((volatile uint64_t *)m.va)[7] = 0x1234;
    EXPECT(READ_ONCE(page[7]) == 0x1234, "a store through the grant mapping did not reach the page");
    EXPECT(xenpv_grant_end_access((grant_ref_t)ref) == -XEN_EBUSY, "ending a mapped grant was not refused");

    struct gnttab_copy c = { .source = { .u.ref = (grant_ref_t)ref, .domid = me, .offset = 8 },
                             .dest = { .u.gmfn = pfn_to_mfn(virt_to_pfn(dst)), .domid = DOMID_SELF, .offset = 16 },
                             .len = 64, .flags = GNTCOPY_source_gref };
    rc = xenpv_grant_copy(&c, 1);
    EXPECT(rc == 0, "grant copy: %d", rc);
    EXPECT(!memcmp((uint8_t *)dst + 16, (uint8_t *)page + 8, 64), "grant copy moved the wrong bytes");
    EXPECT(dst[0] == 0 && dst[1] == 0 && dst[10] == 0, "grant copy wrote outside [16, 80)");

    rc = xenpv_grant_unmap(&m);
    EXPECT(rc == 0, "unmap_grant_ref: %d", rc);
    EXPECT(xenpv_grant_end_access((grant_ref_t)ref) == 0, "ending the unmapped grant failed");
    /* Given back: on the free list once, or already granted again by another thread (which took it from there). */
    on_list = xenpv_grant_ref_check((grant_ref_t)ref, &granted);
    EXPECT(on_list + granted == 1, "reference %d after its end: on the free list %u time(s), granted %d", ref, on_list,
           granted);
    rc = xenpv_grant_map(me, (grant_ref_t)ref, false, &m);
    EXPECT(rc != 0, "an ended grant could still be mapped");
    free_pages(page, 0);
    free_pages(dst, 0);
    return NULL;
}

/*
 * Ending a reference that is not granted (a second end of the same grant) is
 * refused and gives nothing back: otherwise the reference would be on the
 * free list twice and two later grants would share it. The last reference
 * stands in for an ended one: the free list, filled in order, reaches it last,
 * so no other thread holds it (ending our own a second time could end another
 * thread's grant of it, given out again in between).
 */
TEST(test_grant_end_twice)
{
    domid_t me = xenpv_domid();
    uint64_t *page = alloc_page();
    EXPECT(page, "no memory");
    int ref = xenpv_grant_access(me, virt_to_pfn(page), true);      /* the table is set up by now */
    EXPECT(ref >= GNTTAB_NR_RESERVED_ENTRIES, "grant_access: %d", ref);
    EXPECT(xenpv_grant_end_access((grant_ref_t)ref) == 0, "ending our grant failed");
    free_pages(page, 0);

    grant_ref_t last = XENPV_GRANT_REFS - 1;
    bool granted;
    unsigned int on_list = xenpv_grant_ref_check(last, &granted);
    EXPECT(on_list == 1 && !granted, "reference %u, never given out: on the free list %u time(s), granted %d", last,
           on_list, granted);
    int rc = xenpv_grant_end_access(last);
    EXPECT(rc == -XEN_EINVAL, "ending reference %u, not granted: %d, want -EINVAL", last, rc);
    on_list = xenpv_grant_ref_check(last, &granted);
    EXPECT(on_list == 1 && !granted, "reference %u after an end it did not need: on the free list %u time(s), granted %d",
           last, on_list, granted);
    return NULL;
}
