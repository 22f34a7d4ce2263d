#include <config.h>
#include "userns.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/macros.h"

/* Find the line of self_map whose outside range holds [host, host + size). */
static bool translate_one(const char *self_map, uint64_t host, uint64_t size, uint64_t *ret)
{
        const char *p = self_map;

        while (p && *p) {
                unsigned long long inside, outside, count;

                if (sscanf(p, "%llu %llu %llu", &inside, &outside, &count) == 3 &&
                    host >= outside && host + size <= outside + count) {
                        *ret = inside + (host - outside);
                        return true;
                }
                p = strchr(p, '\n');
                if (p)
                        p++;
        }
        return false;
}

int engine_userns_translate(const char *self_map, const struct engine_idmap *maps, size_t n,
                            const char *what, char **ret_text, struct rctr_error *err)
{
        cleanup_buf struct buf text = {0};

        buf_init(&text, 0);
        for (size_t i = 0; i < n; i++) {
                uint64_t inside;

                if (!translate_one(self_map, maps[i].host_id, maps[i].size, &inside))
                        return rctr_error_set(err, EINVAL,
                                              "%s[%zu]: host ids %u-%llu are not mapped in this "
                                              "user namespace (see /etc/subuid, /etc/subgid)",
                                              what, i, maps[i].host_id,
                                              (unsigned long long)maps[i].host_id + maps[i].size -
                                                      1);
                (void)buf_appendf(&text, "%u %llu %u\n", maps[i].container_id,
                                  (unsigned long long)inside, maps[i].size);
        }
        *ret_text = buf_detach(&text);
        return 0;
}
