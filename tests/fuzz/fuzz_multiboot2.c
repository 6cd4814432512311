/*
 * libFuzzer target: hypervisor/common/multiboot2.c, unchanged. The input is
 * the boot information, in a heap copy of exactly its size (8-byte aligned,
 * as loaders give it), so ASan sees any read past it. Oracles: a refusal
 * says why; what an accepted one returns keeps the header's promises
 * (counts within bounds, strings terminated, modules that end after they
 * start, regions that do not wrap, a size within what was available).
 */
#include <string.h>
#include <hv/multiboot2.h>
#include "fuzz.h"

static struct boot_info bi;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *mbi = malloc(size ? size : 1);
    FUZZ_CHECK(mbi, "out of memory");
    memcpy(mbi, data, size);
    int rc = mb2_parse(mbi, size, &bi);
    free(mbi);

    FUZZ_CHECK(rc == 0 || rc == -1, "mb2_parse returned %d", rc);
    FUZZ_CHECK(fuzz_terminated(bi.error, sizeof(bi.error)), "error not terminated");
    if (rc) {
        FUZZ_CHECK(bi.error[0], "refused without a reason");
        return 0;
    }
    FUZZ_CHECK(!bi.error[0], "accepted with an error: %s", bi.error);
    FUZZ_CHECK(bi.mbi_size >= 16 && bi.mbi_size <= size, "mbi_size %llu of %zu bytes",
               (unsigned long long)bi.mbi_size, size);
    FUZZ_CHECK(fuzz_terminated(bi.cmdline, sizeof(bi.cmdline)) && fuzz_terminated(bi.loader, sizeof(bi.loader)),
               "command line or loader name not terminated");
    FUZZ_CHECK(bi.nr_mmap > 0 && bi.nr_mmap <= BOOT_MAX_REGIONS, "%u memory regions", bi.nr_mmap);
    for (unsigned int i = 0; i < bi.nr_mmap; i++)
        FUZZ_CHECK(bi.mmap[i].start < bi.mmap[i].end, "region %u: [%#llx, %#llx)", i,
                   (unsigned long long)bi.mmap[i].start, (unsigned long long)bi.mmap[i].end);
    FUZZ_CHECK(bi.nr_mods <= BOOT_MAX_MODULES, "%u modules", bi.nr_mods);
    for (unsigned int i = 0; i < bi.nr_mods; i++) {
        FUZZ_CHECK(bi.mods[i].start <= bi.mods[i].end, "module %u ends before it starts", i);
        FUZZ_CHECK(fuzz_terminated(bi.mods[i].cmdline, sizeof(bi.mods[i].cmdline)), "module %u cmdline", i);
    }
    FUZZ_CHECK(bi.rsdp_len == 0 || bi.rsdp_len == 20 || bi.rsdp_len == 36, "rsdp_len %u", bi.rsdp_len);
    return 0;
}
