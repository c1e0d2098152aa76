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

/* Starts the default runtime with `workers` threads (0: WEFT_WORKERS when it holds a number from
 * 1 to 4096, else the number of CPUs in the process's affinity mask; an invalid WEFT_WORKERS is
 * reported once on stderr). Returns 0, EBUSY when it is already running, EINVAL for more than 4096
 * workers, EDEADLK when called from one of the default runtime's own tasks, or another errno
 * value (EAGAIN, ENOMEM); on an error no worker thread is left running. */
WEFT_API int weft_init(unsigned workers);
/* Runs every task already spawned (and all they spawn), then stops the workers.
 * A later spawn or weft_init starts the runtime again. Called from one of the default runtime's
 * own tasks it does nothing and sets errno to EDEADLK (it would wait for its caller).
 * In a child process after fork() the default runtime starts afresh on first use; what was
 * pending in the parent does not run there, and weft_shutdown is safe. */
WEFT_API void weft_shutdown(void);
/* Worker count of the default runtime (starting it if needed). */
WEFT_API unsigned weft_workers(void);

/* Spawns fn(arg). Returns its future, or NULL with errno EINVAL (fn is NULL), ENOMEM, ECANCELED
 * (another thread's weft_shutdown is stopping the runtime) or EAGAIN (the runtime was not running
 * and its worker threads could not be started). */
WEFT_API weft_future *weft_spawn(weft_task_fn fn, void *arg);
/* Spawns fn(arg) with no future. Returns 0, EINVAL, ENOMEM, ECANCELED or EAGAIN (as weft_spawn). */
WEFT_API int weft_spawn_detached(weft_detached_fn fn, void *arg);
/* For a call that blocks its thread (file read, DNS lookup, a library that sleeps): runs fn(arg)
 * on a separate pool of threads, never on a worker. The pool grows on demand up to
 * WEFT_BLOCKING_THREADS threads (default 512; beyond that jobs queue) and a thread idle for 10 s
 * exits. The job counts as a task of the runtime (weft_wait_all and weft_shutdown wait for it).
 * Returns its future, or NULL with errno EINVAL (fn is NULL), ENOMEM, ECANCELED (the runtime is
 * shutting down) or EAGAIN (no pool thread exists and none could be started). */
WEFT_API weft_future *weft_spawn_blocking(weft_task_fn fn, void *arg);
/* Returns when every task spawned so far, and everything those spawned, has finished. Safe to call
 * while another thread starts and stops the runtime. Inside a task it does not wait for the tasks
 * on its own stack; it does wait for a task that awaits the caller (say, the task that spawned it
 * and is now awaiting its future): that task cannot finish first, so the two wait for each other
 * for ever. Call it from the code that owns the whole run, not from a task others await. */
WEFT_API void weft_wait_all(void);

/* Tasks that fail. C code cannot throw, but a weft_task_fn written in C++ can, and so can a
 * task spawned from C++ whose future reaches C. Such a task has no result: weft_await and
 * weft_future_get return NULL with errno ECANCELED, and weft_future_get_timeout returns ECANCELED.
 * They leave errno alone for a task that returned a value, so a task that may return NULL is told
 * apart by setting errno to 0 before the call.
 *
 * Handles. A future handle is released exactly once: by weft_future_release, weft_await or
 * weft_future_then (each consumes it). Any use of a handle after that, a second release included,
 * is undefined behaviour. Debug builds (NDEBUG not defined) and AddressSanitizer builds of weft
 * check every handle and abort with a message naming the call, also when the released future's
 * memory already holds another future (a handle outlived by 2^14 reuses of its memory can escape
 * the check). Release builds check nothing. */

/* Waits, returns the result and releases f. NULL with errno EINVAL when f is NULL, or ECANCELED
 * when the task failed. */
WEFT_API void *weft_await(weft_future *f);
/* Waits and returns the result; f stays valid and the call may be repeated. NULL with errno
 * EINVAL when f is NULL, or ECANCELED when the task failed. */
WEFT_API void *weft_future_get(weft_future *f);
/* Waits at most timeout_ms (negative: forever; INT_MAX waits that long, about 24.8 days).
 * Returns 0 with *result set (when result is not NULL), ETIMEDOUT, EINVAL when f is NULL, or
 * ECANCELED with *result set to NULL when the task failed. */
WEFT_API int weft_future_get_timeout(weft_future *f, int timeout_ms, void **result);
/* 1 when the result is ready, 0 when not (and for NULL). */
WEFT_API int weft_future_is_ready(const weft_future *f);
/* Drops the handle; the task still runs to completion. NULL is ignored. */
WEFT_API void weft_future_release(weft_future *f);
/* Cancellation. A task not started yet never runs: weft_await gives NULL with errno ECANCELED, as
 * for a task that failed. A running task sees weft_task_cancelled(), and so do the tasks of the
 * C++ task groups it created; its channel operations, weft_select, weft_sleep_ms and semaphore
 * acquisitions that would wait, or are waiting, return ECANCELED (weft_select: -1 with errno
 * ECANCELED); those that can complete at once still do, and the try_ calls never see it.
 * weft_mutex_lock and waits on futures are not interrupted. A task spawned with weft_spawn is not
 * cancelled with the task that spawned it. Idempotent; NULL is ignored. */
WEFT_API void weft_future_cancel(weft_future *f);
WEFT_API int weft_future_is_cancelled(const weft_future *f);
/* Inside a task: 1 when it was cancelled (see above). 0 outside tasks. */
WEFT_API int weft_task_cancelled(void);

/* Resolves (to NULL) when every input has. Inputs stay owned by the caller and valid.
 * NULL with errno EINVAL when futures is NULL and n > 0 or an input is NULL; ENOMEM. */
