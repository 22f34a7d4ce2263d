/*
 * The kernel overlay driver: overlayfs over the layer diffs, the container's changes in upper/.
 * Rootless, the mount happens inside rctr's user namespace, which overlayfs allows since Linux
 * 5.11 with the userxattr option: overlay then keeps its metadata (opaque markers) in
 * user.overlay.* instead of trusted.*, which the namespace cannot use; the unpacker wrote our
 * layers that way.
 */
#include <config.h>
#include "storage/driver-private.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/magic.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/fs.h"
#include "lib/log.h"
#include "lib/macros.h"
#include "lib/xalloc.h"
#include "storage/driver.h"

/* The longest string value fsconfig takes, its NUL included. */
#define FSCONFIG_STRING_MAX 256

/* fsopen() failed with ENOSYS or EPERM once (an old kernel, a seccomp filter): don't retry. */
static bool fsopen_unusable;

/*
 * "lowerdir+" came with Linux 6.8. Older kernels either refuse it at once (6.5 to 6.7) or hand
 * it to the old option parser, which fails only at FSCONFIG_CMD_CREATE with an EINVAL that looks
 * like any other mistake; so we go by the version rather than guess from an error.
 */
static bool kernel_has_lowerdir_plus(void)
{
        struct utsname u;
        unsigned major = 0, minor = 0;

        if (uname(&u) < 0 || sscanf(u.release, "%u.%u", &major, &minor) != 2)
                return false;
        return major > 6 || (major == 6 && minor >= 8);
}

/* Fail with the kernel's own explanation from the fs context log ("e overlay: ..."), if any. */
static int context_fail(int fsfd, int code, const char *what, const char *arg,
                        struct rctr_error *err)
{
        cleanup_buf struct buf log = {0};
        char line[512];
        ssize_t n;

        buf_init(&log, 1024);
        while ((n = read(fsfd, line, sizeof(line) - 1)) > 0) {
                const char *text = line;

                line[n] = '\0';
                if (n > 2 && line[1] == ' ')
                        text += 2; /* the "e " / "w " / "i " severity */
                (void)buf_appendf(&log, "%s%s", log.len ? "; " : "", text);
        }
        return rctr_error_sys(err, code, "%s%s%s%s%s%s", what, arg ? " " : "", arg ? arg : "",
                              log.len ? " (" : "", log.data, log.len ? ")" : "");
}

static int set_string(int fsfd, const char *key, const char *value, struct rctr_error *err)
{
        if (fsconfig(fsfd, FSCONFIG_SET_STRING, key, value, 0) < 0)
                return context_fail(fsfd, errno, "set", key, err);
        return 0;
}

/*
 * A layer path for key ("lowerdir+", "upperdir", "workdir"). fsconfig copies at most 255 bytes of
 * a string value (strndup_user(value, 256)); a longer path (a deep --root) goes as the magic link
 * of an O_PATH fd, which overlay resolves, and keeps, at once: the fd can go right after.
 */
static int set_layer(int fsfd, const char *key, const char *path, struct rctr_error *err)
{
        const char *what = streq(key, "lowerdir+") ? "add lower layer" : key;
        cleanup_close int fd = -1;
        cleanup_free char *link = NULL;

        if (strlen(path) < FSCONFIG_STRING_MAX)
                return fsconfig(fsfd, FSCONFIG_SET_STRING, key, path, 0) < 0
                               ? context_fail(fsfd, errno, what, path, err)
                               : 0;
        fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return rctr_error_sys(err, errno, "open %s", path);
        link = xasprintf("/proc/self/fd/%d", fd);
        if (fsconfig(fsfd, FSCONFIG_SET_STRING, key, link, 0) < 0)
                return context_fail(fsfd, errno, what, path, err);
        return 0;
}

/*
 * The new mount API: one fsconfig call per layer, so no limit but the kernel's 500 layers and
 * no escaping of ':' or ',' in paths. Returns 1 without touching err when fsopen itself is not
 * available (caller falls back), 0 when mounted, -errno with err set.
 */
