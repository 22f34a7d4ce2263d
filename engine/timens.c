#include <config.h>
#include "timens.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/fs.h"
#include "lib/macros.h"
#include "spec.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* linux.timeOffsets {"monotonic": {"secs": S, "nanosecs": N}, "boottime": ...} as the kernel
 * reads them: "monotonic S N\n". */
static int offsets_text(json_t *offsets, struct buf *out, struct rctr_error *err)
{
        static const char *const clocks[] = {"monotonic", "boottime"};

        if (!offsets)
                return 0;
        if (!json_is_object(offsets))
                return rctr_error_set(err, EBADMSG, "linux.timeOffsets: expected an object");
        for (size_t i = 0; i < ARRAY_SIZE(clocks); i++) {
                json_t *o = json_object_get(offsets, clocks[i]);
                json_t *secs = json_object_get(o, "secs"), *ns = json_object_get(o, "nanosecs");

                if (!o)
                        continue;
                if (!json_is_integer(secs) ||
                    (ns && (!json_is_integer(ns) || json_integer_value(ns) < 0 ||
                            json_integer_value(ns) >= 1000000000)))
                        return rctr_error_set(err, EBADMSG,
                                              "linux.timeOffsets.%s: needs integer secs and "
                                              "nanosecs in 0..999999999",
                                              clocks[i]);
                (void)buf_appendf(out, "%s %lld %lld\n", clocks[i],
                                  (long long)json_integer_value(secs),
                                  ns ? (long long)json_integer_value(ns) : 0LL);
        }
        return 0;
}

int engine_timens_check(const struct engine_spec *spec, struct rctr_error *err)
{
        cleanup_buf struct buf text = {0};

        buf_init(&text, 4096);
        return offsets_text(engine_spec_linux(spec, "timeOffsets"), &text, err);
}

int engine_timens_setup(const struct engine_spec *spec, struct rctr_error *err)
{
        const struct engine_namespace *ns = &spec->namespaces[ENGINE_NS_TIME];
        cleanup_buf struct buf text = {0};
        int r;

        buf_init(&text, 4096);
        if (!ns->wanted || ns->path)
                return 0;
        r = offsets_text(engine_spec_linux(spec, "timeOffsets"), &text, err);
        if (r < 0)
                return r;
        if (unshare(CLONE_NEWTIME) < 0)
                return rctr_error_sys(err, errno, "create a time namespace");
        if (text.len &&
            fs_write_string_at(AT_FDCWD, "/proc/self/timens_offsets", text.data, err) < 0)
                return rctr_error_prefix(err, "linux.timeOffsets");
        return 0;
}
