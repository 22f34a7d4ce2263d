#include <config.h>
#include "runtime-dir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "lib/error.h"
#include "lib/log.h"
#include "lib/macros.h"
#include "lib/xalloc.h"

bool rootless_runtime_dir_usable(const struct stat *st, uid_t uid)
{
        return S_ISDIR(st->st_mode) && st->st_uid == uid;
}

static int fallback_dir(uid_t uid, char **ret_path, struct rctr_error *err)
{
        cleanup_free char *path = xasprintf("/tmp/rctr-%u", (unsigned)uid);
        cleanup_close int fd = -1;
        struct stat st;

        /*
         * /tmp is shared by every user: another user may have created this name first to steer
         * our state (pid files, sockets) into a directory they control. Create it 0700, then
         * check through an O_NOFOLLOW fd that it is ours and private.
         */
        if (mkdir(path, 0700) < 0 && errno != EEXIST)
                return rctr_error_sys(err, errno, "create runtime directory %s", path);
        fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return rctr_error_sys(err, errno,
                                      "open runtime directory %s (remove it, or set "
                                      "XDG_RUNTIME_DIR to a directory you own)",
                                      path);
        if (fstat(fd, &st) < 0)
                return rctr_error_sys(err, errno, "stat %s", path);
        if (!rootless_runtime_dir_usable(&st, uid))
                return rctr_error_set(err, EPERM,
                                      "refusing runtime directory %s: owned by uid %u, not %u "
                                      "(set XDG_RUNTIME_DIR to a directory you own)",
                                      path, (unsigned)st.st_uid, (unsigned)uid);
        if ((st.st_mode & 077) && fchmod(fd, 0700) < 0)
                return rctr_error_sys(err, errno, "make %s private", path);
        *ret_path = TAKE_PTR(path);
        return 0;
}

int rootless_runtime_dir(bool rootless, char **ret_path, struct rctr_error *err)
{
        const char *env = getenv("XDG_RUNTIME_DIR");
        uid_t uid = geteuid();
        struct stat st;

        if (!rootless) {
                *ret_path = xstrdup("/run");
                return 0;
        }
        if (env && env[0] == '/' && lstat(env, &st) == 0 && rootless_runtime_dir_usable(&st, uid)) {
                *ret_path = xstrdup(env);
                return 0;
        }
        log_debug("XDG_RUNTIME_DIR=%s is unset or not a directory owned by uid %u: using "
                  "/tmp/rctr-%u",
                  env ? env : "", (unsigned)uid, (unsigned)uid);
        return fallback_dir(uid, ret_path, err);
}
