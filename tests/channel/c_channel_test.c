/* The channel C ABI from C11: a producer task and a consumer thread, and every error code. */
#include <weft/weft.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond)                                                           \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            exit(1);                                                          \
        }                                                                     \
    } while (0)

enum { k_items = 1000 };

static void *produce(void *arg) {
    weft_channel *ch = arg;
    for (uintptr_t i = 1; i <= k_items; ++i) {
        if (weft_channel_send(ch, (void *)i) != 0) return (void *)(uintptr_t)1;
        if (i % 100 == 0) weft_sleep_ms(1);
    }
    weft_channel_close(ch);
    return NULL;
}

int main(void) {
    CHECK(weft_init(2) == 0);
    weft_channel *ch = weft_channel_new(0);
    CHECK(ch != NULL);
    weft_future *producer = weft_spawn(produce, ch);
    CHECK(producer != NULL);
    uintptr_t sum = 0;
    void *v = NULL;
    int r;
    while ((r = weft_channel_recv(ch, &v)) == 0) sum += (uintptr_t)v;
    CHECK(r == EPIPE);
    CHECK(sum == (uintptr_t)k_items * (k_items + 1) / 2);
    CHECK(weft_await(producer) == NULL);
    CHECK(weft_channel_send(ch, NULL) == EPIPE);
    CHECK(weft_channel_try_send(ch, NULL) == EPIPE);
    CHECK(weft_channel_try_recv(ch, &v) == EPIPE);
    weft_channel_free(ch);

    weft_channel *b = weft_channel_new(1);
    CHECK(b != NULL);
    CHECK(weft_channel_send(NULL, NULL) == EINVAL);
    CHECK(weft_channel_recv(b, NULL) == EINVAL);
    CHECK(weft_channel_try_recv(b, &v) == EAGAIN);
    CHECK(weft_channel_recv_timeout(b, &v, 1) == ETIMEDOUT);
    CHECK(weft_channel_try_send(b, &sum) == 0);
    CHECK(weft_channel_len(b) == 1);
    CHECK(weft_channel_try_send(b, &sum) == EAGAIN);
    CHECK(weft_channel_send_timeout(b, &sum, 1) == ETIMEDOUT);
    CHECK(weft_channel_recv_timeout(b, &v, -1) == 0 && v == &sum);
    weft_channel_close(b);
    CHECK(weft_channel_recv(b, &v) == EPIPE);
    weft_channel_free(b);
    CHECK(weft_channel_len(NULL) == 0);
    /* Capacities whose buffer size does not fit in size_t are refused, not wrapped to a small
     * buffer that sends would overrun. */
    errno = 0;
    CHECK(weft_channel_new((size_t)1 << 62) == NULL && errno == ENOMEM);
    errno = 0;
    CHECK(weft_channel_new(SIZE_MAX / 4) == NULL && errno == ENOMEM);
    CHECK(weft_sleep_ms(1) == 0);
    weft_shutdown();
    puts("c channel test: ok");
    return 0;
}