static int mount_fsconfig(const char *const *lowers, size_t n, const char *container_dir,
                          int merged_fd, bool rootless, bool throwaway, struct rctr_error *err)
{
        cleanup_close int fsfd = fsopen("overlay", FSOPEN_CLOEXEC);
        cleanup_close int mfd = -1;
        cleanup_free char *upper = xasprintf("%s/upper", container_dir);
        cleanup_free char *work = xasprintf("%s/work", container_dir);
        int r;

        if (fsfd < 0 && (errno == ENOSYS || errno == EPERM))
                return 1;
        if (fsfd < 0)
                return rctr_error_sys(err, errno, "open an overlay context (fsopen)");
        /* the top layer first, as in lowerdir=top:...:bottom */
        for (size_t i = n; i-- > 0;) {
                r = set_layer(fsfd, "lowerdir+", lowers[i], err);
                if (r < 0)
                        return r;
        }
        r = set_layer(fsfd, "upperdir", upper, err);
        if (r >= 0)
                r = set_layer(fsfd, "workdir", work, err);
        /* index=on would tie upper/ to these exact lower layers' file handles; we never need it */
        if (r >= 0)
                r = set_string(fsfd, "index", "off", err);
        if (r >= 0)
                r = set_string(fsfd, "source", "overlay", err);
        if (r < 0)
                return r;
        /* a throwaway upper (run --rm) is never synced: unmounting it costs no writeback */
        if (throwaway && fsconfig(fsfd, FSCONFIG_SET_FLAG, "volatile", NULL, 0) < 0)
                return context_fail(fsfd, errno, "set", "volatile (Linux >= 5.10)", err);
        if (rootless && fsconfig(fsfd, FSCONFIG_SET_FLAG, "userxattr", NULL, 0) < 0)
                return context_fail(fsfd, errno, "set", "userxattr (Linux >= 5.11)", err);
        if (fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                return context_fail(fsfd, errno, "create the overlay", NULL, err);
        mfd = fsmount(fsfd, FSMOUNT_CLOEXEC, 0);
        if (mfd < 0)
                return context_fail(fsfd, errno, "mount the overlay", NULL, err);
        /* onto the merged/ we opened without following symlinks */
        if (move_mount(mfd, "", merged_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) <
            0)
                return rctr_error_sys(err, errno, "attach the overlay to %s/merged", container_dir);
        return 0;
}

/* l/<i> -> lowers[i]: names short enough that 500 layers fit in a page of mount options. */
static int make_short_links(const char *const *lowers, size_t n, int container_fd,
                            struct rctr_error *err)
{
        cleanup_close int lfd = -1;
        int r = fs_remove_tree_at(container_fd, "l", err);

        if (r < 0)
                return r;
        lfd = fs_mkdir_open_at(container_fd, "l", 0700, err);
        if (lfd < 0)
                return lfd;
        for (size_t i = 0; i < n; i++) {
                cleanup_free char *name = xasprintf("%zu", i);

                if (symlinkat(lowers[i], lfd, name) < 0)
                        return rctr_error_sys(err, errno, "create l/%s", name);
        }
        return 0;
}

static char *legacy_options(size_t n, bool rootless, bool throwaway)
{
        struct buf b;

        buf_init(&b, 0);
        (void)buf_appendf(&b, "lowerdir=");
        for (size_t i = n; i-- > 0;)
                (void)buf_appendf(&b, "%sl/%zu", i == n - 1 ? "" : ":", i);
        (void)buf_appendf(&b, ",upperdir=upper,workdir=work,index=off%s%s",
                          rootless ? ",userxattr" : "", throwaway ? ",volatile" : "");
        return buf_detach(&b);
}

/*
 * mount(2) takes its options in one page (4096 bytes), too little for the full paths of many
 * layers; containers/storage has the same problem and the same answer: relative names of short
 * links, resolved from the container directory. The working directory belongs to the whole
 * process, so a child changes it and mounts; the mount is in the mount namespace we share.
 */
static int mount_legacy(const char *const *lowers, size_t n, const char *container_dir,
                        int container_fd, int merged_fd, bool rootless, bool throwaway,
                        struct rctr_error *err)
{
        cleanup_free char *opts = legacy_options(n, rootless, throwaway);
        cleanup_free char *target = xasprintf("/proc/self/fd/%d", merged_fd);
        int r = make_short_links(lowers, n, container_fd, err);
        long page = sysconf(_SC_PAGESIZE);
        int status;
        pid_t pid;

        if (r < 0)
                return r;
        if (strlen(opts) >= (size_t)(page > 0 ? page : 4096))
                return rctr_error_set(err, EFBIG, "mount options for %zu layers exceed a page", n);
        pid = fork();
        if (pid < 0)
                return rctr_error_sys(err, errno, "fork");
        if (pid == 0) {
                /* between fork and exit: async-signal-safe calls only */
                if (fchdir(container_fd) < 0)
                        _exit(errno);
                if (mount("overlay", target, "overlay", 0, opts) < 0)
                        _exit(errno);
                _exit(0);
        }
        if (RETRY_EINTR(waitpid(pid, &status, 0)) < 0)
                return rctr_error_sys(err, errno, "wait for the mounting child");
        if (!WIFEXITED(status))
                return rctr_error_set(err, EIO, "the mounting child died");
        if (WEXITSTATUS(status) != 0)
                return rctr_error_sys(err, WEXITSTATUS(status), "mount overlay on %s/merged",
                                      container_dir);
        return 0;
}

int storage_driver_overlay_mount(const char *const *lowers, size_t n, const char *container_dir,
                                 int container_fd, bool rootless, bool throwaway,
                                 enum storage_overlay_api api, struct rctr_error *err)
{
        cleanup_close int merged_fd = -1;
        int r;

        if (n > STORAGE_DRIVER_MAX_LAYERS)
                return rctr_error_set(err, EFBIG,
                                      "%zu layers: kernel overlay stacks at most %d (use "
                                      "--storage-driver=fuse-overlayfs or vfs)",
                                      n, STORAGE_DRIVER_MAX_LAYERS);
        r = storage_driver_check_mounted(container_dir, container_fd, OVERLAYFS_SUPER_MAGIC, err);
        if (r != 0)
                return r < 0 ? r : 0;
        r = storage_driver_make_dirs(container_fd, lowers[n - 1], err);
        if (r < 0)
                return r;
        merged_fd = openat(container_fd, "merged", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (merged_fd < 0)
                return rctr_error_sys(err, errno, "open merged");
        if (api == STORAGE_OVERLAY_API_AUTO)
                api = !fsopen_unusable && kernel_has_lowerdir_plus() ? STORAGE_OVERLAY_API_FSCONFIG
                                                                     : STORAGE_OVERLAY_API_LEGACY;
        if (api == STORAGE_OVERLAY_API_FSCONFIG) {
                r = mount_fsconfig(lowers, n, container_dir, merged_fd, rootless, throwaway, err);
                if (r <= 0)
                        return r;
                log_debug("fsopen is not available: mounting overlay with mount(2)");
                fsopen_unusable = true;
        }
        r = mount_legacy(lowers, n, container_dir, container_fd, merged_fd, rootless, throwaway,
                         err);
        if (r >= 0) {
                cleanup_error struct rctr_error ignored = {0};

                /* the kernel resolved the links at mount time; they are not needed any more */
                (void)fs_remove_tree_at(container_fd, "l", &ignored);
        }
        return r;
}

int storage_driver_overlay_unmount(const char *container_dir, int container_fd,
                                   struct rctr_error *err)
{
        cleanup_error struct rctr_error ignored = {0};
        int r = storage_driver_detach(container_dir, err);

        if (r < 0)
                return r;
        /* left by a mount that failed after making them */
        (void)fs_remove_tree_at(container_fd, "l", &ignored);
        /* a volatile mount's mark (work/work/incompat/volatile): overlay refuses the upper until
         * it is gone; work/work is overlay's scratch space, made again at every mount */
        {
                cleanup_close int workfd = openat(container_fd, "work",
                                                  O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

                if (workfd >= 0)
                        (void)fs_remove_tree_at(workfd, "work", &ignored);
        }
        return 0;
}
