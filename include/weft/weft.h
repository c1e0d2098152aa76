/* weft's C ABI: spawn a function, get a future, await it. Pure C99, opaque handles. */
#ifndef WEFT_WEFT_H
#define WEFT_WEFT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define WEFT_API
#else
#define WEFT_API __attribute__((visibility("default")))
#endif

typedef struct weft_future weft_future;
typedef void *(*weft_task_fn)(void *arg);
typedef void (*weft_detached_fn)(void *arg);

/* Starts the default runtime with `workers` threads (0: WEFT_WORKERS, else the CPU count).
 * Returns 0, EBUSY when it is already running, or another errno value (EAGAIN, ENOMEM). */
WEFT_API int weft_init(unsigned workers);
/* Runs every task already spawned (and all they spawn), then stops the workers.
 * A later spawn or weft_init starts the runtime again. */
WEFT_API void weft_shutdown(void);
/* Worker count of the default runtime (starting it if needed). */
WEFT_API unsigned weft_workers(void);

/* Spawns fn(arg). Returns its future, or NULL with errno EINVAL (fn is NULL) or ENOMEM. */
WEFT_API weft_future *weft_spawn(weft_task_fn fn, void *arg);
/* Spawns fn(arg) with no future. Returns 0, EINVAL or ENOMEM. */
WEFT_API int weft_spawn_detached(weft_detached_fn fn, void *arg);
/* Returns when every task spawned so far, and everything those spawned, has finished. */
WEFT_API void weft_wait_all(void);

/* Waits, returns the result and releases f. NULL with errno EINVAL when f is NULL. */
WEFT_API void *weft_await(weft_future *f);
/* Waits and returns the result; f stays valid and the call may be repeated. */
WEFT_API void *weft_future_get(weft_future *f);
/* Waits at most timeout_ms (negative: forever). 0 with *result set, ETIMEDOUT, or EINVAL. */
WEFT_API int weft_future_get_timeout(weft_future *f, int timeout_ms, void **result);
/* 1 when the result is ready, 0 when not (and for NULL). */
WEFT_API int weft_future_is_ready(const weft_future *f);
/* Drops the handle; the task still runs to completion. NULL is ignored. */
WEFT_API void weft_future_release(weft_future *f);
/* Cooperative cancellation: the task sees it through weft_task_cancelled(). */
WEFT_API void weft_future_cancel(weft_future *f);
WEFT_API int weft_future_is_cancelled(const weft_future *f);
/* Inside a task: 1 when its future was cancelled. 0 outside tasks. */
WEFT_API int weft_task_cancelled(void);

/* Resolves (to NULL) when every input has. Inputs stay owned by the caller and valid.
 * NULL with errno EINVAL when futures is NULL and n > 0 or an input is NULL; ENOMEM. */
WEFT_API weft_future *weft_when_all(weft_future *const *futures, size_t n);
/* Resolves to (void *)(uintptr_t)index of the first input found ready. EINVAL for n == 0. */
WEFT_API weft_future *weft_when_any(weft_future *const *futures, size_t n);
/* Consumes f; resolves to map(result of f), run as a task. EINVAL for a NULL argument
 * (f is then still released when it is not NULL). */
WEFT_API weft_future *weft_future_then(weft_future *f, weft_task_fn map);

/* A future completed by code instead of a task. NULL with errno ENOMEM. It is awaited,
 * released, combined and cancelled like any future; the handle is both ends. */
WEFT_API weft_future *weft_promise_new(void);
/* Completes a promise with value. 0; EINVAL for NULL, a task's future, or a promise already
 * set. Callable from any thread. */
WEFT_API int weft_promise_set(weft_future *promise, void *value);

/* Inside a task: lets other tasks run and resumes later. Outside: sched_yield(). */
WEFT_API void weft_yield(void);
/* Inside a task: a pointer-sized slot private to the task (it survives suspension; NULL when
 * the task starts). NULL outside tasks. */
WEFT_API void *weft_task_local(void);
/* Sets the running task's slot; no-op outside a task. */
WEFT_API void weft_set_task_local(void *value);

/* A mutex whose contended lock suspends the calling task (blocks a thread outside tasks).
 * Waiters get the lock in arrival order. NULL gives EINVAL where a code is returned and is
 * ignored otherwise. */
typedef struct weft_mutex weft_mutex;
WEFT_API weft_mutex *weft_mutex_new(void); /* NULL with errno ENOMEM */
WEFT_API void weft_mutex_free(weft_mutex *m);
WEFT_API void weft_mutex_lock(weft_mutex *m);
WEFT_API int weft_mutex_trylock(weft_mutex *m); /* 0 or EBUSY */
WEFT_API void weft_mutex_unlock(weft_mutex *m);

/* A counting semaphore with the same waiting rules as weft_mutex. */
typedef struct weft_semaphore weft_semaphore;
WEFT_API weft_semaphore *weft_semaphore_new(size_t initial); /* NULL with errno ENOMEM */
WEFT_API void weft_semaphore_free(weft_semaphore *s);
WEFT_API void weft_semaphore_acquire(weft_semaphore *s);
WEFT_API int weft_semaphore_try_acquire(weft_semaphore *s); /* 0 or EAGAIN */
/* Negative timeout_ms: forever. 0 or ETIMEDOUT. */
WEFT_API int weft_semaphore_acquire_timeout(weft_semaphore *s, int timeout_ms);
WEFT_API void weft_semaphore_release(weft_semaphore *s, size_t n);

/* Counters of the default runtime since it started. */
typedef struct weft_stats_t {
    uint64_t spawned;   /* tasks created */
    uint64_t executed;  /* tasks run to completion */
    uint64_t stolen;    /* tasks moved from one worker's queue to another's */
    uint64_t parked;    /* times a worker went to sleep */
    uint64_t woken;     /* times a sleeping worker was woken for work */
} weft_stats_t;
WEFT_API weft_stats_t weft_stats(void);

#ifdef __cplusplus
}
#endif

#endif /* WEFT_WEFT_H */
