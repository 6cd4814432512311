/*
 * ringtest in a domU: ringtest=front|back says which end this domain is
 * expected to be; the driver is registered with xenbus and the self-test
 * case "ringtest_exchange" waits for the exchange's verdict. Without the
 * option the case is skipped. The exchange itself starts when that case
 * does, after the other self-tests.
 */
#include <cmdline.h>
#include <mm.h>
#include <ktap.h>
#include <sched.h>
#include <xen/services.h>
#include "ringtest_drv.h"

#define VERDICT_NS (120 * NSEC_PER_SEC)

static int role;                /* 0 none, 1 front, 2 back */
static struct semaphore done;
static struct semaphore go;     /* raised by the self-test case: the exchange waits for it */
static bool verdict_ok;
static struct ringtest_stats verdict_st;

static bool set_role(const char *v)
{
    if (v && !strcmp(v, "front"))
        role = 1;
    else if (v && !strcmp(v, "back"))
        role = 2;
    else
        return false;
    return true;
}
KERNEL_OPTION("ringtest", set_role);

void ringtest_report(bool ok, const struct ringtest_stats *st)
{
    verdict_ok = ok;
    if (st)
        verdict_st = *st;
    sem_up(&done);
}

/* The front end's ring page, taken at boot: the self-tests that count pages in use run meanwhile. */
void *ringtest_front_page;

/*
 * The data path waits for the self-test case to begin, so its flood of
 * messages does not run beside the other self-tests (sleep accuracy, timers)
 * and steal their CPU time. The connection is made before.
 */
void ringtest_wait_go(void)
{
    sem_down(&go);
    sem_up(&go);                /* stays given */
}

/*
 * The data path runs in a thread made at boot, not one made per connection:
 * the self-tests that count pages in use (a thread's stack is four) run
 * while the connection is made.
 */
static struct semaphore work;
static void (*work_fn)(void *);
static void *work_arg;
static struct thread *runner;

static void runner_loop(void *unused)
{
    (void)unused;
    for (;;) {
        sem_down(&work);
        work_fn(work_arg);
    }
}

bool ringtest_run(void (*fn)(void *), void *arg)
{
    if (!runner)
        return false;
    work_fn = fn;
    work_arg = arg;
    sem_up(&work);
    return true;
}

void ringtest_start(void)
{
    sem_init(&done, 0);
    sem_init(&go, 0);
    sem_init(&work, 0);
    if (!role)
        return;
    if (!(runner = thread_create("ringtest", runner_loop, NULL))) {
        printk("ringtest: no thread for the data path\n");
        return;
    }
    if (role == 1 && !(ringtest_front_page = alloc_page())) {
        printk("ringtest: no page for the ring\n");
        return;
    }
    int rc = xenbus_register_driver(role == 1 ? &ringtest_front_driver : &ringtest_back_driver);
    if (rc)
        printk("ringtest: registering the %s driver failed: %d\n", role == 1 ? "front" : "back", rc);
}

const char *test_ringtest_exchange(char *why, size_t len)
{
    if (!role)
        return ktap_skip(why, len, "no ringtest= option");
    sem_up(&go);
    if (sem_down_timeout(&done, VERDICT_NS))
        return ktap_fail(why, len, "no verdict from the %s end in %llu s", role == 1 ? "front" : "back",
                         (unsigned long long)(VERDICT_NS / NSEC_PER_SEC));
    EXPECT(verdict_ok, "%llu answered, %llu lost or out of order, %llu corrupted", (unsigned long long)verdict_st.answered,
           (unsigned long long)verdict_st.lost, (unsigned long long)verdict_st.corrupted);
    return NULL;
}
