/*
 * The fuse-overlayfs driver: the same overlay, served by the fuse-overlayfs program, for kernels
 * or hosts where kernel overlay cannot be mounted rootless. fuse-overlayfs reads the layers as we
 * unpack them: a 0/0 character device is a whiteout, and a directory is opaque when it carries
 * trusted.overlay.opaque, user.overlay.opaque or user.fuseoverlayfs.opaque = "y" (it asks in that
 * order; trusted.* reads as absent to an unprivileged process, so the user.* marker of a rootless
 * store is found). Run as uid 0 (root, or root of our user namespace) it adds allow_other itself,
 * which the container's other users need.
 */
#include <config.h>
#include "storage/driver-private.h"

#include <errno.h>
#include <string.h>

#include <linux/magic.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/macros.h"
#include "lib/spawn.h"
#include "lib/xalloc.h"

/* What a helper said on stderr, kept for the error message. */
#define FUSE_STDERR_MAX 4096

/* libfuse splits -o at ',' and takes '\' as an escape (fuse_opt.c). */
static void append_escaped(struct buf *b, const char *s)
{
        for (; *s; s++) {
                if (*s == ',' || *s == '\\')
                        (void)buf_append(b, "\\", 1);
                (void)buf_append(b, s, 1);
        }
}

static int fuse_options(const char *const *lowers, size_t n, const char *container_dir, char **ret,
                        struct rctr_error *err)
{
        cleanup_buf struct buf b = {0};

        buf_init(&b, 0);
        (void)buf_appendf(&b, "lowerdir=");
        /* the top layer first, as for the kernel; fuse-overlayfs splits at ':' with no escape */
        for (size_t i = n; i-- > 0;) {
                if (strchr(lowers[i], ':'))
                        return rctr_error_set(err, EINVAL,
                                              "fuse-overlayfs cannot take the layer path %s: it "
                                              "contains ':'",
                                              lowers[i]);
                if (i != n - 1)
                        (void)buf_append(&b, ":", 1);
                append_escaped(&b, lowers[i]);
        }
        (void)buf_appendf(&b, ",upperdir=");
        append_escaped(&b, container_dir);
        (void)buf_appendf(&b, "/upper,workdir=");
        append_escaped(&b, container_dir);
        (void)buf_appendf(&b, "/work");
        *ret = buf_detach(&b);
        return 0;
}

/* stderr of a helper on one line: its non-empty lines joined by "; ". */
static char *one_line(const struct buf *out)
{
        cleanup_free char *copy = xstrdup(out->data);
        char *save = NULL;
        struct buf b;

        buf_init(&b, 0);
        for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
                (void)buf_appendf(&b, "%s%s", b.len ? "; " : "", l);
        return buf_detach(&b);
}

/* Run a helper; a non-zero exit is -EIO with what it said. */
static int run_helper(char *const argv[], struct rctr_error *err)
{
        cleanup_buf struct buf out = {0};
        cleanup_free char *said = NULL;
        int status;

        buf_init(&out, FUSE_STDERR_MAX);
        status = spawn_run(argv, &out, err);
        if (status <= 0)
                return status;
        said = one_line(&out);
        return rctr_error_set(err, EIO, "%s exited with status %d%s%s", argv[0], status,
                              said[0] ? ": " : "", said);
}

int storage_driver_fuse_mount(const char *const *lowers, size_t n, const char *container_dir,
                              int container_fd, struct rctr_error *err)
{
        static char opt_flag[] = "-o";
        cleanup_free char *prog = spawn_find_in_path("fuse-overlayfs");
        cleanup_free char *opts = NULL;
        cleanup_free char *merged = xasprintf("%s/merged", container_dir);
        int r;

        if (!prog)
                return rctr_error_set(err, EOPNOTSUPP,
                                      "fuse-overlayfs not found in $PATH (install the Debian "
                                      "package fuse-overlayfs)");
        r = storage_driver_check_mounted(container_dir, container_fd, FUSE_SUPER_MAGIC, err);
        if (r != 0)
                return r < 0 ? r : 0;
        r = storage_driver_make_dirs(container_fd, lowers[n - 1], err);
        if (r < 0)
                return r;
        r = fuse_options(lowers, n, container_dir, &opts, err);
        if (r < 0)
                return r;
        /*
         * fuse-overlayfs mounts (as uid 0 here: with mount(2), no fusermount3), then forks into
         * a new session and returns: the daemon serves the mount until it is unmounted.
         */
        r = run_helper((char *const[]){prog, opt_flag, opts, merged, NULL}, err);
        if (r < 0)
                return r;
        r = storage_driver_check_mounted(container_dir, container_fd, FUSE_SUPER_MAGIC, err);
        if (r < 0)
                return r;
        if (r == 0)
                return rctr_error_set(err, EIO, "fuse-overlayfs exited without mounting %s",
                                      merged);
        return 0;
}

int storage_driver_fuse_unmount(const char *container_dir, int container_fd, struct rctr_error *err)
{
        static char opt_unmount[] = "-u", opt_lazy[] = "-z";
        cleanup_free char *merged = NULL;
        cleanup_free char *prog = NULL;
        int r = storage_driver_detach(container_dir, err);

        if (r != -EPERM)
                return r; /* detached (the daemon sees the unmount and exits), or failed */
        /* Outside rctr's namespace, unprivileged: the setuid helper may unmount our FUSE mount. */
        rctr_error_clear(err);
        prog = spawn_find_in_path("fusermount3");
        if (!prog)
                prog = spawn_find_in_path("fusermount");
        merged = xasprintf("%s/merged", container_dir);
        if (!prog)
                return rctr_error_set(err, EPERM, "unmount %s: not allowed, and no fusermount3",
                                      merged);
        return run_helper((char *const[]){prog, opt_unmount, opt_lazy, merged, NULL}, err);
}
