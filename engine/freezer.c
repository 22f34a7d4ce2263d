#include <config.h>
#include "freezer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/fs.h"
#include "lib/macros.h"
#include "lib/xalloc.h"

/*
 * The freezer's directory for the process: "/sys/fs/cgroup/freezer/PATH" (v1) or
 * "/sys/fs/cgroup[/unified]/PATH" (v2, when it has cgroup.freeze). NULL: neither.
 */
static char *freezer_dir(const char *proc, bool *ret_v2)
{
        cleanup_free char *path = xasprintf("/proc/%s/cgroup", proc);
        cleanup_fclose FILE *f = fopen(path, "re");
        char line[4096];

        while (f && fgets(line, sizeof(line), f)) {
                char *ctrl = strchr(line, ':'), *cg = ctrl ? strchr(ctrl + 1, ':') : NULL;

                if (!cg)
                        continue;
                *cg++ = '\0';
                cg[strcspn(cg, "\n")] = '\0';
                if (streq(ctrl + 1, "freezer")) {
                        *ret_v2 = false;
                        return xasprintf("/sys/fs/cgroup/freezer%s", cg);
                }
                if (streq(ctrl + 1, "")) {
                        static const char *const roots[] = {"/sys/fs/cgroup",
                                                            "/sys/fs/cgroup/unified"};

                        for (size_t i = 0; i < ARRAY_SIZE(roots); i++) {
                                cleanup_free char *dir = xasprintf("%s%s", roots[i], cg);
                                cleanup_free char *knob = xasprintf("%s/cgroup.freeze", dir);

                                if (access(knob, F_OK) == 0) {
                                        *ret_v2 = true;
                                        return TAKE_PTR(dir);
                                }
                        }
                }
        }
        return NULL;
}

static bool state_is(const char *dir, bool v2, const char *want)
{
        cleanup_free char *path = xasprintf("%s/%s", dir, v2 ? "cgroup.events" : "freezer.state");
        cleanup_buf struct buf text = {0};
        cleanup_error struct rctr_error ignored = {0};

        buf_init(&text, 64 * 1024);
        if (fs_read_at(AT_FDCWD, path, &text, &ignored) < 0)
                return false;
        return v2 ? strstr(text.data, want) != NULL : strncmp(text.data, want, strlen(want)) == 0;
}

bool engine_freezer_is_frozen(pid_t pid)
{
        char proc[16];
        bool v2 = false;
        cleanup_free char *dir = NULL;

        snprintf(proc, sizeof(proc), "%d", (int)pid);
        dir = freezer_dir(proc, &v2);
        return dir && state_is(dir, v2, v2 ? "frozen 1" : "FROZEN");
}

int engine_freezer_set(pid_t pid, bool frozen, struct rctr_error *err)
{
        char proc[16];
        bool v2 = false, own_v2 = false;
        cleanup_free char *dir = NULL, *own = freezer_dir("self", &own_v2), *knob = NULL;
        int r;

        snprintf(proc, sizeof(proc), "%d", (int)pid);
        dir = freezer_dir(proc, &v2);
        if (!dir)
                return rctr_error_set(err, EOPNOTSUPP, "no freezer cgroup controller here");
        if (own && streq(dir, own))
                return rctr_error_set(err, EOPNOTSUPP,
                                      "the container has no cgroup of its own to freeze (this "
                                      "release creates none; its caller's would stop the caller "
                                      "too)");
        knob = xasprintf("%s/%s", dir, v2 ? "cgroup.freeze" : "freezer.state");
        r = fs_write_string_at(AT_FDCWD, knob,
                               v2 ? (frozen ? "1" : "0") : (frozen ? "FROZEN" : "THAWED"), err);
        if (r < 0)
                return r;
        /* v1 passes through FREEZING: wait until every task stopped (or thawed) */
        for (int i = 0; i < 1000; i++) {
                if (state_is(dir, v2,
                             v2 ? (frozen ? "frozen 1" : "frozen 0")
                                : (frozen ? "FROZEN" : "THAWED")))
                        return 0;
                nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
        }
        return rctr_error_set(err, ETIMEDOUT, "the container's cgroup did not %s",
                              frozen ? "freeze" : "thaw");
}
