/* Killing and unmounting what damaged container records leave (engine/container-sweep.h). */
#include <config.h>

#include "engine/container-sweep.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <time.h>
#include <unistd.h>

#include "engine/container-state.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/macros.h"
#include "lib/xalloc.h"

struct pid_start {
        pid_t pid;
        uint64_t start;
};

/* The live processes of one state.json: its init and its monitor, appended to *v. */
static void collect(int ctrsfd, const char *name, const char *boot, struct pid_start **v, size_t *n)
{
        CLEANUP(engine_ctr_state_clear) struct engine_ctr_state s = {0};
        cleanup_error struct rctr_error ignored = {0};

        if (engine_ctr_state_load(ctrsfd, name, &s, &ignored) < 0 || !s.boot_id ||
            !streq(s.boot_id, boot))
                return; /* unreadable, or of another boot: its pids mean nothing now */
        *v = xreallocarray(*v, *n + 2, sizeof(**v));
        /* the monitor first: it would try to clean up after a killed init */
        (*v)[(*n)++] = (struct pid_start){s.monitor_pid, s.monitor_start};
        (*v)[(*n)++] = (struct pid_start){s.pid, s.pid_start};
}

static int64_t now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void engine_containers_kill_all(int ctrsfd, int timeout_ms)
{
        cleanup_free struct pid_start *v = NULL;
        cleanup_free char *boot = engine_boot_id();
        cleanup_dir DIR *d = NULL;
        int fd = openat(ctrsfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct dirent *de;
        int64_t deadline = now_ms() + timeout_ms;
        size_t n = 0;
        bool alive = true;

        d = fd >= 0 ? fdopendir(fd) : NULL;
        if (!d) {
                if (fd >= 0)
                        close_nointr(fd);
                return;
        }
        while ((de = readdir(d)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        collect(ctrsfd, de->d_name, boot, &v, &n);
        for (size_t i = 0; i < n; i++)
                if (engine_pid_alive(v[i].pid, v[i].start))
                        (void)kill(v[i].pid, SIGKILL);
        while (alive && now_ms() < deadline) {
                alive = false;
                for (size_t i = 0; i < n && !alive; i++)
                        alive = engine_pid_alive(v[i].pid, v[i].start);
                if (alive)
                        usleep(10000);
        }
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *s)
{
        char *out = s;

        for (; *s; s++) {
                if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
                    s[3] >= '0' && s[3] <= '7') {
                        *out++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
                        s += 3;
                } else {
                        *out++ = *s;
                }
        }
        *out = '\0';
}

static int longer_first(const void *a, const void *b)
{
        size_t la = strlen(*(char *const *)a), lb = strlen(*(char *const *)b);

        return la < lb ? 1 : la > lb ? -1 : 0;
}

/* The mount points at or below root (a canonical path), from /proc/self/mountinfo. */
static char **mounts_below(const char *root)
{
        cleanup_fclose FILE *f = fopen("/proc/self/mountinfo", "re");
        cleanup_free char *line = NULL;
        size_t cap = 0, n = 0, len = strlen(root);
        char **v = xzalloc(sizeof(char *));

        while (f && getline(&line, &cap, f) > 0) {
                char *mp = line, *end;

                /* "ID PARENT MAJ:MIN ROOT MOUNTPOINT ...": the fifth field */
                for (int field = 0; field < 4 && mp; field++)
                        mp = strchr(mp, ' ') ? strchr(mp, ' ') + 1 : NULL;
                end = mp ? strchr(mp, ' ') : NULL;
                if (!end)
                        continue;
                *end = '\0';
                unescape(mp);
                if (strncmp(mp, root, len) != 0 || (mp[len] != '\0' && mp[len] != '/'))
                        continue;
                v = xreallocarray(v, n + 2, sizeof(char *));
                v[n++] = xstrdup(mp);
                v[n] = NULL;
        }
        qsort(v, n, sizeof(char *), longer_first);
        return v;
}

unsigned engine_unmount_below(const char *path)
{
        cleanup_free char *root = realpath(path, NULL);
        cleanup_strv char **mps = NULL;
        unsigned failed = 0;

        if (!root)
                return 0; /* missing: nothing is mounted there */
        mps = mounts_below(root);
        for (char **mp = mps; *mp; mp++) {
                /*
                 * The containers' root file systems (overlay, fuse-overlayfs) and bind mounts left
                 * by killed monitors. Detached rather than unmounted: a mount still busy goes
                 * once its last user does, and its files can be removed now. Rootless, we are
                 * root of rctr's user namespace, which owns the mount namespace they live in.
                 */
                if (umount2(*mp, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT) {
                        log_warn("cannot unmount %s: %s", *mp, strerror(errno));
                        failed++;
                }
        }
        return failed;
}
