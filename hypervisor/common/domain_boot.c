/* Boot-time domains from GRUB modules: which module is a kernel, its options, building it. */
#include <hv/cmdline.h>
#include <hv/domain.h>
#include <hv/domain_boot.h>
#include <hv/hypercall.h>
#include <hv/printk.h>
#include <hv/sched.h>
#include <hv/time.h>
#include <hv/arch.h>
#include <public/sched.h>

#define MIN_DOMAIN_MEM  MiB(4)

static bool is_elf(const struct boot_module *m)
{
    return m->end - m->start >= 4 && !memcmp(__va(m->start), "\177ELF", 4);
}

/* Finds "key=value" as a whole word of cmdline; copies the value. */
static bool module_option(const char *cmdline, const char *key, char *val, size_t len)
{
    size_t klen = strlen(key);
    for (const char *s = cmdline; *s;) {
        while (*s == ' ')
            s++;
        const char *e = s;
        while (*e && *e != ' ')
            e++;
        if ((size_t)(e - s) > klen && !strncmp(s, key, klen) && s[klen] == '=') {
            size_t n = MIN((size_t)(e - s) - klen - 1, len - 1);
            memcpy(val, s + klen + 1, n);
            val[n] = '\0';
            return true;
        }
        s = e;
    }
    return false;
}

static bool build_one(const struct boot_info *bi, unsigned int k, unsigned int idx)
{
    const struct boot_module *m = &bi->mods[k];
    const struct boot_module *rd = k + 1 < bi->nr_mods && !is_elf(&bi->mods[k + 1]) ? &bi->mods[k + 1] : NULL;
    char name[DOMAIN_NAME_LEN], val[32], err[160];
    uint64_t mem = DEFAULT_DOMAIN_MEM;
    s_time_t start = NOW();

    if (!module_option(m->cmdline, "name", name, sizeof(name)))
        snprintf(name, sizeof(name), "dom%u", idx);
    if (module_option(m->cmdline, "mem", val, sizeof(val)) &&
        (!parse_size(val, strlen(val), true, &mem) || mem < MIN_DOMAIN_MEM)) {
        printk(LOG_WARN "module %u: bad mem=%s (at least %llu MiB); using %llu MiB\n", k, val,
               (unsigned long long)(MIN_DOMAIN_MEM >> 20), (unsigned long long)(DEFAULT_DOMAIN_MEM >> 20));
        mem = DEFAULT_DOMAIN_MEM;
    }

    uint64_t vcpus = 1;
    if (module_option(m->cmdline, "vcpus", val, sizeof(val)) &&
        (!parse_size(val, strlen(val), false, &vcpus) || vcpus < 1 || vcpus > MAX_VCPUS)) {
        printk(LOG_WARN "module %u: bad vcpus=%s (1 to %u); using 1\n", k, val, MAX_VCPUS);
        vcpus = 1;
    }

    struct domain *d = domain_create(name, idx == 0 ? DOMAIN_RIGHTS_ALL : 0, (unsigned int)vcpus);
    if (!d) {
        printk(LOG_ERR "module %u: no free domain slot for %s\n", k, name);
        return false;
    }
    uint64_t maxmem = mem;
    if (module_option(m->cmdline, "maxmem", val, sizeof(val)) &&
        (!parse_size(val, strlen(val), true, &maxmem) || maxmem < mem)) {
        printk(LOG_WARN "module %u: bad maxmem=%s (at least mem=); using mem=\n", k, val);
        maxmem = mem;
    }
    struct domain_build_args a = {
        .kernel = __va(m->start), .kernel_size = m->end - m->start,
        .initrd = rd ? __va(rd->start) : NULL, .initrd_size = rd ? rd->end - rd->start : 0,
        .cmdline = m->cmdline, .nr_pages = mem >> PAGE_SHIFT, .max_pages = maxmem >> PAGE_SHIFT,
    };
    printk("domain %u (%s): building from module %u (%llu KiB)%s\n", d->id, name, k,
           (unsigned long long)(a.kernel_size >> 10), rd ? " with a ramdisk" : "");
    if (arch_domain_build(d, &a, err, sizeof(err))) {
        if (idx == 0)
            panic("dom0 (%s) cannot be built: %s", name, err);
        printk(LOG_ERR "domain %u (%s) cannot be built: %s\n", d->id, name, err);
        d->state = DOMAIN_RUNNING;
        domain_shutdown(d, SHUTDOWN_crash);
        return false;
    }
    uint64_t weight = SCHED_DEFAULT_WEIGHT, cap = 0;
    if (module_option(m->cmdline, "weight", val, sizeof(val)) &&
        (!parse_size(val, strlen(val), false, &weight) || weight < 1 || weight > 65535))
        weight = SCHED_DEFAULT_WEIGHT;
    if (module_option(m->cmdline, "cap", val, sizeof(val)) && (!parse_size(val, strlen(val), false, &cap) || cap > 100))
        cap = 0;
    struct vcpu *v;
    for_each_vcpu(d, v)
        sched_set_params(v, (uint32_t)weight, (uint32_t)cap);
    printk("domain %u (%s): built in %llu us\n", d->id, name, (unsigned long long)((NOW() - start) / 1000));
    if (vcpus > 1)
        printk("domain %u (%s): %llu vCPUs; vCPU 0 starts, the guest brings up the others\n", d->id, name,
               (unsigned long long)vcpus);
    return true;
}

/*
 * A module that is not an ELF image is the ramdisk of the kernel right before
 * it; any other is a mistake in the GRUB entry, named here with what it
 * starts with rather than passed over in silence.
 */
static void report_stray(const struct boot_info *bi, unsigned int k)
{
    const struct boot_module *m = &bi->mods[k];
    uint64_t size = m->end - m->start;
    const uint8_t *b = __va(m->start);
    char why[64] = "too short for an ELF header";
    if (size >= 4)
        snprintf(why, sizeof(why), "no ELF header: starts with %02x %02x %02x %02x", b[0], b[1], b[2], b[3]);
    printk(LOG_ERR "boot: module %u (\"%s\", %llu bytes) ignored: not a kernel (%s) and not a kernel's ramdisk "
           "(%s)\n", k, m->cmdline, (unsigned long long)size, why,
           k == 0 ? "no module before it" : "the module before it is not a kernel");
}

unsigned int boot_domains(const struct boot_info *bi)
{
    unsigned int built = 0, kernels = 0;
    frames_free_before_domains = page_alloc_free_count();
    for (unsigned int k = 0; k < bi->nr_mods; k++) {
        if (!is_elf(&bi->mods[k])) {
            if (k == 0 || !is_elf(&bi->mods[k - 1]))
                report_stray(bi, k);
            continue;           /* else a ramdisk, taken by the kernel before it */
        }
        if (build_one(bi, k, kernels++))
            built++;
    }
    /* Every domain is built before any runs: others may already be looked up by the first. */
    for (unsigned int i = 0; i < MAX_DOMAINS; i++) {
        struct domain *d = &domains[i];
        if (d->state == DOMAIN_RUNNING && d->vcpu[0] && d->vcpu[0]->initialised) {
            vcpu_timers_init(d->vcpu[0]);
            sched_vcpu_start(d->vcpu[0]);
        }
    }
    return built;
}
