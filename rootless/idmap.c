#include <config.h>
#include "idmap.h"

#include "lib/buf.h"
#include "lib/macros.h"
#include "lib/xalloc.h"

char *rootless_idmap_text(uint32_t host_id, const struct rootless_ranges *ranges)
{
        cleanup_buf struct buf b = {0};
        uint64_t inside = 1;

        buf_init(&b, 0);
        (void)buf_appendf(&b, "0 %u 1\n", host_id);
        for (size_t i = 0; i < ranges->n; i++) {
                (void)buf_appendf(&b, "%llu %u %u\n", (unsigned long long)inside,
                                  ranges->v[i].start, ranges->v[i].count);
                inside += ranges->v[i].count;
        }
        return buf_detach(&b);
}

char **rootless_idmap_argv(const char *helper, pid_t pid, uint32_t host_id,
                           const struct rootless_ranges *ranges)
{
        /* helper, pid, 3 for the user's own id, 3 per range, NULL */
        size_t n = 0, max = 2 + 3 + 3 * ranges->n + 1;
        char **argv = xreallocarray(NULL, max, sizeof(char *));
        uint64_t inside = 1;

        argv[n++] = xstrdup(helper);
        argv[n++] = xasprintf("%d", (int)pid);
        argv[n++] = xstrdup("0");
        argv[n++] = xasprintf("%u", host_id);
        argv[n++] = xstrdup("1");
        for (size_t i = 0; i < ranges->n; i++) {
                argv[n++] = xasprintf("%llu", (unsigned long long)inside);
                argv[n++] = xasprintf("%u", ranges->v[i].start);
                argv[n++] = xasprintf("%u", ranges->v[i].count);
                inside += ranges->v[i].count;
        }
        argv[n] = NULL;
        return argv;
}
