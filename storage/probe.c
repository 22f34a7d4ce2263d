#include <config.h>
#include "probe.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/error.h"
#include "lib/fs.h"
#include "lib/macros.h"
#include "lib/spawn.h"
#include "lib/xalloc.h"

/* In a child with its own mount namespace, so nothing is left mounted whatever happens. */
static int overlay_try_mount(const char *dir, bool rootless)
{
        cleanup_free char *opts = xasprintf("lowerdir=%s/l,upperdir=%s/u,workdir=%s/w%s", dir, dir,
                                            dir, rootless ? ",userxattr" : "");
        cleanup_free char *target = xasprintf("%s/m", dir);
        int status;
        pid_t pid = fork();

        if (pid < 0)
                return -errno;
        if (pid == 0) {
                /* Private mount namespace: the probe mount dies with this child. */
                if (unshare(CLONE_NEWNS) < 0)
                        _exit(errno);
                if (mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                        _exit(errno);
                if (mount("overlay", target, "overlay", 0, opts) < 0)
                        _exit(errno);
                _exit(0);
        }
        if (RETRY_EINTR(waitpid(pid, &status, 0)) < 0)
                return -errno;
        if (!WIFEXITED(status))
                return -EIO;
        return -WEXITSTATUS(status);
}

static json_t *probe_kernel_overlay(const char *graphroot, bool rootless)
{
        cleanup_error struct rctr_error err = {0};
        cleanup_free char *dir = NULL;
        const char *subdirs[] = {"l", "u", "w", "m"};
        bool created = false;
        int r = fs_mkdir_p(graphroot, 0700, &err);

        if (r >= 0) {
                dir = xasprintf("%s/.probe-XXXXXX", graphroot);
                created = mkdtemp(dir) != NULL;
                if (!created)
                        r = rctr_error_sys(&err, errno, "create probe directory in %s", graphroot);
        }
        for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(subdirs); i++) {
                cleanup_free char *sub = xasprintf("%s/%s", dir, subdirs[i]);

                if (mkdir(sub, 0700) < 0)
                        r = rctr_error_sys(&err, errno, "create %s", sub);
        }
        if (r >= 0) {
                r = overlay_try_mount(dir, rootless);
                if (r < 0)
                        (void)rctr_error_sys(&err, -r, "mount overlay%s",
                                             rootless ? " with userxattr (Linux >= 5.11)" : "");
        }
        if (created) {
                cleanup_error struct rctr_error ignored = {0};

                (void)fs_remove_tree_at(AT_FDCWD, dir, &ignored);
        }
        if (r < 0)
                return json_pack("{s:b, s:s}", "available", 0, "error", err.msg);
        return json_pack("{s:b}", "available", 1);
}

static json_t *probe_fuse_overlayfs(void)
{
        cleanup_free char *path = spawn_find_in_path("fuse-overlayfs");
        bool dev_fuse = access("/dev/fuse", R_OK | W_OK) == 0;

        return json_pack("{s:s?, s:b, s:b}", "path", path, "devFuse", dev_fuse, "available",
                         path && dev_fuse);
}

json_t *storage_probe(const char *graphroot, bool rootless)
{
        json_t *kernel = probe_kernel_overlay(graphroot, rootless);
        json_t *fuse = probe_fuse_overlayfs();
        const char *driver = json_is_true(json_object_get(kernel, "available")) ? "overlay"
                             : json_is_true(json_object_get(fuse, "available")) ? "fuse-overlayfs"
                                                                                : "vfs";

        return json_pack("{s:s, s:s, s:o, s:o}", "graphRoot", graphroot, "driver", driver,
                         "kernelOverlay", kernel, "fuseOverlayfs", fuse);
}
