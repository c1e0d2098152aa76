/* Compiles weft.h alone as C99 with -pedantic: the C ABI header must be plain C99. */
#include <weft/weft.h>

int weft_c99_header_compiles(void);
int weft_c99_header_compiles(void) {
    weft_stats_t s = {0, 0, 0, 0, 0};
    weft_task_fn fn = 0;
    weft_detached_fn dfn = 0;
    (void)fn;
    (void)dfn;
    return (int)s.spawned;
}
