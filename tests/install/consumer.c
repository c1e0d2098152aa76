/* Install test: a C program built against the installed weft with pkg-config. */
#include <weft/weft.h>

#include <stdint.h>
#include <stdio.h>

static void *twice(void *arg) { return (void *)((uintptr_t)arg * 2); }

int main(void) {
    weft_future *f = weft_spawn(twice, (void *)(uintptr_t)21);
    if (!f) return 1;
    uintptr_t r = (uintptr_t)weft_await(f);
    weft_shutdown();
    if (r != 42) {
        printf("wrong result %lu\n", (unsigned long)r);
        return 1;
    }
    printf("weft C consumer ok\n");
    return 0;
}
