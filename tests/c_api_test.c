/* The C ABI exercised from C11: every function of weft.h, bad input included. Prints a summary. */
#define _POSIX_C_SOURCE 200809L
#include <weft/weft.h>

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static int g_passed, g_failed;

#define CHECK(cond)                                                              \
    do {                                                                         \
        if (cond) {                                                              \
            ++g_passed;                                                          \
        } else {                                                                 \
            ++g_failed;                                                          \
            fprintf(stderr, "%s:%d: %s: check failed: %s\n", __FILE__, __LINE__, \
                    __func__, #cond);                                            \
        }                                                                        \
    } while (0)

/* For what the rest of a test builds on (a handle it waits on): stop here, with the summary so far,
   instead of spinning on a task that was never spawned (weft_spawn gives NULL and ENOMEM under a
   memory limit). */
#define REQUIRE(cond)                                                                  \
    do {                                                                               \
        CHECK(cond);                                                                   \
        if (!(cond)) {                                                                 \
            fprintf(stderr, "c_api_test: stopping after a failed requirement (%d passed, %d failed)\n", \
                    g_passed, g_failed);                                               \
            exit(1);                                                                   \
        }                                                                              \
    } while (0)

int weft_c99_header_compiles(void);

static void *as_ptr(uintptr_t v) { return (void *)v; }
static uintptr_t as_int(void *p) { return (uintptr_t)p; }

static void *identity(void *arg) { return arg; }
static void *add_one(void *arg) { return as_ptr(as_int(arg) + 1); }

static void count_detached(void *arg) { atomic_fetch_add((atomic_int *)arg, 1); }

static void *fib(void *arg) {
    uintptr_t n = as_int(arg);
    if (n < 2) return arg;
    weft_future *a = weft_spawn(fib, as_ptr(n - 1));
    uintptr_t b = as_int(fib(as_ptr(n - 2)));
    return as_ptr(as_int(weft_await(a)) + b);
}

struct gate {
    atomic_int started;
    atomic_int open;
};
static void *wait_for_gate(void *arg) {
    struct gate *g = arg;
    atomic_store(&g->started, 1);
    while (!atomic_load(&g->open)) sched_yield();
    return as_ptr(77);
}

static void *until_cancelled(void *arg) {
    atomic_store((atomic_int *)arg, 1);
    while (!weft_task_cancelled()) sched_yield();
    return as_ptr(5);
}
static void *cancelled_flag(void *arg) {
    (void)arg;
    return as_ptr((uintptr_t)weft_task_cancelled());
}

static void test_init_and_workers(void) {
    weft_shutdown();
    CHECK(weft_init(2) == 0);
    CHECK(weft_init(2) == EBUSY);
    CHECK(weft_init(0) == EBUSY);
    CHECK(weft_workers() == 2);
}

static void test_spawn_await(void) {
    weft_future *f = weft_spawn(identity, as_ptr(1234));
    REQUIRE(f != NULL);
    CHECK(as_int(weft_await(f)) == 1234);
    CHECK(as_int(weft_await(weft_spawn(fib, as_ptr(18)))) == 2584);

    errno = 0;
    CHECK(weft_spawn(NULL, NULL) == NULL);
    CHECK(errno == EINVAL);
    CHECK(weft_spawn_detached(NULL, NULL) == EINVAL);
    errno = 0;
    CHECK(weft_await(NULL) == NULL);
    CHECK(errno == EINVAL);
    errno = 0;
    CHECK(weft_future_get(NULL) == NULL);
    CHECK(errno == EINVAL);
    void *r = as_ptr(99);
    CHECK(weft_future_get_timeout(NULL, 10, &r) == EINVAL);
    CHECK(as_int(r) == 99);
    CHECK(weft_future_is_ready(NULL) == 0);
    CHECK(weft_future_is_cancelled(NULL) == 0);
    weft_future_release(NULL);
    weft_future_cancel(NULL);
}

static void test_get_repeatable_and_timeout(void) {
    struct gate g;
    atomic_init(&g.started, 0);
    atomic_init(&g.open, 0);
    weft_future *f = weft_spawn(wait_for_gate, &g);
    REQUIRE(f != NULL);
    while (!atomic_load(&g.started)) sched_yield();
    void *r = NULL;
    CHECK(weft_future_get_timeout(f, 1, &r) == ETIMEDOUT);
    CHECK(weft_future_get_timeout(f, 0, &r) == ETIMEDOUT);
    CHECK(r == NULL);
    CHECK(weft_future_is_ready(f) == 0);
    atomic_store(&g.open, 1);
    CHECK(weft_future_get_timeout(f, -1, &r) == 0);
    CHECK(as_int(r) == 77);
    CHECK(weft_future_is_ready(f) == 1);
    CHECK(as_int(weft_future_get(f)) == 77);
    CHECK(as_int(weft_future_get(f)) == 77);
    CHECK(weft_future_get_timeout(f, 5, NULL) == 0);
    weft_future_release(f);

    /* Released before it finishes: the task still runs. */
    atomic_int ran;
    atomic_init(&ran, 0);
    for (int i = 0; i < 100; ++i) CHECK(weft_spawn_detached(count_detached, &ran) == 0);
    weft_future_release(weft_spawn(identity, NULL));
    weft_wait_all();
    CHECK(atomic_load(&ran) == 100);
}

static void test_cancel(void) {
    CHECK(weft_task_cancelled() == 0);
    atomic_int started;
    atomic_init(&started, 0);
    weft_future *f = weft_spawn(until_cancelled, &started);
    REQUIRE(f != NULL);
    while (!atomic_load(&started)) sched_yield();
    CHECK(weft_future_is_cancelled(f) == 0);
    weft_future_cancel(f);
    CHECK(weft_future_is_cancelled(f) == 1);
    CHECK(as_int(weft_await(f)) == 5);
    CHECK(as_int(weft_await(weft_spawn(cancelled_flag, NULL))) == 0);
}

static void test_when_all_any(void) {
    weft_future *fs[8];
    for (int i = 0; i < 8; ++i) fs[i] = weft_spawn(identity, as_ptr((uintptr_t)i));
    weft_future *all = weft_when_all(fs, 8);
    REQUIRE(all != NULL);
    CHECK(weft_await(all) == NULL);
    for (int i = 0; i < 8; ++i) {
        CHECK(weft_future_is_ready(fs[i]) == 1);
        CHECK(as_int(weft_future_get(fs[i])) == (uintptr_t)i);
    }
    weft_future *none = weft_when_all(NULL, 0);
    REQUIRE(none != NULL);
    if (none) {
        CHECK(weft_future_get_timeout(none, -1, NULL) == 0);
        weft_future_release(none);
    }
    errno = 0;
    CHECK(weft_when_all(NULL, 3) == NULL);
    CHECK(errno == EINVAL);
    weft_future *with_null[2] = {fs[0], NULL};
    errno = 0;
    CHECK(weft_when_all(with_null, 2) == NULL);
    CHECK(errno == EINVAL);
    errno = 0;
    CHECK(weft_when_any(fs, 0) == NULL);
    CHECK(errno == EINVAL);
    errno = 0;
    CHECK(weft_when_any(with_null, 2) == NULL);
    CHECK(errno == EINVAL);

    /* when_any: only input 1 can finish until the gate opens (one of the two workers blocks). */
    struct gate g;
    atomic_init(&g.started, 0);
    atomic_init(&g.open, 0);
    weft_future *mixed[2];
    mixed[0] = weft_spawn(wait_for_gate, &g);
    mixed[1] = weft_spawn(identity, as_ptr(3));
    weft_future *any = weft_when_any(mixed, 2);
    REQUIRE(any != NULL);
    CHECK(as_int(weft_await(any)) == 1);
    atomic_store(&g.open, 1);
    CHECK(as_int(weft_await(mixed[0])) == 77);
    weft_future_release(mixed[1]);
    for (int i = 0; i < 8; ++i) weft_future_release(fs[i]);
    weft_wait_all();
}

static void test_then(void) {
    weft_future *t = weft_future_then(weft_spawn(identity, as_ptr(41)), add_one);
    REQUIRE(t != NULL);
    CHECK(as_int(weft_await(t)) == 42);
    /* Chains. */
    weft_future *c = weft_spawn(identity, as_ptr(0));
    for (int i = 0; i < 10; ++i) c = weft_future_then(c, add_one);
    CHECK(as_int(weft_await(c)) == 10);
    errno = 0;
    CHECK(weft_future_then(NULL, add_one) == NULL);
    CHECK(errno == EINVAL);
    errno = 0;
    CHECK(weft_future_then(weft_spawn(identity, NULL), NULL) == NULL); /* input released */
    CHECK(errno == EINVAL);
    weft_wait_all();
    weft_stats_t s = weft_stats();
    CHECK(s.spawned == s.executed);
}

/* then's mapped task must not run before its input has finished, even when a worker awaits it
 * while the input is still queued. One worker: the awaiting task occupies it, so the input waits
 * in the injector while the awaiter looks for something to run. */
static atomic_int g_source_done;
static atomic_int g_map_saw_source_done;
static atomic_int g_awaiter_started;
static atomic_int g_then_ready;
static weft_future *_Atomic g_then_future;
static void *source_fn(void *arg) {
    atomic_store(&g_source_done, 1);
    return arg;
}
static void *checking_map(void *arg) {
    atomic_store(&g_map_saw_source_done, atomic_load(&g_source_done));
    return add_one(arg);
}
static void *awaiting_task(void *arg) {
    (void)arg;
    atomic_store(&g_awaiter_started, 1);
    while (!atomic_load(&g_then_ready)) sched_yield();
    return weft_await(atomic_load(&g_then_future));
}
static void test_then_waits_for_its_input(void) {
    weft_shutdown();
    CHECK(weft_init(1) == 0);
    atomic_store(&g_source_done, 0);
    atomic_store(&g_map_saw_source_done, -1);
    atomic_store(&g_awaiter_started, 0);
    atomic_store(&g_then_ready, 0);
    weft_future *awaiter = weft_spawn(awaiting_task, NULL);
    REQUIRE(awaiter != NULL);
    while (!atomic_load(&g_awaiter_started)) sched_yield();
    weft_future *t = weft_future_then(weft_spawn(source_fn, as_ptr(41)), checking_map);
    REQUIRE(t != NULL);
    atomic_store(&g_then_future, t);
    atomic_store(&g_then_ready, 1);
    void *r = weft_await(awaiter);
    CHECK(as_int(r) == 42);
    CHECK(atomic_load(&g_map_saw_source_done) == 1);
    if (as_int(r) != 42 || atomic_load(&g_map_saw_source_done) != 1)
        fprintf(stderr, "  weft_future_then: the mapped task ran before its input finished (got %p)\n", r);
    weft_wait_all();
    weft_shutdown();
}

static void test_stats(void) {
    weft_wait_all();
    weft_stats_t a = weft_stats();
    atomic_int ran;
    atomic_init(&ran, 0);
    for (int i = 0; i < 50; ++i) weft_spawn_detached(count_detached, &ran);
    weft_wait_all();
    weft_stats_t b = weft_stats();
    CHECK(b.spawned == a.spawned + 50);
    CHECK(b.executed == b.spawned);
    CHECK(b.stolen >= a.stolen);
    CHECK(b.parked >= a.parked);
    CHECK(b.woken >= a.woken);
}

static void test_shutdown_restarts(void) {
    atomic_int ran;
    atomic_init(&ran, 0);
    for (int i = 0; i < 10000; ++i) weft_spawn_detached(count_detached, &ran);
    weft_shutdown();
    CHECK(atomic_load(&ran) == 10000);
    weft_shutdown();
    weft_future *f = weft_spawn(identity, as_ptr(8)); /* restarts the runtime */
    REQUIRE(f != NULL);
    CHECK(as_int(weft_await(f)) == 8);
    CHECK(weft_workers() >= 1);
    weft_shutdown();
    CHECK(weft_workers() >= 1); /* starts it again */
    CHECK(weft_init(1) == EBUSY);
    weft_shutdown();
    CHECK(weft_init(1) == 0);
    CHECK(weft_workers() == 1);
}

struct outside_arg {
    int n;
    uintptr_t sum;
};
static void *outside_spawner(void *p) {
    struct outside_arg *a = p;
    weft_future *fs[64];
    for (int round = 0; round < a->n / 64; ++round) {
        for (int i = 0; i < 64; ++i) fs[i] = weft_spawn(add_one, as_ptr((uintptr_t)i));
        for (int i = 0; i < 64; ++i) a->sum += as_int(weft_await(fs[i]));
    }
    return NULL;
}
static void test_outside_threads(void) {
    pthread_t th[4];
    struct outside_arg args[4];
    for (int t = 0; t < 4; ++t) {
        args[t].n = 64 * 50;
        args[t].sum = 0;
        CHECK(pthread_create(&th[t], NULL, outside_spawner, &args[t]) == 0);
    }
    for (int t = 0; t < 4; ++t) {
        pthread_join(th[t], NULL);
        CHECK(args[t].sum == 50u * (64u * 65u / 2u));
    }
}

/* Promises, the task-local slot, yield, mutex and semaphore from C: tasks wait on promises set
 * later, hold a mutex across a wait, and meet through a semaphore. */
static weft_future *g_promise;
static weft_mutex *g_mutex;
static weft_semaphore *g_sem;
static long g_counter; /* guarded by g_mutex */
static void *promise_reader(void *arg) {
    int slot = 7;
    weft_set_task_local(&slot);
    void *v = weft_future_get(g_promise); /* suspends until main sets it */
    if (weft_task_local() != &slot) return as_ptr(0);
    weft_mutex_lock(g_mutex);
    long before = g_counter;
    weft_yield(); /* a wait while holding the mutex */
    g_counter = before + 1;
    weft_mutex_unlock(g_mutex);
    weft_semaphore_release(g_sem, 1);
    return as_ptr(as_int(v) + as_int(arg));
}
static void test_promises_and_primitives(void) {
    CHECK(weft_promise_set(NULL, NULL) == EINVAL);
    CHECK(weft_mutex_trylock(NULL) == EINVAL);
    CHECK(weft_semaphore_try_acquire(NULL) == EINVAL);
    CHECK(weft_semaphore_acquire_timeout(NULL, 0) == EINVAL);
    weft_mutex_lock(NULL);
    weft_mutex_unlock(NULL);
    weft_semaphore_release(NULL, 1);
    weft_mutex_free(NULL);
    weft_semaphore_free(NULL);
    CHECK(weft_task_local() == NULL);

    g_promise = weft_promise_new();
    g_mutex = weft_mutex_new();
    g_sem = weft_semaphore_new(0);
    CHECK(g_promise && g_mutex && g_sem);
    if (!g_promise || !g_mutex || !g_sem) return;
    CHECK(weft_semaphore_try_acquire(g_sem) == EAGAIN);
    CHECK(weft_semaphore_acquire_timeout(g_sem, 1) == ETIMEDOUT);
    weft_future *readers[16];
    for (int i = 0; i < 16; ++i) readers[i] = weft_spawn(promise_reader, as_ptr((uintptr_t)i));
    CHECK(weft_promise_set(readers[0], NULL) == EINVAL); /* a task's future */
    CHECK(weft_promise_set(g_promise, as_ptr(100)) == 0);
    CHECK(weft_promise_set(g_promise, as_ptr(1)) == EINVAL); /* set twice */
    for (int i = 0; i < 16; ++i) weft_semaphore_acquire(g_sem);
    for (int i = 0; i < 16; ++i) CHECK(as_int(weft_await(readers[i])) == 100u + (unsigned)i);
    CHECK(weft_mutex_trylock(g_mutex) == 0);
    CHECK(weft_mutex_trylock(g_mutex) == EBUSY);
    CHECK(g_counter == 16);
    weft_mutex_unlock(g_mutex);
    weft_future_release(g_promise);
    weft_mutex_free(g_mutex);
    weft_semaphore_free(g_sem);
}

int main(void) {
    CHECK(weft_c99_header_compiles() == 0);
    test_promises_and_primitives();
    test_init_and_workers();
    test_spawn_await();
    test_get_repeatable_and_timeout();
    test_cancel();
    test_when_all_any();
    test_then();
    test_stats();
    test_outside_threads();
    test_shutdown_restarts();
    test_then_waits_for_its_input();
    weft_shutdown();
    printf("%d passed, %d failed\n", g_passed, g_failed);
    return g_failed ? 1 : 0;
}