WEFT_API weft_future *weft_when_all(weft_future *const *futures, size_t n);
/* Resolves to (void *)(uintptr_t)index of the first input found ready. EINVAL for n == 0. */
WEFT_API weft_future *weft_when_any(weft_future *const *futures, size_t n);
/* Consumes f; resolves to map(result of f), run as a task. When f's task failed, map is not
 * called and the returned future fails too (awaiting it gives NULL with errno ECANCELED).
 * When f has already finished, map is spawned at once like weft_spawn: after weft_shutdown the
 * default runtime starts again; while it shuts down the call fails with ECANCELED. When f finishes
 * later, map is spawned then, from the thread that finished f, in the same way: if the runtime has
 * stopped by then it starts again, and if it is stopping (or cannot start) the returned future
 * fails with ECANCELED. Cancelling the returned future before map starts releases f's result.
 * On error returns NULL with errno EINVAL (a NULL argument), ENOMEM or ECANCELED, after
 * releasing f when it is not NULL: f is consumed in every case. */
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
 * No waiter starves: a running locker may take a free lock ahead of waiters, but once a waiter
 * has waited over 1 ms the lock goes to waiters in arrival order. NULL gives EINVAL where a code is returned and is
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
/* 0; ECANCELED when the calling task is cancelled while it would wait (no permit taken); EINVAL. */
WEFT_API int weft_semaphore_acquire(weft_semaphore *s);
WEFT_API int weft_semaphore_try_acquire(weft_semaphore *s); /* 0 or EAGAIN */
/* Negative timeout_ms: forever. 0, ETIMEDOUT or ECANCELED. */
WEFT_API int weft_semaphore_acquire_timeout(weft_semaphore *s, int timeout_ms);
/* Hands n permits to the oldest waiters and keeps the rest; the count saturates at SIZE_MAX. */
WEFT_API void weft_semaphore_release(weft_semaphore *s, size_t n);

/* Counters of the default runtime since it was first started, across restarts; zero before.
 * Each counter only grows, also while another thread starts and stops the runtime. */
typedef struct weft_stats_t {
    uint64_t spawned;   /* tasks created */
    uint64_t executed;  /* tasks finished: run to completion, or skipped (cancelled before they started) */
    uint64_t stolen;    /* tasks moved from one worker's queue to another's */
    uint64_t parked;    /* times a worker went to sleep */
    uint64_t woken;     /* times a sleeping worker was woken for work */
} weft_stats_t;
WEFT_API weft_stats_t weft_stats(void);

/* Channels: FIFO queues between tasks and threads. Inside a task a waiting operation suspends
 * the task (its worker runs other tasks); outside the runtime it blocks the thread. A value is
 * delivered exactly once. Every function gives EINVAL for a NULL channel or value pointer. */
typedef struct weft_channel weft_channel;
/* 0: rendezvous (a send waits for its receiver); SIZE_MAX: unbounded. NULL + errno ENOMEM. */
WEFT_API weft_channel *weft_channel_new(size_t capacity);
/* After every user is done with it; buffered values are dropped. NULL is ignored. */
WEFT_API void weft_channel_free(weft_channel *ch);
/* 0; EPIPE when closed; ECANCELED inside a cancelled task that would wait (see weft_future_cancel). */
WEFT_API int weft_channel_send(weft_channel *ch, void *value);
/* 0; EPIPE when closed and drained; ECANCELED as weft_channel_send. */
WEFT_API int weft_channel_recv(weft_channel *ch, void **value);
/* 0, EAGAIN (would wait), EPIPE. */
WEFT_API int weft_channel_try_send(weft_channel *ch, void *value);
WEFT_API int weft_channel_try_recv(weft_channel *ch, void **value);
/* 0, ETIMEDOUT, EPIPE, ECANCELED; a negative timeout waits without limit. */
WEFT_API int weft_channel_send_timeout(weft_channel *ch, void *value, int timeout_ms);
WEFT_API int weft_channel_recv_timeout(weft_channel *ch, void **value, int timeout_ms);
/* Wakes every waiter; later sends fail with EPIPE; receivers drain what is buffered. */
WEFT_API void weft_channel_close(weft_channel *ch);
/* Values buffered now (0 for NULL). */
WEFT_API size_t weft_channel_len(const weft_channel *ch);

enum { WEFT_SEND = 1, WEFT_RECV = 2 };
typedef struct weft_select_case {
    weft_channel *channel; /* NULL: a case that never fires */
    int op;                /* WEFT_SEND or WEFT_RECV */
    void *value;           /* WEFT_SEND: the value to send; WEFT_RECV: the value received */
    int status;            /* of the case that fired: 0, or EPIPE (channel closed) */
} weft_select_case;
/* Waits until one case can proceed and performs exactly that one: returns its index, with value
 * (for WEFT_RECV) and status filled in; -1 with errno ETIMEDOUT after timeout_ms (0: poll once,
 * -1: no timeout), EINVAL for bad cases (cases NULL with n > 0, an op other than WEFT_SEND or
 * WEFT_RECV, a timeout below -1), ENOMEM, ECANCELED (the calling task is cancelled and no case
 * could proceed at once). Cases ready at once are chosen at random. */
WEFT_API int weft_select(weft_select_case *cases, size_t n, int timeout_ms);

/* Inside a task: suspends it for ms milliseconds (its worker runs other tasks); outside: sleeps
 * the thread. 0, or ECANCELED when the task is (or gets) cancelled before the time is up. */
WEFT_API int weft_sleep_ms(unsigned ms);

#ifdef __cplusplus
}
#endif

#endif /* WEFT_WEFT_H */
